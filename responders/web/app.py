"""The web app: a read-only view of the approval queue and the daemon's health.

Post text is untrusted: every page is rendered by Jinja2 with autoescaping on, and no user
content is ever placed inside a script.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from monitor.poller import SourceHealth
from monitor.settings import Settings
from monitor.store import AsyncStore

TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
STORE_KEY = web.AppKey("store", AsyncStore)
HEALTH_KEY = web.AppKey("health", Mapping[str, SourceHealth])
JINJA_KEY = web.AppKey("jinja", jinja2.Environment)
SETTINGS_KEY = web.AppKey("settings", Settings)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the security headers to every response."""
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response


async def queue_page(request: web.Request) -> web.Response:
    """Pending drafts, most pressing first."""
    store = request.app[STORE_KEY]
    drafts = await store.read(lambda s: s.list_drafts(status="pending", limit=200))
    total = await store.read(lambda s: s.count("drafts", "status = 'pending'"))
    html = request.app[JINJA_KEY].get_template("queue.html").render(
        brand=request.app[SETTINGS_KEY].brand.name, drafts=drafts, total=total
    )
    return web.Response(text=html, content_type="text/html")


async def healthz(request: web.Request) -> web.Response:
    """Each source's state and the queue depth, as JSON."""
    health: Mapping[str, SourceHealth] = request.app[HEALTH_KEY]
    depth = await request.app[STORE_KEY].read(lambda s: s.count("drafts", "status = 'pending'"))
    sources = {key: h.as_dict() for key, h in health.items()}
    ok = all(h["state"] != "parked" for h in sources.values())
    return web.json_response({"ok": ok, "sources": sources, "queue_depth": depth})


def make_app(settings: Settings, store: AsyncStore,
             health: Mapping[str, SourceHealth]) -> web.Application:
    """The aiohttp application."""
    app = web.Application(middlewares=[security_headers])
    app[STORE_KEY] = store
    app[HEALTH_KEY] = dict(health)
    app[SETTINGS_KEY] = settings
    app[JINJA_KEY] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_get("/", queue_page)
    app.router.add_get("/healthz", healthz)
    return app


async def start_web(settings: Settings, store: AsyncStore,
                    health: Mapping[str, SourceHealth]) -> web.AppRunner:
    """Serve the app on the configured host and port; the caller cleans the runner up."""
    runner = web.AppRunner(make_app(settings, store, health), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.web.host, settings.web.port).start()
    return runner
