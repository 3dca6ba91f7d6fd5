"""Poison items: one bad item never stops a source. The good posts of its page are stored,
the bad ones are held in the quarantine with their error and payload, the cursor moves on,
and an operator lists, retries or drops them (`brandbot quarantine`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from monitor.models import Author, Mention, parse_iso, utcnow
from monitor.quarantine import mention_rejected
from monitor.store import Store
from tests.helpers import BASE_CONFIG, brandbot, replay_source, with_storage, write_config


def _line(i: int, **extra: object) -> str:
    post = {"platform": "x", "id": str(i), "author": f"u{i}",
            "text": f"@BrightwaveHelp my internet is down again ({i})",
            "created_at": f"2026-11-18T07:{i:02d}:00Z", **extra}
    return json.dumps(post)


def _poisoned_feed(path: Path) -> None:
    lines = [
        _line(1),
        # a lone surrogate: the cleaned text stores, the raw JSON does not encode
        _line(2).replace("again (2)", "again \\ud800 (2)"),
        "[" * 200_000,  # a line that nests 200,000 deep
        _line(4, created_at="9999-12-31T23:59:59Z"),  # the SLA overflows
        _line(5, author_followers=10**30),  # too big for an integer column
        _line(6),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_page_with_poison_items_stores_its_good_posts_and_moves_on(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    feed = tmp_path / "feed.jsonl"
    _poisoned_feed(feed)
    url = db_url()
    config = write_config(tmp_path, with_storage(BASE_CONFIG, url) + replay_source(feed))
    ran = brandbot("--config", str(config), "run", "--once", "--no-web")
    assert ran.returncode == 0, ran.stderr

    store = Store(url)
    try:
        stored = {r[0] for r in store.conn.execute("SELECT id FROM mentions")}
        assert stored == {"x:1", "x:6"}
        assert store.get_cursor("replay") == str(feed.stat().st_size)  # past every line
        held = store.quarantined()
        assert sorted(h["item_id"] or "" for h in held) == ["", "x:2", "x:4", "x:5"]
        assert store.held_count() == 4
        errors = " | ".join(h["error"] for h in held)
        assert "nested too deeply" in errors and "Overflow" in errors
    finally:
        store.close()

    listed = brandbot("--config", str(config), "quarantine", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 4 and all(r["status"] == "held" for r in rows)

    # a retry of an item that still fails keeps it held, one attempt more, and says why
    date_item = next(r["id"] for r in rows if r["item_id"] == "x:4")
    again = brandbot("--config", str(config), "quarantine", "retry", str(date_item))
    assert again.returncode == 1 and "failed again" in again.stdout
    # the line that never became a post cannot be retried, only dropped
    line_item = next(r["id"] for r in rows if r["item_id"] is None)
    assert brandbot("--config", str(config), "quarantine", "retry",
                    str(line_item)).returncode == 1
    dropped = brandbot("--config", str(config), "quarantine", "drop", str(line_item))
    assert dropped.returncode == 0, dropped.stderr
    after = {r["id"]: r for r in json.loads(brandbot(
        "--config", str(config), "quarantine", "list", "--all", "--json").stdout)}
    assert after[date_item]["attempts"] == 2 and after[date_item]["status"] == "held"
    assert after[line_item]["status"] == "dropped" and after[line_item]["settled_by"] == "cli"

    # the next run reads on from the cursor: nothing is fetched, stored or held twice
    assert brandbot("--config", str(config), "run", "--once", "--no-web").returncode == 0
    store = Store(url)
    try:
        assert store.count("mentions") == 2 and len(store.quarantined(status=None)) == 4
    finally:
        store.close()


def test_a_held_post_is_stored_by_a_retry_once_what_failed_is_fixed(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    url = db_url()
    config = write_config(tmp_path, with_storage(BASE_CONFIG, url))
    assert brandbot("--config", str(config), "db", "migrate").returncode == 0
    post = Mention(platform="x", native_id="77",
                   author=Author(platform="x", native_id="dana", handle="dana"),
                   text="@BrightwaveHelp you charged me twice this month, refund please",
                   created_at=parse_iso("2026-11-18T07:00:00Z"), raw={"id": "77"})
    store = Store(url)
    try:
        # held when the store was refusing it (say, before a bug was fixed)
        store.ingest("replay", None, [], lambda new, ctx: None,  # type: ignore[arg-type,return-value]
                     now=utcnow(), advance_cursor=False,
                     rejected=[mention_rejected(post, RuntimeError("a bug, since fixed"))])
        (held,) = store.quarantined()
    finally:
        store.close()
    retried = brandbot("--config", str(config), "quarantine", "retry", str(held["id"]))
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "stored (x:77)" in retried.stdout
    store = Store(url)
    try:
        assert store.held_count() == 0
        (case,) = store.list_cases()
        assert case["author"] == "dana" and case["intent"] == "billing"
        (draft,) = store.list_drafts(status="pending")
        assert draft["mention_id"] == "x:77"
    finally:
        store.close()
