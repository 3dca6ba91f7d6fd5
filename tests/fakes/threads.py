"""Fake Threads (graph.threads.net/v1.0): keyword search, media containers and publishing, our
replies, replies to a post, the publishing limit, Graph API error bodies and the daily caps.

Shapes follow Meta's Threads API reference (the docs' examples; `samples/threads_*.json`):
lists are {"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}, errors are
{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}, and each answer carries
`X-App-Usage` (percent of the app's hourly calls used).
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import time
from datetime import UTC, datetime
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
    read_body,
    reason,
    sample,
    stable_int,
    to_datetime,
)

DAY = 86_400
MAX_CHARS = 500
EARLIEST_SINCE = 1_688_540_400
FBTRACE = "AZmX3kq7Lr2"
HASHTAG = re.compile(r"(?<![\w/])#(\w+)")
DEFAULT_PERMISSIONS = ("threads_basic", "threads_content_publish", "threads_manage_replies",
                       "threads_read_replies", "threads_keyword_search")
MEDIA_FIELDS = frozenset({
    "id", "media_product_type", "media_type", "media_url", "permalink", "owner", "username",
    "text", "timestamp", "shortcode", "thumbnail_url", "children", "is_quote_post", "alt_text",
    "link_attachment_url", "has_replies", "is_reply", "root_post", "replied_to",
    "reply_audience", "quoted_post", "reposted_post", "gif_url", "poll_attachment", "topic_tag",
    "hide_status", "is_verified",
})
USER_FIELDS = frozenset({"id", "username", "name", "threads_profile_picture_url",
                         "threads_biography", "is_verified"})
LIMIT_FIELDS = ("quota_usage", "config", "reply_quota_usage", "reply_config")
NO_PERMISSION = "(#10) Application does not have permission for this action"
LIMIT_REACHED = "(#4) Application request limit reached"


def graph_error(message: str, code: int, *, status: int = 400, kind: str = "THApiException",
                subcode: int | None = None, transient: bool | None = None,
                headers: dict[str, str] | None = None) -> web.Response:
    """A Graph API error answer."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    error["fbtrace_id"] = FBTRACE
    return json_response({"error": error}, status, headers)


def not_found(node: str) -> web.Response:
    """The answer for an id that is not there (as quoted in restfb#1502)."""
    body = sample("threads_errors.json")["not_found"]
    body["error"]["message"] = body["error"]["message"].replace("1234567", node[:40])
    body["error"]["fbtrace_id"] = FBTRACE
    return json_response(body, 400)


def threads_length(text: str) -> int:
    """The length Threads checks against 500: characters, but an emoji counts its UTF-8 bytes
    (the publishing reference). Here every character outside the BMP counts as 4."""
    return sum(4 if ord(ch) > 0xFFFF else 1 for ch in text)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"QVFI{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("QVFI")) if text.startswith("QVFI") else None
    except ValueError:
        return None


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def posted_at(media: dict[str, Any]) -> float:
    """A media object's timestamp as epoch seconds (0 for one a test made unreadable)."""
    try:
        return datetime.strptime(str(media["timestamp"]), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except (KeyError, ValueError):
        return 0.0


def _newest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda m: (posted_at(m), len(m["id"]), m["id"]), reverse=True)


class FakeThreads(FakeServer):
    """A Threads account (`username`) with a long-lived token, and everyone's public posts."""

    name = "threads"
    default_rate_limit = 4800  # app calls per hour; X-App-Usage reports the share used
    rate_window_seconds = 3600

    def __init__(
        self,
        *,
        access_token: str = "threads-token",
        username: str = "brightwave_help",
        permissions: tuple[str, ...] | list[str] = DEFAULT_PERMISSIONS,
        search_approved: bool = True,
        search_cap: int = 2200,
        post_cap: int = 250,
        reply_cap: int = 1000,
        rate_limit: int | None = None,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.access_token = access_token
        self.username = username
        self.user_id = str(stable_int(username, 17))
        self.permissions = set(permissions)
        self.search_approved = search_approved
        self.search_cap, self.post_cap, self.reply_cap = search_cap, post_cap, reply_cap
        self.media: dict[str, dict[str, Any]] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self.searches: list[float] = []  # when each counted keyword search came
        self.published: list[tuple[float, bool]] = []  # (when, was it a reply)
        self._media_ids = itertools.count(17_900_000_000_000_001)
        self._container_ids = itertools.count(17_841_000_000_000_001)

    # -- state

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a public post; `reply_to=<id>` makes it a reply, `topic_tag=` its topic (else
        the first #word of the text)."""
        created = to_datetime(created_at)
        native_id = native_id or str(next(self._media_ids))
        parent = self.media.get(str(extra.pop("reply_to", None) or ""))
        tag = extra.pop("topic_tag", None) or next(iter(HASHTAG.findall(text)), None)
        shortcode = base64.urlsafe_b64encode(
            stable_int(native_id, 12).to_bytes(6, "big")).decode()
        media = sample("threads_media.json")
        media.update({
            "id": native_id,
            "text": text,
            "media_product_type": "THREADS",
            "permalink": f"https://www.threads.net/@{author}/post/{shortcode}",
            "shortcode": shortcode,
            "timestamp": _stamp(created),
            "username": author,
            "owner": {"id": str(stable_int(author, 17))},
            "is_reply": parent is not None,
        })
        if tag:
            media["topic_tag"] = tag
        if parent is not None:
            media["replied_to"] = {"id": parent["id"]}
            media["root_post"] = {"id": (parent.get("root_post") or parent)["id"]}
            parent["has_replies"] = True
        media.update(extra)
        self.media[native_id] = media
        return media

    def our_replies(self) -> list[dict[str, Any]]:
        """Every reply the account has published, newest first."""
        return _newest_first([m for m in self.media.values()
                              if m["username"] == self.username and m["is_reply"]])

    # -- FakeServer hooks

    def add_routes(self, app: web.Application) -> None:
        """Register the Graph API endpoints (static paths before `{node}` ones)."""
        app.router.add_get("/v1.0/keyword_search", self.keyword_search)
        app.router.add_post("/v1.0/{node}/threads", self.create_container)
        app.router.add_post("/v1.0/{node}/threads_publish", self.publish)
        app.router.add_get("/v1.0/{node}/threads_publishing_limit", self.publishing_limit)
        app.router.add_get("/v1.0/{node}/replies", self.replies_of)
        app.router.add_get("/v1.0/{node}", self.get_node)

    def rate_bucket(self, request: web.Request) -> tuple[str, int] | None:
        """Every call counts against the app's hourly calls."""
        return "app", self.rate_limit or self.default_rate_limit

    def rate_limit_headers(self, snap: RateSnapshot) -> dict[str, str]:
        """X-App-Usage: the percentage of the window used, per meter."""
        used = min(100, snap.used * 100 // max(1, snap.limit))
        usage = {"call_count": used, "total_cputime": used // 2, "total_time": used // 2}
        return {"X-App-Usage": json.dumps(usage)}

    def _throttled(self, seconds: float, snap: RateSnapshot | None = None) -> dict[str, str]:
        """Usage headers of a throttled account: the business-use-case meter says when access
        comes back (in minutes)."""
        meter = {"type": "threads", "call_count": 100, "total_cputime": 0, "total_time": 0,
                 "estimated_time_to_regain_access": max(1, math.ceil(seconds / 60))}
        headers = self.rate_limit_headers(snap) if snap else {}
        return {**headers, "X-Business-Use-Case-Usage": json.dumps({self.user_id: [meter]})}

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """The app's calls are used up. Reports give 400, 403 or 429 for code 4; the code is
        what clients go by, and this answer uses 429."""
        return graph_error(LIMIT_REACHED, 4, status=429, kind="OAuthException", transient=True,
                           headers=self._throttled(snap.reset_in, snap))

    def error(self, status: int) -> web.Response:
        """Graph API error bodies: 5xx are transient (code 2 or 1), 404 an unknown node."""
        if status >= 500:
            code = 2 if status in (502, 503, 504) else 1
            message = ("Service temporarily unavailable" if code == 2
                       else "An unknown error occurred")
            return graph_error(message, code, status=status, kind="OAuthException",
                               transient=True)
        if status == 404:
            return graph_error("Unsupported request - method type: get", 100, status=400)
        return graph_error(f"(#100) {reason(status)}", 100, status=status)

    def on_expire_auth(self) -> None:
        """The token stays the same string; every use of it is refused from now on."""

    # -- request helpers

    async def _params(self, request: web.Request) -> dict[str, str]:
        params = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            params.update({k: str(v) for k, v in (await read_body(request)).items()})
        return params

    def _denied(self, request: web.Request, params: dict[str, str],
                *permissions: str) -> web.Response | None:
        token = params.get("access_token") or bearer(request)
        if not token:
            return graph_error("An active access token must be used to query information "
                               "about the current user.", 2500, kind="OAuthException")
        if token != self.access_token:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190,
                               kind="OAuthException")
        if self.auth_expired:
            body = sample("threads_errors.json")["token_expired"]
            body["error"]["fbtrace_id"] = FBTRACE
            return json_response(body, 400)
        if not {"threads_basic", *permissions} <= self.permissions:
            return graph_error(NO_PERMISSION, 10, status=403, kind="OAuthException")
        return None

    def _user(self, node: str) -> bool:
        return node in ("me", self.user_id)

    @staticmethod
    def _fields(params: dict[str, str], known: frozenset[str]) -> list[str] | web.Response:
        names = [f.strip() for f in params.get("fields", "id").split(",") if f.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            return graph_error(f"(#100) Tried accessing nonexisting field ({unknown[0]})", 100)
        return ["id", *[n for n in names if n != "id"]]

    @staticmethod
    def _view(item: dict[str, Any], names: list[str]) -> dict[str, Any]:
        return {n: item[n] for n in names if n in item}

    def _page(self, request: web.Request, params: dict[str, str], items: list[dict[str, Any]],
              names: list[str]) -> dict[str, Any] | web.Response:
        """One page of a list edge: since/until (Unix seconds), limit, after/before cursors."""
        bounds: dict[str, float] = {}
        for key in ("since", "until"):
            if key in params:
                try:
                    bounds[key] = float(int(params[key]))
                except ValueError:
                    return graph_error(f"(#100) The parameter {key} must be a Unix timestamp",
                                       100)
        if bounds.get("since", EARLIEST_SINCE) < EARLIEST_SINCE:
            return graph_error(f"(#100) since must be at least {EARLIEST_SINCE}", 100)
        if "since" in bounds and bounds["since"] >= bounds.get("until", math.inf):
            return graph_error("(#100) since must be less than until", 100)
        items = [m for m in items if bounds.get("since", 0) <= posted_at(m)
                 <= bounds.get("until", math.inf)]
        limit = clamp_int(params.get("limit"), 25, 1, 100)
        offset = _offset(params.get("after"))
        if offset is None:
            before = _offset(params.get("before"))
            offset = max(0, before - limit) if before is not None else 0
        chunk = items[offset:offset + limit]
        page: dict[str, Any] = {"data": [self._view(m, names) for m in chunk]}
        if chunk:
            end = offset + len(chunk)
            page["paging"] = {"cursors": {"before": _cursor(offset), "after": _cursor(end)}}
            if end < len(items):
                query = {k: v for k, v in request.query.items() if k != "access_token"}
                page["paging"]["next"] = str(request.url.with_query(
                    {**query, "after": _cursor(end)}))
        return page

    def _room(self, log: list[float], cap: int) -> float | None:
        """Seconds until the rolling day has room again, or None when it has room now."""
        now = time.time()
        log[:] = [t for t in log if t > now - DAY]
        return log[0] + DAY - now if len(log) >= cap else None

    # -- endpoints

    async def keyword_search(self, request: web.Request) -> web.Response:
        """GET /v1.0/keyword_search: q, search_type, search_mode, media_type, since, until,
        limit, after. Without app review only the account's own posts are searched; a search
        that finds nothing is not counted against the day's cap."""
        params = await self._params(request)
        denied = self._denied(request, params, "threads_keyword_search")
        if denied is not None:
            return denied
        q = params.get("q", "").strip()
        if not q:
            return graph_error("(#100) The parameter q is required", 100)
        mode = params.get("search_mode", "KEYWORD")
        if params.get("search_type", "TOP") not in ("TOP", "RECENT") or mode not in (
                "KEYWORD", "TAG"):
            return graph_error("(#100) Param search_type or search_mode is not valid", 100)
        names = self._fields(params, MEDIA_FIELDS - {"owner"})
        if isinstance(names, web.Response):
            return names
        query = Query.parse(q)
        found = [
            m for m in self.media.values()
            if (self.search_approved or m["username"] == self.username)
            and (params.get("media_type") in (None, m["media_type"]))
            and (str(m.get("topic_tag", "")).lower() == q.lstrip("#").lower() if mode == "TAG"
                 else query.matches(str(m.get("text") or "")))
        ]
        page = self._page(request, params, _newest_first(found), names)
        if isinstance(page, web.Response) or not page["data"]:
            return page if isinstance(page, web.Response) else json_response(page)
        wait = self._room(self.searches, self.search_cap)
        if wait is not None:
            return graph_error("(#613) Calls to this api have exceeded the rate limit.", 613,
                               headers=self._throttled(wait))
        self.searches.append(time.time())
        return json_response(page)

    async def create_container(self, request: web.Request) -> web.Response:
        """POST /v1.0/{user}/threads: a TEXT container (a reply with reply_to_id)."""
        params = await self._params(request)
        needs = ("threads_content_publish",) + (
            ("threads_manage_replies",) if params.get("reply_to_id") else ())
        denied = self._denied(request, params, *needs)
        if denied is not None:
            return denied
        if not self._user(request.match_info["node"]):
            return not_found(request.match_info["node"])
        if params.get("media_type") != "TEXT":
            return graph_error("(#100) The parameter media_type is required and must be "
                               "TEXT here", 100)
        text = params.get("text", "")
        if not text.strip():
            return graph_error("(#100) The parameter text is required for TEXT posts", 100)
        if threads_length(text) > MAX_CHARS:
            return graph_error(f"(#100) The text is longer than {MAX_CHARS} characters", 100)
        reply_to = params.get("reply_to_id") or None
        if reply_to is not None and reply_to not in self.media:
            return not_found(reply_to)
        container_id = str(next(self._container_ids))
        self.containers[container_id] = {"id": container_id, "text": text,
                                         "reply_to_id": reply_to, "status": "FINISHED",
                                         "published_id": None}
        return json_response({"id": container_id})

    async def publish(self, request: web.Request) -> web.Response:
        """POST /v1.0/{user}/threads_publish?creation_id=: the published media's id; 250 posts
        and 1,000 replies a rolling day."""
        params = await self._params(request)
        denied = self._denied(request, params, "threads_content_publish")
        if denied is not None:
            return denied
        if not self._user(request.match_info["node"]):
            return not_found(request.match_info["node"])
        container = self.containers.get(params.get("creation_id", ""))
        if container is None:
            return not_found(params.get("creation_id") or "creation_id")
        if container["published_id"] is not None:  # this fake's wording
            return graph_error("(#100) The media container was already published", 100)
        is_reply = container["reply_to_id"] is not None
        log = [t for t, reply in self.published if reply == is_reply]
        wait = self._room(log, self.reply_cap if is_reply else self.post_cap)
        if wait is not None:
            return graph_error(LIMIT_REACHED, 4, kind="OAuthException",
                               headers=self._throttled(wait))
        media = self.add_post(None, self.username, container["text"], time.time(),
                              reply_to=container["reply_to_id"])
        container.update(published_id=media["id"], status="PUBLISHED")
        self.published.append((time.time(), is_reply))
        if is_reply:
            self.replies.append({"id": media["id"], "container_id": container["id"],
                                 "reply_to_id": container["reply_to_id"],
                                 "text": container["text"]})
        return json_response({"id": media["id"]})

    async def publishing_limit(self, request: web.Request) -> web.Response:
        """GET /v1.0/{user}/threads_publishing_limit: {"data": [{quota_usage, config, ...}]}."""
        params = await self._params(request)
        denied = self._denied(request, params, "threads_content_publish")
        if denied is not None:
            return denied
        if not self._user(request.match_info["node"]):
            return not_found(request.match_info["node"])
        now = time.time()
        posts = sum(1 for t, reply in self.published if not reply and t > now - DAY)
        replies = sum(1 for t, reply in self.published if reply and t > now - DAY)
        usage = {
            "quota_usage": posts,
            "config": {"quota_total": self.post_cap, "quota_duration": DAY},
            "reply_quota_usage": replies,
            "reply_config": {"quota_total": self.reply_cap, "quota_duration": DAY},
        }
        wanted = [f for f in params.get("fields", "quota_usage,config").split(",")
                  if f in LIMIT_FIELDS]
        return json_response({"data": [{k: usage[k] for k in wanted}]})

    async def replies_of(self, request: web.Request) -> web.Response:
        """GET /v1.0/me/replies (the account's own replies, newest first) or
        /v1.0/{media-id}/replies (a post's top-level replies, oldest first unless reverse)."""
        params = await self._params(request)
        denied = self._denied(request, params, "threads_read_replies")
        if denied is not None:
            return denied
        names = self._fields(params, MEDIA_FIELDS)
        if isinstance(names, web.Response):
            return names
        node = request.match_info["node"]
        if self._user(node):
            items = self.our_replies()
        elif node in self.media:
            items = _newest_first([m for m in self.media.values()
                                   if (m.get("replied_to") or {}).get("id") == node])
            if params.get("reverse", "false") != "true":
                items.reverse()
        else:
            return not_found(node)
        page = self._page(request, params, items, names)
        return page if isinstance(page, web.Response) else json_response(page)

    async def get_node(self, request: web.Request) -> web.Response:
        """GET /v1.0/me (the profile) or /v1.0/{media-id} (one post)."""
        params = await self._params(request)
        denied = self._denied(request, params)
        if denied is not None:
            return denied
        node = request.match_info["node"]
        if self._user(node):
            names = self._fields(params, USER_FIELDS)
            profile = {"id": self.user_id, "username": self.username,
                       "name": self.username.replace("_", " ").title()}
            return names if isinstance(names, web.Response) else json_response(
                self._view(profile, names))
        if node not in self.media:
            return not_found(node)
        names = self._fields(params, MEDIA_FIELDS)
        return names if isinstance(names, web.Response) else json_response(
            self._view(self.media[node], names))


if __name__ == "__main__":
    main(FakeThreads)
