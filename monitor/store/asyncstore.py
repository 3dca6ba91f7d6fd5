"""The store for async code: one writer thread, a few reader threads, each its own connection."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


@dataclass(slots=True)
class StoreHealth:
    """Whether writes are getting through, for /healthz."""

    failing_since: datetime | None = None
    last_error: str | None = None
    failures: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for /healthz."""
        return {"state": "failing" if self.failing_since else "ok",
                "failing_since": iso(self.failing_since), "last_error": self.last_error,
                "failures": self.failures}


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
            if self.health.failing_since is None:
                self.health.failing_since = utcnow()
            self.health.failures += 1
            self.health.last_error = str(exc)
            raise StoreUnavailable(f"the database refused a write: {exc}") from exc
        self.health.failing_since = None
        return result

    def _reopen_writer(self) -> None:
        try:
            self._writer = Store(self.target, migrate=False, busy_timeout=self.busy_timeout)
        except Exception as exc:  # still away: the next write tries again
            if not unavailable(exc):
                raise

    async def read(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on a reader thread with its own connection."""
        return await asyncio.get_running_loop().run_in_executor(
            self._reader_pool, lambda: self._read(fn)
        )

    def _read(self, fn: Callable[[Store], T]) -> T:
        store = self._reader()
        try:
            return fn(store)
        except Exception as exc:
            if not unavailable(exc):
                raise
            if store.postgres and store.conn.raw.closed:
                self._local.store = None  # this thread reconnects on its next read
            raise StoreUnavailable(f"the database refused a read: {exc}") from exc

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
