"""`brandbot backfill`: history the live cursor never covered, stored once, cursor untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.hackernews import FakeHackerNews
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX
from tests.helpers import db_rows
from tests.test_daemon_platforms import BRAND, _brandbot, _reddit


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeX, FakeHackerNews]]:
    x, hn = FakeX(), FakeHackerNews()
    await x.start()
    await hn.start()
    yield x, hn
    await x.stop()
    await hn.stop()


async def test_backfill_fetches_history_once_and_leaves_live_cursors_alone(
        tmp_path: Path, fakes: tuple[FakeX, FakeHackerNews]) -> None:
    x, hn = fakes
    reddit = _reddit()
    await reddit.fake.start()
    now = datetime.now(UTC)
    reddit_ids = {"reddit:" + reddit.fake.add_post(
        None, f"r{i}", f"Brightwave router died again {i}", now - timedelta(hours=i + 1),
        subreddit="brightwave")["name"] for i in range(130)}
    x_ids = {"x:" + x.add_post(None, f"c{i}", f"@BrightwaveHelp brightwave down, day-old {i}",
                               now - timedelta(hours=2 * i + 1))["id"] for i in range(35)}
    hn_ids = {f"hackernews:{hn.add_post(None, f'h{i}', f'Brightwave outage {i}', now - timedelta(hours=i + 1), title=f'Brightwave outage {i}')['objectID']}"  # noqa: E501
              for i in range(130)}
    db = tmp_path / "b.db"
    config = tmp_path / "brandbot.toml"
    config.write_text(
        BRAND + f'\n[storage]\nurl = "sqlite:///{db}"\n'
        f'\n[[sources]]\nplatform = "x"\nbase_url = "{x.base_url}"\nmax_results = 10\n'
        f'\n[[sources]]\nplatform = "hackernews"\nbase_url = "{hn.base_url}"\n'
        f'\n[[sources]]\n{reddit.source(reddit.fake.base_url)}')
    env = {"X_BEARER_TOKEN": x.bearer_token, **reddit.env}
    try:
        code, out = await _brandbot(config, env, "run", "--once", "--no-web")
        assert code == 0, out
        stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
        # a first run reads the newest page
        assert not x_ids <= stored and not hn_ids <= stored and not reddit_ids <= stored
        cursors = db_rows(db, "SELECT source, cursor, updated_at FROM cursors ORDER BY source")

        code, out = await _brandbot(config, env, "backfill", "--since", "7d")
        assert code == 0, out
        stored = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
        assert x_ids | hn_ids | reddit_ids <= set(stored) and len(stored) == len(set(stored))
        assert db_rows(db, "SELECT source, cursor, updated_at FROM cursors "
                           "ORDER BY source") == cursors
        assert "cannot page back" not in out and "reddit: " in out
        assert "x: 100%|" in out and "h back" in out  # the progress bars
        assert "hackernews: " in out

        code, out = await _brandbot(config, env, "backfill", "--since", "2d", "--source", "x")
        assert code == 0, out
        assert "new=0" in out and "hackernews" not in out
        assert len(db_rows(db, "SELECT id FROM mentions")) == len(stored)

        code, out = await _brandbot(config, env, "backfill", "--since", "2d", "--source",
                                    "nope")
        assert code == 2 and "--source: no enabled source 'nope'" in out

        late = "x:" + x.add_post(None, "late", "@BrightwaveHelp brightwave down again now")["id"]
        code, out = await _brandbot(config, env, "run", "--once", "--no-web")
        assert code == 0, out
        after = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
        assert sorted(after) == sorted([*stored, late])  # live listening went on from its cursor
    finally:
        await reddit.fake.stop()


async def test_mastodon_backfill_walks_hashtags_back_to_since(tmp_path: Path) -> None:
    fake = FakeMastodon()
    await fake.start()
    now = datetime.now(UTC)
    recent = {"mastodon:" + fake.add_post(None, f"t{i}", f"#brightwave router down again {i}",
                                          now - timedelta(hours=i + 1))["id"]
              for i in range(90)}
    old = {"mastodon:" + fake.add_post(None, f"o{i}", f"#brightwave outage long ago {i}",
                                       now - timedelta(days=9, hours=i))["id"] for i in range(3)}
    db = tmp_path / "b.db"
    config = tmp_path / "brandbot.toml"
    config.write_text(
        BRAND + f'\n[storage]\nurl = "sqlite:///{db}"\n'
        f'\n[[sources]]\nplatform = "mastodon"\nbase_url = "{fake.base_url}"\n'
        'hashtags = ["brightwave"]\n')
    try:
        code, out = await _brandbot(config, {}, "run", "--once", "--no-web")
        assert code == 0, out
        stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
        assert len(stored) == 40  # a first run reads the newest page
        cursors = db_rows(db, "SELECT source, cursor FROM cursors")

        code, out = await _brandbot(config, {}, "backfill", "--since", "7d")
        assert code == 0, out
        assert "cannot page back" not in out
        stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
        assert stored == recent and not stored & old  # everything within 7 days, once
        assert db_rows(db, "SELECT source, cursor FROM cursors") == cursors
        walked = [r.query.get("max_id") for r in fake.requests
                  if r.path == "/api/v1/timelines/tag/brightwave"]
        assert len([m for m in walked if m]) >= 2  # paged back with max_id
    finally:
        await fake.stop()


async def test_bluesky_backfill_searches_each_term_between_since_and_its_start(
        tmp_path: Path) -> None:
    from tests.test_daemon_platforms import _bluesky

    bluesky = _bluesky()
    fake = bluesky.fake
    await fake.start()
    now = datetime.now(UTC)
    recent = {"bluesky:" + fake.add_post(None, f"b{i}.bsky.social",
                                         f"brightwave down again {i}",
                                         now - timedelta(hours=i + 1))["uri"]
              for i in range(150)}
    old = {"bluesky:" + fake.add_post(None, "o.bsky.social", "brightwave outage long ago",
                                      now - timedelta(days=9))["uri"]}
    db = tmp_path / "b.db"
    config = tmp_path / "brandbot.toml"
    config.write_text(BRAND + f'\n[storage]\nurl = "sqlite:///{db}"\n'
                      f'\n[[sources]]\n{bluesky.source(fake.base_url)}')
    try:
        code, out = await _brandbot(config, bluesky.env, "run", "--once", "--no-web")
        assert code == 0, out
        stored = {r[0] for r in db_rows(db, "SELECT id FROM mentions")}
        assert not recent <= stored  # a first run reads the newest page of each term
        cursors = db_rows(db, "SELECT source, cursor, updated_at FROM cursors")

        code, out = await _brandbot(config, bluesky.env, "backfill", "--since", "7d")
        assert code == 0, out
        assert "cannot page back" not in out and "bluesky: " in out
        stored = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
        assert recent <= set(stored) and not old & set(stored)
        assert len(stored) == len(set(stored))
        assert db_rows(db, "SELECT source, cursor, updated_at FROM cursors") == cursors
        sent = [r.query for r in fake.requests_to("/xrpc/app.bsky.feed.searchPosts")
                if "until" in r.query]
        assert len(sent) >= 2 and all("since" in q for q in sent)  # paged with since/until
    finally:
        await fake.stop()
