"""Undo an approval: nothing is posted within `[publisher] undo_window`, an undo inside it
puts the draft back in the queue (audited), and an undo racing a publisher never ends in a
posted reply. Also: an approved draft no source can post is logged once, not every cycle.

Time is injected: the approvals, undos and publishers each say what time it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from monitor.models import Role
from monitor.store import AlreadyDecided, AsyncStore, Store
from responders.publisher import Publisher, PublishPolicy
from responders.queue import NotPermitted, undo
from tests.factories import T0, analysed, mention, simple_planner
from tests.helpers import sql
from tests.test_publisher import Clock, Thread

WINDOW = timedelta(seconds=10)


@pytest.fixture
def db(db_url: Callable[..., str]) -> str:
    path = db_url()
    store = Store(path)
    posts = [analysed(mention(str(i), author=f"c{i}")) for i in range(6)]
    posts.append(analysed(mention("r1", author="rita", platform="reddit")))
    store.ingest("s", None, posts, simple_planner, now=T0)
    store.add_user("ann", Role.APPROVER, "h", actor="cli", now=T0)
    store.add_user("bob", Role.APPROVER, "h", actor="cli", now=T0)
    store.add_user("vic", Role.VIEWER, "h", actor="cli", now=T0)
    store.close()
    return path


def _approve(db: str, *ids: int, at: timedelta = timedelta(0)) -> None:
    store = Store(db)
    for draft_id in ids:
        store.decide_draft(draft_id, approve=True, actor="ann", now=T0 + at)
    store.close()


def _undo(db: str, draft_id: int, *, at: timedelta, user: str = "bob") -> str:
    """Undo as `user` at T0 + at: "undone", or the refusal's message."""
    store = Store(db)
    try:
        undo(store, draft_id, user=user, now=T0 + at, window=WINDOW)
        return "undone"
    except AlreadyDecided as exc:
        return str(exc)
    finally:
        store.close()


def _status(db: str, draft_id: int) -> str:
    return str(sql(db, "SELECT status FROM drafts WHERE id = ?", (draft_id,))[0][0])


async def _publisher(db: str, thread: Thread, clock: Clock) -> Publisher:
    # reconcile_after as in production (above a post's round trip): the clock stands still
    # within a cycle, so at 0 a replica would take a claim made that instant by the other for
    # an abandoned one, put it back in line and post it again (the daemon warns about that).
    store = await AsyncStore(db).open()
    return Publisher(store, {"x": thread}, clock=clock,
                     policy=PublishPolicy(reconcile_after=30.0, undo_window=10.0))


async def test_an_approval_undone_within_its_window_is_never_posted(db: str) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    publisher = await _publisher(db, thread, clock)
    try:
        clock.now = T0 + timedelta(seconds=9)
        await publisher.run_once()
        assert thread.posted == [] and _status(db, 1) == "approved"
        assert _undo(db, 1, at=timedelta(seconds=9.5)) == "undone"
        assert _status(db, 1) == "pending"
        for minutes in (1, 10, 60):  # long after the window: still nothing
            clock.now = T0 + timedelta(minutes=minutes)
            await publisher.run_once()
    finally:
        await publisher.store.close()
    assert thread.posted == []
    assert _status(db, 1) == "pending"
    assert sql(db, "SELECT decided_by, decided_at FROM drafts WHERE id = 1") == [(None, None)]
    trail = sql(db, "SELECT actor, action, at, detail FROM audit WHERE subject = 'draft:1' "
                    "ORDER BY id")
    assert [(actor, action) for actor, action, _, _ in trail] == [
        ("ann", "approve"), ("bob", "undo_approve")]
    assert trail[1][2] == "2026-11-18T07:00:09.500000Z"
    assert json.loads(trail[1][3]) == {"approved_by": "ann",
                                       "approved_at": "2026-11-18T07:00:00.000000Z"}


async def test_an_approval_is_posted_once_when_its_window_has_passed(db: str) -> None:
    _approve(db, 1)
    thread, clock = Thread(), Clock()
    publisher = await _publisher(db, thread, clock)
    try:
        clock.now = T0 + timedelta(seconds=9.999)
        await publisher.run_once()
        assert thread.posted == []
        clock.now = T0 + WINDOW
        await publisher.run_once()
        clock.now += timedelta(minutes=5)
        await publisher.run_once()
    finally:
        await publisher.store.close()
    assert thread.posted == [("0", "Hi c0", "r0")]
    assert _status(db, 1) == "posted"


async def test_undo_is_refused_after_the_window_and_once_claimed_or_posted(db: str) -> None:
    _approve(db, 1, 2)
    assert "undo window has passed" in _undo(db, 1, at=WINDOW)
    assert _status(db, 1) == "approved"
    thread, clock = Thread(), Clock()
    publisher = await _publisher(db, thread, clock)
    try:
        clock.now = T0 + WINDOW
        await publisher.run_once()
    finally:
        await publisher.store.close()
    assert _status(db, 1) == "posted"
    assert "already posted: too late to undo" in _undo(db, 1, at=timedelta(seconds=1))
    assert "not approved" in _undo(db, 3, at=timedelta(seconds=1))
    store = Store(db)
    try:
        with pytest.raises(NotPermitted):  # a viewer cannot take back an approval
            undo(store, 2, user="vic", now=T0, window=WINDOW)
    finally:
        store.close()
    assert sql(db, "SELECT count(*) FROM audit WHERE action = 'undo_approve'") == [(0,)]


async def test_two_replicas_post_a_due_approval_once_and_an_undone_one_never(db: str) -> None:
    _approve(db, 1, 2)
    assert _undo(db, 2, at=timedelta(seconds=3)) == "undone"
    thread, clock = Thread(), Clock()
    a = await _publisher(db, thread, clock)
    b = await _publisher(db, thread, clock)
    try:
        clock.now = T0 + timedelta(seconds=5)
        await asyncio.gather(a.run_once(), b.run_once())
        assert thread.posted == []
        clock.now = T0 + WINDOW
        await asyncio.gather(a.run_once(), b.run_once())
        clock.now += timedelta(minutes=1)
        await asyncio.gather(a.run_once(), b.run_once())
    finally:
        await a.store.close()
        await b.store.close()
    assert thread.posted == [("0", "Hi c0", "r0")]
    assert (_status(db, 1), _status(db, 2)) == ("posted", "pending")


async def test_an_undo_racing_two_publishers_never_ends_in_a_posted_reply(db: str) -> None:
    # The worst case: the publishers' clocks say the window has passed while the undo's says
    # it has not (clocks on replicas differ). Each draft ends either posted with its undo
    # refused, or pending and never posted.
    ids = [1, 2, 3, 4, 5, 6]
    _approve(db, *ids)
    thread, clock = Thread(), Clock()
    clock.now = T0 + WINDOW
    a = await _publisher(db, thread, clock)
    b = await _publisher(db, thread, clock)
    try:
        outcomes = await asyncio.gather(
            a.run_once(), b.run_once(),
            *(asyncio.to_thread(_undo, db, i, at=timedelta(seconds=9)) for i in ids))
        await asyncio.gather(a.run_once(), b.run_once())
    finally:
        await a.store.close()
        await b.store.close()
    answers = dict(zip(ids, outcomes[2:], strict=True))
    posted = {int(parent) + 1 for parent, _, _ in thread.posted}
    assert len(thread.posted) == len(posted)  # each reply at most once
    for draft_id, answer in answers.items():
        if answer == "undone":
            assert draft_id not in posted and _status(db, draft_id) == "pending"
        else:
            assert draft_id in posted and _status(db, draft_id) == "posted", answer
            assert "too late to undo" in answer or "already tried" in answer


async def test_an_approved_draft_no_source_can_post_is_logged_once(
        db: str, caplog: pytest.LogCaptureFixture) -> None:
    rita = int(sql(db, "SELECT id FROM drafts WHERE platform = 'reddit'")[0][0])
    _approve(db, rita)
    thread, clock = Thread(), Clock()
    publisher = await _publisher(db, thread, clock)
    caplog.set_level(logging.WARNING, logger="brandbot.publisher")
    try:
        for _ in range(5):  # five minutes of cycles
            await publisher.run_once()
            clock.now += timedelta(minutes=1)
        stranded = [r for r in caplog.records if getattr(r, "event", "") == "post_stranded"]
        assert [r.getMessage() for r in stranded] == [
            f"approved draft {rita} won't be posted: no enabled reddit source can reply "
            "(enable one with credentials, or reply on reddit by hand)"]
        _approve(db, 1, at=timedelta(hours=1))  # an x draft: posted, not stranded
        for _ in range(3):
            await publisher.run_once()
            clock.now += timedelta(minutes=1)
    finally:
        await publisher.store.close()
    assert len([r for r in caplog.records if getattr(r, "event", "") == "post_stranded"]) == 1
    assert _status(db, rita) == "approved" and thread.posted == [("0", "Hi c0", "r0")]


async def test_with_no_source_that_replies_every_approved_draft_is_reported(
        db: str, caplog: pytest.LogCaptureFixture) -> None:
    # the demo: its only source replays a file, so nothing approved is ever posted
    _approve(db, 1, 2, 7)
    caplog.set_level(logging.WARNING, logger="brandbot.publisher")
    store = await AsyncStore(db).open()
    clock = Clock()
    publisher = Publisher(store, {}, clock=clock, policy=PublishPolicy(undo_window=10.0))
    try:
        for _ in range(3):
            await publisher.run_once()
            clock.now += timedelta(minutes=1)
    finally:
        await store.close()
    assert [r.getMessage() for r in caplog.records] == [
        "approved draft 7 won't be posted: no enabled reddit source can reply (enable one "
        "with credentials, or reply on reddit by hand)",
        "approved drafts 1, 2 won't be posted: no enabled x source can reply (enable one with "
        "credentials, or reply on x by hand)"]
