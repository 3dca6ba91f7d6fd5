"""Bluesky's Jetstream firehose as a source: every public post, matched against the brand here.

Jetstream (`wss://jetstream{1,2}.us-{east,west}.bsky.network/subscribe`) sends each event as
one JSON text message: `{"did", "time_us", "kind": "commit", "commit": {"rev", "operation",
"collection", "rkey", "record", "cid"}}`, filtered by `wantedCollections` (identity and account
events come whatever the filter). It has no keyword filter, so each message is checked here: a
cheap look at the raw text first, then the brand's own term matcher on the posts that pass.
Delivery is at-least-once; repeats are dropped here (recent ones) and by the store (all).

The cursor is the last event's position. Jetstream v1 has only `time_us`, which is sent back
rewound a few seconds on reconnecting; the 2026 rewrite (v2) keeps the URLs and the payload and
adds `cursor`, an opaque sequence number of one instance, which is kept and sent back as given
(to the same instance only; another gets the rewound time).

`listen()` reads one stretch of the stream from a websocket kept open between calls and
returns after `PAGE_POSTS` matched posts, `PAGE_EVENTS` events (`has_more`: a backlog is being
read, come straight back), or once the stream is caught up (quiet, or `window` seconds): the
poller then waits its interval while the stream waits in the socket. Handles and follower
counts come from getProfiles (batched, cached); a post whose author cannot be looked up keeps
its DID as handle. Replies, reconciling and backfill go through the search adapter (they need
the Bluesky login).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from yarl import URL

from monitor.analysis.terms import BrandTerms, TermMatcher
from monitor.models import Author, Mention, Page, parse_iso, utcnow
from monitor.platforms.base import (
    HttpResult,
    PostedReply,
    RateLimited,
    Unavailable,
    clean_text,
    http_json,
)
from monitor.platforms.bluesky import POST, BlueskyPlatform, clean_raw, post_url
from monitor.platforms.bluesky_profiles import GET_PROFILES, Profile, Profiles
from monitor.settings import BlueskySource, Brand

PUBLIC_API = "https://public.api.bsky.app"  # the AppView that answers without a login
PAGE_POSTS = 100  # matched posts per page at most
PAGE_EVENTS = 20_000  # events scanned per page at most: a backlog comes in pages this long
WINDOW = 2.0  # seconds one listen() may wait for the stream
QUIET = 0.25  # a stream silent this long (once it has sent something) is caught up
STALE = 90.0  # a connection that sent nothing for this long is replaced
REWIND_US = 5_000_000  # a time_us cursor is rewound this far on reconnecting (reordering)
MAX_MESSAGE = 1_000_000  # maxMessageSizeBytes: the server skips larger events
SEEN = 5_000  # post URIs remembered to drop repeats without asking the store
FUTURE_SLACK = timedelta(minutes=10)  # createdAt this far past the event is not believed


# --- the cursor ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    """Where in one Jetstream instance's stream a page ended."""

    instance: str  # the jetstream_url it was read from (a v2 cursor means nothing elsewhere)
    time_us: int | None = None
    cursor: int | str | None = None  # v2's opaque cursor, as the server sent it

    def dumps(self) -> str:
        data: dict[str, Any] = {"jetstream": 1, "at": self.instance, "time_us": self.time_us}
        if self.cursor is not None:
            data["cursor"] = self.cursor
        return json.dumps(data, separators=(",", ":"))

    def resume_from(self, instance: str) -> str | None:
        """The `cursor` parameter that resumes after this position on `instance`: the
        server's own cursor as given, else the time rewound (repeats are dropped)."""
        if self.cursor is not None and self.instance == instance:
            return str(self.cursor)
        if self.time_us is not None:
            return str(max(0, self.time_us - REWIND_US))
        return None


def _server_cursor(value: Any) -> int | str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    if isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable():
        return value
    return None


def _time_us(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) \
        and 0 < value < 2**63 else None


def load_position(cursor: str | None) -> Position | None:
    """The position a stored cursor names; None for none, or for another mode's cursor."""
    if cursor is None:
        return None
    try:
        data = json.loads(cursor)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("jetstream") != 1:
        return None
    instance = data.get("at")
    return Position(instance=instance if isinstance(instance, str) else "",
                    time_us=_time_us(data.get("time_us")),
                    cursor=_server_cursor(data.get("cursor")))


def position_of(event: Mapping[str, Any], instance: str) -> Position | None:
    """An event's position, or None when it carries none."""
    time_us, cursor = _time_us(event.get("time_us")), _server_cursor(event.get("cursor"))
    if time_us is None and cursor is None:
        return None
    return Position(instance, time_us, cursor)


# --- matching --------------------------------------------------------------------------------


def _needle(term: str) -> str:
    """The longest run of letters and digits of a term: a substring any text containing the
    term contains, whatever JSON did to its punctuation."""
    runs, run = [], []
    for char in term.lower():
        if char.isalnum():
            run.append(char)
        elif run:
            runs.append("".join(run))
            run = []
    if run:
        runs.append("".join(run))
    return max(runs, key=len) if runs else term.lower()


class FirehoseFilter:
    """Which firehose posts are about the brand: its keywords, #hashtags and Bluesky @handles,
    none of its exclusions, as the analysis matches them (`TermMatcher`).

    `might_match` looks at the raw message only (a lower-cased substring test): a message it
    refuses cannot match, so most of the firehose is never parsed.
    """

    def __init__(self, brand: Brand) -> None:
        handles = tuple(h.strip().lstrip("@") for h in brand.handles.get("bluesky", [])
                        if h.strip())
        self.terms = BrandTerms(name=brand.name, keywords=tuple(brand.keywords),
                                hashtags=tuple(brand.hashtags), handles=handles,
                                exclude=tuple(brand.exclude))
        self.matcher = TermMatcher(self.terms)
        self.tags = frozenset(t.lower() for t in brand.hashtags)
        words = [*brand.keywords, *brand.hashtags, *handles]
        self.needles = tuple(dict.fromkeys(_needle(w) for w in words if w.strip()))
        # a JSON encoder may write letters beyond ASCII as \\u escapes
        self.escaped = any(not n.isascii() for n in self.needles)

    def might_match(self, raw: str) -> bool:
        """False only for a message that cannot hold a matching post."""
        lowered = raw.lower()
        return any(n in lowered for n in self.needles) or (self.escaped and "\\u" in raw)

    def matches(self, text: str, tags: Any = None) -> bool:
        """Whether a post with this text (and these extra tags) is about the brand."""
        if self.matcher.excluded(text):
            return False
        if self.matcher.matched(text):
            return True
        return isinstance(tags, list) and any(
            isinstance(t, str) and t.lower().lstrip("#") in self.tags for t in tags)

    def post_event(self, raw: str) -> dict[str, Any] | None:
        """The event of a message that creates a post about the brand, else None; raises
        ValueError (or RecursionError) for a message that passed the first look and is not
        JSON (or is nested too deep to read)."""
        if not self.might_match(raw):
            return None
        event = json.loads(raw)
        found = new_post(event)
        if found is None:
            return None
        text = found[2].get("text")
        if not isinstance(text, str) or not self.matches(text, found[2].get("tags")):
            return None
        return event  # type: ignore[no-any-return]


def new_post(event: Any) -> tuple[str, str, dict[str, Any], str | None] | None:
    """(did, at:// URI, record, cid) of an event that creates a post; None for anything else
    (identity and account events, updates, deletes, other collections)."""
    if not isinstance(event, dict) or event.get("kind") != "commit":
        return None
    commit, did = event.get("commit"), event.get("did")
    if not isinstance(commit, dict) or not isinstance(did, str) or not did.startswith("did:") \
            or len(did) > 2048 or "/" in did or not did.isprintable() or " " in did:
        return None
    if commit.get("operation") != "create" or commit.get("collection") != POST:
        return None
    rkey, record, cid = commit.get("rkey"), commit.get("record"), commit.get("cid")
    if not isinstance(rkey, str) or not 0 < len(rkey) <= 512 or "/" in rkey \
            or not rkey.isprintable() or not isinstance(record, dict):
        return None
    return did, f"at://{did}/{POST}/{rkey}", record, cid if isinstance(cid, str) else None


def _event_time(event: Mapping[str, Any]) -> datetime:
    time_us = _time_us(event.get("time_us"))
    try:
        return datetime.fromtimestamp(time_us / 1e6, UTC) if time_us else utcnow()
    except (OverflowError, OSError, ValueError):
        return utcnow()


def _ref_uri(reply: Any, key: str) -> str | None:
    ref = reply.get(key) if isinstance(reply, dict) else None
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if isinstance(uri, str) else None


def event_mention(event: Mapping[str, Any], profile: Profile | None) -> Mention:
    """A post-creating event as a Mention (author by `profile`, else by DID)."""
    found = new_post(event)
    if found is None:
        raise ValueError("not a new post")
    did, uri, record, cid = found
    seen_at = _event_time(event)
    stamp = record.get("createdAt")
    try:
        created = parse_iso(stamp) if isinstance(stamp, str) and len(stamp) < 64 else seen_at
    except (ValueError, OverflowError):
        created = seen_at
    if created > seen_at + FUTURE_SLACK:
        created = seen_at  # a clock far ahead: when Jetstream saw it is closer to the truth
    handle = profile.handle if profile is not None and profile.handle else did
    langs, reply, text = record.get("langs"), record.get("reply"), record.get("text")
    return Mention(
        platform="bluesky",
        native_id=uri,
        author=Author(platform="bluesky", native_id=did, handle=handle,
                      display_name=profile.display_name if profile else None,
                      followers=profile.followers if profile else None),
        text=clean_text(text if isinstance(text, str) else ""),
        created_at=created,
        url=post_url(handle, did, uri),
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str)
        and len(langs[0]) <= 20 else None,
        in_reply_to=_ref_uri(reply, "parent"),
        conversation_id=_ref_uri(reply, "root") or uri,
        raw=clean_raw({"uri": uri, "cid": cid, "record": record,
                       "author": {"did": did, "handle": handle},
                       "time_us": event.get("time_us")}),
    )


# --- the adapter -----------------------------------------------------------------------------


class JetstreamPlatform:
    """Listens on Jetstream; replies, reconciles and pages back through the search adapter."""

    platform = "bluesky"

    def __init__(self, source: BlueskySource, brand: Brand, *, environ: Mapping[str, str],
                 window: float = WINDOW, quiet: float = QUIET) -> None:
        self.instance = source.jetstream_url
        self.search = BlueskyPlatform(source, brand, environ=environ)
        self.filter = FirehoseFilter(brand)
        self.lookup_root = (source.public_api_url or source.base_url or PUBLIC_API).rstrip("/")
        self.timeout = source.timeout.total_seconds()
        self.window, self.quiet = window, quiet
        self.profiles = Profiles(self._get_profiles)
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._at: str | None = None  # the cursor the open connection continues from
        self._heard = 0.0  # loop time of the last message
        self._seen: OrderedDict[str, None] = OrderedDict()

    # -- listening

    async def listen(self, cursor: str | None) -> Page:
        loop = asyncio.get_running_loop()
        position = load_position(cursor)
        problems = []
        if cursor is not None and position is None:
            problems.append("the stored cursor is not a Jetstream position (another mode's?): "
                            "listening from the live stream")
        if cursor != self._at:
            # the poller went back (a page it could not store): what was served after this
            # cursor was never kept, so it must be served again
            self._seen.clear()
        ws = self._ws
        if ws is None or ws.closed or cursor != self._at \
                or loop.time() - self._heard > STALE:
            ws = await self._connect(position)
            self._at = cursor
        last = position
        events: list[dict[str, Any]] = []
        scanned, more, dropped = 0, False, False
        deadline = loop.time() + self.window
        last_raw: str | None = None
        while True:
            wait = deadline - loop.time()
            if scanned:
                wait = min(wait, self.quiet)
            if wait <= 0:
                break
            try:
                message = await ws.receive(timeout=wait)
            except TimeoutError:
                break  # caught up
            if message.type is aiohttp.WSMsgType.TEXT:
                raw: str = message.data
                scanned += 1
                last_raw = raw
                self._heard = loop.time()
                event = self._about_brand(raw, problems)
                if event is not None:
                    events.append(event)
                if len(events) >= PAGE_POSTS or scanned >= PAGE_EVENTS:
                    more = True
                    break
            elif message.type is aiohttp.WSMsgType.BINARY:
                scanned += 1
                problems.append("a binary (compressed?) message: skipped")
            else:  # closed, or an error closed it
                dropped = True
                break
        if last_raw is not None:
            end = self._position(last_raw) or next(
                (p for e in reversed(events) if (p := position_of(e, self.instance))), None)
            last = end or last
        if dropped:
            await self._disconnect()
            if not scanned:
                raise Unavailable("Jetstream closed the connection")
            more = True  # resume at once, from this page's cursor
        mentions, skipped = await self._mentions(events)
        problems += skipped
        # (another mode's cursor is dropped: it would only be reported again)
        next_cursor = last.dumps() if last is not None else None
        self._at = next_cursor
        return Page(mentions=tuple(mentions), next_cursor=next_cursor, has_more=more,
                    problems=tuple(problems))

    def _about_brand(self, raw: str, problems: list[str]) -> dict[str, Any] | None:
        """The event of a message that creates a post about the brand, not seen lately."""
        try:
            event = self.filter.post_event(raw)
        except (ValueError, RecursionError):
            problems.append("an event that is not JSON (or nested past reason): skipped")
            return None
        if event is None:
            return None
        uri = f"at://{event['did']}/{POST}/{event['commit']['rkey']}"
        if uri in self._seen:
            return None  # delivered again (at-least-once, or a rewound cursor)
        self._seen[uri] = None
        if len(self._seen) > SEEN:
            self._seen.popitem(last=False)
        return event

    def _position(self, raw: str) -> Position | None:
        try:
            event = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return position_of(event, self.instance) if isinstance(event, dict) else None

    async def _mentions(self, events: list[dict[str, Any]]) -> tuple[list[Mention], list[str]]:
        profiles = await self.profiles.get(str(e["did"]) for e in events)
        mentions, problems = [], []
        for event in events:
            try:
                mentions.append(event_mention(event, profiles.get(str(event["did"]))))
            except (ValueError, TypeError) as exc:
                problems.append(f"event at {event.get('time_us')!r}: {exc}")
        mentions.sort(key=lambda m: (m.created_at, m.native_id))
        return mentions, problems

    async def _connect(self, position: Position | None) -> aiohttp.ClientWebSocketResponse:
        """A new subscription, resuming after `position` (the live stream for None)."""
        await self._disconnect()
        params = [("wantedCollections", POST), ("maxMessageSizeBytes", str(MAX_MESSAGE))]
        resume = position.resume_from(self.instance) if position is not None else None
        if resume is not None:
            params.append(("cursor", resume))
        what = f"Jetstream {URL(self.instance).host}"
        try:
            ws = await self._client().ws_connect(
                URL(self.instance).update_query(params), autoping=True,
                max_msg_size=2 * MAX_MESSAGE,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=self.timeout),
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 429:
                raise RateLimited(f"{what}: too many connections", reset_at=None) from None
            raise Unavailable(f"{what}: refused the subscription ({exc.status})") from None
        except TimeoutError:
            raise Unavailable(f"{what}: no answer within {self.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise Unavailable(f"{what}: {type(exc).__name__}") from None
        self._ws = ws
        self._heard = asyncio.get_running_loop().time()
        return ws

    async def _disconnect(self) -> None:
        if self._ws is not None:
            ws, self._ws = self._ws, None
            await ws.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                headers={"User-Agent": "brandbot/0.1"},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout))
        return self._http

    async def _get_profiles(self, actors: list[str]) -> HttpResult:
        """getProfiles without a login, from the public AppView (or base_url's stand-in)."""
        return await http_json(self._client(), "GET",
                               f"{self.lookup_root}/xrpc/{GET_PROFILES}",
                               timeout=self.timeout, params=[("actors", a) for a in actors])

    # -- replying and paging back: the search adapter's, with its login

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        return await self.search.reply(mention, text, idempotency_key=idempotency_key)

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        return await self.search.find_reply(mention, text)

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        return await self.search.history(cursor, since=since)

    async def close(self) -> None:
        await self._disconnect()
        if self._http is not None:
            await self._http.close()
            self._http = None
        await self.search.close()

