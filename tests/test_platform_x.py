"""The X adapter against the fake X API: search paging, errors, replies and reconciling."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from yarl import URL

from monitor.models import Mention
from monitor.platforms.base import AuthFailed, RateLimited, Refused, Unavailable
from monitor.platforms.x import (
    XCursor,
    XPlatform,
    build_query,
    parse_rate_limit,
    plan_search,
    rate_limit_reset,
    rebase,
    tweet_to_mention,
)
from monitor.settings import Brand, XSource
from responders.voice import Voice
from tests.fakes import FakeX
from tests.fakes.x import snowflake

OAUTH1 = {"X_CK": "ck", "X_CS": "cs", "X_AT": "at", "X_ATS": "ats"}
BRAND = Brand(name="Acme", keywords=["acme", "acme corp"], hashtags=["acmehelp"],
              handles={"x": ["AcmeSupport"], "reddit": ["acme_official"]},
              exclude=["acme bricks"], languages=["en"])


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


def make(fake: FakeX, *, brand: Brand = BRAND, environ: dict[str, str] | None = None,
         **options: Any) -> XPlatform:
    """An adapter pointed at the fake, with OAuth 1.0a reply keys unless told otherwise."""
    source = XSource.model_validate({
        "platform": "x", "base_url": fake.base_url, "timeout": "5s", "max_results": 10,
        "consumer_key_env": "X_CK", "consumer_secret_env": "X_CS",
        "access_token_env": "X_AT", "access_token_secret_env": "X_ATS", **options,
    })
    env = {"X_BEARER_TOKEN": fake.bearer_token, **OAUTH1} if environ is None else environ
    return XPlatform(source, brand, environ=env)


@pytest.fixture
async def fake() -> AsyncIterator[FakeX]:
    async with FakeX() as server:
        yield server


@pytest.fixture
async def x(fake: FakeX) -> AsyncIterator[XPlatform]:
    platform = make(fake)
    yield platform
    await platform.close()


async def drain(platform: XPlatform, cursor: str | None) -> tuple[list[str], str | None]:
    """Listen until the source has nothing more; every id served, and the last cursor."""
    ids: list[str] = []
    while True:
        page = await platform.listen(cursor)
        ids += [m.native_id for m in page.mentions]
        cursor = page.next_cursor
        if not page.has_more:
            return ids, cursor


# --- pure helpers


def test_query_ors_the_brand_terms_and_applies_exclusions_and_languages() -> None:
    assert build_query(BRAND) == (
        '(acme OR "acme corp" OR #acmehelp OR @AcmeSupport) -"acme bricks" -is:retweet lang:en'
    )
    several = Brand(name="Acme", keywords=['say "hi"', "acme-corp"], exclude=["spam"],
                    languages=["en", "de"])
    assert build_query(several) == (
        '("say hi" OR "acme-corp") -spam -is:retweet (lang:en OR lang:de)'
    )


def test_query_needs_x_terms_and_must_fit_512_characters() -> None:
    with pytest.raises(ValueError, match="keyword, hashtag or X handle"):
        build_query(Brand(name="Acme", handles={"reddit": ["acme"]}))
    wordy = Brand(name="Acme", keywords=[f"acme product number {i}" for i in range(30)])
    with pytest.raises(ValueError, match="512-character limit"):
        build_query(wordy)


def test_a_since_id_older_than_seven_days_becomes_a_start_time() -> None:
    now = datetime.now(UTC)
    stale = XCursor(since_id=snowflake(now - timedelta(days=8)), next_token="t", newest_id="9")
    planned = plan_search(stale, now=now)
    assert planned == XCursor(start_time=now - timedelta(days=7) + timedelta(minutes=1))
    fresh = XCursor(since_id=snowflake(now - timedelta(days=6)), next_token="t", newest_id="9")
    assert plan_search(fresh, now=now) == fresh
    assert XCursor.loads(planned.dumps()) == planned


def test_rate_limit_headers_are_epoch_seconds() -> None:
    headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "3",
               "x-rate-limit-reset": "1900000000"}
    limit = parse_rate_limit(headers)
    assert limit is not None and (limit.limit, limit.remaining) == (450, 3)
    assert limit.reset_at == datetime.fromtimestamp(1900000000, UTC)
    assert parse_rate_limit({}) is None
    daily = {**headers, "x-user-limit-24hour-remaining": "0",
             "x-user-limit-24hour-reset": "1900050000"}
    assert rate_limit_reset(daily) == datetime.fromtimestamp(1900050000, UTC)


def test_rebase_moves_only_scheme_host_and_port() -> None:
    signed = URL("https://api.twitter.com/2/users/me?oauth_nonce=a%2Fb&t=10%3A00", encoded=True)
    moved = rebase(signed, URL("http://127.0.0.1:8123"))
    assert str(moved) == "http://127.0.0.1:8123/2/users/me?oauth_nonce=a%2Fb&t=10%3A00"
    assert str(rebase(signed, URL("https://proxy.example"))).startswith("https://proxy.example/2/")


def test_a_tweet_without_its_author_expanded_still_reads() -> None:
    mention = tweet_to_mention(
        {"id": "1460323737035677698", "text": "acme &gt; rivals", "author_id": "42",
         "lang": "und"},
        None,
    )
    assert (mention.author.handle, mention.author.native_id) == ("42", "42")
    assert mention.url == "https://x.com/i/web/status/1460323737035677698"
    assert mention.text == "acme > rivals" and mention.lang is None
    assert mention.created_at == datetime(2021, 11, 15, 19, 8, 5, 69000, tzinfo=UTC)


# --- listening


async def test_first_listen_returns_recent_matching_tweets_oldest_first(
    fake: FakeX, x: XPlatform
) -> None:
    fake.user("carol", followers_count=12_345, name="Carol C")
    root = fake.add_post(None, "carol", "acme ate my order & refund <now>", ago(minutes=30))
    reply = fake.add_post(None, "dave", "@AcmeSupport same here", ago(minutes=20),
                          reply_to=root["id"])
    fake.add_post(None, "erin", "we sell acme bricks", ago(minutes=15))
    fake.add_post(None, "erin", "RT @carol: acme ate my order", ago(minutes=14))
    fake.add_post(None, "frank", "acme ist kaputt", ago(minutes=13), lang="de")
    fake.add_post(None, "frank", "nothing to see", ago(minutes=12))
    fake.add_post(None, "gina", "acme corp from last week", ago(days=8))

    page = await x.listen(None)

    assert [m.native_id for m in page.mentions] == [root["id"], reply["id"]]
    first, second = page.mentions
    assert first.text == "acme ate my order & refund <now>"
    assert first.author.handle == "carol" and first.author.display_name == "Carol C"
    assert first.author.followers == 12_345
    assert first.author.native_id == fake.users["carol"]["id"]
    assert first.url == f"https://x.com/carol/status/{root['id']}"
    assert first.created_at == datetime.fromisoformat(root["created_at"])
    assert first.lang == "en" and first.in_reply_to is None
    assert second.in_reply_to == root["id"] and second.conversation_id == root["id"]
    assert first.metrics["reply_count"] == 1
    assert first.raw["user"]["username"] == "carol" and first.raw["id"] == root["id"]
    assert not page.has_more and page.problems == ()
    assert page.rate_limit is not None and page.rate_limit.limit == 450
    assert page.rate_limit.remaining == 449
    sent = fake.requests_to("/2/tweets/search/recent")[0].query
    assert sent["query"] == build_query(BRAND) and sent["max_results"] == "10"
    assert "since_id" not in sent and "start_time" not in sent


async def test_a_long_post_arrives_whole_from_its_note_tweet(fake: FakeX, x: XPlatform) -> None:
    # a post over 280 (X Premium) comes with `text` cut short; its whole text is note_tweet's
    story = ("acme cut my line on Monday & again on Tuesday. " * 4 + "Three calls, two "
             "engineers who never came, a bill for a month I had no service. <Fix it> "
             "or I am leaving after nine years.")
    posted = fake.add_post(None, "carol", story, ago(minutes=3))
    assert len(story) > 280 and posted["text"] != story  # what X puts in `text`
    page = await x.listen(None)
    assert [m.text for m in page.mentions] == [story]
    sent = fake.requests_to("/2/tweets/search/recent")[-1].query
    assert "note_tweet" in sent["tweet.fields"].split(",")


async def test_several_languages_are_alternatives(fake: FakeX) -> None:
    brand = Brand(name="Acme", keywords=["acme"], languages=["en", "de"])
    english = fake.add_post(None, "alice", "acme is down", ago(minutes=3))
    german = fake.add_post(None, "bernd", "acme ist kaputt", ago(minutes=2), lang="de")
    fake.add_post(None, "chloe", "acme est en panne", ago(minutes=1), lang="fr")
    platform = make(fake, brand=brand)
    page = await platform.listen(None)
    assert [m.native_id for m in page.mentions] == [english["id"], german["id"]]
    assert [m.lang for m in page.mentions] == ["en", "de"]
    await platform.close()


async def test_first_listen_takes_only_the_latest_page(fake: FakeX, x: XPlatform) -> None:
    posts = [fake.add_post(None, f"user{i}", f"acme {i}", ago(minutes=60 - i)) for i in range(25)]
    page = await x.listen(None)
    assert [m.native_id for m in page.mentions] == [p["id"] for p in posts[-10:]]
    assert not page.has_more
    assert XCursor.loads(page.next_cursor or "") == XCursor(since_id=posts[-1]["id"])


async def test_paging_serves_every_tweet_once_and_later_tweets_next(
    fake: FakeX, x: XPlatform
) -> None:
    fake.add_post(None, "alice", "acme first", ago(minutes=90))
    _, cursor = await drain(x, None)
    burst = [fake.add_post(None, f"user{i}", f"acme {i}", ago(minutes=80 - i)) for i in range(25)]

    first = await x.listen(cursor)
    assert first.has_more and len(first.mentions) == 10
    late = fake.add_post(None, "zed", "acme late", ago(seconds=1))  # arrives mid-walk
    rest, cursor = await drain(x, first.next_cursor)

    served = [m.native_id for m in first.mentions] + rest
    assert sorted(served) == sorted(p["id"] for p in burst)
    assert len(served) == len(set(served))
    assert late["id"] not in served
    again, cursor = await drain(x, cursor)
    assert again == [late["id"]]
    nothing = await x.listen(cursor)
    assert nothing.mentions == () and not nothing.has_more


async def test_restarting_from_a_saved_cursor_repeats_and_skips_nothing(fake: FakeX) -> None:
    fake.add_post(None, "alice", "acme first", ago(minutes=90))
    before = make(fake)
    _, cursor = await drain(before, None)
    burst = [fake.add_post(None, f"user{i}", f"acme {i}", ago(minutes=80 - i)) for i in range(25)]
    page = await before.listen(cursor)
    saved = page.next_cursor  # stored with the page; then the process dies
    served = [m.native_id for m in page.mentions]
    await before.close()

    after = make(fake)
    rest, _ = await drain(after, saved)
    await after.close()
    served += rest
    assert sorted(served) == sorted(p["id"] for p in burst) and len(served) == 25


async def test_an_empty_first_run_still_catches_the_next_tweets(
    fake: FakeX, x: XPlatform
) -> None:
    page = await x.listen(None)
    assert page.mentions == ()
    new = fake.add_post(None, "alice", "acme is down", ago(seconds=2))
    ids, _ = await drain(x, page.next_cursor)
    assert ids == [new["id"]]


async def test_a_week_old_cursor_falls_back_to_a_start_time(fake: FakeX, x: XPlatform) -> None:
    recent = fake.add_post(None, "alice", "acme is down", ago(days=2))
    stale = XCursor(since_id=snowflake(ago(days=8))).dumps()
    ids, cursor = await drain(x, stale)
    assert ids == [recent["id"]]
    sent = fake.requests_to("/2/tweets/search/recent")[-1].query
    assert "since_id" not in sent and "start_time" in sent
    assert XCursor.loads(cursor or "") == XCursor(since_id=recent["id"])


# --- listening failures


async def test_429_is_rate_limited_until_the_header_reset(fake: FakeX, x: XPlatform) -> None:
    fake.rate_limit_next(reset_in=120)
    with pytest.raises(RateLimited) as caught:
        await x.listen(None)
    assert caught.value.reset_at is not None
    assert abs(caught.value.reset_at.timestamp() - (time.time() + 120)) < 3


@pytest.mark.parametrize("fault", ["500", "503", "hang", "reset", "malformed", "truncated"])
async def test_transient_failures_are_unavailable(fake: FakeX, x: XPlatform, fault: str) -> None:
    fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    if fault.isdigit():
        fake.fail_next(int(fault), times=1)
    elif fault == "hang":
        # (the other tests give a loaded machine 5 s; this one is about giving up)
        x = make(fake, timeout="0.5s")
        fake.hang_next(5)
    elif fault == "reset":
        fake.reset_next(times=2)  # aiohttp retries an idempotent GET once by itself
    else:
        getattr(fake, f"{fault}_next")()
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable):
            await x.listen(None)
        assert time.monotonic() - started < 3
        assert len((await x.listen(None)).mentions) == 1  # and the next poll works
    finally:
        if fault == "hang":
            await x.close()


async def test_refused_or_missing_credentials_are_auth_failed(fake: FakeX) -> None:
    fake.expire_auth()
    platform = make(fake)
    with pytest.raises(AuthFailed, match="401"):
        await platform.listen(None)
    await platform.close()
    fake.restore_auth()
    unset = make(fake, environ={})
    with pytest.raises(AuthFailed, match="X_BEARER_TOKEN") as caught:
        await unset.listen(None)
    assert fake.bearer_token not in str(caught.value)


# --- replying


async def _mention(fake: FakeX, x: XPlatform, **extra: Any) -> Mention:
    fake.add_post(None, "carol", "acme ate my order", ago(minutes=5), **extra)
    page = await x.listen(None)
    return page.mentions[-1]


async def test_reply_with_oauth1_lands_on_the_thread(fake: FakeX, x: XPlatform) -> None:
    mention = await _mention(fake, x)
    posted = await x.reply(mention, "Sorry & thanks, DM us?", idempotency_key="draft-1")
    assert fake.replies == [{
        "id": posted.native_id, "text": "Sorry & thanks, DM us?",
        "in_reply_to_tweet_id": mention.native_id, "conversation_id": mention.native_id,
        "auth": "oauth1",
    }]
    assert posted.url == f"https://x.com/i/web/status/{posted.native_id}"


async def test_reply_with_an_oauth2_user_token(fake: FakeX) -> None:
    env = {"X_BEARER_TOKEN": fake.bearer_token, "X_USER": fake.user_token}
    platform = make(fake, environ=env, user_token_env="X_USER")
    mention = await _mention(fake, platform)
    posted = await platform.reply(mention, "On it!", idempotency_key="draft-1")
    assert fake.replies[0]["auth"] == "bearer" and fake.replies[0]["id"] == posted.native_id
    await platform.close()


async def test_reply_without_reply_credentials_is_auth_failed(fake: FakeX) -> None:
    platform = make(fake, environ={"X_BEARER_TOKEN": fake.bearer_token})
    mention = await _mention(fake, platform)
    with pytest.raises(AuthFailed, match="no reply credentials configured"):
        await platform.reply(mention, "Hi", idempotency_key="draft-1")
    await platform.close()
    app_only = make(fake, environ={"X_BEARER_TOKEN": fake.bearer_token,
                                   "X_USER": fake.bearer_token}, user_token_env="X_USER")
    with pytest.raises(AuthFailed, match="403"):  # an app-only token cannot post
        await app_only.reply(mention, "Hi", idempotency_key="draft-1")
    await app_only.close()
    assert fake.replies == []


async def test_permanent_refusals_are_refused(fake: FakeX, x: XPlatform) -> None:
    mention = await _mention(fake, x)
    await x.reply(mention, "Sorry!", idempotency_key="draft-1")
    with pytest.raises(Refused, match="duplicate content"):
        await x.reply(mention, "Sorry!", idempotency_key="draft-2")

    locked = await _mention(fake, x, reply_settings="mentionedUsers")
    with pytest.raises(Refused, match="not allowed"):
        await x.reply(locked, "Hello", idempotency_key="draft-3")

    del fake.tweets[locked.native_id]
    with pytest.raises(Refused, match="deleted or not visible"):
        await x.reply(locked, "Hello again", idempotency_key="draft-4")
    assert len(fake.replies) == 1


async def test_a_reply_too_long_by_xs_count_is_flagged_before_x_refuses_it(
        fake: FakeX, x: XPlatform) -> None:
    # 150 Japanese characters: 150 by len(), 300 by X's count, over its 280
    mention = await _mention(fake, x)
    reply = ("ご不便をおかけして申し訳ございません。担当者が確認いたします。" * 6)[:150]
    voice = Voice(brand="Acme")
    assert voice.check(reply, "x") == ("too_long: 300 characters, x allows 280",)
    with pytest.raises(Refused, match="Tweet text is too long"):
        await x.reply(mention, reply, idempotency_key="draft-1")
    assert fake.replies == []
    fits = reply[:140]  # 280 by X's count
    assert voice.check(fits, "x") == ()
    posted = await x.reply(mention, fits, idempotency_key="draft-2")
    assert fake.replies[0]["id"] == posted.native_id


async def test_reply_rate_limits_and_server_errors(fake: FakeX, x: XPlatform) -> None:
    mention = await _mention(fake, x)
    fake.rate_limit_next(reset_in=60, method="POST")
    with pytest.raises(RateLimited) as caught:
        await x.reply(mention, "Hi", idempotency_key="draft-1")
    assert caught.value.reset_at is not None
    fake.fail_next(503, times=1, method="POST")
    with pytest.raises(Unavailable):
        await x.reply(mention, "Hi", idempotency_key="draft-1")
    assert fake.replies == []


async def test_find_reply_finds_our_reply_and_only_that(fake: FakeX, x: XPlatform) -> None:
    mention = await _mention(fake, x)
    assert await x.find_reply(mention, "Sorry <3 & thanks") is None
    posted = await x.reply(mention, "Sorry <3 & thanks", idempotency_key="draft-1")
    fake.add_post(None, "mallory", "Sorry <3 & thanks", reply_to=mention.native_id)

    found = await x.find_reply(mention, "Sorry <3 & thanks")
    assert found is not None and found.native_id == posted.native_id
    assert await x.find_reply(mention, "A different reply") is None
    sent = fake.requests_to("/2/tweets/search/recent")[-1].query["query"]
    assert sent == f"conversation_id:{mention.native_id} from:brandbot"
    assert len(fake.requests_to("/2/users/me")) == 1  # our username is looked up once


async def test_find_reply_sees_through_the_mention_and_links_x_adds(fake: FakeX,
                                                                    x: XPlatform) -> None:
    # X gives our reply back as "@customer Sorry ... https://t.co/..." (so reconcile used to
    # never find it, and a lost answer meant a second post)
    mention = await _mention(fake, x)
    text = "Sorry Dana, status here: https://status.brightwave.example/incidents/42 ^Sam"
    posted = await x.reply(mention, text, idempotency_key="draft-2")
    stored = fake.tweets[posted.native_id]["text"]
    assert stored.startswith("@") and "https://t.co/" in stored
    found = await x.find_reply(mention, text)
    assert found is not None and found.native_id == posted.native_id
