"""Jinja2 filters for the pages: times, durations, counts, and links we are willing to follow."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.models import parse_iso, web_link


def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else parse_iso(value)


def when(value: str | datetime | None) -> str:
    """`18 Nov 2026 07:15 UTC`."""
    dt = _parse(value)
    return dt.strftime("%d %b %Y %H:%M UTC") if dt else ""


def short(value: str | datetime | None) -> str:
    """`18 Nov 07:15`."""
    dt = _parse(value)
    return dt.strftime("%d %b %H:%M") if dt else ""


def span(seconds: float) -> str:
    """A duration as a person says it: `45s`, `25m`, `3h 10m`, `2d 4h`."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def due(value: str | datetime | None, now: datetime) -> str:
    """An SLA due time relative to now: `in 25m` or `3h 10m overdue`."""
    dt = _parse(value)
    if dt is None:
        return "no SLA"
    delta = (dt - now).total_seconds()
    return f"in {span(delta)}" if delta >= 0 else f"{span(delta)} overdue"


def overdue(value: str | datetime | None, now: datetime) -> bool:
    """Whether an SLA due time has passed."""
    dt = _parse(value)
    return dt is not None and dt < now


def ago(value: str | datetime | None, now: datetime) -> str:
    """`5m ago`."""
    dt = _parse(value)
    return f"{span((now - dt).total_seconds())} ago" if dt else ""


def thousands(value: int | None) -> str:
    """`12,345`, or an empty string for None."""
    return "" if value is None else f"{value:,}"


def detail(value: str | None) -> str:
    """An audit row's JSON detail as `reason: spam · case_id: 5`."""
    if not value:
        return ""
    try:
        data = json.loads(value)
    except ValueError:
        return value
    if not isinstance(data, dict):
        return value
    return " · ".join(f"{k}: {v}" for k, v in data.items())


FILTERS: dict[str, Callable[..., Any]] = {
    "when": when, "short": short, "due": due, "overdue": overdue, "ago": ago,
    "thousands": thousands, "web_link": web_link, "span": span, "detail": detail,
}
