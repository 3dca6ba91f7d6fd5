"""The queue's search finds what the drafts say now, however they were written, and a store
that indexed with triggers per draft keeps every row searchable once migrated."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from monitor.store import MIGRATIONS, QueueFilter, Store
from tests.factories import T0, analysed, mention, simple_planner

BATCHED = next(i for i, m in enumerate(MIGRATIONS, start=1)
               if m.name == "search rows once a transaction")


def found(store: Store, words: str) -> list[str]:
    return [r["mention_id"] for r in store.queue(QueueFilter(search=words)).rows]


@pytest.fixture
def store(db_url: Callable[..., str]) -> Iterator[Store]:
    s = Store(db_url())
    yield s
    s.close()


def test_a_new_draft_is_found_by_its_post_its_reply_and_its_author(store: Store) -> None:
    store.ingest("src", "c1", [
        analysed(mention("1", "@BrightwaveHelp the router blinks red", author="dana")),
        analysed(mention("2", "@BrightwaveHelp billing twice this month", author="eli")),
    ], simple_planner, now=T0)
    assert found(store, "router") == ["x:1"]
    assert found(store, "Hi eli") == ["x:2"]  # the reply "Hi eli"
    assert found(store, "dan") == ["x:1"]  # the author's handle, as a prefix


def test_an_edited_reply_is_found_by_its_new_words_only(store: Store) -> None:
    store.ingest("src", "c1", [analysed(mention("1", "@BrightwaveHelp wifi is down"))],
                 simple_planner, now=T0)
    (draft,) = store.list_drafts(status="pending")
    with store.transaction() as conn:  # any writer: the web's edit, the model writer
        conn.execute("UPDATE drafts SET text = 'Sorry, an engineer is on the way' "
                     "WHERE id = ?", (draft["id"],))
    assert found(store, "engineer") == ["x:1"]
    assert found(store, "Hi dana") == []


def test_the_customers_newer_post_is_what_search_finds(store: Store) -> None:
    store.ingest("src", "c1", [analysed(mention("1", "@BrightwaveHelp wifi is down"))],
                 simple_planner, now=T0)
    store.ingest("src", "c2", [analysed(mention("2", "@BrightwaveHelp still no modem light",
                                                minutes=5))], simple_planner, now=T0)
    (draft,) = store.list_drafts(status="pending")
    assert draft["mention_id"] == "x:2"  # the pending reply answers their newest post
    assert found(store, "modem") == ["x:2"]


def test_a_store_indexed_by_triggers_stays_searchable_after_migrating(
        db_url: Callable[..., str]) -> None:
    old = Store(db_url("old"), migrate=False)
    old.migrate(up_to=BATCHED - 1)
    # Written by the code of that schema: the trigger per draft wrote its search row.
    old.conn.execute("INSERT INTO authors (id, platform, native_id, handle, first_seen_at, "
                     "last_seen_at) VALUES ('x:ann', 'x', 'ann', 'ann', ?, ?)",
                     ("2026-11-18T07:00:00Z",) * 2)
    old.conn.execute("INSERT INTO cases (id, author_id, platform, status, intent, priority, "
                     "opened_at, updated_at) VALUES (1, 'x:ann', 'x', 'open', 'outage', "
                     "'high', ?, ?)", ("2026-11-18T07:00:00Z",) * 2)
    old.conn.execute("INSERT INTO mentions (id, platform, native_id, author_id, text, "
                     "created_at, fetched_at, case_id) VALUES ('x:1', 'x', '1', 'x:ann', "
                     "'brightwave router on fire', ?, ?, 1)", ("2026-11-18T07:00:00Z",) * 2)
    old.conn.execute("INSERT INTO drafts (case_id, mention_id, platform, text, original_text, "
                     "template, status, created_at, team) VALUES (1, 'x:1', 'x', 'On it', "
                     "'On it', 'default', 'pending', ?, 'care')", ("2026-11-18T07:00:00Z",))
    old.close()

    store = Store(db_url("old"))
    assert store.schema_version() == len(MIGRATIONS)
    assert found(store, "rout") == ["x:1"]
    with store.transaction() as conn:
        conn.execute("UPDATE drafts SET text = 'An engineer is on the way' WHERE id = 1")
    assert found(store, "engineer") == ["x:1"] and found(store, "On it") == []
    store.ingest("src", "c1", [analysed(mention("2", "@BrightwaveHelp billing twice",
                                                author="bob"))], simple_planner, now=T0)
    assert found(store, "billing") == ["x:2"] and found(store, "rout") == ["x:1"]
    store.close()


def test_a_reply_takes_a_wording_no_reply_on_its_platform_had_that_day(store: Store) -> None:
    from datetime import timedelta

    from monitor.cases import CaseRules, plan_page
    from monitor.models import DraftSpec
    from monitor.settings import Settings

    rules = CaseRules.from_settings(Settings.model_validate({"brand": {"name": "B",
                                                                       "keywords": ["b"]}}))

    def planner(new, context):  # type: ignore[no-untyped-def]
        return plan_page(new, context, rules=rules, drafter=lambda case, m, a: DraftSpec(
            text="Sorry about that", template="t",
            candidates=("Sorry about that", "We are on it")))

    def wordings() -> list[str]:
        return [d["text"] for d in sorted(store.list_drafts(), key=lambda d: d["id"])]

    store.ingest("src", None, [analysed(mention("1", author="ann"))], planner,
                 now=T0 - timedelta(hours=25))  # more than a day before
    store.ingest("src", None, [analysed(mention("2", author="bob")),
                               analysed(mention("3", author="cat"))], planner, now=T0)
    store.ingest("src", None, [analysed(mention("4", author="dan")),
                               analysed(mention("5", author="eve", platform="reddit"))],
                 planner, now=T0)
    # bob's may say what ann's said a day before; cat's takes the other wording; dan's has
    # none left, so it keeps the first; on Reddit nothing was said yet
    assert wordings() == ["Sorry about that", "Sorry about that", "We are on it",
                          "Sorry about that", "Sorry about that"]
