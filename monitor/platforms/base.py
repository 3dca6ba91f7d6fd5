"""The Platform protocol every adapter implements, and the errors adapters raise.

An adapter knows one API: it makes one request per call, normalises what comes back and
reports the rate-limit facts. It never sleeps, retries or logs; the poller and the publisher
decide what to do with its errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp
from yarl import URL

from monitor.models import Mention, Page, RateLimit


class PlatformError(Exception):
    """Base class for what an adapter may raise."""


class RateLimited(PlatformError):
    """The platform asked us to wait until `reset_at`."""

    def __init__(self, message: str, *, reset_at: datetime | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class Unavailable(PlatformError):
    """A transient failure (5xx, timeout, reset connection, malformed body): try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(PlatformError):
    """Credentials were refused; retrying will not help until a person fixes them."""


class Refused(PlatformError):
    """The platform permanently refused this request (duplicate, locked thread, 4xx)."""


@dataclass(frozen=True, slots=True)
class PostedReply:
    """A reply the platform accepted."""

    native_id: str
    url: str | None = None


class Platform(Protocol):
    """One social platform: listen for new posts, reply on a thread."""

    platform: str

    async def listen(self, cursor: str | None) -> Page:
        """One request's worth of new posts after `cursor`, oldest first."""

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        """Post `text` as a reply to `mention`; raise Refused for a permanent refusal."""

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        """Our reply with this text on the mention's thread, if one was posted (reconciling)."""

    async def close(self) -> None:
        """Release connections."""


class History(Protocol):
    """An adapter that can page back in time (for `brandbot backfill`)."""

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """One request's worth of posts from `since` up to now, walking a cursor of its own
        (None to begin; never the live cursor); `has_more` is False once it has all."""


def can_backfill(platform: Platform) -> bool:
    """Whether the adapter can fetch posts older than its live cursor."""
    return callable(getattr(platform, "history", None))


@dataclass(frozen=True, slots=True)
class HttpResult:
    """A platform's answer: status, headers and the parsed JSON body (None when empty)."""

    status: int
    headers: Mapping[str, str]
    body: Any


async def http_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str | URL,
    *,
    timeout: float,  # noqa: ASYNC109 - handed to aiohttp's ClientTimeout, per request
    **kwargs: Any,
) -> HttpResult:
    """One HTTP request; timeouts, dropped connections and malformed bodies become Unavailable.

    Error messages name the method and path only: query strings may carry credentials.
    """
    what = f"{method} {URL(url).path}"
    try:
        async with session.request(
            method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kwargs
        ) as response:
            raw = await response.read()
            status, headers = response.status, response.headers
    except TimeoutError:
        raise Unavailable(f"{what}: no answer within {timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise Unavailable(f"{what}: {type(exc).__name__}") from None
    body = None
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            if 200 <= status < 300:
                raise Unavailable(f"{what}: malformed JSON in a {status} answer") from None
    return HttpResult(status=status, headers=headers, body=body)


def check_common(result: HttpResult, *, rate_limit: RateLimit | None, what: str) -> None:
    """Map the statuses every platform means the same way: 429, 5xx and 401."""
    if result.status == 429:
        raise RateLimited(f"{what}: rate limited", reset_at=rate_limit.reset_at
                          if rate_limit else None)
    if result.status >= 500:
        raise Unavailable(f"{what}: server error {result.status}")
    if result.status == 401:
        raise AuthFailed(f"{what}: credentials refused (401)")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The Retry-After header in seconds, when a platform sends one as a number."""
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def clean_text(text: str) -> str:
    """Text as the platform sent it, except lone surrogates, which no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
