"""Fake Bluesky (XRPC): sessions, searchPosts, getPostThread, getRecord, createRecord,
getProfiles and resolveHandle.

A post's author is a profileViewBasic (no follower count, as on the real AppView); counts come
from getProfiles' profileViewDetailed. createRecord checks a post's facets as the PDS does:
byte ranges inside the text, each feature with its required field."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
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
    read_json,
    reason,
    sample,
    to_datetime,
)

POST = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
SESSION_WINDOW = 300
AUTH_MISSING = {"error": "AuthMissing", "message": "Authentication Required"}
EXPIRED = {"error": "ExpiredToken", "message": "Token has expired"}
BAD_TOKEN = {"error": "InvalidToken", "message": "Token could not be verified"}
XRPC_ERRORS = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    403: "Forbidden",
    404: "NotFound",
    500: "InternalServerError",
    501: "MethodNotImplemented",
    502: "UpstreamFailure",
    503: "NotEnoughResources",
    504: "UpstreamTimeout",
}


TID_SYNTAX = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


def tid(dt: datetime, clock_id: int = 0) -> str:
    """A record key (TID): microseconds since epoch and a clock id, base32-sortable."""
    number = (int(dt.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    return "".join(TID_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(13)))


def did_for(handle: str) -> str:
    """A stable did:plc for a handle."""
    digest = hashlib.sha256(handle.lower().encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def cid_for(*parts: str) -> str:
    """A CIDv1-looking (bafyrei...) content id."""
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Token:
    """An issued JWT and its state."""

    scope: str
    expires_at: float
    revoked: bool = False


class FakeBluesky(FakeServer):
    """One server standing in for both the PDS (bsky.social) and the AppView."""

    name = "bluesky"
    default_rate_limit = 3000
    rate_window_seconds = 300

    def __init__(
        self,
        *,
        handle: str = "brandbot.bsky.social",
        password: str = "app-password",
        access_ttl: int = 7200,
        session_limit: int = 30,
        rate_limit: int | None = None,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.handle = handle
        self.did = did_for(handle)
        self.password = password
        self.access_ttl = access_ttl
        self.session_limit = session_limit
        self.session_creations = 0
        self.posts: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}  # did -> profileViewDetailed
        self.profile_lookups: list[list[str]] = []  # the actors of each getProfiles call
        self.tokens: dict[str, Token] = {}
        self._session_times: deque[float] = deque()
        self._clock = itertools.count()

    def add_account(self, handle: str, *, followers: int | None = None,
                    display_name: str | None = None) -> dict[str, Any]:
        """Register (or update) an account's profile, as getProfiles will answer it."""
        did = self.did if handle == self.handle else did_for(handle)
        profile = self.profiles.setdefault(did, {
            "did": did, "handle": handle,
            "displayName": display_name or handle.split(".")[0].title(),
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
            "indexedAt": "2024-01-01T00:00:00.000Z", "createdAt": "2023-04-26T19:05:34.249Z",
            "viewer": {"muted": False, "blockedBy": False}, "labels": [],
            "followersCount": 0, "followsCount": 12, "postsCount": 0,
        })
        if followers is not None:
            profile["followersCount"] = followers
        if display_name:
            profile["displayName"] = display_name
        return profile

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a post; native_id is an at:// URI or a record key; `reply_to=<uri>` makes a reply;
        `followers=N` sets its author's follower count (getProfiles)."""
        created = to_datetime(created_at)
        record: dict[str, Any] = {
            "$type": POST,
            "createdAt": iso_ms(created),
            "langs": ["en"],
            "text": text,
        }
        parent = self.posts.get(str(extra.pop("reply_to", "")))
        if parent is not None:
            record["reply"] = self.reply_refs(parent["uri"])
        record.update(extra.pop("record", {}))
        return self._store(native_id, author, record, created, **extra)

    def reply_refs(self, parent_uri: str) -> dict[str, dict[str, str]]:
        """The reply.root/reply.parent strong refs for replying to a stored post."""
        parent = self.posts[parent_uri]
        ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = parent["record"].get("reply", {}).get("root", ref)
        return {"root": root, "parent": ref}

    def _store(
        self,
        native_id: str | None,
        handle: str,
        record: dict[str, Any],
        created: datetime,
        **extra: Any,
    ) -> dict[str, Any]:
        did = self.did if handle == self.handle else did_for(handle)
        profile = self.add_account(handle, followers=extra.pop("followers", None))
        profile["postsCount"] += 1
        if native_id and native_id.startswith("at://"):
            uri = native_id
        else:
            uri = f"at://{did}/{POST}/{native_id or tid(created, next(self._clock))}"
        view = sample("bluesky_post_view.json")
        view.update(
            {
                "uri": uri,
                "cid": cid_for(uri, record["text"]),
                "record": record,
                "indexedAt": iso_ms(created),
                "replyCount": 0,
                "repostCount": 0,
                "likeCount": 0,
                "quoteCount": 0,
                "viewer": {"threadMuted": False, "embeddingDisabled": False},
            }
        )
        view["author"].update(
            {
                "did": did,
                "handle": handle,
                "displayName": extra.pop("displayName", handle.split(".")[0].title()),
                "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
            }
        )
        view.update(extra)
        parent = self.posts.get(record.get("reply", {}).get("parent", {}).get("uri", ""))
        if parent is not None:
            parent["replyCount"] += 1
        self.posts[uri] = view
        return view

    def add_routes(self, app: web.Application) -> None:
        """Register the XRPC methods; unknown methods answer MethodNotImplemented."""
        methods = {
            "com.atproto.server.createSession": ("POST", self.create_session),
            "com.atproto.server.refreshSession": ("POST", self.refresh_session),
            "com.atproto.server.getSession": ("GET", self.get_session),
            "app.bsky.feed.searchPosts": ("GET", self.search_posts),
            "app.bsky.feed.getPostThread": ("GET", self.get_post_thread),
            "com.atproto.repo.getRecord": ("GET", self.get_record),
            "com.atproto.repo.createRecord": ("POST", self.create_record),
            "app.bsky.actor.getProfiles": ("GET", self.get_profiles),
            "com.atproto.identity.resolveHandle": ("GET", self.resolve_handle),
        }
        for nsid, (method, handler) in methods.items():
            app.router.add_route(method, f"/xrpc/{nsid}", handler)
        app.router.add_route("*", "/xrpc/{nsid}", self.not_implemented)

    def on_expire_auth(self) -> None:
        """Expire every access token (refresh tokens stay usable)."""
        for token in self.tokens.values():
            if token.scope == "com.atproto.access":
                token.expires_at = 0
        self.auth_expired = False

    def expire_refresh(self) -> None:
        """Expire refresh tokens too, so only createSession recovers."""
        self.expire_auth()
        for token in self.tokens.values():
            token.expires_at = 0

    def rate_bucket(self, request: web.Request) -> tuple[str, int] | None:
        """createSession has its own limit (checked in the handler); the rest share one window."""
        if request.path.endswith("createSession"):
            return None
        return "global", self.rate_limit or self.default_rate_limit

    def rate_limit_headers(self, snap: RateSnapshot) -> dict[str, str]:
        """RateLimit-Limit / -Remaining / -Reset (epoch) / -Policy."""
        return {
            "RateLimit-Limit": str(snap.limit),
            "RateLimit-Remaining": str(snap.remaining),
            "RateLimit-Reset": str(int(snap.reset_at)),
            "RateLimit-Policy": f"{snap.limit};w={self.rate_window_seconds}",
        }

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """The XRPC RateLimitExceeded error with RateLimit-* headers."""
        body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        return json_response(body, 429, self.rate_limit_headers(snap))

    def error(self, status: int) -> web.Response:
        """An XRPC {"error", "message"} body."""
        body = {"error": XRPC_ERRORS.get(status, "InternalServerError"), "message": reason(status)}
        return json_response(body, status)

    async def not_implemented(self, request: web.Request) -> web.Response:
        """Any XRPC method this fake does not know."""
        return json_response(
            {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, 501
        )

    def _jwt(self, scope: str, ttl: float) -> str:
        now = int(time.time())
        header = {
            "typ": "at+jwt" if scope == "com.atproto.access" else "refresh+jwt",
            "alg": "ES256K",
        }
        claims = {
            "scope": scope,
            "sub": self.did,
            "iat": now,
            "exp": now + int(ttl),
            "aud": "did:web:bsky.social",
            "jti": secrets.token_hex(8),
        }
        token = ".".join(
            [
                _b64url(json.dumps(header).encode()),
                _b64url(json.dumps(claims).encode()),
                _b64url(secrets.token_bytes(64)),
            ]
        )
        self.tokens[token] = Token(scope, now + ttl)
        return token

    def new_session(self) -> dict[str, Any]:
        """Issue a fresh access/refresh pair (what createSession returns)."""
        return {
            "did": self.did,
            "handle": self.handle,
            "email": f"support@{self.handle}",
            "emailConfirmed": True,
            "emailAuthFactor": False,
            "active": True,
            "accessJwt": self._jwt("com.atproto.access", self.access_ttl),
            "refreshJwt": self._jwt("com.atproto.refresh", timedelta(days=60).total_seconds()),
        }

    def _check(
        self, request: web.Request, scope: str = "com.atproto.access"
    ) -> web.Response | None:
        """None if the bearer token is a live token of `scope`, else the real XRPC error."""
        raw = bearer(request)
        token = self.tokens.get(raw or "")
        if raw is None:
            return json_response(AUTH_MISSING, 401)
        if token is None:
            return json_response(BAD_TOKEN, 400)
        if token.scope != scope:
            return json_response({"error": "InvalidToken", "message": "Bad token scope"}, 400)
        if token.revoked:
            return json_response(
                {"error": "ExpiredToken", "message": "Token has been revoked"}, 400
            )
        if token.expires_at <= time.time():
            return json_response(EXPIRED, 400)
        return None

    async def create_session(self, request: web.Request) -> web.Response:
        """POST com.atproto.server.createSession, limited to `session_limit` per 5 minutes."""
        now = time.time()
        self.session_creations += 1
        while self._session_times and self._session_times[0] <= now - SESSION_WINDOW:
            self._session_times.popleft()
        reset = (self._session_times[0] if self._session_times else now) + SESSION_WINDOW
        used = len(self._session_times)
        headers = self.rate_limit_headers(
            RateSnapshot(self.session_limit, max(0, self.session_limit - used - 1), used, reset)
        )
        headers["RateLimit-Policy"] = f"{self.session_limit};w={SESSION_WINDOW}"
        if used >= self.session_limit:
            body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
            return json_response(body, 429, {**headers, "RateLimit-Remaining": "0"})
        self._session_times.append(now)
        body = await read_json(request)
        identifier = str(body.get("identifier", "")).lower()
        if identifier not in (self.handle, self.did, f"support@{self.handle}") or (
            body.get("password") != self.password
        ):
            message = {
                "error": "AuthenticationRequired",
                "message": "Invalid identifier or password",
            }
            return json_response(message, 401, headers)
        return json_response(self.new_session(), headers=headers)

    async def refresh_session(self, request: web.Request) -> web.Response:
        """POST com.atproto.server.refreshSession with the refreshJwt; rotates the refresh token."""
        problem = self._check(request, "com.atproto.refresh")
        if problem is not None:
            return problem
        self.tokens[bearer(request) or ""].revoked = True
        body = self.new_session()
        return json_response(
            {k: body[k] for k in ("accessJwt", "refreshJwt", "handle", "did", "active")}
        )

    async def get_session(self, request: web.Request) -> web.Response:
        """GET com.atproto.server.getSession."""
        problem = self._check(request)
        if problem is not None:
            return problem
        return json_response(
            {
                "handle": self.handle,
                "did": self.did,
                "email": f"support@{self.handle}",
                "emailConfirmed": True,
                "active": True,
            }
        )

    async def search_posts(self, request: web.Request) -> web.Response:
        """GET app.bsky.feed.searchPosts (q, sort, since, until, author, lang, limit, cursor)."""
        if bearer(request) is None:
            return json_response(AUTH_MISSING, 403)
        problem = self._check(request)
        if problem is not None:
            return problem
        params = request.query
        if not params.get("q"):
            return json_response(
                {"error": "InvalidRequest", "message": 'Error: Params must have the property "q"'},
                400,
            )
        limit = params.get("limit", "25")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            message = "Error: limit must be less than or equal to 100"
            return json_response({"error": "InvalidRequest", "message": message}, 400)
        matched = self._search(params)
        offset = int(params["cursor"]) if params.get("cursor", "").isdigit() else 0
        page = matched[offset : offset + int(limit)]
        body: dict[str, Any] = {"hitsTotal": len(matched), "posts": page}
        if offset + len(page) < len(matched):
            body["cursor"] = str(offset + len(page))
        return json_response(body)

    def _search(self, params: Any) -> list[dict[str, Any]]:
        query = Query.parse(params["q"])
        # The real search has no OR: "a OR b" finds only posts with both (social-app#1522).
        query.groups = [[term for group in query.groups for term in group]] if query.groups else []
        langs = {v.lower() for v, negated in query.operator("lang") if not negated}
        langs |= {params["lang"].lower()} if params.get("lang") else set()
        since = to_datetime(params["since"]) if params.get("since") else None
        until = to_datetime(params["until"]) if params.get("until") else None
        authors = {params[k].lower() for k in ("author",) if params.get(k)}
        authors |= {v.lower().lstrip("@") for v, _ in query.operator("from")}
        found = []
        for post in self.posts.values():
            created = to_datetime(post["record"]["createdAt"])
            if (since and created < since) or (until and created >= until):
                continue
            if authors and not authors & {post["author"]["handle"], post["author"]["did"]}:
                continue
            if langs and not langs & {lang.lower() for lang in post["record"].get("langs", [])}:
                continue
            if query.matches(post["record"]["text"]):
                found.append(post)
        found.sort(key=lambda p: p["record"]["createdAt"], reverse=True)
        if params.get("sort") == "top":
            found.sort(key=lambda p: p["likeCount"], reverse=True)
        return found

    async def get_profiles(self, request: web.Request) -> web.Response:
        """GET app.bsky.actor.getProfiles?actors=..&actors=.. (DIDs or handles, at most 25;
        public: no login needed). Unknown actors are left out of the answer."""
        if bearer(request) is not None:
            problem = self._check(request)
            if problem is not None:
                return problem
        actors = request.query.getall("actors", [])
        self.profile_lookups.append(list(actors))
        if not actors:
            message = 'Error: Params must have the property "actors"'
            return json_response({"error": "InvalidRequest", "message": message}, 400)
        if len(actors) > 25:
            message = "Error: actors must not have more than 25 elements"
            return json_response({"error": "InvalidRequest", "message": message}, 400)
        by_handle = {p["handle"]: p for p in self.profiles.values()}
        found = [self.profiles.get(a) or by_handle.get(a.lower()) for a in actors]
        return json_response({"profiles": [p for p in found if p is not None]})

    async def resolve_handle(self, request: web.Request) -> web.Response:
        """GET com.atproto.identity.resolveHandle?handle= (known accounts only)."""
        handle = request.query.get("handle", "").lower()
        for profile in self.profiles.values():
            if profile["handle"] == handle:
                return json_response({"did": profile["did"]})
        return json_response({"error": "InvalidRequest", "message": "Unable to resolve handle"},
                             400)

    async def get_post_thread(self, request: web.Request) -> web.Response:
        """GET app.bsky.feed.getPostThread?uri= (replies nested, parent chain above)."""
        if bearer(request) is not None:
            problem = self._check(request)
            if problem is not None:
                return problem
        uri = request.query.get("uri", "")
        if uri not in self.posts:
            return json_response({"error": "NotFound", "message": f"Post not found: {uri}"}, 400)
        depth = int(request.query.get("depth", "6"))
        return json_response({"thread": self._thread(uri, depth, with_parent=True)})

    def _thread(self, uri: str, depth: int, *, with_parent: bool) -> dict[str, Any]:
        post = self.posts[uri]
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post}
        parent_uri = post["record"].get("reply", {}).get("parent", {}).get("uri")
        if with_parent and parent_uri in self.posts:
            node["parent"] = self._thread(parent_uri, 0, with_parent=True)
        if depth > 0:
            children = sorted(
                (
                    p
                    for p in self.posts.values()
                    if p["record"].get("reply", {}).get("parent", {}).get("uri") == uri
                ),
                key=lambda p: p["record"]["createdAt"],
            )
            node["replies"] = [
                self._thread(c["uri"], depth - 1, with_parent=False) for c in children
            ]
        return node

    async def get_record(self, request: web.Request) -> web.Response:
        """GET com.atproto.repo.getRecord?repo=&collection=&rkey=."""
        repo = request.query.get("repo", "")
        did = (
            self.did
            if repo in (self.handle, self.did)
            else (repo if repo.startswith("did:") else did_for(repo))
        )
        uri = f"at://{did}/{request.query.get('collection', '')}/{request.query.get('rkey', '')}"
        post = self.posts.get(uri)
        if post is None:
            message = f"Could not locate record: {uri}"
            return json_response({"error": "RecordNotFound", "message": message}, 400)
        return json_response({"uri": uri, "cid": post["cid"], "value": post["record"]})

    async def create_record(self, request: web.Request) -> web.Response:
        """POST com.atproto.repo.createRecord: store the post and record reply refs."""
        problem = self._check(request)
        if problem is not None:
            return problem
        body = await read_json(request)
        record = body.get("record") or {}
        invalid = self._invalid_record(body, record)
        if invalid is not None:
            return json_response({"error": "InvalidRecord", "message": invalid}, 400)
        if body.get("repo") not in (self.did, self.handle):
            message = "Input/repo must be the DID or handle of the authenticated account"
            return json_response({"error": "InvalidRequest", "message": message}, 400)
        rkey = body.get("rkey")
        if rkey is not None and not TID_SYNTAX.fullmatch(str(rkey)):
            return json_response({"error": "InvalidRequest",
                                  "message": "Invalid record key: must be a TID"}, 400)
        if rkey is not None and f"at://{self.did}/{POST}/{rkey}" in self.posts:
            # what bsky.social answers today for a record that already exists (atproto
            # issue #3718): an internal error, not a conflict
            return json_response({"error": "InternalServerError",
                                  "message": "Internal Server Error"}, 500)
        view = self._store(rkey, self.handle, record, to_datetime(record["createdAt"]))
        reply = record.get("reply") or {}
        self.replies.append(
            {
                "uri": view["uri"],
                "cid": view["cid"],
                "text": record["text"],
                "root": reply.get("root"),
                "parent": reply.get("parent"),
            }
        )
        return json_response(
            {
                "uri": view["uri"],
                "cid": view["cid"],
                "commit": {"cid": cid_for("commit", view["uri"]), "rev": tid(datetime.now(UTC))},
                "validationStatus": "valid",
            }
        )

    @staticmethod
    def _invalid_record(body: dict[str, Any], record: dict[str, Any]) -> str | None:
        if body.get("collection") != POST:
            return f"Invalid collection: {body.get('collection')}"
        for field in ("text", "createdAt"):
            if field not in record:
                return f'Invalid {POST} record: Record must have the property "{field}"'
        if len(record["text"]) > 300:
            return f"Invalid {POST} record: Record/text must not be longer than 300 graphemes"
        for ref in ("root", "parent"):
            if "reply" in record and not {"uri", "cid"} <= set(record["reply"].get(ref, {})):
                return f'Invalid {POST} record: Record/reply/{ref} must have the property "cid"'
        return _invalid_facets(record)


FACET_FIELDS = {"app.bsky.richtext.facet#mention": "did",
                "app.bsky.richtext.facet#link": "uri",
                "app.bsky.richtext.facet#tag": "tag"}


def _invalid_facets(record: dict[str, Any]) -> str | None:
    """What the PDS's lexicon check says about a post's facets, or None when they are valid."""
    size = len(record["text"].encode("utf-8"))
    for n, facet in enumerate(record.get("facets", [])):
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= size:
            return f"Invalid {POST} record: Record/facets/{n}/index must be a byte slice of text"
        features = facet.get("features")
        if not features:
            return f'Invalid {POST} record: Record/facets/{n} must have the property "features"'
        for feature in features:
            field = FACET_FIELDS.get(feature.get("$type", ""))
            if field is None or not isinstance(feature.get(field), str):
                return f"Invalid {POST} record: Record/facets/{n}/features has an invalid feature"
    return None


if __name__ == "__main__":
    main(FakeBluesky)
