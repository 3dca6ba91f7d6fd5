"""X (Twitter) API v2 via tweepy's AsyncClient: recent search for mentions, replies as tweets."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from tweepy.asynchronous import AsyncClient
from tweepy.errors import (
    HTTPException,
    TooManyRequests,
    TwitterServerError,
    Unauthorized,
)
from yarl import URL

from monitor.models import Author, Mention, Page, RateLimit, parse_iso, utcnow
from monitor.platforms.base import (
    AuthFailed,
    PostedReply,
    RateLimited,
    Refused,
    Unavailable,
    clean_text,
    retry_after_seconds,
)
from monitor.settings import Brand, XSource

TWITTER_EPOCH_MS = 1288834974657
QUERY_LIMIT = 512
RECENT_WINDOW = timedelta(days=7)
# X answers 400 for bounds even slightly older than 7 days; stay a minute inside the window.
WINDOW_MARGIN = timedelta(minutes=1)
# After an empty first run we resume from a start time; a little earlier covers clock skew and
# tweets not yet indexed (re-served posts are deduplicated by the store).
INDEX_MARGIN = timedelta(minutes=5)
# note_tweet: a post longer than 280 comes with `text` cut short and its whole text there
TWEET_FIELDS = [
    "created_at", "conversation_id", "in_reply_to_user_id", "lang", "public_metrics",
    "referenced_tweets", "author_id", "note_tweet",
]
USER_FIELDS = ["username", "name", "public_metrics"]
# the author, and who wrote the post a tweet quotes: X lets an app below Enterprise reply only
# to posts that mention or quote its account (see `reply_rule`)
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
# 403 problem types that mean the credentials cannot do this at all, not a refusal of one post.
AUTH_PROBLEMS = ("/unsupported-authentication", "/client-forbidden")
_NEEDS_QUOTES = re.compile(r'[\s:()"\-]')


# Headers of the last successful response in this task; tweepy hands back only the body.
_last_headers: ContextVar[Mapping[str, str] | None] = ContextVar("x_last_headers", default=None)


def build_query(brand: Brand) -> str:
    """The recent-search query for a brand; ValueError if it has no X terms or is too long."""
    terms = [_term(k) for k in brand.keywords if k.strip()]
    terms += [f"#{tag.strip()}" for tag in brand.hashtags if tag.strip()]
    terms += [f"@{h.strip().lstrip('@')}" for h in brand.handles.get("x", []) if h.strip()]
    if not terms:
        raise ValueError(
            "X search needs at least one keyword, hashtag or X handle (brand.handles.x) "
            "to listen for"
        )
    parts = [f"({' OR '.join(terms)})"]
    parts += [f"-{_term(word)}" for word in brand.exclude if word.strip()]
    parts.append("-is:retweet")
    langs = [f"lang:{lang.strip()}" for lang in brand.languages if lang.strip()]
    if langs:
        parts.append(langs[0] if len(langs) == 1 else f"({' OR '.join(langs)})")
    query = " ".join(parts)
    if len(query) > QUERY_LIMIT:
        raise ValueError(
            f"the X search query built from [brand] is {len(query)} characters, over X's "
            f"{QUERY_LIMIT}-character limit: use fewer or shorter keywords, hashtags, handles "
            "or exclusions"
        )
    return query


def _term(text: str) -> str:
    """A keyword as X reads it: phrases and words with operator characters in quotes."""
    text = text.strip().replace('"', "")
    return f'"{text}"' if _NEEDS_QUOTES.search(text) or text in ("OR", "AND") else text


def snowflake_time(tweet_id: str | int) -> datetime:
    """The moment encoded in an X id."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


@dataclass(frozen=True, slots=True)
class XCursor:
    """Where listening stands: the lower bound, and a walk back through one result set.

    A result set is served newest page first, so its newest id becomes the new `since_id` only
    once every page of it has been returned.
    """

    since_id: str | None = None
    start_time: datetime | None = None
    next_token: str | None = None
    newest_id: str | None = None

    def dumps(self) -> str:
        """The cursor as the opaque string the store keeps."""
        state = {
            "since_id": self.since_id,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "next_token": self.next_token,
            "newest_id": self.newest_id,
        }
        return json.dumps({k: v for k, v in state.items() if v is not None}, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> XCursor:
        """Parse a stored cursor."""
        try:
            state = json.loads(text)
            start = state.get("start_time")
            return cls(
                since_id=_opt_str(state.get("since_id")),
                start_time=parse_iso(start) if start else None,
                next_token=_opt_str(state.get("next_token")),
                newest_id=_opt_str(state.get("newest_id")),
            )
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"not an X cursor: {text[:80]!r}") from exc


def plan_search(cursor: XCursor | None, *, now: datetime) -> XCursor:
    """The bounds to ask with, moved inside X's 7-day window when they have fallen out of it."""
    if cursor is None:
        return XCursor()
    oldest = now - RECENT_WINDOW + WINDOW_MARGIN
    if cursor.since_id is not None and snowflake_time(cursor.since_id) < oldest:
        # A stale since_id is a 400; a walk's token belongs to the old bounds, so start over.
        return XCursor(start_time=oldest)
    if cursor.since_id is None and cursor.start_time is not None and cursor.start_time < oldest:
        return XCursor(start_time=oldest)
    return cursor


def advance(asked: XCursor, meta: Mapping[str, Any], *, first_run: bool,
            asked_at: datetime) -> tuple[XCursor, bool]:
    """The cursor after one page of a search asked with `asked`, and whether more is waiting."""
    newest = asked.newest_id or _opt_str(meta.get("newest_id"))
    token = _opt_str(meta.get("next_token"))
    if token and not first_run:
        return replace(asked, next_token=token, newest_id=newest), True
    if newest is not None:
        return XCursor(since_id=newest), False
    if first_run:
        return XCursor(start_time=asked_at - INDEX_MARGIN), False
    return replace(asked, next_token=None, newest_id=None), False


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """x-rate-limit-limit / -remaining / -reset (epoch seconds); None when absent."""
    limit = _int(headers.get("x-rate-limit-limit"))
    remaining = _int(headers.get("x-rate-limit-remaining"))
    reset = _int(headers.get("x-rate-limit-reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return RateLimit(limit=limit, remaining=remaining,
                     reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None)


def rate_limit_reset(headers: Mapping[str, str]) -> datetime | None:
    """When a 429 ends: the 15-minute window, or the 24-hour posting cap when that ran out."""
    reset = _int(headers.get("x-rate-limit-reset"))
    if _int(headers.get("x-user-limit-24hour-remaining")) == 0:
        daily = _int(headers.get("x-user-limit-24hour-reset"))
        reset = max(reset or 0, daily or 0) or None
    return datetime.fromtimestamp(reset, UTC) if reset is not None else None


def tweet_to_mention(tweet: Mapping[str, Any], user: Mapping[str, Any] | None, *,
                     quoted_author: str | None = None) -> Mention:
    """Normalise a v2 tweet and its expanded author into a Mention (`quoted_author`: who
    wrote the post it quotes, kept in `raw` for the reply rule)."""
    tweet_id = str(tweet["id"])
    user = user or {}
    author_id = str(tweet.get("author_id") or user.get("id") or "")
    if not author_id:
        raise ValueError("no author_id")
    username = _opt_str(user.get("username"))
    followers = (user.get("public_metrics") or {}).get("followers_count")
    created = tweet.get("created_at")
    parent = next((str(ref["id"]) for ref in tweet.get("referenced_tweets") or []
                   if ref.get("type") == "replied_to"), None)
    lang = _opt_str(tweet.get("lang"))
    note = tweet.get("note_tweet")
    full = note.get("text") if isinstance(note, dict) else None
    return Mention(
        platform="x",
        native_id=tweet_id,
        author=Author(
            platform="x", native_id=author_id, handle=username or author_id,
            display_name=_opt_str(user.get("name")),
            followers=followers if isinstance(followers, int) else None,
        ),
        # v2 escapes &, < and > in tweet text.
        text=clean_text(html.unescape(full if isinstance(full, str) else str(tweet["text"]))),
        created_at=parse_iso(str(created)) if created else snowflake_time(tweet_id),
        url=f"https://x.com/{username}/status/{tweet_id}" if username
        else f"https://x.com/i/web/status/{tweet_id}",
        lang=None if lang in (None, "und") else lang,
        in_reply_to=parent,
        conversation_id=_opt_str(tweet.get("conversation_id")),
        metrics={k: v for k, v in (tweet.get("public_metrics") or {}).items()
                 if isinstance(v, int) and not isinstance(v, bool)},
        raw={**tweet, "user": dict(user),
             **({"quoted_author": quoted_author} if quoted_author else {})},
    )


def page_mentions(body: Mapping[str, Any]) -> tuple[list[Mention], list[str]]:
    """A search answer's tweets as Mentions, oldest first, and the tweets that were skipped."""
    includes = body.get("includes") or {}
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
    authors = {str(t.get("id")): str(t.get("author_id")) for t in includes.get("tweets") or []
               if isinstance(t, dict)}
    mentions, problems = [], []
    for tweet in body.get("data") or []:
        try:
            quoted = next((authors.get(str(ref.get("id"))) for ref in
                           tweet.get("referenced_tweets") or []
                           if isinstance(ref, dict) and ref.get("type") == "quoted"), None)
            quoted_by = _opt_str((users.get(quoted or "") or {}).get("username"))
            mentions.append(tweet_to_mention(tweet, users.get(str(tweet.get("author_id"))),
                                             quoted_author=quoted_by))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            tweet_id = tweet.get("id") if isinstance(tweet, dict) else None
            problems.append(f"tweet {tweet_id}: cannot read it ({type(exc).__name__}: {exc})")
    mentions.sort(key=lambda m: int(m.native_id))
    return mentions, problems


def rebase(url: URL, base: URL) -> URL:
    """`url` with the scheme, host and port of `base`; path and (signed) query untouched."""
    return url.with_scheme(base.scheme).with_host(base.host or "").with_port(base.explicit_port)


class ApiSession:
    """The `session` tweepy is given: sends to base_url, applies the timeout, notes headers."""

    def __init__(self, *, base_url: str | None, timeout: float) -> None:
        self.base = URL(base_url) if base_url else None
        if self.base is not None and not (self.base.scheme and self.base.host):
            raise ValueError(f"x: base_url {base_url!r} is not an absolute URL")
        self.timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    def request(self, method: str, url: str | URL,
                **kwargs: Any) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """What tweepy calls: `async with session.request(...) as response`."""
        return self._request(method, URL(url) if isinstance(url, str) else url, **kwargs)

    @asynccontextmanager
    async def _request(self, method: str, url: URL,
                       **kwargs: Any) -> AsyncIterator[aiohttp.ClientResponse]:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        target = rebase(url, self.base) if self.base is not None else url
        async with self._http.request(
            method, target, timeout=aiohttp.ClientTimeout(total=self.timeout), **kwargs
        ) as response:
            _last_headers.set(response.headers)
            yield response

    async def close(self) -> None:
        """Close the connection pool (tweepy never closes a session it was given)."""
        if self._http is not None:
            await self._http.close()
            self._http = None


class XPlatform:
    """Listens with app-only recent search; replies with the account's user credentials."""

    platform = "x"

    def __init__(self, source: XSource, brand: Brand, *, environ: Mapping[str, str]) -> None:
        self.source = source
        self.query = build_query(brand)
        self.environ = environ
        self.session = ApiSession(base_url=source.base_url,
                                  timeout=source.timeout.total_seconds())
        self._reader: AsyncClient | None = None
        self._poster: tuple[AsyncClient, bool] | None = None
        self._username: str | None = None

    async def listen(self, cursor: str | None) -> Page:
        first_run = cursor is None
        asked_at = utcnow()
        asked = plan_search(XCursor.loads(cursor) if cursor else None, now=asked_at)
        body, rate_limit = await self._call("GET /2/tweets/search/recent", self._search(
            self.query, since_id=asked.since_id,
            start_time=None if asked.since_id else asked.start_time,
            next_token=asked.next_token, max_results=self.source.max_results,
        ))
        mentions, problems = page_mentions(body)
        meta = body.get("meta") or {}
        following, has_more = advance(asked, meta, first_run=first_run, asked_at=asked_at)
        return Page(mentions=tuple(mentions), next_cursor=following.dumps(), has_more=has_more,
                    rate_limit=rate_limit, problems=tuple(problems))

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """Recent search between fixed bounds, newest page first: from `since` (recent search
        reaches back 7 days at most) to the moment the backfill began."""
        now = utcnow()
        try:
            state = json.loads(cursor) if cursor else {}
            start = parse_iso(state["start"]) if "start" in state else max(
                since, now - RECENT_WINDOW + WINDOW_MARGIN)
            end = parse_iso(state["end"]) if "end" in state else now - timedelta(seconds=30)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not an X backfill cursor: {exc}") from None
        body, rate_limit = await self._call("GET /2/tweets/search/recent", self._search(
            self.query, start_time=start, end_time=end, next_token=state.get("next_token"),
            max_results=self.source.max_results,
        ))
        mentions, problems = page_mentions(body)
        token = _opt_str((body.get("meta") or {}).get("next_token"))
        following = {"start": start.isoformat(), "end": end.isoformat(), "next_token": token}
        return Page(mentions=tuple(mentions), next_cursor=json.dumps(following),
                    has_more=token is not None, rate_limit=rate_limit,
                    problems=tuple(problems))

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        # X has no idempotency key: find_reply is how a retried post is recognised.
        client, user_auth = self._posting_client()
        body, _ = await self._call("POST /2/tweets", client.create_tweet(
            text=text, in_reply_to_tweet_id=mention.native_id, user_auth=user_auth,
        ), posting=True)
        try:
            tweet_id = str(body["data"]["id"])
        except (KeyError, TypeError):
            raise Unavailable("POST /2/tweets: answer without the new tweet's id") from None
        return PostedReply(native_id=tweet_id, url=f"https://x.com/i/web/status/{tweet_id}")

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        username = await self._our_username()
        thread = mention.conversation_id or mention.native_id
        query = f"conversation_id:{thread} from:{username}"
        token: str | None = None
        for _ in range(5):  # 500 of our own tweets in one thread is beyond any real case
            body, _ = await self._call("GET /2/tweets/search/recent", self._search(
                query, next_token=token, max_results=100,
            ))
            for tweet in body.get("data") or []:
                if _is_our_reply(tweet, mention.native_id, text):
                    tweet_id = str(tweet["id"])
                    return PostedReply(native_id=tweet_id,
                                       url=f"https://x.com/i/web/status/{tweet_id}")
            token = _opt_str((body.get("meta") or {}).get("next_token"))
            if token is None:
                break
        return None

    async def close(self) -> None:
        await self.session.close()

    def _search(self, query: str, **params: Any) -> Awaitable[Any]:
        return self._reading_client().search_recent_tweets(
            query, expansions=EXPANSIONS, tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS,
            user_auth=False, **params,
        )

    def _reading_client(self) -> AsyncClient:
        if self._reader is None:
            variable = self.source.bearer_token_env
            token = self.environ.get(variable)
            if not token:
                raise AuthFailed(f"x: environment variable {variable} (bearer_token_env) "
                                 "is not set")
            self._reader = self._client(bearer_token=token)
        return self._reader

    def _posting_client(self) -> tuple[AsyncClient, bool]:
        """The client that acts as our account, and the user_auth flag its calls need."""
        if self._poster is None:
            src, env = self.source, self.environ
            user_token = env.get(src.user_token_env) if src.user_token_env else None
            oauth1 = [env.get(name) if name else None for name in (
                src.consumer_key_env, src.consumer_secret_env,
                src.access_token_env, src.access_token_secret_env,
            )]
            if user_token:
                self._poster = self._client(bearer_token=user_token), False
            elif all(oauth1):
                key, secret, access, access_secret = oauth1
                self._poster = self._client(
                    consumer_key=key, consumer_secret=secret,
                    access_token=access, access_token_secret=access_secret,
                ), True
            else:
                raise AuthFailed("x: no reply credentials configured "
                                 "(user_token_env or the four OAuth 1.0a keys)")
        return self._poster

    def _client(self, **credentials: Any) -> AsyncClient:
        client = AsyncClient(**credentials, return_type=dict, wait_on_rate_limit=False)
        client.session = self.session
        return client

    async def _our_username(self) -> str:
        if self._username is None:
            client, user_auth = self._posting_client()
            body, _ = await self._call("GET /2/users/me", client.get_me(user_auth=user_auth))
            try:
                self._username = str(body["data"]["username"])
            except (KeyError, TypeError):
                raise Unavailable("GET /2/users/me: answer without a username") from None
        return self._username

    async def _call(self, what: str, request: Awaitable[Any], *,
                    posting: bool = False) -> tuple[dict[str, Any], RateLimit | None]:
        """Await one tweepy call; map its failures to brandbot's errors."""
        _last_headers.set(None)
        try:
            body = await request
        except TooManyRequests as exc:
            raise RateLimited(f"{what}: rate limited",
                              reset_at=rate_limit_reset(exc.response.headers)) from None
        except TwitterServerError as exc:
            raise Unavailable(f"{what}: server error {exc.response.status}",
                              retry_after=retry_after_seconds(exc.response.headers)) from None
        except Unauthorized:
            raise AuthFailed(f"{what}: credentials refused (401)") from None
        except HTTPException as exc:
            raise await _refusal(what, exc, posting=posting) from None
        except TimeoutError:
            raise Unavailable(
                f"{what}: no answer within {self.session.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise Unavailable(f"{what}: {type(exc).__name__}") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise Unavailable(f"{what}: malformed JSON in the answer") from None
        if not isinstance(body, dict):
            raise Unavailable(f"{what}: the answer is not a JSON object")
        return body, parse_rate_limit(_last_headers.get() or {})


async def _refusal(what: str, exc: HTTPException, *, posting: bool) -> Exception:
    """The error for a 4xx other than 401 and 429."""
    status = exc.response.status
    reason = "; ".join(exc.api_messages) or exc.response.reason or "refused"
    if status == 403 and (not posting or (await _problem_type(exc)).endswith(AUTH_PROBLEMS)):
        return AuthFailed(f"{what}: these credentials may not do this (403): {reason}")
    return Refused(f"{what}: {status} {reason}")


async def _problem_type(exc: HTTPException) -> str:
    """The `type` of X's problem-details error body, or '' when there is none."""
    try:
        body = await exc.response.json()
    except (aiohttp.ClientError, ValueError):
        return ""
    return str(body.get("type") or "") if isinstance(body, dict) else ""


def _is_our_reply(tweet: Mapping[str, Any], parent_id: str, text: str) -> bool:
    """Whether a tweet of ours is the reply with this text to this parent. X gives a reply's
    text back with the @handles it replies to in front and each link as a t.co link, so
    both sides are compared without them."""
    parents = [str(ref.get("id")) for ref in tweet.get("referenced_tweets") or []
               if ref.get("type") == "replied_to"]
    same_text = _comparable(html.unescape(str(tweet.get("text", "")))) == _comparable(text)
    return same_text and (not parents or parent_id in parents)


_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+\s*")
_LINK = re.compile(r"https?://\S+")


def _comparable(text: str) -> str:
    """A reply's text as X and we would both show it: no leading @handles, links as one
    placeholder, whitespace collapsed."""
    text = _LINK.sub("<link>", _LEADING_MENTIONS.sub("", text))
    return " ".join(text.split())


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
