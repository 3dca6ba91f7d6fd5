"""Replicas on PostgreSQL: ingest throughput with 1, 2 and 3 daemons, and how long a dead
replica's sources take to move.

Each run gets a fresh database on the PostgreSQL server named by $BRANDBOT_BENCH_POSTGRES
(default: the local one the test suite uses) and drops it afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import posts

ROOT = Path(__file__).resolve().parents[1]
ADMIN = os.environ.get("BRANDBOT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SOURCES = 6  # replay files: a replica needs leases to take, so the work comes in six parts

CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[storage]
url = "{url}"
lease_ttl = "{ttl}s"
"""


@contextmanager
def database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one run."""
    import psycopg

    name = f"brandbot_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    try:
        yield f"{ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _feeds(folder: Path, total: int) -> list[Path]:
    texts = posts(total, seed=11)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    paths = []
    for s in range(SOURCES):
        path = folder / f"feed{s}.jsonl"
        with path.open("w") as f:
            for i in range(s, total, SOURCES):
                f.write(json.dumps({
                    "platform": "x", "id": str(i), "author": f"c{i % 5000}",
                    "text": texts[i], "created_at": (start + timedelta(seconds=i)).isoformat(),
                }) + "\n")
        paths.append(path)
    return paths


def _config(folder: Path, url: str, feeds: list[Path], ttl: float) -> Path:
    body = CONFIG.format(url=url, ttl=ttl)
    for n, feed in enumerate(feeds):
        body += (f'\n[[sources]]\nname = "feed{n}"\nplatform = "replay"\npath = "{feed}"\n'
                 'page_size = 500\ninterval = "500ms"\n')
    path = folder / "brandbot.toml"
    path.write_text(body)
    return path


def _daemon(config: Path, name: str = "bench") -> subprocess.Popen[bytes]:
    """A daemon named as its own machine (`name`), so leases move as between machines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    env["BRANDBOT_REPLICA_NAME"] = name
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-level", "warning",
         "run", "--no-web"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def _migrate(config: Path) -> None:
    subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "db",  # noqa: S603
                    "migrate"], cwd=ROOT, check=True, capture_output=True)


def _scalar(url: str, sql: str) -> object:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def replicas_ingest_posts_per_s(replicas: int, total: int) -> float:
    """Mentions stored per second by `replicas` daemons sharing six replay sources, from the
    moment they start until every post is stored (start-up included)."""
    with tempfile.TemporaryDirectory() as tmp, database() as url:
        folder = Path(tmp)
        config = _config(folder, url, _feeds(folder, total), ttl=6)
        _migrate(config)  # so the figure is ingest, not schema creation
        start = time.perf_counter()
        procs = [_daemon(config, f"machine-{n}") for n in range(replicas)]
        try:
            while True:
                stored = _scalar(url, "SELECT count(*) FROM mentions")
                if stored == total:
                    break
                if time.perf_counter() - start > 600:
                    raise RuntimeError(f"only {stored} of {total} stored after 600 s")
                time.sleep(0.1)
            elapsed = time.perf_counter() - start
        finally:
            _stop(procs)
    return total / elapsed


def lease_move_s(ttl: float) -> float:
    """Seconds from SIGKILL of the replica holding a source until another holds it."""
    with tempfile.TemporaryDirectory() as tmp, database() as url:
        folder = Path(tmp)
        config = _config(folder, url, _feeds(folder, SOURCES * 10), ttl=ttl)
        _migrate(config)
        procs = [_daemon(config, f"machine-{n}") for n in range(2)]
        try:
            holder = None
            deadline = time.perf_counter() + 60
            while holder is None and time.perf_counter() < deadline:
                holder = _scalar(url, "SELECT holder FROM leases WHERE source = 'feed0'")
                time.sleep(0.1)
            if holder is None:
                raise RuntimeError("no replica took feed0")
            pid = int(str(holder).split(":")[1])
            victim = next(p for p in procs if p.pid == pid)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed = time.perf_counter()
            while True:
                now = _scalar(url, "SELECT holder FROM leases WHERE source = 'feed0'")
                if now is not None and now != holder:
                    return time.perf_counter() - killed
                if time.perf_counter() - killed > ttl * 4:
                    raise RuntimeError("the lease did not move")
                time.sleep(0.05)
        finally:
            _stop(procs)
