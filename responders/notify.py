"""Sends case notifications to a Slack-compatible incoming webhook: POST `{"text": ...}`.

The URL is a secret, so it comes from the environment variable `[notify] webhook_url_env`
names. The case clock (`monitor.case_clock.CaseKeeper`) calls a `WebhookNotifier` for each
notification in the outbox; a failure raises `NotifyFailed` and the outbox tries again later.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp

from monitor.case_clock import NotifyFailed
from monitor.settings import Settings

log = logging.getLogger("brandbot.notify")


def slack_escape(text: str) -> str:
    """Escape the three characters Slack reads as markup (`<!channel>`, links): post text
    quoted in a notification stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WebhookNotifier:
    """POSTs `{"text": ...}` to one webhook URL; any answer but 2xx is a failure."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, text: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(self.url, json={"text": slack_escape(text)}) as resp:
                if not 200 <= resp.status < 300:
                    body = (await resp.text())[:200]
                    raise NotifyFailed(self._redact(f"webhook answered {resp.status}: {body}"))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # (a malformed URL's error quotes it whole: the URL is the secret)
            raise NotifyFailed(self._redact(
                f"webhook unreachable: {exc.__class__.__name__}: {exc}")) from None

    def _redact(self, message: str) -> str:
        """The message with the webhook URL (and anything after its host) taken out."""
        return message.replace(self.url, redact_webhook(self.url))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def redact_webhook(url: str) -> str:
    """A webhook URL fit for logs and the notifications table: its scheme and host, never
    its path or query (where Slack and others keep the secret)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "<webhook URL>"
    if parts.scheme and parts.hostname:
        return f"{parts.scheme}://{parts.hostname}/…"
    return "<webhook URL>"


def notifier_from_settings(settings: Settings,
                           environ: Mapping[str, str] = os.environ) -> WebhookNotifier | None:
    """The configured webhook, or None when `[notify]` names none or its variable is unset
    (notifications then wait in the outbox until it is set)."""
    variable = settings.notify.webhook_url_env
    if variable is None:
        return None
    url = environ.get(variable, "").strip()
    if not url:
        log.warning("notifications wait in the outbox: environment variable %s ([notify] "
                    "webhook_url_env) is not set", variable,
                    extra={"event": "notify_unconfigured", "variable": variable})
        return None
    return WebhookNotifier(url, timeout=settings.notify.timeout.total_seconds())
