"""Fake Mastodon: hashtag timeline, search, hashtag streaming (SSE), statuses and context."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
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
    iso_ms,
    json_response,
    main,
    read_body,
    reason,
    sample,
    stable_int,
    to_datetime,
)

HASHTAG = re.compile(r"(?<![\w/])#(\w+)")
MENTION = re.compile(r"(?<![\w/@])@(\w+(?:@[\w-]+(?:\.[\w-]+)+)?)")
VISIBILITIES = ("public", "unlisted", "private", "direct")
TAG_STRIP = re.compile(r"<[^>]+>")
INVALID_TOKEN = {"error": "The access token is invalid"}
NOT_FOUND = {"error": "Record not found"}
MAX_CHARS = 500


def _content_html(text: str, domain: str) -> str:
    """Text as Mastodon renders it: <p> paragraphs, <br /> lines, linked hashtags."""

    def link(match: re.Match[str]) -> str:
        tag = match[1]
        return (
            f'<a href="https://{domain}/tags/{tag.lower()}" class="mention hashtag" '
            f'rel="tag">#<span>{tag}</span></a>'
        )

    paragraphs = [
        HASHTAG.sub(link, html.escape(p, quote=True).replace("\n", "<br />"))
        for p in text.split("\n\n")
    ]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def plain_text(content: str) -> str:
    """Strip a status's HTML back to text."""
    return html.unescape(TAG_STRIP.sub(" ", content.replace("<br />", "\n")))


class FakeMastodon(FakeServer):
    """A Mastodon instance; `domain` is used in status/account URLs."""

    name = "mastodon"
    default_rate_limit = 300
    rate_window_seconds = 300
    aligned_windows = True

    def __init__(
        self,
        *,
        access_token: str = "masto-token",
        me_username: str = "brandbot",
        domain: str = "mastodon.example",
        heartbeat: float = 15.0,
        rate_limit: int | None = None,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.access_token = access_token
        self.domain = domain
        self.heartbeat = heartbeat
        self.statuses: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], str] = {}
        self.streams: list[tuple[str, asyncio.Queue[tuple[str, str] | None]]] = []
        self._sequence = itertools.count(1)
        self.me = self.account(me_username)

    def account(self, acct: str, **fields: Any) -> dict[str, Any]:
        """The account entity for `user` or `user@remote.domain`, created on first use."""
        key = acct.lower().lstrip("@")
        if key not in self.accounts:
            username, _, remote = key.partition("@")
            base = sample("mastodon_status.json")["account"]
            base.update(
                {
                    "id": str(stable_int(key, 17)),
                    "username": username,
                    "acct": key,
                    "display_name": username.title(),
                    "followers_count": 10,
                    "url": f"https://{remote or self.domain}/@{username}",
                    "uri": f"https://{remote or self.domain}/users/{username}",
                }
            )
            self.accounts[key] = base
        self.accounts[key].update(fields)
        return self.accounts[key]

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a status; hashtags come from `#words` in text (or `tags=[...]`)."""
        created = to_datetime(created_at)
        status_id = native_id or str((int(created.timestamp() * 1000) << 16) + next(self._sequence))
        account = self.account(
            author, **{k: extra.pop(k) for k in ("followers_count", "display_name") if k in extra}
        )
        tags = extra.pop("tags", None) or list(dict.fromkeys(HASHTAG.findall(text)))
        mentioned = [self.accounts[m.lower()] for m in dict.fromkeys(MENTION.findall(text))
                     if m.lower() in self.accounts]
        parent = self.statuses.get(str(extra.get("in_reply_to_id") or ""))
        status = sample("mastodon_status.json")
        status.update(
            {
                "id": status_id,
                "created_at": iso_ms(created),
                "in_reply_to_id": parent["id"] if parent else None,
                "in_reply_to_account_id": parent["account"]["id"] if parent else None,
                "language": "en",
                "visibility": "public",
                "uri": f"https://{self.domain}/users/{account['username']}/statuses/{status_id}",
                "url": f"https://{self.domain}/@{account['acct']}/{status_id}",
                "content": _content_html(text, self.domain),
                "account": account,
                "tags": [
                    {"name": t.lower(), "url": f"https://{self.domain}/tags/{t.lower()}"}
                    for t in tags
                ],
                "mentions": [
                    {"id": a["id"], "username": a["username"], "acct": a["acct"], "url": a["url"]}
                    for a in mentioned
                ],
                "application": None,
            }
        )
        status.update(extra)
        if parent is not None:
            parent["replies_count"] += 1
        self.statuses[status_id] = status
        self._publish("update", status)
        return status

    def delete_post(self, status_id: str) -> None:
        """Delete a status and stream the `delete` event."""
        status = self.statuses.pop(status_id)
        self._publish("delete", status, payload=status_id)

    def drop_streams(self) -> None:
        """End every open streaming response (clients should reconnect)."""
        for _, queue in self.streams:
            queue.put_nowait(None)

    def on_stop(self) -> None:
        """Close streams so shutdown does not wait for them."""
        self.drop_streams()

    def _publish(self, event: str, status: dict[str, Any], payload: str | None = None) -> None:
        tags = {t["name"] for t in status["tags"]}
        for tag, queue in self.streams:
            if tag in tags and status["visibility"] == "public":
                queue.put_nowait((event, payload or json.dumps(status)))

    def add_routes(self, app: web.Application) -> None:
        """Register the REST and streaming endpoints."""
        app.router.add_get("/api/v1/timelines/tag/{hashtag}", self.tag_timeline)
        app.router.add_get("/api/v2/search", self.search)
        app.router.add_get("/api/v1/streaming/hashtag", self.stream_hashtag)
        app.router.add_get("/api/v1/streaming/hashtag/local", self.stream_hashtag)
        app.router.add_post("/api/v1/statuses", self.post_status)
        app.router.add_get("/api/v1/statuses/{id}", self.get_status)
        app.router.add_get("/api/v1/statuses/{id}/context", self.context)
        app.router.add_get("/api/v1/accounts/verify_credentials", self.verify_credentials)
        app.router.add_get("/api/v2/instance", self.instance)

    def rate_bucket(self, request: web.Request) -> tuple[str, int] | None:
        """REST calls share a 5-minute window; the streaming server sends no limits."""
        if request.path.startswith("/api/v1/streaming"):
            return None
        return "default", self.rate_limit or self.default_rate_limit

    def rate_limit_headers(self, snap: RateSnapshot) -> dict[str, str]:
        """X-RateLimit-Limit / -Remaining / -Reset (an ISO-8601 timestamp)."""
        reset = datetime.fromtimestamp(snap.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "X-RateLimit-Limit": str(snap.limit),
            "X-RateLimit-Remaining": str(snap.remaining),
            "X-RateLimit-Reset": reset,
        }

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """Mastodon's 429 body with the rate-limit headers."""
        return json_response({"error": "Too many requests"}, 429, self.rate_limit_headers(snap))

    def error(self, status: int) -> web.Response:
        """Mastodon's {"error": ...} body."""
        return json_response({"error": reason(status)}, status)

    def _token_state(self, request: web.Request) -> str:
        """'none', 'valid' or 'invalid' for the request's bearer token."""
        token = bearer(request) or request.query.get("access_token")
        if token is None:
            return "none"
        return "valid" if token == self.access_token and not self.auth_expired else "invalid"

    def _public(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(
            (s for s in items if s["visibility"] == "public"),
            key=lambda s: int(s["id"]),
            reverse=True,
        )

    @staticmethod
    def _page(
        items: list[dict[str, Any]], params: Any, *, min_id_forward: bool = True
    ) -> list[dict[str, Any]]:
        """Mastodon id paging over newest-first items: max_id, since_id, min_id, limit.

        Timelines page forward from `min_id` (the items just after it); search does not: it
        turns min_id/max_id into after:/before: filters and still returns the newest matches.
        """
        limit = clamp_int(params.get("limit"), 20, 1, 40)
        for key, keep in (
            ("max_id", lambda s, v: int(s["id"]) < v),
            ("since_id", lambda s, v: int(s["id"]) > v),
            ("min_id", lambda s, v: int(s["id"]) > v),
        ):
            if params.get(key, "").isdigit():
                items = [s for s in items if keep(s, int(params[key]))]
        if params.get("min_id") and min_id_forward:
            return items[-limit:]
        offset = clamp_int(params.get("offset"), 0, 0, 10**6)
        return items[offset : offset + limit]

    @staticmethod
    def _link(request: web.Request, page: list[dict[str, Any]]) -> dict[str, str]:
        if not page:
            return {}
        keep = {k: v for k, v in request.query.items() if k == "limit"}
        url = request.url.with_query(None)
        older = url.with_query({**keep, "max_id": page[-1]["id"]})
        newer = url.with_query({**keep, "min_id": page[0]["id"]})
        return {"Link": f'<{older}>; rel="next", <{newer}>; rel="prev"'}

    async def tag_timeline(self, request: web.Request) -> web.Response:
        """GET /api/v1/timelines/tag/{hashtag} (public; a bad token still gets 401)."""
        if self._token_state(request) == "invalid":
            return json_response(INVALID_TOKEN, 401)
        tag = request.match_info["hashtag"].lower()
        items = self._public(
            [s for s in self.statuses.values() if tag in {t["name"] for t in s["tags"]}]
        )
        page = self._page(items, request.query)
        return json_response(page, headers=self._link(request, page))

    def _searchable(self, status: dict[str, Any]) -> bool:
        """What full-text search (Mastodon 4.2+) finds: public posts of accounts that opted in
        (`indexable`), and any post the searching account is mentioned in."""
        if any(m["id"] == self.me["id"] for m in status.get("mentions") or []):
            return True
        return status["visibility"] == "public" and bool(status["account"].get("indexable"))

    async def search(self, request: web.Request) -> web.Response:
        """GET /api/v2/search?q=&type=statuses (token required)."""
        if self._token_state(request) != "valid":
            return json_response(INVALID_TOKEN, 401)
        query = Query.parse(request.query.get("q", ""))
        wanted = request.query.get("type")
        items: list[dict[str, Any]] = []
        if wanted in (None, "statuses"):
            items = sorted(
                (s for s in self.statuses.values()
                 if self._searchable(s) and query.matches(plain_text(s["content"]))),
                key=lambda s: int(s["id"]), reverse=True,
            )
        statuses = self._page(items, request.query, min_id_forward=False)
        return json_response({"accounts": [], "statuses": statuses, "hashtags": []})

    async def stream_hashtag(self, request: web.Request) -> web.StreamResponse:
        """GET /api/v1/streaming/hashtag?tag=: server-sent `update`/`delete` events + heartbeats."""
        state = self._token_state(request)
        if state != "valid":
            message = "Missing access token" if state == "none" else "Invalid access token"
            return json_response({"error": message}, 401)
        tag = request.query.get("tag", "").lower().lstrip("#")
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        entry = (tag, queue)
        self.streams.append(entry)
        try:
            await response.write(b":)\n")
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), self.heartbeat)
                except TimeoutError:
                    await response.write(b":thump\n")
                    continue
                if item is None:
                    break
                event, data = item
                await response.write(f"event: {event}\ndata: {data}\n\n".encode())
        finally:
            self.streams.remove(entry)
        return response

    async def post_status(self, request: web.Request) -> web.Response:
        """POST /api/v1/statuses (form or JSON), honouring Idempotency-Key."""
        if self._token_state(request) != "valid":
            return json_response(INVALID_TOKEN, 401)
        key = request.headers.get("Idempotency-Key")
        if key and (self.access_token, key) in self.idempotency:
            return json_response(self.statuses[self.idempotency[(self.access_token, key)]])
        body = await read_body(request)
        text = str(body.get("status") or "")
        if not text.strip():
            return json_response({"error": "Validation failed: Text can't be blank"}, 422)
        if len(text) > MAX_CHARS:
            message = f"Validation failed: Text character limit of {MAX_CHARS} exceeded"
            return json_response({"error": message}, 422)
        reply_to = str(body.get("in_reply_to_id") or "") or None
        if reply_to is not None and reply_to not in self.statuses:
            return json_response(NOT_FOUND, 404)
        visibility = str(body.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            return json_response({"error": "Validation failed: Visibility is not included in "
                                           "the list"}, 422)
        status = self.add_post(
            None, self.me["acct"], text, time.time(), in_reply_to_id=reply_to, visibility=visibility
        )
        status["application"] = {"name": "brandbot", "website": None}
        if key:
            self.idempotency[(self.access_token, key)] = status["id"]
        self.replies.append(
            {
                "id": status["id"],
                "in_reply_to_id": reply_to,
                "text": text,
                "visibility": visibility,
                "idempotency_key": key,
            }
        )
        return json_response(status)

    async def get_status(self, request: web.Request) -> web.Response:
        """GET /api/v1/statuses/{id}."""
        if self._token_state(request) == "invalid":
            return json_response(INVALID_TOKEN, 401)
        status = self.statuses.get(request.match_info["id"])
        return json_response(status) if status else json_response(NOT_FOUND, 404)

    async def context(self, request: web.Request) -> web.Response:
        """GET /api/v1/statuses/{id}/context: ancestors (oldest first) and descendants."""
        if self._token_state(request) == "invalid":
            return json_response(INVALID_TOKEN, 401)
        status = self.statuses.get(request.match_info["id"])
        if status is None:
            return json_response(NOT_FOUND, 404)
        ancestors = []
        parent = self.statuses.get(str(status["in_reply_to_id"]))
        while parent is not None:
            ancestors.insert(0, parent)
            parent = self.statuses.get(str(parent["in_reply_to_id"]))
        return json_response(
            {"ancestors": ancestors, "descendants": self._descendants(status["id"])}
        )

    def _descendants(self, status_id: str) -> list[dict[str, Any]]:
        children = sorted(
            (s for s in self.statuses.values() if s["in_reply_to_id"] == status_id),
            key=lambda s: int(s["id"]),
        )
        return [item for child in children for item in [child, *self._descendants(child["id"])]]

    async def verify_credentials(self, request: web.Request) -> web.Response:
        """GET /api/v1/accounts/verify_credentials."""
        if self._token_state(request) != "valid":
            return json_response(INVALID_TOKEN, 401)
        return json_response({**self.me, "source": {"privacy": "public", "note": "", "fields": []}})

    async def instance(self, request: web.Request) -> web.Response:
        """GET /api/v2/instance: the parts clients read (domain, streaming URL, limits)."""
        streaming = request.url.origin().with_scheme(
            "wss" if request.url.scheme == "https" else "ws"
        )
        return json_response(
            {
                "domain": self.domain,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "configuration": {
                    "urls": {"streaming": str(streaming)},
                    "statuses": {"max_characters": MAX_CHARS},
                },
            }
        )


if __name__ == "__main__":
    main(FakeMastodon)
