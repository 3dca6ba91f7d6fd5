"""The real daemon process against local fakes of every platform, at once.

The fakes run in the test's event loop; the daemon is a subprocess pointed at them by
`base_url`, exactly as an operator would point it at a proxy.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from monitor.store import Store, sqlite_path
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.common import FakeServer
from tests.fakes.hackernews import FakeHackerNews
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.reddit import FakeReddit
from tests.fakes.x import FakeX
from tests.helpers import ROOT, db_rows

BRAND = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[brand.handles]
x = ["BrightwaveHelp"]

[publisher]
reconcile_after = "0s"
interval = "200ms"
undo_window = "0s"
"""


@dataclass
class Platform:
    """One fake platform, how to configure a source for it, and posts to serve."""

    name: str
    fake: FakeServer
    source: Callable[[str], str]
    env: dict[str, str]
    complaint_ids: list[str]


def _x() -> Platform:
    fake = FakeX()
    now = datetime.now(UTC)
    ids = [fake.add_post(None, f"cust{i}", f"@BrightwaveHelp brightwave internet down again {i}, "
                         "nobody answers, useless", now - timedelta(minutes=30 - i))["id"]
           for i in range(3)]
    fake.add_post(None, "fan", "brightwave fibre is brilliant, thanks!", now - timedelta(minutes=5))
    return Platform(
        "x", fake,
        lambda url: f'platform = "x"\nbase_url = "{url}"\nuser_token_env = "X_USER_TOKEN"\n',
        {"X_BEARER_TOKEN": fake.bearer_token, "X_USER_TOKEN": fake.user_token}, ids,
    )


def _bluesky() -> Platform:
    fake = FakeBluesky()
    now = datetime.now(UTC)
    ids = [fake.add_post(None, f"cust{i}.bsky.social", f"brightwave charged me twice again {i}, "
                         "still no refund, awful", now - timedelta(minutes=20 - i))["uri"]
           for i in range(2)]
    return Platform(
        "bluesky", fake, lambda url: f'platform = "bluesky"\nbase_url = "{url}"\n',
        {"BLUESKY_IDENTIFIER": fake.handle, "BLUESKY_APP_PASSWORD": fake.password}, ids,
    )


def _reddit() -> Platform:
    fake = FakeReddit(rate_limit=1_000_000)  # praw paces itself hard against low limits
    now = datetime.now(UTC)
    ids = [fake.add_post(None, f"redditor{i}", f"Brightwave billing nightmare {i}",
                         now - timedelta(minutes=40 - i), subreddit="brightwave",
                         selftext="Charged twice, no refund, support hung up on me.")["name"]
           for i in range(2)]
    return Platform(
        "reddit", fake,
        lambda url: (f'platform = "reddit"\nbase_url = "{url}"\nsubreddits = ["brightwave"]\n'
                     'username_env = "REDDIT_USERNAME"\npassword_env = "REDDIT_PASSWORD"\n'),
        {"REDDIT_CLIENT_ID": fake.client_id, "REDDIT_CLIENT_SECRET": fake.client_secret,
         "REDDIT_USERNAME": fake.username, "REDDIT_PASSWORD": fake.password}, ids,
    )


def _mastodon() -> Platform:
    fake = FakeMastodon()
    now = datetime.now(UTC)
    ids = [fake.add_post(None, f"toot{i}", f"#brightwave my order never arrived {i}, "
                         "courier lost it and nobody replies", now - timedelta(minutes=25 - i)
                         )["id"] for i in range(2)]
    return Platform(
        "mastodon", fake,
        lambda url: (f'platform = "mastodon"\nbase_url = "{url}"\nhashtags = ["brightwave"]\n'
                     'access_token_env = "MASTODON_TOKEN"\n'),
        {"MASTODON_TOKEN": fake.access_token}, ids,
    )


def _hackernews() -> Platform:
    fake = FakeHackerNews()
    now = datetime.now(UTC)
    ids = [str(fake.add_post(None, f"hn{i}", f"Brightwave's CGNAT broke my VPN again {i}",
                             now - timedelta(minutes=15 - i), title=f"Brightwave outage {i}"
                             )["objectID"]) for i in range(2)]
    return Platform("hackernews", fake,
                    lambda url: f'platform = "hackernews"\nbase_url = "{url}"\n', {}, ids)


SETUPS = [_x, _bluesky, _reddit, _mastodon, _hackernews]
REPLYING = {"x", "bluesky", "reddit", "mastodon"}


@pytest.fixture
async def platforms() -> AsyncIterator[list[Platform]]:
    made = [setup() for setup in SETUPS]
    for p in made:
        await p.fake.start()
    yield made
    for p in made:
        await p.fake.stop()


def _config(tmp_path: Path, platforms: list[Platform], url: str) -> Path:
    body = BRAND + f'\n[storage]\nurl = "{url}"\n'
    for p in platforms:
        # 10s: on a loaded machine (the suite runs in parallel) the fakes may take a while
        body += f'\n[[sources]]\ninterval = "1s"\ntimeout = "10s"\n{p.source(p.fake.base_url)}'
    path = tmp_path / "brandbot.toml"
    path.write_text(body)
    return path


async def _brandbot(config: Path, env: dict[str, str], *args: str,
                    stdin: str | None = None) -> tuple[int, str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), *args, cwd=ROOT,
        env=full_env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), 120)
    return proc.returncode or 0, out.decode()


def _everything_stored(url: str) -> bytes:
    """Every byte the store holds: SQLite's files (WAL included), or every row of every
    table of the PostgreSQL schema."""
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        return b"".join(f.read_bytes() for f in path.parent.glob(path.name + "*"))
    store = Store(url, migrate=False)
    try:
        tables = [r[0] for r in store.conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")]
        return "".join(repr(store.conn.execute(f"SELECT * FROM {t}").fetchall())
                       for t in tables).encode()
    finally:
        store.close()


def _env(platforms: list[Platform]) -> dict[str, str]:
    return {k: v for p in platforms for k, v in p.env.items()}


async def test_every_platform_ingested_once_and_approved_replies_posted_once(
        tmp_path: Path, platforms: list[Platform], db_url: Callable[..., str]) -> None:
    config, env = _config(tmp_path, platforms, db_url()), _env(platforms)
    db = db_url()
    for _ in range(2):
        code, out = await _brandbot(config, env, "run", "--once", "--no-web")
        assert code == 0, out
    stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
    for p in platforms:
        served = {f"{p.name}:{i}" for i in p.complaint_ids}
        assert served <= stored, (p.name, out)
    assert len(stored) == len(db_rows(db, "SELECT id FROM mentions"))

    code, out = await _brandbot(config, env, "users", "add", "ann", "--role", "approver",
                                stdin="a long enough password\n")
    assert code == 0, out
    drafts = json.loads((await _brandbot(config, env, "queue", "list", "--json"))[1])
    approved = {}
    for p in (p for p in platforms if p.name in REPLYING):
        mine = [d for d in drafts if d["platform"] == p.name and not d["flags"]]
        assert mine, p.name
        code, out = await _brandbot(config, env, "queue", "approve", str(mine[0]["id"]),
                                    "--as", "ann")
        assert code == 0, out
        approved[p.name] = mine[0]

    for _ in range(2):
        code, out = await _brandbot(config, env, "run", "--once", "--no-web")
        assert code == 0, out
    for p in (p for p in platforms if p.name in REPLYING):
        replies = p.fake.replies
        assert len(replies) == 1, (p.name, replies)
        draft = approved[p.name]
        target = draft["mention_id"].split(":", 1)[1]
        assert target in json.dumps(replies[0], default=str), (p.name, replies[0])
    posted = db_rows(db, "SELECT platform, status, posted_id FROM drafts WHERE status != 'pending'")
    assert sorted(r[0] for r in posted) == sorted(REPLYING)
    assert all(r[1] == "posted" and r[2] for r in posted)


async def test_one_platform_down_and_one_rate_limited_do_not_stop_the_others(
        tmp_path: Path, platforms: list[Platform], db_url: Callable[..., str]) -> None:
    down, limited, *healthy = platforms
    down.fake.fail_next(status=503, times=None)
    limited.fake.rate_limit_next(times=None, reset_in=120)
    config, env = _config(tmp_path, platforms, db_url()), _env(platforms)
    code, out = await _brandbot(config, env, "run", "--once", "--no-web")
    assert code == 1  # --once reports that not every source completed
    events = out
    assert "rate limited" in events.lower()
    stored = {r[0] for r in db_rows(db_url(), "SELECT id FROM mentions")}
    for p in healthy:
        assert {f"{p.name}:{i}" for i in p.complaint_ids} <= stored
    assert not any(s.startswith((down.name + ":", limited.name + ":")) for s in stored)

    down.fake.clear_faults()
    limited.fake.clear_faults()
    code, out = await _brandbot(config, env, "run", "--once", "--no-web")
    assert code == 0, out
    stored = {r[0] for r in db_rows(db_url(), "SELECT id FROM mentions")}
    for p in platforms:
        assert {f"{p.name}:{i}" for i in p.complaint_ids} <= stored


async def test_daemon_keeps_polling_and_recovers_when_a_platform_comes_back(
        tmp_path: Path, platforms: list[Platform], db_url: Callable[..., str]) -> None:
    first = platforms[0]
    first.fake.fail_next(status=502, times=2)
    config, env = _config(tmp_path, platforms, db_url()), _env(platforms)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-format", "json",
        "run", "--no-web", cwd=ROOT, env=full_env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    db = db_url()
    want = {f"{p.name}:{i}" for p in platforms for i in p.complaint_ids}
    try:
        for _ in range(300):
            await asyncio.sleep(0.1)
            if want <= {r[0] for r in db_rows(db, "SELECT id FROM mentions")}:
                break
        else:
            raise AssertionError("the daemon did not recover in time")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    kinds = [(e.get("source"), e.get("event")) for e in events]
    assert (first.name, "backing_off") in kinds
    assert (first.name, "recovered") in kinds
    assert proc.returncode == 0


@pytest.mark.parametrize("landed", [False, True], ids=["request-lost", "answer-lost"])
async def test_publisher_killed_while_posting_never_double_posts(
        tmp_path: Path, platforms: list[Platform], landed: bool,
        db_url: Callable[..., str]) -> None:
    x = next(p for p in platforms if p.name == "x")
    config, env = _config(tmp_path, [x], db_url()), _env([x])
    db = db_url()
    code, out = await _brandbot(config, env, "run", "--once", "--no-web")
    assert code == 0, out
    await _brandbot(config, env, "users", "add", "ann", "--role", "approver",
                    stdin="a long enough password\n")
    draft = json.loads((await _brandbot(config, env, "queue", "list", "--json"))[1])[0]
    code, out = await _brandbot(config, env, "queue", "approve", str(draft["id"]), "--as", "ann")
    assert code == 0, out

    if landed:  # the platform posts the reply, then the connection drops before the answer
        x.fake.reset_next(after=True, path="/2/tweets", method="POST")
    else:  # the platform is still thinking when the process dies
        x.fake.hang_next(seconds=30, path="/2/tweets", method="POST")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), "run", "--no-web",
        cwd=ROOT, env=full_env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        for _ in range(3000):  # up to a minute: the daemon starts, polls, then posts
            await asyncio.sleep(0.02)
            status = db_rows(db, f"SELECT status FROM drafts WHERE id = {draft['id']}")
            if status == [("posting",)] and (len(x.fake.replies) == 1) == landed:
                break
        else:
            raise AssertionError("the draft never reached posting")
    finally:
        proc.kill()
        await proc.wait()
    x.fake.clear_faults()

    for _ in range(2):
        code, out = await _brandbot(config, env, "run", "--once", "--no-web")
        assert code == 0, out
    assert len(x.fake.replies) == 1
    assert x.fake.replies[0]["in_reply_to_tweet_id"] == draft["mention_id"].split(":")[1]
    assert db_rows(db, f"SELECT status, posted_id FROM drafts WHERE id = {draft['id']}") == [
        ("posted", x.fake.replies[0]["id"])]
    if db.startswith("sqlite:///"):
        assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


async def test_a_streaming_source_delivers_new_posts_and_survives_a_dropped_stream(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    fake = FakeMastodon(heartbeat=0.5)
    await fake.start()
    mastodon = Platform(
        "mastodon", fake,
        lambda url: (f'platform = "mastodon"\nbase_url = "{url}"\nhashtags = ["brightwave"]\n'
                     'access_token_env = "MASTODON_TOKEN"\nstream = true\n'),
        {"MASTODON_TOKEN": fake.access_token}, [])
    config = _config(tmp_path, [mastodon], db_url())
    db = db_url()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(mastodon.env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), "run", "--no-web",
        cwd=ROOT, env=full_env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)

    async def stored(status_id: str) -> None:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if db_rows(db, f"SELECT 1 FROM mentions WHERE id = 'mastodon:{status_id}'"):
                return
        raise AssertionError(f"status {status_id} never arrived")

    try:
        for _ in range(200):  # wait until the daemon holds a stream open
            await asyncio.sleep(0.05)
            if fake.streams:
                break
        first = fake.add_post(None, "ann", "#brightwave router dead again, no internet")["id"]
        await stored(first)
        fake.drop_streams()
        second = fake.add_post(None, "bob", "#brightwave still charged twice, want a refund")["id"]
        await stored(second)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)
        await fake.stop()
    assert proc.returncode == 0
    assert len(db_rows(db, "SELECT id FROM mentions")) == 2


async def test_secrets_never_reach_logs_pages_or_the_database(
        tmp_path: Path, platforms: list[Platform], db_url: Callable[..., str]) -> None:
    config, env = _config(tmp_path, platforms, db_url()), _env(platforms)
    secrets = {v for k, v in env.items() if re.search("TOKEN|SECRET|PASSWORD", k)}
    assert len(secrets) == 6  # X bearer and user tokens, Reddit secret and password, ...
    logs = []
    for _ in range(2):
        code, out = await _brandbot(config, env, "--log-level", "debug", "--log-format",
                                    "json", "run", "--once", "--no-web")
        assert code == 0, out
        logs.append(out)
        await _brandbot(config, env, "users", "add", "ann", "--role", "admin",
                        stdin="a long enough password\n")
        for draft in json.loads((await _brandbot(config, env, "queue", "list", "--json"))[1]):
            if draft["status"] == "pending" and not draft["flags"]:
                await _brandbot(config, env, "queue", "approve", str(draft["id"]), "--as", "ann")
    assert any(p.fake.replies for p in platforms)  # replies went out with those credentials

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-level", "debug",
        "serve", "--port", "0", cwd=ROOT, env=full_env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    pages = []
    try:
        url = None
        assert proc.stdout is not None
        while url is None:
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            logs.append(line)
            found = re.search(r"web app on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
            await web.post(f"{url}/login", data={"username": "ann",
                                                 "password": "a long enough password"},
                           headers={"Origin": url})
            for path in ("/healthz", "/", "/drafts/1", "/cases", "/audit", "/digest?since=30d",
                         "/api/drafts?status=posted"):
                async with web.get(url + path) as response:
                    assert response.status == 200, path
                    pages.append(await response.text())
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(proc.communicate(), 10)
        logs.append(rest.decode())
    assert any('"event": "page"' in text for text in logs) and len(pages) == 7
    stored = await asyncio.to_thread(_everything_stored, db_url())
    for secret in secrets:
        assert all(secret not in text for text in logs), f"{secret!r} in the logs"
        assert all(secret not in text for text in pages), f"{secret!r} in a page"
        assert secret.encode() not in stored, f"{secret!r} in the database"


async def test_x_replies_only_where_the_post_mentions_us_and_the_rest_is_answered_by_hand(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    """X (Feb 2026): below Enterprise, an app may reply only to a post that mentions or quotes
    its account, and the fake X refuses anything else as X does. The post that only uses our
    keyword gets a draft marked `reply_by_hand`, which approving records as answered and which
    is never sent; the mention and the quote of our post are answered through the API."""
    fake = FakeX(me_username="BrightwaveHelp", reply_rule="mentions_only")
    now = datetime.now(UTC)
    ours = fake.add_post(None, "BrightwaveHelp", "Brightwave update: we're fixing a fault in "
                         "Leeds, back by noon", now - timedelta(minutes=40))["id"]
    mentioned = fake.add_post(None, "cust_a", "@BrightwaveHelp my brightwave internet is down "
                              "again, third time this week, nobody answers", now - timedelta(
                                  minutes=20))["id"]
    quoted = fake.add_post(None, "cust_c", "brightwave said noon. it's 3pm and my internet is "
                           "still dead. useless", now - timedelta(minutes=15), quote_of=ours)["id"]
    keyword = fake.add_post(None, "cust_b", "brightwave internet has been down all day and the "
                            "helpline hung up on me. awful", now - timedelta(minutes=10))["id"]
    await fake.start()
    try:
        db = db_url()
        config = _config(tmp_path, [Platform("x", fake, _x().source, {}, [])], db)
        env = {"X_BEARER_TOKEN": fake.bearer_token, "X_USER_TOKEN": fake.user_token}
        code, out = await _brandbot(config, env, "run", "--once", "--no-web")
        assert code == 0, out
        drafts = {d["mention_id"]: d for d in json.loads(
            (await _brandbot(config, env, "queue", "list", "--json"))[1])}
        assert {k: d["reply_by_hand"] for k, d in drafts.items()} == {
            f"x:{mentioned}": False, f"x:{quoted}": False, f"x:{keyword}": True}
        code, out = await _brandbot(config, env, "users", "add", "ann", "--role", "approver",
                                    stdin="a long enough password\n")
        assert code == 0, out
        for mention_id in (f"x:{mentioned}", f"x:{quoted}", f"x:{keyword}"):
            code, out = await _brandbot(config, env, "queue", "approve",
                                        str(drafts[mention_id]["id"]), "--as", "ann")
            assert code == 0, out
        assert "answered by hand" in out
        for _ in range(2):
            code, out = await _brandbot(config, env, "run", "--once", "--no-web")
            assert code == 0, out
        assert sorted(r["in_reply_to_tweet_id"] for r in fake.replies) == sorted(
            [mentioned, quoted]), fake.replies
        assert not fake.requests_to("/2/tweets", "POST")[2:], "a third reply was attempted"
        rows = dict(db_rows(db, "SELECT mention_id, status FROM drafts"))
        assert rows == {f"x:{mentioned}": "posted", f"x:{quoted}": "posted",
                        f"x:{keyword}": "posted"}
        # the by-hand answer counts as the case's first response, with nothing posted by us
        answered = db_rows(db, "SELECT d.posted_id, c.first_response_at FROM drafts d "
                               "JOIN cases c ON c.id = d.case_id WHERE d.mention_id = ?",
                           (f"x:{keyword}",))
        assert answered[0][0] is None and answered[0][1] is not None
    finally:
        await fake.stop()
