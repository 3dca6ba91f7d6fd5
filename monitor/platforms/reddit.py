"""Reddit: submissions from search and new comments from subreddit listings, through praw.

praw is synchronous, so every praw call runs in a worker thread, one at a time per adapter.
praw and prawcore would otherwise sleep and retry on our behalf; the client is built so they
do neither, as far as their settings and objects allow (see `_quiet`).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import metadata
from typing import Any, TypeVar, cast

import praw
import prawcore
import requests
from praw.exceptions import ClientException, PRAWException, RedditAPIException
from praw.models.listing.generator import ListingGenerator
from prawcore.rate_limit import RateLimiter
from prawcore.requestor import Requestor
from prawcore.sessions import FiniteRetryStrategy

from monitor.models import Author, Mention, Page, RateLimit, iso, utcnow
from monitor.platforms.base import (
    AuthFailed,
    PlatformError,
    PostedReply,
    RateLimited,
    Refused,
    Unavailable,
    clean_text,
    retry_after_seconds,
)
from monitor.settings import REDDIT_NAME, Brand, RedditSource

T = TypeVar("T")

WWW = "https://www.reddit.com"
OAUTH = "https://oauth.reddit.com"
LIMIT = 100  # Reddit's largest listing page
SEEN_MAX = 200  # fullnames kept per stream for dedupe: twice a newest page
ANCHOR_TRIES = 3  # older seen items tried as `before` anchors when the newest one is gone
DELETED = "[deleted]"
SEARCH, COMMENTS = "submissions", "comments"
# Reddit's search time filters, narrowest first: a backfill asks for the narrowest that
# reaches back far enough
TIME_FILTERS = (("hour", timedelta(hours=1)), ("day", timedelta(days=1)),
                ("week", timedelta(weeks=1)), ("month", timedelta(days=31)),
                ("year", timedelta(days=366)))
_OPERATORS = {"AND", "OR", "NOT"}
_WORD = re.compile(r"\w+")
_WAIT = re.compile(r"(\d+(?:\.\d+)?)\s*(millisecond|second|minute|hour)s?", re.IGNORECASE)
_UNIT_SECONDS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}


# --- the query and the local comment filter


def _phrase(term: str) -> str:
    return '"' + " ".join(term.replace('"', " ").split()) + '"'


def build_query(brand: Brand) -> str:
    """Reddit search syntax: quoted keywords and bare hashtag words OR-ed, `NOT "x"` excluded.

    Handles (`u/Name`) are not searchable on Reddit; comments are matched for them locally.
    Reddit search has no language filter. Empty when nothing is searchable.
    """
    terms: dict[str, str] = {}
    for keyword in brand.keywords:
        if keyword.strip(' "'):
            terms.setdefault(keyword.strip().lower(), _phrase(keyword))
    for tag in brand.hashtags:
        plain = _WORD.fullmatch(tag) is not None and tag.upper() not in _OPERATORS
        if tag.strip(' "'):
            terms.setdefault(tag.strip().lower(), tag if plain else _phrase(tag))
    if not terms:
        return ""
    query = " OR ".join(terms.values())
    excluded = [_phrase(term) for term in brand.exclude if term.strip(' "')]
    if excluded:
        query = f"({query})" if len(terms) > 1 else query
        query += "".join(f" NOT {term}" for term in excluded)
    return query


def _bounded(pattern: str) -> str:
    return rf"(?<!\w){pattern}(?!\w)"


@dataclass(frozen=True, slots=True)
class TermFilter:
    """Brand terms for text Reddit cannot search for us (comments)."""

    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None

    def matches(self, text: str) -> bool:
        """Whether the text names the brand and no exclusion."""
        if self.include is None or self.include.search(text) is None:
            return False
        return self.exclude is None or self.exclude.search(text) is None


def term_filter(brand: Brand) -> TermFilter:
    """Keywords and hashtags as whole words (`#` optional), Reddit handles as `u/Name`."""
    parts = [_bounded(re.escape(k.strip())) for k in brand.keywords if k.strip()]
    parts += [_bounded("#?" + re.escape(tag)) for tag in brand.hashtags if tag]
    handles = [h.strip().lstrip("@").removeprefix("/").removeprefix("u/")
               for h in brand.handles.get("reddit", [])]
    parts += [_bounded("/?u/" + re.escape(h)) for h in handles if h]
    excluded = [_bounded(re.escape(e.strip())) for e in brand.exclude if e.strip()]
    return TermFilter(
        include=re.compile("|".join(parts), re.IGNORECASE) if parts else None,
        exclude=re.compile("|".join(excluded), re.IGNORECASE) if excluded else None,
    )


def user_agent(source: RedditSource, *, client_id: str, login: str) -> str:
    """The User-Agent Reddit's API rules ask for: `<platform>:<app id>:<version> (by /u/<user>)`
    (ValueError when the config cannot make one)."""
    if source.user_agent:
        return source.user_agent
    name = source.username or login.strip()
    if not REDDIT_NAME.fullmatch(name):
        raise ValueError(f"the account {source.username_env} holds is not a Reddit username to "
                         "put in the User-Agent; set username")
    app = source.app_id or client_id
    if not re.fullmatch(r"[A-Za-z0-9._-]+", app):
        raise ValueError(f"the client id in {source.client_id_env} cannot stand in the "
                         "User-Agent as the app id; set app_id")
    try:
        version = metadata.version("brandbot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"python:{app}:v{version} (by /u/{name})"


def time_filter(since: datetime, *, now: datetime) -> str:
    """The narrowest search time filter (`t`) that reaches back to `since`."""
    return next((name for name, span in TIME_FILTERS if now - span <= since), "all")


# --- normalising things


def _ints(data: Mapping[str, Any], *keys: str) -> dict[str, int]:
    return {k: data[k] for k in keys if isinstance(data.get(k), int)
            and not isinstance(data.get(k), bool)}


def mention_from_thing(data: Mapping[str, Any]) -> Mention:
    """A submission (t3) or comment (t1) data dict as a Mention; ValueError if unusable."""
    name = data.get("name")
    if not isinstance(name, str) or name[:3] not in ("t3_", "t1_"):
        raise ValueError(f"not a submission or comment: {name!r}")
    try:
        created = datetime.fromtimestamp(float(data["created_utc"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: no usable created_utc") from None
    author = data.get("author")
    handle = str(author) if author and author != DELETED else DELETED
    permalink = data.get("permalink")
    if name.startswith("t3_"):
        parts = (data.get("title") or "", data.get("selftext") or "")
        text = "\n\n".join(str(part) for part in parts if part)
        in_reply_to: Any = None
        conversation: Any = name
        metrics = _ints(data, "score", "num_comments")
    else:
        text = str(data.get("body") or "")
        in_reply_to, conversation = data.get("parent_id"), data.get("link_id")
        metrics = _ints(data, "score")
    return Mention(
        platform="reddit",
        native_id=name,
        author=Author(platform="reddit", native_id=handle.lower(), handle=handle),
        text=clean_text(text),
        created_at=created,
        url=f"{WWW}{permalink}" if isinstance(permalink, str) and permalink else None,
        in_reply_to=str(in_reply_to) if in_reply_to else None,
        conversation_id=str(conversation) if conversation else None,
        metrics=metrics,
        raw=dict(data),
    )


def listing_children(body: Any, *, what: str) -> list[dict[str, Any]]:
    """The data dicts of a Listing's children, newest first as Reddit sends them."""
    data = body.get("data") if isinstance(body, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise Unavailable(f"{what}: the answer is not a listing")
    return [
        child["data"] for child in children
        if isinstance(child, dict) and isinstance(child.get("data"), dict)
        and isinstance(child["data"].get("name"), str)
    ]


def find_own_reply(things: Sequence[Mapping[str, Any]], *, parent: str, author: str,
                   text: str) -> dict[str, Any] | None:
    """A comment by `author` under `parent` with this text, searched through nested replies."""
    queue = list(things)
    while queue:
        thing = queue.pop(0)
        replies = thing.get("replies")
        if isinstance(replies, dict):
            queue.extend(listing_children(replies, what="replies"))
        if (
            thing.get("parent_id") == parent
            and str(thing.get("author") or "").lower() == author.lower()
            and str(thing.get("body") or "").strip() == text.strip()
        ):
            return dict(thing)
    return None


# --- rate limits and errors


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def rate_limit_from_headers(headers: Mapping[str, str], *, now: datetime) -> RateLimit | None:
    """x-ratelimit-used/-remaining/-reset; reset is SECONDS until the window ends."""
    remaining = _number(headers.get("x-ratelimit-remaining"))
    used = _number(headers.get("x-ratelimit-used"))
    reset = _number(headers.get("x-ratelimit-reset"))
    if remaining is None and used is None and reset is None:
        return None
    return RateLimit(
        limit=round(remaining + used) if remaining is not None and used is not None else None,
        remaining=int(remaining) if remaining is not None else None,
        reset_at=now + timedelta(seconds=reset) if reset is not None else None,
    )


def ratelimit_wait(message: str) -> float | None:
    """Seconds to wait from Reddit's RATELIMIT text ("Take a break for 9 minutes ...")."""
    match = _WAIT.search(message)
    if match is None:
        return None
    return float(match[1]) * _UNIT_SECONDS[match[2].lower()]


def _api_error(exc: RedditAPIException, *, what: str, now: datetime) -> PlatformError:
    for item in exc.items:
        if item.error_type == "RATELIMIT":
            wait = ratelimit_wait(item.message or "")
            return RateLimited(f"{what}: RATELIMIT: {item.message}",
                               reset_at=now + timedelta(seconds=wait) if wait else None)
    reasons = "; ".join(f"{item.error_type}: {item.message}" for item in exc.items)
    return Refused(f"{what}: {reasons or 'refused'}")


def translate_error(exc: Exception, *, what: str, replying: bool,
                    now: datetime) -> PlatformError:
    """A praw/prawcore exception as the adapter error the poller or publisher understands."""
    if isinstance(exc, RedditAPIException):
        return _api_error(exc, what=what, now=now)
    if isinstance(exc, prawcore.OAuthException):
        return AuthFailed(f"{what}: Reddit refused the login ({exc.error}); "
                          "check the username and password variables")
    if isinstance(exc, prawcore.RequestException):
        return Unavailable(f"{what}: {type(exc.original_exception).__name__}")
    if isinstance(exc, prawcore.BadJSON):
        return Unavailable(f"{what}: malformed JSON in a {exc.response.status_code} answer")
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        headers = exc.response.headers
        if status == 429:
            reset = _number(headers.get("x-ratelimit-reset"))
            reset = reset if reset is not None else retry_after_seconds(headers)
            return RateLimited(f"{what}: rate limited (429)",
                               reset_at=now + timedelta(seconds=reset) if reset else None)
        if status >= 500:
            return Unavailable(f"{what}: server error {status}")
        if isinstance(exc, prawcore.InvalidToken | prawcore.InsufficientScope) or status == 401:
            return AuthFailed(f"{what}: credentials refused ({status}); "
                              "check the client id and secret variables")
        if replying:
            return Refused(f"{what}: Reddit answered {status}")
        if status == 403:
            return AuthFailed(f"{what}: forbidden (403): a private or banned subreddit, or an "
                              "app without access; check `subreddits`")
        if status in (302, 404):
            return AuthFailed(f"{what}: no such subreddit ({status}); check `subreddits`")
        return Unavailable(f"{what}: Reddit answered {status}")
    if isinstance(exc, ClientException):
        return Refused(f"{what}: {exc}") if replying else Unavailable(f"{what}: {exc}")
    if isinstance(exc, requests.JSONDecodeError):
        return Unavailable(f"{what}: malformed JSON")
    return Unavailable(f"{what}: {type(exc).__name__}")


# --- paging one newest-first listing


@dataclass(frozen=True, slots=True)
class StreamState:
    """Where one listing stands: the newest time consumed and the fullnames seen near it."""

    anchor: str | None = None  # set while catching up: page forward (Reddit `before`) from it
    newest: float | None = None  # created_utc of the newest item consumed
    seen: tuple[str, ...] = ()  # consumed fullnames, newest first, at most SEEN_MAX

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form for the cursor."""
        return {"anchor": self.anchor, "newest": self.newest, "seen": list(self.seen)}

    @classmethod
    def from_json(cls, value: Any) -> StreamState:
        """Read a cursor entry; anything unexpected becomes a first run."""
        if not isinstance(value, dict):
            return cls()
        anchor, newest, seen = value.get("anchor"), value.get("newest"), value.get("seen")
        return cls(
            anchor=anchor if isinstance(anchor, str) else None,
            newest=float(newest) if isinstance(newest, int | float) else None,
            seen=tuple(s for s in seen if isinstance(s, str))[:SEEN_MAX]
            if isinstance(seen, list) else (),
        )


@dataclass(frozen=True, slots=True)
class StreamStep:
    """Items consumed from one listing (newest first) and the state after them."""

    items: list[dict[str, Any]]
    state: StreamState
    has_more: bool
    problems: tuple[str, ...] = ()


def _created(item: Mapping[str, Any]) -> float:
    return _number(item.get("created_utc")) or 0.0


def _consume(state: StreamState, page: list[dict[str, Any]], *, more: bool,
             problems: tuple[str, ...] = ()) -> StreamStep:
    seen = set(state.seen)
    fresh = [item for item in page if item["name"] not in seen]
    times = [_created(item) for item in page]
    if state.newest is not None:
        times.append(state.newest)
    return StreamStep(
        items=fresh,
        state=StreamState(
            anchor=page[0]["name"] if more and page else None,
            newest=max(times) if times else None,
            seen=(tuple(item["name"] for item in fresh) + state.seen)[:SEEN_MAX],
        ),
        has_more=more,
        problems=problems,
    )


def _leaves_gap(state: StreamState, page: list[dict[str, Any]]) -> bool:
    """A full newest page entirely newer than what we consumed: posts may lie in between."""
    if state.newest is None or not state.seen or len(page) < LIMIT:
        return False
    seen = set(state.seen)
    return not any(item["name"] in seen for item in page) and min(
        _created(item) for item in page) > state.newest


def step_stream(state: StreamState, fetch: Callable[[str | None], list[dict[str, Any]]], *,
                name: str) -> StreamStep:
    """Consume the next items of a newest-first listing; `fetch(before)` is one request.

    Quiet times cost one request: the newest page, deduplicated against `seen` (as praw's
    streams do). After a burst of more than a page, Reddit's `before=<fullname>` pages forward
    from the newest item seen. `before` answers nothing forever when its item was deleted, so
    older seen items are tried as anchors before giving up on the gap.
    """
    if state.anchor:
        page = fetch(state.anchor)
        if page:
            return _consume(state, page, more=len(page) >= LIMIT)
    newest = fetch(None)
    if not _leaves_gap(state, newest):
        return _consume(state, newest, more=False)
    for candidate in [s for s in state.seen if s != state.anchor][:ANCHOR_TRIES]:
        page = fetch(candidate)
        if page:
            return _consume(state, page, more=True)
    low = datetime.fromtimestamp(state.newest or 0, UTC)
    high = datetime.fromtimestamp(min(_created(item) for item in newest), UTC)
    problem = (f"reddit {name}: cannot page forward from the items seen last (deleted?); "
               f"posts between {iso(low)} and {iso(high)} may be missing")
    return _consume(state, newest, more=False, problems=(problem,))


def parse_cursor(cursor: str | None) -> tuple[dict[str, StreamState], tuple[str, ...]]:
    """Per-stream states from a cursor, and a problem if the cursor could not be read."""
    if not cursor:
        return {}, ()
    try:
        data = json.loads(cursor)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("streams"), dict):
        return {}, ("reddit: unreadable cursor; starting again from the newest posts",)
    return {k: StreamState.from_json(v) for k, v in data["streams"].items()}, ()


def dump_cursor(states: Mapping[str, StreamState]) -> str:
    """The cursor string: JSON with one state per stream."""
    return json.dumps({"v": 1, "streams": {k: s.as_json() for k, s in states.items()}},
                      separators=(",", ":"))


# --- making praw quiet


class _Requestor(Requestor):
    """prawcore's requestor, with our timeout on every request (prawcore passes its own 16 s)."""

    def request(self, *args: Any, timeout: float | None = None,
                **kwargs: Any) -> requests.Response:
        return super().request(*args, timeout=self.timeout, **kwargs)


class _NoWaitRateLimiter(RateLimiter):
    """prawcore's rate limiter without its sleeps: it still reads the headers."""

    def delay(self) -> None:
        return None


@dataclass(frozen=True)
class _NoRetry(FiniteRetryStrategy):
    """No retries and no sleep before the first attempt."""

    retries: int = 0

    def _sleep_seconds(self) -> float | None:
        return None


def _quiet(reddit: praw.Reddit) -> None:
    # prawcore retries 5xx and dropped connections (sleeping 0-4 s) and sleeps to spread
    # requests over its rate window; neither has a setting, so its sessions' strategy and
    # limiter are swapped. What is left: prawcore's 401 path drops the refused token (the next
    # request fetches a new one), and the token request itself is never retried.
    for core in (reddit._read_only_core, reddit._authorized_core):
        if core is not None:
            core._retry_strategy_class = _NoRetry
            core._rate_limiter = _NoWaitRateLimiter(window_size=core._rate_limiter.window_size)


# --- the adapter


@dataclass(slots=True)
class _Listened:
    steps: dict[str, StreamStep] = field(default_factory=dict)
    headers: dict[str, str] | None = None


class RedditPlatform:
    """Listens with Reddit search and subreddit comment listings; replies as a script app."""

    platform = "reddit"

    def __init__(self, source: RedditSource, brand: Brand, *,
                 environ: Mapping[str, str]) -> None:
        self.source = source
        self.query = build_query(brand)
        self.filter = term_filter(brand)
        subs = [s.strip().removeprefix("r/") for s in source.subreddits if s.strip()] or ["all"]
        self.search_sub = "all" if any(s.lower() == "all" for s in subs) else "+".join(subs)
        self.comment_subs = "+".join(s for s in subs if s.lower() != "all")
        self._client_id = environ.get(source.client_id_env, "")
        self._client_secret = environ.get(source.client_secret_env, "")
        self._username = environ.get(source.username_env, "") if source.username_env else ""
        self._password = environ.get(source.password_env, "") if source.password_env else ""
        # without a client id nothing is asked of Reddit at all (AuthFailed on first use)
        self.user_agent = user_agent(source, client_id=self._client_id or "brandbot",
                                     login=self._username)
        self._timeout = source.timeout.total_seconds()
        self._lock = threading.Lock()
        self._http: requests.Session | None = None
        self._reddit: praw.Reddit | None = None
        self._rate_headers: dict[str, str] | None = None

    @property
    def can_reply(self) -> bool:
        """Whether an account is configured (replies need one; listening does not)."""
        return bool(self._username and self._password)

    # praw, in a worker thread

    def _remember_rate(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if "x-ratelimit-remaining" in response.headers:
            self._rate_headers = {k.lower(): v for k, v in response.headers.items()}

    def _client(self) -> praw.Reddit:
        if self._reddit is None:
            if not (self._client_id and self._client_secret):
                raise AuthFailed(f"reddit: set {self.source.client_id_env} and "
                                 f"{self.source.client_secret_env}")
            base = self.source.base_url.rstrip("/") if self.source.base_url else None
            http = requests.Session()
            http.hooks["response"].append(self._remember_rate)
            reddit = praw.Reddit(
                client_id=self._client_id,
                client_secret=self._client_secret,
                username=self._username or None,
                password=self._password or None,
                refresh_token=None,
                user_agent=self.user_agent,
                # prawcore joins API paths onto oauth_url (urljoin: keep a path prefix with a
                # trailing slash) but appends the token path to reddit_url as a string.
                oauth_url=f"{base}/" if base else OAUTH,
                reddit_url=base or WWW,
                check_for_updates=False,
                check_for_async=False,
                ratelimit_seconds=-1,  # never sleep-and-retry a RATELIMIT reply (0 still does)
                requestor_class=_Requestor,
                requestor_kwargs={"session": http, "timeout": self._timeout},
            )
            _quiet(reddit)
            self._http, self._reddit = http, reddit
        return self._reddit

    async def _run(self, work: Callable[[praw.Reddit], T], *, what: str,
                   replying: bool = False) -> T:
        def locked() -> T:
            with self._lock:
                reddit = self._client()
                try:
                    return work(reddit)
                except prawcore.InvalidToken:
                    # prawcore has dropped the refused token: this attempt fetches a new one.
                    return work(reddit)

        try:
            return await asyncio.to_thread(locked)
        except PlatformError:
            raise
        except (prawcore.PrawcoreException, PRAWException, requests.JSONDecodeError) as exc:
            raise translate_error(exc, what=what, replying=replying, now=utcnow()) from None

    def _get(self, reddit: praw.Reddit, path: str, params: Mapping[str, Any],
             *, what: str) -> list[dict[str, Any]]:
        body = reddit.request(method="GET", path=path, params=dict(params))
        return listing_children(body, what=what)

    def _fetch_search(self, reddit: praw.Reddit, before: str | None) -> list[dict[str, Any]]:
        listing = cast(ListingGenerator, reddit.subreddit(self.search_sub).search(
            self.query, sort="new", time_filter="week", limit=LIMIT,
            params={"before": before} if before else {},
        ))
        return self._get(reddit, listing.url, listing.params, what=f"search r/{self.search_sub}")

    def _fetch_comments(self, reddit: praw.Reddit, before: str | None) -> list[dict[str, Any]]:
        listing = cast(ListingGenerator, reddit.subreddit(self.comment_subs).comments(
            limit=LIMIT, params={"before": before} if before else {},
        ))
        return self._get(reddit, listing.url, listing.params,
                         what=f"comments r/{self.comment_subs}")

    def _listen(self, reddit: praw.Reddit, states: Mapping[str, StreamState]) -> _Listened:
        self._rate_headers = None
        out = _Listened()
        streams: dict[str, Callable[[praw.Reddit, str | None], list[dict[str, Any]]]] = {}
        if self.query:
            streams[SEARCH] = self._fetch_search
        if self.comment_subs:
            streams[COMMENTS] = self._fetch_comments
        for name, fetch in streams.items():
            out.steps[name] = step_stream(states.get(name, StreamState()),
                                          partial(fetch, reddit), name=name)
        out.headers = self._rate_headers
        return out

    # the Platform protocol

    async def listen(self, cursor: str | None) -> Page:
        states, problems = parse_cursor(cursor)
        listened = await self._run(lambda reddit: self._listen(reddit, states),
                                   what=f"reddit listen r/{self.search_sub}")
        mentions: list[Mention] = []
        issues = list(problems)
        for name, step in listened.steps.items():
            issues += step.problems
            for item in step.items:
                if name == COMMENTS and not self.filter.matches(str(item.get("body") or "")):
                    continue
                try:
                    mentions.append(mention_from_thing(item))
                except ValueError as exc:
                    issues.append(f"reddit {name}: {exc}")
        mentions.sort(key=lambda m: (m.created_at, m.native_id))
        now = utcnow()
        return Page(
            mentions=tuple(mentions),
            next_cursor=dump_cursor({**states, **{k: s.state for k, s in
                                                  listened.steps.items()}}),
            has_more=any(step.has_more for step in listened.steps.values()),
            rate_limit=rate_limit_from_headers(listened.headers, now=now)
            if listened.headers else None,
            problems=tuple(issues),
        )

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """Search (newest first) paged back with `after`, from the moment the backfill began
        until a page reaches past `since`. Only submissions: comments are not searchable, and
        a subreddit's comment listing holds its newest 1000 or so."""
        try:
            state = json.loads(cursor) if cursor else {}
            after, window = state.get("after"), state.get("t") or time_filter(since, now=utcnow())
            if not (after is None or isinstance(after, str)) or not isinstance(window, str):
                raise TypeError("after and t must be strings")
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a Reddit backfill cursor: {exc}") from None
        if not self.query:  # nothing Reddit search can look for (handles only)
            return Page(mentions=(), next_cursor=None, has_more=False)
        what = f"reddit backfill search r/{self.search_sub}"

        def work(reddit: praw.Reddit) -> tuple[Any, dict[str, str] | None]:
            self._rate_headers = None
            listing = cast(ListingGenerator, reddit.subreddit(self.search_sub).search(
                self.query, sort="new", time_filter=window, limit=LIMIT,
                params={"after": after} if after else {},
            ))
            body = reddit.request(method="GET", path=listing.url, params=dict(listing.params))
            return body, self._rate_headers

        body, headers = await self._run(work, what=what)
        items = listing_children(body, what=what)
        following = body["data"].get("after")
        floor = since.timestamp()
        mentions, problems = [], []
        for item in items:
            if _created(item) < floor:
                continue
            try:
                mentions.append(mention_from_thing(item))
            except ValueError as exc:
                problems.append(f"reddit backfill: {exc}")
        reached = not items or min(_created(item) for item in items) < floor
        more = isinstance(following, str) and bool(following) and not reached
        if not more and not reached and len(items) >= LIMIT:
            oldest = datetime.fromtimestamp(min(_created(item) for item in items), UTC)
            problems.append(f"reddit backfill: Reddit serves a search no further back than "
                            f"{iso(oldest)} here; older posts were not reached")
        mentions.sort(key=lambda m: (m.created_at, m.native_id))
        return Page(
            mentions=tuple(mentions),
            next_cursor=json.dumps({"after": following if more else None, "t": window}),
            has_more=more,
            rate_limit=rate_limit_from_headers(headers, now=utcnow()) if headers else None,
            problems=tuple(problems),
        )

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        # Reddit has no idempotency key: after an unknown outcome, find_reply reconciles.
        target = mention.native_id
        what = f"reddit reply to {target}"
        if not self.can_reply:
            raise AuthFailed(f"{what}: replying needs an account; set username_env and "
                             "password_env for this source")
        if target[:3] not in ("t3_", "t1_") or len(target) < 4:
            raise Refused(f"{what}: not a submission or comment id")

        def work(reddit: praw.Reddit) -> Any:
            thing = (reddit.submission(id=target[3:]) if target.startswith("t3_")
                     else reddit.comment(id=target[3:]))
            return thing.reply(text)

        comment = await self._run(work, what=what, replying=True)
        if comment is None:
            raise Unavailable(f"{what}: Reddit accepted the reply without returning it; "
                              "outcome unknown")
        data = vars(comment)  # attribute access on a praw object may fetch it
        permalink = data.get("permalink")
        return PostedReply(native_id=str(data.get("name") or f"t1_{data['id']}"),
                           url=f"{WWW}{permalink}" if permalink else None)

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        if not self.can_reply:
            return None
        target = mention.native_id
        link = mention.conversation_id or str(mention.raw.get("link_id") or "")
        username = self._username

        def work(reddit: praw.Reddit) -> dict[str, Any] | None:
            if target.startswith("t3_"):
                path = f"comments/{target[3:]}/"
            elif link.startswith("t3_"):
                path = f"comments/{link[3:]}/_/{target[3:]}/"
            else:
                path = None
            if path is not None:
                try:
                    thread = reddit.request(method="GET", path=path,
                                            params={"sort": "new", "limit": 500})
                except (prawcore.NotFound, prawcore.Redirect):
                    thread = None
                if isinstance(thread, list) and len(thread) == 2:
                    found = find_own_reply(listing_children(thread[1], what=path),
                                           parent=target, author=username, text=text)
                    if found is not None:
                        return found
            # A big thread hides comments behind "more": our own recent comments are the
            # other place to look.
            history = self._get(reddit, f"user/{username}/comments/",
                                {"sort": "new", "limit": LIMIT}, what="our comments")
            return find_own_reply(history, parent=target, author=username, text=text)

        found = await self._run(work, what=f"reddit find reply to {target}")
        if found is None:
            return None
        permalink = found.get("permalink")
        return PostedReply(native_id=str(found["name"]),
                           url=f"{WWW}{permalink}" if permalink else None)

    async def close(self) -> None:
        http, self._http, self._reddit = self._http, None, None
        if http is not None:
            await asyncio.to_thread(http.close)
