"""`brandbot health` and `brandbot reload`: what a service manager runs beside the daemon (a
container's HEALTHCHECK, systemd's ExecReload), each answering with its exit code."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import urllib.error
import urllib.request

from pydantic_core import PydanticCustomError

from monitor import reloads
from monitor.commands.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError
from monitor.settings import Settings, parse_duration

# A daemon listening on every address is asked on loopback.
LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - a lookup


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    """GET /healthz (or /livez) of the daemon's web app, at [web] host and port: exit 0 on
    200, 1 on any other answer or none."""
    host = args.host or settings.web.host
    host = LOOPBACK.get(host, host)
    port = settings.web.port if args.port is None else args.port
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}" + (
        "/livez" if args.live else "/healthz")
    # No proxy from the environment: the daemon is on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=args.timeout) as response:
            status, body = response.status, response.read(2000)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(2000)
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        print(f"unhealthy: cannot reach {url}: {reason}", file=sys.stderr)
        return EXIT_ERROR
    if status == 200:
        print(f"healthy: {url} answered 200")
        return EXIT_OK
    print(f"unhealthy: {url} answered {status}: {_gist(body)}", file=sys.stderr)
    return EXIT_ERROR


def _gist(body: bytes, limit: int = 500) -> str:
    """The answer on one line (compact JSON when it is JSON), cut at `limit` characters."""
    text = body.decode("utf-8", "replace")
    try:
        text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def cmd_reload(args: argparse.Namespace) -> int:
    """SIGHUP the daemon and wait for its verdict: exit 0 applied, 2 refused (the daemon keeps
    its previous config; the problems are printed as check-config prints them), 1 no verdict."""
    pid = args.pid or _mainpid()
    if pid is None:
        raise UsageError("reload: which daemon? Give --pid (systemd's ExecReload passes "
                         "$MAINPID)")
    folder = reloads.runtime_directory()
    if folder is None:
        raise UsageError("reload: $RUNTIME_DIRECTORY is not set, so the daemon has nowhere to "
                         "leave its verdict (the unit's RuntimeDirectory= sets it for both); "
                         "without one, send SIGHUP (kill -HUP PID) and read the log")
    since = reloads.now_usec()
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as exc:
        print(f"error: cannot signal process {pid}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    outcome = reloads.wait_for(folder, pid=pid, since_usec=since, timeout=args.timeout)
    if outcome is None:
        print(f"error: process {pid} gave no verdict on the reload in {folder} within "
              f"{args.timeout:g}s (is it `brandbot run` with this $RUNTIME_DIRECTORY?)",
              file=sys.stderr)
        return EXIT_ERROR
    if outcome.ok:
        print(f"config reloaded by process {pid}")
        return EXIT_OK
    for problem in outcome.problems:
        print(f"config error: {problem}", file=sys.stderr)
    print(f"reload refused: process {pid} keeps running on its previous config",
          file=sys.stderr)
    return EXIT_USAGE


def _mainpid() -> int | None:
    value = os.environ.get("MAINPID", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _seconds(value: str) -> float:
    try:
        return parse_duration(value).total_seconds()
    except PydanticCustomError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The `health` and `reload` commands' arguments."""
    health = sub.add_parser(
        "health", parents=[common],
        help="ask the running daemon's web app ([web] host and port) whether it is healthy: "
             "exit 0 if so, 1 if not")
    health.add_argument("--live", action="store_true",
                        help="ask /livez (the process is alive) instead of /healthz (it is "
                             "doing its job)")
    health.add_argument("--host", help="where the web app listens (default: [web] host)")
    health.add_argument("--port", type=int, help="its port (default: [web] port)")
    health.add_argument("--timeout", type=_seconds, default=5.0, metavar="DURATION",
                        help="how long to wait for the answer (default 5s)")
    reload = sub.add_parser(
        "reload", parents=[common],
        help="reload the running daemon's config (SIGHUP) and wait for its verdict: exit 0 "
             "applied, 2 refused (it keeps the previous config), 1 no answer")
    reload.add_argument("--pid", type=int,
                        help="the daemon's process id (default: $MAINPID, set by systemd)")
    reload.add_argument("--timeout", type=_seconds, default=60.0, metavar="DURATION",
                        help="how long to wait for the verdict (default 60s)")
