"""Query-string parameters of the queue: filters and page keys, parsed strictly, written back."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from monitor.models import PLATFORMS, Escalation, Priority
from monitor.store import QueueFilter, QueueKey

SENTIMENTS = ("negative", "neutral", "positive")
FILTER_PLATFORMS = tuple(p for p in PLATFORMS if p != "replay")
FLAGGED = {"yes": True, "no": False}


def queue_filter(query: Mapping[str, str], *, teams: list[str],
                 intents: list[str]) -> QueueFilter:
    """The filter a query string asks for; unknown values are ignored, not trusted."""

    def pick(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
        value = query.get(name)
        return value if value in allowed else None

    # (control characters such as NUL out: FTS5 cannot take them in a query)
    text = "".join(ch if ch.isprintable() else " " for ch in query.get("q", "")[:1_000])
    search = " ".join(text.split())[:200] or None
    return QueueFilter(
        platform=pick("platform", FILTER_PLATFORMS),
        intent=pick("intent", intents),
        priority=pick("priority", [p.value for p in Priority]),
        team=pick("team", teams),
        sentiment=pick("sentiment", SENTIMENTS),
        flagged=FLAGGED.get(query.get("flagged", "")),
        escalation=pick("escalation", [k.value for k in Escalation]),
        search=search,
    )


def filter_params(f: QueueFilter) -> dict[str, str]:
    """The query-string form of a filter (only what is set)."""
    out = {"platform": f.platform, "intent": f.intent, "priority": f.priority, "team": f.team,
           "sentiment": f.sentiment, "escalation": f.escalation, "q": f.search,
           "flagged": None if f.flagged is None else ("yes" if f.flagged else "no")}
    return {k: v for k, v in out.items() if v}


def filter_query(f: QueueFilter) -> str:
    """`platform=x&team=billing` for links that keep the current view."""
    return urlencode(filter_params(f))


def page_key(value: str | None) -> QueueKey | None:
    """Parse an `after`/`before` key written by `format_key`; None if it is not one."""
    if not value:
        return None
    parts = value.split("~")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        return None
    return (int(parts[0]), parts[1], int(parts[2]))


def format_key(key: QueueKey) -> str:
    """A queue key as one URL-safe query value."""
    return f"{key[0]}~{key[1]}~{key[2]}"
