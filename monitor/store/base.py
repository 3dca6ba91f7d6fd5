"""The store's foundation: one connection (SQLite or PostgreSQL), its write transactions and
its migrations, and the small helpers every domain's SQL uses.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from monitor.models import (
    iso,
    parse_iso,
)
from monitor.store.dialect import PgConnection, is_postgres, pg_ddl, sqlite_path
from monitor.store.schema import MIGRATIONS, statements

T = TypeVar("T")

# Post excerpt length on list pages; the draft page shows the whole post.
EXCERPT = 600

# One encoder for every JSON column (json.dumps with options builds a new one per call).
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def maybe_time(value: str | None) -> datetime | None:
    """A stored time, or None for an empty column."""
    return parse_iso(value) if value else None


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size` (to bound the marks in an IN list)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def qmarks(n: int) -> str:
    """`n` comma-separated `?` placeholders."""
    return ",".join("?" * n)


def private_file(path: Path) -> None:
    """Create `path` readable and writable by its owner only (0600), or make it so: a
    database or backup holds customers' posts and sign-in data. SQLite gives its -wal and
    -shm files the database file's mode."""
    # Never open and close an existing database file here: closing any descriptor of a file
    # drops every POSIX lock this process holds on it, SQLite's included, and another
    # connection of this process may hold them (SQLite's "posix advisory locks" caveat).
    if not path.exists():
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        os.close(fd)
        return
    try:
        os.chmod(path, 0o600)
    except PermissionError:  # someone else's file, opened by a group member: leave it be
        pass


class StoreBase:
    """brandbot's database (SQLite or PostgreSQL): one connection, one thread at a time.

    Each domain module adds its reads and writes as a mixin (see `monitor.store.database`).
    """

    def __init__(self, target: str | Path, *, migrate: bool = True,
                 busy_timeout: float = 30.0) -> None:
        """Open `target`: a `postgresql://` URL, or a `sqlite:///` URL or SQLite file path.
        `busy_timeout`: how long a write waits for another's lock before it fails."""
        self.url = str(target)
        self.postgres = is_postgres(target)
        self.conn: Any
        if self.postgres:
            self.path = None
            self.conn = PgConnection(self.url)
            self.conn.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
        else:
            self.path = sqlite_path(target)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            private_file(self.path)  # customers' posts and sign-in data: owner only
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
            self.conn.row_factory = sqlite3.Row
            self.db = sqlite_utils.Database(self.conn)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB: ingest commits
            # a page at a time, and the default made a checkpoint every few pages its largest
            # cost.
            self.conn.execute("PRAGMA wal_autocheckpoint=10000")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if migrate:
            self.migrate()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self, *, exclusive: bool = True) -> Iterator[Any]:
        """One write transaction. Writers queue rather than deadlock: SQLite's BEGIN IMMEDIATE
        takes its one write lock, and on PostgreSQL a transaction-scoped advisory lock (one per
        schema) does the same across every replica. `exclusive=False` (PostgreSQL only) skips
        it, for work that locks its own rows (publisher claims, with SKIP LOCKED)."""
        if not self.postgres:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute("BEGIN")
        try:
            if self.postgres and exclusive:
                self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (disk full, I/O error) can leave the transaction open; close it
            # so the connection's next write starts clean.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        """The number of migrations applied."""
        if self.postgres:
            exists = self.conn.execute("SELECT to_regclass('migrations')").fetchone()[0]
        else:
            exists = "migrations" in self.db.table_names()
        if not exists:
            return 0
        row = self.conn.execute("SELECT max(version) FROM migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, *, up_to: int | None = None) -> list[int]:
        """Apply every migration not yet applied (or those up to number `up_to`); return
        their numbers. Safe when several replicas start at once: each migration runs in the
        write transaction."""
        applied = []
        for version, migration in enumerate(MIGRATIONS[:up_to], start=1):
            with self.transaction() as conn:
                if version == 1:
                    create = ("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY "
                              "KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
                    conn.execute(pg_ddl(create) if self.postgres else create)
                if version <= self.schema_version():
                    continue
                sql = migration.sql(postgres=self.postgres)
                if self.postgres:
                    conn.script(sql)
                else:
                    for statement in statements(sql):
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, migration.name, iso(datetime.now().astimezone())),
                )
            applied.append(version)
        return applied
