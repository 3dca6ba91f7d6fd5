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


ROUND = TTL / 3  # a keeper renews every third of the lease time
FOUR = ["s1", "s2", "s3", "s4"]


async def _rounds(clock: Clock, keepers: list[LeaseKeeper], n: int = 1) -> None:
    """`n` renewal rounds of every keeper, in order, a third of a lease period apart."""
    for _ in range(n):
        clock.now += ROUND
        for keeper in keepers:
            await keeper.renew()


async def _holders(store: AsyncStore) -> dict[str, str]:
    return {r["source"]: r["holder"] for r in await store.read(lambda s: s.leases())}


async def test_a_replica_that_joins_gets_its_share_and_then_nothing_moves(
        store: AsyncStore) -> None:
    clock = Clock()
    a = LeaseKeeper(store, FOUR, holder="a", ttl=TTL, clock=clock)
    b = LeaseKeeper(store, FOUR, holder="b", ttl=TTL, clock=clock)
    await a.renew()  # alone: every source is its share
    await b.renew()  # joins: its share is 2 of 4, but nothing is free yet
    assert (a.held, b.held) == (set(FOUR), set())
    assert b.view is not None and b.view.share == 2

    await _rounds(clock, [a, b], 2)  # a source stays a lease period with whoever took it
    assert (a.held, b.held) == (set(FOUR), set())
    await _rounds(clock, [a, b])  # a hands its excess over; b takes it at its next renewal
    assert (a.held, b.held) == ({"s1", "s2"}, {"s3", "s4"})

    seen = [await _holders(store)]
    for _ in range(9):  # three lease periods: nothing moves back and forth
        await _rounds(clock, [a, b])
        seen.append(await _holders(store))
    assert all(h == seen[0] for h in seen), seen
    assert a.view is not None and a.view.as_dict()["replicas"] == {
        "a": ["s1", "s2"], "b": ["s3", "s4"]}
    assert a.view.as_dict()["share"] == 2 and a.view.as_dict()["holds"] == ["s1", "s2"]


async def test_shares_are_rounded_up_and_a_replica_that_stops_leaves_its_share(
        store: AsyncStore) -> None:
    clock = Clock()
    five = [*FOUR, "s5"]
    a, b, c = (LeaseKeeper(store, five, holder=name, ttl=TTL, clock=clock) for name in "abc")
    await a.renew()
    await _rounds(clock, [b, c], 1)
    await _rounds(clock, [a, b, c], 3)  # ceil(5 / 3) = 2: a keeps 2, the others take 3
    assert sorted(len(k.held) for k in (a, b, c)) == [1, 2, 2]
    assert set().union(*(k.held for k in (a, b, c))) == set(five)
    before = await _holders(store)
    await _rounds(clock, [a, b, c], 6)
    assert await _holders(store) == before  # 2, 2, 1 is within everyone's share: it stays

    stop = asyncio.Event()
    stop.set()
    leaving = max((a, b, c), key=lambda k: len(k.held))
    await leaving.run(stop)  # a clean stop: its sources and its place go at once
    staying = [k for k in (a, b, c) if k is not leaving]
    await _rounds(clock, staying)  # ceil(5 / 2) = 3: the two left take everything
    assert sorted(len(k.held) for k in staying) == [2, 3]
    assert set().union(*(k.held for k in staying)) == set(five)


async def test_a_source_nobody_takes_comes_back_in_time_and_then_stays(
        store: AsyncStore) -> None:
    clock = Clock()
    a = LeaseKeeper(store, FOUR, holder="a", ttl=TTL, clock=clock)
    # A live replica that never takes these sources (it runs another config).
    other = LeaseKeeper(store, ["elsewhere"], holder="other", ttl=TTL, clock=clock)
    await a.renew()
    await other.renew()
    free_at: dict[str, object] = {}
    unpolled: list[object] = []
    for _ in range(18):  # six lease periods
        await _rounds(clock, [a, other])
        held = await _holders(store)
        for source in FOUR:
            if source not in held:
                free_at.setdefault(source, clock.now)
            elif source in free_at:
                unpolled.append(clock.now - free_at.pop(source))  # type: ignore[operator]
    # a handed two over once; nobody took them, so a took them back within a lease period
    # and a renewal, and then kept them: no back and forth.
    assert len(unpolled) == 2 and not free_at
    assert all(gap <= TTL + ROUND for gap in unpolled), unpolled  # type: ignore[operator]
    assert a.held == set(FOUR)

    c = LeaseKeeper(store, FOUR, holder="c", ttl=TTL, clock=clock)
    await _rounds(clock, [c, a, c])  # another replica joins: a hands its share over to it
    assert (len(a.held), len(c.held)) == (2, 2)


async def test_a_source_is_handed_over_after_its_page_in_hand_is_stored(
        store: AsyncStore) -> None:
    clock = Clock()
    a = LeaseKeeper(store, ["x", "y"], holder="a", ttl=TTL, clock=clock)
    b = LeaseKeeper(store, ["x", "y"], holder="b", ttl=TTL, clock=clock)
    runs: list[str] = []

    async def work(until: asyncio.Event) -> None:
        runs.append("polling")
        await until.wait()
        # The page in hand goes in with the cursor past it, after the lease was given up
        # (the lease may only go once this is stored).
        await store.write(lambda s: s.set_cursor("y", "past-page-7", now=clock.now))
        runs.append("stored")

    stop = asyncio.Event()
    await a.renew()
    await b.renew()
    task = asyncio.create_task(a.run_source("y", stop, work, lambda: runs.append("standby")))
    await _until(lambda: runs == ["polling"])
    await _rounds(clock, [a, b], 2)
    await _rounds(clock, [a])  # a lease period on, a hands y (its latest) over
    assert runs == ["polling", "stored", "standby"]
    assert "y" not in await _holders(store)
    await b.renew()
    assert b.held == {"y"}
    assert await store.read(lambda s: s.get_cursor("y")) == "past-page-7"  # b resumes here
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_a_replica_says_when_another_joins_or_goes_quiet(
        store: AsyncStore, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    a = LeaseKeeper(store, FOUR, holder="a", ttl=TTL, clock=clock)
    b = LeaseKeeper(store, FOUR, holder="b", ttl=TTL, clock=clock)
    caplog.set_level("INFO", logger="brandbot.leases")
    await a.renew()  # alone from the start: nothing to say
    await b.renew()
    await _rounds(clock, [a, b], 3)  # b joined: a hands its excess over once
    await _rounds(clock, [a], 4)  # b stopped renewing: after a lease period it is gone
    changes = [(r.joined, r.quiet, r.share) for r in caplog.records  # type: ignore[attr-defined]
               if getattr(r, "event", "") == "replicas_changed" and r.replica == "a"]
    assert changes == [(["b"], [], 2), ([], ["b"], 4)]
    assert a.held == set(FOUR)
