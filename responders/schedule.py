"""When digests are due and when negative chatter is a crisis: pure rules for the daemon."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from monitor.digest import Period
from monitor.settings import Digest

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
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
        wanted = _WEEKDAYS.index(options.weekly_on)
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
