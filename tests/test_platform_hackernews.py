"""The Hacker News adapter against the fake Algolia API: listening, paging, errors."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from monitor.platforms.base import RateLimited, Refused, Unavailable
from monitor.platforms.hackernews import (
    HackerNewsPlatform,
    build_query,
    dump_cursor,
    load_cursor,
    mentions_term,
)
from monitor.settings import Brand, HackerNewsSource
from tests.fakes import FakeHackerNews
from tests.helpers import drain, ids

BRAND = Brand(name="Acme", keywords=["acme"])


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture
async def fake() -> AsyncIterator[FakeHackerNews]:
    async with FakeHackerNews() as server:
        yield server


@contextlib.asynccontextmanager
async def adapter(fake: FakeHackerNews, *, brand: Brand = BRAND,
                  **options: Any) -> AsyncIterator[HackerNewsPlatform]:
    source = HackerNewsSource.model_validate(
        {"platform": "hackernews", "base_url": fake.base_url, "timeout": "0.5s"}
    )
    platform = HackerNewsPlatform(source, brand, environ={}, **options)
    try:
        yield platform
    finally:
        await platform.close()




# --- pure helpers


def test_build_query_one_query_per_keyword_with_exclusions() -> None:
    brand = Brand(name="Acme", keywords=["acme", "acme cloud", "acme"],
                  exclude=["spam", "acme festival"])
    assert build_query(brand) == (("acme", "acme -spam"), ("acme cloud", '"acme cloud" -spam'))
    assert build_query(Brand(name="Acme", hashtags=["AcmeDown"])) == (("AcmeDown", "AcmeDown"),)


def test_mentions_term_drops_typo_matches() -> None:
    assert mentions_term({"comment_text": "I use Acme&#x27;s API"}, "acme")
    assert mentions_term({"title": "Show HN", "url": "https://acme.example/"}, "acme")
    assert not mentions_term({"comment_text": "my acne is back"}, "acme")
    assert mentions_term({"comment_text": "acme <i>cloud</i> is down"}, "acme cloud")


def test_mentions_term_wants_whole_words() -> None:
    assert not mentions_term({"comment_text": "moving to Acmeville next year"}, "acme")
    assert not mentions_term({"comment_text": "acme corporate retreat"}, "acme corp")
    assert mentions_term({"title": "Acme-Corp outage"}, "acme corp")
    assert mentions_term({"comment_text": "Acmeの障害"}, "acme")  # Japanese has no spaces
    assert mentions_term({"comment_text": "アクメの障害"}, "アクメ")


def test_cursor_round_trips_and_rejects_garbage() -> None:
    text = '{"terms":{"acme":{"ts":100,"seen":{"7":100},"window":{"top":100,"upper":90,"page":2}}}}'
    states = load_cursor(text)
    assert states["acme"].window is not None and states["acme"].window.upper == 90
    assert load_cursor(dump_cursor(states)) == states
    with pytest.raises(ValueError, match="unreadable"):
        load_cursor('{"terms": {"acme": {}}}')


# --- listening


async def test_first_listen_returns_stories_and_comments_oldest_first(
    fake: FakeHackerNews,
) -> None:
    story = fake.add_post("100", "pg", "We made <Acme> faster\n\nDetails & more", ago(minutes=30),
                          title="Show HN: Acme 2.0", url="https://acme.example/")
    comment = fake.add_post("101", "alice", "acme's API/SDK <broke>\n\nagain", ago(minutes=10),
                            story_id=100)
    fake.add_post("102", "bob", "unrelated", ago(minutes=5), story_id=100)
    async with adapter(fake) as platform:
        page = await platform.listen(None)
    assert ids(page.mentions) == ["100", "101"]
    first, second = page.mentions
    assert first.text == "Show HN: Acme 2.0\n\nWe made <Acme> faster\n\nDetails & more"
    assert first.author.native_id == first.author.handle == "pg"
    assert first.url == "https://news.ycombinator.com/item?id=100"
    assert first.created_at == datetime.fromtimestamp(story["created_at_i"], UTC)
    assert first.in_reply_to is None and first.conversation_id == "100"
    assert first.metrics == {"score": 1, "replies": 2}
    assert second.text == "acme's API/SDK <broke>\n\nagain"
    assert second.in_reply_to == "100" and second.conversation_id == "100"
    assert second.metrics == {} and "_highlightResult" not in second.raw
    assert second.raw["objectID"] == comment["objectID"]
    assert page.has_more is False and page.rate_limit is None
    (request,) = fake.requests_to("/api/v1/search_by_date")
    assert request.query == {"query": "acme", "tags": "(story,comment)", "hitsPerPage": "100",
                             "page": "0"}


async def test_first_run_takes_the_newest_page_only(fake: FakeHackerNews) -> None:
    posts = [fake.add_post(None, f"u{i}", f"acme {i}", ago(minutes=200 - i)) for i in range(105)]
    async with adapter(fake) as platform:
        page = await platform.listen(None)
    assert ids(page.mentions) == [p["objectID"] for p in posts[5:]] and not page.has_more


async def test_paging_returns_every_post_once_and_restarts_cleanly(fake: FakeHackerNews) -> None:
    fake.add_post(None, "early", "acme first", ago(hours=1))
    async with adapter(fake) as platform:
        start = await platform.listen(None)
        new = [fake.add_post(None, f"u{i}", f"acme {i}", ago(seconds=600 - i)) for i in range(250)]
        one = await platform.listen(start.next_cursor)
        assert len(one.mentions) == 100 and one.has_more
        two = await platform.listen(one.next_cursor)
        assert fake.requests_to("/api/v1/search_by_date")[-1].query["page"] == "1"
        again = await platform.listen(one.next_cursor)  # after a crash: the same page again
        assert ids(again.mentions) == ids(two.mentions)
        rest, cursor = await drain(platform, two.next_cursor)
        seen = ids(one.mentions) + ids(two.mentions) + ids(rest)
        assert sorted(seen) == sorted(p["objectID"] for p in new) and len(seen) == 250
        assert (await platform.listen(cursor)).mentions == ()
        later = fake.add_post(None, "late", "acme later", ago(seconds=1))
        assert ids((await platform.listen(cursor)).mentions) == [later["objectID"]]


@pytest.mark.parametrize("lookback", [timedelta(0), timedelta(minutes=5)])
async def test_posts_in_the_same_second_are_neither_skipped_nor_repeated(
    fake: FakeHackerNews, lookback: timedelta
) -> None:
    second = int(ago(minutes=2).timestamp())
    first = [fake.add_post(None, f"u{i}", f"acme {i}", second) for i in range(3)]
    async with adapter(fake, lookback=lookback) as platform:
        page = await platform.listen(None)
        assert sorted(ids(page.mentions)) == sorted(p["objectID"] for p in first)
        same = fake.add_post(None, "late", "acme same second", second)
        again = await platform.listen(page.next_cursor)
        assert ids(again.mentions) == [same["objectID"]]
        assert (await platform.listen(again.next_cursor)).mentions == ()


async def test_items_indexed_late_are_still_returned(fake: FakeHackerNews) -> None:
    fake.add_post(None, "a", "acme one", ago(minutes=1))
    async with adapter(fake) as platform:
        page = await platform.listen(None)
        late = fake.add_post(None, "b", "acme written earlier, indexed now", ago(minutes=3))
        assert ids((await platform.listen(page.next_cursor)).mentions) == [late["objectID"]]


async def test_words_that_only_begin_with_the_brand_are_dropped(fake: FakeHackerNews) -> None:
    # Algolia takes the last query word as a prefix: "acme" also finds "Acmeville"
    real = fake.add_post(None, "alice", "acme ate my data", ago(minutes=3))
    fake.add_post(None, "bob", "Acmeville council outage", ago(minutes=2), title="Acmeville")
    fake.add_post(None, "carol", "the acmes of their careers", ago(minutes=1))
    async with aiohttp.ClientSession(fake.base_url) as session:
        async with session.get("/api/v1/search_by_date", params={"query": "acme"}) as response:
            assert (await response.json())["nbHits"] == 3  # the fake answers as Algolia does
    async with adapter(fake) as platform:
        page = await platform.listen(None)
    assert ids(page.mentions) == [real["objectID"]]


async def test_one_query_per_keyword_merged_and_deduped(fake: FakeHackerNews) -> None:
    both = fake.add_post(None, "a", "acme widget broke", ago(minutes=3))
    widget = fake.add_post(None, "b", "widget only", ago(minutes=2))
    brand = Brand(name="Acme", keywords=["acme", "widget"])
    async with adapter(fake, brand=brand) as platform:
        page = await platform.listen(None)
    assert ids(page.mentions) == [both["objectID"], widget["objectID"]]
    assert [r.query["query"] for r in fake.requests_to("/api/v1/search_by_date")] == [
        "acme", "widget"]


async def test_more_than_algolias_1000_hit_limit_is_still_paged_through(
    fake: FakeHackerNews,
) -> None:
    fake.add_post(None, "early", "acme first", ago(hours=2))
    async with adapter(fake) as platform:
        start = await platform.listen(None)
        new = [fake.add_post(None, f"u{i}", f"acme {i}", ago(seconds=1200 - i))
               for i in range(1100)]
        mentions, _ = await drain(platform, start.next_cursor)
    assert len(mentions) == 1100
    assert sorted(ids(mentions)) == sorted(p["objectID"] for p in new)


async def test_an_unreadable_item_is_a_problem_not_a_failure(fake: FakeHackerNews) -> None:
    gone = fake.add_post(None, "a", "acme gone", ago(minutes=3))
    gone["author"] = None
    kept = fake.add_post(None, "b", "acme kept", ago(minutes=2))
    async with adapter(fake) as platform:
        page = await platform.listen(None)
    assert ids(page.mentions) == [kept["objectID"]]
    assert page.problems and gone["objectID"] in page.problems[0]


# --- errors and replies


async def test_rate_limit_has_no_reset_time(fake: FakeHackerNews) -> None:
    fake.rate_limit_next()
    async with adapter(fake) as platform:
        with pytest.raises(RateLimited) as caught:
            await platform.listen(None)
    assert caught.value.reset_at is None


@pytest.mark.parametrize("fault", ["fail", "hang", "reset", "malformed", "truncated", "bad"])
async def test_transient_failures_are_unavailable(fake: FakeHackerNews, fault: str) -> None:
    fake.add_post(None, "alice", "acme down", ago(minutes=1))
    {
        "fail": lambda: fake.fail_next(503, times=1),
        "hang": lambda: fake.hang_next(3),
        "reset": lambda: fake.reset_next(times=2),
        "malformed": fake.malformed_next,
        "truncated": fake.truncated_next,
        "bad": lambda: fake.fail_next(400, times=1),
    }[fault]()
    async with adapter(fake) as platform:
        with pytest.raises(Unavailable):
            await platform.listen(None)


async def test_replies_are_refused_and_never_found(fake: FakeHackerNews) -> None:
    fake.add_post(None, "alice", "acme down", ago(minutes=1))
    async with adapter(fake) as platform:
        (mention,) = (await platform.listen(None)).mentions
        with pytest.raises(Refused, match="no write API"):
            await platform.reply(mention, "sorry", idempotency_key="k")
        assert await platform.find_reply(mention, "sorry") is None


def test_a_brand_without_terms_is_a_config_error() -> None:
    source = HackerNewsSource(platform="hackernews")
    with pytest.raises(ValueError, match="keywords"):
        HackerNewsPlatform(source, Brand(name="Acme", handles={"x": ["acme"]}), environ={})
