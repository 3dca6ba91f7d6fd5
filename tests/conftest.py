"""Shared fixtures. Tests may only talk to this machine: any other address fails loudly."""

from __future__ import annotations

import ipaddress
import itertools
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from monitor.analysis import Analyzer
from monitor.packs import load_pack
from monitor.reloads import process_alive

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise AssertionError(f"test tried to reach {host}: tests may only use loopback")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder for a test's config, data and database."""
    return tmp_path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No BRANDBOT_* variables leak in from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("BRANDBOT_"):
            monkeypatch.delenv(key)
    yield


# Every test that takes `db_url` runs once per store. PostgreSQL is a real server: by default
# the one on this machine (trust auth); each test run makes its own database and drops it,
# and each test gets a fresh schema in it. BRANDBOT_TEST_STORES=sqlite runs SQLite alone.
POSTGRES_ADMIN = os.environ.get("BRANDBOT_TEST_POSTGRES",
                                "postgresql://postgres@127.0.0.1:5432/test")
STORES = [s for s in os.environ.get("BRANDBOT_TEST_STORES", "sqlite,postgresql").split(",") if s]
_schemas = itertools.count(1)


def _admin(url: str) -> object:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server, dropped at the end."""
    try:
        admin = _admin(POSTGRES_ADMIN)
    except Exception as exc:  # noqa: BLE001 - say what to do, whatever psycopg raised
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN} ({exc}). Start it "
                    "(`.ci/run` does: service postgresql start), point "
                    "BRANDBOT_TEST_POSTGRES at one, or run BRANDBOT_TEST_STORES=sqlite.")
    for (stale,) in admin.execute(  # type: ignore[attr-defined]
            "SELECT datname FROM pg_database WHERE datname LIKE 'brandbot_test_%'").fetchall():
        pid = stale.split("_")[2]
        if pid.isdigit() and not process_alive(int(pid)):  # left by a run that was killed
            admin.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')  # type: ignore[attr-defined]
    name = f"brandbot_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')  # type: ignore[attr-defined]
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def new_store_url(kind: str, folder: Path, name: str, request: pytest.FixtureRequest) -> str:
    """A storage URL for a fresh, empty database: SQLite, a file `name`.db in `folder`;
    PostgreSQL, a new schema in this run's database, chosen through the URL's search_path
    (so daemons in subprocesses use it too)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / name}.db"
    database = request.getfixturevalue("postgres_database")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... under `pytest -n`
    schema = f"t{worker}_{next(_schemas)}_{secrets.token_hex(2)}"
    with _admin(database) as conn:  # type: ignore[attr-defined]
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{database}?options=-csearch_path%3D{schema}"


@pytest.fixture
def db_url(store_kind: str, tmp_path: Path,
           request: pytest.FixtureRequest) -> Callable[..., str]:
    """Make a storage URL for a fresh, empty database of the store under test (the same one
    again for the same `name` within a test)."""
    made: dict[str, str] = {}

    def make(name: str = "brandbot") -> str:
        if name not in made:
            made[name] = new_store_url(store_kind, tmp_path, name, request)
        return made[name]
    return make


@pytest.fixture(scope="session")
def bank() -> Analyzer:
    """The analyser of Kestrel Bank (tests/brands.py) with the banking pack."""
    from tests.brands import KESTREL

    return Analyzer(KESTREL, pack=load_pack("banking"))


@pytest.fixture(scope="session")
def airline() -> Analyzer:
    """The analyser of Skua Air (tests/brands.py) with the airline pack."""
    from tests.brands import SKUA

    return Analyzer(SKUA, pack=load_pack("airline"))


CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads).

    Module-scoped: Playwright's sync API keeps an event loop running while it is open, and
    pytest-asyncio cannot start the async tests of later modules under it.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. Run "
                    "`make test` (it installs it with apt-get) or `apt-get install chromium`.")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: `pip install -e '.[dev]'` (it is a dev extra)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
async def site(db_url: Callable[..., str]) -> AsyncIterator[object]:
    """The web app served on loopback with the queue's sample posts and users (ann admin,
    bob approver, vic viewer): `tests.test_web.Site`."""
    from tests.test_web import close, serve

    s = await serve(db_url())
    yield s
    await close(s)


# --- speed: the `slow` marker and parallel runs ---------------------------------------------
# `make test-fast` runs `-m 'not slow'` on SQLite alone: the pure unit tests, for the inner
# loop. A test is slow when it is marked `@pytest.mark.slow`, or when it reaches — through its
# own code, the module's functions it calls or its fixtures — a real subprocess (the
# `brandbot` and `DaemonProcess` helpers, `subprocess`, asyncio's subprocesses) or the
# browser. Such tests are marked here, so a new one needs no marker of its own.
#
# `make test` runs everything in parallel (pytest-xdist, `--dist loadgroup`): tests that share
# a module- or class-scoped fixture (a served app, a browser, a demo database) stay together
# on one worker, in order (one group per module and store kind); every other test goes
# wherever a worker is free. Groups go out first (the largest first), then modules holding
# slow tests, so that the last minutes are not one long test alone.

_SLOW_FIXTURES = {"browser"}
_SLOW_NAMES = {"DaemonProcess", "brandbot", "subprocess", "create_subprocess_exec",
               "create_subprocess_shell", "Popen", "sync_playwright"}


def _reaches_slow(func: object, seen: set[int]) -> bool:
    """Whether `func`'s code (inner functions too) names a subprocess or browser helper,
    directly or through another function or class of the tests package."""
    import inspect

    func = inspect.unwrap(func)  # type: ignore[arg-type]
    code = getattr(func, "__code__", None)
    if code is None or id(code) in seen:
        return False
    seen.add(id(code))
    namespace = getattr(func, "__globals__", {})
    codes = [code]
    while codes:
        current = codes.pop()
        codes += [c for c in current.co_consts if inspect.iscode(c)]
        for name in current.co_names:
            if name in _SLOW_NAMES:
                return True
            target = namespace.get(name)
            if getattr(target, "__module__", "").startswith("tests."):
                if inspect.isclass(target):
                    if any(_reaches_slow(f, seen) for f in vars(target).values()
                           if inspect.isfunction(f)):
                        return True
                elif callable(target) and _reaches_slow(target, seen):
                    return True
    return False


def _is_slow(item: pytest.Item) -> bool:
    if item.get_closest_marker("slow"):
        return True
    info = getattr(item, "_fixtureinfo", None)
    names = set(getattr(item, "fixturenames", ()))
    if names & _SLOW_FIXTURES:
        return True
    seen: set[int] = set()
    funcs = [getattr(item, "function", None)]
    if info is not None:
        funcs += [defs[-1].func for name, defs in info.name2fixturedefs.items()
                  if defs and name in names]
    return any(f is not None and _reaches_slow(f, seen) for f in funcs)


def _group(item: pytest.Item) -> str | None:
    """The xdist group of a test sharing a module- or class-scoped fixture: its module and
    the parameters of those fixtures (so each store kind's group can run on its own)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared = [name for name, defs in info.name2fixturedefs.items()
              if defs and name in item.fixturenames
              and defs[-1].scope in ("module", "class", "package")]
    if not shared:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    suffix = "-".join(str(params[name]) for name in sorted(shared) if name in params)
    return item.module.__name__ + (f"[{suffix}]" if suffix else "")  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow_modules = set()
    groups = {}
    for item in items:
        if _is_slow(item):
            if not item.get_closest_marker("slow"):
                item.add_marker(pytest.mark.slow)
            slow_modules.add(item.nodeid.split("::")[0])
        mark = item.get_closest_marker("xdist_group")
        group = (mark.args[0] if mark.args else mark.kwargs.get("name")) if mark else _group(item)
        if group:
            groups[item.nodeid] = str(group)
    # a stable sort: modules with slow tests first, each module's order kept
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_modules)
    folder = getattr(config, "workerinput", {}).get("brandbot_groups")
    if folder:  # an xdist worker: tell the scheduler (GroupScheduling) the groups
        import json

        worker = config.workerinput["workerid"]  # type: ignore[attr-defined]
        (Path(folder) / f"{worker}.json").write_text(json.dumps(groups), encoding="utf-8")


# pytest-xdist's own `loadgroup` finds a test's group in a suffix it adds to the test's id,
# which pytest 9.2 no longer lets it change (pytest-xdist issue 1386): its groups are silently
# ignored. So `--dist loadgroup` is scheduled here: each worker writes the groups it collected
# into a folder of this run's, and the scheduler (in the controlling process) reads them.

@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    config = node.config  # type: ignore[attr-defined]
    if not hasattr(config, "_brandbot_groups"):
        import tempfile

        config._brandbot_groups = tempfile.TemporaryDirectory(prefix="brandbot-groups-")
        config.add_cleanup(config._brandbot_groups.cleanup)
    node.workerinput["brandbot_groups"] = config._brandbot_groups.name  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getoption("dist") != "loadgroup":
        return None
    import json

    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """Whole groups to one worker, in order; every other test on its own."""

        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                folder = Path(config._brandbot_groups.name)  # type: ignore[attr-defined]
                self.groups = {}
                for path in sorted(folder.glob("*.json")):
                    self.groups.update(json.loads(path.read_text(encoding="utf-8")))
            return self.groups.get(nodeid, nodeid)

    return GroupScheduling(config, log)
