"""Leases: one replica polls a source at a time; a silent replica's sources move on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from monitor.leases import LeaseKeeper, replica_name
from monitor.store import AsyncStore
from tests.factories import T0

TTL = timedelta(seconds=15)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


@pytest.fixture
async def store(db_url: Callable[..., str]) -> AsyncIterator[AsyncStore]:
    s = await AsyncStore(db_url()).open()
    yield s
    await s.close()


async def test_a_source_has_one_holder_until_its_lease_lapses(store: AsyncStore) -> None:
    clock = Clock()
    a = LeaseKeeper(store, ["x", "reddit"], holder="a", ttl=TTL, clock=clock)
    b = LeaseKeeper(store, ["x", "reddit"], holder="b", ttl=TTL, clock=clock)
    await a.renew()
    await b.renew()
    assert (a.held, b.held) == ({"x", "reddit"}, set())

    clock.now += TTL - timedelta(seconds=1)  # a renews in time: b still waits
    await a.renew()
    clock.now += TTL - timedelta(seconds=1)
    await b.renew()
    assert b.held == set()

    clock.now += TTL  # a has gone quiet (dead or paused): its lease lapses, b takes over
    await b.renew()
    await a.renew()
    assert (a.held, b.held) == (set(), {"x", "reddit"})
    rows = await store.read(lambda s: s.leases())
    assert {r["source"]: r["holder"] for r in rows} == {"x": "b", "reddit": "b"}


async def test_a_clean_stop_hands_the_sources_over_at_once(store: AsyncStore) -> None:
    clock = Clock()
    a = LeaseKeeper(store, ["x"], holder="a", ttl=TTL, clock=clock)
    b = LeaseKeeper(store, ["x"], holder="b", ttl=TTL, clock=clock)
    stop = asyncio.Event()
    await a.renew()
    stop.set()  # a stopping: run() renews no more and gives its leases up
    await a.run(stop)
    await b.renew()
    assert b.held == {"x"}


async def test_work_stops_when_the_lease_is_lost_and_resumes_when_regained(
        store: AsyncStore) -> None:
    clock = Clock()
    a = LeaseKeeper(store, ["x"], holder="a", ttl=TTL, clock=clock)
    b = LeaseKeeper(store, ["x"], holder="b", ttl=TTL, clock=clock)
    runs: list[str] = []
    standby: list[str] = []

    async def work(until: asyncio.Event) -> None:
        runs.append("start")
        await until.wait()  # a poller finishes its page in hand, then returns
        runs.append("stop")

    stop = asyncio.Event()
    await a.renew()
    task = asyncio.create_task(a.run_source("x", stop, work, lambda: standby.append("x")))
    await _until(lambda: runs == ["start"])

    clock.now += TTL * 2  # b takes the lapsed lease; a learns it on its next round
    await b.renew()
    await a.renew()
    await _until(lambda: runs == ["start", "stop"] and standby == ["x"])

    clock.now += TTL * 2  # b goes quiet; a takes it back and the work starts again
    await a.renew()
    await _until(lambda: runs == ["start", "stop", "start"])
    stop.set()
    await asyncio.wait_for(task, 5)
    assert runs[-1] == "stop"


async def test_a_daemon_restarted_on_its_machine_takes_its_sources_back_at_once(
        store: AsyncStore) -> None:
    clock = Clock()
    dead = await asyncio.create_subprocess_exec("true")  # a process that has exited
    await dead.wait()
    here = replica_name().partition(":")[0]
    crashed = LeaseKeeper(store, ["x"], holder=f"{here}:{dead.pid}:old", ttl=TTL, clock=clock)
    await crashed.renew()
    restarted = LeaseKeeper(store, ["x"], holder=replica_name(), ttl=TTL, clock=clock)
    await restarted.renew()  # the old holder ran here and is gone: no waiting out its lease
    assert restarted.held == {"x"}

    elsewhere = LeaseKeeper(store, ["reddit"], holder=f"other-machine:{dead.pid}:old",
                            ttl=TTL, clock=clock)
    await elsewhere.renew()
    here_again = LeaseKeeper(store, ["reddit"], holder=replica_name(), ttl=TTL, clock=clock)
    await here_again.renew()  # another machine's replica is only known dead when it lapses
    assert here_again.held == set()
    clock.now += TTL * 2
    await here_again.renew()
    assert here_again.held == {"reddit"}
