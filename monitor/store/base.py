"""The store's foundation: one connection (SQLite or PostgreSQL), its write transactions and
its migrations, and the small helpers every domain's SQL uses.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from monitor.models import (
    iso,
    parse_iso,
    redact_url,
)
from monitor.store.dialect import PgConnection, is_postgres, pg_ddl, sqlite_path
from monitor.store.errors import CannotOpen, SchemaTooNew, StoreError
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


@cache
def build_version() -> str:
    """This build's version (the installed package's), recorded with each migration it applies."""
    try:
        return metadata.version("brandbot")
    except metadata.PackageNotFoundError:
        return "unknown"


def _cannot_open(target: str, exc: Exception) -> CannotOpen:
    """One line for an operator on why the database at `target` cannot be opened."""
    if isinstance(exc, FileExistsError):  # its folder is a file
        reason = f"{exc.filename} is not a folder"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    else:
        reason = " ".join(str(exc).split())  # psycopg's messages run over several lines
    if is_postgres(target):
        return CannotOpen(f"cannot open the PostgreSQL database {redact_url(target)}: {reason}")
    where = isinstance(exc, OSError) or "open" in reason or "readonly" in reason
    return CannotOpen(f"cannot open the SQLite database {sqlite_path(target)}: {reason}" + (
        " (its folder must exist and be writable by this user; [storage] url or "
        "$BRANDBOT_STORAGE_URL names it)" if where else ""))


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


def _opening_failure(exc: Exception) -> bool:
    """Whether opening a store failed for a reason outside the code: the file system, the
    database file, the server (refused, away, permissions)."""
    if isinstance(exc, OSError | sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


class StoreBase:
    """brandbot's database (SQLite or PostgreSQL): one connection, one thread at a time.

    Each domain module adds its reads and writes as a mixin (see `monitor.store.database`).
    """

    def __init__(self, target: str | Path, *, migrate: bool = True,
                 busy_timeout: float = 30.0) -> None:
        """Open `target`: a `postgresql://` URL, or a `sqlite:///` URL or SQLite file path.
        `busy_timeout`: how long a write waits for another's lock before it fails.

        CannotOpen when the file or server cannot be opened (or migrated); SchemaTooNew when
        a newer build has migrated it."""
        self.url = str(target)
        self.postgres = is_postgres(target)
        self.conn: Any = None
        self.path: Path | None = None
        try:
            self._connect(busy_timeout)
            if migrate:
                self.migrate()
        except StoreError:
            self._discard()
            raise
        except Exception as exc:
            self._discard()
            if not _opening_failure(exc):
                raise
            raise _cannot_open(self.url, exc) from exc

    def _discard(self) -> None:
        """Close what a failed open left open."""
        if self.conn is not None:
            self.conn.close()

    def _connect(self, busy_timeout: float) -> None:
        if self.postgres:
            self.conn = PgConnection(self.url)
            self.conn.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
        else:
            self.path = sqlite_path(self.url)
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
            # the work every write transaction ends with (search rows: store/search.py)
            before_commit = getattr(self, "_before_commit", None)
            if before_commit is not None:
                before_commit()
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

    def refuse_newer_schema(self) -> None:
        """SchemaTooNew when a newer build has migrated this database: this build must
        neither read nor write it."""
        version = self.schema_version()
        if version <= len(MIGRATIONS):
            return
        by = None
        if self._records_build():
            row = self.conn.execute("SELECT build FROM migrations WHERE version = ?",
                                    (version,)).fetchone()
            by = row[0] if row else None
        raise SchemaTooNew(
            f"{redact_url(self.url)} is at schema version {version}, newer than this build "
            f"knows: brandbot {build_version()} knows schema versions up to {len(MIGRATIONS)}"
            + (f" (version {version} was applied by brandbot {by})" if by else "")
            + "; run a build at least as new as the one that migrated it")

    def _records_build(self) -> bool:
        """Whether the migrations table has its `build` column yet."""
        if self.postgres:
            sql = ("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                   "current_schema() AND table_name = 'migrations' AND column_name = 'build'")
        else:
            sql = "SELECT 1 FROM pragma_table_info('migrations') WHERE name = 'build'"
        return self.conn.execute(sql).fetchone() is not None

    def migrate(self, *, up_to: int | None = None) -> list[int]:
        """Apply every migration not yet applied (or those up to number `up_to`); return
        their numbers. Safe when several replicas start at once: each migration runs in the
        write transaction. Refuses (SchemaTooNew) a database a newer build has migrated.

        Each migration's row records the build that applied it, once the table has that
        column (from migration "builds recorded" on)."""
        self.refuse_newer_schema()
        applied: list[int] = []
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
                if self._records_build():
                    ours = [*applied, version]
                    conn.execute(f"UPDATE migrations SET build = ? WHERE build IS NULL AND "
                                 f"version IN ({qmarks(len(ours))})", (build_version(), *ours))
            applied.append(version)
        return applied
