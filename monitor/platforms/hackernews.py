"""Hacker News through its Algolia search API: stories and comments, listen only."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import aiohttp

from monitor.models import Author, Mention, Page
from monitor.platforms.base import (
    PostedReply,
    Refused,
    Unavailable,
    check_common,
    clean_text,
    http_json,
)
from monitor.platforms.text import html_to_text
from monitor.settings import Brand, HackerNewsSource

PLATFORM = "hackernews"
DEFAULT_ROOT = "https://hn.algolia.com"
ITEM_URL = "https://news.ycombinator.com/item?id={}"
HITS_PER_PAGE = 100
# Algolia indexes some items late; looking this far back (minus what was already returned)
# catches them without repeating anything.
LOOKBACK = timedelta(minutes=5)
SEEN_LIMIT = 500


def _phrase(term: str) -> str:
    term = term.replace('"', "").strip()
    return f'"{term}"' if any(c.isspace() for c in term) else term


def build_query(brand: Brand) -> tuple[tuple[str, str], ...]:
    """(term, Algolia query) per keyword (else hashtag): Algolia has no OR across free text.

    HN's index uses Algolia's advanced syntax: `"phrase"` and `-word`; it cannot exclude a
    phrase, so multi-word exclusions are left to the pipeline.
    """
    terms = [t.strip() for t in (brand.keywords or brand.hashtags) if t.strip()]
    excluded = [f"-{t.strip()}" for t in brand.exclude if t.strip() and " " not in t.strip()]
    return tuple(
        (term, " ".join([_phrase(term), *excluded])) for term in dict.fromkeys(terms)
    )


@dataclass(slots=True)
class Window:
    """Paging down through more hits than one page, newest first, between fixed bounds."""

    top: int  # the newest created_at_i seen when the window opened: the next floor
    upper: int  # created_at_i <= upper while paging, so new hits cannot shift the pages
    page: int


@dataclass(slots=True)
class TermState:
    """Where one term stands: the newest created_at_i returned and what was returned near it."""

    ts: int
    low: int | None = None  # never look before the first run's oldest hit
    seen: dict[str, int] = field(default_factory=dict)  # objectID -> created_at_i
    window: Window | None = None

    def remember(self, hits: Sequence[Mapping[str, Any]]) -> None:
        """Note returned hits, bounded, keeping those a later request of this window may repeat.

        Those are this page's (the next page may shift onto them) and the ones at or below the
        floor (the lookback every request of the window includes); then the newest others.
        """
        latest = {str(h["objectID"]): int(h["created_at_i"]) for h in hits}
        floor = {k: v for k, v in self.seen.items() if v <= self.ts and k not in latest}
        others = sorted(
            ((k, v) for k, v in self.seen.items() if k not in latest and k not in floor),
            key=lambda kv: kv[1], reverse=True,
        )
        room = max(0, SEEN_LIMIT - len(latest) - len(floor))
        self.seen = {**floor, **dict(others[:room]), **latest}

    def advance(self, ts: int, *, lookback: int) -> None:
        """Move the floor up to `ts`, forgetting what can no longer come back."""
        self.ts = max(self.ts, ts)
        self.window = None
        self.seen = {k: v for k, v in self.seen.items() if v >= self.ts - lookback}
        if self.low is not None and self.low <= self.ts - lookback:
            self.low = None


def load_cursor(text: str | None) -> dict[str, TermState]:
    """Per-term states from a stored cursor; ValueError when unreadable."""
    if not text:
        return {}
    try:
        states = {}
        for term, raw in json.loads(text)["terms"].items():
            window = raw.get("window")
            states[str(term)] = TermState(
                ts=int(raw["ts"]),
                low=int(raw["low"]) if raw.get("low") is not None else None,
                seen={str(k): int(v) for k, v in raw.get("seen", {}).items()},
                window=Window(int(window["top"]), int(window["upper"]), int(window["page"]))
                if window else None,
            )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"unreadable Hacker News cursor: {exc}") from None
    return states


def dump_cursor(states: Mapping[str, TermState]) -> str:
    """The cursor as compact JSON."""
    terms = {}
    for term, state in states.items():
        raw: dict[str, Any] = {"ts": state.ts, "seen": state.seen}
        if state.low is not None:
            raw["low"] = state.low
        if state.window is not None:
            w = state.window
            raw["window"] = {"top": w.top, "upper": w.upper, "page": w.page}
        terms[term] = raw
    return json.dumps({"terms": terms}, separators=(",", ":"), sort_keys=True)


# scripts written without spaces between words: there a term is matched anywhere
_UNSPACED = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
             "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f")
# a letter or digit of a script that spaces its words
_SPACED_WORD = f"[^\\W{_UNSPACED}]"


@lru_cache(maxsize=64)
def term_pattern(term: str) -> re.Pattern[str]:
    """`term` as whole words, in order, with any spacing or punctuation between them."""
    words = term.lower().split()
    body = r"\W+".join(re.escape(word) for word in words)
    before = f"(?<!{_SPACED_WORD})" if re.match(_SPACED_WORD, words[0]) else ""
    after = f"(?!{_SPACED_WORD})" if re.match(_SPACED_WORD, words[-1][-1]) else ""
    return re.compile(before + body + after, re.IGNORECASE)


def mentions_term(hit: Mapping[str, Any], term: str) -> bool:
    """Whether the hit really names `term`, as whole words: Algolia also returns typo matches
    and takes the last query word as a prefix ("acme" finds "acmeville")."""
    if not term.split():
        return False
    fields = ("title", "story_text", "comment_text", "url")
    haystack = " ".join(html_to_text(str(hit.get(f) or "")) for f in fields)
    return term_pattern(term).search(haystack) is not None


def hit_to_mention(hit: Mapping[str, Any]) -> Mention:
    """An Algolia story or comment hit as a Mention (KeyError/TypeError/ValueError if malformed)."""
    object_id = str(hit["objectID"])
    author = str(hit["author"]) if hit.get("author") else None
    if author is None:
        raise ValueError("no author (deleted item)")
    if "comment" in (hit.get("_tags") or []) or hit.get("comment_text") is not None:
        text = html_to_text(hit.get("comment_text"))
    else:
        title, body = str(hit.get("title") or ""), html_to_text(hit.get("story_text"))
        text = f"{title}\n\n{body}" if title and body else title or body
    parent, story = hit.get("parent_id"), hit.get("story_id")
    counts = {"score": "points", "replies": "num_comments"}
    return Mention(
        platform=PLATFORM,
        native_id=object_id,
        author=Author(platform=PLATFORM, native_id=author, handle=author),
        text=clean_text(text),
        created_at=datetime.fromtimestamp(int(hit["created_at_i"]), UTC),
        url=ITEM_URL.format(object_id),
        in_reply_to=str(parent) if parent is not None else None,
        conversation_id=str(story) if story is not None else None,
        metrics={k: v for k, f in counts.items() if isinstance(v := hit.get(f), int)},
        raw={k: v for k, v in hit.items() if k != "_highlightResult"},
    )


def _valid_hits(body: Any) -> list[dict[str, Any]]:
    hits = body.get("hits") if isinstance(body, dict) else None
    if not isinstance(hits, list):
        raise Unavailable("GET /api/v1/search_by_date: no hits in the answer")
    return [
        h for h in hits
        if isinstance(h, dict) and h.get("objectID") and isinstance(h.get("created_at_i"), int)
    ]


class HackerNewsPlatform:
    """Listens to HN stories and comments through search_by_date; HN cannot be replied to."""

    platform = PLATFORM

    def __init__(self, source: HackerNewsSource, brand: Brand, *, environ: Mapping[str, str],
                 lookback: timedelta = LOOKBACK) -> None:
        self.root = (source.base_url or DEFAULT_ROOT).rstrip("/")
        self.queries = build_query(brand)
        if not self.queries:
            raise ValueError("hackernews source: the brand needs keywords (or hashtags) to search")
        self.timeout = source.timeout.total_seconds()
        self.lookback = int(lookback.total_seconds())
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "brandbot/0.1"})
        return self._session

    async def listen(self, cursor: str | None) -> Page:
        problems: list[str] = []
        try:
            states = load_cursor(cursor)
        except ValueError as exc:
            states = {}
            problems.append(f"{exc}; starting again from the newest posts")
        found: dict[str, Mention] = {}
        next_states: dict[str, TermState] = {}
        has_more = False
        for term, query in self.queries:
            hits, state, more = await self._term_page(term, query, states.get(term), problems)
            has_more |= more
            if state is not None:
                next_states[term] = state
            _collect(hits, term, found, problems)
        mentions = sorted(found.values(), key=lambda m: (m.created_at, int(m.native_id)))
        return Page(mentions=tuple(mentions), next_cursor=dump_cursor(next_states),
                    has_more=has_more, problems=tuple(problems))

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """search_by_date for one term at a time between fixed bounds, page after page, from
        the moment the backfill began back to `since`."""
        try:
            state = json.loads(cursor) if cursor else {
                "term": 0, "page": 0, "upper": int(datetime.now(UTC).timestamp())}
            index, page_no, upper = int(state["term"]), int(state["page"]), int(state["upper"])
            term, query = self.queries[index]
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ValueError(f"not a Hacker News backfill cursor: {exc}") from None
        what = "GET /api/v1/search_by_date"
        result = await http_json(self._client(), "GET", f"{self.root}/api/v1/search_by_date",
                                 timeout=self.timeout, params={
                                     "query": query, "tags": "(story,comment)",
                                     "hitsPerPage": str(HITS_PER_PAGE), "page": str(page_no),
                                     "numericFilters": f"created_at_i>={int(since.timestamp())},"
                                                       f"created_at_i<={upper}"})
        check_common(result, rate_limit=None, what=what)
        if result.status >= 400:
            raise Unavailable(f"{what}: unexpected {result.status}")
        hits, body = _valid_hits(result.body), result.body
        found: dict[str, Mention] = {}
        problems: list[str] = []
        _collect(hits, term, found, problems)
        pages = _int(body.get("nbPages"))
        beyond = _int(body.get("nbHits")) > pages * _int(body.get("hitsPerPage"), HITS_PER_PAGE)
        if page_no + 1 < pages:
            page_no += 1
        elif beyond and hits:  # Algolia serves 1000 hits per query: lower the upper bound
            oldest = min(h["created_at_i"] for h in hits)
            upper, page_no = (oldest if oldest < upper else upper - 1), 0
        else:
            index, page_no, upper = index + 1, 0, int(state.get("start", upper))
        state = {"term": index, "page": page_no, "upper": upper,
                 "start": int(state.get("start", state["upper"]))}
        mentions = sorted(found.values(), key=lambda m: (m.created_at, int(m.native_id)))
        return Page(mentions=tuple(mentions), next_cursor=json.dumps(state),
                    has_more=index < len(self.queries), problems=tuple(problems))

    async def _term_page(
        self, term: str, query: str, state: TermState | None, problems: list[str]
    ) -> tuple[list[dict[str, Any]], TermState | None, bool]:
        """One search for a term: the hits not returned before, the term's new state, more?"""
        window = state.window if state else None
        params = {"query": query, "tags": "(story,comment)", "hitsPerPage": str(HITS_PER_PAGE),
                  "page": str(window.page if window else 0)}
        if state is not None:
            lower = max(state.ts - self.lookback, state.low or 0)
            bounds = [f"created_at_i>={lower}"]
            if window:
                bounds.append(f"created_at_i<={window.upper}")
            params["numericFilters"] = ",".join(bounds)
        what = "GET /api/v1/search_by_date"
        result = await http_json(self._client(), "GET", f"{self.root}/api/v1/search_by_date",
                                 timeout=self.timeout, params=params)
        check_common(result, rate_limit=None, what=what)
        if result.status >= 400:
            message = result.body.get("message") if isinstance(result.body, dict) else None
            raise Unavailable(f"{what}: unexpected {result.status}: {message or 'no reason'}")
        hits, body = _valid_hits(result.body), result.body
        newest = max((h["created_at_i"] for h in hits), default=None)
        if state is None:  # first run: the newest page only
            if newest is None:
                return [], None, False
            # a full first page hides older hits: they predate us, so never look below it
            full = _int(body.get("nbPages")) > 1
            first = TermState(ts=newest, low=min(h["created_at_i"] for h in hits) if full else None)
            first.remember(hits)
            first.advance(newest, lookback=self.lookback)
            return hits, first, False
        fresh = [h for h in hits if str(h["objectID"]) not in state.seen]
        state.remember(hits)
        pages = _int(body.get("nbPages"))
        beyond = _int(body.get("nbHits")) > pages * _int(body.get("hitsPerPage"), HITS_PER_PAGE)
        if window is None:
            if pages <= 1:
                state.advance(newest if newest is not None else state.ts, lookback=self.lookback)
                return fresh, state, False
            top = max(newest or state.ts, state.ts)
            state.window = Window(top=top, upper=top, page=1)
            return fresh, state, True
        if window.page + 1 < pages:
            window.page += 1
            return fresh, state, True
        if beyond and hits:
            # Algolia serves at most 1000 hits per query: narrow the window to go further
            oldest = min(h["created_at_i"] for h in hits)
            if oldest >= window.upper:
                problems.append(f"{term!r}: more than {pages * HITS_PER_PAGE} items in the second "
                                f"{window.upper}; some of them were skipped")
                oldest = window.upper - 1
            window.upper, window.page = oldest, 0
            return fresh, state, True
        state.advance(window.top, lookback=self.lookback)
        return fresh, state, False

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        raise Refused("Hacker News has no write API; reply on the site yourself")

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _collect(hits: Sequence[Mapping[str, Any]], term: str, found: dict[str, Mention],
             problems: list[str]) -> None:
    """Add the hits that really mention `term` to `found`, noting those that cannot be read."""
    for hit in hits:
        object_id = str(hit["objectID"])
        if object_id in found or not mentions_term(hit, term):
            continue
        try:
            found[object_id] = hit_to_mention(hit)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"item {object_id}: cannot read it ({exc})")


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
