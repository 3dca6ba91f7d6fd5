"""The poller decides what an adapter's error means: wait for the reset, back off, or park."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from monitor.analysis import AnalysisPool, Analyzer, Post
from monitor.cases import CaseRules
from monitor.models import DraftSpec, Page
from monitor.pipeline import Pipeline
from monitor.platforms.base import AuthFailed, PlatformError, RateLimited, Unavailable
from monitor.poller import Poller, SourceState
from monitor.settings import Settings
from monitor.store import AsyncStore
from tests.factories import T0, mention

SETTINGS = Settings.model_validate({"brand": {"name": "B", "keywords": ["brightwave"]}})


class Script:
    """A platform whose answers are scripted: a Page, or an error to raise."""

    platform = "x"

    def __init__(self, *steps: Page | PlatformError) -> None:
        self.steps = list(steps)
        self.cursors: list[str | None] = []

    async def listen(self, cursor: str | None) -> Page:
        self.cursors.append(cursor)
        step = self.steps.pop(0) if self.steps else Page((), cursor)
        if isinstance(step, PlatformError):
            raise step
        return step


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store(db_url: Callable[..., str]) -> AsyncStore:
    s = await AsyncStore(db_url()).open()
    yield s
    await s.close()


def _poller(store: AsyncStore, platform: Script, clock: Clock,
            waits: list[float], stop: asyncio.Event) -> Poller:
    pipeline = Pipeline(store, analyzer=Analyzer(), rules=CaseRules.from_settings(SETTINGS),
                        drafter=lambda c, m, a: DraftSpec("hi", "default"), clock=clock)

    async def sleep(seconds: float, _: asyncio.Event) -> None:
        waits.append(seconds)
        clock.now += timedelta(seconds=seconds)
        if len(waits) >= 12:
            stop.set()

    return Poller(key="src", platform=platform, pipeline=pipeline, store=store,  # type: ignore[arg-type]
                  interval=60, clock=clock, sleep=sleep, max_backoff=300)


def _page(*ids: str, cursor: str, more: bool = False) -> Page:
    return Page(tuple(mention(i, f"brightwave post {i}", author=f"a{i}") for i in ids), cursor,
                has_more=more)


async def test_rate_limit_waits_until_the_platforms_reset(store: AsyncStore) -> None:
    clock, waits, stop = Clock(), [], asyncio.Event()
    platform = Script(RateLimited("429", reset_at=T0 + timedelta(seconds=90)),
                      _page("1", cursor="c1"))
    poller = _poller(store, platform, clock, waits, stop)
    assert await poller.drain(stop)
    assert waits == [91.0]
    assert poller.health.state is SourceState.OK and poller.health.rate_limit_waits == 1
    assert platform.cursors == [None, None]


async def test_transient_errors_back_off_exponentially_up_to_the_cap(store: AsyncStore) -> None:
    random.seed(7)  # full jitter draws from `random`: make the draws repeatable
    clock, waits, stop = Clock(), [], asyncio.Event()
    errors = [Unavailable("503")] * 11
    poller = _poller(store, Script(*errors, _page("1", cursor="c1")), clock, waits, stop)
    assert await poller.drain(stop)
    ceilings = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert len(waits) == 11
    assert all(0.5 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert max(waits[8:]) > 16  # it does grow: full jitter, but from a much larger ceiling
    assert poller.health.state is SourceState.OK and poller.health.errors == 11


async def test_refused_credentials_park_the_source_until_the_long_retry(
        store: AsyncStore) -> None:
    clock, waits, stop = Clock(), [], asyncio.Event()
    platform = Script(AuthFailed("401"), AuthFailed("401"), _page("1", cursor="c1"))
    poller = _poller(store, platform, clock, waits, stop)
    states = []

    async def sleep(seconds: float, _: asyncio.Event) -> None:
        states.append(poller.health.state)
        waits.append(seconds)
        clock.now += timedelta(seconds=seconds)
        if len(waits) >= 3:
            stop.set()

    poller.sleep = sleep
    await asyncio.wait_for(poller.run(stop), 5)
    assert waits[:2] == [600.0, 600.0]  # parked: no hammering of refused credentials
    assert states[:2] == [SourceState.PARKED, SourceState.PARKED]
    assert "AuthFailed: 401" in (poller.health.last_error or "")
    assert platform.cursors == [None, None, None]
    assert poller.health.state is SourceState.OK  # renewed credentials: it recovered alone


async def test_pages_drain_and_the_cursor_moves_with_each(store: AsyncStore) -> None:
    clock, waits, stop = Clock(), [], asyncio.Event()
    platform = Script(_page("1", "2", cursor="c1", more=True), _page("3", cursor="c2"))
    poller = _poller(store, platform, clock, waits, stop)
    assert await poller.drain(stop)
    assert platform.cursors == [None, "c1"]
    assert await store.read(lambda s: s.get_cursor("src")) == "c2"
    assert poller.health.mentions_ingested == 3



async def test_a_quiet_source_is_polled_less_until_a_post_arrives(store: AsyncStore) -> None:
    """Adaptive interval: requests counted at the fake X server; the test moves the clock."""
    from monitor.platforms.x import XPlatform
    from monitor.settings import XSource
    from tests.fakes import FakeX

    async def quiet_hour_then_a_post(max_interval: float | None) -> tuple[int, list[float]]:
        async with FakeX() as fake:
            return await run(fake, max_interval)

    async def run(fake: FakeX, max_interval: float | None) -> tuple[int, list[float]]:
        clock, waits, stop = Clock(), [], asyncio.Event()
        platform = XPlatform(XSource.model_validate({"platform": "x", "base_url": fake.base_url}),
                             SETTINGS.brand, environ={"X_BEARER_TOKEN": fake.bearer_token})

        async def sleep(seconds: float, _: asyncio.Event) -> None:
            waits.append(seconds)
            clock.now += timedelta(seconds=seconds)
            if clock.now - T0 >= timedelta(hours=1) and not fake.tweets:
                fake.add_post(None, "dana", "brightwave charged me twice this month")
            elif fake.tweets and seconds == 60:
                stop.set()  # the poll after the post found it: back to the interval

        pipeline = Pipeline(store, analyzer=Analyzer(), rules=CaseRules.from_settings(SETTINGS),
                            drafter=lambda c, m, a: DraftSpec("hi", "default"), clock=clock)
        poller = Poller(key=f"x-{max_interval}", platform=platform, pipeline=pipeline,
                        store=store, interval=60, max_interval=max_interval, clock=clock,
                        sleep=sleep, jitter=0)
        try:
            await asyncio.wait_for(poller.run(stop), 10)
        finally:
            await platform.close()
        assert poller.health.mentions_ingested == 1
        return len(fake.requests_to("/2/tweets/search/recent")), waits

    fixed, _ = await quiet_hour_then_a_post(None)
    adaptive, waits = await quiet_hour_then_a_post(480)
    assert fixed >= 60
    assert adaptive <= fixed / 4
    assert waits[:5] == [60, 120, 240, 480, 480]  # doubling while quiet, up to max_interval
    assert waits[-1] == 60


# --- analysis in a worker process ------------------------------------------------------------

FEED_TEXTS = ("@BrightwaveHelp my internet is down AGAIN, third time this week",
              "brightwave charged me twice, I want a refund",
              "love my new brightwave router, setup took two minutes")


def _feed() -> list[Page]:
    """Three pages of posts; dana writes in all of them (so her later posts are repeat
    contacts, counted across pages)."""
    pages = []
    for n in range(3):
        posts = [mention(f"{n}{i}", FEED_TEXTS[(n + i) % 3], author=("dana", f"a{n}{i}")[i % 2],
                         minutes=10 * n + i) for i in range(4)]
        pages.append(Page(tuple(posts), f"c{n}", has_more=n < 2))
    return pages


async def _drain_feed(url: str, pool: AnalysisPool | None, analyzer: Analyzer,
                      script: Script) -> list[tuple[object, ...]]:
    store = await AsyncStore(url).open()
    try:
        pipeline = Pipeline(store, analyzer=analyzer, rules=CaseRules.from_settings(SETTINGS),
                            drafter=lambda c, m, a: DraftSpec("hi", "default"), clock=Clock(),
                            pool=pool)
        poller = Poller(key="src", platform=script, pipeline=pipeline, store=store,  # type: ignore[arg-type]
                        interval=60, clock=Clock())
        done = await poller.drain(asyncio.Event(), retry=False)
        cursor = await store.read(lambda s: s.get_cursor("src"))
        rows = await store.read(lambda s: [tuple(r) for r in s.conn.execute(
            "SELECT m.id, m.sentiment, m.compound, m.is_complaint, m.intent, m.priority, "
            "m.reasons, m.case_id, d.priority_rank, d.team FROM mentions m "
            "LEFT JOIN drafts d ON d.mention_id = m.id ORDER BY m.id")])
        return [done, cursor, *rows]
    finally:
        await store.close()


async def test_a_worker_process_analyses_as_the_daemon_would(
        db_url: Callable[..., str]) -> None:
    """With an analysis worker the poller analyses each next page while the last is stored;
    what is stored is the same as with analysis in the daemon, repeat contacts included."""
    analyzer = Analyzer()
    in_process = await _drain_feed(db_url("in_process"), None, analyzer, Script(*_feed()))
    pool = AnalysisPool(analyzer, 1)
    try:
        script = Script(*_feed())
        beside = await _drain_feed(db_url("worker"), pool, analyzer, script)
    finally:
        pool.close()
    assert beside == in_process
    assert beside[:2] == [True, "c2"] and len(beside) == 2 + 12
    assert script.cursors == [None, "c0", "c1"]  # each page asked for once, in order
    # dana's posts before x:12 are x:00, x:02 (page 0) and x:10: three, whichever of her
    # pages were stored when x:12 was analysed
    reasons = {row[0]: row[6] for row in beside[2:]}  # type: ignore[index]
    assert "priority:repeat-contact(3)" in str(reasons["x:12"])


async def test_a_failed_fetch_waits_for_the_page_being_stored(
        db_url: Callable[..., str]) -> None:
    """The next page fails to arrive while the last is being written: that page is stored,
    the cursor is past it, and the failure is what the drain reports."""
    analyzer = Analyzer()
    pool = AnalysisPool(analyzer, 1)
    try:
        first = _feed()[0]
        result = await _drain_feed(db_url(), pool, analyzer,
                                   Script(first, Unavailable("502 from the platform")))
    finally:
        pool.close()
    done, cursor, *rows = result
    assert done is False and cursor == "c0"
    assert sorted(r[0] for r in rows) == sorted(m.id for m in first.mentions)


async def test_a_dead_worker_costs_no_page() -> None:
    """The OOM killer takes the analysis worker: that page is analysed in the daemon, and the
    next goes to a new worker."""
    analyzer = Analyzer()
    pool = AnalysisPool(analyzer, 1)
    posts = [Post(t, 100) for t in FEED_TEXTS]
    try:
        expected = [analyzer.analyze(t, followers=100) for t in FEED_TEXTS]
        assert await pool.analyze(posts) == expected
        workers = list(pool._executor._processes)  # noqa: SLF001
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        assert await pool.analyze(posts) == expected
        assert await pool.analyze(posts) == expected
        assert set(pool._executor._processes).isdisjoint(workers)  # noqa: SLF001
    finally:
        pool.close()



@pytest.mark.parametrize(("remaining", "expected"), [(400, 60.0), (3, 200.0), (0, 601.0)],
                         ids=["plenty", "few-left", "none-left"])
async def test_a_source_slows_down_before_its_rate_limit_runs_out(
        store: AsyncStore, remaining: int, expected: float) -> None:
    # the platform says how many requests are left until its window resets (600 s away):
    # the next poll waits so those last until the reset, rather than running into a 429
    from monitor.models import RateLimit

    clock, waits, stop = Clock(), [], asyncio.Event()
    budget = RateLimit(limit=450, remaining=remaining, reset_at=T0 + timedelta(seconds=600))
    platform = Script(Page((mention("1", "brightwave post 1", author="a1"),), "c1",
                           rate_limit=budget))
    poller = _poller(store, platform, clock, waits, stop)
    poller.jitter = 0.0

    async def one_poll(seconds: float, _: asyncio.Event) -> None:
        waits.append(seconds)
        stop.set()

    poller.sleep = one_poll
    await poller.run(stop)
    assert waits == [expected]
