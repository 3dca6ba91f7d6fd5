"""The web app: the approval workspace (pages and JSON API) and the daemon's health.

Post text is untrusted: every page is rendered by Jinja2 with autoescaping on, no user content
is ever placed inside a script, and the Content-Security-Policy allows only our own static
script and stylesheet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from monitor.health import Vitals, check_analysis, check_sources, check_store, verdict
from monitor.leases import ReplicaView
from monitor.models import utcnow
from monitor.poller import SourceHealth
from monitor.settings import Settings
from monitor.store import AsyncStore, NotFound, Store, StoreUnavailable
from responders.drafts import voice_from_settings
from responders.publisher import Publisher
from responders.web import api, case_page, metrics, pages, saved, sessions, undo, users
from responders.web.format import FILTERS
from responders.web.state import (
    CLOCK_KEY,
    HEALTH_KEY,
    JINJA_KEY,
    POLICY_KEY,
    PUBLISHED_KEY,
    REPLICAS_KEY,
    SETTINGS_KEY,
    STORE_KEY,
    VITALS_KEY,
    VOICE_KEY,
    WebPolicy,
)

log = logging.getLogger("brandbot.web")
T = TypeVar("T")

# /healthz and /metrics wait this long (seconds) for the store, then answer without it.
HEALTH_READ_LIMIT = 3.0

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form
    # posts, and the Origin check refuses those. Other sites still get no referrer.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

# Re-exported for code that imported them from here.
__all__ = ["HEALTH_KEY", "JINJA_KEY", "SETTINGS_KEY", "STORE_KEY", "make_app", "start_web"]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the security headers to every response; nothing but static files is cached."""
    response = await handler(request)
    for header, value in SECURITY_HEADERS.items():  # a handler may tighten or adapt one
        response.headers.setdefault(header, value)
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals into pages or JSON (with the headers above), never a bare traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            return web.Response(status=exc.status, headers=exc.headers)
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") \
            else exc.reason
        return await sessions.error_page(request, exc.status, message or "error")
    except NotFound as exc:
        return await sessions.error_page(request, 404, str(exc))
    except StoreUnavailable:  # the store logs its outage once; no traceback per request
        return await _safe_error(request, 503, "The database is not answering just now. "
                                               "Try again in a minute.")
    except (UnicodeError, RecursionError, OverflowError) as exc:
        # input the handler could not read (bytes that are not UTF-8 in a form, a number
        # too big for the database): the client's mistake, said plainly
        log.info("refused a request it could not read: %s", type(exc).__name__,
                 extra={"event": "bad_request", "path": request.path})
        return await _safe_error(request, 400, "The request could not be read.")
    except Exception:
        log.exception("request failed", extra={"event": "web_error", "path": request.path})
        return await _safe_error(request, 500, "Something went wrong on our side. It has "
                                               "been logged.")


async def _safe_error(request: web.Request, status: int, message: str) -> web.Response:
    """The error page, or plain text if even that fails: never a traceback."""
    try:
        return await sessions.error_page(request, status, message)
    except Exception:  # noqa: BLE001 - the page itself failed (the store is down, say)
        return web.Response(status=status, text=message)


async def _health_read(store: AsyncStore, fn: Callable[[Store], T]) -> tuple[T | None, str | None]:
    """A read for /healthz or /metrics, which must answer while the store does not: the
    result, or None and why not (refused, or no answer within HEALTH_READ_LIMIT)."""
    try:
        return await asyncio.wait_for(store.read(fn), HEALTH_READ_LIMIT), None
    except StoreUnavailable as exc:
        return None, str(exc)
    except TimeoutError:
        return None, f"no answer within {HEALTH_READ_LIMIT:g}s"


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus metrics: sources, queue, cases and SLA, publish outcomes, the store, the
    daemon and the process. While the store is down, what is known without it."""
    store = request.app[STORE_KEY]
    counts, _ = await _health_read(store, lambda s: s.status_counts())
    publisher = request.app[PUBLISHED_KEY]
    published = {"posted": publisher.posted, "failed": publisher.failed} if publisher else {}
    return metrics.render(metrics.Snapshot(
        health=request.app[HEALTH_KEY], counts=counts, published=published,
        first_response=request.app[SETTINGS_KEY].sla.first_response,
        now=request.app[CLOCK_KEY]()), metrics.Replicas(request.app[REPLICAS_KEY]()),
        *metrics.own_state(store.health, request.app[VITALS_KEY]))


async def healthz(request: web.Request) -> web.Response:
    """Whether this process is doing its job, as JSON: 200, or 503 naming the checks that
    failed (monitor.health); with each source's state, the store's and the queue depth."""
    app = request.app
    health: Mapping[str, SourceHealth] = app[HEALTH_KEY]
    store = app[STORE_KEY]
    counts, error = await _health_read(store, lambda s: (
        s.count("drafts", "status = 'pending'"), s.held_count()))
    depth, held = counts if counts is not None else (None, None)
    checks = {"store": check_store(store.health, read_error=error),
              "sources": check_sources(health, now=app[CLOCK_KEY](),
                                       grace=app[SETTINGS_KEY].web.health_grace)}
    vitals = app[VITALS_KEY]
    if vitals is not None and vitals.analysis_workers:
        checks["analysis"] = check_analysis(vitals)
    body = verdict(checks)
    sources = {key: h.as_dict() for key, h in health.items()}
    stored = store.health.as_dict()
    replicas = request.app[REPLICAS_KEY]()
    body.update({"sources": sources, "store": stored,
                 "queue_depth": depth, "quarantined": held,
                 "replicas": replicas.as_dict() if replicas else None})
    return web.json_response(body, status=200 if body["ok"] else 503)


async def livez(request: web.Request) -> web.Response:
    """The event loop answers: no store, no other check (that is /healthz)."""
    return web.json_response({"alive": True})


def _alone() -> ReplicaView | None:
    """No replicas to share with (no leases)."""
    return None


def make_app(settings: Settings, store: AsyncStore, health: Mapping[str, SourceHealth], *,
             clock: Callable[[], datetime] = utcnow, policy: WebPolicy | None = None,
             publisher: Publisher | None = None,
             replicas: Callable[[], ReplicaView | None] | None = None,
             vitals: Vitals | None = None) -> web.Application:
    """The aiohttp application (`vitals`: the daemon's own state, for /healthz and /metrics)."""
    app = web.Application(middlewares=[security_headers, errors, sessions.authenticate])
    app[STORE_KEY] = store
    app[HEALTH_KEY] = health  # the daemon's live map: sources a reload adds appear here
    app[PUBLISHED_KEY] = publisher
    app[REPLICAS_KEY] = replicas or _alone
    app[VITALS_KEY] = vitals
    app[SETTINGS_KEY] = settings
    app[VOICE_KEY] = voice_from_settings(settings)
    app[CLOCK_KEY] = clock
    app[POLICY_KEY] = policy or WebPolicy(
        session_idle=settings.web.session_idle,
        trusted_proxies=tuple(settings.web.trusted_proxies),
        secure_cookies=settings.web.secure_cookies)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(FILTERS)
    app[JINJA_KEY] = env
    draft = r"/drafts/{id:\d+}"
    api_draft = r"/api/drafts/{id:\d+}"
    app.router.add_routes([
        web.get("/healthz", healthz),
        web.get("/livez", livez),
        web.get("/metrics", metrics_endpoint),
        web.get("/login", sessions.login_page),
        web.post("/login", sessions.login),
        web.post("/logout", sessions.logout),
        web.get("/", pages.queue_page),
        web.post("/queue/bulk", pages.bulk_decide),
        web.post("/queue/undo", undo.undo_form),
        web.get(draft, pages.draft_page),
        web.post(draft + "/approve", pages.approve_draft),
        web.post(draft + "/reject", pages.reject_draft),
        web.post(draft + "/hand-off", pages.hand_off_draft),
        web.get("/cases", case_page.cases_page),
        web.get(r"/cases/{id:\d+}", case_page.case_page),
        web.post(r"/cases/{id:\d+}/{action:[a-z]+}", case_page.case_action),
        web.get("/audit", pages.audit_page),
        web.get("/digest", pages.digest_page),
        web.get("/users", users.users_page),
        web.get("/saved", saved.saved_page),
        web.post(r"/saved/{id:\d+}", saved.edit_saved),
        web.post(r"/saved/{id:\d+}/retire", saved.retire_saved),
        web.get("/api/saved-replies", saved.api_list),
        web.post(r"/api/saved-replies/{id:\d+}", saved.api_edit),
        web.post(r"/api/saved-replies/{id:\d+}/retire", saved.api_retire),
        web.post("/users", users.add_user),
        web.post(r"/users/{name:[A-Za-z0-9_.\-]{1,40}}/{action:disable|enable|role|password}",
                 users.manage_user),
        web.post(r"/users/{name:[A-Za-z0-9_.\-]{1,40}}/tokens/{id:[0-9a-f]{8,64}}/revoke",
                 users.revoke_token),
        web.get("/api/queue", api.queue_state),
        web.get("/api/drafts", api.list_drafts),
        web.get(api_draft, api.get_draft),
        web.post(api_draft + "/approve", api.approve_draft),
        web.post(api_draft + "/undo", undo.undo_api),
        web.post(api_draft + "/reject", api.reject_draft),
        web.post(api_draft + "/hand-off", api.hand_off_draft),
        web.post(api_draft + "/viewing", api.viewing),
        web.get("/api/cases", api.list_cases),
        web.get(r"/api/cases/{id:\d+}", api.get_case),
        web.post(r"/api/cases/{id:\d+}/{action:[a-z]+}", api.change_case),
        web.get("/api/customers/{author_id}", api.get_customer),
        web.static("/static", STATIC),
    ])
    return app


async def start_web(settings: Settings, store: AsyncStore,
                    health: Mapping[str, SourceHealth], *, host: str | None = None,
                    port: int | None = None, publisher: Publisher | None = None,
                    replicas: Callable[[], ReplicaView | None] | None = None,
                    vitals: Vitals | None = None) -> web.AppRunner:
    """Serve the app (on `[web]` host and port unless given); the caller cleans the runner up.
    `replicas`: how the sources are shared among replicas now (the daemon's leases)."""
    runner = web.AppRunner(make_app(settings, store, health, publisher=publisher,
                                    replicas=replicas, vitals=vitals), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or settings.web.host,
                       settings.web.port if port is None else port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    for address in runner.addresses:
        log.info("web app on http://%s:%s", *address[:2],
                 extra={"event": "web_started", "address": list(address[:2])})
    return runner
