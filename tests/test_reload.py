"""SIGHUP reloads the config file of the real daemon without losing or repeating work."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

from tests.helpers import BASE_CONFIG, DaemonProcess, db_rows, replay_source, with_storage


def _feed(path: Path, prefix: str, start: int, n: int) -> list[str]:
    """Append `n` complaint posts to a replay feed; their mention ids."""
    ids = []
    with path.open("a", encoding="utf-8") as f:
        for i in range(start, start + n):
            ids.append(f"x:{prefix}{i}")
            f.write(json.dumps({
                "platform": "x", "id": f"{prefix}{i}", "author": f"{prefix}cust{i % 13}",
                "text": f"@BrightwaveHelp my brightwave internet is down again, day {i}",
                "created_at": f"2026-11-01T{i // 60 % 24:02d}:{i % 60:02d}:00Z",
            }) + "\n")
    return ids


def _source(name: str, feed: Path, *, page_size: int) -> str:
    return replay_source(feed, page_size=page_size, interval="300ms").replace(
        'name = "replay"', f'name = "{name}"')


def _stored(db: str) -> list[str]:
    return [r[0] for r in db_rows(db, "SELECT id FROM mentions")]


def test_sighup_adds_removes_and_changes_sources_and_refuses_a_bad_config(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    feed_a, feed_b, feed_c = (tmp_path / f"{n}.jsonl" for n in "abc")
    ids_a = _feed(feed_a, "a", 0, 1500)
    ids_c = _feed(feed_c, "c", 0, 5)
    config = tmp_path / "brandbot.toml"
    db = db_url()
    base = with_storage(BASE_CONFIG, db)
    config.write_text(base + _source("a", feed_a, page_size=3)
                      + _source("c", feed_c, page_size=3))
    daemon = DaemonProcess(config, "--no-web")
    try:
        daemon.wait_until(lambda: len(_stored(db)) >= 30, what="the first pages")
        ids_b = _feed(feed_b, "b", 0, 40)
        # a changes (bigger pages), c goes, b arrives, and the brand voice signs off anew.
        config.write_text(base.replace("^Sam", "^Kim") + _source("a", feed_a, page_size=7)
                          + _source("b", feed_b, page_size=4))
        mark = len(daemon.events)
        daemon.signal(signal.SIGHUP)
        reloaded = daemon.wait_event("reloaded", after=mark)
        assert (reloaded["added"], reloaded["removed"], reloaded["restarted"]) == (
            ["b"], ["c"], ["a"])
        assert len(_stored(db)) < len(ids_a), "reload while a is mid-feed"
        everything = set(ids_a) | set(ids_b)
        daemon.wait_until(lambda: everything <= set(_stored(db)), what="a and b stored")

        # A broken config is refused, with the key named; the old one keeps running.
        config.write_text(base + _source("a", feed_a, page_size=7).replace(
            '"300ms"', '"banana"') + _source("b", feed_b, page_size=4))
        mark = len(daemon.events)
        daemon.signal(signal.SIGHUP)
        refused = daemon.wait_event("reload_failed", after=mark)
        assert any(p.startswith("sources[0].interval") and "banana" in p
                   for p in refused["problems"]), refused
        more_b = _feed(feed_b, "b", 40, 10)
        daemon.wait_until(lambda: set(more_b) <= set(_stored(db)), what="b still running")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]

    stored = _stored(db)
    assert len(stored) == len(set(stored))
    assert set(stored) == set(ids_a) | set(ids_b) | set(more_b) | (set(stored) & set(ids_c))
    cursors = dict(db_rows(db, "SELECT source, cursor FROM cursors"))
    assert int(cursors["a"]) == feed_a.stat().st_size
    assert int(cursors["b"]) == feed_b.stat().st_size
    per_mention = db_rows(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM drafts "
                              "GROUP BY mention_id) AS per_mention")[0][0]
    assert per_mention == 1
    signed = dict(db_rows(db, "SELECT m.id, d.text FROM drafts d JOIN mentions m "
                              "ON m.id = d.mention_id WHERE m.source = 'b'"))
    assert signed and all(text.endswith("^Kim") for text in signed.values())
