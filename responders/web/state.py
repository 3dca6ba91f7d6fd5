"""What the web handlers share: the app's keys, the signed-in identity, the policy, rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jinja2
from aiohttp import web

from monitor.health import Vitals
from monitor.leases import ReplicaView
from monitor.models import Role
from monitor.poller import SourceHealth
from monitor.settings import Settings
from monitor.store import AsyncStore
from responders.auth import can_administer, can_decide
from responders.publisher import Publisher
from responders.voice import Voice


@dataclass(frozen=True, slots=True)
class WebPolicy:
    """Timings and limits of the web app (tests shorten them; `[web]` sets session_idle)."""

    session_idle: timedelta = timedelta(hours=8)
    # A session's expiry is pushed forward at most this often (a write), not on every request.
    touch_every: timedelta = timedelta(minutes=1)
    login_window: timedelta = timedelta(minutes=15)
    max_failures_per_user: int = 5
    max_failures_per_ip: int = 20
    # Someone "is viewing" a draft while their page polled within this long.
    presence_ttl: timedelta = timedelta(seconds=25)
    page_size: int = 50
    # `[web] trusted_proxies`: addresses (or networks) of reverse proxies whose
    # X-Forwarded-For names the client; `[web] secure_cookies`: the session cookie is Secure
    # even when the request reached us over plain HTTP (TLS ended at the proxy)
    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is making a request, and how they proved it."""

    username: str
    role: Role
    # The session's CSRF token; None when the request carried an API token instead.
    csrf_token: str | None = None
    session_hash: str | None = None
    flash: Mapping[str, str] | None = field(default=None)

    @property
    def can_decide(self) -> bool:
        return can_decide(self.role)

    @property
    def is_admin(self) -> bool:
        return can_administer(self.role)


STORE_KEY = web.AppKey("store", AsyncStore)
HEALTH_KEY = web.AppKey("health", Mapping[str, SourceHealth])
JINJA_KEY = web.AppKey("jinja", jinja2.Environment)
SETTINGS_KEY = web.AppKey("settings", Settings)
VOICE_KEY = web.AppKey("voice", Voice)
CLOCK_KEY: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
POLICY_KEY = web.AppKey("policy", WebPolicy)
PUBLISHED_KEY: web.AppKey[Publisher | None] = web.AppKey("publisher")
VITALS_KEY: web.AppKey[Vitals | None] = web.AppKey("vitals")  # the daemon's; None for serve
# How the sources are shared among replicas (None: no leases, one daemon on its own).
REPLICAS_KEY: web.AppKey[Callable[[], ReplicaView | None]] = web.AppKey("replicas")
IDENTITY = web.RequestKey("identity", Identity)


def identity(request: web.Request) -> Identity:
    """The signed-in user of a request that passed the auth middleware."""
    return request[IDENTITY]


def store(request: web.Request) -> AsyncStore:
    """The app's store."""
    return request.app[STORE_KEY]


def now(request: web.Request) -> datetime:
    """The app's clock (injected, so tests move time instead of sleeping)."""
    return request.app[CLOCK_KEY]()


def teams(settings: Settings) -> list[str]:
    """Every team a case can be routed or handed to."""
    from monitor.case_rules import escalation_teams, intent_teams

    return sorted({settings.routing.default_team, *settings.routing.teams,
                   *intent_teams(settings).values(), *escalation_teams(settings).values()})


def intents(settings: Settings) -> list[str]:
    """Every intent a post can have under this brand's industry pack."""
    return list(settings.intent_names())


async def render(request: web.Request, template: str, *, status: int = 200,
                 **context: Any) -> web.Response:
    """Render a page with the header's context; show (and clear) the session's flash once."""
    who: Identity | None = request.get(IDENTITY)
    flash = who.flash if who else None
    if who is not None and flash and who.session_hash:
        session_hash = who.session_hash
        await store(request).write(lambda s: s.set_flash(session_hash, None))
    html = request.app[JINJA_KEY].get_template(template).render(
        brand=request.app[SETTINGS_KEY].brand.name, me=who, flash=flash,
        csrf_token=who.csrf_token if who else None, path=request.path, **context,
    )
    return web.Response(text=html, status=status, content_type="text/html")


async def flash(request: web.Request, kind: str, text: str, **extra: str) -> None:
    """Leave a message for the next page this session renders (`extra`: what goes with it,
    such as the drafts an Undo would take back)."""
    who = identity(request)
    if who.session_hash:
        session_hash = who.session_hash
        message = {**extra, "kind": kind, "text": text}
        await store(request).write(lambda s: s.set_flash(session_hash, message))
