"""Signing in and out: sessions, CSRF tokens, API tokens and the sign-in rate limit.

A session is a random token in an HttpOnly, SameSite=Lax cookie; the store keeps only its hash
(so a stolen database holds no usable session, and several web processes can share them),
with an idle expiry. Each session has a CSRF token that every state-changing form
(`csrf_token`) and JSON call (`X-CSRF-Token`) must echo. A request with
`Authorization: Bearer <api token>` proves itself instead and needs no CSRF token.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import ipaddress
import json
import math
from datetime import timedelta
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from monitor.models import Role, parse_iso
from responders.auth import check_password, hash_password, needs_rehash, new_token, token_hash
from responders.web.state import (
    IDENTITY,
    POLICY_KEY,
    Identity,
    identity,
    now,
    render,
    store,
)

SESSION_COOKIE = "brandbot_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(request: web.Request) -> str:
    """Who is asking: the peer's address, or, when the peer is one of `[web]
    trusted_proxies`, the nearest address in X-Forwarded-For that is not a trusted proxy
    (a client can write anything into the header; only the proxies' additions count)."""
    peer = request.remote or "unknown"
    networks = _networks(request.app[POLICY_KEY].trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")
            if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                 ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str,
             networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def is_api(request: web.Request) -> bool:
    """Whether the request is for the JSON API (errors as JSON, never a redirect)."""
    return request.path.startswith("/api/")


def is_public(request: web.Request) -> bool:
    """Pages anyone may request: sign-in, health, static files."""
    return request.path in ("/login", "/healthz", "/livez", "/metrics") or \
        request.path.startswith("/static/")


def json_error(status: int, message: str, **extra: object) -> web.Response:
    """An API error: `{"error": message, ...}`."""
    return web.json_response({"error": message, **extra}, status=status)


async def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """An error as the API or a page, whichever the request was for."""
    if is_api(request):
        return json_error(status, message)
    return await render(request, "error.html", status=status, status_code=status,
                        message=message)


def redirect(location: str) -> web.Response:
    """303 See Other: after a form, the browser GETs the next page."""
    return web.Response(status=303, headers={"Location": location})


def safe_next(value: str | None) -> str:
    """A local path to return to after signing in; anything else (another site) becomes `/`."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _same_origin(request: web.Request) -> bool:
    """A browser's Origin (when it sends one) must be this site: refuses cross-site posts."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


async def identify(request: web.Request) -> Identity | None:
    """The user behind the request's API token or session cookie, or None."""
    policy = request.app[POLICY_KEY]
    db = store(request)
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        hashed = token_hash(auth[7:].strip())
        at = now(request)
        found = await db.read(lambda s: s.api_token_user(hashed, now=at))
        if found is None:
            return None
        if found["last_used_at"] is None or parse_iso(found["last_used_at"]) < at - timedelta(
                minutes=5):
            await db.write(lambda s: s.touch_api_token(hashed, now=at))
        return Identity(username=found["username"], role=Role(found["role"]))
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    hashed = token_hash(cookie)
    at = now(request)
    row = await db.read(lambda s: s.session(hashed, now=at))
    if row is None:
        return None
    if parse_iso(row["last_seen_at"]) + policy.touch_every <= at:
        expires = at + policy.session_idle
        await db.write(lambda s: s.touch_session(hashed, now=at, expires_at=expires))
    return Identity(username=row["username"], role=Role(row["role"]),
                    csrf_token=row["csrf_token"], session_hash=hashed,
                    flash=json.loads(row["flash"]) if row["flash"] else None)


async def _sent_csrf(request: web.Request) -> str:
    header = request.headers.get("X-CSRF-Token")
    if header is not None or is_api(request):
        return header or ""
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Admit signed-in users (and API tokens); check the CSRF token on state changes."""
    if is_public(request):
        return await handler(request)
    who = await identify(request)
    if who is None:
        if is_api(request):
            response = json_error(401, "sign in first, or send an API token "
                                       "(Authorization: Bearer ...; `brandbot users token NAME`)")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        target = request.path_qs if request.method in SAFE_METHODS else "/"
        return redirect("/login" + ("" if target == "/" else f"?next={quote(target)}"))
    request[IDENTITY] = who
    if request.method not in SAFE_METHODS and who.csrf_token is not None:
        sent = await _sent_csrf(request)
        if not _same_origin(request) or not hmac.compare_digest(sent.encode(),
                                                                 who.csrf_token.encode()):
            return await error_page(
                request, 403,
                "missing or wrong X-CSRF-Token header" if is_api(request) else
                "This form has expired or did not come from this site: reload the page and "
                "try again.")
    return await handler(request)


# --- the sign-in page ------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.StreamResponse:
    """The sign-in form (signed-in users go straight on)."""
    if await identify(request) is not None:
        return redirect(safe_next(request.query.get("next")))
    return await _login_form(request)


async def _login_form(request: web.Request, *, status: int = 200, error: str | None = None,
                      username: str = "", next_path: str | None = None) -> web.Response:
    no_users = await store(request).read(lambda s: s.count("users") == 0)
    return await render(request, "login.html", status=status, error=error, username=username,
                        next=safe_next(next_path or request.query.get("next")),
                        no_users=no_users, signed_out="bye" in request.query)


async def login(request: web.Request) -> web.StreamResponse:
    """`POST /login` with `username` and `password`: start a session, or say why not."""
    if not _same_origin(request):
        return await error_page(request, 403, "This sign-in did not come from this site.")
    form = await request.post()
    username = str(form.get("username", "")).strip()[:100]
    password = str(form.get("password", ""))[:1024]
    next_path = safe_next(str(form.get("next", "")) or request.query.get("next"))
    policy = request.app[POLICY_KEY]
    db = store(request)
    at = now(request)
    ip = client_address(request)
    # someone already signed in on this browser as this user is not held up by a lock on
    # the address (behind a proxy, everyone shares one): the user's own limit still holds
    known = await identify(request)
    per_ip = (policy.max_failures_per_ip if known is None or known.username != username
              else 1_000_000)
    # the attempt is reserved (and counted as a failure) before the password is hashed, so
    # sixty guesses sent at once get the allowed few checked and the rest a 429
    attempt, locked = await db.write(lambda s: s.reserve_login_attempt(
        username, ip=ip, now=at, window=policy.login_window,
        max_per_user=policy.max_failures_per_user, max_per_ip=per_ip))
    if attempt is None:
        wait = max(1, math.ceil(((locked or at) - at).total_seconds() / 60))
        response = await _login_form(
            request, status=429, username=username, next_path=next_path,
            error=f"Too many failed sign-ins. Try again in {wait} minute{'s' * (wait != 1)}.")
        response.headers["Retry-After"] = str(wait * 60)
        return response
    record = await db.read(lambda s: s.get_user(username))
    ok = await asyncio.to_thread(check_password, password,
                                 record["password_hash"] if record else None)
    await db.write(lambda s: s.settle_login_attempt(attempt, ok=ok))
    if ok and record is not None and needs_rehash(record["password_hash"]):
        # made at a lower cost than today's: hash the password again while we have it
        rehashed = await asyncio.to_thread(hash_password, password)
        await db.write(lambda s: s.set_password_hash(username, rehashed, actor=None, now=at))
    if not ok:
        return await _login_form(request, status=401, username=username, next_path=next_path,
                                 error="Wrong username or password.")
    if record is not None and record.get("disabled_at"):
        return await _login_form(request, status=403, username=username, next_path=next_path,
                                 error="This account is disabled. Ask an admin to enable it.")
    token, csrf = new_token(), new_token()
    hashed = token_hash(token)
    expires = at + policy.session_idle
    agent = request.headers.get("User-Agent")
    await db.write(lambda s: s.create_session(hashed, username=username, csrf_token=csrf,
                                              now=at, expires_at=expires, ip=ip,
                                              user_agent=agent))
    response = redirect(next_path)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax",
                        secure=request.secure or policy.secure_cookies, path="/")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """`POST /logout`: end the session."""
    who = identity(request)
    if who.session_hash:
        session_hash = who.session_hash
        at = now(request)
        await store(request).write(lambda s: s.end_session(session_hash, now=at))
    response = redirect("/login?bye=1")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
