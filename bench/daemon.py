"""The real `brandbot run` daemon as a subprocess, and the feeds and config it runs on."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.corpus import posts
from tests.helpers import child_pids

ROOT = Path(__file__).resolve().parents[1]

BENCH_CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]
hashtags = ["brightwave"]

[brand.handles]
x = ["BrightwaveHelp"]

[brand.competitors]
Tidalnet = ["tidalnet"]
Orbitel = ["orbitel"]

[routing]
default_team = "care"

[routing.teams.billing]
intents = ["billing", "cancellation"]

[routing.teams.network]
intents = ["outage"]

[routing.teams.logistics]
intents = ["equipment", "installation"]

[storage]
url = "sqlite:///bench.db"
"""
FEED_START = datetime(2026, 10, 1, tzinfo=UTC)


def write_config(folder: Path, sources: str) -> tuple[Path, Path]:
    """A config with the bench brand, a store in `folder` and the given [[sources]] tables."""
    db = folder / "bench.db"
    config = folder / "bench.toml"
    config.write_text(BENCH_CONFIG.replace("sqlite:///bench.db", f"sqlite:///{db}") + sources)
    return config, db


def write_feed(path: Path, n: int, *, seed: int = 7, spacing: float = 2.0) -> list[int]:
    """A replay file of `n` generated posts (the texts of `posts(n)`), one every `spacing` s.

    Authors are drawn from n/3 accounts, so most write more than once (cases get joined, as
    they do on a real feed). Returns the byte offset after each 100,000th line and at the end.
    """
    rng = random.Random(seed)
    marks = []
    offset = 0
    with path.open("w", encoding="utf-8") as out:
        for i, text in enumerate(posts(n, seed=seed), start=1):
            author = f"user{rng.randrange(max(1, n // 3))}"
            line = json.dumps({
                "platform": "x", "id": str(i), "author": author,
                "author_followers": int(rng.paretovariate(1.2) * 50),
                "text": text, "created_at": (FEED_START + timedelta(seconds=spacing * i))
                .strftime("%Y-%m-%dT%H:%M:%SZ"), "lang": "en", "conversation_id": str(i),
            }) + "\n"
            out.write(line)
            offset += len(line.encode())
            if i % 100_000 == 0 or i == n:
                marks.append(offset)
    return marks


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the caller's BRANDBOT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    env.update(extra or {})
    return env


class Daemon:
    """`brandbot run --no-web` (or `--once`) on a config; its log goes to a file beside it."""

    def __init__(self, config: Path, *, once: bool = False, env: dict[str, str] | None = None,
                 log_level: str = "info") -> None:
        self.log = config.with_suffix(".log")
        args = [sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-level",
                log_level, "run", "--no-web", *(["--once"] if once else [])]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=clean_env(env), stdout=log,
                                         stderr=subprocess.STDOUT)

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), in MB: the daemon's and its analysis workers'."""
        return self._total_kb("VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        """The most resident memory so far (VmHWM), in MB: the daemon's and its workers'."""
        return self._total_kb("VmHWM") / 1024

    def _total_kb(self, field: str) -> int:
        total = _status_kb(self.proc.pid, field)
        for pid in self.pids()[1:]:
            try:
                total += _status_kb(pid, field)
            except (OSError, RuntimeError):  # a worker that has just exited
                pass
        return total

    def pids(self) -> list[int]:
        """The daemon and the processes it started (its analysis workers)."""
        return [self.proc.pid, *child_pids(self.proc.pid)]

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit; its exit code (a failure shows the log's tail)."""
        code = self.proc.wait(timeout=timeout)
        if code != 0:
            raise RuntimeError(f"brandbot run exited {code}:\n{self.log.read_text()[-2000:]}")
        return code

    def stop(self) -> None:
        """SIGTERM, as an operator would stop it, and wait."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self) -> None:
        """Raise with the log's tail if the daemon died."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"brandbot run exited {self.proc.returncode}:\n"
                               f"{self.log.read_text()[-2000:]}")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def query(db: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Read the daemon's store from outside, read-only ([] while it is still being created)."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []


def wait_until(check: Callable[[], Any], *, timeout: float, every: float = 0.05,
               daemon: Daemon | None = None, what: str = "a condition") -> Any:
    """Poll `check()` until it returns something truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if daemon is not None:
            daemon.alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)
