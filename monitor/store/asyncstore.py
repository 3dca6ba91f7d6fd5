"""The store for async code: one writer thread, a few reader threads, each its own connection."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from monitor.models import (
    iso,
    utcnow,
)
from monitor.store.database import Store
from monitor.store.dialect import is_postgres, unavailable
from monitor.store.errors import StoreUnavailable

T = TypeVar("T")

log = logging.getLogger("brandbot.store")


@dataclass(slots=True)
class StoreHealth:
    """Whether reads and writes are getting through, for /healthz and /metrics.

    An outage starts with the first read or write the database refuses, and ends once each
    kind that failed has gone through again (SQLite on a full disk refuses writes alone)."""

    failing_since: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # reads and writes refused since the process started
    outage_failures: int = 0  # of those, the ones in the outage under way (or the last)
    failing: set[str] = field(default_factory=set)  # "read", "write"
    outages: int = 0  # begun since the process started

    @property
    def up(self) -> bool:
        """Whether the database takes this process's reads and writes now."""
        return self.failing_since is None

    def failed(self, kind: str, error: str, now: datetime) -> bool:
        """Count a refused read or write; True when it starts an outage."""
        started = self.failing_since is None
        if started:
            self.failing_since = now
            self.outage_failures = 0
            self.outages += 1
        self.failing.add(kind)
        self.failures += 1
        self.outage_failures += 1
        self.last_error = error
        return started

    def succeeded(self, kind: str, *, began: int) -> bool:
        """Note a read or write that went through; True when it ends the outage. `began`:
        `outages` when it was sent; one sent before the outage began proves nothing."""
        if self.failing_since is None or began != self.outages:
            return False
        self.failing.discard(kind)
        if self.failing:
            return False
        self.failing_since = None
        return True

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for /healthz."""
        return {"state": "failing" if self.failing_since else "ok",
                "failing_since": iso(self.failing_since), "failing": sorted(self.failing),
                "last_error": self.last_error, "failures": self.failures}


def _said(exc: BaseException) -> str:
    """A driver's error on one line (psycopg's connection errors span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


class AsyncStore:
    """The store for async code: one writer thread, a few reader threads, each its own conn."""

    def __init__(self, target: str | Path, *, readers: int = 2,
                 busy_timeout: float = 30.0) -> None:
        self.target = target
        self.postgres = is_postgres(target)
        self.busy_timeout = busy_timeout
        self.health = StoreHealth()
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._reader_pool = ThreadPoolExecutor(readers, thread_name_prefix="store-reader")
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self._writer: Store | None = None

    async def open(self) -> AsyncStore:
        """Open the writer connection (running migrations) on the writer thread."""
        loop = asyncio.get_running_loop()
        self._writer = await loop.run_in_executor(
            self._writer_pool, lambda: Store(self.target, busy_timeout=self.busy_timeout))
        return self

    def _reader(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.target, migrate=False, busy_timeout=self.busy_timeout)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    async def write(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on the writer thread; StoreUnavailable when the database cannot
        take it now (the transaction was rolled back, so nothing of it was kept)."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("AsyncStore.open() was not awaited")
        began = self.health.outages
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._writer_pool, fn, writer
            )
        except Exception as exc:
            if not unavailable(exc):
                raise
            if writer.postgres and writer.conn.raw.closed:  # the server went away: reconnect
                await asyncio.get_running_loop().run_in_executor(
                    self._writer_pool, self._reopen_writer)
            refused = StoreUnavailable(f"the database refused a write: {_said(exc)}")
            self._failed("write", refused)
            raise refused from exc
        self._succeeded("write", began)
        return result

    def _failed(self, kind: str, exc: StoreUnavailable) -> None:
        """Count a refused read or write; the first of an outage is logged, the rest only
        counted (every caller backs off and tries again, so an outage is one line)."""
        if self.health.failed(kind, str(exc), utcnow()):
            log.error("the store is unavailable: %s; work waits and is retried (logged again "
                      "when the store is back)", exc,
                      extra={"event": "store_unavailable", "error": str(exc)})

    def _succeeded(self, kind: str, began: int) -> None:
        health = self.health
        since = health.failing_since
        if since is not None and health.succeeded(kind, began=began):
            seconds = (utcnow() - since).total_seconds()
            log.warning("the store is back after %.0fs; %d reads and writes failed meanwhile",
                        seconds, health.outage_failures,
                        extra={"event": "store_recovered", "outage_s": round(seconds, 1),
                               "failures": health.outage_failures})

    def _reopen_writer(self) -> None:
        try:
            self._writer = Store(self.target, migrate=False, busy_timeout=self.busy_timeout)
        except Exception as exc:  # still away: the next write tries again
            if not unavailable(exc):
                raise

    async def read(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on a reader thread with its own connection; StoreUnavailable when
        the database cannot answer now (away, or refusing connections)."""
        began = self.health.outages
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._reader_pool, lambda: self._read(fn))
        except StoreUnavailable as exc:
            self._failed("read", exc)
            raise
        self._succeeded("read", began)
        return result

    def _read(self, fn: Callable[[Store], T]) -> T:
        try:
            return fn(self._reader())  # connecting may fail too: the server is away
        except Exception as exc:
            if not unavailable(exc):
                raise
            stale: Store | None = getattr(self._local, "store", None)
            if stale is not None and stale.postgres and stale.conn.raw.closed:
                self._local.store = None  # this thread reconnects on its next read
                with self._lock:
                    self._stores.remove(stale)
            raise StoreUnavailable(f"the database refused a read: {_said(exc)}") from exc

    async def close(self) -> None:
        """Finish queued work and close every connection."""
        if self._writer is not None:
            await self.write(lambda s: s.close())
            self._writer = None
        self._writer_pool.shutdown(wait=True)
        self._reader_pool.shutdown(wait=True)
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
