"""/healthz, /livez and /metrics as a load balancer, a watchdog and Prometheus read them.

Each daemon is a real process, its sources fakes in this test's event loop; the PostgreSQL
outage is a real one as the daemon sees it: a TCP proxy in front of the server is cut (every
connection dropped, new ones refused), then restored.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.analysis import AnalysisPool
from monitor.health import Vitals, check_analysis, check_sources, check_store, verdict
from monitor.poller import SourceHealth, SourceState
from monitor.store import MIGRATIONS, StoreHealth
from tests.conftest import STORES, new_store_url
from tests.fakes.tcpproxy import TcpProxy
from tests.fakes.x import FakeX
from tests.helpers import (
    BASE_CONFIG,
    DaemonProcess,
    child_pids,
    db_rows,
    free_port,
    replay_source,
    with_storage,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Web:
    """The daemon's web app as monitoring sees it: status and body, no sign-in."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.base + path) as r:
            return r.status, await r.text()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session, \
                session.get(self.base + "/healthz") as response:
            assert response.content_type == "application/json", await response.text()
            return response.status, await response.json()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, text = await self.get("/metrics")
        assert status == 200, text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}


def _x_source(fake: FakeX) -> str:
    return (f'\n[[sources]]\nplatform = "x"\nbase_url = "{fake.base_url}"\n'
            'interval = "300ms"\ntimeout = "2s"\n')


def _config(folder: Path, port: int, *, url: str | None = None, web: str = "",
            sources: str = "", more: str = "") -> Path:
    """BASE_CONFIG on `port`; `web` goes in [web], `more` after [storage] (its keys, then any
    table), then the `sources`."""
    body = BASE_CONFIG if url is None else with_storage(BASE_CONFIG, url)
    body = body.replace("[storage]", f"[web]\nport = {port}\n{web}\n[storage]")
    path = folder / "brandbot.toml"
    path.write_text(body + more + sources, encoding="utf-8")
    return path


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with FakeX() as fake:
        yield fake


def _env(fake: FakeX) -> dict[str, str]:
    return {"X_BEARER_TOKEN": fake.bearer_token}


async def _status(web: Web, status: int) -> dict[str, Any] | None:
    try:
        code, body = await web.health()
    except aiohttp.ClientConnectionError:  # not listening yet
        return None
    return body if code == status else None


# --- the checks, as pure functions ----------------------------------------------------------


def test_sources_fail_only_when_every_one_is_parked_or_failing_past_the_grace() -> None:
    grace = timedelta(minutes=10)
    ok = SourceHealth(state=SourceState.OK, last_success_at=T0)
    parked = SourceHealth(state=SourceState.PARKED, last_error="AuthFailed: 401",
                          failing_since=T0)
    flaky = SourceHealth(state=SourceState.BACKING_OFF, last_error="Unavailable: 503",
                         failing_since=T0)
    limited = SourceHealth(state=SourceState.RATE_LIMITED, failing_since=T0 - grace * 3)
    standby = SourceHealth(state=SourceState.STANDBY)

    partly = check_sources({"x": parked, "reddit": ok}, now=T0, grace=grace)
    assert partly.ok and partly.failing == ("x",) and "x parked" in partly.detail
    every = check_sources({"x": parked, "reddit": flaky, "b": standby},
                          now=T0 + grace, grace=grace)
    assert not every.ok and every.failing == ("reddit", "x")
    assert check_sources({"x": parked, "reddit": flaky}, now=T0 + grace / 2, grace=grace).ok
    # waiting out a rate limit is doing as the platform asked; standby is another replica's
    assert check_sources({"x": limited}, now=T0 + grace * 5, grace=grace).ok
    assert check_sources({"x": standby}, now=T0, grace=grace).ok

    down = StoreHealth()
    assert down.failed("read", "the database refused a read: gone", T0)
    assert not check_store(down).ok and "gone" in check_store(down).detail
    assert not down.failed("write", "the database refused a write: gone", T0)
    assert not down.succeeded("read", began=0)  # sent before the outage: proves nothing
    assert not down.succeeded("read", began=1) and not down.up  # no write came through yet
    assert down.succeeded("write", began=1) and check_store(down).ok and down.failures == 2
    assert not check_store(StoreHealth(), read_error="no answer within 3s").ok

    answer = verdict({"store": check_store(StoreHealth()), "sources": every,
                      "analysis": check_analysis(Vitals(analysis_workers=1,
                                                        analysis_dead="BrokenProcessPool"))})
    assert answer["ok"] is False and answer["failed"] == ["sources", "analysis"]


class _Unpicklable:
    """An analyzer that cannot be rebuilt in a worker: every worker dies as it starts."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os._exit, (3,))


async def test_an_analysis_worker_that_cannot_start_is_reported_dead() -> None:
    restarts: list[int] = []
    pool = AnalysisPool(_Unpicklable(), 1, on_restart=lambda: restarts.append(1))  # type: ignore[arg-type]
    try:
        await pool.ensure()
        assert pool.dead is not None and "BrokenProcessPool" in pool.dead
        await pool.ensure()  # it tries a new one, which dies too
        assert pool.dead is not None and pool.restarts == len(restarts) == 1
    finally:
        pool.close()


# --- the daemon -----------------------------------------------------------------------------


async def test_a_parked_source_makes_healthz_503_naming_it_and_metrics_show_it(
        tmp_path: Path, fake_x: FakeX, db_url: Callable[..., str]) -> None:
    fake_x.expire_auth()  # every request is refused with X's 401, from the first
    port = free_port()
    config = _config(tmp_path, port, url=db_url(), sources=_x_source(fake_x))
    web = Web(port)
    daemon = DaemonProcess(config, env=_env(fake_x))
    try:
        failing = await daemon.until(lambda: _status(web, 503), what="/healthz 503")
        assert failing["ok"] is False and failing["failed"] == ["sources"]
        sources = failing["checks"]["sources"]
        assert sources["failing"] == ["x"] and "x parked" in sources["detail"], sources
        assert failing["sources"]["x"]["state"] == "parked"
        assert failing["checks"]["store"]["ok"] is True and failing["queue_depth"] == 0
        assert await web.get("/livez") == (200, '{"alive": true}')

        samples = await web.metrics()
        assert samples[("brandbot_source_state", (("source", "x"), ("state", "parked")))] == 1
        assert samples[("brandbot_source_lag_seconds", (("source", "x"),))] >= 0  # never ok
        assert ("brandbot_source_last_success_timestamp_seconds", (("source", "x"),)) \
            not in samples
        assert samples[("brandbot_store_up", ())] == 1
        assert samples[("brandbot_store_errors_total", ())] == 0
        assert samples[("brandbot_oldest_pending_draft_age_seconds", ())] == 0
        info = [labels for name, labels in samples if name == "brandbot_build_info"]
        assert info == [(("schema", str(len(MIGRATIONS))), ("version", "0.1.0"))]
        assert samples[("process_resident_memory_bytes", ())] > 10 * 2**20
        assert samples[("process_open_fds", ())] > 3
        assert samples[("process_cpu_seconds_total", ())] > 0
        assert samples[("brandbot_config_reload_failures_total", ())] == 0

        # A refused reload is counted, the daemon still on its previous config.
        good = config.read_text(encoding="utf-8")
        config.write_text(good.replace('interval = "300ms"', 'interval = "banana"'),
                          encoding="utf-8")
        mark = len(daemon.events)
        daemon.signal(signal.SIGHUP)
        daemon.wait_event("reload_failed", after=mark)
        samples = await web.metrics()
        assert samples[("brandbot_config_reload_failures_total", ())] == 1

        # Credentials renewed, config fixed, reloaded: healthy again.
        config.write_text(good, encoding="utf-8")
        fake_x.restore_auth()
        fake_x.add_post(None, "dana", "@BrightwaveHelp brightwave router dead since noon",
                        datetime.now(UTC))
        daemon.signal(signal.SIGHUP)
        healthy = await daemon.until(lambda: _status(web, 200), what="/healthz 200")
        assert healthy["ok"] is True and healthy["failed"] == []
        assert "failing" not in healthy["checks"]["sources"]
        await daemon.until(lambda: _pending(web), what="a draft waiting")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]
    assert not [line for line in daemon.lines if "Traceback" in line], daemon.output()[-3000:]


async def _pending(web: Web) -> bool:
    samples = await web.metrics()
    return samples[("brandbot_queue_depth", ())] >= 1 and \
        samples[("brandbot_oldest_pending_draft_age_seconds", ())] > 0


async def test_every_source_failing_past_the_grace_makes_healthz_503_until_it_recovers(
        tmp_path: Path, fake_x: FakeX) -> None:
    fake_x.fail_next(status=503, times=None)  # X is down: the source backs off
    port = free_port()
    config = _config(tmp_path, port, web='health_grace = "0s"\n', sources=_x_source(fake_x))
    web = Web(port)
    daemon = DaemonProcess(config, env=_env(fake_x))
    try:
        failing = await daemon.until(lambda: _status(web, 503), what="/healthz 503")
        sources = failing["checks"]["sources"]
        assert failing["failed"] == ["sources"] and sources["failing"] == ["x"]
        assert "x failing since" in sources["detail"] and "503" in sources["detail"], sources
        assert failing["sources"]["x"]["state"] == "backing_off"
        fake_x.clear_faults()
        healthy = await daemon.until(lambda: _status(web, 200), what="/healthz 200")
        assert healthy["sources"]["x"]["state"] == "ok"
        assert healthy["sources"]["x"]["failing_since"] is None
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]


async def test_a_killed_analysis_worker_is_replaced_and_counted(tmp_path: Path) -> None:
    feed, port = tmp_path / "feed.jsonl", free_port()
    feed.write_text("", encoding="utf-8")
    config = _config(tmp_path, port, more='\n[analysis]\nworkers = 1\n',
                     sources=replay_source(feed, interval="300ms"))
    web = Web(port)
    daemon = DaemonProcess(config)
    try:
        # The worker has started once /healthz reports it (killed while it is being
        # launched, it would leave the daemon's loop stuck in multiprocessing's launch: a hang
        # /livez shows).
        await daemon.until(lambda: _analysis_checked(web), what="the analysis worker")
        first = _workers(daemon.pid)
        assert len(first) == 1
        os.kill(first[0], signal.SIGKILL)
        sent = _line(feed, 1)  # analysed in the daemon if it comes before the new worker
        daemon.wait_event("analysis_worker_died")
        daemon.wait_until(lambda: set(_workers(daemon.pid)) - set(first),
                          what="a new analysis worker")
        daemon.wait_until(lambda: sent in _stored(tmp_path / "brandbot.db"),
                          what="the post sent meanwhile")
        samples = await daemon.until(web.metrics, what="metrics")
        assert samples[("brandbot_analysis_worker_restarts_total", ())] == 1
        assert samples[("brandbot_analysis_worker_up", ())] == 1
        code, body = await web.health()
        assert code == 200 and body["checks"]["analysis"]["ok"] is True, body
        assert "1 restarts" in body["checks"]["analysis"]["detail"]
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]


async def _analysis_checked(web: Web) -> bool:
    body = await _status(web, 200)
    return body is not None and "analysis" in body["checks"]


def _workers(pid: int) -> list[int]:
    """The daemon's analysis workers (its children that run multiprocessing's spawn, not its
    resource tracker)."""
    found = []
    for child in child_pids(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(child)
    return found


@pytest.mark.skipif("postgresql" not in STORES, reason="PostgreSQL not under test")
async def test_a_postgresql_outage_is_reported_logged_once_and_recovered(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = new_store_url("postgresql", tmp_path, "brandbot", request)
    proxy = TcpProxy.before(url)
    await proxy.start()
    feed, port = tmp_path / "feed.jsonl", free_port()
    before = [_line(feed, n) for n in range(5)]
    config = _config(tmp_path, port, url=proxy.url_for(url),
                     more='lease_ttl = "3s"\n', sources=replay_source(feed, interval="300ms"))
    web = Web(port)
    daemon = DaemonProcess(config)
    try:
        await daemon.until(lambda: _all_stored(url, before), what="the first posts")
        await daemon.until(lambda: _status(web, 200), what="/healthz 200")

        await proxy.cut()
        mark = len(daemon.events)
        during = [_line(feed, n) for n in range(5, 10)]
        down = await daemon.until(lambda: _status(web, 503), what="/healthz 503")
        assert "store" in down["failed"] and down["store"]["state"] == "failing"
        assert "unavailable since" in down["checks"]["store"]["detail"], down["checks"]
        assert down["queue_depth"] is None
        assert await web.get("/livez") == (200, '{"alive": true}')
        async with aiohttp.ClientSession() as session, session.get(
                web.base + "/api/drafts", headers={"Authorization": "Bearer any"}) as page:
            assert page.status == 503  # said plainly, not a 500 with a traceback in the log
            assert "database" in (await page.json())["error"]
        samples = await web.metrics()
        assert samples[("brandbot_store_up", ())] == 0
        assert ("brandbot_source_lag_seconds", (("source", "replay"),)) in samples
        assert ("brandbot_queue_depth", ()) not in samples  # unknown, not stale
        # The outage lasts while the daemon retries: its polls, lease renewals (every
        # second with this ttl), its clock, these scrapes.
        await daemon.until(lambda: _store_errors_at_least(web, 20), what="20 failures")

        await proxy.restore()
        await daemon.until(lambda: _all_stored(url, during), what="the posts sent meanwhile")
        healthy = await daemon.until(lambda: _status(web, 200), what="/healthz 200 again")
        assert healthy["store"]["state"] == "ok" and healthy["sources"]["replay"]["state"] == "ok"
        samples = await web.metrics()
        assert samples[("brandbot_store_up", ())] == 1
        assert samples[("brandbot_store_errors_total", ())] >= 20
    finally:  # its last writes go through the proxy, served by this loop: wait elsewhere
        code = await asyncio.to_thread(daemon.stop)
        await proxy.stop()
    assert code == 0, daemon.output()[-3000:]
    outage = daemon.events[mark:]
    loud = [e for e in outage if e["level"] in ("warning", "error")]
    # one line when it starts, one when it ends, with the count between: nothing per retry.
    # (The proxy's cut or restore can catch one query on a connection it has not dropped yet;
    # that blip is an outage of its own, logged the same way, before or after the real one.)
    events = [e["event"] for e in loud]
    assert events in (["store_unavailable", "store_recovered"],
                      ["store_unavailable", "store_recovered"] * 2), loud
    assert max(e["failures"] for e in loud if e["event"] == "store_recovered") >= 20, loud
    assert not [line for line in daemon.lines if "Traceback" in line], daemon.output()[-3000:]
    assert not [e for e in daemon.events if e.get("event") == "lease_lost"]


def _line(feed: Path, n: int) -> str:
    import json

    with feed.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"platform": "x", "id": f"r{n}", "author": f"r{n % 3}",
                            "text": f"brightwave router dead again {n}",
                            "created_at": datetime.now(UTC).isoformat()}) + "\n")
    return f"x:r{n}"


def _stored(url: Path | str) -> set[str]:
    return {r[0] for r in db_rows(url, "SELECT id FROM mentions")}


async def _all_stored(url: str, ids: list[str]) -> bool:
    # in a thread: this loop serves the proxy that the daemon's transactions go through
    return set(ids) <= await asyncio.to_thread(_stored, url)


async def _store_errors_at_least(web: Web, n: int) -> bool:
    return (await web.metrics())[("brandbot_store_errors_total", ())] >= n
