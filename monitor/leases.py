"""Replicas share the sources: each source is polled by the one replica holding its lease.

Several `brandbot run` processes on one PostgreSQL database each run a `LeaseKeeper`. It takes
the leases nobody holds, renews its own every `ttl / 3`, and gives them up on a clean stop. A
replica that dies stops renewing: its leases expire after `ttl` and the next keeper to look
takes them over, so a dead replica's sources resume elsewhere within `ttl + ttl / 3`. The
daemon's clock (SLA notifications, follow-ups, digests) is leased the same way.

Leases make the work efficient, not correct: if two replicas ever poll one source at once
(a replica paused past its lease), the store still keeps each mention once, and the publisher's
row locks still post each reply once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from monitor.store import AsyncStore, Store

log = logging.getLogger("brandbot.leases")

# The lease on the daemon's clock (SLA notifications, follow-ups, digests, crisis alerts):
# one replica at a time runs it, so nothing is sent twice.
CLOCK_LEASE = "@clock"


def replica_name() -> str:
    """This process's name as a lease holder: the machine's name ($BRANDBOT_REPLICA_NAME,
    else the host name), the pid and a random suffix."""
    machine = os.environ.get("BRANDBOT_REPLICA_NAME") or socket.gethostname()
    return f"{machine}:{os.getpid()}:{secrets.token_hex(3)}"


def exited(holder: str, me: str) -> bool:
    """Whether `holder` ran on this machine (same name as `me`) and has exited: a daemon
    restarted after a crash takes its sources back at once instead of waiting out its own
    old leases. A holder on another machine is only ever known dead by its lease lapsing."""
    machine, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if machine != me.partition(":")[0] or not pid.isdigit() or holder == me:
        return False
    if int(pid) == os.getpid():  # an earlier life of this process's pid (a container restart)
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class LeaseKeeper:
    """Takes, renews and releases this replica's leases on a set of sources."""

    def __init__(self, store: AsyncStore, sources: list[str], *, holder: str,
                 ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.sources = list(sources)
        self.holder = holder
        self.ttl = ttl
        self.clock = clock
        self.held: set[str] = set()
        self._gained = {k: asyncio.Event() for k in self.sources}
        self._lost = {k: asyncio.Event() for k in self.sources}
        for event in self._lost.values():
            event.set()

    def set_sources(self, sources: list[str]) -> None:
        """Lease these sources from now on (a reload added or removed some); leases on the
        ones dropped are no longer renewed and lapse."""
        for source in sources:
            if source not in self._gained:
                self._gained[source] = asyncio.Event()
                self._lost[source] = asyncio.Event()
                self._lost[source].set()
        for source in set(self.sources) - set(sources):
            self.held.discard(source)
        self.sources = list(sources)

    def holds(self, source: str) -> bool:
        """Whether this replica holds `source` now."""
        return source in self.held

    async def renew(self) -> None:
        """One round: try every source; note what was gained and lost."""
        now = self.clock()
        for source in self.sources:
            try:
                got = await self.store.write(partial(
                    Store.acquire_lease, source=source, holder=self.holder, now=now,
                    ttl=self.ttl, take_over=partial(exited, me=self.holder)))
            except Exception:  # the database is away: keep nothing we cannot renew
                log.exception("could not renew the lease on %s", source,
                              extra={"source": source, "event": "lease_error"})
                got = False
            if got and source not in self.held:
                self.held.add(source)
                self._lost[source].clear()
                self._gained[source].set()
                log.info("this replica now polls %s", source,
                         extra={"source": source, "event": "lease_acquired",
                                "holder": self.holder})
            elif not got and source in self.held:
                self.held.discard(source)
                self._gained[source].clear()
                self._lost[source].set()
                log.warning("another replica polls %s now", source,
                            extra={"source": source, "event": "lease_lost"})

    async def run(self, stop: asyncio.Event) -> None:
        """Renew every ttl/3 until stop; then release every lease so others take over now."""
        try:
            while not stop.is_set():
                await self.renew()
                try:
                    await asyncio.wait_for(stop.wait(), self.ttl.total_seconds() / 3)
                except TimeoutError:
                    pass
        finally:
            self.held.clear()
            for source in self.sources:
                self._gained[source].clear()
                self._lost[source].set()
            try:
                await self.store.write(lambda s: s.release_leases(self.holder))
            except Exception:  # noqa: BLE001 - leases expire anyway
                log.warning("could not release leases; they expire in %ss",
                            int(self.ttl.total_seconds()), extra={"event": "lease_error"})

    async def run_source(self, source: str, stop: asyncio.Event,
                         work: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
                         on_standby: Callable[[], None]) -> None:
        """Run `work(inner_stop)` for `source` while this replica holds its lease.

        When the lease goes, `inner_stop` is set: the work finishes the page in hand and
        returns, and this waits for the lease to come back. `on_standby` is called whenever
        the source is with another replica (for /healthz).
        """
        while not stop.is_set():
            if not self.holds(source):
                on_standby()
                waiter = asyncio.create_task(self._gained[source].wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
                continue
            inner = asyncio.Event()
            task = asyncio.create_task(work(inner))
            watchers = {asyncio.create_task(self._lost[source].wait()),
                        asyncio.create_task(stop.wait())}
            await asyncio.wait({task, *watchers}, return_when=asyncio.FIRST_COMPLETED)
            inner.set()
            for watcher in watchers:
                watcher.cancel()
            await task
            if self.holds(source) and not stop.is_set():
                return  # the work ended by itself (a parked source): nothing to resume
