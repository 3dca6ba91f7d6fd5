"""Bluesky over AT Protocol XRPC: searchPosts to listen and page back, createRecord to reply.

searchPosts has no OR (bluesky-social/social-app#1522, christopherkenny/bskyr#19: "a OR b"
finds posts with both), so every brand term is its own query with its own cursor state; one
listen() call makes one search request for one term and `has_more` walks the round. A post's
author carries no follower count, so the authors of new posts are looked up with getProfiles
(batched, cached; see bluesky_profiles.py). Replies carry facets for their mentions, links and
tags (bluesky_richtext.py) and the language they are written in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from monitor.analysis.language import detect_language
from monitor.models import Author, Mention, Page, RateLimit, iso, parse_iso, utcnow
from monitor.platforms.base import (
    AuthFailed,
    HttpResult,
    PlatformError,
    PostedReply,
    RateLimited,
    Refused,
    Unavailable,
    check_common,
    clean_text,
    http_json,
)
from monitor.platforms.bluesky_profiles import GET_PROFILES, Profiles
from monitor.platforms.bluesky_richtext import detect, facets
from monitor.settings import BlueskySource, Brand

API_ROOT = "https://bsky.social"
POST = "app.bsky.feed.post"
SEARCH = "app.bsky.feed.searchPosts"
PAGE_SIZE = 100
# The search index orders by sortAt, which lags behind for posts indexed late or written by a
# client whose clock is behind; each search reaches this far below the high-water mark.
LATE_WINDOW = timedelta(minutes=1)
SEEN_LIMIT = 200  # URIs kept per term to dedupe the overlap; beyond it a post may repeat
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
RESOLVE_HANDLE = "com.atproto.identity.resolveHandle"
HANDLES_KEPT = 1000  # handle -> DID answers remembered for replies' mention facets
_PLAIN_TERM = re.compile(r"\w[\w.'&]*")


# --- the query -------------------------------------------------------------------------------


def _term(text: str) -> str:
    """One search term: a plain word as is, anything else as a quoted phrase."""
    text = " ".join(text.replace('"', " ").split())
    return text if _PLAIN_TERM.fullmatch(text) else f'"{text}"'


def build_queries(brand: Brand) -> tuple[str, ...]:
    """One searchPosts `q` per keyword, #hashtag and @handle, each with the exclusions."""
    terms = [_term(k) for k in brand.keywords if k.strip()]
    terms += [f"#{t.strip()}" for t in brand.hashtags if t.strip()]
    terms += [f"@{h.strip().lstrip('@')}" for h in brand.handles.get("bluesky", []) if h.strip()]
    excluded = " ".join(f"-{_term(x)}" for x in brand.exclude if x.strip())
    queries = (f"{t} {excluded}".strip() for t in terms)
    return tuple(dict.fromkeys(queries))


def language_filter(brand: Brand) -> str | None:
    """The `lang` parameter: searchPosts filters on one language, so only a single one is sent."""
    return brand.languages[0] if len(brand.languages) == 1 else None


# --- normalising -----------------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    try:
        return parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        return None


def sort_time(post: Mapping[str, Any]) -> datetime | None:
    """When search places a post: the earlier of createdAt and indexedAt (the AppView's sortAt)."""
    record = post.get("record")
    created = _when(record.get("createdAt")) if isinstance(record, dict) else None
    times = [t for t in (created, _when(post.get("indexedAt"))) if t]
    return min(times) if times else None


def split_at_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, rkey) of an at://repo/collection/rkey URI."""
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or not all(parts):
        raise ValueError(f"not a record URI: {uri!r}")
    return parts[0], parts[1], parts[2]


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# record keys made from an idempotency key carry a time in the 2^38 microseconds (3.2 days)
# from here: a valid TID, the same for every attempt at one draft
_RKEY_EPOCH_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z


def record_key(idempotency_key: str) -> str:
    """The post's record key (a TID, as app.bsky.feed.post wants) for one reply: every
    attempt at the same draft asks for the same key, so a retry after a lost answer is refused
    by the PDS (the record exists) instead of posting the reply twice."""
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    micros = _RKEY_EPOCH_US + (digest >> 26) % (1 << 38)
    number = (micros << 10) | (digest & 0x3FF)
    return "".join(_TID_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(13)))


def post_url(handle: str, did: str, uri: str) -> str:
    """The bsky.app link of a post (by DID when the handle does not verify)."""
    who = did if not handle or handle == "handle.invalid" else handle
    return f"https://bsky.app/profile/{who}/post/{split_at_uri(uri)[2]}"


def _ref_uri(reply: Any, key: str) -> str | None:
    ref = reply.get(key) if isinstance(reply, dict) else None
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if isinstance(uri, str) else None


def clean_raw(data: Mapping[str, Any]) -> dict[str, Any]:
    """A platform's JSON fit to store: lone surrogates (which JSON escapes can carry and no
    database can store) replaced."""
    text = json.dumps(data, ensure_ascii=False)
    cleaned = clean_text(text)
    return dict(data) if cleaned is text else dict(json.loads(cleaned))


def normalise(post: Mapping[str, Any]) -> Mention:
    """A postView as a Mention; ValueError when the post lacks what a mention needs. Its
    author (a profileViewBasic) has no follower count: `with_reach` adds it."""
    uri, author = post.get("uri"), post.get("author")
    record = post.get("record")
    if not isinstance(uri, str) or not isinstance(author, dict) or not isinstance(record, dict):
        raise ValueError(f"post {uri!r}: missing uri, author or record")
    did, handle = author.get("did"), author.get("handle")
    if not isinstance(did, str) or not isinstance(handle, str):
        raise ValueError(f"post {uri}: author without did or handle")
    created = _when(record.get("createdAt")) or _when(post.get("indexedAt"))
    if created is None:
        raise ValueError(f"post {uri}: no readable createdAt or indexedAt")
    langs = record.get("langs")
    reply = record.get("reply")
    metrics = {name: post[key] for name, key in (
        ("replies", "replyCount"), ("reposts", "repostCount"),
        ("likes", "likeCount"), ("quotes", "quoteCount"),
    ) if isinstance(post.get(key), int)}
    text = record.get("text")
    return Mention(
        platform="bluesky",
        native_id=uri,
        author=Author(
            platform="bluesky", native_id=did, handle=handle,
            display_name=author.get("displayName") or None,
        ),
        text=clean_text(text if isinstance(text, str) else ""),
        created_at=created,
        url=post_url(handle, did, uri),
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
        in_reply_to=_ref_uri(reply, "parent"),
        conversation_id=_ref_uri(reply, "root") or uri,
        metrics=metrics,
        raw=clean_raw(post),
    )


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """RateLimit-Limit / -Remaining / -Reset (epoch seconds); None when absent."""
    def number(name: str) -> int | None:
        try:
            return int(float(headers[name]))
        except (KeyError, ValueError):
            return None

    limit, remaining, reset = (number(f"RateLimit-{n}") for n in ("Limit", "Remaining", "Reset"))
    if limit is None and remaining is None and reset is None:
        return None
    reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None else None
    return RateLimit(limit=limit, remaining=remaining, reset_at=reset_at)


def xrpc_error(result: HttpResult) -> tuple[str, str]:
    """The XRPC {"error", "message"} of a failed answer."""
    body = result.body if isinstance(result.body, dict) else {}
    return str(body.get("error") or result.status), str(body.get("message") or "")


def _token_refused(result: HttpResult) -> bool:
    return result.status in (400, 401) and xrpc_error(result)[0] in TOKEN_ERRORS


# --- the cursor ------------------------------------------------------------------------------


@dataclass(slots=True)
class Walk:
    """A search result set being read backwards, newest page first."""

    api_cursor: str
    top: datetime | None  # newest sort time returned by this walk: the next high-water mark
    fresh: dict[str, datetime] = field(default_factory=dict)  # URIs it returned, to dedupe


@dataclass(slots=True)
class TermState:
    """Where one term's search stands: the high-water mark, the URIs near it, a walk."""

    hwm: datetime | None = None
    seen: dict[str, datetime] = field(default_factory=dict)
    walk: Walk | None = None

    def since(self) -> datetime | None:
        """The lower bound of the next search (the overlap below the high-water mark)."""
        return self.hwm - LATE_WINDOW if self.hwm else None


def _newest(uris: dict[str, datetime], floor: datetime | None) -> dict[str, datetime]:
    kept = sorted(((t, u) for u, t in uris.items() if floor is None or t >= floor), reverse=True)
    return {u: t for t, u in kept[:SEEN_LIMIT]}


def advance(
    term: TermState | None, posts: list[dict[str, Any]], api_cursor: str | None
) -> tuple[list[dict[str, Any]], TermState, bool]:
    """One search page: its posts not returned before, the term's next state, and whether to
    follow the API cursor further. `term=None` is the first run: the newest page only."""
    first_run = term is None
    term = term or TermState()
    bound = term.since()
    fresh = dict(term.walk.fresh) if term.walk else {}
    top = term.walk.top if term.walk else None
    kept: list[dict[str, Any]] = []
    page: dict[str, datetime] = {}
    below = False
    for post in posts:
        at, uri = sort_time(post), post.get("uri")
        if at is None or not isinstance(uri, str):
            kept.append(post)  # cannot be placed; normalising reports it
            continue
        if bound is not None and at < bound:
            below = True  # the server ignored `since`: the walk is over
            continue
        page[uri] = at
        if uri not in term.seen and uri not in fresh:
            kept.append(post)
            top = at if top is None or at > top else top
    fresh.update(page)
    if not first_run and api_cursor and posts and not below:
        # Keep what dedupes the overlap below the next mark, and this page: an offset cursor
        # re-serves the end of it when newer posts arrive meanwhile.
        window = _newest(fresh, top - LATE_WINDOW if top else None)
        return kept, TermState(term.hwm, term.seen, Walk(api_cursor, top, {**window, **page})), True
    hwm = max((t for t in (term.hwm, top) if t is not None), default=None)
    floor = hwm - LATE_WINDOW if hwm else None
    return kept, TermState(hwm, _newest({**term.seen, **fresh}, floor)), False


def _unstamp(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None


def encode_cursor(terms: Mapping[str, TermState], next_index: int) -> str:
    """The opaque cursor: per-term state and the term the round continues with."""
    out: dict[str, Any] = {}
    for query, term in terms.items():
        item: dict[str, Any] = {
            "hwm": iso(term.hwm), "seen": {u: iso(t) for u, t in term.seen.items()},
        }
        if term.walk is not None:
            item["walk"] = {
                "cursor": term.walk.api_cursor, "top": iso(term.walk.top),
                "fresh": {u: iso(t) for u, t in term.walk.fresh.items()},
            }
        out[query] = item
    return json.dumps({"v": 1, "next": next_index, "terms": out}, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> tuple[dict[str, TermState], int]:
    """Per-term state and the next term index from a cursor (nothing for None)."""
    if cursor is None:
        return {}, 0
    try:
        data = json.loads(cursor)
    except ValueError:
        data = None
    if isinstance(data, dict) and "jetstream" in data:
        return {}, 0  # the source was switched from jetstream mode: start as a first run
    if not isinstance(data, dict) or data.get("v") != 1:
        raise ValueError(f"not a cursor of the Bluesky adapter: {cursor[:40]!r}")
    terms = {}
    for query, item in data.get("terms", {}).items():
        walk = item.get("walk")
        terms[query] = TermState(
            hwm=_unstamp(item.get("hwm")),
            seen={u: parse_iso(t) for u, t in item.get("seen", {}).items()},
            walk=Walk(
                api_cursor=walk["cursor"], top=_unstamp(walk.get("top")),
                fresh={u: parse_iso(t) for u, t in walk.get("fresh", {}).items()},
            ) if walk else None,
        )
    return terms, int(data.get("next", 0))


# --- the adapter -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Session:
    access: str
    refresh: str
    did: str
    handle: str


class BlueskyPlatform:
    """Listens with searchPosts and replies with createRecord, on one reused login session."""

    platform = "bluesky"

    def __init__(self, source: BlueskySource, brand: Brand, *,
                 environ: Mapping[str, str]) -> None:
        self.root = (source.base_url or API_ROOT).rstrip("/")
        self.timeout = source.timeout.total_seconds()
        self.queries = build_queries(brand)
        self.lang = language_filter(brand)
        self.languages = tuple(brand.languages)
        self.profiles = Profiles(self._get_profiles)
        self._dids: dict[str, str] = {}  # handle -> DID, for replies' mention facets
        self._envs = f"{source.identifier_env}/{source.app_password_env}"
        self._identifier = environ.get(source.identifier_env, "")
        self._password = environ.get(source.app_password_env, "")
        self._http: aiohttp.ClientSession | None = None
        self._session: _Session | None = None
        self._lock = asyncio.Lock()

    # -- listening

    async def listen(self, cursor: str | None) -> Page:
        terms, index = decode_cursor(cursor)
        if not self.queries:
            return Page(mentions=(), next_cursor=cursor)
        index = index if index < len(self.queries) else 0
        query = self.queries[index]
        term = terms.get(query)
        params = self._params(query)
        since = term.since() if term else None
        if since is not None:
            params["since"] = iso(since) or ""
        if term is not None and term.walk is not None:
            params["cursor"] = term.walk.api_cursor
        posts, api_cursor, rate_limit = await self._search(params)
        kept, terms[query], walking = advance(term, posts, api_cursor)
        mentions, problems = await self._mentions(kept)
        next_index = index if walking else index + 1
        has_more = walking or next_index < len(self.queries)
        current = {q: terms[q] for q in self.queries if q in terms}
        return Page(
            mentions=tuple(mentions),
            next_cursor=encode_cursor(current, next_index if has_more else 0),
            has_more=has_more, rate_limit=rate_limit, problems=tuple(problems),
        )

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """One search page between `since` and the moment the backfill began, term by term,
        newest first (searchPosts' `since` is inclusive, `until` exclusive)."""
        try:
            state = json.loads(cursor) if cursor else {}
            until = parse_iso(state["until"]) if "until" in state else utcnow()
            index, api_cursor = int(state.get("term", 0)), state.get("cursor")
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not a Bluesky backfill cursor: {exc}") from None
        if index >= len(self.queries):
            return Page(mentions=(), next_cursor=cursor)
        params = self._params(self.queries[index])
        params.update(since=iso(since) or "", until=iso(until) or "")
        if isinstance(api_cursor, str):
            params["cursor"] = api_cursor
        posts, api_cursor, rate_limit = await self._search(params)
        within = [p for p in posts if (sort_time(p) or until) >= since]
        mentions, problems = await self._mentions(within)
        # the walk of a term ends with its last page, or where the server ignored `since`
        if api_cursor is None or not posts or len(within) < len(posts):
            index, api_cursor = index + 1, None
        following = {"until": iso(until), "term": index, "cursor": api_cursor}
        return Page(mentions=tuple(mentions), next_cursor=json.dumps(following),
                    has_more=index < len(self.queries), rate_limit=rate_limit,
                    problems=tuple(problems))

    def _params(self, query: str) -> dict[str, str]:
        params = {"q": query, "sort": "latest", "limit": str(PAGE_SIZE)}
        if self.lang:
            params["lang"] = self.lang
        return params

    async def _search(self, params: dict[str, str]
                      ) -> tuple[list[dict[str, Any]], str | None, RateLimit | None]:
        """One searchPosts call: its posts, the API's cursor and the rate-limit headers."""
        result = await self._xrpc("GET", SEARCH, params=params)
        rate_limit = parse_rate_limit(result.headers)
        if result.status == 403:
            raise AuthFailed(
                f"{SEARCH}: search refused (403) for this account; check identifier_env/"
                f"app_password_env ({self._envs}) name a working account and app password"
            )
        self._check(result, rate_limit, SEARCH)
        body = result.body
        if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
            raise Unavailable(f"{SEARCH}: answer without a posts list")
        posts = [p for p in body["posts"] if isinstance(p, dict)]
        api_cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
        return posts, api_cursor, rate_limit

    async def _mentions(self, posts: list[dict[str, Any]]) -> tuple[list[Mention], list[str]]:
        """Posts as mentions, oldest first, with their authors' reach; and what was skipped."""
        mentions, problems = [], []
        for post in posts:
            try:
                mentions.append(normalise(post))
            except ValueError as exc:
                problems.append(str(exc))
        mentions = await self.with_reach(mentions)
        mentions.sort(key=lambda m: (m.created_at, m.native_id))
        return mentions, problems

    async def with_reach(self, mentions: list[Mention]) -> list[Mention]:
        """The mentions with their authors' follower counts, where getProfiles knows them."""
        found = await self.profiles.get(m.author.native_id for m in mentions)
        out = []
        for mention in mentions:
            profile = found.get(mention.author.native_id)
            if profile is not None and profile.followers is not None:
                author = dataclasses.replace(mention.author, followers=profile.followers)
                mention = dataclasses.replace(mention, author=author)
            out.append(mention)
        return out

    async def _get_profiles(self, actors: list[str]) -> HttpResult:
        return await self._xrpc("GET", GET_PROFILES, params=[("actors", a) for a in actors])

    # -- replying

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        raw = mention.raw
        viewer = raw.get("viewer")
        if isinstance(viewer, dict) and viewer.get("replyDisabled"):
            raise Refused("the author restricts who can reply to this post")
        cid, record = raw.get("cid"), raw.get("record")
        if not isinstance(cid, str) or not isinstance(record, dict):
            cid, record = await self._get_record(mention.native_id)
        parent = {"uri": mention.native_id, "cid": cid}
        reply = record.get("reply")
        root = reply.get("root") if isinstance(reply, dict) else None
        if not (isinstance(root, dict) and {"uri", "cid"} <= root.keys()):
            root = parent
        post: dict[str, Any] = {
            "$type": POST, "text": text, "createdAt": iso(utcnow()),
            "reply": {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent},
        }
        spans = detect(text)
        rich = facets(text, spans, await self._resolve_handles(
            [s.value for s in spans if s.kind == "mention"]))
        if rich:
            post["facets"] = rich
        langs = self.reply_langs(text)
        if langs:
            post["langs"] = langs
        session = await self._login()
        what = "com.atproto.repo.createRecord"
        result = await self._xrpc(
            "POST", what, json={"repo": session.did, "collection": POST, "record": post,
                                "rkey": record_key(idempotency_key)}
        )
        self._check(result, parse_rate_limit(result.headers), what)
        uri = result.body.get("uri") if isinstance(result.body, dict) else None
        if not isinstance(uri, str):
            raise Unavailable(f"{what}: answer without the new post's uri")
        return PostedReply(native_id=uri, url=post_url(session.handle, session.did, uri))

    def reply_langs(self, text: str) -> list[str]:
        """The reply's own language (`langs`): the one its text is written in, else the
        brand's when it has only one; none when neither says."""
        found = detect_language(text)
        if found is not None:
            return [found]
        return list(self.languages) if len(self.languages) == 1 else []

    async def _resolve_handles(self, handles: list[str]) -> dict[str, str]:
        """handle -> DID for the handles resolveHandle answers (a mention facet needs the DID);
        a handle that does not resolve, or a failed call, is left out."""
        found: dict[str, str] = {}
        for handle in dict.fromkeys(handles):
            did = self._dids.get(handle)
            if did is None:
                try:
                    result = await self._xrpc("GET", RESOLVE_HANDLE, params={"handle": handle})
                except PlatformError:
                    continue
                body = result.body if isinstance(result.body, dict) else {}
                did = body.get("did") if result.status == 200 else None
                if not isinstance(did, str) or not did.startswith("did:"):
                    continue
                if len(self._dids) >= HANDLES_KEPT:
                    self._dids.pop(next(iter(self._dids)))
                self._dids[handle] = did
            found[handle] = did
        return found

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        session = await self._login()
        what = "app.bsky.feed.getPostThread"
        result = await self._xrpc(
            "GET", what, params={"uri": mention.native_id, "depth": "1", "parentHeight": "0"}
        )
        if result.status == 400 and xrpc_error(result)[0] == "NotFound":
            return None
        self._check(result, parse_rate_limit(result.headers), what)
        thread = result.body.get("thread") if isinstance(result.body, dict) else None
        replies = thread.get("replies") if isinstance(thread, dict) else None
        for node in replies if isinstance(replies, list) else []:
            post = node.get("post") if isinstance(node, dict) else None
            if not isinstance(post, dict):
                continue
            author, record, uri = post.get("author"), post.get("record"), post.get("uri")
            if (isinstance(author, dict) and author.get("did") == session.did
                    and isinstance(record, dict) and record.get("text") == text
                    and isinstance(uri, str)):
                return PostedReply(native_id=uri, url=post_url(session.handle, session.did, uri))
        return None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- XRPC and the session

    @staticmethod
    def _check(result: HttpResult, rate_limit: RateLimit | None, what: str) -> None:
        """Map an error answer: the shared statuses, a token still refused, then other 4xx."""
        check_common(result, rate_limit=rate_limit, what=what)
        if result.status < 400:
            return
        error, message = xrpc_error(result)
        if error in TOKEN_ERRORS:
            raise AuthFailed(f"{what}: token refused after renewing the session ({error})")
        raise Refused(f"{what}: {error}" + (f": {message}" if message else "")
                      + f" (HTTP {result.status})")

    async def _get_record(self, uri: str) -> tuple[str, dict[str, Any]]:
        """The cid and record of a post, for a mention stored without them."""
        try:
            repo, collection, rkey = split_at_uri(uri)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        what = "com.atproto.repo.getRecord"
        result = await self._xrpc(
            "GET", what, params={"repo": repo, "collection": collection, "rkey": rkey}
        )
        self._check(result, parse_rate_limit(result.headers), what)
        body = result.body if isinstance(result.body, dict) else {}
        cid, value = body.get("cid"), body.get("value")
        if not isinstance(cid, str) or not isinstance(value, dict):
            raise Unavailable(f"{what}: answer without cid and value")
        return cid, value

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(headers={"User-Agent": "brandbot/0.1"})
        return self._http

    async def _send(self, method: str, nsid: str, token: str | None, **kwargs: Any) -> HttpResult:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await http_json(self._client(), method, f"{self.root}/xrpc/{nsid}",
                               timeout=self.timeout, headers=headers, **kwargs)

    async def _xrpc(self, method: str, nsid: str, **kwargs: Any) -> HttpResult:
        """One authenticated call; an expired access token is renewed and the call made again."""
        session = await self._login()
        result = await self._send(method, nsid, session.access, **kwargs)
        if _token_refused(result):
            session = await self._renew(session)
            result = await self._send(method, nsid, session.access, **kwargs)
        return result

    async def _login(self) -> _Session:
        """The session, created on first use only (createSession allows 30 per 5 minutes)."""
        if self._session is not None:
            return self._session
        async with self._lock:
            if self._session is None:
                self._session = await self._create_session()
            return self._session

    async def _renew(self, stale: _Session) -> _Session:
        """Refresh the session once, however many calls found it expired; log in if that fails."""
        async with self._lock:
            if self._session is not None and self._session is not stale:
                return self._session  # another call renewed it meanwhile
            fresh = await self._refresh_session(stale)
            if fresh is None:
                self._session = None
                fresh = await self._create_session()
            self._session = fresh
            return fresh

    async def _refresh_session(self, stale: _Session) -> _Session | None:
        what = "com.atproto.server.refreshSession"
        result = await self._send("POST", what, stale.refresh)
        if result.status in (400, 401):
            return None  # the refresh token expired or was revoked: log in again
        check_common(result, rate_limit=parse_rate_limit(result.headers), what=what)
        return self._parse_session(result, what, previous=stale)

    async def _create_session(self) -> _Session:
        what = "com.atproto.server.createSession"
        if not self._identifier or not self._password:
            raise AuthFailed(f"Bluesky credentials are not set; set {self._envs}")
        result = await self._send(
            "POST", what, None, json={"identifier": self._identifier, "password": self._password}
        )
        rate_limit = parse_rate_limit(result.headers)
        if result.status == 429:
            raise RateLimited(f"{what}: too many logins", reset_at=rate_limit.reset_at
                              if rate_limit else None)
        if result.status in (400, 401, 403):
            error, message = xrpc_error(result)
            raise AuthFailed(
                f"{what}: login refused ({error}: {message}); check identifier_env/"
                f"app_password_env ({self._envs})"
            )
        check_common(result, rate_limit=rate_limit, what=what)
        return self._parse_session(result, what, previous=None)

    @staticmethod
    def _parse_session(result: HttpResult, what: str, *, previous: _Session | None) -> _Session:
        body = result.body if isinstance(result.body, dict) else {}
        access, refresh = body.get("accessJwt"), body.get("refreshJwt")
        did = body.get("did") or (previous.did if previous else None)
        handle = body.get("handle") or (previous.handle if previous else None)
        if not (isinstance(access, str) and isinstance(refresh, str) and isinstance(did, str)
                and isinstance(handle, str) and access and refresh):
            raise Unavailable(f"{what}: answer without tokens, did and handle")
        return _Session(access=access, refresh=refresh, did=did, handle=handle)
