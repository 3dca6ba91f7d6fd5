"""The Mastodon adapter against the fake instance: listening, search, streaming, replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.models import Page
from monitor.platforms.base import AuthFailed, RateLimited, Refused, Unavailable
from monitor.platforms.mastodon import (
    MastodonCursor,
    MastodonPlatform,
    SseParser,
    api_root,
    build_query,
    reply_visibility,
    same_reply,
    status_to_mention,
    with_mention,
)
from monitor.platforms.text import html_to_text
from monitor.settings import Brand, MastodonSource
from tests.fakes import FakeMastodon
from tests.helpers import brandbot, drain

BRAND = Brand(name="Acme", keywords=["acme"], hashtags=["acme"])
ENV = {"MASTO_TOKEN": "masto-token"}


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


def make_source(fake: FakeMastodon, **options: Any) -> MastodonSource:
    """A source pointed at the fake, with a short timeout and a token variable."""
    return MastodonSource.model_validate({
        "platform": "mastodon", "base_url": fake.base_url, "timeout": "0.5s",
        "access_token_env": "MASTO_TOKEN", **options,
    })


@pytest.fixture
async def fake() -> AsyncIterator[FakeMastodon]:
    async with FakeMastodon() as server:
        yield server


@contextlib.asynccontextmanager
async def adapter(fake: FakeMastodon, *, brand: Brand = BRAND, token: bool = True,
                  **options: Any) -> AsyncIterator[MastodonPlatform]:
    platform = MastodonPlatform(make_source(fake, **options), brand,
                                environ=ENV if token else {}, heartbeat=0.05)
    try:
        yield platform
    finally:
        await platform.close()




def test_build_query_prefers_the_source_hashtags_and_quotes_phrases() -> None:
    brand = Brand(name="Acme", keywords=["acme", "acme cloud"], hashtags=["#AcmeDown", "acme"],
                  exclude=["acme festival", "spam"], languages=["en"])
    query = build_query(brand)
    assert query.hashtags == ("acmedown", "acme")
    assert query.searches == (
        ("acme", 'acme -"acme festival" -spam language:en'),
        ("acme cloud", '"acme cloud" -"acme festival" -spam language:en'),
    )
    assert build_query(brand, hashtags=["#Other"]).hashtags == ("other",)
    two_languages = brand.model_copy(update={"languages": ["en", "de"]})
    assert "language:" not in build_query(two_languages).searches[0][1]


def test_html_to_text_keeps_paragraphs_lines_and_link_text() -> None:
    html = (
        '<p>Is <a href="https://m.example/tags/acme" class="mention hashtag">#<span>acme</span>'
        '</a> down? &amp; &lt;why&gt;</p><p>line one<br />line two</p><p><a href="https://'
        'status.acme.example/incidents/1"><span class="invisible">https://</span><span class='
        '"ellipsis">status.acme.example/inc</span><span class="invisible">idents/1</span></a></p>'
    )
    assert html_to_text(html) == (
        "Is #acme down? & <why>\n\nline one\nline two\n\nhttps://status.acme.example/incidents/1"
    )
    assert html_to_text("") == "" and html_to_text(None) == ""


def test_cursor_round_trips_and_rejects_garbage() -> None:
    cursor = MastodonCursor.load('{"tags":{"acme":"12"},"search":{"acme":{"min_id":"9"}}}')
    assert cursor.tags == {"acme": "12"} and cursor.search["acme"].min_id == "9"
    assert MastodonCursor.load(cursor.dump()) == cursor
    with pytest.raises(ValueError, match="unreadable"):
        MastodonCursor.load("not json")


def test_reply_text_mentions_the_author_once() -> None:
    assert with_mention("sorry!", "bob@remote.example", local_domain="m.example") == (
        "@bob@remote.example sorry!"
    )
    assert with_mention("Hi @Bob@remote.example, sorry", "bob@remote.example",
                        local_domain="m.example") == "Hi @Bob@remote.example, sorry"
    assert with_mention("@alice sorry", "alice", local_domain="m.example") == "@alice sorry"
    assert with_mention("@alice@m.example ok", "alice", local_domain="m.example") == (
        "@alice@m.example ok"
    )
    assert same_reply("@bob sorry!  We are on it", "sorry! We are on it")
    assert not same_reply("@bob something else", "sorry!")


def test_sse_parser_ignores_heartbeats_and_joins_data_lines() -> None:
    parser = SseParser()
    lines = [":)", ":thump", "event: update", 'data: {"id":', 'data: "1"}', "", "", "data: x", ""]
    events = [e for line in lines if (e := parser.feed(line)) is not None]
    assert events == [("update", '{"id":\n"1"}'), ("message", "x")]


def test_api_root_needs_an_instance() -> None:
    assert api_root(MastodonSource(platform="mastodon", instance="mastodon.social")) == (
        "https://mastodon.social"
    )
    with pytest.raises(ValueError, match="instance"):
        api_root(MastodonSource(platform="mastodon"))


def test_status_with_spoiler_and_local_account() -> None:
    status = json.loads((__import__("pathlib").Path(__file__).parent / "fakes" / "samples"
                         / "mastodon_status.json").read_text())
    status["spoiler_text"] = "outage talk"
    mention = status_to_mention(status, local_domain="fallback.example")
    assert mention.text == "outage talk\n\n#hoot (hashtag toot)"
    assert mention.author.handle == "mastodonpy_test_2@localhost"
    assert mention.conversation_id == mention.native_id == "117020593741189701"


# --- listening


async def test_first_listen_returns_recent_posts_oldest_first_with_fields(
    fake: FakeMastodon,
) -> None:
    alice = fake.add_post(None, "alice", "Is #Acme down? bills & <fees>\n\nsecond part",
                          ago(minutes=9), followers_count=42, display_name="Alice A",
                          spoiler_text="billing", language="de")
    bob = fake.add_post(None, "bob@remote.example", "@alice same #acme", ago(minutes=5),
                        in_reply_to_id=alice["id"])
    fake.add_post(None, "carol", "#acme boosted", ago(minutes=3), reblog=alice)
    fake.add_post(None, "dave", "#other tag", ago(minutes=2))
    async with adapter(fake, token=False) as platform:
        page = await platform.listen(None)
    assert [m.native_id for m in page.mentions] == [alice["id"], bob["id"]]
    first, second = page.mentions
    assert first.text == "billing\n\nIs #Acme down? bills & <fees>\n\nsecond part"
    assert first.author.handle == "alice@mastodon.example"
    assert (first.author.native_id, first.author.display_name, first.author.followers) == (
        alice["account"]["id"], "Alice A", 42)
    assert first.url == alice["url"] and first.lang == "de"
    assert first.created_at == datetime.fromisoformat(alice["created_at"])
    assert first.metrics == {"replies": 1, "reposts": 0, "likes": 0}
    assert first.conversation_id == alice["id"] and first.in_reply_to is None
    assert second.author.handle == "bob@remote.example"
    assert second.in_reply_to == alice["id"] and second.conversation_id is None
    assert second.raw["id"] == bob["id"]
    assert page.has_more is False and page.rate_limit is not None
    assert page.rate_limit.limit == 300 and page.rate_limit.remaining == 299
    assert not fake.requests_to("/api/v2/search")


async def test_first_run_takes_the_newest_page_only(fake: FakeMastodon) -> None:
    posts = [fake.add_post(None, f"u{i}", f"#acme {i}", ago(minutes=60 - i)) for i in range(45)]
    async with adapter(fake, token=False) as platform:
        page = await platform.listen(None)
    assert [m.native_id for m in page.mentions] == [p["id"] for p in posts[5:]]
    assert not page.has_more
    assert "min_id" not in fake.requests_to("/api/v1/timelines/tag/acme")[0].query


async def test_paging_forward_returns_every_post_once_and_restarts_cleanly(
    fake: FakeMastodon,
) -> None:
    fake.add_post(None, "early", "#acme first", ago(minutes=30))
    async with adapter(fake, token=False) as platform:
        start = await platform.listen(None)
        new = [fake.add_post(None, f"u{i}", f"#acme {i}", ago(seconds=90 - i)) for i in range(45)]
        one = await platform.listen(start.next_cursor)
        assert len(one.mentions) == 40 and one.has_more
        two = await platform.listen(one.next_cursor)
        assert len(two.mentions) == 5 and not two.has_more
        assert [m.native_id for m in one.mentions + two.mentions] == [p["id"] for p in new]
        assert fake.requests_to("/api/v1/timelines/tag/acme")[-1].query["min_id"]
        again = await platform.listen(one.next_cursor)  # after a crash: same page, no gap
        assert [m.native_id for m in again.mentions] == [m.native_id for m in two.mentions]
        assert (await platform.listen(two.next_cursor)).mentions == ()
        later = fake.add_post(None, "late", "#acme later", ago(seconds=1))
        assert [m.native_id for m in (await platform.listen(two.next_cursor)).mentions] == [
            later["id"]]


async def test_keyword_search_with_a_token_pages_down_so_nothing_is_skipped(
    fake: FakeMastodon,
) -> None:
    both = fake.add_post(None, "alice", "#acme and acme again", ago(minutes=20))
    brand = BRAND.model_copy(update={"exclude": ["acme festival"]})
    async with adapter(fake, brand=brand) as platform:
        first = await platform.listen(None)
        assert [m.native_id for m in first.mentions] == [both["id"]]  # merged, deduped
        words = [fake.add_post(None, f"w{i}", f"acme word {i}", ago(seconds=120 - i))
                 for i in range(50)]
        fake.add_post(None, "fest", "acme festival tickets", ago(seconds=30))
        mentions, cursor = await drain(platform, first.next_cursor)
        assert sorted(m.native_id for m in mentions) == sorted(p["id"] for p in words)
        assert len(mentions) == 50
        searches = fake.requests_to("/api/v2/search")
        assert searches[0].query == {"q": 'acme -"acme festival"', "type": "statuses",
                                     "resolve": "false", "limit": "40"}
        assert any("max_id" in r.query for r in searches)
        assert (await platform.listen(cursor)).mentions == ()


async def test_rate_limit_raises_with_the_reset_time(fake: FakeMastodon) -> None:
    fake.rate_limit_next(reset_in=120)
    async with adapter(fake) as platform:
        with pytest.raises(RateLimited) as caught:
            await platform.listen(None)
    assert caught.value.reset_at is not None
    assert abs((caught.value.reset_at - ago(seconds=-120)).total_seconds()) < 5


@pytest.mark.parametrize("fault", ["fail", "hang", "reset", "malformed", "truncated"])
async def test_transient_failures_are_unavailable(fake: FakeMastodon, fault: str) -> None:
    fake.add_post(None, "alice", "#acme down", ago(minutes=1))
    {
        "fail": lambda: fake.fail_next(502, times=1),
        "hang": lambda: fake.hang_next(3),
        "reset": lambda: fake.reset_next(times=2),
        "malformed": fake.malformed_next,
        "truncated": fake.truncated_next,
    }[fault]()
    async with adapter(fake) as platform:
        with pytest.raises(Unavailable):
            await platform.listen(None)


async def test_refused_credentials_are_auth_failed(fake: FakeMastodon) -> None:
    async with adapter(fake) as platform:
        fake.expire_auth()
        with pytest.raises(AuthFailed):
            await platform.listen(None)
        fake.restore_auth()
        fake.fail_next(403, times=1)
        with pytest.raises(AuthFailed):
            await platform.listen(None)


async def test_an_instance_that_wants_a_token_says_so(fake: FakeMastodon) -> None:
    fake.fail_next(401, times=1)
    async with adapter(fake, token=False) as platform:
        with pytest.raises(AuthFailed, match="access_token_env"):
            await platform.listen(None)


async def test_an_unknown_tag_is_an_empty_page(fake: FakeMastodon) -> None:
    fake.fail_next(404, times=1, path="/api/v1/timelines/tag/")
    async with adapter(fake, token=False) as platform:
        page = await platform.listen(None)
    assert page.mentions == () and not page.has_more


# --- replying


async def test_reply_lands_on_the_thread_and_a_retry_does_not_double_post(
    fake: FakeMastodon,
) -> None:
    fake.add_post(None, "bob@remote.example", "#acme charged me twice", ago(minutes=3))
    async with adapter(fake) as platform:
        (mention,) = (await platform.listen(None)).mentions
        posted = await platform.reply(mention, "Sorry! DM us.", idempotency_key="draft-1")
        again = await platform.reply(mention, "Sorry! DM us.", idempotency_key="draft-1")
    assert again == posted and len(fake.replies) == 1
    assert fake.replies[0] == {
        "id": posted.native_id, "in_reply_to_id": mention.native_id,
        "text": "@bob@remote.example Sorry! DM us.", "visibility": "public",
        "idempotency_key": "draft-1",
    }
    assert posted.url == fake.statuses[posted.native_id]["url"]


async def test_replies_we_cannot_make_are_refused(fake: FakeMastodon) -> None:
    status = fake.add_post(None, "bob", "#acme help", ago(minutes=3))
    async with adapter(fake) as platform:
        (mention,) = (await platform.listen(None)).mentions
        with pytest.raises(Refused, match="character limit"):
            await platform.reply(mention, "x" * 600, idempotency_key="k1")
        fake.delete_post(status["id"])
        with pytest.raises(Refused, match="404"):
            await platform.reply(mention, "hi", idempotency_key="k2")
    assert fake.replies == []


def test_a_reply_is_never_seen_more_widely_than_the_post_it_answers() -> None:
    assert [reply_visibility(v) for v in ("public", "unlisted", "private", "direct")] == [
        "public", "unlisted", "private", "direct"]
    assert reply_visibility("public", "unlisted") == "unlisted"
    assert reply_visibility(None) == "public"  # a status without the field
    assert reply_visibility("limited") == "direct"  # a fork's audience we cannot place


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
async def test_a_reply_keeps_the_audience_of_the_mention(fake: FakeMastodon,
                                                          visibility: str) -> None:
    # followers-only and direct mentions of our account reach us through search; answering
    # one in public would show everyone what the customer told few
    fake.add_post(None, "bob", "@brandbot acme billed me twice", ago(minutes=3),
                  visibility=visibility)
    async with adapter(fake, hashtags=["nothing"]) as platform:
        (mention,) = (await platform.listen(None)).mentions
        await platform.reply(mention, "Sorry, Bob! We'll fix it.", idempotency_key="d1")
    assert [r["visibility"] for r in fake.replies] == [visibility]
    assert fake.replies[0]["text"].startswith("@bob ")  # the mention delivers a private reply


async def test_keyword_search_finds_only_posts_of_accounts_that_opted_in(
        fake: FakeMastodon) -> None:
    # Mastodon's full-text search covers public posts of `indexable` accounts (and posts that
    # mention us); hashtag timelines carry every public post
    fake.account("carol", indexable=False)
    hidden = fake.add_post(None, "carol", "acme lost my parcel", ago(minutes=5))
    found = fake.add_post(None, "dave", "acme lost mine too", ago(minutes=4))
    tagged = fake.add_post(None, "carol", "#acme and again today", ago(minutes=3))
    async with adapter(fake, hashtags=["acme"]) as platform:
        page = await platform.listen(None)
    assert {m.native_id for m in page.mentions} == {found["id"], tagged["id"]}
    assert hidden["id"] not in {m.native_id for m in page.mentions}


def test_check_config_says_what_keyword_search_can_reach(tmp_path: Path) -> None:
    config = tmp_path / "brandbot.toml"
    source = '[[sources]]\nplatform = "mastodon"\ninstance = "mastodon.example"\n'
    config.write_text('[brand]\nname = "Acme"\nkeywords = ["acme"]\n\n' + source
                      + 'access_token_env = "MASTO_TOKEN"\n')
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path)
    # the token's variable unset: the daemon could not search, and check-config says why
    assert result.returncode == 2 and "MASTO_TOKEN is not set" in result.stderr, result.stderr
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path,
                      env={"MASTO_TOKEN": "t"})
    assert result.returncode == 0, result.stderr
    assert ("keyword search finds only posts by accounts that opted into search (indexable), "
            "on instances with full-text search enabled") in result.stdout
    config.write_text('[brand]\nname = "Acme"\nkeywords = ["acme"]\n\n' + source
                      + 'hashtags = ["acme"]\n')
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "keywords are not searched (keyword search needs access_token_env)" in result.stdout


async def test_reply_without_a_token_is_auth_failed(fake: FakeMastodon) -> None:
    fake.add_post(None, "bob", "#acme help", ago(minutes=3))
    async with adapter(fake, token=False) as platform:
        (mention,) = (await platform.listen(None)).mentions
        with pytest.raises(AuthFailed, match="access_token_env"):
            await platform.reply(mention, "hi", idempotency_key="k")


async def test_find_reply_finds_only_our_reply_with_that_text(fake: FakeMastodon) -> None:
    fake.add_post(None, "bob@remote.example", "#acme is down", ago(minutes=3))
    async with adapter(fake) as platform:
        (mention,) = (await platform.listen(None)).mentions
        assert await platform.find_reply(mention, "On it!") is None
        fake.add_post(None, "mallory", "On it!", ago(seconds=5), in_reply_to_id=mention.native_id)
        assert await platform.find_reply(mention, "On it!") is None
        posted = await platform.reply(mention, "On it!", idempotency_key="d1")
        assert await platform.find_reply(mention, "On it!") == posted
        assert await platform.find_reply(mention, "Something else") is None
    assert len(fake.requests_to("/api/v1/accounts/verify_credentials")) == 1


# --- streaming


async def _next(pages: AsyncGenerator[Page, None]) -> Page:
    return await asyncio.wait_for(anext(pages), 3)


async def test_stream_catches_up_follows_events_and_resumes_after_a_drop() -> None:
    tags_only = Brand(name="Acme", hashtags=["acme"])
    async with FakeMastodon(heartbeat=0.05) as fake, adapter(fake, brand=tags_only) as platform:
        fake.add_post(None, "alice", "#acme one", ago(minutes=5))
        start = await platform.listen(None)
        missed = fake.add_post(None, "bob", "#acme two", ago(minutes=1))
        async with contextlib.aclosing(platform.stream(start.next_cursor)) as pages:
            catch_up = await _next(pages)
            assert [m.native_id for m in catch_up.mentions] == [missed["id"]]
            live = fake.add_post(None, "carol", "#acme three", ago(seconds=1))
            fake.add_post(None, "dave", "#unrelated", ago(seconds=1))
            page = await _next(pages)
            assert [m.native_id for m in page.mentions] == [live["id"]]
            assert page.mentions[0].author.handle == "carol@mastodon.example"
            await asyncio.sleep(0.2)  # heartbeats keep a quiet stream alive
            fake.drop_streams()
            with pytest.raises(Unavailable, match="ended"):
                await _next(pages)
        while_away = fake.add_post(None, "erin", "#acme four", ago(seconds=1))
        async with contextlib.aclosing(platform.stream(page.next_cursor)) as pages:
            resumed = await _next(pages)
        assert [m.native_id for m in resumed.mentions] == [while_away["id"]]
        stream_requests = fake.requests_to("/api/v1/streaming/hashtag")
        assert stream_requests and stream_requests[0].query == {"tag": "acme"}


async def test_a_post_made_while_catching_up_is_served_once() -> None:
    tags_only = Brand(name="Acme", hashtags=["acme"])
    async with FakeMastodon(heartbeat=0.05) as fake, adapter(fake, brand=tags_only) as platform:
        fake.hang_next(0.3, path="/api/v1/timelines/tag/")  # hold the catch-up request
        async with contextlib.aclosing(platform.stream(None)) as pages:
            catching_up = asyncio.ensure_future(_next(pages))
            for _ in range(100):
                if fake.streams:
                    break
                await asyncio.sleep(0.01)
            during = fake.add_post(None, "bob", "#acme during catch-up", ago(seconds=1))
            assert ids_of(await catching_up) == [during["id"]]
            after = fake.add_post(None, "carol", "#acme after", ago(seconds=1))
            assert ids_of(await _next(pages)) == [after["id"]]


def ids_of(page: Page) -> list[str]:
    return [m.native_id for m in page.mentions]


async def test_a_silent_stream_is_unavailable() -> None:
    async with FakeMastodon(heartbeat=60) as fake, adapter(fake) as platform:
        async with contextlib.aclosing(platform.stream(None)) as pages:
            await _next(pages)
            with pytest.raises(Unavailable, match="silent"):
                await _next(pages)


async def test_streaming_needs_a_valid_token(fake: FakeMastodon) -> None:
    async with adapter(fake, token=False) as platform:
        with pytest.raises(AuthFailed):
            await anext(platform.stream(None))
    async with adapter(fake) as platform:
        fake.expire_auth()
        with pytest.raises(AuthFailed):
            await anext(platform.stream(None))


def test_a_streaming_url_that_drops_encryption_is_refused() -> None:
    from monitor.platforms.mastodon import streaming_root

    assert streaming_root("https://mastodon.social", "wss://streaming.mastodon.social") == \
        "https://streaming.mastodon.social"
    assert streaming_root("http://127.0.0.1:8081", "ws://127.0.0.1:8082") == \
        "http://127.0.0.1:8082"  # a local test server, plain on both sides
    with pytest.raises(Refused, match="not encrypted"):
        streaming_root("https://mastodon.social", "ws://streaming.mastodon.social")
