"""The publisher: only approved drafts, each posted once, with uncertain posts reconciled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from monitor.models import Mention, Role
from monitor.platforms.base import (
    AuthFailed,
    PlatformError,
    PostedReply,
    RateLimited,
    Refused,
    Unavailable,
)
from monitor.store import AsyncStore, Store
from responders.publisher import Publisher, PublishPolicy
from tests.factories import T0, analysed, mention, simple_planner
from tests.helpers import sql


class Thread:
    """A platform's side of the conversation: what was really posted, and scripted failures.

    This stands in for the remote platform (the adapters have their own fake-server tests).
    """

    platform = "x"

    def __init__(self) -> None:
        self.posted: list[tuple[str, str, str]] = []  # (parent id, text, reply id)
        self.script: list[PlatformError | tuple[PlatformError, bool]] = []
        self.search_lag = 0  # how many find_reply calls miss a fresh reply (index lag)
        self.gate: asyncio.Event | None = None  # a slow platform: replies wait for it

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        if self.gate is not None:
            await self.gate.wait()
        if self.script:
            step = self.script.pop(0)
            error, acted = step if isinstance(step, tuple) else (step, False)
            if acted:  # the platform posted, then the answer was lost
                self.posted.append((mention.native_id, text, f"r{len(self.posted)}"))
            raise error
        reply_id = f"r{len(self.posted)}"
        self.posted.append((mention.native_id, text, reply_id))
        return PostedReply(reply_id, f"https://x.com/i/web/status/{reply_id}")

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        if self.search_lag:
            self.search_lag -= 1
            return None
        for parent, posted_text, reply_id in self.posted:
            if parent == mention.native_id and posted_text == text:
                return PostedReply(reply_id, None)
        return None

    async def listen(self, cursor: str | None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = T0 + timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(db_url: Callable[..., str]) -> str:
    path = db_url()
    store = Store(path)
    store.ingest("s", None, [analysed(mention(str(i), author=f"c{i}")) for i in range(3)],
                 simple_planner, now=T0)
    store.add_user("ann", Role.APPROVER, "h", actor="cli", now=T0)
    store.close()
    return path


def _approve(db: str, draft_id: int) -> None:
    store = Store(db)
    store.decide_draft(draft_id, approve=True, actor="ann", now=T0)
    store.close()


def _status(db: str) -> dict[int, tuple[str, str | None]]:
    return {r[0]: (r[1], r[2]) for r in sql(db, "SELECT id, status, error FROM drafts")}


async def _publisher(db: str, thread: Thread, clock: Clock, **policy: float) -> Publisher:
    store = await AsyncStore(db).open()
    defaults = {"reconcile_after": 0.0, "base_delay": 10.0}
    return Publisher(store, {"x": thread}, clock=clock,
                     policy=PublishPolicy(**{**defaults, **policy}))  # type: ignore[arg-type]


async def test_only_approved_drafts_are_posted_once_on_their_thread(db: str) -> None:
    _approve(db, 2)
    thread, clock = Thread(), Clock()
    publisher = await _publisher(db, thread, clock)
    await publisher.run_once()
    await publisher.run_once()
    await publisher.store.close()
    assert thread.posted == [("1", "Hi c1", "r0")]
    assert _status(db) == {1: ("pending", None), 2: ("posted", None), 3: ("pending", None)}
    (case,) = sql(db, "SELECT c.first_response_at, c.status FROM cases c JOIN drafts d "
                  "ON d.case_id = c.id WHERE d.id = 2")
    audit = sql(db, "SELECT actor, action FROM audit WHERE subject = 'draft:2' ORDER BY id")
    assert case == (clock.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "waiting")
    assert audit == [("ann", "approve"), ("publisher", "post")]


async def test_a_draft_marked_approved_without_a_recorded_decision_is_never_posted(
        db: str) -> None:
    sql(db, "UPDATE drafts SET status = 'approved', decided_by = 'ann' WHERE id = 1")
    thread = Thread()
    publisher = await _publisher(db, thread, Clock())
    await publisher.run_once()
    await publisher.store.close()
    assert thread.posted == []
    assert _status(db)[1] == ("approved", None)


async def test_a_permanent_refusal_fails_the_draft_without_retrying(db: str) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    thread.script = [Refused("duplicate content")]
    publisher = await _publisher(db, thread, clock)
    await publisher.run_once()
    clock.now += timedelta(hours=2)
    await publisher.run_once()
    await publisher.store.close()
    assert thread.posted == []
    assert _status(db)[1] == ("failed", "refused by x: duplicate content")


async def test_rate_limit_waits_for_the_reset(db: str) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    thread.script = [RateLimited("429", reset_at=clock.now + timedelta(minutes=15))]
    publisher = await _publisher(db, thread, clock)
    await publisher.run_once()
    clock.now += timedelta(minutes=14)
    await publisher.run_once()
    assert thread.posted == [] and _status(db)[1][0] == "approved"
    clock.now += timedelta(minutes=2)
    await publisher.run_once()
    await publisher.store.close()
    assert len(thread.posted) == 1 and _status(db)[1][0] == "posted"


@pytest.mark.parametrize("acted", [True, False], ids=["posted-then-lost", "never-arrived"])
async def test_an_uncertain_post_is_reconciled_not_repeated(db: str, acted: bool) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    thread.script = [(Unavailable("connection reset"), acted)]
    publisher = await _publisher(db, thread, clock, reconcile_after=30.0)
    await publisher.run_once()
    assert _status(db)[1][0] == "posting"
    await publisher.run_once()  # too soon to trust the thread: nothing happens
    assert _status(db)[1][0] == "posting"
    clock.now += timedelta(minutes=1)
    await publisher.run_once()  # reconciles; posts (again) only if it was not there
    clock.now += timedelta(minutes=10)
    await publisher.run_once()
    await publisher.store.close()
    assert len(thread.posted) == 1
    assert _status(db)[1][0] == "posted"


async def test_gives_up_after_max_attempts_and_leaves_it_to_a_person(db: str) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    thread.script = [AuthFailed("401")] * 3
    publisher = await _publisher(db, thread, clock, max_attempts=3, auth_retry=60)
    for _ in range(4):
        await publisher.run_once()
        clock.now += timedelta(minutes=2)
    await publisher.store.close()
    assert thread.posted == []
    assert _status(db)[1] == ("failed", "gave up after 3 attempts: credentials refused: 401")


async def test_a_duplicate_refusal_after_a_lost_answer_is_recognised_as_posted(db: str) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    thread.script = [(Unavailable("timeout"), True), Refused("duplicate content")]
    thread.search_lag = 1
    publisher = await _publisher(db, thread, clock, base_delay=1.0)
    for _ in range(3):
        await publisher.run_once()
        clock.now += timedelta(minutes=1)
    await publisher.store.close()
    assert len(thread.posted) == 1
    assert _status(db)[1][0] == "posted"


async def test_a_slow_post_is_not_reconciled_and_posted_again_by_another_replica(
        db: str) -> None:
    # Replica A's post is slow (longer than reconcile_after). Replica B's reconciler used to
    # see a claim silent for too long, find no reply on the thread yet, put the draft back in
    # line and post it again. A shows signs of life while its post is in flight, so B leaves
    # it alone, and only A's reply goes out.
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    thread.gate = asyncio.Event()
    a = await _publisher(db, thread, clock, reconcile_after=30.0, heartbeat=0.02)
    b = await _publisher(db, thread, clock, reconcile_after=30.0, heartbeat=0.02)
    try:
        posting = asyncio.ensure_future(a.run_once())
        await asyncio.sleep(0.05)
        assert _status(db)[1][0] == "posting"
        clock.now += timedelta(minutes=5)  # A's request has been in flight for 5 minutes
        await asyncio.sleep(0.1)  # ... and A keeps saying so
        # B must leave the draft alone (were it to post again, its reply would hang here on
        # the slow platform, and the wait would time out)
        await asyncio.wait_for(b.run_once(), timeout=5)
        assert _status(db)[1][0] == "posting"
        thread.gate.set()
        await posting
        for _ in range(3):
            clock.now += timedelta(minutes=5)
            await b.run_once()
            await a.run_once()
    finally:
        await a.store.close()
        await b.store.close()
    assert len(thread.posted) == 1
    assert _status(db)[1][0] == "posted"


def test_a_stale_publisher_cannot_reset_or_fail_a_claim_that_is_not_its_own(db: str) -> None:
    # The store's methods, as two replicas would call them: every claim is fenced by its
    # attempt number, and a reconciler only settles a claim silent since it looked.
    _approve(db, 1)
    store = Store(db)
    try:
        start = T0 + timedelta(hours=1)
        (first,) = store.claim_for_posting(["x"], now=start, undo_window=timedelta(0))
        # a reconciler looks (the claim seems silent), then the owner shows a sign of life
        looked = start + timedelta(minutes=1)
        assert store.touch_claim(1, attempt=first.attempts, now=looked + timedelta(seconds=1))
        assert not store.mark_retry(1, attempt=first.attempts, error="not there",
                                    next_attempt_at=looked, now=looked, silent_since=looked)
        assert store.get_draft(1).status.value == "posting"
        # the owner really went quiet: reset, and claimed again by another replica
        later = looked + timedelta(minutes=5)
        assert store.mark_retry(1, attempt=first.attempts, error="not there",
                                next_attempt_at=later, now=later, silent_since=later)
        (second,) = store.claim_for_posting(["x"], now=later, undo_window=timedelta(0))
        assert second.attempts == first.attempts + 1
        # the first owner, late, cannot reset or fail the second claim
        assert not store.mark_retry(1, attempt=first.attempts, error="timeout",
                                    next_attempt_at=later, now=later)
        assert not store.mark_failed(1, attempt=first.attempts, error="gave up", now=later)
        assert not store.touch_claim(1, attempt=first.attempts, now=later)
        assert store.get_draft(1).status.value == "posting"
        # a reply that landed is recorded whoever holds the claim, so nobody posts it again
        assert store.mark_posted(1, posted_id="r0", url=None, now=later)
        assert not store.mark_posted(1, posted_id="r1", url=None, now=later)
        assert store.get_draft(1).status.value == "posted"
    finally:
        store.close()
