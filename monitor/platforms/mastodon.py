"""Mastodon: hashtag timelines and keyword search, hashtag streaming (SSE), replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from monitor.models import Author, Mention, Page, RateLimit, parse_iso
from monitor.platforms.base import (
    AuthFailed,
    HttpResult,
    PlatformError,
    PostedReply,
    Refused,
    Unavailable,
    check_common,
    clean_text,
    http_json,
)
from monitor.platforms.text import html_to_text
from monitor.settings import Brand, MastodonSource

PLATFORM = "mastodon"
PAGE_SIZE = 40  # the most Mastodon serves per request
HEARTBEAT = 15.0  # seconds between the streaming server's `:thump` comments
MAX_EVENT_BYTES = 1 << 20
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]+)"?')
_MENTION = re.compile(r"(?<![\w@/])@(\w+(?:@[\w-]+(?:\.[\w-]+)+)?)")
_LEADING_MENTIONS = re.compile(r"^\s*(?:@\w+(?:@[\w.-]+)?\s+)*")
# from widest to narrowest audience
VISIBILITIES = ("public", "unlisted", "private", "direct")


@dataclass(frozen=True, slots=True)
class MastodonQuery:
    """What to listen to: hashtag timelines, and (with a token) one search per keyword."""

    hashtags: tuple[str, ...]
    searches: tuple[tuple[str, str], ...]  # (keyword, search query)


def _quoted(term: str) -> str:
    term = term.replace('"', "").strip()
    return f'"{term}"' if any(c.isspace() for c in term) else term


def build_query(brand: Brand, *, hashtags: Sequence[str] = ()) -> MastodonQuery:
    """The source's hashtags (else the brand's), and a search per keyword in Mastodon's syntax.

    Search understands `"phrases"`, `-excluded` terms and one `language:xx` filter (several
    language filters would all have to match, so more than one is left to the pipeline).
    """
    tags = dict.fromkeys(
        tag.lstrip("#").lower() for tag in (hashtags or brand.hashtags) if tag.lstrip("#")
    )
    extra = [f"-{_quoted(term)}" for term in brand.exclude if term.strip()]
    if len(brand.languages) == 1:
        extra.append(f"language:{brand.languages[0]}")
    searches = tuple(
        (keyword, " ".join([_quoted(keyword), *extra]))
        for keyword in dict.fromkeys(k.strip() for k in brand.keywords if k.strip())
    )
    return MastodonQuery(tuple(tags), searches)


def id_key(status_id: str) -> tuple[int, str]:
    """Sort key for status ids: numeric strings (Mastodon) and fixed-width flake ids alike."""
    return len(status_id), status_id


def _newest(*ids: str | None) -> str | None:
    present = [i for i in ids if i]
    return max(present, key=id_key) if present else None


@dataclass(slots=True)
class SearchState:
    """Where one keyword's search stands.

    Search answers the NEWEST matches after `min_id`, so after any hit we page down with
    `max_id` until an empty answer before moving `min_id` up to `newest`.
    """

    min_id: str | None = None
    max_id: str | None = None
    newest: str | None = None


@dataclass(slots=True)
class MastodonCursor:
    """The composite cursor: per hashtag the newest status id seen, per keyword a SearchState."""

    tags: dict[str, str] = field(default_factory=dict)
    search: dict[str, SearchState] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> MastodonCursor:
        """Parse a stored cursor; None (first run) gives an empty one. ValueError if unreadable."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            tags = {str(k): str(v) for k, v in data.get("tags", {}).items()}
            search = {
                str(k): SearchState(**{f: str(v[f]) for f in ("min_id", "max_id", "newest")
                                       if v.get(f)})
                for k, v in data.get("search", {}).items()
            }
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable Mastodon cursor: {exc}") from None
        return cls(tags, search)

    def dump(self) -> str:
        """The cursor as compact JSON."""
        search = {
            k: {f: getattr(s, f) for f in ("min_id", "max_id", "newest") if getattr(s, f)}
            for k, s in self.search.items()
        }
        return json.dumps({"tags": self.tags, "search": search}, separators=(",", ":"),
                          sort_keys=True)


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """X-RateLimit-Limit / -Remaining and -Reset (an ISO-8601 timestamp)."""
    limit, remaining = headers.get("X-RateLimit-Limit"), headers.get("X-RateLimit-Remaining")
    reset = headers.get("X-RateLimit-Reset")
    if limit is None and remaining is None and reset is None:
        return None
    try:
        reset_at = parse_iso(reset) if reset else None
    except ValueError:
        reset_at = None
    return RateLimit(limit=_int(limit), remaining=_int(remaining), reset_at=reset_at)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def link_min_id(headers: Mapping[str, str]) -> str | None:
    """The `min_id` of the Link header's rel="prev" URL: where to page forward from."""
    for url, rel in _LINK.findall(headers.get("Link", "")):
        if rel == "prev":
            return URL(url).query.get("min_id")
    return None


def full_handle(account: Mapping[str, Any], *, local_domain: str) -> str:
    """`acct`, made globally unique: local accounts get `@` and their instance's host."""
    acct = str(account["acct"]).lstrip("@")
    if "@" in acct:
        return acct
    host = URL(str(account.get("url") or "")).host or local_domain
    return f"{acct}@{host}"


def status_to_mention(status: Mapping[str, Any], *, local_domain: str) -> Mention:
    """A Mastodon status as a Mention (KeyError/TypeError/ValueError when malformed)."""
    account = status["account"]
    body = html_to_text(status.get("content"))
    spoiler = str(status.get("spoiler_text") or "").strip()  # plain text, unlike `content`
    text = f"{spoiler}\n\n{body}" if spoiler and body else spoiler or body
    counts = {"replies": "replies_count", "reposts": "reblogs_count", "likes": "favourites_count"}
    followers = account.get("followers_count")
    status_id = str(status["id"])
    in_reply_to = status.get("in_reply_to_id")
    return Mention(
        platform=PLATFORM,
        native_id=status_id,
        author=Author(
            platform=PLATFORM,
            native_id=str(account["id"]),
            handle=full_handle(account, local_domain=local_domain),
            display_name=account.get("display_name") or None,
            followers=followers if isinstance(followers, int) else None,
        ),
        text=clean_text(text),
        created_at=parse_iso(str(status["created_at"])),
        url=status.get("url") or status.get("uri"),
        lang=status.get("language"),
        in_reply_to=str(in_reply_to) if in_reply_to else None,
        # a post that replies to nothing is its own thread root; a reply's root needs a lookup
        conversation_id=None if in_reply_to else status_id,
        metrics={k: v for k, f in counts.items() if isinstance(v := status.get(f), int)},
        raw=dict(status),
    )


def with_mention(text: str, acct: str, *, local_domain: str) -> str:
    """The reply text starting with `@acct ` unless it already mentions the author."""
    acct = acct.lstrip("@")
    names = {acct.lower()}
    if "@" not in acct:
        names.add(f"{acct}@{local_domain}".lower())
    if names & {m.lower() for m in _MENTION.findall(text)}:
        return text
    return f"@{acct} {text}"


def reply_visibility(mention: str | None, ours: str = "public") -> str:
    """Who may see our reply: the narrower of the mention's audience and ours, as Mastodon's
    own client sets it (a followers-only post gets a followers-only answer, a direct message
    a direct one). A visibility we do not know is treated as direct: never widen an audience."""
    if not mention:
        return ours
    rank = VISIBILITIES.index(mention) if mention in VISIBILITIES else len(VISIBILITIES) - 1
    return VISIBILITIES[max(rank, VISIBILITIES.index(ours))]


def same_reply(posted: str, text: str) -> bool:
    """Whether a posted status's plain text is our reply `text` (mentions in front ignored).

    Mastodon renders a remote mention as `@user`, so the `@user@host` we sent does not come back.
    """
    def core(value: str) -> str:
        return " ".join(_LEADING_MENTIONS.sub("", value).split())

    return core(posted) == core(text)


class SseParser:
    """Server-sent events, fed one line at a time; `:` lines are heartbeats."""

    def __init__(self) -> None:
        self.event = "message"
        self.data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        """The (event, data) an empty line completes, else None."""
        line = line.rstrip("\r")
        if not line:
            event = (self.event, "\n".join(self.data)) if self.data else None
            self.event, self.data = "message", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        return None


def api_root(source: MastodonSource) -> str:
    """`base_url`, else `instance` (a bare host means https)."""
    root = source.base_url or source.instance
    if not root:
        raise ValueError(
            'mastodon source: set `instance` (e.g. "https://mastodon.social") or `base_url`'
        )
    if "://" not in root:
        root = f"https://{root}"
    return root.rstrip("/")


def _error(result: HttpResult) -> str:
    body = result.body
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return f"HTTP {result.status}"


_StreamItem = tuple[str, str, str] | PlatformError


def streaming_root(root: str, streaming: str) -> str:
    """The HTTP root of the instance's streaming API (`configuration.urls.streaming`, a
    ws:// or wss:// URL). The token goes with every stream request, so an instance served
    over https that points its streaming at plain ws:// is refused, not followed."""
    url = URL(streaming)
    scheme = {"wss": "https", "ws": "http"}.get(url.scheme, url.scheme)
    if scheme != "https" and URL(root).scheme == "https":
        raise Refused(f"the instance's streaming URL is not encrypted ({url.scheme}://); "
                      "refusing to send the token there")
    return str(url.with_scheme(scheme)).rstrip("/")


class MastodonPlatform:
    """Listens to hashtag timelines (and keyword search with a token); replies with a token."""

    platform = PLATFORM

    def __init__(self, source: MastodonSource, brand: Brand, *, environ: Mapping[str, str],
                 heartbeat: float = HEARTBEAT) -> None:
        self.root = api_root(source)
        env = source.access_token_env
        self._token = (environ.get(env) or None) if env else None
        self.query = build_query(brand, hashtags=source.hashtags)
        if not self.query.hashtags and not (self._token and self.query.searches):
            unset = f" ({env} is not set)" if env and self.query.searches else ""
            raise ValueError(
                "mastodon source: nothing to listen to; give hashtags, or keywords and "
                f"access_token_env (keyword search needs a token){unset}"
            )
        self.timeout = source.timeout.total_seconds()
        self.idle_timeout = max(self.timeout, 3 * heartbeat)
        instance = source.instance or ""
        instance_host = URL(instance if "://" in instance else f"https://{instance}").host
        self.local_domain = (instance and instance_host) or URL(self.root).host or "localhost"
        self._session: aiohttp.ClientSession | None = None
        self._rate_limit: RateLimit | None = None
        self._me: str | None = None
        self._streaming_root: str | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "brandbot/0.1"})
        return self._session

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _require_token(self, purpose: str) -> None:
        if not self._token:
            raise AuthFailed(f"Mastodon {purpose} needs an access token: set access_token_env "
                             "to a variable holding one")

    async def _request(self, method: str, path: str, *, what: str,
                       headers: Mapping[str, str] | None = None, **kwargs: Any) -> HttpResult:
        result = await http_json(
            self._client(), method, self.root + path, timeout=self.timeout,
            headers={**self._auth(), **(headers or {})}, **kwargs,
        )
        rate_limit = parse_rate_limit(result.headers)
        if rate_limit is not None:
            self._rate_limit = rate_limit
        if result.status == 401 and not self._token:
            raise AuthFailed(f"{what}: this instance wants an access token; set access_token_env")
        check_common(result, rate_limit=rate_limit, what=what)
        return result

    def _check_read(self, result: HttpResult, what: str) -> None:
        if result.status == 403:
            raise AuthFailed(f"{what}: access refused (403): {_error(result)}")
        if result.status >= 400:
            raise Unavailable(f"{what}: unexpected {result.status}: {_error(result)}")

    async def listen(self, cursor: str | None) -> Page:
        problems: list[str] = []
        try:
            state = MastodonCursor.load(cursor)
        except ValueError as exc:
            state = MastodonCursor()
            problems.append(f"{exc}; starting again from the newest posts")
        self._rate_limit = None
        nxt = MastodonCursor()
        statuses: dict[str, dict[str, Any]] = {}
        has_more = False
        for tag in self.query.hashtags:
            batch, newest, more = await self._tag_page(tag, state.tags.get(tag))
            statuses.update((str(s["id"]), s) for s in batch)
            if newest:
                nxt.tags[tag] = newest
            has_more |= more
        if self._token:
            for keyword, q in self.query.searches:
                batch, search, more = await self._search_page(
                    keyword, q, state.search.get(keyword)
                )
                statuses.update((str(s["id"]), s) for s in batch)
                if search.min_id:
                    nxt.search[keyword] = search
                has_more |= more
        mentions = []
        for status_id, status in statuses.items():
            if status.get("reblog"):
                continue  # a boost repeats a post the original's own id already covers
            try:
                mentions.append(status_to_mention(status, local_domain=self.local_domain))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"status {status_id}: cannot read it ({type(exc).__name__}: {exc})")
        mentions.sort(key=lambda m: (m.created_at, id_key(m.native_id)))
        return Page(mentions=tuple(mentions), next_cursor=nxt.dump(), has_more=has_more,
                    rate_limit=self._rate_limit, problems=tuple(problems))

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """Each hashtag's timeline, then (with a token) each keyword search, walked from the
        newest back to `since` with max_id, one request at a time; the cursor says which walk
        and where it got to."""
        walks: list[tuple[str, str, str]] = [("tag", tag, "") for tag in self.query.hashtags]
        if self._token:
            walks += [("search", keyword, q) for keyword, q in self.query.searches]
        try:
            state: dict[str, Any] = json.loads(cursor) if cursor else {"walk": 0}
            index, max_id = int(state["walk"]), state.get("max_id")
            kind, name, q = walks[index]
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ValueError(f"not a Mastodon backfill cursor: {exc}") from None
        self._rate_limit = None
        params = {"limit": str(PAGE_SIZE), **({"max_id": str(max_id)} if max_id else {})}
        if kind == "tag":
            what = f"GET /api/v1/timelines/tag/{name}"
            result = await self._request("GET", f"/api/v1/timelines/tag/{quote(name, safe='')}",
                                         what=what, params=params)
            body = [] if result.status == 404 else result.body
        else:
            what = f"GET /api/v2/search {name!r}"
            params.update({"q": q, "type": "statuses", "resolve": "false"})
            result = await self._request("GET", "/api/v2/search", what=what, params=params)
            body = result.body.get("statuses") if isinstance(result.body, dict) else None
        if kind == "search" or result.status != 404:  # an unknown hashtag has no history
            self._check_read(result, what)
        batch = self._statuses(body, what)
        problems: list[str] = []
        mentions = []
        for status in batch:
            if status.get("reblog"):
                continue
            try:
                mention = status_to_mention(status, local_domain=self.local_domain)
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"status {status.get('id')}: cannot read it "
                                f"({type(exc).__name__}: {exc})")
                continue
            if mention.created_at >= since:
                mentions.append(mention)
        ids = [str(s["id"]) for s in batch]
        reach_back = ids and all(parse_iso(str(s.get("created_at"))) >= since for s in batch
                                 if s.get("created_at"))
        if reach_back and len(batch) >= PAGE_SIZE:  # more of this walk before `since`
            after: dict[str, Any] = {"walk": index, "max_id": min(ids, key=id_key)}
        else:
            after = {"walk": index + 1}
        mentions.sort(key=lambda m: (m.created_at, id_key(m.native_id)))
        return Page(mentions=tuple(mentions), next_cursor=json.dumps(after),
                    has_more=int(after["walk"]) < len(walks), rate_limit=self._rate_limit,
                    problems=tuple(problems))

    def _statuses(self, body: Any, what: str) -> list[dict[str, Any]]:
        if not isinstance(body, list):
            raise Unavailable(f"{what}: expected a list of statuses")
        return [s for s in body if isinstance(s, dict) and s.get("id")]

    async def _tag_page(self, tag: str, min_id: str | None
                        ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """The statuses just after `min_id` (newest page on a first run), the new min_id, more?"""
        what = f"GET /api/v1/timelines/tag/{tag}"
        params = {"limit": str(PAGE_SIZE), **({"min_id": min_id} if min_id else {})}
        result = await self._request(
            "GET", f"/api/v1/timelines/tag/{quote(tag, safe='')}", what=what, params=params
        )
        if result.status == 404:
            return [], min_id, False
        self._check_read(result, what)
        batch = self._statuses(result.body, what)
        newest = _newest(min_id, link_min_id(result.headers), *(str(s["id"]) for s in batch))
        return batch, newest, bool(min_id) and len(batch) >= PAGE_SIZE

    async def _search_page(self, keyword: str, q: str, state: SearchState | None
                           ) -> tuple[list[dict[str, Any]], SearchState, bool]:
        """One search request for a keyword, and the state (and more?) it leads to."""
        what = f"GET /api/v2/search {keyword!r}"
        state = state or SearchState()
        params = {"q": q, "type": "statuses", "resolve": "false", "limit": str(PAGE_SIZE)}
        params.update({k: v for k in ("min_id", "max_id") if (v := getattr(state, k))})
        result = await self._request("GET", "/api/v2/search", what=what, params=params)
        self._check_read(result, what)
        body = result.body if isinstance(result.body, dict) else {}
        batch = self._statuses(body.get("statuses"), what)
        ids = [str(s["id"]) for s in batch]
        if state.min_id is None:  # first run: the newest page only
            return batch, SearchState(min_id=_newest(*ids)), False
        if not ids:  # the window below `newest` is exhausted: move up to it
            return batch, SearchState(min_id=_newest(state.min_id, state.newest)), False
        oldest = min(ids, key=id_key)
        newest = _newest(state.newest, *ids)
        return batch, SearchState(min_id=state.min_id, max_id=oldest, newest=newest), True

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        self._require_token("replying")
        account = mention.raw.get("account") or {}
        acct = str(account.get("acct") or mention.author.handle)
        visibility = mention.raw.get("visibility")
        form = {
            # the mention of the author is also what delivers a direct or followers-only reply
            "status": with_mention(text, acct, local_domain=self.local_domain),
            "in_reply_to_id": mention.native_id,
            "visibility": reply_visibility(visibility if isinstance(visibility, str) else None),
        }
        result = await self._request(
            "POST", "/api/v1/statuses", what="POST /api/v1/statuses", data=form,
            # Mastodon remembers the key for an hour: a retried POST returns the first status
            headers={"Idempotency-Key": idempotency_key},
        )
        if result.status >= 400:
            raise Refused(f"Mastodon refused the reply ({result.status}): {_error(result)}")
        if not isinstance(result.body, dict) or not result.body.get("id"):
            raise Unavailable("POST /api/v1/statuses: no status in the answer")
        return PostedReply(native_id=str(result.body["id"]), url=result.body.get("url"))

    async def _my_account_id(self) -> str:
        if self._me is None:
            self._require_token("finding our replies")
            what = "GET /api/v1/accounts/verify_credentials"
            result = await self._request("GET", "/api/v1/accounts/verify_credentials", what=what)
            self._check_read(result, what)
            if not isinstance(result.body, dict) or not result.body.get("id"):
                raise Unavailable(f"{what}: no account in the answer")
            self._me = str(result.body["id"])
        return self._me

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        me = await self._my_account_id()
        what = "GET /api/v1/statuses/{id}/context"
        result = await self._request(
            "GET", f"/api/v1/statuses/{quote(mention.native_id, safe='')}/context", what=what
        )
        if result.status == 404:
            return None
        self._check_read(result, what)
        body = result.body if isinstance(result.body, dict) else {}
        for status in body.get("descendants") or []:
            if (
                isinstance(status, dict)
                and str((status.get("account") or {}).get("id")) == me
                and str(status.get("in_reply_to_id")) == mention.native_id
                and same_reply(html_to_text(status.get("content")), text)
            ):
                return PostedReply(native_id=str(status["id"]), url=status.get("url"))
        return None

    async def stream(self, cursor: str | None) -> AsyncGenerator[Page, None]:
        """Catch up from `cursor` with listen() pages, then a one-mention Page per new status.

        The hashtag streams are opened before catching up, so nothing posted in between is
        lost. Raises Unavailable when a stream ends or stays silent (not even a heartbeat) for
        `idle_timeout`; calling again with the last cursor catches up on what was missed.
        """
        self._require_token("streaming")
        if not self.query.hashtags:
            raise ValueError("mastodon streaming follows hashtags; this source has none")
        root = await self._streaming_url()
        async with contextlib.AsyncExitStack() as stack:
            responses = [
                await stack.enter_async_context(self._open_stream(root, tag))
                for tag in self.query.hashtags
            ]
            while True:
                page = await self.listen(cursor)
                yield page
                cursor = page.next_cursor
                if not page.has_more:
                    break
            state = MastodonCursor.load(cursor)
            queue: asyncio.Queue[_StreamItem] = asyncio.Queue()
            pumps = [
                asyncio.create_task(_pump(tag, response, queue, idle=self.idle_timeout))
                for tag, response in zip(self.query.hashtags, responses, strict=True)
            ]
            yielded: dict[str, None] = {}
            try:
                while True:
                    item = await queue.get()
                    if isinstance(item, PlatformError):
                        raise item
                    event_page = self._event_page(state, yielded, *item)
                    if event_page is not None:
                        yield event_page
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)

    def _event_page(self, state: MastodonCursor, yielded: dict[str, None], tag: str,
                    event: str, data: str) -> Page | None:
        """The Page for one streamed event (None for events that add nothing)."""
        if event != "update":
            return None  # deletions and edits: the stored mention stays as first seen
        try:
            status = json.loads(data)
            status_id = str(status["id"])
        except (ValueError, TypeError, KeyError):
            return Page((), state.dump(), problems=(f"#{tag} stream: unreadable update event",))
        known = state.tags.get(tag)
        if known is not None and id_key(status_id) <= id_key(known):
            return None  # already served while catching up
        state.tags[tag] = status_id
        if status.get("reblog") or status_id in yielded:
            return None
        yielded[status_id] = None
        if len(yielded) > 1000:
            del yielded[next(iter(yielded))]
        try:
            mention = status_to_mention(status, local_domain=self.local_domain)
        except (KeyError, TypeError, ValueError) as exc:
            problem = f"status {status_id}: cannot read it ({type(exc).__name__}: {exc})"
            return Page((), state.dump(), problems=(problem,))
        return Page((mention,), state.dump())

    async def _streaming_url(self) -> str:
        """Where the streaming API lives: big instances serve it from another host."""
        if self._streaming_root is None:
            what = "GET /api/v2/instance"
            result = await self._request("GET", "/api/v2/instance", what=what)
            root = self.root
            if result.status < 400 and isinstance(result.body, dict):
                urls = (result.body.get("configuration") or {}).get("urls") or {}
                streaming = urls.get("streaming")
                if isinstance(streaming, str) and streaming:
                    root = streaming_root(self.root, streaming)
            self._streaming_root = root
        return self._streaming_root

    @contextlib.asynccontextmanager
    async def _open_stream(self, root: str, tag: str) -> AsyncIterator[aiohttp.ClientResponse]:
        what = f"GET /api/v1/streaming/hashtag #{tag}"
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._client().get(
                    f"{root}/api/v1/streaming/hashtag", params={"tag": tag},
                    headers={**self._auth(), "Accept": "text/event-stream"},
                    # a cross-host redirect would drop the Authorization header
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout),
                )
        except TimeoutError:
            raise Unavailable(f"{what}: no answer within {self.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise Unavailable(f"{what}: {type(exc).__name__}") from None
        try:
            if response.status != 200:
                await self._refused_stream(response, what)
            yield response
        finally:
            response.close()

    async def _refused_stream(self, response: aiohttp.ClientResponse, what: str) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                raw = await response.read()
            body = json.loads(raw) if raw.strip() else None
        except (TimeoutError, aiohttp.ClientError, ValueError):
            body = None
        result = HttpResult(response.status, response.headers, body)
        check_common(result, rate_limit=parse_rate_limit(response.headers), what=what)
        if 300 <= response.status < 400:
            location = URL(response.headers.get("Location", "")).with_query(None)
            raise Unavailable(f"{what}: the streaming API moved to {location}")
        self._check_read(result, what)
        raise Unavailable(f"{what}: unexpected {response.status}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _pump(tag: str, response: aiohttp.ClientResponse,
                queue: asyncio.Queue[_StreamItem], *, idle: float) -> None:
    """Read one SSE response into `queue`: (tag, event, data) items, then the error ending it."""
    parser = SseParser()
    buffer = b""
    what = f"#{tag} stream"
    try:
        while True:
            try:
                async with asyncio.timeout(idle):
                    chunk = await response.content.readany()
            except TimeoutError:
                raise Unavailable(f"{what}: silent (not even a heartbeat) for {idle:g}s") from None
            if not chunk:
                raise Unavailable(f"{what}: the server ended the stream")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            if len(buffer) > MAX_EVENT_BYTES:
                raise Unavailable(f"{what}: an event line longer than {MAX_EVENT_BYTES} bytes")
            for line in lines:
                event = parser.feed(line.decode("utf-8", "replace"))
                if event is not None:
                    queue.put_nowait((tag, *event))
    except aiohttp.ClientError as exc:
        queue.put_nowait(Unavailable(f"{what}: {type(exc).__name__}"))
    except Unavailable as exc:
        queue.put_nowait(exc)
