"""Logging set-up: one line per event, as text for people or JSON for machines.

In JSON mode every line the process writes is JSON: warnings go through logging, an uncaught
exception (in the main thread or another) is one line with its traceback in `exc`, and a
command's failure (`report`) is one line on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime
from types import TracebackType

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


_json_mode = False

# multiprocessing's resource tracker (a child process the analysis workers start, which
# outlives a daemon killed with SIGKILL) then warns on stderr that it removes the semaphores
# the dead daemon left: not a log line, and nothing to act on. The tracker takes its warning
# filters from the environment.
_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"


def configure(*, fmt: str = "text", level: str = "info") -> None:
    """Send brandbot's logs to stdout in the chosen format (warnings included)."""
    global _json_mode
    _json_mode = fmt == "json"
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
    logging.captureWarnings(True)
    filters = [f for f in os.environ.get("PYTHONWARNINGS", "").split(",") if f]
    if _QUIET_TRACKER not in filters:
        os.environ["PYTHONWARNINGS"] = ",".join([*filters, _QUIET_TRACKER])
    if _json_mode:
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
    logging.getLogger("brandbot").critical("brandbot failed: %s: %s", kind.__name__, exc,
                                           exc_info=(kind, exc, tb),
                                           extra={"event": "crashed"})


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


def report(message: str, *, event: str = "failed", **fields: object) -> None:
    """Tell the operator on stderr why a command failed: `message` as one line, or in JSON
    mode one JSON line (level error, the event and fields with it)."""
    if not _json_mode:
        print(message, file=sys.stderr)
        return
    record = logging.makeLogRecord({"name": "brandbot", "levelno": logging.ERROR,
                                    "levelname": "ERROR", "msg": message, "event": event,
                                    **fields})
    print(JsonFormatter().format(record), file=sys.stderr)


def json_mode() -> bool:
    """Whether the process writes JSON lines (`--log-format json`)."""
    return _json_mode
