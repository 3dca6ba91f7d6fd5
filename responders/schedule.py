"""When digests are due and when negative chatter is a crisis: pure rules for the daemon."""

from __future__ import annotations

import asyncio
import logging
import statistics
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import aiosmtplib

from monitor.digest import Period, digest_for
from monitor.models import iso, parse_iso
from monitor.settings import WEEKDAYS, ConfigError, Digest, Settings
from monitor.sleep import interruptible_sleep
from monitor.store import AsyncStore, Store, StoreUnavailable

log = logging.getLogger("brandbot.schedule")

# A first start long after a slot does not send that slot's digest (it would arrive late
# and out of the blue); it only remembers the slot as done.
LATE_LIMIT = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A digest to send now: which schedule, the slot it belongs to, and its period."""

    kind: str
    slot: datetime
    period: Period
    send: bool


def _at(day: datetime, hhmm: str) -> datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day.date(), time(hours, minutes), tzinfo=day.tzinfo)


def latest_slots(options: Digest, now: datetime) -> dict[str, tuple[datetime, timedelta]]:
    """The most recent daily and weekly send times at or before `now`, with their spans."""
    slots: dict[str, tuple[datetime, timedelta]] = {}
    if options.daily_at:
        slot = _at(now, options.daily_at)
        slots["daily"] = (slot if slot <= now else slot - timedelta(days=1), timedelta(days=1))
    if options.weekly_on:
        wanted = WEEKDAYS.index(options.weekly_on)
        slot = _at(now, options.weekly_at) - timedelta(days=(now.weekday() - wanted) % 7)
        slots["weekly"] = (slot if slot <= now else slot - timedelta(days=7), timedelta(days=7))
    return slots


def due_digests(options: Digest, *, now: datetime,
                last: Mapping[str, datetime | None]) -> list[DueDigest]:
    """Digests whose slot has come since the last one of their kind (at most one each).

    A daemon that was down over several slots sends only the latest; with no record at all
    (a first start), a slot more than an hour old is recorded but not sent.
    """
    due = []
    for kind, (slot, span) in latest_slots(options, now).items():
        previous = last.get(kind)
        if previous is not None and previous >= slot:
            continue
        send = previous is not None or now - slot <= LATE_LIMIT
        due.append(DueDigest(kind, slot, Period(slot - span, slot), send))
    return due


def crisis(hourly_before: Sequence[int], last_hour: int, *, z: float,
           min_count: int = 3) -> dict[str, float] | None:
    """The last hour's negative volume against the hours before it: a spike, or None."""
    if last_hour < min_count or len(hourly_before) < 6:
        return None
    mean = statistics.fmean(hourly_before)
    spread = statistics.pstdev(hourly_before) or 1.0
    score = (last_hour - mean) / spread
    if score < z:
        return None
    return {"negative": float(last_hour), "baseline": round(mean, 2), "z": round(score, 2)}


class DigestScheduler:
    """Sends scheduled digests by e-mail and crisis alerts to the webhook, each once.

    What was last sent is kept in the store (`cursors`, keys `digest:daily`, `digest:weekly`,
    `crisis:last`), so a restart neither repeats nor skips a slot.
    """

    CRISIS_QUIET = timedelta(hours=3)  # one spike, one alert: later hours of it stay quiet

    def __init__(self, settings: Settings, store: AsyncStore, *,
                 notifier: Callable[[str], Awaitable[None]] | None,
                 send: Callable[[Digest, dict[str, Any]], Awaitable[None]] | None,
                 clock: Callable[[], datetime], interval: float = 60.0) -> None:
        self.settings = settings
        self.options = settings.digest
        self.store = store
        self.notifier = notifier
        self.send = send
        self.clock = clock
        self.interval = interval
        self._failed: set[datetime] = set()

    async def run_once(self) -> None:
        """Send whatever is due now."""
        now = self.clock()
        await self._digests(now)
        if self.options.crisis_alerts and self.notifier is not None:
            await self._crisis(now)

    async def _digests(self, now: datetime) -> None:
        last = await self.store.read(lambda s: {
            kind: s.get_cursor(f"digest:{kind}") for kind in ("daily", "weekly")})
        parsed = {k: parse_iso(v) for k, v in last.items() if v}
        for due in due_digests(self.options, now=now, last=parsed):
            if due.send and self.send is not None and not await self._send(due, now):
                continue
            await self.store.write(self._record(f"digest:{due.kind}", due.slot, now))

    async def _send(self, due: DueDigest, now: datetime) -> bool:
        def build(store: Store) -> dict[str, Any]:
            return digest_for(self.settings, store, due.period, now=now)

        document = await self.store.read(build)
        assert self.send is not None
        try:
            await self.send(self.options, document)
        except (ConfigError, OSError, aiosmtplib.SMTPException) as exc:
            if due.slot not in self._failed:  # retried every tick; said once per slot
                self._failed.add(due.slot)
                log.error("the %s digest was not sent (will keep trying): %s", due.kind, exc,
                          extra={"event": "digest_failed", "kind": due.kind})
            return False
        log.info("%s digest sent to %d recipients", due.kind, len(self.options.recipients),
                 extra={"event": "digest_sent", "kind": due.kind})
        return True

    @staticmethod
    def _record(key: str, when: datetime, now: datetime) -> Callable[[Store], None]:
        def write(store: Store) -> None:
            store.set_cursor(key, iso(when) or "", now=now)

        return write

    async def _crisis(self, now: datetime) -> None:
        hour = timedelta(hours=1)
        before, last_hour, previous = await self.store.read(lambda s: (
            s.negative_per_hour(now - 25 * hour, now - hour), s.count_negative(now - hour, now),
            s.get_cursor("crisis:last")))
        hours = [f"{(now - (i + 2) * hour):%Y-%m-%dT%H}" for i in range(24)]
        alert = crisis([before.get(h, 0) for h in hours], last_hour, z=self.options.spike_z)
        if alert is None or (previous and now - parse_iso(previous) < self.CRISIS_QUIET):
            return
        assert self.notifier is not None
        text = (f":rotating_light: {self.settings.brand.name}: {last_hour} negative mentions "
                f"in the last hour (usual: {alert['baseline']}/hour, z = {alert['z']}). "
                "Open the queue and the digest to see what is happening.")
        try:
            await self.notifier(text)
        except Exception as exc:  # the webhook is down: try again on the next tick
            log.warning("crisis alert not delivered: %s", exc, extra={"event": "crisis_failed"})
            return
        await self.store.write(self._record("crisis:last", now, now))
        log.warning("crisis alert sent: %d negative mentions in the last hour", last_hour,
                    extra={"event": "crisis_alert", **alert})

    async def run(self, stop: asyncio.Event) -> None:
        """Check every `interval` until stop is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except StoreUnavailable:  # the store logs its outage; the next check tries again
                pass
            except Exception:  # a store failure must not end scheduling for good
                log.exception("digest schedule failed", extra={"event": "error"})
            await interruptible_sleep(self.interval, stop)
