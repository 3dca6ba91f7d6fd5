"""The store: migrations, once-only mentions, atomic cursors, hostile text, decisions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from monitor.models import Role
from monitor.store import MIGRATIONS, AlreadyDecided, Store
from tests.factories import T0, analysed, mention, simple_planner

HOSTILE = [
    "<script>alert('xss')</script> @BrightwaveHelp",
    '<img src=x onerror=alert(1)> brightwave',
    "brightwave'; DROP TABLE mentions; --",
    "bright\u200bwave\u200d is\ufeff down",
    "\u202eevaw thgirb\u202c مرحبا brightwave",
    "e\u0301\u0301 👩‍👩‍👧‍👦 🇬🇧 brightwave",
    "nul\x00byte brightwave",
    "brightwave " + "x" * 1_048_576,
]


@pytest.fixture
def store(db_url: Callable[..., str]) -> Store:
    s = Store(db_url())
    yield s
    s.close()


def test_migrations_are_numbered_and_applied_once(db_url: Callable[..., str]) -> None:
    store = Store(db_url("a"))
    assert store.schema_version() == len(MIGRATIONS)
    assert store.migrate() == []
    rows = store.conn.execute("SELECT version, name FROM migrations ORDER BY version").fetchall()
    assert [tuple(r) for r in rows] == [(i + 1, m.name) for i, m in enumerate(MIGRATIONS)]
    store.close()
    if not store.postgres:
        conn = sqlite3.connect(store.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_mention_is_stored_once_however_often_fetched(store: Store) -> None:
    page = [analysed(mention("1")), analysed(mention("2", author="eli")),
            analysed(mention("1", "@BrightwaveHelp the same post, fetched again, edited"))]
    first = store.ingest("src", "c1", page, simple_planner, now=T0)
    again = store.ingest("src", "c1", page, simple_planner, now=T0)
    assert (first.stored, again.stored) == (2, 0)
    assert store.count("mentions") == 2
    assert store.count("cases") == 2
    assert store.count("drafts") == 2
    # the same post twice in one page: the first one is kept, as a later fetch would be
    (text,) = store.conn.execute("SELECT text FROM mentions WHERE id = 'x:1'").fetchone()
    assert "edited" not in text


def test_cursor_moves_only_with_its_page(store: Store) -> None:
    store.ingest("src", "c1", [analysed(mention("1"))], simple_planner, now=T0)

    def broken_planner(new, context):  # type: ignore[no-untyped-def]
        raise RuntimeError("crash in the middle of a page")

    with pytest.raises(RuntimeError):
        store.ingest("src", "c2", [analysed(mention("2"))], broken_planner, now=T0)
    assert store.get_cursor("src") == "c1"
    assert store.known_mention_ids(["x:1", "x:2"]) == {"x:1"}


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_stored_byte_for_byte(store: Store, text: str) -> None:
    m = mention("h", text)
    store.ingest("src", None, [analysed(m)], simple_planner, now=T0)
    assert store.get_mention("x:h")["text"] == text
    (draft,) = store.list_drafts()
    assert draft["mention_text"] == text
    assert store.count("mentions") == 1


def test_deciding_twice_fails_clearly_and_audits_once(store: Store) -> None:
    store.ingest("src", None, [analysed(mention("1"))], simple_planner, now=T0)
    (draft,) = store.list_drafts(status="pending")
    store.add_user("ann", Role.APPROVER, "hash", actor="cli", now=T0)
    decided = store.decide_draft(draft["id"], approve=True, actor="ann", now=T0,
                                 text="Edited reply")
    assert decided.status.value == "approved" and decided.text == "Edited reply"
    with pytest.raises(AlreadyDecided, match=r"already approved by ann"):
        store.decide_draft(draft["id"], approve=False, actor="bob", now=T0, reason="no")
    actions = [(a["actor"], a["action"], a["before"], a["after"]) for a in store.list_audit()]
    assert ("ann", "edit_approve", "Hi dana", "Edited reply") in actions
    assert not [a for a in actions if a[0] == "bob"]


def test_the_web_migration_fills_queue_keys_and_search_for_existing_drafts(
        db_url: Callable[..., str]) -> None:
    from monitor.models import Priority
    from monitor.store import QueueFilter

    old = Store(db_url("old"), migrate=False)
    assert old.migrate(up_to=2) == [1, 2]
    # Rows as the code of that schema wrote them (today's ingest needs today's schema).
    at = "2026-11-18T07:00:00.000000Z"
    for n, (platform, author, text, intent, priority, due) in enumerate([
        ("x", "ann", "brightwave router on fire", "outage", Priority.URGENT,
         "2026-11-18T07:15:00.000000Z"),
        ("reddit", "bob", "brightwave billing mess", "billing", Priority.LOW,
         "2026-11-19T07:00:00.000000Z"),
    ], start=1):
        author_id = f"{platform}:{author}"
        old.conn.execute("INSERT INTO authors (id, platform, native_id, handle, first_seen_at, "
                         "last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (author_id, platform, author, author, at, at))
        old.conn.execute("INSERT INTO cases (id, author_id, platform, status, intent, priority, "
                         "opened_at, updated_at, sla_due_at) VALUES (?, ?, ?, 'open', ?, ?, ?, "
                         "?, ?)", (n, author_id, platform, intent, priority.value, at, at,
                                   due))
        old.conn.execute("INSERT INTO mentions (id, platform, native_id, author_id, text, "
                         "created_at, fetched_at, sentiment, is_complaint, intent, priority, "
                         "case_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'negative', 1, ?, ?, ?)",
                         (f"{platform}:{n}", platform, str(n), author_id, text, at, at,
                          intent, priority.value, n))
        old.conn.execute("INSERT INTO drafts (case_id, mention_id, platform, text, "
                         "original_text, template, status, created_at) VALUES (?, ?, ?, 'Hi', "
                         "'Hi', 'default', 'pending', ?)", (n, f"{platform}:{n}", platform, at))
    old.close()

    store = Store(db_url("old"))
    assert store.schema_version() == len(MIGRATIONS)
    page = store.queue()
    assert [r["mention_id"] for r in page.rows] == ["x:1", "reddit:2"]
    assert [r["priority_rank"] for r in page.rows] == [0, 3]
    assert store.queue(QueueFilter(search="rout")).total == 1
    assert store.queue(QueueFilter(platform="reddit", sentiment="negative")).total == 1

    # A case that changes priority or team moves its drafts in the queue (triggers).
    store.conn.execute("UPDATE cases SET priority = 'high', team = 'billing' WHERE id = 2")
    assert [r["mention_id"] for r in store.queue().rows] == ["x:1", "reddit:2"]
    assert store.queue(QueueFilter(team="billing")).rows[0]["priority_rank"] == 1
    store.conn.execute("UPDATE cases SET priority = 'urgent' WHERE id = 2")
    store.conn.execute("UPDATE cases SET sla_due_at = '2000-01-01T00:00:00.000000Z' "
                       "WHERE id = 2")
    assert [r["mention_id"] for r in store.queue().rows] == ["reddit:2", "x:1"]
    store.close()


def test_queue_pages_by_key_without_gaps_or_repeats(store: Store) -> None:
    from monitor.models import Priority

    store.ingest("src", None, [
        analysed(mention(str(i), f"brightwave down {i}", author=f"a{i}", minutes=i),
                 priority=list(Priority)[i % 4])
        for i in range(23)
    ], simple_planner, now=T0)
    seen, page = [], store.queue(limit=5)
    while True:
        seen += [r["id"] for r in page.rows]
        if page.next_key is None:
            break
        page = store.queue(after=page.next_key, limit=5)
    assert len(seen) == len(set(seen)) == 23 == page.total
    assert seen == [d["id"] for d in store.list_drafts(status="pending", limit=100)]
    back = store.queue(before=page.prev_key, limit=5)
    assert [r["id"] for r in back.rows] == seen[15:20]
    first = store.queue(before=store.queue(after=store.queue(limit=5).next_key,
                                           limit=5).prev_key, limit=5)
    assert [r["id"] for r in first.rows] == seen[:5] and first.prev_key is None


def test_drafts_carry_their_case_queue_keys_as_the_page_left_it(store: Store) -> None:
    """Ingest writes each draft's queue keys itself. They are the case's as the whole page
    left it: dana's reply draft was rejected, she writes again (a new draft on her stored
    case) and then angrily, which makes the case urgent after the draft was planned. A draft
    another writer inserts without keys still gets them from the trigger."""
    from monitor.models import Priority

    def keys() -> list[tuple[object, ...]]:
        rows = store.conn.execute(
            "SELECT d.mention_id, d.priority_rank, d.sla_due_at, d.intent, d.team, "
            "d.sentiment, CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'normal' THEN 2 ELSE 3 END, coalesce(c.sla_due_at, ''), c.intent, c.team, "
            "m.sentiment FROM drafts d JOIN cases c ON c.id = d.case_id "
            "JOIN mentions m ON m.id = d.mention_id WHERE d.status = 'pending' ORDER BY d.id")
        return [tuple(r) for r in rows]

    store.ingest("src", None, [
        analysed(mention("1", "brightwave bill is wrong", minutes=0), intent="billing",
                 priority=Priority.NORMAL, compound=-0.3),
        analysed(mention("2", "brightwave router lost", author="ed", minutes=2),
                 intent="delivery", priority=Priority.HIGH, compound=0.2),
    ], simple_planner, now=T0)
    first = store.conn.execute("SELECT id FROM drafts WHERE mention_id = 'x:1'").fetchone()[0]
    store.decide_draft(first, approve=False, actor="ann", now=T0, reason="wrong tone")
    store.ingest("src", None, [
        analysed(mention("3", "brightwave bill still wrong", minutes=5), intent="billing",
                 priority=Priority.NORMAL, compound=-0.3),
        analysed(mention("4", "brightwave THIRD TIME, cancelling", minutes=6),
                 intent="billing", priority=Priority.URGENT, compound=-0.8),
    ], simple_planner, now=T0)
    rows = keys()
    # dana's pending reply was written again for her newest post
    assert [r[0] for r in rows] == ["x:2", "x:4"]
    assert [r[1:6] for r in rows] == [r[6:11] for r in rows]
    assert rows[1][1] == 0  # urgent: from dana's later post, not the case as stored before
    assert [r["mention_id"] for r in store.queue().rows] == ["x:4", "x:2"]

    case_id = store.conn.execute("SELECT case_id FROM mentions WHERE id = 'x:2'").fetchone()[0]
    store.conn.execute("INSERT INTO drafts (case_id, mention_id, platform, text, "
                       "original_text, template, status, created_at) VALUES (?, 'x:2', 'x', "
                       "'Following up', 'Following up', 'follow_up', 'pending', ?)",
                       (case_id, "2026-01-01T00:00:00Z"))
    rows = keys()
    assert len(rows) == 3 and rows[2][1:6] == rows[2][6:11] == rows[0][1:6]


def test_repeat_contacts_leave_out_the_page_in_flight(store: Store) -> None:
    """The poller counts a page still being stored itself: the store's count leaves out its
    posts whether or not they have been committed yet, so they count once either way."""
    store.ingest("src", None, [analysed(mention(str(i), "brightwave down", minutes=i))
                               for i in range(3)] + [
        analysed(mention("9", "brightwave down", author="ed"))], simple_planner, now=T0)
    assert store.mentions_by_author({"x:dana", "x:ed", "x:nobody"}) == {"x:dana": 3, "x:ed": 1}
    assert store.mentions_by_author(
        {"x:dana", "x:ed"}, excluding=["x:1", "x:2", "x:404", "x:9"]) == {"x:dana": 1, "x:ed": 0}


def test_the_database_and_its_backups_are_readable_by_their_owner_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat

    old = os.umask(0o022)  # a usual umask would make both world-readable
    try:
        store = Store(f"sqlite:///{tmp_path / 'b.db'}")
        try:
            store.ingest("s", None, [analysed(mention("1"))], simple_planner, now=T0)
            store.backup(tmp_path / "copy.db")
        finally:
            store.close()
    finally:
        os.umask(old)
    for name in ("b.db", "b.db-wal", "copy.db"):
        path = tmp_path / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
