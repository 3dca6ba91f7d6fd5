"""Sends digests by e-mail: HTML with a plain-text (Markdown) part, over SMTP (aiosmtplib)."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from monitor.digest import render_html, render_markdown
from monitor.settings import ConfigError, Digest


def digest_message(options: Digest, digest: Mapping[str, Any]) -> EmailMessage:
    """The digest as a multipart/alternative message to the configured recipients."""
    message = EmailMessage()
    period = digest["period"]
    message["Subject"] = (f"{digest['brand']} brand digest {period['start'][:10]} to "
                          f"{period['end'][:10]}: {digest['volume']['total']} mentions")
    message["From"] = options.sender
    message["To"] = ", ".join(options.recipients)
    message.set_content(render_markdown(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message


async def send_digest(options: Digest, digest: Mapping[str, Any], *,
                      environ: Mapping[str, str]) -> None:
    """Send one digest; ConfigError when recipients or the SMTP host are not configured."""
    if not options.recipients:
        raise ConfigError(["digest.recipients: no recipients to send the digest to"])
    host = environ.get(options.smtp_host_env)
    if not host:
        raise ConfigError([f"digest.smtp_host_env: environment variable "
                           f"{options.smtp_host_env} is not set"])
    user = environ.get(options.smtp_user_env) if options.smtp_user_env else None
    password = environ.get(options.smtp_password_env) if options.smtp_password_env else None
    await aiosmtplib.send(
        digest_message(options, digest), hostname=host, port=options.smtp_port,
        username=user or None, password=password or None,
        start_tls=options.smtp_starttls, timeout=30,
    )
