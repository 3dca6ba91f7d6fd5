"""Fake Reddit: the www token endpoint and the oauth.reddit.com API on one server."""

from __future__ import annotations

import base64
import html
import itertools
import re
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .common import (
    FakeServer,
    Query,
    RateSnapshot,
    bearer,
    clamp_int,
    json_response,
    main,
    reason,
    sample,
    stable_int,
    to_datetime,
)

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
TIME_FILTERS = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
UNAUTHORIZED = {"message": "Unauthorized", "error": 401}
FORBIDDEN = {"message": "Forbidden", "error": 403}
INVALID_TOKEN = {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'}
TRUTHY = {"1", "true", "True", "on", "yes"}
# Reddit's API rules: "<platform>:<app ID>:<version string> (by /u/<reddit username>)"; vague
# User-Agents ("Python/urllib", a bare "mybot/1.0") are drastically limited
USER_AGENT = re.compile(r"[^\s:]+:[^\s:]+:[^\s:]+ \(by /?u/[A-Za-z0-9_-]{3,20}\)(?: .*)?")
_LUCENE_NOT = re.compile(r'\bNOT\s+("[^"]*"|\S+)')


def base36(number: int) -> str:
    """Reddit's base-36 id spelling."""
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = BASE36[rest] + digits
    return digits or "0"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "post"


def _md_html(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in text.split("\n\n"))
    return f'<div class="md">{paragraphs}</div>'


def lucene_not(query: str) -> str:
    """Reddit's `NOT term` exclusion spelled as the `-term` the shared Query parser knows."""
    return _LUCENE_NOT.sub(r"-\1", query)


def ratelimit_message(seconds: int) -> str:
    """Reddit's RATELIMIT wording (praw parses the number and unit out of it)."""
    amount, unit = (seconds // 60, "minute") if seconds >= 60 else (seconds, "second")
    plural = "" if amount == 1 else "s"
    return (
        f"Looks like you've been doing that a lot. Take a break for {amount} {unit}{plural} "
        "before trying again."
    )


class FakeReddit(FakeServer):
    """Serves both praw's `reddit_url` (token endpoint) and `oauth_url` (API)."""

    name = "reddit"
    default_rate_limit = 1000
    rate_window_seconds = 600
    aligned_windows = True

    def __init__(
        self,
        *,
        client_id: str = "reddit-client-id",
        client_secret: str = "reddit-client-secret",
        username: str = "brandbot",
        password: str = "reddit-password",
        default_subreddit: str = "brandbot",
        rate_limit: int | None = None,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.default_subreddit = default_subreddit
        self.things: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.token_requests = 0
        self.api_errors: list[list[str | None]] = []
        self.empty_replies = 0
        self.user_agents: list[str] = []
        self._ids = itertools.count(int("1sk0000", 36))

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a submission (t3), or a comment with `kind="t1"` and `link_id`/`parent_id`."""
        if extra.pop("kind", "t3") == "t1":
            return self.add_comment(native_id, author, text, created_at, **extra)
        thing_id = native_id or base36(next(self._ids))
        subreddit = extra.pop("subreddit", self.default_subreddit)
        title = extra.pop("title", text[:80])
        created = to_datetime(created_at).timestamp()
        permalink = f"/r/{subreddit}/comments/{thing_id}/{_slug(title)}/"
        data = sample("reddit_t3.json")["data"]
        data.update(
            {
                "id": thing_id,
                "name": f"t3_{thing_id}",
                "title": title,
                "selftext": text,
                "selftext_html": f"<!-- SC_OFF -->{_md_html(text)}<!-- SC_ON -->" if text else None,
                "subreddit": subreddit,
                "subreddit_name_prefixed": f"r/{subreddit}",
                "subreddit_id": f"t5_{base36(stable_int(subreddit, 9))}",
                "domain": f"self.{subreddit}",
                "created": created,
                "created_utc": created,
                "permalink": permalink,
                "url": f"https://www.reddit.com{permalink}",
                "num_comments": 0,
                "score": 1,
                "ups": 1,
                "upvote_ratio": 1.0,
                "locked": False,
                "link_flair_text": None,
            }
        )
        self._set_author(data, author)
        data.update(extra)
        self.things[data["name"]] = data
        return data

    def add_comment(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a comment (t1) under `parent_id` (a t1/t3 fullname) or `link_id`."""
        parent_id = extra.pop("parent_id", None) or extra.get("link_id")
        if parent_id is None:
            raise ValueError("a comment needs parent_id or link_id")
        parent = self.things.get(parent_id, {})
        link_id = extra.pop("link_id", None) or parent.get("link_id") or parent_id
        link = self.things.get(link_id, {})
        subreddit = extra.pop("subreddit", link.get("subreddit", self.default_subreddit))
        comment_id = native_id or base36(next(self._ids))
        created = to_datetime(created_at).timestamp()
        link_permalink = link.get("permalink", f"/r/{subreddit}/comments/{link_id[3:]}/post/")
        data = sample("reddit_t1.json")["data"]
        data.update(
            {
                "id": comment_id,
                "name": f"t1_{comment_id}",
                "body": text,
                "body_html": _md_html(text),
                "link_id": link_id,
                "parent_id": parent_id,
                "subreddit": subreddit,
                "subreddit_name_prefixed": f"r/{subreddit}",
                "subreddit_id": f"t5_{base36(stable_int(subreddit, 9))}",
                "created": created,
                "created_utc": created,
                "permalink": f"{link_permalink}{comment_id}/",
                "link_permalink": f"https://www.reddit.com{link_permalink}",
                "link_url": link.get("url", f"https://www.reddit.com{link_permalink}"),
                "link_title": link.get("title", ""),
                "link_author": link.get("author", "[deleted]"),
                "num_comments": link.get("num_comments", 0) + 1,
                "score": 1,
                "ups": 1,
                "locked": False,
            }
        )
        self._set_author(data, author)
        data.update(extra)
        if link:
            link["num_comments"] += 1
        self.things[data["name"]] = data
        return data

    @staticmethod
    def _set_author(data: dict[str, Any], author: str) -> None:
        data["author"] = author
        if author == "[deleted]":
            data.pop("author_fullname", None)
        else:
            data["author_fullname"] = f"t2_{base36(stable_int(author.lower(), 12))}"

    def lock(self, fullname: str) -> None:
        """Lock a thread: replies to it (or inside it) fail with THREAD_LOCKED."""
        self.things[fullname]["locked"] = True

    def api_error_next(self, code: str, message: str, field: str | None = None) -> None:
        """Make the next POST /api/comment answer 200 with this error in json.errors."""
        self.api_errors.append([code, message, field])

    def empty_reply_next(self, times: int = 1) -> None:
        """Post the next replies but answer `things: []`, as Reddit does in quarantined subs."""
        self.empty_replies += times

    def comment_ratelimit_next(self, seconds: int = 540) -> None:
        """Make the next reply fail with Reddit's RATELIMIT error for `seconds`."""
        self.api_error_next("RATELIMIT", ratelimit_message(seconds), "ratelimit")

    def on_expire_auth(self) -> None:
        """Issued access tokens stop working; a new access_token call recovers."""
        self.tokens.clear()
        self.auth_expired = False

    def add_routes(self, app: web.Application) -> None:
        """Register www (token) and oauth endpoints, with and without trailing slashes."""
        app.router.add_post("/api/v1/access_token", self.access_token)
        routes = {
            "/r/{sub}/search": self.search,
            "/r/{sub}/comments": self.subreddit_comments,
            "/r/{sub}/new": self.subreddit_new,
            "/api/info": self.info,
            "/api/v1/me": self.me,
            "/user/{name}/comments": self.user_comments,
            "/comments/{id}": self.submission,
            "/comments/{id}/{slug}/{comment}": self.comment_thread,
        }
        for path, handler in routes.items():
            app.router.add_get(path, handler)
            app.router.add_get(f"{path}/", handler)
        app.router.add_post("/api/comment", self.comment)
        app.router.add_post("/api/comment/", self.comment)

    def rate_bucket(self, request: web.Request) -> tuple[str, int] | None:
        """The oauth API has one 10-minute window; the token endpoint has none."""
        if request.path.startswith("/api/v1/access_token"):
            return None
        return "oauth", self.rate_limit or self.default_rate_limit

    def rate_limit_headers(self, snap: RateSnapshot) -> dict[str, str]:
        """x-ratelimit-used / -remaining (a float) / -reset (seconds until reset)."""
        return {
            "x-ratelimit-remaining": f"{float(snap.remaining):.1f}",
            "x-ratelimit-used": str(snap.used),
            "x-ratelimit-reset": str(snap.reset_in),
        }

    async def _before_handler(self, fault: Any, request: web.Request) -> web.StreamResponse | None:
        """Refuse a vague User-Agent as Reddit limits one (after any queued fault)."""
        early = await super()._before_handler(fault, request)
        if early is not None:
            return early
        agent = request.headers.get("User-Agent", "")
        self.user_agents.append(agent)
        if not USER_AGENT.fullmatch(agent):
            return json_response({"message": "Too Many Requests", "error": 429}, 429)
        return None

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """Reddit's JSON 429 with the x-ratelimit headers."""
        return json_response(
            {"message": "Too Many Requests", "error": 429}, 429, self.rate_limit_headers(snap)
        )

    def error(self, status: int) -> web.Response:
        """Reddit's {"message", "error"} error body."""
        return json_response({"message": reason(status), "error": status}, status)

    async def access_token(self, request: web.Request) -> web.Response:
        """POST /api/v1/access_token (HTTP basic client auth; password or client_credentials)."""
        self.token_requests += 1
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            client = base64.b64decode(encoded).decode()
        except ValueError:
            client = ""
        if scheme.lower() != "basic" or client != f"{self.client_id}:{self.client_secret}":
            return json_response(UNAUTHORIZED, 401)
        form = await request.post()
        grant = form.get("grant_type")
        if grant == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                return json_response({"error": "invalid_grant"})
            kind = "user"
        elif grant == "client_credentials":
            kind = "app"
        else:
            return json_response({"error": "unsupported_grant_type"})
        token = self.issue_token(kind)
        return json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def issue_token(self, kind: str = "user") -> str:
        """A new access token ("user" for password grants, "app" for client credentials)."""
        token = f"{secrets.randbelow(10**12)}-{secrets.token_urlsafe(20)}"
        self.tokens[token] = kind
        return token

    def _token_kind(self, request: web.Request) -> str | None:
        return self.tokens.get(bearer(request) or "")

    def _unauthorized(self) -> web.Response:
        return json_response(UNAUTHORIZED, 401, INVALID_TOKEN)

    def _listing(self, items: list[dict[str, Any]], params: Any) -> dict[str, Any]:
        """A Listing page of `items` (newest first) honouring limit/after/before."""
        limit = clamp_int(params.get("limit"), 25, 1, 100)
        names = [item["name"] for item in items]
        after, before = params.get("after"), params.get("before")
        next_after = next_before = None
        if after:
            start = names.index(after) + 1 if after in names else len(items)
            page = items[start : start + limit]
            more = start + limit < len(items)
        elif before:
            end = names.index(before) if before in names else 0
            page = items[max(0, end - limit) : end]
            more = False
            next_before = page[0]["name"] if page and end - limit > 0 else None
        else:
            page, more = items[:limit], len(items) > limit
        if more and page:
            next_after = page[-1]["name"]
        return {
            "kind": "Listing",
            "data": {
                "after": next_after,
                "dist": len(page),
                "modhash": None,
                "geo_filter": None,
                "children": [{"kind": item["name"][:2], "data": item} for item in page],
                "before": next_before,
            },
        }

    def _newest(self, kind: str, subreddit: str | None = None) -> list[dict[str, Any]]:
        subs = None if subreddit in (None, "all") else {s.lower() for s in subreddit.split("+")}
        items = [
            t
            for t in self.things.values()
            if t["name"].startswith(kind) and (subs is None or t["subreddit"].lower() in subs)
        ]
        return sorted(items, key=lambda t: (t["created_utc"], t["name"]), reverse=True)

    async def search(self, request: web.Request) -> web.Response:
        """GET /r/{sub}/search: submissions only (q, sort, restrict_sr, t, limit, after)."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        params = request.query
        sub = request.match_info["sub"]
        restrict = params.get("restrict_sr", "") in TRUTHY
        items = self._newest("t3", sub if restrict else None)
        query = Query.parse(lucene_not(params.get("q", "")))
        items = [t for t in items if query.matches(f"{t['title']}\n{t['selftext']}")]
        window = TIME_FILTERS.get(params.get("t", "all"))
        if window is not None:
            cutoff = time.time() - window.total_seconds()
            items = [t for t in items if t["created_utc"] >= cutoff]
        sort = params.get("sort", "relevance")
        if sort == "top":
            items.sort(key=lambda t: t["score"], reverse=True)
        elif sort == "comments":
            items.sort(key=lambda t: t["num_comments"], reverse=True)
        return json_response(self._listing(items, params))

    async def subreddit_comments(self, request: web.Request) -> web.Response:
        """GET /r/{sub}/comments: newest comments first."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        items = self._newest("t1", request.match_info["sub"])
        return json_response(self._listing(items, request.query))

    async def subreddit_new(self, request: web.Request) -> web.Response:
        """GET /r/{sub}/new: newest submissions first."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        items = self._newest("t3", request.match_info["sub"])
        return json_response(self._listing(items, request.query))

    async def user_comments(self, request: web.Request) -> web.Response:
        """GET /user/{name}/comments: a user's comments, newest first (find our own replies)."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        name = request.match_info["name"].lower()
        items = [t for t in self._newest("t1") if t["author"].lower() == name]
        return json_response(self._listing(items, request.query))

    async def info(self, request: web.Request) -> web.Response:
        """GET /api/info?id=t3_a,t1_b."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        names = request.query.get("id", "").split(",")
        items = [self.things[name] for name in names if name in self.things]
        return json_response(self._listing(items, {"limit": "100"}))

    async def submission(self, request: web.Request) -> web.Response:
        """GET /comments/{id}: [submission listing, comment tree listing]."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        link = self.things.get(f"t3_{request.match_info['id']}")
        if link is None:
            return self.error(404)
        return json_response(
            [
                self._listing([link], {"limit": "1"}),
                self._listing(self._tree(link["name"]), {"limit": "100"}),
            ]
        )

    async def comment_thread(self, request: web.Request) -> web.Response:
        """GET /comments/{id}/_/{comment}: one comment, its replies and `context` ancestors."""
        if self._token_kind(request) is None:
            return self._unauthorized()
        link = self.things.get(f"t3_{request.match_info['id']}")
        focus = self.things.get(f"t1_{request.match_info['comment']}")
        if link is None or focus is None or focus["link_id"] != link["name"]:
            return self.error(404)
        below = self._tree(focus["name"])
        node = {**focus, "replies": self._listing(below, {"limit": "100"}) if below else ""}
        for _ in range(clamp_int(request.query.get("context"), 0, 0, 8)):
            parent = self.things.get(node["parent_id"])
            if parent is None or not parent["name"].startswith("t1_"):
                break
            node = {**parent, "replies": self._listing([node], {"limit": "1"})}
        return json_response(
            [
                self._listing([link], {"limit": "1"}),
                self._listing([node], {"limit": "1"}),
            ]
        )

    def _tree(self, parent: str) -> list[dict[str, Any]]:
        children = sorted(
            (t for t in self.things.values() if t.get("parent_id") == parent),
            key=lambda t: t["created_utc"],
        )
        out = []
        for child in children:
            below = self._tree(child["name"])
            out.append(
                {**child, "replies": self._listing(below, {"limit": "100"}) if below else ""}
            )
        return out

    async def me(self, request: web.Request) -> web.Response:
        """GET /api/v1/me (user tokens only)."""
        kind = self._token_kind(request)
        if kind is None:
            return self._unauthorized()
        if kind != "user":
            return json_response(FORBIDDEN, 403)
        return json_response(
            {
                "name": self.username,
                "id": base36(stable_int(self.username.lower(), 12)),
                "created": 1420070400.0,
                "created_utc": 1420070400.0,
                "link_karma": 1,
                "comment_karma": 1,
                "total_karma": 2,
                "is_suspended": False,
                "has_verified_email": True,
                "over_18": False,
                "is_mod": False,
                "is_gold": False,
            }
        )

    async def comment(self, request: web.Request) -> web.Response:
        """POST /api/comment: thing_id + text -> {"json": {"errors", "data": {"things"}}}."""
        kind = self._token_kind(request)
        if kind is None:
            return self._unauthorized()
        if kind != "user":
            return json_response(FORBIDDEN, 403)
        form = await request.post()
        thing_id, text = str(form.get("thing_id", "")), str(form.get("text", ""))
        errors = self._comment_errors(thing_id, text)
        if errors:
            return json_response({"json": {"errors": errors}})
        comment = self.add_comment(None, self.username, text, time.time(), parent_id=thing_id)
        things = [{"kind": "t1", "data": comment}]
        if self.empty_replies:
            self.empty_replies -= 1
            things = []
        self.replies.append(
            {
                "id": comment["id"],
                "name": comment["name"],
                "thing_id": thing_id,
                "link_id": comment["link_id"],
                "text": text,
            }
        )
        return json_response(
            {
                "json": {
                    "errors": [],
                    "data": {
                        "things": things,
                    },
                }
            }
        )

    def _comment_errors(self, thing_id: str, text: str) -> list[list[str | None]]:
        if self.api_errors:
            return [self.api_errors.pop(0)]
        if not text.strip():
            return [["NO_TEXT", "we need something here", "text"]]
        target = self.things.get(thing_id)
        if target is None:
            return [["NO_THING_ID", "that thing doesn't exist", "thing_id"]]
        link = self.things.get(target.get("link_id", thing_id), target)
        if target.get("locked") or link.get("locked"):
            return [["THREAD_LOCKED", "Comments are locked.", "parent"]]
        return []


if __name__ == "__main__":
    main(FakeReddit)
