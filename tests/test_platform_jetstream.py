"""Bluesky's Jetstream firehose as a source, against a fake Jetstream and a fake Bluesky:
matching on our side, cursors (v1 times, v2 opaque numbers), drops, bursts, and handles."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.daemon import build_pipeline
from monitor.models import utcnow
from monitor.platforms import build_platform
from monitor.platforms.jetstream import (
    REWIND_US,
    FirehoseFilter,
    JetstreamPlatform,
    Position,
    load_position,
)
from monitor.poller import Poller
from monitor.settings import BlueskySource, Brand, Settings
from monitor.store import AsyncStore
from tests.fakes.bluesky import FakeBluesky, did_for
from tests.fakes.jetstream import FakeJetstream
from tests.helpers import ROOT, db_rows

PROFILES = "/xrpc/app.bsky.actor.getProfiles"
ENV = {"BLUESKY_IDENTIFIER": "brandbot.bsky.social", "BLUESKY_APP_PASSWORD": "app-password"}
BRAND = {"name": "Acme", "keywords": ["acme"], "hashtags": ["acmedown"],
         "handles": {"bluesky": ["acmehelp.bsky.social"], "x": ["AcmeOnX"]},
         "exclude": ["acme festival"]}


@dataclass
class Rig:
    """A fake Jetstream and Bluesky, the adapter on them, and a poller into a real store."""

    jet: FakeJetstream
    bsky: FakeBluesky
    platform: JetstreamPlatform
    poller: Poller
    db: str

    async def poll(self) -> None:
        """One poll as the daemon makes it: pages until the stream is caught up."""
        assert await self.poller.drain(asyncio.Event(), retry=False), \
            self.poller.health.last_error

    def stored(self) -> dict[str, tuple[str, str, int | None]]:
        """mention id -> (author handle, url, followers), for every stored mention."""
        rows = db_rows(self.db, "SELECT m.id, a.handle, m.url, a.followers FROM mentions m "
                                "JOIN authors a ON a.id = m.author_id")
        assert len(rows) == len({r[0] for r in rows})
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def cursor(self) -> Position | None:
        [(cursor,)] = db_rows(self.db, "SELECT cursor FROM cursors WHERE source = 'bluesky'")
        return load_position(cursor)

    async def until_connected(self, count: int = 1) -> None:
        for _ in range(200):
            if len(self.jet.connections) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the adapter never subscribed")


@asynccontextmanager
async def rig(db_url: Callable[..., str], *, version: int = 1, filter_collections: bool = True,
              jetstream_url: str | None = None, quiet: float = 0.15) -> AsyncIterator[Rig]:
    """The fakes, the adapter (short windows: tests wait for nothing) and a poller."""
    bsky = FakeBluesky()
    jet = FakeJetstream(version=version, bluesky=bsky, filter_collections=filter_collections)
    await bsky.start()
    await jet.start()
    url = db_url()
    settings = Settings.model_validate({"brand": BRAND, "analysis": {"workers": 0}})
    source = BlueskySource(platform="bluesky", mode="jetstream", base_url=bsky.base_url,
                           jetstream_url=jetstream_url or jet.ws_url,
                           timeout=timedelta(seconds=3))
    platform = JetstreamPlatform(source, settings.brand, environ=ENV, window=max(0.3, 2 * quiet),
                                  quiet=quiet)
    store = await AsyncStore(url).open()
    pipeline = build_pipeline(settings, store)
    poller = Poller(key="bluesky", platform=platform, pipeline=pipeline, store=store,
                    interval=1, clock=utcnow)
    try:
        yield Rig(jet, bsky, platform, poller, url)
    finally:
        await platform.close()
        pipeline.close()
        await store.close()
        await jet.stop()
        await bsky.stop()


def mention_id(jet: FakeJetstream, event: dict[str, Any]) -> str:
    return "bluesky:" + jet.uri(event)


# --- matching, on our side


def test_the_filter_matches_the_brands_terms_and_refuses_the_rest_from_the_raw_text() -> None:
    firehose = FirehoseFilter(Brand.model_validate(BRAND))
    about = ["acme is down again", "ACME's app keeps crashing", "#acmedown since 6am",
             "@acmehelp.bsky.social hello?", "So (acme) broke"]
    other = ["acmeville is lovely", "#acmedowntown", "off to the acme festival tonight",
             "@AcmeOnX wrong platform", "nothing to see"]
    assert [firehose.matches(t) for t in about] == [True] * len(about)
    assert [firehose.matches(t) for t in other] == [False] * len(other)
    assert firehose.matches("look at this", tags=["AcmeDown"])  # the record's own tags
    for text in about:
        assert firehose.might_match(json.dumps({"commit": {"record": {"text": text}}}))
    assert not firehose.might_match(json.dumps({"commit": {"record": {"text": "lunch"}}}))


def test_positions_keep_the_servers_cursor_as_given_and_rewind_only_times() -> None:
    v1 = Position("wss://a/subscribe", time_us=1_725_911_162_329_308)
    assert v1.resume_from("wss://a/subscribe") == str(1_725_911_162_329_308 - REWIND_US)
    v2 = Position("wss://a/subscribe", time_us=1_725_911_162_329_308, cursor=12345)
    assert v2.resume_from("wss://a/subscribe") == "12345"
    # a v2 cursor belongs to its instance: elsewhere the time, rewound, is all there is
    assert v2.resume_from("wss://b/subscribe") == str(1_725_911_162_329_308 - REWIND_US)
    assert load_position(v2.dumps()) == v2
    assert load_position('{"v":1,"next":0,"terms":{}}') is None  # a search-mode cursor
    assert load_position("not json") is None


# --- through the poller into the store


async def test_only_brand_posts_are_stored_once_each_with_handle_and_reach(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url) as r:
        await r.poll()  # subscribes to the live stream
        await r.until_connected()
        alice = r.jet.add_post(None, "alice.bsky.social", "acme charged me twice, awful",
                               followers=120_000)
        r.jet.add_post(None, "bob.bsky.social", "lunch was great")
        tagged = r.jet.add_post(None, "carol.bsky.social", "again #acmedown")
        r.jet.add_post(None, "dan.bsky.social", "see you at the acme festival")
        addressed = r.jet.add_post(None, "erin.bsky.social", "@acmehelp.bsky.social help me")
        extra = r.jet.add_post(None, "fay.bsky.social", "router dead",
                               record={"tags": ["acmedown"]})
        r.jet.add_post(None, "gus.bsky.social", "acmeville has sun")
        await r.poll()
        await r.poll()
        stored = r.stored()

    want = {mention_id(r.jet, e): h for e, h in [
        (alice, "alice.bsky.social"), (tagged, "carol.bsky.social"),
        (addressed, "erin.bsky.social"), (extra, "fay.bsky.social")]}
    assert {k: v[0] for k, v in stored.items()} == want
    rkey = alice["commit"]["rkey"]
    assert stored[mention_id(r.jet, alice)] == (
        "alice.bsky.social", f"https://bsky.app/profile/alice.bsky.social/post/{rkey}", 120_000)
    # the matching posts' authors looked up (a page's in one getProfiles call), once each,
    # and nobody else
    assert sorted(did for actors in r.bsky.profile_lookups for did in actors) == sorted(
        did_for(h) for h in ("alice.bsky.social", "carol.bsky.social", "erin.bsky.social",
                             "fay.bsky.social"))
    assert r.jet.subscriptions[0]["wantedCollections"] == ["app.bsky.feed.post"]
    assert "cursor" not in r.jet.subscriptions[0]  # the first run follows the live stream


@pytest.mark.parametrize("version", [1, 2])
async def test_a_drop_mid_stream_resumes_from_the_stored_cursor_without_gap_or_repeat(
        db_url: Callable[..., str], version: int) -> None:
    async with rig(db_url, version=version) as r:
        await r.poll()
        await r.until_connected()
        first = [r.jet.add_post(None, f"a{i}.bsky.social", f"acme outage {i}") for i in range(2)]
        r.jet.add_post(None, "x.bsky.social", "unrelated")
        await r.poll()
        assert set(r.stored()) == {mention_id(r.jet, e) for e in first}

        r.jet.drop_after(3)  # the connection dies after three more events
        later = []
        for i in range(6):
            if i % 2:
                r.jet.add_post(None, f"z{i}.bsky.social", f"nothing {i}")
            else:
                later.append(r.jet.add_post(None, f"b{i}.bsky.social", f"acme refund {i}"))
        await r.poll()
        await r.poll()
        stored = r.stored()
        cursor = r.cursor()

    assert set(stored) == {mention_id(r.jet, e) for e in first + later}
    assert len(r.jet.subscriptions) == 2
    # the page before the drop ended at the third event; the new subscription resumes there
    third = json.loads(r.jet.events[-4].raw)  # the last of the six to get through
    resumed = r.jet.subscriptions[1]["cursor"]
    if version == 1:
        assert resumed == [str(third["time_us"] - REWIND_US)]
    else:
        assert resumed == [str(third["cursor"])]  # the server's cursor as given: no rewind
    last = json.loads(r.jet.events[-1].raw)
    assert cursor is not None and cursor.time_us == last["time_us"]
    assert cursor.cursor == (last["cursor"] if version == 2 else None)


async def test_an_opaque_cursor_is_never_taken_to_another_instance(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url, version=2) as r:
        await r.poll()
        await r.until_connected()
        r.jet.add_post(None, "a.bsky.social", "acme broke")
        await r.poll()
        position = r.cursor()
        assert position is not None and isinstance(position.cursor, int)
        assert position.cursor < 10**15  # a sequence number, not a time
        other = FakeJetstream(version=2, first_seq=5)
        await other.start()
        try:
            source = BlueskySource(platform="bluesky", mode="jetstream",
                                   base_url=r.bsky.base_url, jetstream_url=other.ws_url)
            moved = JetstreamPlatform(source, Brand.model_validate(BRAND), environ=ENV,
                                      window=0.2, quiet=0.1)
            try:
                await moved.listen(position.dumps())
            finally:
                await moved.close()
        finally:
            await other.stop()
    assert other.subscriptions[0]["cursor"] == [str(position.time_us - REWIND_US)]


async def test_a_burst_of_100000_unrelated_posts_is_scanned_without_lookups(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url) as r:
        await r.poll()
        await r.until_connected()
        r.jet.add_burst(40_000)
        early = r.jet.add_post(None, "early.bsky.social", "acme down in leeds")
        r.jet.add_burst(60_000)
        late = r.jet.add_post(None, "late.bsky.social", "acme down in york")
        end = json.loads(r.jet.events[-1].raw)["time_us"]
        # polls until the cursor is at the burst's end: how fast is measured in bench/
        # (jetstream_bench), not here, where the suite's other workers share the cores
        for _ in range(600):
            await r.poll()
            cursor = r.cursor()
            if cursor is not None and cursor.time_us == end:
                break
            await asyncio.sleep(0.05)
        stored = r.stored()
    assert {k: v[0] for k, v in stored.items()} == {
        mention_id(r.jet, early): "early.bsky.social", mention_id(r.jet, late): "late.bsky.social"}
    assert r.jet.sent == 100_002
    looked_up = {did for actors in r.bsky.profile_lookups for did in actors}
    assert looked_up == {did_for("early.bsky.social"), did_for("late.bsky.social")}


async def test_identity_account_deletes_updates_and_other_collections_are_ignored(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url, filter_collections=False) as r:
        await r.poll()
        await r.until_connected()
        post = r.jet.add_post(None, "alice.bsky.social", "acme lost my parcel")
        await r.poll()
        rkey = post["commit"]["rkey"]
        r.jet.add_identity("acme-fan.bsky.social")
        r.jet.add_account("acme-fan.bsky.social", active=False)
        r.jet.add_commit("alice.bsky.social", "delete", "app.bsky.feed.post", rkey)
        r.jet.add_commit("alice.bsky.social", "update", "app.bsky.feed.post", rkey,
                         {"$type": "app.bsky.feed.post", "text": "acme found it",
                          "createdAt": "2026-01-01T00:00:00Z"})
        r.jet.add_commit("bob.bsky.social", "create", "app.bsky.feed.like", "3lxyz",
                         {"$type": "app.bsky.feed.like", "text": "acme",
                          "subject": {"uri": r.jet.uri(post), "cid": "bafy"}})
        await r.poll()
        stored = r.stored()
        cursor = r.cursor()
    assert list(stored) == [mention_id(r.jet, post)]  # kept as first seen, nothing added
    assert cursor is not None and cursor.time_us == json.loads(r.jet.events[-1].raw)["time_us"]


async def test_when_getprofiles_fails_the_post_is_kept_with_its_did(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url) as r:
        await r.poll()
        await r.until_connected()
        r.bsky.fail_next(502, times=None, path=PROFILES)
        post = r.jet.add_post(None, "alice.bsky.social", "acme is down")
        await r.poll()
        stored = r.stored()
    did = did_for("alice.bsky.social")
    rkey = post["commit"]["rkey"]
    assert stored == {mention_id(r.jet, post): (
        did, f"https://bsky.app/profile/{did}/post/{rkey}", None)}


async def test_hostile_posts_do_not_stop_the_source(db_url: Callable[..., str]) -> None:
    async with rig(db_url, quiet=1.0) as r:  # the fake takes a while to send these
        await r.poll()
        await r.until_connected()
        r.jet.add_post(None, "a.bsky.social", "acme " + "x" * 900_000)
        r.jet.add_post(None, "b.bsky.social", "acme \ud800 surrogate")
        r.jet.add_post(None, "c.bsky.social", "acme from the future",
                       record={"createdAt": "9999-12-31T23:59:59Z"})
        r.jet.add_post(None, "d.bsky.social", "acme odd date", record={"createdAt": 12})
        r.jet.add_event("did:plc:x/../y", "commit", {
            "operation": "create", "collection": "app.bsky.feed.post", "rkey": "a/b",
            "record": {"text": "acme"}})
        r.jet.add_raw('{"kind":"commit","acme":' + "[" * 200_000 + "]" * 200_000 + "}")
        r.jet.add_raw("acme <html>502 Bad Gateway</html>")
        fine = r.jet.add_post(None, "e.bsky.social", "acme still listening")
        await r.poll()
        stored = r.stored()
    assert mention_id(r.jet, fine) in stored and len(stored) == 5
    assert not db_rows(r.db, "SELECT 1 FROM mentions WHERE created_at > '9000'")


async def test_replies_to_firehose_posts_go_through_the_bluesky_login(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url) as r:
        await r.poll()
        await r.until_connected()
        r.jet.add_post(None, "alice.bsky.social", "acme charged me twice")
        [(cursor,)] = db_rows(r.db, "SELECT cursor FROM cursors")
        page = await r.platform.listen(cursor)  # where the poller left the stream
        for _ in range(5):
            if page.mentions:
                break
            page = await r.platform.listen(page.next_cursor)
        [mention] = page.mentions
        posted = await r.platform.reply(mention, "Sorry Alice, we're on it.", idempotency_key="k")
        [reply] = r.bsky.replies
        assert reply["parent"] == {"uri": mention.native_id, "cid": mention.raw["cid"]}
        assert await r.platform.find_reply(mention, "Sorry Alice, we're on it.") == posted


# --- the daemon


async def test_the_daemon_follows_the_firehose_and_survives_a_dropped_connection(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    bsky = FakeBluesky()
    jet = FakeJetstream(bluesky=bsky)
    await bsky.start()
    await jet.start()
    db = db_url()
    config = tmp_path / "brandbot.toml"
    config.write_text(
        '[brand]\nname = "Brightwave"\nkeywords = ["brightwave"]\n'
        f'\n[storage]\nurl = "{db}"\n'
        f'\n[[sources]]\nplatform = "bluesky"\nmode = "jetstream"\n'
        f'jetstream_url = "{jet.ws_url}"\nbase_url = "{bsky.base_url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), "run", "--no-web",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    async def stored(event: dict[str, Any]) -> None:
        for _ in range(300):
            await asyncio.sleep(0.05)
            if db_rows(db, f"SELECT 1 FROM mentions WHERE id = '{mention_id(jet, event)}'"):
                return
        raise AssertionError(f"{jet.uri(event)} never arrived")

    try:
        for _ in range(300):
            await asyncio.sleep(0.05)
            if jet.connections:
                break
        first = jet.add_post(None, "ann.bsky.social", "brightwave router dead again")
        jet.add_post(None, "ben.bsky.social", "nice weather")
        await stored(first)
        jet.drop_connections()
        second = jet.add_post(None, "cat.bsky.social", "brightwave charged me twice")
        await stored(second)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 15)
        await jet.stop()
        await bsky.stop()
    assert proc.returncode == 0
    rows = db_rows(db, "SELECT m.id, a.handle FROM mentions m JOIN authors a "
                       "ON a.id = m.author_id ORDER BY m.created_at")
    assert rows == [(mention_id(jet, first), "ann.bsky.social"),
                    (mention_id(jet, second), "cat.bsky.social")]
    assert len(jet.subscriptions) >= 2 and "cursor" in jet.subscriptions[-1]


def test_jetstream_mode_needs_no_login_to_listen() -> None:
    settings = Settings.model_validate({"brand": BRAND, "sources": [
        {"platform": "bluesky", "mode": "jetstream"}]})
    source = settings.sources[0]
    assert isinstance(source, BlueskySource)
    assert source.required_envs() == [] and source.interval == timedelta(seconds=1)
    assert isinstance(build_platform(source, settings, environ={}), JetstreamPlatform)
    with pytest.raises(ValueError, match="ws:// or wss://"):
        BlueskySource(platform="bluesky", mode="jetstream", jetstream_url="https://x")



async def test_a_page_the_store_did_not_take_is_served_again(
        db_url: Callable[..., str]) -> None:
    async with rig(db_url) as r:
        await r.poll()
        await r.until_connected()
        r.jet.add_post(None, "a.bsky.social", "acme first")
        await r.poll()
        [(stored_cursor,)] = db_rows(r.db, "SELECT cursor FROM cursors")
        post = r.jet.add_post(None, "b.bsky.social", "acme second")
        page = await r.platform.listen(stored_cursor)
        while not page.mentions:
            page = await r.platform.listen(page.next_cursor)
        assert [m.native_id for m in page.mentions] == [r.jet.uri(post)]
        # the write failed: the poller asks again from the cursor it has stored
        again = await r.platform.listen(stored_cursor)
        while not again.mentions:
            again = await r.platform.listen(again.next_cursor)
        # (with the earlier post too: the time cursor is rewound; the store drops repeats)
        assert r.jet.uri(post) in [m.native_id for m in again.mentions]
        assert len(r.jet.subscriptions) == 2
