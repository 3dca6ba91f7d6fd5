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
from bench.daemon import ROOT, Daemon, clean_env, wait_until

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


def _replicas(config: Path, count: int) -> list[Daemon]:
    """`count` daemons on one config, each named as its own machine (so leases move as
    between machines) and logging beside its own copy of the config."""
    replicas = []
    for n in range(count):
        copy = config.with_name(f"replica{n}.toml")
        copy.write_text(config.read_text())
        replicas.append(Daemon(copy, env={"BRANDBOT_REPLICA_NAME": f"machine-{n}"},
                               log_level="warning"))
    return replicas


def _migrate(config: Path) -> None:
    subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "db",  # noqa: S603
                    "migrate"], cwd=ROOT, env=clean_env(), check=True, capture_output=True)


def _scalar(url: str, sql: str) -> object:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def replicas_ingest_posts_per_s(replicas_count: int, total: int) -> float:
    """Mentions stored per second by `replicas_count` daemons sharing six replay sources, from the
    moment they start until every post is stored (start-up included)."""
    with tempfile.TemporaryDirectory() as tmp, database() as url:
        folder = Path(tmp)
        config = _config(folder, url, _feeds(folder, total), ttl=6)
        _migrate(config)  # so the figure is ingest, not schema creation
        start = time.perf_counter()
        replicas = _replicas(config, replicas_count)
        try:
            wait_until(lambda: _scalar(url, "SELECT count(*) FROM mentions") == total,
                       timeout=600, every=0.1, daemon=replicas[0], what="every post stored")
            elapsed = time.perf_counter() - start
        finally:
            for replica in replicas:
                replica.stop()
    return total / elapsed


def lease_move_s(ttl: float) -> float:
    """Seconds from SIGKILL of the replica holding a source until another holds it."""
    with tempfile.TemporaryDirectory() as tmp, database() as url:
        folder = Path(tmp)
        config = _config(folder, url, _feeds(folder, SOURCES * 10), ttl=ttl)
        _migrate(config)
        replicas = _replicas(config, 2)
        try:
            def holder() -> object:
                return _scalar(url, "SELECT holder FROM leases WHERE source = 'feed0'")

            first = wait_until(holder, timeout=60, what="a replica to take feed0")
            pid = int(str(first).split(":")[1])
            victim = next(r for r in replicas if r.proc.pid == pid)
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            killed = time.perf_counter()
            wait_until(lambda: holder() not in (None, first), timeout=ttl * 4, every=0.05,
                       what="the lease to move")
            return time.perf_counter() - killed
        finally:
            for replica in replicas:
                replica.stop()
