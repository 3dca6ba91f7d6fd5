"""Replicas share the sources: each source is polled by the one replica holding its lease.

Several `brandbot run` processes on one PostgreSQL database each run a `LeaseKeeper`. Every
`ttl / 3` it records that its replica is alive (a heartbeat, good for `ttl`), renews its own
leases, and gives them all up on a clean stop. A replica that dies stops renewing: its
leases expire after `ttl` and the next keeper to look takes them over, so a dead replica's
sources resume elsewhere within `ttl + ttl / 3`. The daemon's clock (SLA notifications,
follow-ups, digests) is leased too, to whoever asks first.

The sources are shared out: a replica's share is ceil(sources / live replicas). A keeper
takes a free source while it holds fewer than its share, and at renewal hands over what it
holds beyond its share, as far as other live replicas have room under theirs: first its
poller stores the page in hand (the cursor with it), then the lease is freed, and a replica
below its share takes the source at its next renewal, resuming from the stored cursor. So
that nothing moves back and forth, a source stays at least `ttl` with the replica that took
it, and nobody takes a source only to be over its share; a free source that nobody below
their share takes for `ttl / 2` (a replica that joined and died, or runs another config) is
taken by any replica, which then gives nothing away while the same replicas are alive.

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
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from monitor.models import iso
from monitor.reloads import process_alive
from monitor.store import AsyncStore, Store, StoreUnavailable

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
    return not process_alive(int(pid))


def fair_share(sources: int, replicas: int) -> int:
    """The most sources one of `replicas` keeps while another has room: rounded up, so the
    shares always cover every source."""
    return -(-sources // max(replicas, 1))


@dataclass(frozen=True, slots=True)
class ReplicaView:
    """How the sources were shared out at this replica's last renewal (for /healthz and
    /metrics): the sources each live replica holds, this one's share, the clock's holder."""

    me: str
    share: int
    sources: tuple[str, ...]
    holdings: Mapping[str, tuple[str, ...]]
    clock: str | None
    at: datetime

    @property
    def held(self) -> tuple[str, ...]:
        """The sources this replica polls."""
        return self.holdings.get(self.me, ())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for /healthz."""
        return {"replica": self.me, "share": self.share, "holds": list(self.held),
                "replicas": {name: list(held) for name, held in sorted(self.holdings.items())},
                "clock": self.clock, "as_of": iso(self.at)}


@dataclass(frozen=True, slots=True)
class _Round:
    """One renewal's decisions: the leases to claim (renew or take) and to hand over."""

    claims: list[str]
    releases: list[str]
    share: int
    others: dict[str, tuple[str, ...]]  # every other live replica's sources
    owners: dict[str, str]  # source -> its holder, for the unexpired leases


class LeaseKeeper:
    """Takes, renews, shares out and releases this replica's leases on a set of sources."""

    def __init__(self, store: AsyncStore, sources: list[str], *, holder: str,
                 ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.sources = list(sources)
        self.holder = holder
        self.ttl = ttl
        self.clock = clock
        self.held: set[str] = set()
        self.view: ReplicaView | None = None
        self._gained = {k: asyncio.Event() for k in self.sources}
        self._lost = {k: asyncio.Event() for k in self.sources}
        self._idle = {k: asyncio.Event() for k in self.sources}  # no work running on it
        for event in [*self._lost.values(), *self._idle.values()]:
            event.set()
        self._since: dict[str, datetime] = {}  # when this replica took each source it holds
        self._free_since: dict[str, datetime] = {}  # when it first saw each source free
        # After taking a source nobody below their share took, give nothing away while these
        # same replicas are alive (one of them does not take its share).
        self._keep_while: frozenset[str] | None = None
        self._live: frozenset[str] = frozenset()  # the live replicas at the last renewal

    def set_sources(self, sources: list[str]) -> None:
        """Lease these sources from now on (a reload added or removed some); leases on the
        ones dropped are no longer renewed and lapse."""
        for source in sources:
            if source not in self._gained:
                self._gained[source] = asyncio.Event()
                self._lost[source] = asyncio.Event()
                self._lost[source].set()
                self._idle[source] = asyncio.Event()
                self._idle[source].set()
        for source in set(self.sources) - set(sources):
            self.held.discard(source)
            self._since.pop(source, None)
        self.sources = list(sources)

    def holds(self, source: str) -> bool:
        """Whether this replica holds `source` now."""
        return source in self.held

    async def renew(self) -> None:
        """One round: say this replica is alive, renew its leases, take free sources up to
        its share, hand over what it holds beyond it; note what was gained and lost."""
        now = self.clock()
        plan: _Round | None = None
        try:
            await self.store.write(partial(Store.heartbeat, name=self.holder, now=now,
                                           ttl=self.ttl))
            beating, rows = await self.store.read(lambda s: (s.replicas(now=now), s.leases()))
        except StoreUnavailable:  # the database is away: every lease is tried, as below
            pass
        except Exception:  # a bug: still renew every lease
            log.exception("could not read the replicas", extra={"event": "lease_error"})
        else:
            plan = self._plan(now, beating, rows)
        for source in self.sources if plan is None else plan.claims:
            try:
                got = await self.store.write(partial(
                    Store.acquire_lease, source=source, holder=self.holder, now=now,
                    ttl=self.ttl, take_over=partial(exited, me=self.holder)))
            except StoreUnavailable:
                # The database is away (the store logs the outage, once). Nothing can be
                # polled without it, so what this replica holds stands until a renewal goes
                # through: if another replica took a source meanwhile, that one says so.
                continue
            except Exception:  # a bug: keep nothing we cannot renew
                log.exception("could not renew the lease on %s", source,
                              extra={"source": source, "event": "lease_error"})
                got = False
            if got and source not in self.held:
                self.held.add(source)
                self._since[source] = now
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
        if plan is not None:
            await asyncio.gather(*(self._hand_over(s, plan.share) for s in plan.releases))
            balanced = tuple(s for s in self.sources if s != CLOCK_LEASE)
            self.view = ReplicaView(
                me=self.holder, share=plan.share, sources=balanced,
                holdings=plan.others | {self.holder: tuple(s for s in balanced
                                                           if s in self.held)},
                clock=self.holder if CLOCK_LEASE in self.held else plan.owners.get(CLOCK_LEASE),
                at=now)

    def _plan(self, now: datetime, beating: list[str], rows: list[dict[str, Any]]) -> _Round:
        """This round's claims and hand-overs, from the live replicas and the leases."""
        at = iso(now) or ""
        owners = {r["source"]: r["holder"] for r in rows
                  if r["expires_at"] > at and not exited(r["holder"], self.holder)}
        # A holder with a live lease is alive even without a heartbeat (an older build).
        live = frozenset({self.holder, *owners.values(),
                          *(name for name in beating if not exited(name, self.holder))})
        balanced = [s for s in self.sources if s != CLOCK_LEASE]
        share = fair_share(len(balanced), len(live))
        if live != self._live:
            joined, quiet = sorted(live - self._live - {self.holder}), sorted(self._live - live)
            if joined or quiet:
                log.info("replicas alive: %d (joined: %s; gone quiet: %s); a share is %d "
                         "sources", len(live), ", ".join(joined) or "none",
                         ", ".join(quiet) or "none", share,
                         extra={"event": "replicas_changed", "replica": self.holder,
                                "joined": joined, "quiet": quiet, "share": share})
            self._live = live
        mine = [s for s in balanced if s in self.held]
        free = [s for s in balanced
                if s not in self.held and owners.get(s, self.holder) == self.holder]
        self._free_since = {s: self._free_since.get(s, now) for s in free}
        overdue = {s for s in free if now - self._free_since[s] >= self.ttl / 2}
        takes: list[str] = []
        for source in free:
            if len(mine) + len(takes) < share or source in overdue:
                takes.append(source)
        if overdue & set(takes):
            self._keep_while = live
        others = {name: tuple(s for s in balanced if owners.get(s) == name)
                  for name in live if name != self.holder}
        releases: list[str] = []
        excess = len(mine) + len(takes) - share
        if excess > 0 and live != self._keep_while:
            room = sum(max(0, share - len(held)) for held in others.values())
            # The latest taken go first; a source stays at least a lease period where it is.
            settled = [s for s in mine if now - self._since[s] >= self.ttl]
            settled.sort(key=lambda s: (self._since[s], balanced.index(s)), reverse=True)
            releases = settled[:min(excess, room)]
        claims = [s for s in self.sources if s == CLOCK_LEASE or s in takes
                  or (s in self.held and s not in releases)]
        return _Round(claims=claims, releases=releases, share=share, others=others,
                      owners=owners)

    async def _hand_over(self, source: str, share: int) -> None:
        """Stop polling `source`, let its work store the page in hand (and the cursor with
        it), then free its lease for a replica below its share."""
        self.held.discard(source)
        self._since.pop(source, None)
        self._gained[source].clear()
        self._lost[source].set()
        log.info("handing %s over to another replica: this one holds more than its share "
                 "(%d)", source, share,
                 extra={"source": source, "event": "lease_released", "share": share})
        try:
            await asyncio.wait_for(self._idle[source].wait(), self.ttl.total_seconds() / 6)
            await self.store.write(partial(Store.release_lease, source=source,
                                           holder=self.holder))
        except (TimeoutError, StoreUnavailable):  # a long page in hand, or the database away
            log.info("the lease on %s lapses in %ss instead", source,
                     int(self.ttl.total_seconds()),
                     extra={"source": source, "event": "lease_release_delayed"})
        except Exception:  # a bug: the lease lapses, and this replica carries on
            log.exception("could not release the lease on %s", source,
                          extra={"source": source, "event": "lease_error"})

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
            self._idle[source].clear()
            try:
                task = asyncio.create_task(work(inner))
                watchers = {asyncio.create_task(self._lost[source].wait()),
                            asyncio.create_task(stop.wait())}
                await asyncio.wait({task, *watchers}, return_when=asyncio.FIRST_COMPLETED)
                inner.set()
                for watcher in watchers:
                    watcher.cancel()
                await task
            finally:
                self._idle[source].set()  # the page in hand is stored: the lease may go
            if self.holds(source) and not stop.is_set():
                return  # the work ended by itself (a parked source): nothing to resume
