"""Faults injected into every platform, and into the store, through the real daemon.

The fakes run in this test's event loop; the daemon is a subprocess with its web app on, so
each check reads /healthz as an operator's monitoring would.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.helpers import BASE_CONFIG, DaemonProcess, db_rows, free_port, replay_source
from tests.test_daemon_platforms import SETUPS, Platform

SOAK_SECONDS = float(os.environ.get("BRANDBOT_SOAK_FAULT_SECONDS", "600"))
TIMEOUT = 1.0  # each source's request timeout; the hang fault outlasts it


def _post(p: Platform, text: str) -> str:
    """Add a post the source's query matches; its mention id."""
    now, fake = datetime.now(UTC), p.fake
    if p.name == "x":
        return "x:" + fake.add_post(None, "faulty", f"@BrightwaveHelp brightwave {text}", now)["id"]
    if p.name == "bluesky":
        return "bluesky:" + fake.add_post(None, "faulty.bsky.social", f"brightwave {text}",
                                          now)["uri"]
    if p.name == "reddit":
        return "reddit:" + fake.add_post(None, "faulty", f"Brightwave {text}", now,
                                         subreddit="brightwave", selftext=text)["name"]
    if p.name == "mastodon":
        return "mastodon:" + fake.add_post(None, "faulty", f"#brightwave {text}", now)["id"]
    return "hackernews:" + str(fake.add_post(None, "faulty", f"Brightwave {text}", now,
                                             title=f"Brightwave {text}")["objectID"])


def _replay_line(feed: Path, n: int) -> str:
    with feed.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"platform": "x", "id": f"r{n}", "author": f"r{n % 7}",
                            "text": f"brightwave router dead again {n}",
                            "created_at": datetime.now(UTC).isoformat()}) + "\n")
    return f"x:r{n}"


def _config(tmp_path: Path, platforms: list[Platform], feed: Path, port: int,
            extra: str = "") -> Path:
    body = BASE_CONFIG.replace("[storage]", f"[web]\nport = {port}\n\n[storage]") + extra
    body += replay_source(feed, page_size=20, interval="300ms")
    for p in platforms:
        body += (f'\n[[sources]]\ninterval = "300ms"\ntimeout = "{TIMEOUT:g}s"\n'
                 f'{p.source(p.fake.base_url)}')
    path = tmp_path / "brandbot.toml"
    path.write_text(body)
    return path


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Health:
    def __init__(self, url: str) -> None:
        self.url = url

    async def __call__(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as web, web.get(self.url) as response:
            return await response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def platforms() -> AsyncIterator[list[Platform]]:
    made = [setup() for setup in SETUPS]
    for p in made:
        await p.fake.start()
    yield made
    for p in made:
        await p.fake.stop()


async def _stored(db: Path, want: set[str]) -> bool:
    return want <= {r[0] for r in db_rows(db, "SELECT id FROM mentions")}


async def _all_ok(health: Health, keys: list[str]) -> dict[str, Any] | None:
    h = await health()
    LAST_HEALTH[:] = [h]  # shown when a wait for "back to ok" times out
    return h if all(h["sources"][k]["state"] == "ok" for k in keys) else None


FAULTS: list[tuple[str, Callable[[Platform], None]]] = [
    ("5xx burst", lambda p: p.fake.fail_next(status=503, times=3)),
    ("hang past the timeout", lambda p: p.fake.hang_next(seconds=TIMEOUT + 2, times=1)),
    ("connection reset", lambda p: p.fake.reset_next(times=2)),
    ("malformed JSON", lambda p: p.fake.malformed_next(times=2)),
    ("truncated JSON", lambda p: p.fake.truncated_next(times=2)),
]


async def test_every_fault_on_every_platform_backs_off_reports_and_recovers(
        tmp_path: Path, platforms: list[Platform]) -> None:
    await _fault_run(tmp_path, platforms, seconds=0)


@pytest.mark.soak
async def test_a_long_run_of_faults_keeps_memory_bounded(
        tmp_path: Path, platforms: list[Platform]) -> None:
    """`make soak`: the same faults, round after round, for BRANDBOT_SOAK_FAULT_SECONDS."""
    await _fault_run(tmp_path, platforms, seconds=SOAK_SECONDS)


async def _fault_run(tmp_path: Path, platforms: list[Platform], *, seconds: float) -> None:
    """Each fault on every platform at once, then a 429 storm, then expired credentials;
    `seconds` repeats the rounds that long and checks the daemon's memory stays bounded."""
    feed, port = tmp_path / "feed.jsonl", free_port()
    feed.touch()
    config, db = _config(tmp_path, platforms, feed, port), tmp_path / "brandbot.db"
    env = {k: v for p in platforms for k, v in p.env.items()}
    keys = [p.name for p in platforms]
    health = Health(f"http://127.0.0.1:{port}/healthz")
    daemon = DaemonProcess(config, env=env)
    replayed = 0
    want = {f"{p.name}:{i}" for p in platforms for i in p.complaint_ids}
    try:
        await daemon.until(lambda: _stored(db, want), what="every platform's first posts")
        await daemon.until(lambda: _all_ok(health, keys), what="every source ok")
        rss_start = _rss_kib(daemon.pid)
        rounds = 0
        deadline = time.monotonic() + seconds
        while rounds == 0 or time.monotonic() < deadline:
            rounds += 1
            for name, inject in FAULTS:
                before = (await health())["sources"]
                for p in platforms:
                    inject(p)
                await daemon.until(lambda: _all_saw_errors(health, keys, before),
                                   what=f"{name}: every source to see it")
                replayed += 1
                fresh = {_post(p, f"{name} round {rounds}") for p in platforms}
                fresh.add(_replay_line(feed, replayed))  # the other source kept running
                await daemon.until(lambda: _stored(db, fresh), what=f"{name}: recovery")
                try:
                    await daemon.until(lambda: _all_ok(health, keys),
                                       what=f"{name}: back to ok")
                except AssertionError:
                    states = {k: v for k, v in LAST_HEALTH[0]["sources"].items()
                              if v["state"] != "ok"} if LAST_HEALTH else "no /healthz read"
                    raise AssertionError(f"round {rounds}, {name}: sources not ok: {states}")

            # A 429 storm: each waits for the reset the platform names, then asks again.
            asked = datetime.now(UTC)  # every 429 from here on names a reset >= 1 s later
            for p in platforms:
                p.fake.rate_limit_next(times=None, reset_in=2)
            limited = await daemon.until(lambda: _all_in(health, keys, "rate_limited"),
                                         what="429: rate_limited in /healthz")
            replayed += 1
            other = _replay_line(feed, replayed)
            await daemon.until(lambda: _stored(db, {other}), what="429: replay keeps going")
            for p in platforms:
                if p.name != "hackernews":  # Algolia's 429 carries no reset time
                    wait = limited["sources"][p.name]["wait_until"]
                    # the source waits for the reset the platform named (compared with when
                    # the 429s began, not with now: the replay check above takes a while)
                    assert wait is not None and datetime.fromisoformat(wait) >= \
                        asked + timedelta(seconds=1), (p.name, limited["sources"][p.name])
            await daemon.until(lambda: _asked_again(health, keys, limited),
                               what="429: asked again after the reset, limited again")
            assert all(h["rate_limit_waits"] >= 2 for k, h in LAST_HEALTH[0]["sources"].items()
                       if k not in ("replay", "hackernews")), LAST_HEALTH
            for p in platforms:
                p.fake.clear_faults()
            fresh = {_post(p, f"after the storm {rounds}") for p in platforms}
            await daemon.until(lambda: _stored(db, fresh), what="429: recovery")
            await daemon.until(lambda: _all_ok(health, keys), what="429: back to ok")
        rss_end = _rss_kib(daemon.pid)
        # Bounded memory: faults leave nothing growing behind (generous: allocator noise).
        assert rss_end - rss_start < 60 * 1024, (rss_start, rss_end, rounds)

        # Expired credentials: static tokens park the source (the others go on); renewable
        # sessions log in again by themselves.
        for p in platforms:
            p.fake.expire_auth()
        static = {"x", "mastodon"}
        parked = await daemon.until(lambda: _all_in(health, sorted(static), "parked"),
                                    what="401: x and mastodon parked")
        # named, but the others still do their job: /healthz stays 200 (see test_health.py)
        assert parked["ok"] is True and parked["checks"]["sources"]["failing"] == sorted(static)
        fresh = {_post(p, "while x and mastodon are parked") for p in platforms
                 if p.name not in static}
        await daemon.until(lambda: _stored(db, fresh), what="401: the others keep going")
        for p in platforms:
            p.fake.restore_auth()
        daemon.signal(signal.SIGHUP)  # what an operator does after renewing credentials
        fresh = {_post(p, "credentials renewed") for p in platforms}
        await daemon.until(lambda: _stored(db, fresh), what="401: recovery after reload")
        healthy = await daemon.until(lambda: _all_ok(health, keys), what="401: back to ok")
        assert healthy["ok"] is True
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]
    ids = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
    assert len(ids) == len(set(ids))
    drafts = db_rows(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM drafts "
                         "GROUP BY mention_id)")[0][0]
    assert drafts == 1
    assert not [line for line in daemon.lines if "Traceback" in line], daemon.output()[-3000:]


async def _all_saw_errors(health: Health, keys: list[str], before: dict[str, Any]) -> bool:
    now = (await health())["sources"]
    return all(now[k]["errors"] > before[k]["errors"] for k in keys)


async def _all_in(health: Health, keys: list[str], state: str) -> dict[str, Any] | None:
    h = await health()
    return h if all(h["sources"][k]["state"] == state for k in keys) else None


async def _asked_again(health: Health, keys: list[str], first: dict[str, Any]) -> bool:
    h = await health()
    LAST_HEALTH[:] = [h]
    return all(h["sources"][k]["errors"] > first["sources"][k]["errors"]
               and h["sources"][k]["state"] == "rate_limited" for k in keys)


LAST_HEALTH: list[Any] = []


def _healthz(port: int) -> dict[str, Any]:
    """/healthz's JSON, which comes with 503 while a check fails."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as refused:
        assert refused.code == 503, refused.code
        return json.loads(refused.read())  # type: ignore[no-any-return]


def _store_state(port: int, state: str) -> dict[str, Any] | None:
    h = _healthz(port)
    return h if h["store"]["state"] == state else None


@pytest.mark.parametrize("fault", ["locked", "disk full"])
def test_a_store_fault_is_reported_loses_nothing_and_clears(tmp_path: Path, fault: str) -> None:
    feed, port = tmp_path / "feed.jsonl", free_port()
    feed.touch()
    config = _config(tmp_path, [], feed, port, extra='busy_timeout = "300ms"\n')
    db = tmp_path / "brandbot.db"
    daemon = DaemonProcess(config)
    sent = [_replay_line(feed, n) for n in range(20)]
    holder: sqlite3.Connection | None = None
    try:
        daemon.wait_until(lambda: set(sent) <= {r[0] for r in db_rows(db, "SELECT id FROM "
                                                                       "mentions")})
        if fault == "locked":  # another process holds the write lock past the busy timeout
            holder = sqlite3.connect(db, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
        else:  # no file may grow: every write the daemon makes fails as on a full disk
            resource.prlimit(daemon.pid, resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        during = [_replay_line(feed, n) for n in range(20, 40)]
        failing = daemon.wait_until(lambda: _store_state(port, "failing"),
                                    what="/healthz to report the store failing")
        assert failing["ok"] is False and failing["store"]["last_error"]
        assert failing["failed"] == ["store"], failing["checks"]
        assert failing["sources"]["replay"]["state"] == "backing_off"
        assert daemon.proc.poll() is None
        if holder is not None:
            holder.execute("COMMIT")
        else:
            resource.prlimit(daemon.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        daemon.wait_until(lambda: set(during) <= {r[0] for r in db_rows(db, "SELECT id FROM "
                                                                         "mentions")},
                          what="ingest to resume")
        healed = daemon.wait_until(lambda: _store_state(port, "ok"), what="store ok")
        assert healed["ok"] is True and healed["sources"]["replay"]["state"] == "ok"
    finally:
        if holder is not None:
            holder.close()
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]
    ids = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
    assert sorted(ids) == sorted(sent + during)
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]
