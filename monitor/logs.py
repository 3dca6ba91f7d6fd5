"""Logging set-up: one line per event, as text for people or JSON for machines."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed in `extra` and belongs in the JSON.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: ts, level, logger, msg and the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(*, fmt: str = "text", level: str = "info") -> None:
    """Send brandbot's logs to stdout in the chosen format."""
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                      "%Y-%m-%dT%H:%M:%SZ")
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Quieted whatever the level: tweepy logs request headers (bearer token, OAuth header
    # included) at DEBUG, and prawcore and urllib3 log request details.
    for noisy in ("aiohttp.access", "tweepy", "prawcore", "praw", "urllib3", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
