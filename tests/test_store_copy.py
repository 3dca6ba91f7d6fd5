"""`brandbot store copy`: moving an installation from SQLite to PostgreSQL loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.models import Role
from monitor.store import COPY_TABLES, QueueFilter, Store
from tests.conftest import STORES, new_store_url
from tests.factories import T0, analysed, mention, simple_planner
from tests.helpers import ROOT, brandbot

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
    store.add_case_note(1, author="ann", text="called them <b>\x00</b>", now=T0)
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


def test_ctrl_c_stops_a_copy_in_one_json_line_and_resume_finishes_it(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import psycopg

    source = f"sqlite:///{tmp_path / 'old.db'}"
    target = new_store_url("postgresql", tmp_path, "new", request)
    _seed(source)
    Store(target).close()
    old = Store(source, migrate=False)
    before_drafts = sum(old.count(t) for t in ("users", "authors", "cases", "mentions"))
    old.close()
    with psycopg.connect(target) as lock, psycopg.connect(target, autocommit=True) as look:
        lock.execute("LOCK TABLE drafts IN ACCESS EXCLUSIVE MODE")  # the copy waits there
        copy = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--log-format", "json", "store", "copy",
             "--from", source, "--to", target, "--batch", "7"], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
        try:
            deadline = time.monotonic() + 60
            while not look.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO drafts%'"
                    ).fetchone()[0]:  # type: ignore[index]
                assert copy.poll() is None and time.monotonic() < deadline, copy.communicate()
                time.sleep(0.05)
            copy.send_signal(signal.SIGINT)  # Ctrl-C
            out, err = copy.communicate(timeout=60)
        finally:
            copy.kill()
        lock.rollback()
    assert copy.returncode == 1
    lines = (out + err).splitlines()
    events = [json.loads(line) for line in lines]  # every line JSON: no traceback, no bar
    (stopped,) = events
    assert stopped["event"] == "copy_interrupted" and "--resume" in stopped["msg"]
    assert stopped["rows"] == before_drafts
    new = Store(target, migrate=False)
    try:
        assert new.count("drafts") == 0 and new.count("mentions") == 60
    finally:
        new.close()

    resumed = brandbot("store", "copy", "--from", source, "--to", target, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    old, new = Store(source, migrate=False), Store(target, migrate=False)
    try:
        for table in COPY_TABLES:
            assert _table(new, table) == _table(old, table), table
    finally:
        old.close()
        new.close()
