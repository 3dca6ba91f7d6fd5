"""SIGKILL the real daemon at random (seeded) moments while it ingests and posts, then check
that nothing was lost, repeated or corrupted.

`make test` runs a few seeds; `make soak` runs many (BRANDBOT_SOAK_SEEDS=200). A failing seed
replays exactly with `pytest tests/test_crash.py -k 'seed-17'`.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.models import Role
from monitor.settings import load_settings
from monitor.store import AlreadyDecided, Store
from responders.auth import hash_password
from responders.drafts import voice_from_settings
from responders.queue import approve
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX
from tests.helpers import DaemonProcess, db_rows

SEEDS = int(os.environ.get("BRANDBOT_SOAK_SEEDS", "4"))
KILLS = 2  # per seed, then one clean run that must finish the work

CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[brand.handles]
x = ["BrightwaveHelp"]

[publisher]
reconcile_after = "0s"
interval = "100ms"
undo_window = "0s"

[storage]
url = "{db}"

[[sources]]
platform = "x"
base_url = "{x}"
user_token_env = "X_USER_TOKEN"
interval = "200ms"
timeout = "2s"

[[sources]]
platform = "mastodon"
base_url = "{mastodon}"
hashtags = ["brightwave"]
access_token_env = "MASTODON_TOKEN"
interval = "200ms"
timeout = "2s"
"""


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeX, FakeMastodon]]:
    x, mastodon = FakeX(), FakeMastodon()
    await x.start()
    await mastodon.start()
    yield x, mastodon
    await x.stop()
    await mastodon.stop()


def _add_posts(rng: random.Random, x: FakeX, mastodon: FakeMastodon, round_: int) -> set[str]:
    """A random batch of complaints on both platforms, posted now; their mention ids.

    At most 20: a first run reads only the newest page (it does not backfill)."""
    ids = set()
    for i in range(rng.randint(3, 20)):
        who = f"c{rng.randint(0, 30)}"
        if rng.random() < 0.5:
            ids.add("x:" + x.add_post(None, who, f"@BrightwaveHelp brightwave down again, "
                                      f"round {round_} post {i}, useless")["id"])
        else:
            ids.add("mastodon:" + mastodon.add_post(None, who, f"#brightwave my order never "
                                                    f"came, round {round_} post {i}")["id"])
    return ids


def _approve_some(rng: random.Random, db: str, voice: object) -> set[int]:
    """Approve a random share of the clean pending drafts, as a person would."""
    store = Store(db, migrate=False)
    approved = set()
    try:
        for draft in store.list_drafts(status="pending", limit=500):
            if draft["flags"] or rng.random() < 0.3:
                continue
            try:
                approve(store, draft["id"], user="ann", voice=voice,  # type: ignore[arg-type]
                        now=datetime.now(UTC))
            except AlreadyDecided:
                continue
            approved.add(draft["id"])
    finally:
        store.close()
    return approved


def _integrity(db: str) -> None:
    if db.startswith("sqlite:///"):  # PostgreSQL keeps its own pages consistent (WAL)
        assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("seed", range(SEEDS), ids=lambda s: f"seed-{s}")
async def test_random_sigkill_loses_nothing_and_posts_nothing_twice(
        tmp_path: Path, fakes: tuple[FakeX, FakeMastodon], seed: int,
        db_url: Callable[..., str]) -> None:
    rng = random.Random(seed)
    x, mastodon = fakes
    db = db_url()
    config = tmp_path / "brandbot.toml"
    config.write_text(CONFIG.format(db=db, x=x.base_url, mastodon=mastodon.base_url))
    env = {"X_BEARER_TOKEN": x.bearer_token, "X_USER_TOKEN": x.user_token,
           "MASTODON_TOKEN": mastodon.access_token}
    voice = voice_from_settings(load_settings(config, environ=env))
    setup = Store(db)
    setup.add_user("ann", Role.APPROVER, hash_password("a long enough password"), actor="test",
                   now=datetime.now(UTC))
    setup.close()

    served: set[str] = set()
    approved: set[int] = set()
    for round_ in range(KILLS):
        served |= _add_posts(rng, x, mastodon, round_)
        if rng.random() < 0.5:  # a post in flight when the kill lands: lost, or landed
            if rng.random() < 0.5:
                x.hang_next(seconds=30, path="/2/tweets", method="POST")
            else:
                x.reset_next(after=True, path="/2/tweets", method="POST")
        daemon = DaemonProcess(config, "--no-web", env=env)
        try:
            await daemon.until(lambda: any(e.get("event") == "page" for e in daemon.events),
                               what="the first page")
            approved |= await asyncio.to_thread(_approve_some, rng, db, voice)
            served |= _add_posts(rng, x, mastodon, round_ * 100 + 1)
            await asyncio.sleep(rng.uniform(0.0, 1.5))  # the random moment of the kill
        finally:
            daemon.kill()
        x.clear_faults()
        _integrity(db)

    # A clean run finishes the work: everything served stored, every approval settled.
    daemon = DaemonProcess(config, "--no-web", env=env)
    try:
        approved |= await asyncio.to_thread(_approve_some, rng, db, voice)

        def settled() -> bool:
            stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
            open_ = db_rows(db, "SELECT count(*) FROM drafts WHERE status IN "
                                "('approved', 'posting')")[0][0]
            return served <= stored and open_ == 0

        try:
            await daemon.until(settled, what="every post stored and every approval settled")
        except AssertionError:
            stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
            drafts = db_rows(db, "SELECT id, status, attempts, error FROM drafts WHERE status "
                                 "IN ('approved', 'posting')")
            raise AssertionError(f"missing {sorted(served - stored)}; open drafts {drafts}; "
                                 f"log {daemon.output()[-1500:]}") from None
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]
    _integrity(db)

    ids = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
    ours = {f"x:{r['id']}" for r in x.replies} | {f"mastodon:{r['id']}" for r in
                                                  mastodon.replies}
    assert len(ids) == len(set(ids)) and set(ids) - ours == served  # each served post, once
    per_mention = db_rows(db, "SELECT mention_id, count(*) FROM drafts WHERE kind = 'reply' "
                              "GROUP BY mention_id HAVING count(*) > 1")
    assert per_mention == []
    # The platforms received each reply at most once ...
    x_targets = [r["in_reply_to_tweet_id"] for r in x.replies]
    m_targets = [r["in_reply_to_id"] for r in mastodon.replies]
    assert len(x_targets) == len(set(x_targets)), x.replies
    assert len(m_targets) == len(set(m_targets)), mastodon.replies
    # ... and every approved reply was posted, or handed to a person as failed.
    outcome = dict(db_rows(db, "SELECT id, status FROM drafts WHERE id IN "
                               f"({','.join(map(str, approved)) or 'NULL'})"))
    assert set(outcome) == approved
    assert set(outcome.values()) <= {"posted", "failed"}, outcome
    posted = db_rows(db, "SELECT platform, posted_id FROM drafts WHERE status = 'posted'")
    replies = {("x", r["id"]) for r in x.replies} | {("mastodon", r["id"]) for r in
                                                     mastodon.replies}
    assert set(posted) == replies
    # The cursors resumed: the last run asked X only for what came after its cursor.
    assert db_rows(db, "SELECT count(*) FROM cursors WHERE source IN ('x', 'mastodon')") == [
        (2,)]
    listens = [r.query for r in x.requests if r.path == "/2/tweets/search/recent"
               and "conversation_id:" not in r.query.get("query", "")]  # not reconciling
    assert {"since_id", "start_time", "next_token"} & set(listens[-1]), listens[-1]
