"""Helpers shared by the tests: config snippets and running the real command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitor.models import Mention

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "config" / "demo.toml"
DEMO_MENTIONS = ROOT / "config" / "samples" / "demo-mentions.jsonl"
SHARED = ROOT.parent / "shared"


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a daemon's analysis workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def write_config(folder: Path, body: str, *, name: str = "brandbot.toml") -> Path:
    """Write a config file into `folder` and return its path."""
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


BASE_CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]
hashtags = ["brightwavedown"]
exclude = ["brightwave festival"]

[brand.handles]
x = ["BrightwaveHelp"]

[brand.competitors]
Tidalnet = ["tidalnet"]

[voice]
sign_off = "^Sam"
banned_phrases = ["calm down"]

[routing.teams.billing]
intents = ["billing"]
terms = ["refund"]

[storage]
url = "sqlite:///brandbot.db"
"""


def replay_source(path: Path, *, page_size: int = 50, interval: str = "1s") -> str:
    """A [[sources]] table replaying `path`."""
    return (
        f'\n[[sources]]\nname = "replay"\nplatform = "replay"\npath = "{path}"\n'
        f'page_size = {page_size}\ninterval = "{interval}"\n'
    )


def brandbot(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `brandbot` command in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args], cwd=cwd or ROOT, env=full_env,
        input=stdin, capture_output=True, text=True, timeout=timeout,
    )


async def drain(platform: Any, cursor: str | None = None, *,
                max_pages: int = 100) -> tuple[list[Mention], str | None]:
    """Call `listen` until the source has nothing more right now: every mention served and
    the last cursor. Each page must come oldest first, as the Platform protocol says."""
    mentions: list[Mention] = []
    for _ in range(max_pages):
        page = await platform.listen(cursor)
        assert list(page.mentions) == sorted(page.mentions, key=lambda m: m.created_at)
        mentions += page.mentions
        cursor = page.next_cursor
        if not page.has_more:
            return mentions, cursor
    raise AssertionError("listen never ran out of pages")


@contextmanager
def serving(config: Path) -> Iterator[str]:
    """The real `brandbot serve` on this config, on a free port: its base URL, stopped after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), "serve",
         "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        url = next((m.group(1) for line in proc.stdout
                    if (m := re.search(r"web app on (http://127\.0\.0\.1:\d+)", line))), None)
        assert url, "brandbot serve did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sign_in(page: Any, base: str, password: str, *, user: str = "ann") -> None:
    """Sign a Playwright page in at the web app's login form, and wait for the queue."""
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def ids(mentions: Iterable[Mention]) -> list[str]:
    """The native ids of mentions, in order."""
    return [m.native_id for m in mentions]


def sql(url: str | Path, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on a store (SQLite or PostgreSQL) by its URL; its rows as tuples."""
    from monitor.store import Store

    store = Store(url, migrate=False)
    try:
        cursor = store.conn.execute(query, params)
        return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
    finally:
        store.close()


def with_storage(config: str, url: str) -> str:
    """A config text whose [storage] url is `url` (BASE_CONFIG names a relative SQLite file)."""
    assert 'url = "sqlite:///brandbot.db"' in config
    return config.replace('url = "sqlite:///brandbot.db"', f'url = "{url}"')


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaemonProcess:
    """`brandbot --log-format json run` as a subprocess, its log events collected as they come.

    Waits poll for a condition with a generous limit instead of sleeping a fixed time.
    """

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None) -> None:
        import threading

        full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-format",
             "json", "run", *args], cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.events: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        import json

        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("{"):
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    pass

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return "".join(self.lines)

    def wait_until(self, check: Any, *, limit: float = 60, what: str = "condition") -> Any:
        """Poll `check()` until it returns something truthy; fail if the daemon dies first."""
        import time

        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.proc.poll() is not None:
                self._reader.join(5)
                raise AssertionError(f"the daemon exited ({self.proc.returncode}) before "
                                     f"{what}:\n{self.output()[-4000:]}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-4000:]}")

    async def until(self, check: Any, *, limit: float = 60, what: str = "condition") -> Any:
        """wait_until for async tests, whose event loop (serving the fakes) must not block.

        `check` may be a coroutine function."""
        import asyncio
        import inspect
        import time

        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"the daemon exited ({self.proc.returncode}) before "
                                     f"{what}:\n{self.output()[-4000:]}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()[-4000:]}")

    def wait_event(self, event: str, *, limit: float = 60, after: int = 0,
                   **fields: Any) -> dict[str, Any]:
        """The first log event named `event` (from index `after` on) with these fields."""
        def found() -> dict[str, Any] | None:
            return next((e for e in self.events[after:] if e.get("event") == event
                         and all(e.get(k) == v for k, v in fields.items())), None)

        return self.wait_until(found, limit=limit, what=f"event {event} {fields}")  # type: ignore[no-any-return]

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)

    def stop(self, limit: float = 15) -> int:
        """SIGTERM once the daemon has started (a signal during start-up, before its handlers
        are in place, ends the process by the signal), and the exit code."""
        import signal
        import time

        deadline = time.monotonic() + limit
        while (self.proc.poll() is None and time.monotonic() < deadline
               and not any(e.get("event") == "started" for e in self.events)):
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(limit)
        self._reader.join(5)
        return code


def db_rows(db: Path | str, query: str, params: Iterable[Any] = ()) -> list[Any]:
    """Rows of a query on a (live) database, as tuples; [] before it exists. `db` is a SQLite
    file (read-only connection) or a storage URL (either store)."""
    import sqlite3

    from monitor.store import sqlite_path

    if isinstance(db, str) and not db.startswith("sqlite:///"):
        if sql(db, "SELECT to_regclass('mentions')") == [(None,)]:
            return []  # not migrated yet
        return sql(db, query, tuple(params))
    db = sqlite_path(db)
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(query, tuple(params)).fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
