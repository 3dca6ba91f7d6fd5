"""Fake X API v2: recent search, create tweet (replies) and users/me."""

from __future__ import annotations

import html
import itertools
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .common import (
    FakeServer,
    Query,
    RateSnapshot,
    bearer,
    iso_ms,
    json_response,
    main,
    reason,
    sample,
    stable_int,
    to_datetime,
)

TWITTER_EPOCH_MS = 1288834974657
# links in a posted text, which X wraps as t.co links
_T_CO = re.compile(r"https?://\S+")
MAX_WEIGHTED_LENGTH = 280
# X's text counting (twitter-text v3), as far as the tests' texts go: code points weigh 1 in
# these ranges and 2 elsewhere, an emoji sequence 2, a link 23 (bare domains are not seen here)
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf](?:[\ufe0f\U0001f3fb-\U0001f3ff]"
                    "|\u200d[\U0001f000-\U0001faff\u2600-\u27bf])*")
# how much of a long post's `text` X serves before the cut (the rest is in note_tweet)
LONG_POST_CUT = 270
RECENT_WINDOW = timedelta(days=7)
TOKEN_PREFIX = "b26v89c19zqg8o3f"
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
TWEET_FIELDS = (
    "article,attachments,author_id,card_uri,community_id,context_annotations,conversation_id,"
    "created_at,display_text_range,edit_controls,edit_history_tweet_ids,entities,geo,id,"
    "in_reply_to_user_id,lang,media_metadata,non_public_metrics,note_tweet,organic_metrics,"
    "possibly_sensitive,promoted_metrics,public_metrics,referenced_tweets,reply_settings,"
    "scopes,source,text,withheld"
).split(",")
USER_FIELDS = (
    "affiliation,connection_status,created_at,description,entities,id,location,most_recent_tweet_id,"
    "name,pinned_tweet_id,profile_banner_url,profile_image_url,protected,public_metrics,"
    "receives_your_dm,subscription_type,url,username,verified,verified_type,withheld"
).split(",")
# Per-endpoint 15-minute limits (app-only search, per-user writes) as X documents them.
ENDPOINT_LIMITS = {
    ("GET", "/2/tweets/search/recent"): 450,
    ("POST", "/2/tweets"): 200,
    ("GET", "/2/users/me"): 75,
}
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
UNSUPPORTED_AUTH = {
    "title": "Unsupported Authentication",
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
    "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    "status": 403,
}
NOT_VISIBLE = {
    "detail": "You attempted to reply to a Tweet that is deleted or not visible to you.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
TOO_LONG = {
    "detail": "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
REPLY_RESTRICTED = {
    "detail": "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


def weighted_length(text: str) -> int:
    """A text's length as X counts it (see LIGHT_RANGES)."""
    text = _EMOJI.sub("xx", _T_CO.sub("x" * 23, unicodedata.normalize("NFC", text)))
    return sum(1 if any(low <= ord(ch) <= high for low, high in LIGHT_RANGES) else 2
               for ch in text)


def snowflake(dt: datetime, sequence: int = 0) -> str:
    """An X id for a moment: ((ms - epoch) << 22) | sequence."""
    return str(((int(dt.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF))


def snowflake_time(tweet_id: str | int) -> datetime:
    """The moment encoded in an X id."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def escape_text(text: str) -> str:
    """Tweet text as v2 renders it: &, < and > as HTML entities, quotes left alone."""
    return html.escape(text, quote=False)


def _encode_token(tweet_id: str) -> str:
    number, digits = int(tweet_id), ""
    while number:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
    return TOKEN_PREFIX + digits


def _decode_token(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    try:
        return str(int(token[len(TOKEN_PREFIX) :], 36))
    except ValueError:
        return None


def _invalid(parameter: str, value: str, message: str) -> web.Response:
    return json_response(
        {
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST,
        },
        400,
    )


class FakeX(FakeServer):
    """X API v2 at `base_url` in place of https://api.twitter.com."""

    name = "x"
    default_rate_limit = 900

    def __init__(
        self,
        *,
        bearer_token: str = "x-app-bearer",
        user_token: str = "x-user-token",
        me_username: str = "brandbot",
        rate_limit: int | None = None,
        reply_rule: str = "any",
    ) -> None:
        """`reply_rule="mentions_only"`: X's rule since Feb 2026 for apps below Enterprise, a
        reply only to a post that mentions or quotes the replying account."""
        super().__init__(rate_limit=rate_limit)
        self.reply_rule = reply_rule
        self.bearer_token = bearer_token
        self.user_token = user_token
        self.tweets: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self._sequence = itertools.count(1)
        self.me = self.user(me_username, name="Brandbot Support")

    def user(self, username: str, **fields: Any) -> dict[str, Any]:
        """The user object for a username, created on first use."""
        key = username.lower()
        if key not in self.users:
            self.users[key] = {
                "id": fields.pop("id", str(stable_int(key, 18))),
                "name": fields.pop("name", username.title()),
                "username": username,
                "created_at": "2015-03-02T10:00:00.000Z",
                "description": "",
                "protected": False,
                "verified": False,
                "public_metrics": {
                    "followers_count": fields.pop("followers_count", 100),
                    "following_count": 50,
                    "tweet_count": 1000,
                    "listed_count": 1,
                    "like_count": 10,
                },
            }
        self.users[key].update(fields)
        return self.users[key]

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a tweet; `reply_to=<id>` fills referenced_tweets/in_reply_to/conversation_id,
        `quote_of=<id>` makes it a quote post."""
        created = to_datetime(created_at)
        tweet_id = native_id or snowflake(created, next(self._sequence))
        user = self.user(
            author, **{k: extra.pop(k) for k in ("followers_count", "name") if k in extra}
        )
        tweet: dict[str, Any] = {
            "id": tweet_id,
            # a long post (X Premium): `text` is cut, the whole of it is in note_tweet
            "text": f"{text[:LONG_POST_CUT]}…" if weighted_length(text) > MAX_WEIGHTED_LENGTH
            else text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": user["id"],
            "created_at": iso_ms(created),
            "conversation_id": tweet_id,
            "lang": "en",
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            },
        }
        if tweet["text"] != text:
            tweet["note_tweet"] = {"text": text}
        parent = self.tweets.get(str(extra.pop("reply_to", "")))
        if parent is not None:
            tweet["conversation_id"] = parent["conversation_id"]
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
            parent["public_metrics"]["reply_count"] += 1
        quoted = self.tweets.get(str(extra.pop("quote_of", "")))
        if quoted is not None:  # a quote post: `quote_of=<id>`
            tweet.setdefault("referenced_tweets", []).append({"type": "quoted",
                                                              "id": quoted["id"]})
            quoted["public_metrics"]["quote_count"] += 1
        tweet.update(extra)
        self.tweets[tweet_id] = tweet
        return tweet

    def add_routes(self, app: web.Application) -> None:
        """Register the v2 endpoints."""
        app.router.add_get("/2/tweets/search/recent", self.search_recent)
        app.router.add_post("/2/tweets", self.create_tweet)
        app.router.add_get("/2/users/me", self.users_me)

    def rate_bucket(self, request: web.Request) -> tuple[str, int]:
        """Each endpoint has its own 15-minute window."""
        limit = ENDPOINT_LIMITS.get((request.method, request.path), self.default_rate_limit)
        return f"{request.method} {request.path}", self.rate_limit or limit

    def rate_limit_headers(self, snap: RateSnapshot) -> dict[str, str]:
        """x-rate-limit-limit / -remaining / -reset (epoch seconds)."""
        return {
            "x-rate-limit-limit": str(snap.limit),
            "x-rate-limit-remaining": str(snap.remaining),
            "x-rate-limit-reset": str(int(snap.reset_at)),
        }

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """The real 429 problem body with the rate-limit headers."""
        return json_response(sample("x_errors.json")["429"], 429, self.rate_limit_headers(snap))

    def error(self, status: int) -> web.Response:
        """X's problem-details error body."""
        phrase = reason(status)
        return json_response(
            {"title": phrase, "detail": phrase, "type": "about:blank", "status": status}, status
        )

    def _auth(self, request: web.Request) -> str | None:
        """'app', 'user' or None (rejected) for the request's Authorization header."""
        if self.auth_expired:
            return None
        header = request.headers.get("Authorization", "")
        if header.startswith("OAuth ") and all(
            f"{name}=" in header
            for name in ("oauth_consumer_key", "oauth_token", "oauth_signature")
        ):
            return "user"
        token = bearer(request)
        return {self.bearer_token: "app", self.user_token: "user"}.get(token or "")

    async def search_recent(self, request: web.Request) -> web.Response:
        """GET /2/tweets/search/recent."""
        if self._auth(request) is None:
            return json_response(UNAUTHORIZED, 401)
        params = request.query
        problem = self._validate_search(params)
        if problem is not None:
            return problem
        fields = set(filter(None, params.get("tweet.fields", "").split(",")))
        expansions = set(filter(None, params.get("expansions", "").split(",")))
        limit = int(params.get("max_results", "10"))
        token = params.get("next_token") or params.get("pagination_token")
        cursor = _decode_token(token) if token else None
        matched = self._matching(params)
        if cursor is not None:
            matched = [t for t in matched if int(t["id"]) < int(cursor)]
        page = matched[:limit]
        if not page:
            return json_response({"meta": {"result_count": 0}})
        body: dict[str, Any] = {"data": [self._render(t, fields, expansions) for t in page]}
        includes = self._includes(page, expansions, params)
        if includes:
            body["includes"] = includes
        meta: dict[str, Any] = {
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
            "result_count": len(page),
        }
        if len(matched) > limit:
            meta["next_token"] = _encode_token(page[-1]["id"])
        body["meta"] = meta
        return json_response(body)

    def _validate_search(self, params: Any) -> web.Response | None:
        if not params.get("query"):
            return _invalid("query", "", "The `query` query parameter can not be empty")
        limit = params.get("max_results", "10")
        if not limit.isdigit() or not 10 <= int(limit) <= 100:
            return _invalid(
                "max_results",
                limit,
                f"The `max_results` query parameter value [{limit}] is not between 10 and 100",
            )
        for name, allowed in (("tweet.fields", TWEET_FIELDS), ("user.fields", USER_FIELDS)):
            for value in filter(None, params.get(name, "").split(",")):
                if value not in allowed:
                    return _invalid(
                        name,
                        value,
                        f"The `{name}` query parameter value [{value}] is not one of "
                        f"[{','.join(allowed)}]",
                    )
        oldest = datetime.now(UTC) - RECENT_WINDOW
        since_id = params.get("since_id")
        if since_id and (not since_id.isdigit() or snowflake_time(since_id) < oldest):
            return _invalid(
                "since_id",
                since_id,
                f"Please use a 'since_id' that is larger than {snowflake(oldest)}",
            )
        start = params.get("start_time")
        if start and to_datetime(start) < oldest:
            return _invalid(
                "start_time",
                start,
                f"Invalid 'start_time':'{start}'. 'start_time' must be on or after "
                f"{oldest.strftime('%Y-%m-%dT%H:%MZ')}",
            )
        token = params.get("next_token") or params.get("pagination_token")
        if token and _decode_token(token) is None:
            return _invalid(
                "next_token", token, f"The `next_token` query parameter value [{token}] is invalid"
            )
        return None

    def _matching(self, params: Any) -> list[dict[str, Any]]:
        """Tweets of the last 7 days matching the query and id/time bounds, newest first."""
        query = Query.parse(params["query"])
        oldest = datetime.now(UTC) - RECENT_WINDOW
        start = to_datetime(params["start_time"]) if params.get("start_time") else oldest
        end = to_datetime(params["end_time"]) if params.get("end_time") else None
        since = int(params.get("since_id") or 0)
        until = int(params["until_id"]) if params.get("until_id") else None
        found = []
        for tweet in sorted(self.tweets.values(), key=lambda t: int(t["id"]), reverse=True):
            created = to_datetime(tweet["created_at"])
            if created < start or (end is not None and created >= end):
                continue
            if int(tweet["id"]) <= since or (until is not None and int(tweet["id"]) >= until):
                continue
            whole = (tweet.get("note_tweet") or {}).get("text", tweet["text"])
            if query.matches(whole) and self._operators_match(query, tweet):
                found.append(tweet)
        return found

    def _operators_match(self, query: Query, tweet: dict[str, Any]) -> bool:
        author = next(u for u in self.users.values() if u["id"] == tweet["author_id"])
        checks = {
            "conversation_id": lambda v: tweet["conversation_id"] == v,
            "from": lambda v: (
                author["username"].lower()
                == (self.me["username"] if v == "me" else v).lower().lstrip("@")
            ),
            "lang": lambda v: tweet.get("lang") == v,
            "is": lambda v: {
                "reply": any(r["type"] == "replied_to" for r in tweet.get("referenced_tweets", [])),
                "retweet": tweet["text"].startswith("RT @"),
            }.get(v, True),
        }
        # Like X, `(lang:en OR lang:de)` is either language: same-name operators are alternatives.
        wanted: dict[str, bool] = {}
        for name, value, negated in query.operators:
            if name not in checks:
                continue
            hit = checks[name](value)
            if negated and hit:
                return False
            if not negated:
                wanted[name] = wanted.get(name, False) or hit
        return all(wanted.values())

    @staticmethod
    def _render(tweet: dict[str, Any], fields: set[str], expansions: set[str]) -> dict[str, Any]:
        out = {k: tweet[k] for k in ("edit_history_tweet_ids", "id")}
        out["text"] = escape_text(tweet["text"])
        if "author_id" in expansions:
            out["author_id"] = tweet["author_id"]
        out.update({f: tweet[f] for f in sorted(fields) if f in tweet})
        if "note_tweet" in out:
            out["note_tweet"] = {**out["note_tweet"],
                                 "text": escape_text(out["note_tweet"]["text"])}
        return out

    def _includes(
        self, page: list[dict[str, Any]], expansions: set[str], params: Any
    ) -> dict[str, Any]:
        includes: dict[str, Any] = {}
        user_fields = set(filter(None, params.get("user.fields", "").split(",")))
        if "author_id" in expansions or "referenced_tweets.id.author_id" in expansions:
            ids = list(dict.fromkeys(t["author_id"] for t in page)) if (
                "author_id" in expansions) else []
            if "referenced_tweets.id.author_id" in expansions:  # the authors of what they quote
                ids += [self.tweets[r["id"]]["author_id"] for t in page
                        for r in t.get("referenced_tweets", []) if r["id"] in self.tweets]
                ids = list(dict.fromkeys(ids))
            by_id = {u["id"]: u for u in self.users.values()}
            includes["users"] = [
                {k: v for k, v in by_id[i].items() if k in {"id", "name", "username"} | user_fields}
                for i in ids
            ]
        if "referenced_tweets.id" in expansions:
            refs = [r["id"] for t in page for r in t.get("referenced_tweets", [])]
            tweets = [self._render(self.tweets[i], set(), {"author_id"})
                      for i in refs if i in self.tweets]
            if tweets:
                includes["tweets"] = tweets
        return includes

    def _engages_me(self, tweet: dict[str, Any]) -> bool:
        """Whether the tweet mentions the replying account or quotes one of its posts."""
        me = self.me["username"].lower()
        if re.search(rf"(?<![\w@])@{re.escape(me)}\b", tweet.get("text", ""), re.IGNORECASE):
            return True
        return any(ref.get("type") == "quoted"
                   and self.tweets.get(str(ref.get("id")), {}).get("author_id") == self.me["id"]
                   for ref in tweet.get("referenced_tweets") or [])

    async def create_tweet(self, request: web.Request) -> web.Response:
        """POST /2/tweets (user context only)."""
        auth = self._auth(request)
        if auth is None:
            return json_response(UNAUTHORIZED, 401)
        if auth == "app":
            return json_response(UNSUPPORTED_AUTH, 403)
        try:
            body = await request.json()
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
        if not text:
            return _invalid("text", "", "The `text` field is required")
        if weighted_length(text) > MAX_WEIGHTED_LENGTH:
            return json_response(TOO_LONG, 403)
        target = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
        parent = self.tweets.get(target)
        if target and parent is None:
            return json_response(NOT_VISIBLE, 403)
        if parent is not None and parent.get("reply_settings", "everyone") != "everyone":
            return json_response(REPLY_RESTRICTED, 403)
        if (parent is not None and self.reply_rule == "mentions_only"
                and not self._engages_me(parent)):
            return json_response(REPLY_RESTRICTED, 403)
        mine = [t for t in self.tweets.values() if t["author_id"] == self.me["id"]]
        if any(t.get("posted_text", t["text"]) == text for t in mine):
            return json_response(sample("x_errors.json")["403_duplicate"], 403)
        # X keeps a reply's text with the parent author's @handle in front (outside
        # display_text_range) and every link wrapped as a t.co link
        shown = _T_CO.sub(lambda m: f"https://t.co/{abs(hash(m.group())) % 10**10:010d}", text)
        if parent is not None:
            parent_user = next((u for u in self.users.values()
                                if u["id"] == parent["author_id"]), None)
            if parent_user is not None:
                shown = f"@{parent_user['username']} {shown}"
        tweet = self.add_post(
            None, self.me["username"], shown, time.time(),
            **({"reply_to": target} if target else {})
        )
        tweet["posted_text"] = text
        # the @handle in front is outside the counted text: a reply is never a long post
        tweet["text"] = shown
        tweet.pop("note_tweet", None)
        self.replies.append(
            {
                "id": tweet["id"],
                "text": text,
                "in_reply_to_tweet_id": target or None,
                "conversation_id": tweet["conversation_id"],
                "auth": "oauth1"
                if request.headers["Authorization"].startswith("OAuth")
                else "bearer",
            }
        )
        return json_response(
            {
                "data": {
                    "edit_history_tweet_ids": [tweet["id"]],
                    "id": tweet["id"],
                    "text": escape_text(text),
                }
            },
            201,
        )

    async def users_me(self, request: web.Request) -> web.Response:
        """GET /2/users/me (user context only)."""
        auth = self._auth(request)
        if auth is None:
            return json_response(UNAUTHORIZED, 401)
        if auth == "app":
            return json_response(UNSUPPORTED_AUTH, 403)
        fields = set(filter(None, request.query.get("user.fields", "").split(",")))
        return json_response(
            {"data": {k: v for k, v in self.me.items() if k in {"id", "name", "username"} | fields}}
        )


if __name__ == "__main__":
    main(FakeX)
