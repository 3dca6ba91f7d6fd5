"""`brandbot store copy`: moving an installation from SQLite to PostgreSQL loses nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.models import Role
from monitor.store import COPY_TABLES, QueueFilter, Store
from tests.conftest import STORES, new_store_url
from tests.factories import T0, analysed, mention, simple_planner
from tests.helpers import brandbot

pytestmark = pytest.mark.skipif("postgresql" not in STORES,
                                reason="BRANDBOT_TEST_STORES leaves PostgreSQL out")


def _table(store: Store, table: str) -> list[tuple[object, ...]]:
    columns = store.columns(table)
    key = COPY_TABLES[table] or ", ".join(columns)
    return [tuple(r) for r in store.conn.execute(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}").fetchall()]


def _seed(url: str) -> None:
    store = Store(url)
    posts = [analysed(mention(str(i), f"brightwave is down again <b>#{i}</b> \x00 \u202e",
                              author=f"c{i % 7}", minutes=i), intent="billing")
             for i in range(60)]
    store.ingest("x", "cursor-60", posts, simple_planner, now=T0)
    store.add_user("ann", Role.ADMIN, "hash", actor="cli", now=T0)
    store.decide_draft(1, approve=True, actor="ann", now=T0, text="Sorry! DM us ^Sam")
    store.decide_draft(2, approve=False, actor="ann", now=T0, reason="spam")
    store.queue_notification(1, "escalated", "Case #1 escalated", now=T0)
    store.conn.execute("UPDATE cases SET merged_into = 5 WHERE id = 2")  # into a later case
    store.close()


def test_copy_from_sqlite_to_postgresql_keeps_every_row(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    source = f"sqlite:///{tmp_path / 'old.db'}"
    target = new_store_url("postgresql", tmp_path, "new", request)
    _seed(source)

    copied = brandbot("store", "copy", "--from", source, "--to", target, "--batch", "7")
    assert copied.returncode == 0, copied.stderr
    assert "copying" in copied.stderr and "rows" in copied.stderr  # the progress bar
    assert "mentions 60" in copied.stdout

    old, new = Store(source, migrate=False), Store(target, migrate=False)
    try:
        for table in COPY_TABLES:
            assert _table(new, table) == _table(old, table), table
        assert new.queue(QueueFilter(search="down")).total == old.queue(
            QueueFilter(search="down")).total > 0
        # The copy carries on as a live store: new ids follow the copied ones.
        new.ingest("x", "cursor-61", [analysed(mention("61", "brightwave down", author="z"))],
                   simple_planner, now=T0 + timedelta(hours=1))
        assert new.count("drafts") == old.count("drafts") + 1
        assert max(d["id"] for d in new.list_drafts(limit=1000)) == old.count("drafts") + 1
        assert new.get_cursor("x") == "cursor-61"
    finally:
        old.close()
        new.close()

    again = brandbot("store", "copy", "--from", source, "--to", target)
    assert again.returncode == 2 and "already holds mentions" in again.stderr
    resumed = brandbot("store", "copy", "--from", source, "--to", target, "--resume")
    assert resumed.returncode == 0, resumed.stderr


def test_copy_refuses_a_missing_source_and_an_unknown_scheme(tmp_path: Path) -> None:
    missing = brandbot("store", "copy", "--from", f"sqlite:///{tmp_path / 'nope.db'}",
                       "--to", f"sqlite:///{tmp_path / 'new.db'}")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    odd = brandbot("store", "copy", "--from", "mysql://x", "--to", "sqlite:///y.db")
    assert odd.returncode == 2 and "unsupported storage URL" in odd.stderr
    assert not (tmp_path / "new.db").exists()
