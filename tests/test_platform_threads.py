"""The Threads adapter against the fake Graph API (keyword search, paging, errors, the two-step
reply and finding it again), and the real daemon against it, killed between the two steps."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.models import Mention, utcnow
from monitor.platforms import build_platform
from monitor.platforms.base import AuthFailed, RateLimited, Refused, Unavailable
from monitor.platforms.threads import (
    Search,
    TermState,
    ThreadsPlatform,
    build_searches,
    decode_cursor,
    encode_cursor,
    normalise,
    parse_rate_limit,
)
from monitor.settings import Brand, ThreadsSource, settings_from_dict, summary
from tests.fakes import FakeThreads
from tests.helpers import ROOT, db_rows, drain, ids
from tests.test_daemon_platforms import _everything_stored

TOKEN = "threads-token"
ENV = {"THREADS_ACCESS_TOKEN": TOKEN}
BRAND = Brand(name="Acme", keywords=["acme"], hashtags=["acmedown"])
SEARCH = "/v1.0/keyword_search"
CREATE = "/v1.0/me/threads"
PUBLISH = "/v1.0/me/threads_publish"


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture
async def fake() -> AsyncIterator[FakeThreads]:
    async with FakeThreads(access_token=TOKEN) as server:
        yield server


@asynccontextmanager
async def adapter(fake: FakeThreads, *, brand: Brand = BRAND, environ: dict[str, str] | None = None,
                  wait: float = 2.0) -> AsyncIterator[ThreadsPlatform]:
    """An adapter pointed at the fake (answers awaited `wait` seconds), closed afterwards."""
    source = ThreadsSource(platform="threads", base_url=fake.base_url,
                           timeout=timedelta(seconds=wait))
    platform = ThreadsPlatform(source, brand, environ=ENV if environ is None else environ)
    try:
        yield platform
    finally:
        await platform.close()


async def mention_of(platform: ThreadsPlatform, native_id: str) -> Mention:
    """The mention a listen() round makes of one post."""
    mentions, _ = await drain(platform)
    return next(m for m in mentions if m.native_id == native_id)


# --- pure parts


def test_one_search_per_keyword_and_per_hashtag_as_a_topic_tag() -> None:
    brand = Brand(name="Acme", keywords=["acme", "Acme ", "acme cloud"],
                  hashtags=["#AcmeDown", "acmedown"], exclude=["acme festival"])
    assert build_searches(brand) == (
        Search("acme", "KEYWORD"), Search("acme cloud", "KEYWORD"), Search("AcmeDown", "TAG"))
    source = ThreadsSource(platform="threads")
    assert source.interval == timedelta(minutes=5)
    assert source.queries_per_day(brand) == 3 * 288


def test_usage_headers_give_the_share_left_and_when_access_comes_back() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    calm = parse_rate_limit({"X-App-Usage": '{"call_count": 28, "total_cputime": 5, '
                                            '"total_time": 40}'}, now=now)
    assert calm is not None and (calm.limit, calm.remaining, calm.reset_at) == (100, 60, None)
    buc = {"17841": [{"type": "threads", "call_count": 100, "total_cputime": 3,
                      "total_time": 2, "estimated_time_to_regain_access": 17}]}
    throttled = parse_rate_limit({"X-Business-Use-Case-Usage": json.dumps(buc)}, now=now)
    assert throttled is not None and throttled.remaining == 0
    assert throttled.reset_at == now + timedelta(minutes=17)
    assert parse_rate_limit({}, now=now) is None
    assert parse_rate_limit({"X-App-Usage": "<html>", "X-Business-Use-Case-Usage": "[1]"},
                            now=now) is None


def test_media_objects_become_mentions_and_broken_ones_are_named() -> None:
    reply = normalise({"id": 18027947643429398, "text": "acme \ud800 <b>down</b>",
                       "timestamp": "2024-05-01T12:00:00+0000", "username": "alice",
                       "permalink": "https://www.threads.net/@alice/post/abc",
                       "replied_to": {"id": "1"}, "root_post": {"id": "0"}})
    assert reply.native_id == "18027947643429398" and reply.author.handle == "alice"
    assert reply.text == "acme ? <b>down</b>"
    assert (reply.in_reply_to, reply.conversation_id) == ("1", "0")
    assert reply.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    for broken, why in [({"id": "1", "timestamp": "2024-05-01T12:00:00+0000"}, "username"),
                        ({"id": "1", "username": "a", "timestamp": "9999-12-31T23:59:59-1200"},
                         "timestamp"),
                        ({"id": True, "username": "a"}, "id")]:
        with pytest.raises(ValueError, match=why):
            normalise(broken)


def test_cursor_round_trips_and_refuses_what_is_not_ours() -> None:
    state = TermState(hwm=datetime(2024, 5, 1, tzinfo=UTC),
                      seen={"1": datetime(2024, 5, 1, tzinfo=UTC)}, after="QVFI",
                      top=datetime(2024, 5, 2, tzinfo=UTC))
    terms, index = decode_cursor(encode_cursor({"KEYWORD:acme": state}, 1))
    assert terms == {"KEYWORD:acme": state} and index == 1
    for garbage in ("not json", '{"v": 2}', '{"v": 1, "terms": {"k": {"hwm": "soon"}}}'):
        with pytest.raises(ValueError, match="Threads cursor"):
            decode_cursor(garbage)


def test_check_config_counts_the_searches_a_day_against_the_cap() -> None:
    base = {"brand": {"name": "Acme", "keywords": ["acme", "acme cloud"]},
            "sources": [{"platform": "threads"}]}
    lines = summary(settings_from_dict(base, base_dir=ROOT, environ=ENV))
    assert "source threads: threads every 300s" in lines
    assert "  up to 576 keyword searches a day; Threads allows 2200" in lines
    fast = {**base, "sources": [{"platform": "threads", "interval": "30s"}]}
    assert any("raise interval" in line
               for line in summary(settings_from_dict(fast, base_dir=ROOT, environ=ENV)))


# --- listening


async def test_first_listen_returns_the_newest_page_oldest_first_with_fields(
        fake: FakeThreads) -> None:
    for i in range(120):
        fake.add_post(None, f"user{i}", f"acme thing {i}", ago(minutes=300 - i))
    root = fake.add_post(None, "alice", "acme is down again", ago(minutes=30))
    reply = fake.add_post(None, "bob", "same here, acme broke", ago(minutes=20),
                          reply_to=root["id"])
    fake.add_post(None, "dave", "unrelated", ago(minutes=5))
    async with adapter(fake) as platform:
        page = await platform.listen(None)
        tags = await platform.listen(page.next_cursor)

    assert len(page.mentions) == 100 and page.has_more  # the hashtag's search comes next
    assert [m.created_at for m in page.mentions] == sorted(m.created_at for m in page.mentions)
    assert page.mentions[0].text == "acme thing 22"  # the 98 newest of the 120, root, reply
    last = page.mentions[-1]
    assert (last.native_id, last.author.handle, last.url) == (
        reply["id"], "bob", reply["permalink"])
    assert (last.in_reply_to, last.conversation_id) == (root["id"], root["id"])
    assert page.mentions[-2].conversation_id == root["id"]
    assert page.rate_limit is not None and page.rate_limit.limit == 100
    first, second = fake.requests_to(SEARCH)
    assert {k: first.query[k] for k in ("q", "search_type", "search_mode", "limit")} == {
        "q": "acme", "search_type": "RECENT", "search_mode": "KEYWORD", "limit": "100"}
    assert "since" not in first.query and first.query["access_token"] == TOKEN
    assert {"timestamp", "username", "permalink", "replied_to"} <= set(
        first.query["fields"].split(","))
    assert (second.query["q"], second.query["search_mode"]) == ("acmedown", "TAG")
    assert tags.mentions == () and not tags.has_more


async def test_paging_serves_every_post_once_and_later_posts_on_the_next_round(
        fake: FakeThreads) -> None:
    brand = Brand(name="Acme", keywords=["acme"])
    fake.add_post(None, "first", "acme before we started", ago(minutes=10))
    async with adapter(fake, brand=brand) as platform:
        _, cursor = await drain(platform)
        posted = [fake.add_post(None, f"u{i}", f"acme outage {i}",
                                ago(seconds=(250 - i) * 2))["id"] for i in range(250)]
        mentions, cursor = await drain(platform, cursor)
        assert sorted(ids(mentions)) == sorted(posted)
        assert len(fake.requests_to(SEARCH)) == 4  # the first run, then three pages
        assert [r.query.get("after") is not None for r in fake.requests_to(SEARCH)[1:]] == [
            False, True, True]
        later = fake.add_post(None, "late", "acme still down", ago(seconds=1))["id"]
        again, _ = await drain(platform, cursor)
    assert ids(again) == [later]


async def test_a_restart_from_the_stored_cursor_repeats_and_skips_nothing(
        fake: FakeThreads) -> None:
    brand = Brand(name="Acme", keywords=["acme"])
    fake.add_post(None, "first", "acme before we started", ago(minutes=10))
    async with adapter(fake, brand=brand) as platform:
        _, cursor = await drain(platform)
    posted = {fake.add_post(None, f"u{i}", f"acme {i}", ago(seconds=(230 - i) * 2))["id"]
              for i in range(230)}
    seen: list[str] = []
    async with adapter(fake, brand=brand) as platform:  # stops after one page of the walk
        page = await platform.listen(cursor)
        seen += ids(page.mentions)
        assert page.has_more
        cursor = page.next_cursor
    newer = fake.add_post(None, "mid", "acme mid-walk", ago(seconds=2))["id"]
    async with adapter(fake, brand=brand) as platform:  # a new process, the stored cursor
        rest, cursor = await drain(platform, cursor)
        seen += ids(rest)
        again, _ = await drain(platform, cursor)
        seen += ids(again)
    assert sorted(seen) == sorted(posted | {newer})


async def test_a_post_dated_in_the_future_does_not_hide_the_posts_after_it(
        fake: FakeThreads) -> None:
    brand = Brand(name="Acme", keywords=["acme"])
    async with adapter(fake, brand=brand) as platform:
        _, cursor = await drain(platform)
        odd = fake.add_post(None, "clock", "acme from the future", ago(days=-400))["id"]
        first, cursor = await drain(platform, cursor)
        normal = fake.add_post(None, "ann", "acme broke", ago(seconds=1))["id"]
        second, _ = await drain(platform, cursor)
    assert ids(first) == [odd] and ids(second) == [normal]


async def test_hostile_posts_are_read_or_reported_and_never_stop_the_source(
        fake: FakeThreads) -> None:
    brand = Brand(name="Acme", keywords=["acme"])
    huge = "acme " + "x" * 1_000_000
    html = fake.add_post(None, "h", "<script>alert('acme')</script> &amp; <b>acme</b>",
                         ago(minutes=5))
    big = fake.add_post(None, "b", huge, ago(minutes=4))
    surrogate = fake.add_post(None, "s", "acme \ud83d broke", ago(minutes=3))
    fake.add_post(None, "t", "acme with a broken date", ago(minutes=2))["timestamp"] = "yesterday"
    fake.add_post(None, "", "acme without an author", ago(minutes=1))
    async with adapter(fake, brand=brand) as platform:
        page = await platform.listen(None)
        later = fake.add_post(None, "ok", "acme fine", ago(seconds=1))["id"]
        after, _ = await drain(platform, page.next_cursor)
    by_id = {m.native_id: m for m in page.mentions}
    assert set(by_id) == {html["id"], big["id"], surrogate["id"]}
    assert by_id[html["id"]].text == html["text"] and by_id[big["id"]].text == huge
    assert by_id[surrogate["id"]].text == "acme ? broke"
    assert len(page.problems) == 2 and any("timestamp" in p for p in page.problems)
    assert ids(after) == [later]


async def test_history_walks_every_search_back_to_the_given_time(fake: FakeThreads) -> None:
    wanted = {fake.add_post(None, f"u{i}", f"acme slow {i}", ago(hours=40 - i * 0.25))["id"]
              for i in range(150)}
    wanted.add(fake.add_post(None, "t", "down again", ago(hours=30), topic_tag="AcmeDown")["id"])
    fake.add_post(None, "old", "acme last week", ago(days=7))
    async with adapter(fake) as platform:
        cursor, got, pages = None, [], 0
        while True:
            page = await platform.history(cursor, since=ago(days=2))
            got += ids(page.mentions)
            pages += 1
            cursor = page.next_cursor
            if not page.has_more:
                break
    assert sorted(got) == sorted(wanted) and pages == 3  # two pages of acme, one of the tag
    assert all(r.query["since"].isdigit() for r in fake.requests_to(SEARCH))


# --- errors


async def test_an_expired_or_wrong_token_is_auth_failed_naming_the_variable_only(
        fake: FakeThreads) -> None:
    fake.add_post(None, "a", "acme down", ago(minutes=1))
    fake.expire_auth()
    for environ in (ENV, {"THREADS_ACCESS_TOKEN": "wrong-token"}):
        async with adapter(fake, environ=environ) as platform:
            with pytest.raises(AuthFailed) as refused:
                await platform.listen(None)
        message = str(refused.value)
        assert "THREADS_ACCESS_TOKEN" in message and "code 190" in message
        assert environ["THREADS_ACCESS_TOKEN"] not in message
    sent = len(fake.requests)
    async with adapter(fake, environ={}) as platform:
        with pytest.raises(AuthFailed, match="THREADS_ACCESS_TOKEN"):
            await platform.listen(None)
    assert len(fake.requests) == sent  # nothing sent without a token


async def test_without_the_keyword_search_permission_the_error_names_it() -> None:
    granted = ("threads_basic", "threads_content_publish", "threads_manage_replies")
    async with FakeThreads(access_token=TOKEN, permissions=granted) as fake, \
            adapter(fake) as platform:
        with pytest.raises(AuthFailed, match="threads_keyword_search"):
            await platform.listen(None)


async def test_a_rate_limit_says_when_access_comes_back(fake: FakeThreads) -> None:
    fake.rate_limit_next(reset_in=120)
    async with adapter(fake) as platform:
        with pytest.raises(RateLimited) as limited:
            await platform.listen(None)
    reset_at = limited.value.reset_at
    assert reset_at is not None
    assert timedelta(seconds=100) < reset_at - utcnow() <= timedelta(seconds=121)


async def test_the_daily_search_cap_is_waited_out_and_empty_searches_are_free() -> None:
    brand = Brand(name="Acme", keywords=["acme", "nothing-matches-this"])
    async with FakeThreads(access_token=TOKEN, search_cap=2) as fake, \
            adapter(fake, brand=brand) as platform:
        fake.add_post(None, "a", "acme down", ago(minutes=1))
        _, cursor = await drain(platform)  # acme (counted), then the empty term (free)
        fake.add_post(None, "b", "acme down again", ago(seconds=30))
        page = await platform.listen(cursor)  # the second counted search
        assert page.mentions and len(fake.searches) == 2
        fake.add_post(None, "c", "acme still down", ago(seconds=10))
        await platform.listen(page.next_cursor)  # the empty term: still answered
        with pytest.raises(RateLimited, match="code 613") as capped:
            await platform.listen(None)
    reset_at = capped.value.reset_at
    assert reset_at is not None and reset_at - utcnow() > timedelta(hours=23)


@pytest.mark.parametrize("fault", ["fail", "hang", "reset", "malformed", "truncated"])
async def test_transient_failures_are_unavailable_and_lose_nothing(
        fake: FakeThreads, fault: str) -> None:
    brand = Brand(name="Acme", keywords=["acme"])
    async with adapter(fake, brand=brand, wait=0.5) as platform:
        _, cursor = await drain(platform)
        posted = fake.add_post(None, "a", "acme down", ago(seconds=5))["id"]
        if fault == "fail":
            fake.fail_next(status=503, times=1)
        elif fault == "hang":
            fake.hang_next(seconds=5)
        elif fault == "reset":
            fake.reset_next(times=2)  # aiohttp quietly retries a GET once
        else:
            getattr(fake, f"{fault}_next")()
        with pytest.raises(Unavailable):
            await platform.listen(cursor)
        fake.clear_faults()
        mentions, _ = await drain(platform, cursor)
    assert ids(mentions) == [posted]


# --- replying


async def test_a_reply_is_a_container_then_one_publish(fake: FakeThreads) -> None:
    target = fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    async with adapter(fake) as platform:
        mention = await mention_of(platform, target["id"])
        posted = await platform.reply(mention, "Sorry Alice, we're on it.", idempotency_key="k1")
    assert fake.replies == [{"id": posted.native_id, "container_id": "17841000000000001",
                             "reply_to_id": target["id"], "text": "Sorry Alice, we're on it."}]
    assert posted.url == fake.media[posted.native_id]["permalink"]
    sent = [(r.path, r.query.get("creation_id")) for r in fake.requests if r.method == "POST"]
    assert sent == [(CREATE, None), (PUBLISH, "17841000000000001")]
    reply = fake.media[posted.native_id]
    assert (reply["replied_to"], reply["root_post"]) == ({"id": target["id"]},
                                                         {"id": target["id"]})


async def test_refusals_limits_and_permissions_of_a_reply(fake: FakeThreads) -> None:
    target = fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    async with adapter(fake) as platform:
        mention = await mention_of(platform, target["id"])
        gone = replace(mention, native_id="17999999999999999")
        with pytest.raises(Refused, match="does not exist"):
            await platform.reply(gone, "Sorry!", idempotency_key="k1")
        with pytest.raises(Refused, match="500"):
            await platform.reply(mention, "🙂" * 126, idempotency_key="k2")  # 504 in UTF-8
        fake.fail_next(status=502, times=1, path=PUBLISH)
        with pytest.raises(Unavailable):
            await platform.reply(mention, "Sorry!", idempotency_key="k3")
        fake.permissions.discard("threads_manage_replies")
        with pytest.raises(AuthFailed, match="threads_manage_replies"):
            await platform.reply(mention, "Sorry!", idempotency_key="k4")
        fake.expire_auth()
        with pytest.raises(AuthFailed, match="THREADS_ACCESS_TOKEN"):
            await platform.reply(mention, "Sorry!", idempotency_key="k5")
    assert fake.replies == [] and len(fake.containers) == 1  # the 502's, never published


async def test_the_daily_reply_cap_is_rate_limited_and_leaves_only_a_container() -> None:
    async with FakeThreads(access_token=TOKEN, reply_cap=1) as fake, adapter(fake) as platform:
        target = fake.add_post(None, "alice", "acme is down", ago(minutes=5))
        mention = await mention_of(platform, target["id"])
        await platform.reply(mention, "Sorry!", idempotency_key="k1")
        with pytest.raises(RateLimited, match="code 4") as capped:
            await platform.reply(mention, "Sorry again!", idempotency_key="k2")
    reset_at = capped.value.reset_at
    assert reset_at is not None and reset_at - utcnow() > timedelta(hours=23)
    assert len(fake.replies) == 1 and len(fake.containers) == 2


async def test_find_reply_finds_our_reply_to_that_post_and_nothing_else(
        fake: FakeThreads) -> None:
    first = fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    second = fake.add_post(None, "bob", "acme is down for me too", ago(minutes=4))
    async with adapter(fake) as platform:
        mentions, _ = await drain(platform)
        one, two = (next(m for m in mentions if m.native_id == p["id"]) for p in (first, second))
        assert await platform.find_reply(one, "Sorry!") is None
        posted = await platform.reply(one, "Sorry!", idempotency_key="k1")
        await platform.reply(two, "Something else", idempotency_key="k2")
        fake.add_post(None, "carol", "Sorry!", reply_to=second["id"])  # not ours
        assert await platform.find_reply(one, "Sorry!  ") == posted
        assert await platform.find_reply(one, "Something else") is None
        assert await platform.find_reply(two, "Sorry!") is None
    assert fake.requests_to("/v1.0/me/replies")[-1].query["since"].isdigit()


async def test_find_reply_reads_further_pages_of_our_replies(fake: FakeThreads) -> None:
    target = fake.add_post(None, "alice", "acme is down", ago(minutes=30))
    async with adapter(fake) as platform:
        mention = await mention_of(platform, target["id"])
        posted = await platform.reply(mention, "Sorry!", idempotency_key="k1")
        others = fake.add_post(None, "x", "acme other", ago(minutes=29))
        for i in range(150):
            fake.add_post(None, fake.username, f"reply {i}", reply_to=others["id"])
        assert await platform.find_reply(mention, "Sorry!") == posted
    assert len(fake.requests_to("/v1.0/me/replies")) == 2


@pytest.mark.parametrize("landed", [False, True], ids=["container-only", "published"])
async def test_an_interrupted_reply_is_found_or_safely_made_again(
        fake: FakeThreads, landed: bool) -> None:
    target = fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    async with adapter(fake, wait=0.5) as platform:
        mention = await mention_of(platform, target["id"])
        if landed:  # published, then the connection drops before the answer
            fake.reset_next(after=True, path=PUBLISH, method="POST")
        else:  # the container exists; the publish never answers
            fake.hang_next(seconds=5, path=PUBLISH, method="POST")
        with pytest.raises(Unavailable):
            await platform.reply(mention, "Sorry!", idempotency_key="k1")
        found = await platform.find_reply(mention, "Sorry!")
        assert (found is not None) == landed
        if not landed:
            await platform.reply(mention, "Sorry!", idempotency_key="k1")
    assert len(fake.replies) == 1
    assert len(fake.containers) == (1 if landed else 2)  # an unpublished container is harmless


async def test_build_platform_makes_the_threads_adapter_from_config(fake: FakeThreads) -> None:
    settings = settings_from_dict(
        {"brand": {"name": "Acme", "keywords": ["acme"], "handles": {"threads": ["acme"]}},
         "sources": [{"platform": "threads", "base_url": fake.base_url}]},
        base_dir=ROOT, environ=ENV)
    platform = build_platform(settings.sources[0], settings, environ=ENV)
    assert isinstance(platform, ThreadsPlatform) and platform.platform == "threads"
    await platform.close()


# --- the real daemon against the fake

CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[publisher]
reconcile_after = "{reconcile}"
interval = "200ms"
undo_window = "0s"

[storage]
url = "{db}"

[[sources]]
platform = "threads"
base_url = "{url}"
interval = "1s"
timeout = "2s"
"""


def _config(tmp_path: Path, fake: FakeThreads, db: str, *, reconcile: str = "0s") -> Path:
    path = tmp_path / "brandbot.toml"
    path.write_text(CONFIG.format(db=db, url=fake.base_url, reconcile=reconcile))
    return path


async def _brandbot(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")} | ENV
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), *args, cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), 120)
    return proc.returncode or 0, out.decode()


def _complaints(fake: FakeThreads) -> list[str]:
    return [fake.add_post(None, f"cust{i}", f"brightwave internet down again {i}, nobody "
                          "answers, useless", ago(minutes=30 - i))["id"] for i in range(2)]


async def _approve_one(config: Path) -> dict[str, Any]:
    code, out = await _brandbot(config, "users", "add", "ann", "--role", "approver",
                                stdin="a long enough password\n")
    assert code == 0, out
    drafts = json.loads((await _brandbot(config, "queue", "list", "--json"))[1])
    draft = next(d for d in drafts if d["platform"] == "threads" and not d["flags"])
    code, out = await _brandbot(config, "queue", "approve", str(draft["id"]), "--as", "ann")
    assert code == 0, out
    return draft  # type: ignore[no-any-return]


async def test_the_daemon_stores_each_post_once_and_publishes_an_approved_reply_once(
        tmp_path: Path, fake: FakeThreads, db_url: Callable[..., str]) -> None:
    served = _complaints(fake)
    hostile = [fake.add_post(None, "h", text, ago(minutes=10))["id"] for text in (
        "<img src=x onerror=alert(1)> brightwave {{ 7*7 }} broke",
        "brightwave \ud800 lone surrogate outage", "brightwave " + "ж" * 300_000)]
    db = db_url()
    config = _config(tmp_path, fake, db)
    code, out = await _brandbot(config, "check-config")
    assert code == 0 and "keyword searches a day" in out, out
    logs = []
    for _ in range(2):
        code, out = await _brandbot(config, "--log-level", "debug", "run", "--once", "--no-web")
        assert code == 0, out
        logs.append(out)
    stored = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
    assert sorted(stored) == sorted(f"threads:{i}" for i in served + hostile)
    texts = dict(db_rows(db, "SELECT id, text FROM mentions"))
    assert texts[f"threads:{hostile[0]}"] == fake.media[hostile[0]]["text"]
    assert len(texts[f"threads:{hostile[2]}"]) == len("brightwave ") + 300_000

    draft = await _approve_one(config)
    for _ in range(2):
        code, out = await _brandbot(config, "run", "--once", "--no-web")
        assert code == 0, out
    assert len(fake.replies) == 1
    assert f"threads:{fake.replies[0]['reply_to_id']}" == draft["mention_id"]
    assert db_rows(db, f"SELECT status, posted_id FROM drafts WHERE id = {draft['id']}") == [
        ("posted", fake.replies[0]["id"])]
    # the token travels as a query parameter, and goes nowhere else
    assert all(TOKEN not in text for text in [*logs, out])
    assert TOKEN.encode() not in await asyncio.to_thread(_everything_stored, db)


@pytest.mark.parametrize("landed", [False, True], ids=["killed-between-steps",
                                                       "killed-after-publishing"])
async def test_a_daemon_killed_mid_reply_publishes_it_exactly_once(
        tmp_path: Path, fake: FakeThreads, db_url: Callable[..., str], landed: bool) -> None:
    _complaints(fake)
    db = db_url()
    # While it runs, the daemon must not settle the interrupted post itself: the kill does.
    config = _config(tmp_path, fake, db, reconcile="1h")
    code, out = await _brandbot(config, "run", "--once", "--no-web")
    assert code == 0, out
    draft = await _approve_one(config)
    if landed:  # Threads publishes it, then the connection drops before the answer
        fake.reset_next(after=True, path=PUBLISH, method="POST")
    else:  # the container is made; the publish is still pending when the process dies
        fake.hang_next(seconds=30, path=PUBLISH, method="POST")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")} | ENV
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "--config", str(config), "run", "--no-web",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        for _ in range(600):
            await asyncio.sleep(0.05)
            status = db_rows(db, f"SELECT status FROM drafts WHERE id = {draft['id']}")
            if (status == [("posting",)] and fake.requests_to(PUBLISH, "POST")
                    and len(fake.replies) == int(landed)):
                break
        else:
            raise AssertionError("the reply never got between its two steps")
    finally:
        proc.kill()
        await proc.wait()
    fake.clear_faults()
    assert len(fake.containers) == 1

    config = _config(tmp_path, fake, db)  # reconcile at once, as after any restart
    for _ in range(2):
        code, out = await _brandbot(config, "run", "--once", "--no-web")
        assert code == 0, out
    assert len(fake.replies) == 1
    assert f"threads:{fake.replies[0]['reply_to_id']}" == draft["mention_id"]
    assert db_rows(db, f"SELECT status, posted_id FROM drafts WHERE id = {draft['id']}") == [
        ("posted", fake.replies[0]["id"])]
    published = [c for c in fake.containers.values() if c["published_id"]]
    assert len(published) == 1 and len(fake.containers) == (1 if landed else 2)


async def test_backfill_fetches_what_a_first_run_never_saw_and_leaves_the_cursor(
        tmp_path: Path, fake: FakeThreads, db_url: Callable[..., str]) -> None:
    served = {f"threads:{fake.add_post(None, f'c{i}', f'brightwave outage day {i}', ago(hours=i + 1))['id']}"  # noqa: E501
              for i in range(130)}
    db = db_url()
    config = _config(tmp_path, fake, db)
    code, out = await _brandbot(config, "run", "--once", "--no-web")
    assert code == 0, out
    assert len(db_rows(db, "SELECT id FROM mentions")) == 100  # a first run: the newest page
    cursor = db_rows(db, "SELECT cursor FROM cursors WHERE source = 'threads'")
    code, out = await _brandbot(config, "backfill", "--since", "7d")
    assert code == 0, out
    stored = [r[0] for r in db_rows(db, "SELECT id FROM mentions")]
    assert sorted(stored) == sorted(served)
    assert db_rows(db, "SELECT cursor FROM cursors WHERE source = 'threads'") == cursor
