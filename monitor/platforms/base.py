"""The Platform protocol every adapter implements, and the errors adapters raise.

An adapter knows one API: it makes one request per call, normalises what comes back and
reports the rate-limit facts. It never sleeps, retries or logs; the poller and the publisher
decide what to do with its errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.models import Mention, Page


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

    async def close(self) -> None:
        """Release connections."""


def clean_text(text: str) -> str:
    """Text as the platform sent it, except lone surrogates, which no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
