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
    schema = f"t{next(_schemas)}_{secrets.token_hex(2)}"
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
