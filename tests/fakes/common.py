"""Shared machinery for the fake platform servers: lifecycle, request log, faults, rate windows."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import re
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple, Self

from aiohttp import web

LOOPBACK = "127.0.0.1"
SAMPLES = Path(__file__).parent / "samples"
MALFORMED_BODY = b'{"data": [{"id": "1", "text": "oops"}, <html>502 Bad Gateway</html>'
FAULT_KINDS = ("fail", "rate_limit", "hang", "reset", "malformed", "truncated")
Handler = Any


class LoggedRequest(NamedTuple):
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]


@dataclass
class Fault:
    """A queued fault; `times=None` keeps it active until `clear_faults()`."""

    kind: str
    times: int | None = 1
    status: int = 500
    seconds: float = 0.0
    reset_in: int = 30
    after: bool = False
    path: str | None = None
    method: str | None = None

    def matches(self, request: web.Request) -> bool:
        """Whether this fault applies to the request."""
        if self.path is not None and not request.path.startswith(self.path):
            return False
        return self.method is None or self.method.upper() == request.method


@dataclass(frozen=True)
class RateSnapshot:
    """The state of a rate-limit window, as a platform reports it in headers."""

    limit: int
    remaining: int
    used: int
    reset_at: float

    @property
    def reset_in(self) -> int:
        """Whole seconds until the window resets."""
        return max(0, math.ceil(self.reset_at - time.time()))


class RateWindow:
    """A fixed request window: `limit` requests per `seconds`."""

    def __init__(self, limit: int, seconds: int, *, aligned: bool = False) -> None:
        self.limit = limit
        self.seconds = seconds
        self.aligned = aligned
        self.used = 0
        self.reset_at = 0.0

    def _roll(self, now: float) -> None:
        if now >= self.reset_at:
            start = now - now % self.seconds if self.aligned else now
            self.reset_at = start + self.seconds
            self.used = 0

    def consume(self) -> bool:
        """Count one request; False when the window is exhausted."""
        self._roll(time.time())
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def snapshot(self) -> RateSnapshot:
        """The current counts."""
        self._roll(time.time())
        return RateSnapshot(self.limit, self.limit - self.used, self.used, self.reset_at)


@cache
def _sample_text(name: str) -> str:
    return (SAMPLES / name).read_text()


def sample(name: str) -> Any:
    """A fresh copy of a JSON file from samples/."""
    return json.loads(_sample_text(name))


def to_datetime(value: datetime | str | float | None) -> datetime:
    """Accept a datetime, ISO-8601 string, epoch seconds or None (now) as aware UTC."""
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_ms(dt: datetime) -> str:
    """ISO-8601 with milliseconds and a Z, as most platforms render timestamps."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def stable_int(text: str, digits: int = 18) -> int:
    """A deterministic number derived from text (same across processes)."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10**digits


def clamp_int(value: str | None, default: int, low: int, high: int) -> int:
    """Parse an int query parameter, clamped into [low, high]."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return max(low, min(high, number))


_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_OPERATOR = re.compile(r"^-?([a-z_.]+):(\S+)$")


@dataclass
class Query:
    """A search query: OR-ed groups of AND-ed plain terms, exclusions and key:value operators."""

    groups: list[list[str]]
    excluded: list[str]
    operators: list[tuple[str, str, bool]]

    @classmethod
    def parse(cls, text: str) -> Query:
        """Split a query into terms, `-excluded` terms and `key:value` operators."""
        groups: list[list[str]] = [[]]
        excluded: list[str] = []
        operators: list[tuple[str, str, bool]] = []
        for raw in _TOKEN.findall(text or ""):
            token = raw.strip("()")
            if token in ("", "AND"):
                continue
            if token == "OR":
                groups.append([])
                continue
            operator = _OPERATOR.match(token)
            if operator and not token.startswith(("http:", "https:")):
                operators.append((operator[1].lower(), operator[2], token.startswith("-")))
            elif token.startswith("-") and len(token) > 1:
                excluded.append(token[1:].strip('"').lower())
            else:
                groups[-1].append(token.strip('"').lower())
        return cls([group for group in groups if group], excluded, operators)

    def operator(self, key: str) -> list[tuple[str, bool]]:
        """Values (and negation flags) given for one operator."""
        return [(value, negated) for name, value, negated in self.operators if name == key]

    def matches(self, text: str) -> bool:
        """Whether text satisfies the plain-term part of the query (case-insensitive)."""
        haystack = text.lower()
        if any(term in haystack for term in self.excluded):
            return False
        return not self.groups or any(
            all(term in haystack for term in group) for group in self.groups
        )


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with the `application/json; charset=utf-8` type real APIs send."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


async def read_json(request: web.Request) -> dict[str, Any]:
    """The JSON request body, or {} when missing or invalid."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def read_body(request: web.Request) -> dict[str, Any]:
    """The request body as a dict, whether JSON or form-encoded; {} if unreadable."""
    if request.content_type == "application/json":
        return await read_json(request)
    return dict(await request.post())


def bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header (scheme case-insensitive)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class FakeServer:
    """Base of every fake: in-memory state, a request log, fault injection and a real server."""

    name = "fake"
    default_rate_limit = 1000
    rate_window_seconds = 900
    aligned_windows = False

    def __init__(self, *, rate_limit: int | None = None) -> None:
        self.requests: list[LoggedRequest] = []
        self.replies: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.auth_expired = False
        self.rate_limit = rate_limit
        self.base_url = ""
        self._windows: dict[str, RateWindow] = {}
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a post that search/timeline endpoints will serve."""
        raise NotImplementedError

    def add_routes(self, app: web.Application) -> None:
        """Register the platform's endpoints."""
        raise NotImplementedError

    def rate_bucket(self, request: web.Request) -> tuple[str, int] | None:
        """The rate-limit bucket (name, limit) a request counts against; None for no limit."""
        return "default", self.rate_limit or self.default_rate_limit

    def rate_limit_headers(self, snap: RateSnapshot) -> dict[str, str]:
        """The platform's rate-limit headers for a window state."""
        return {}

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """The platform's real 429 response."""
        return json_response({"error": "Too Many Requests"}, 429, self.rate_limit_headers(snap))

    def error(self, status: int) -> web.Response:
        """The platform's error body for an HTTP status (used by fail_next and unknown routes)."""
        return json_response({"error": reason(status)}, status)

    def on_expire_auth(self) -> None:
        """Platform hook: invalidate issued tokens."""

    def fail_next(
        self,
        status: int = 500,
        times: int | None = 3,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `times` requests with `status` and the platform's error body."""
        self.faults.append(Fault("fail", times, status=status, path=path, method=method))

    def rate_limit_next(
        self,
        times: int | None = 1,
        reset_in: int = 30,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next requests with the platform's real 429 and rate-limit headers."""
        self.faults.append(Fault("rate_limit", times, reset_in=reset_in, path=path, method=method))

    def hang_next(
        self,
        seconds: float = 30.0,
        times: int | None = 1,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Delay the next responses by `seconds` before answering normally."""
        self.faults.append(Fault("hang", times, seconds=seconds, path=path, method=method))

    def reset_next(
        self,
        times: int | None = 1,
        *,
        after: bool = False,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Drop the connection without a response (after running the handler if `after`)."""
        self.faults.append(Fault("reset", times, after=after, path=path, method=method))

    def malformed_next(
        self, times: int | None = 1, *, path: str | None = None, method: str | None = None
    ) -> None:
        """Answer 200 with a body that is not JSON."""
        self.faults.append(Fault("malformed", times, path=path, method=method))

    def truncated_next(
        self, times: int | None = 1, *, path: str | None = None, method: str | None = None
    ) -> None:
        """Run the handler but send only the first half of its body."""
        self.faults.append(Fault("truncated", times, path=path, method=method))

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        self.faults.clear()

    def expire_auth(self) -> None:
        """Reject current tokens with the platform's real auth error (until re-auth/restore)."""
        self.auth_expired = True
        self.on_expire_auth()

    def restore_auth(self) -> None:
        """Accept the configured static tokens again."""
        self.auth_expired = False

    def requests_to(self, path: str, method: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose path starts with `path`."""
        return [
            r
            for r in self.requests
            if r.path.startswith(path) and (method is None or r.method == method)
        ]

    def app(self) -> web.Application:
        """The aiohttp application serving this fake."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/_fake/state", self._control_state)
        app.router.add_post("/_fake/posts", self._control_posts)
        app.router.add_post("/_fake/faults", self._control_faults)
        app.router.add_delete("/_fake/faults", self._control_clear)
        app.router.add_post("/_fake/auth", self._control_auth)
        self.add_routes(app)
        return app

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (port 0 picks a free one) and return the base URL."""
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(
            self.app(), shutdown_timeout=0.5, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, port).start()
        self.base_url = f"http://{LOOPBACK}:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; wakes hung handlers and open streams."""
        if self._closing is not None:
            self._closing.set()
        self.on_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def on_stop(self) -> None:
        """Platform hook: release long-lived responses before shutdown."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake early when the server stops."""
        if self._closing is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _take_fault(self, request: web.Request) -> Fault | None:
        for fault in self.faults:
            if fault.matches(request):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _window(self, request: web.Request) -> RateWindow | None:
        bucket = self.rate_bucket(request)
        if bucket is None:
            return None
        name, limit = bucket
        if name not in self._windows:
            self._windows[name] = RateWindow(
                limit, self.rate_window_seconds, aligned=self.aligned_windows
            )
        return self._windows[name]

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await handler(request)
        self.requests.append(LoggedRequest(request.method, request.path, dict(request.query)))
        fault = self._take_fault(request) or Fault("none", None)
        kind = fault.kind
        early = await self._before_handler(fault, request)
        if early is not None:
            return early
        window = self._window(request)
        if window is not None and not window.consume():
            return self.too_many_requests(window.snapshot())
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = self.error(exc.status)
        if kind == "reset":
            return self._drop(request)
        if window is not None and not response.prepared:
            response.headers.update(self.rate_limit_headers(window.snapshot()))
        if kind == "truncated" and isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b""
            response.body = body[: len(body) // 2]
        return response

    async def _before_handler(
        self, fault: Fault, request: web.Request
    ) -> web.StreamResponse | None:
        if fault.kind == "fail":
            return self.error(fault.status)
        if fault.kind == "rate_limit":
            bucket = self.rate_bucket(request)
            limit = bucket[1] if bucket else self.rate_limit or self.default_rate_limit
            return self.too_many_requests(
                RateSnapshot(limit, 0, limit, time.time() + fault.reset_in)
            )
        if fault.kind == "malformed":
            return web.Response(body=MALFORMED_BODY, content_type="application/json")
        if fault.kind == "hang":
            await self.pause(fault.seconds)
        if fault.kind == "reset" and not fault.after:
            return self._drop(request)
        return None

    async def _control_state(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "replies": self.replies,
                "requests": [list(r) for r in self.requests],
                "faults": len(self.faults),
            }
        )

    async def _control_posts(self, request: web.Request) -> web.Response:
        body = await request.json()
        posts = body if isinstance(body, list) else [body]
        added = [self.add_post(**post) for post in posts]
        return json_response({"added": len(added)})

    async def _control_faults(self, request: web.Request) -> web.Response:
        options = dict(await request.json())
        kind = options.pop("kind")
        if kind not in FAULT_KINDS:
            return json_response({"error": f"unknown fault kind {kind!r}"}, 400)
        getattr(self, f"{kind}_next")(**options)
        return json_response({"faults": len(self.faults)})

    async def _control_clear(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return json_response({"faults": 0})

    async def _control_auth(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("expired"):
            self.expire_auth()
        else:
            self.restore_auth()
        return json_response({"expired": self.auth_expired})


def reason(status: int) -> str:
    """The standard reason phrase of an HTTP status."""
    return HTTPStatus(status).phrase


def load_posts(fake: FakeServer, path: Path) -> int:
    """Add every post of a JSONL file (one add_post() keyword object per line)."""
    count = 0
    for line in path.read_text().splitlines():
        if line.strip():
            fake.add_post(**json.loads(line))
            count += 1
    return count


def _option(text: str) -> tuple[str, Any]:
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def main(factory: type[FakeServer], argv: list[str] | None = None) -> None:
    """Run a fake as a standalone process; prints `READY <base_url>` once serving."""
    parser = argparse.ArgumentParser(prog=f"python -m tests.fakes.{factory.name}")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--posts", type=Path, help="JSONL file: one add_post() kwargs per line")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor option, value parsed as JSON when possible (repeatable)",
    )
    args = parser.parse_args(argv)
    asyncio.run(_serve(factory(**dict(map(_option, args.set))), args.port, args.posts))


async def _serve(fake: FakeServer, port: int, posts: Path | None) -> None:
    if posts is not None:
        load_posts(fake, posts)
    await fake.start(port)
    print(f"READY {fake.base_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await fake.stop()
