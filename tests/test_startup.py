"""Starting up, as an operator sees it: a newer schema refused, one clear line for a store that
cannot be opened, nothing but JSON lines in JSON mode, quiet idle polls, `run --host/--port`."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from monitor.store import MIGRATIONS, Store
from tests.helpers import (
    BASE_CONFIG,
    DaemonProcess,
    brandbot,
    db_rows,
    free_port,
    replay_source,
    sql,
    with_storage,
    write_config,
)

POST = {"platform": "x", "id": "1", "author": "dana", "created_at": "2026-11-17T08:00:00Z",
        "text": "@BrightwaveHelp my brightwave internet is down again"}


def _config(folder: Path, url: str, *, posts: Sequence[dict[str, Any]] = (),
            web: str = "") -> Path:
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    return write_config(folder, with_storage(BASE_CONFIG, url) + replay_source(feed) + web)


def _json_lines(*outputs: str) -> list[dict[str, Any]]:
    """Every line written, each parsed as JSON (failing on the first that is not)."""
    lines = [line for out in outputs for line in out.splitlines()]
    assert lines, "nothing was written"
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return events


def test_a_schema_newer_than_the_build_is_refused(db_url: Callable[..., str],
                                                   tmp_path: Path) -> None:
    url = db_url()
    Store(url).close()
    newer = len(MIGRATIONS) + 1
    sql(url, "INSERT INTO migrations (version, name, applied_at, build) VALUES (?, ?, ?, ?)",
        (newer, "from a newer build", "2027-01-01T00:00:00Z", "99.1"))
    config = _config(tmp_path, url, posts=[POST])

    for command in (("db", "migrate"), ("run", "--once", "--no-web")):
        refused = brandbot("--config", str(config), *command)
        assert refused.returncode == 2, refused.stderr
        (line,) = refused.stderr.splitlines()
        assert f"schema version {newer}" in line and f"up to {len(MIGRATIONS)}" in line
        assert "applied by brandbot 99.1" in line
        assert "nothing to do" not in refused.stdout and "Traceback" not in refused.stdout
    assert db_rows(url, "SELECT count(*) FROM mentions") == [(0,)]  # nothing read or written
    assert db_rows(url, "SELECT max(version), count(*) FROM migrations") == [(newer, newer)]

    as_json = brandbot("--config", str(config), "--log-format", "json", "run", "--once")
    assert as_json.returncode == 2
    (event,) = _json_lines(as_json.stdout, as_json.stderr)
    assert event["event"] == "schema_too_new" and f"schema version {newer}" in event["msg"]


def test_each_migration_records_the_build_that_applied_it(db_url: Callable[..., str]) -> None:
    from importlib import metadata

    ours = metadata.version("brandbot")
    fresh = db_url("fresh")
    Store(fresh).close()
    assert db_rows(fresh, "SELECT DISTINCT build FROM migrations") == [(ours,)]

    older = Store(db_url("older"), migrate=False)  # migrated by a build before builds were kept
    try:
        older.migrate(up_to=2)
        assert older.migrate() == list(range(3, len(MIGRATIONS) + 1))
        builds = older.conn.execute("SELECT version, build FROM migrations ORDER BY version")
        assert [tuple(r) for r in builds] == [
            (1, None), (2, None), *((v, ours) for v in range(3, len(MIGRATIONS) + 1))]
    finally:
        older.close()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_store_that_cannot_be_opened_is_one_line_naming_it(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "data").write_text("a file where the database's folder should be")
    path = tmp_path / "data" / "brandbot.db"
    config = _config(tmp_path, f"sqlite:///{path}", posts=[POST])
    failed = brandbot("--config", str(config), "--log-format", fmt, "run", "--once", "--no-web")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stdout + failed.stderr
    if fmt == "json":  # every line of both streams is JSON
        events = _json_lines(failed.stdout, failed.stderr)
        (error,) = [e for e in events if e["level"] == "error"]
        assert error["event"] == "store_cannot_open" and str(path) in error["msg"]
    else:
        (line,) = failed.stderr.splitlines()
        assert line.startswith("error: cannot open the SQLite database") and str(path) in line
        assert f"{tmp_path / 'data'} is not a folder" in line

    port = free_port()  # nothing listens there
    server = f"postgresql://care:hunter2@127.0.0.1:{port}/brandbot"
    away = brandbot("--config", str(config), "--log-format", fmt, "db", "migrate",
                    env={"BRANDBOT_STORAGE_URL": server})
    assert away.returncode == 1 and "hunter2" not in away.stdout + away.stderr
    (line,) = away.stderr.splitlines()
    assert f"postgresql://care:***@127.0.0.1:{port}/brandbot" in line and "refused" in line


def test_an_idle_poll_logs_at_debug_and_a_page_names_its_cursor(tmp_path: Path) -> None:
    config = _config(tmp_path, "sqlite:///brandbot.db", posts=[POST])
    first = brandbot("--config", str(config), "--log-format", "json", "run", "--once",
                     "--no-web")
    assert first.returncode == 0, first.stderr
    (page,) = [e for e in _json_lines(first.stdout, first.stderr) if e.get("event") == "page"]
    (cursor,) = db_rows(tmp_path / "brandbot.db",
                        "SELECT cursor FROM cursors WHERE source = 'replay'")[0]
    assert page["level"] == "info" and page["received"] == 1 and page["cursor"] == cursor

    idle = brandbot("--config", str(config), "--log-format", "json", "run", "--once",
                    "--no-web")
    assert idle.returncode == 0, idle.stderr
    events = _json_lines(idle.stdout, idle.stderr)
    assert {"started", "stopped"} <= {e.get("event") for e in events}
    assert not [e for e in events if e.get("event") == "page"]

    debug = brandbot("--config", str(config), "--log-format", "json", "--log-level", "debug",
                     "run", "--once", "--no-web")
    (quiet,) = [e for e in _json_lines(debug.stdout, debug.stderr) if e.get("event") == "page"]
    assert quiet["level"] == "debug" and quiet["received"] == 0 and quiet["cursor"] == cursor


def test_a_daemon_killed_with_sigkill_leaves_only_json_lines_behind(tmp_path: Path) -> None:
    """The resource tracker outlives the daemon and would warn about its semaphores."""
    config = _config(tmp_path, "sqlite:///brandbot.db", posts=[POST])
    daemon = DaemonProcess(config, "--no-web")
    daemon.wait_event("page")  # the analysis worker has analysed a page
    daemon.kill()  # and the output is read to its end: the tracker has exited too
    assert daemon.lines
    for line in daemon.lines:
        assert line.startswith("{") and json.loads(line), line


def _get(port: int, path: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return int(response.status)


def test_two_replicas_on_one_machine_share_a_config_with_run_port(
        db_url: Callable[..., str], tmp_path: Path) -> None:
    with socket.socket() as taken:  # the config's [web] port is busy: --port must win
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        config = _config(tmp_path, db_url(), posts=[POST],
                         web=f'\n[web]\nhost = "127.0.0.1"\nport = {busy}\n')
        ports = [free_port()]
        while len(ports) < 2:
            ports = list({*ports, free_port()})
        replicas = [DaemonProcess(config, "--port", str(port)) for port in ports]
        try:
            for replica, port in zip(replicas, ports, strict=True):
                started = replica.wait_event("web_started")
                assert started["address"] == ["127.0.0.1", port]
                assert _get(port, "/login") == 200
        finally:
            codes = [replica.stop() for replica in replicas]
        assert codes == [0, 0]

        clash = brandbot("--config", str(config), "run", "--host", "127.0.0.1")
        assert clash.returncode == 2
        (line,) = clash.stderr.splitlines()
        assert line.startswith(f"error: web: cannot listen on 127.0.0.1:{busy}")
