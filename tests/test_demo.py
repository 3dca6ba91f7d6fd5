"""`make demo` as a new user meets it: posts of the last minutes, more arriving, a way in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from monitor.models import parse_iso, utcnow
from responders.auth import verify_password
from tests.helpers import DEMO_CONFIG, DEMO_MENTIONS, DaemonProcess, brandbot, db_rows


def _demo_copy(folder: Path) -> Path:
    """The demo config, its replay file named by absolute path, its store in `folder`."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace('path = "samples/demo-mentions.jsonl"', f'path = "{DEMO_MENTIONS}"')
    text = text.replace('url = "sqlite:///../.demo/brandbot.db"', 'url = "sqlite:///demo.db"')
    assert str(DEMO_MENTIONS) in text and "sqlite:///demo.db" in text
    config = folder / "demo.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_after_the_demo_starts_the_newest_post_is_under_an_hour_old(tmp_path: Path) -> None:
    config = _demo_copy(tmp_path)
    db = tmp_path / "demo.db"
    daemon = DaemonProcess(config, "--no-web")

    def newest_age() -> timedelta | None:
        rows = db_rows(db, "SELECT max(created_at) FROM mentions")
        return utcnow() - parse_iso(rows[0][0]) if rows and rows[0][0] else None

    try:
        # the history is stored in a few pages at start; its newest post is minutes old (it
        # was 23 Nov 2026, days before the demo ran)
        age = daemon.wait_until(lambda: (a := newest_age()) is not None and a < timedelta(
            hours=1) and a, limit=60, what="a post under an hour old")
        assert timedelta(0) < age
        # and the last posts are still to come: they arrive over the first minutes
        (count,), = db_rows(db, "SELECT count(*) FROM mentions")
        assert 300 <= count < len(DEMO_MENTIONS.read_text(encoding="utf-8").splitlines()) - 20
    finally:
        assert daemon.stop() == 0


def test_the_first_run_prints_a_sign_in_once_and_keeps_only_a_hash(tmp_path: Path) -> None:
    config = _demo_copy(tmp_path)
    first = brandbot("--config", str(config), "users", "first-admin", "demo")
    assert first.returncode == 0, first.stderr
    found = re.search(r"sign in at http://127\.0\.0\.1:8080 as demo with password (\S+)",
                      first.stdout)
    assert found, first.stdout
    password = found[1]
    assert len(password) >= 16 and password not in first.stderr
    ((role, stored),) = db_rows(tmp_path / "demo.db",
                                "SELECT role, password_hash FROM users WHERE name = 'demo'")
    assert role == "admin" and password not in stored and verify_password(password, stored)
    assert not any(password in p.read_text(errors="replace")
                   for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".db")
    (db_bytes,) = [(tmp_path / "demo.db").read_bytes()]
    assert password.encode() not in db_bytes

    again = brandbot("--config", str(config), "users", "first-admin", "demo")
    assert again.returncode == 0
    assert "password" not in again.stdout and "users list" in again.stdout
    assert db_rows(tmp_path / "demo.db", "SELECT count(*) FROM users") == [(1,)]


def test_the_first_admin_is_made_only_while_there_is_no_user(
        db_url: Callable[..., str]) -> None:
    from monitor.models import Role
    from monitor.store import Store

    store = Store(db_url())
    try:
        now = utcnow()
        assert store.add_first_user("demo", Role.ADMIN, "hash-1", actor="cli", now=now)
        assert not store.add_first_user("other", Role.ADMIN, "hash-2", actor="cli", now=now)
        assert [(u["name"], u["role"]) for u in store.list_users()] == [("demo", "admin")]
    finally:
        store.close()
