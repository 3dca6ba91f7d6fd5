"""Threads (Meta's Graph API at graph.threads.net): keyword search to listen, a media container
published to reply.

`/keyword_search` takes one term and no OR: every brand keyword (search_mode KEYWORD) and
hashtag (search_mode TAG, a Threads topic tag) is its own RECENT search with its own state; one
listen() call makes one request and `has_more` walks the round. An account may send 2,200
searches in a rolling 24 hours (those finding nothing are free), whatever the app.

A reply takes two requests: `POST /me/threads` makes a container, `POST /me/threads_publish`
publishes it (a third reads its permalink). Only the second posts anything, so a crash between
them leaves an unpublished container (harmless); a crash after it is reconciled by
`find_reply`, which reads our own replies (`GET /me/replies`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn

import aiohttp

from monitor.models import Author, Mention, Page, RateLimit, iso, parse_iso, utcnow
from monitor.platforms.base import (
    AuthFailed,
    HttpResult,
    PlatformError,
    PostedReply,
    RateLimited,
    Refused,
    Unavailable,
    clean_text,
    http_json,
)
from monitor.settings import Brand, ThreadsSource

PLATFORM = "threads"
API_ROOT = "https://graph.threads.net"
VERSION = "v1.0"
PAGE_SIZE = 100  # the most keyword_search and the user edges serve per request
# Each search reaches this far below the newest post seen: `since` is whole seconds, and a post
# may be indexed a little after its timestamp.
OVERLAP = timedelta(minutes=2)
SEEN_LIMIT = 200  # ids kept per term to drop the overlap's repeats
FIELDS = ("id,text,media_type,permalink,timestamp,username,has_replies,is_quote_post,"
          "is_reply,replied_to,root_post")
REPLY_FIELDS = "id,text,timestamp,permalink,username,replied_to"
FIND_PAGES = 5  # pages of our own replies read when looking for one
EARLIEST_SINCE = 1_688_540_400  # the API refuses an older `since` (Threads' launch)
# Graph API error codes (the `code` of {"error": {...}})
RATE_CODES = frozenset({4, 17, 32, 341, 613})  # and 80001-80099, business use case limits
TOKEN_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({1, 2})
SEARCH_PERMISSION = "threads_keyword_search"
PUBLISH_PERMISSION = "threads_content_publish and threads_manage_replies"
READ_PERMISSION = "threads_read_replies"

Mode = Literal["KEYWORD", "TAG"]


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Search:
    """One keyword_search request's term and mode."""

    q: str
    mode: Mode

    @property
    def key(self) -> str:
        return f"{self.mode}:{self.q}"


def build_searches(brand: Brand) -> tuple[Search, ...]:
    """One search per brand keyword (KEYWORD mode) and per hashtag (TAG mode, without `#`).

    Exclusions and languages are the pipeline's to apply: the search has no operators for them.
    """
    def first_of_each(terms: list[str]) -> list[str]:
        found: dict[str, str] = {}
        for term in (t.strip().lstrip("#") for t in terms):
            if term:
                found.setdefault(term.lower(), term)
        return list(found.values())

    return (*(Search(k, "KEYWORD") for k in first_of_each(brand.keywords)),
            *(Search(t, "TAG") for t in first_of_each(brand.hashtags)))


# --- normalising -----------------------------------------------------------------------------


def media_time(media: Mapping[str, Any]) -> datetime | None:
    """The post's `timestamp` ("2023-10-17T05:42:03+0000"), None when absent or unreadable."""
    value = media.get("timestamp")
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except (ValueError, OverflowError):
        return None


def _ref(media: Mapping[str, Any], key: str) -> str | None:
    ref = media.get(key)
    value = ref.get("id") if isinstance(ref, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def media_id(media: Mapping[str, Any]) -> str | None:
    """The media's id as a string (Graph ids are numeric strings), None when unusable."""
    value = media.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value):
        return None
    return str(value)


def normalise(media: Mapping[str, Any]) -> Mention:
    """A Threads media object as a Mention; ValueError when it lacks what a mention needs.

    Search leaves out the `owner` field, so the author is known by username only.
    """
    native_id, username = media_id(media), media.get("username")
    if native_id is None:
        raise ValueError(f"media {str(media.get('id'))[:40]!r}: no usable id")
    if not isinstance(username, str) or not username:
        raise ValueError(f"media {native_id}: no username")
    created = media_time(media)
    if created is None:
        raise ValueError(f"media {native_id}: no readable timestamp")
    text, permalink = media.get("text"), media.get("permalink")
    text = clean_text(text) if isinstance(text, str) else ""
    return Mention(
        platform=PLATFORM,
        native_id=native_id,
        author=Author(platform=PLATFORM, native_id=username, handle=username),
        text=text,
        created_at=created,
        url=permalink if isinstance(permalink, str) else None,
        in_reply_to=_ref(media, "replied_to"),
        conversation_id=_ref(media, "root_post") or native_id,
        # the raw post keeps the cleaned text too, so a lone surrogate does not hold it back
        raw={**media, "text": text} if "text" in media else dict(media),
    )


def same_text(posted: Any, text: str) -> bool:
    """Whether a posted reply's text is `text`, whitespace aside."""
    return isinstance(posted, str) and posted.split() == text.split()


# --- rate limits and errors ------------------------------------------------------------------


def _usage(value: str | None) -> Any:
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def _percent(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < 1e6 else None


def parse_rate_limit(headers: Mapping[str, str], *, now: datetime) -> RateLimit | None:
    """What the Graph API's usage headers say, in percent: `limit` 100, `remaining` what is left
    of the most used of call count, CPU time and total time. `X-App-Usage` is
    {"call_count", "total_cputime", "total_time"}; `X-Business-Use-Case-Usage` maps an id to a
    list of such objects, with `estimated_time_to_regain_access` in minutes once throttled,
    which gives `reset_at`. None when neither header is there."""
    meters: list[Mapping[str, Any]] = []
    app = _usage(headers.get("X-App-Usage"))
    if isinstance(app, dict):
        meters.append(app)
    buc = _usage(headers.get("X-Business-Use-Case-Usage"))
    if isinstance(buc, dict):
        for entries in buc.values():
            if isinstance(entries, list):
                meters += [e for e in entries if isinstance(e, dict)]
    if not meters:
        return None
    used = [p for m in meters for k in ("call_count", "total_cputime", "total_time")
            if (p := _percent(m.get(k))) is not None]
    waits = [p for m in meters if (p := _percent(m.get("estimated_time_to_regain_access")))]
    most = max(used, default=0.0)
    return RateLimit(limit=100, remaining=max(0, 100 - int(most)),
                     reset_at=now + timedelta(minutes=max(waits)) if waits else None)


@dataclass(frozen=True, slots=True)
class GraphError:
    """The {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}} of an answer."""

    status: int
    code: int | None
    subcode: int | None
    message: str
    transient: bool = False

    @classmethod
    def of(cls, result: HttpResult) -> GraphError | None:
        """The error an answer carries (None for a success)."""
        body = result.body if isinstance(result.body, dict) else {}
        error = body.get("error")
        if result.status < 400 and not isinstance(error, dict):
            return None
        error = error if isinstance(error, dict) else {}

        def number(key: str) -> int | None:
            value = error.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        message = error.get("message")
        return cls(result.status, number("code"), number("error_subcode"),
                   " ".join(str(message).split())[:300] if message else f"HTTP {result.status}",
                   transient=error.get("is_transient") is True)

    def __str__(self) -> str:
        code = f"code {self.code}" + (f"/{self.subcode}" if self.subcode else "") \
            if self.code is not None else ""
        return f"{self.message} ({', '.join(filter(None, [f'HTTP {self.status}', code]))})"

    @property
    def rate_limited(self) -> bool:
        code = self.code or 0
        return self.status == 429 or code in RATE_CODES or 80001 <= code <= 80099

    @property
    def permission_missing(self) -> bool:
        return self.code == 10 or (self.code is not None and 200 <= self.code <= 299)

    @property
    def token_refused(self) -> bool:
        return self.code in TOKEN_CODES or self.status == 401


# --- the cursor ------------------------------------------------------------------------------


@dataclass(slots=True)
class TermState:
    """Where one search stands: the newest post time seen and the ids near it; during a walk
    down the results, the API's `after` cursor, the newest time the walk returned, and the ids
    it returned near that time or on its last page (an offset cursor serves the end of a page
    again when newer posts arrive meanwhile)."""

    hwm: datetime | None = None
    seen: dict[str, datetime] = field(default_factory=dict)
    after: str | None = None
    top: datetime | None = None
    fresh: dict[str, datetime] = field(default_factory=dict)

    def since(self) -> datetime | None:
        """The lower bound of the next search."""
        return self.hwm - OVERLAP if self.hwm else None


def _newest(ids: Mapping[str, datetime], floor: datetime | None) -> dict[str, datetime]:
    kept = sorted(((t, i) for i, t in ids.items() if floor is None or t >= floor), reverse=True)
    return {i: t for t, i in kept[:SEEN_LIMIT]}


def advance(term: TermState | None, posts: list[dict[str, Any]], after: str | None, *,
            now: datetime) -> tuple[list[dict[str, Any]], TermState, bool]:
    """One search page (newest first): its posts not returned before, the term's next state,
    and whether to follow `after` further. `term=None` is a first run: the newest page only,
    and the mark at its newest post (or now, when it found none).

    A timestamp from the future counts as now for the mark, so it cannot lift it past posts
    still to come.
    """
    first_run = term is None
    term = term or TermState()
    bound = term.since()
    top = term.top
    kept: list[dict[str, Any]] = []
    page: dict[str, datetime] = {}
    below = False
    for post in posts:
        native_id, at = media_id(post), media_time(post)
        if native_id is None or at is None:
            kept.append(post)  # cannot be placed; normalising reports it
            continue
        if bound is not None and at < bound:
            below = True  # the server ignored `since`: nothing further down is new
            continue
        if native_id not in term.seen and native_id not in term.fresh and native_id not in page:
            kept.append(post)
            top = min(at, now) if top is None or at > top else top
        page[native_id] = at
    if not first_run and after and posts and not below:
        near_top = _newest({**term.fresh, **page}, top - OVERLAP if top else None)
        return kept, TermState(term.hwm, term.seen, after, top, {**near_top, **page}), True
    hwm = max((t for t in (term.hwm, top) if t is not None), default=None)
    if first_run and hwm is None:
        hwm = now
    seen = _newest({**term.seen, **term.fresh, **page}, hwm - OVERLAP if hwm else None)
    return kept, TermState(hwm, seen), False


def encode_cursor(terms: Mapping[str, TermState], next_index: int) -> str:
    """The opaque cursor: per-search state and the search the round continues with."""
    out: dict[str, Any] = {}
    for key, term in terms.items():
        item: dict[str, Any] = {"hwm": iso(term.hwm),
                                "seen": {i: iso(t) for i, t in term.seen.items()}}
        if term.after is not None:
            item.update(after=term.after, top=iso(term.top),
                        fresh={i: iso(t) for i, t in term.fresh.items()})
        out[key] = item
    return json.dumps({"v": 1, "next": next_index, "terms": out}, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> tuple[dict[str, TermState], int]:
    """Per-search state and the next search's index; ValueError for a cursor not ours."""
    if cursor is None:
        return {}, 0
    try:
        data = json.loads(cursor)
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("not a Threads cursor")
        terms = {}
        for key, item in data["terms"].items():
            top, hwm = item.get("top"), item.get("hwm")
            terms[str(key)] = TermState(
                hwm=parse_iso(hwm) if hwm else None,
                seen={str(i): parse_iso(t) for i, t in item.get("seen", {}).items()},
                after=str(item["after"]) if item.get("after") else None,
                top=parse_iso(top) if top else None,
                fresh={str(i): parse_iso(t) for i, t in item.get("fresh", {}).items()},
            )
        return terms, int(data.get("next", 0))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"unreadable Threads cursor ({exc})") from None


def next_after(body: Mapping[str, Any]) -> str | None:
    """The `after` cursor of a page that has a next one (`paging.next` set), else None."""
    paging = body.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None


def _unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


# --- the adapter -----------------------------------------------------------------------------


class ThreadsPlatform:
    """Listens with keyword_search and replies with a published container, on one token."""

    platform = PLATFORM

    def __init__(self, source: ThreadsSource, brand: Brand, *,
                 environ: Mapping[str, str]) -> None:
        self.root = f"{(source.base_url or API_ROOT).rstrip('/')}/{VERSION}"
        self.timeout = source.timeout.total_seconds()
        self.searches = build_searches(brand)
        self._env = source.access_token_env
        self._token = environ.get(source.access_token_env, "")
        self._session: aiohttp.ClientSession | None = None

    # -- listening

    async def listen(self, cursor: str | None) -> Page:
        problems: list[str] = []
        try:
            terms, index = decode_cursor(cursor)
        except ValueError as exc:
            terms, index = {}, 0
            problems.append(f"{exc}; starting again from the newest posts")
        if not self.searches:
            return Page(mentions=(), next_cursor=cursor, problems=tuple(problems))
        index = index if index < len(self.searches) else 0
        search = self.searches[index]
        term = terms.get(search.key)
        posts, after, rate_limit = await self._search(
            search, since=term.since() if term else None,
            after=term.after if term is not None else None)
        kept, terms[search.key], walking = advance(term, posts, after, now=utcnow())
        mentions = self._mentions(kept, problems)
        next_index = index if walking else index + 1
        has_more = walking or next_index < len(self.searches)
        current = {s.key: terms[s.key] for s in self.searches if s.key in terms}
        return Page(mentions=mentions,
                    next_cursor=encode_cursor(current, next_index if has_more else 0),
                    has_more=has_more, rate_limit=rate_limit, problems=tuple(problems))

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """Every search's posts from `since` to now, walked down with the API's cursor, one
        request per call; the cursor ({"i": search, "after": ...}) is this walk's own."""
        try:
            state = json.loads(cursor) if cursor else {}
            index, after = int(state.get("i", 0)), state.get("after")
        except (ValueError, TypeError, AttributeError):
            index, after = 0, None
        if index >= len(self.searches):
            return Page(mentions=(), next_cursor=None)
        posts, after, rate_limit = await self._search(
            self.searches[index], since=since, after=after if isinstance(after, str) else None)
        problems: list[str] = []
        mentions = self._mentions(posts, problems)
        walk: dict[str, Any] = {"i": index, "after": after} if after and posts else {
            "i": index + 1}
        return Page(mentions=mentions, next_cursor=json.dumps(walk),
                    has_more=int(walk["i"]) < len(self.searches), rate_limit=rate_limit,
                    problems=tuple(problems))

    async def _search(self, search: Search, *, since: datetime | None, after: str | None
                      ) -> tuple[list[dict[str, Any]], str | None, RateLimit | None]:
        """One keyword_search request (RECENT, newest first): its posts, the `after` cursor
        of the next page if there is one, and the usage headers."""
        params = {"q": search.q, "search_type": "RECENT", "search_mode": search.mode,
                  "fields": FIELDS, "limit": str(PAGE_SIZE)}
        if since is not None:
            params["since"] = _unix(max(since, datetime.fromtimestamp(EARLIEST_SINCE, UTC)))
        if after is not None:
            params["after"] = after
        what = f"GET /{VERSION}/keyword_search {search.mode} {search.q[:60]!r}"
        result, rate_limit = await self._call("GET", "/keyword_search", what, params=params,
                                              permission=SEARCH_PERMISSION)
        body = result.body if isinstance(result.body, dict) else {}
        if not isinstance(body.get("data"), list):
            raise Unavailable(f"{what}: answer without a data list")
        return [p for p in body["data"] if isinstance(p, dict)], next_after(body), rate_limit

    @staticmethod
    def _mentions(posts: list[dict[str, Any]], problems: list[str]) -> tuple[Mention, ...]:
        """The posts as mentions, oldest first; what cannot be read goes to `problems`."""
        mentions = []
        for post in posts:
            try:
                mentions.append(normalise(post))
            except ValueError as exc:
                problems.append(str(exc))
        mentions.sort(key=lambda m: (m.created_at, len(m.native_id), m.native_id))
        return tuple(mentions)

    # -- replying

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        """Create a TEXT container replying to the mention, then publish it. Threads has no
        idempotency key: a second attempt after an unknown outcome is for `find_reply` to
        settle first (the publisher does)."""
        what = f"POST /{VERSION}/me/threads"
        result, _ = await self._call(
            "POST", "/me/threads", what, write=True, permission=PUBLISH_PERMISSION,
            data={"media_type": "TEXT", "text": text, "reply_to_id": mention.native_id},
        )
        container = media_id(result.body) if isinstance(result.body, dict) else None
        if container is None:
            raise Unavailable(f"{what}: answer without the container's id")
        what = f"POST /{VERSION}/me/threads_publish"
        result, _ = await self._call("POST", "/me/threads_publish", what, write=True,
                                     permission=PUBLISH_PERMISSION,
                                     params={"creation_id": container})
        published = media_id(result.body) if isinstance(result.body, dict) else None
        if published is None:
            raise Unavailable(f"{what}: answer without the published media's id")
        return PostedReply(native_id=published, url=await self._permalink(published))

    async def _permalink(self, native_id: str) -> str | None:
        """The published reply's link; the reply stands without it, so a failure is None."""
        try:
            result, _ = await self._call("GET", f"/{native_id}", f"GET /{VERSION}/{{media-id}}",
                                         params={"fields": "id,permalink"},
                                         permission="threads_basic")
        except PlatformError:
            return None
        link = result.body.get("permalink") if isinstance(result.body, dict) else None
        return link if isinstance(link, str) else None

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        """Our reply with this text to this mention, among our own replies since the mention
        was posted (newest first, a few pages at most)."""
        now = utcnow()
        since = min(mention.created_at, now) - OVERLAP
        params = {"fields": REPLY_FIELDS, "limit": str(PAGE_SIZE),
                  "since": _unix(max(since, datetime.fromtimestamp(EARLIEST_SINCE, UTC)))}
        what = f"GET /{VERSION}/me/replies"
        for _ in range(FIND_PAGES):
            result, _ = await self._call("GET", "/me/replies", what, params=params,
                                         permission=READ_PERMISSION)
            body = result.body if isinstance(result.body, dict) else {}
            data = body.get("data")
            if not isinstance(data, list):
                raise Unavailable(f"{what}: answer without a data list")
            for item in data:
                if (isinstance(item, dict) and _ref(item, "replied_to") == mention.native_id
                        and same_text(item.get("text"), text)
                        and (native_id := media_id(item)) is not None):
                    link = item.get("permalink")
                    return PostedReply(native_id, link if isinstance(link, str) else None)
            after = next_after(body)
            if after is None:
                return None
            params = {**params, "after": after}
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- HTTP and errors

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "brandbot/0.1"})
        return self._session

    async def _call(self, method: str, path: str, what: str, *, permission: str,
                    write: bool = False, params: Mapping[str, str] | None = None,
                    data: Mapping[str, str] | None = None) -> tuple[HttpResult, RateLimit | None]:
        """One request with the token (as the `access_token` parameter, as the API documents);
        an error answer raised as what it means."""
        if not self._token:
            raise AuthFailed(f"no Threads access token: set the environment variable {self._env}")
        result = await http_json(
            self._client(), method, self.root + path, timeout=self.timeout,
            params={**(params or {}), "access_token": self._token},
            **({"data": dict(data)} if data is not None else {}),
        )
        rate_limit = parse_rate_limit(result.headers, now=utcnow())
        error = GraphError.of(result)
        if error is not None:
            self._raise(error, rate_limit, what, permission=permission, write=write)
        return result, rate_limit

    def _raise(self, error: GraphError, rate_limit: RateLimit | None, what: str, *,
               permission: str, write: bool) -> NoReturn:
        if error.rate_limited:
            raise RateLimited(f"{what}: rate limited: {error}",
                              reset_at=rate_limit.reset_at if rate_limit else None)
        if error.permission_missing:
            raise AuthFailed(f"{what}: the access token lacks the {permission} permission "
                             f"(grant it to the app, through app review): {error}")
        if error.token_refused:
            raise AuthFailed(f"{what}: the access token was refused (expired or revoked?); "
                             f"put a fresh long-lived token in {self._env}: {error}")
        if error.status >= 500 or error.code in TRANSIENT_CODES or error.transient:
            raise Unavailable(f"{what}: {error}")
        if write:
            raise Refused(f"{what}: {error}")
        raise Unavailable(f"{what}: unexpected answer: {error}")
