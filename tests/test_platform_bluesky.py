"""The Bluesky adapter against the fake XRPC server: listening, sessions, errors, replies."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.models import Mention, iso, parse_iso
from monitor.platforms.base import AuthFailed, RateLimited, Refused, Unavailable
from monitor.platforms.bluesky import (
    BlueskyPlatform,
    TermState,
    advance,
    build_queries,
    decode_cursor,
    encode_cursor,
    language_filter,
    normalise,
    parse_rate_limit,
)
from monitor.settings import BlueskySource, Brand
from tests.fakes import FakeBluesky
from tests.fakes.bluesky import did_for
from tests.helpers import drain

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
ENV = {"BLUESKY_IDENTIFIER": "brandbot.bsky.social", "BLUESKY_APP_PASSWORD": "app-password"}
BRAND = Brand(name="Acme", keywords=["acme"], exclude=["acme festival"])


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


@asynccontextmanager
async def adapter(
    fake: FakeBluesky, *, brand: Brand = BRAND, wait: float = 2.0,
    environ: dict[str, str] | None = None,
) -> AsyncIterator[BlueskyPlatform]:
    """An adapter pointed at the fake (answers awaited `wait` seconds), closed afterwards."""
    source = BlueskySource(platform="bluesky", base_url=fake.base_url,
                           timeout=timedelta(seconds=wait))
    platform = BlueskyPlatform(source, brand, environ=ENV if environ is None else environ)
    try:
        yield platform
    finally:
        await platform.close()




def test_queries_are_one_per_term_because_search_has_no_or() -> None:
    brand = Brand(
        name="Acme", keywords=["acme", "Acme Cloud", 'say "hi"', "acme"],
        hashtags=["#acmedown"], handles={"bluesky": ["@acmehelp.bsky.social"], "x": ["AcmeX"]},
        exclude=["acme festival", "spam"],
    )
    suffix = '-"acme festival" -spam'
    assert build_queries(brand) == (
        f"acme {suffix}", f'"Acme Cloud" {suffix}', f'"say hi" {suffix}',
        f"#acmedown {suffix}", f"@acmehelp.bsky.social {suffix}",
    )
    assert build_queries(Brand(name="A", hashtags=["acme"])) == ("#acme",)
    assert language_filter(Brand(name="A", keywords=["a"], languages=["en"])) == "en"
    assert language_filter(Brand(name="A", keywords=["a"], languages=["en", "de"])) is None


def test_rate_limit_headers_are_parsed() -> None:
    headers = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2999",
               "RateLimit-Reset": "1700000000", "RateLimit-Policy": "3000;w=300"}
    limit = parse_rate_limit(headers)
    assert limit is not None
    assert (limit.limit, limit.remaining) == (3000, 2999)
    assert limit.reset_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert parse_rate_limit({}) is None


def test_a_walk_ends_where_the_server_ignored_since() -> None:
    hwm = parse_iso("2024-05-01T12:00:00Z")
    state = TermState(hwm=hwm)
    old = {"uri": "at://did:plc:a/app.bsky.feed.post/1", "indexedAt": "2024-05-01T11:00:00Z",
           "record": {"createdAt": "2024-05-01T11:00:00Z"}}
    new = {"uri": "at://did:plc:a/app.bsky.feed.post/2", "indexedAt": "2024-05-01T12:30:00Z",
           "record": {"createdAt": "2024-05-01T12:30:00Z"}}
    kept, after, more = advance(state, [new, old], "200")
    assert kept == [new] and not more
    assert after.hwm == parse_iso("2024-05-01T12:30:00Z") and after.walk is None
    terms, index = decode_cursor(encode_cursor({"q": after}, 0))
    assert terms["q"].hwm == after.hwm and set(terms["q"].seen) == {new["uri"]} and index == 0


# --- listening


async def test_first_listen_returns_the_newest_page_oldest_first_with_fields() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        for i in range(120):
            fake.add_post(None, f"user{i}.bsky.social", f"acme thing {i}", ago(minutes=300 - i))
        root = fake.add_post(None, "alice.bsky.social", "acme is down again", ago(minutes=30),
                             displayName="Alice", likeCount=4, repostCount=2,
                             record={"langs": ["en-GB", "en"]})
        reply = fake.add_post(None, "bob.bsky.social", "same, acme broke", ago(minutes=20),
                              reply_to=root["uri"])
        fake.add_post(None, "carol.bsky.social", "off to the acme festival", ago(minutes=10))
        fake.add_post(None, "dave.bsky.social", "unrelated", ago(minutes=5))
        page = await platform.listen(None)

    assert len(page.mentions) == 100 and not page.has_more
    assert [m.created_at for m in page.mentions] == sorted(m.created_at for m in page.mentions)
    assert page.mentions[-1].native_id == reply["uri"]
    assert page.mentions[0].text == "acme thing 22"  # the 98 newest of the 120, then root, reply
    by_id = {m.native_id: m for m in page.mentions}
    first = by_id[root["uri"]]
    rkey = root["uri"].rsplit("/", 1)[1]
    assert first.platform == "bluesky"
    assert first.author.native_id == root["author"]["did"]
    assert (first.author.handle, first.author.display_name) == ("alice.bsky.social", "Alice")
    assert first.text == "acme is down again"
    assert first.created_at == parse_iso(root["record"]["createdAt"])
    assert first.url == f"https://bsky.app/profile/alice.bsky.social/post/{rkey}"
    assert first.lang == "en-GB"
    assert first.in_reply_to is None and first.conversation_id == root["uri"]
    assert first.metrics == {"replies": 1, "reposts": 2, "likes": 4, "quotes": 0}
    assert first.raw["cid"] == root["cid"]
    second = by_id[reply["uri"]]
    assert second.in_reply_to == root["uri"] and second.conversation_id == root["uri"]
    assert page.rate_limit is not None and page.rate_limit.limit == 3000
    assert page.rate_limit.reset_at is not None and page.rate_limit.reset_at > ago(seconds=5)


async def test_paging_returns_every_post_once_and_later_posts_on_the_next_call() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        for i in range(5):
            fake.add_post(None, f"early{i}.bsky.social", f"acme early {i}", ago(hours=3, minutes=i))
        first, cursor = await drain(platform, None)
        assert len(first) == 5
        added = [fake.add_post(None, f"u{i}.bsky.social", f"acme {i}", ago(minutes=150 - i / 2))
                 for i in range(250)]
        pages = 0
        mentions: list[Mention] = []
        while True:
            page = await platform.listen(cursor)
            pages += 1
            mentions += page.mentions
            cursor = page.next_cursor
            if not page.has_more:
                break
        assert pages == 3
        ids = [m.native_id for m in mentions]
        assert len(ids) == len(set(ids)) and set(ids) == {p["uri"] for p in added}

        late = fake.add_post(None, "late.bsky.social", "acme again", ago(minutes=1))
        page = await platform.listen(cursor)
        assert [m.native_id for m in page.mentions] == [late["uri"]]
        assert (await platform.listen(page.next_cursor)).mentions == ()
        since = fake.requests_to(SEARCH)[-1].query["since"]
        assert parse_iso(since) < parse_iso(late["record"]["createdAt"])


async def test_restarting_from_a_saved_cursor_repeats_and_skips_nothing() -> None:
    async with FakeBluesky() as fake:
        fake.add_post(None, "first.bsky.social", "acme hello", ago(hours=5))
        async with adapter(fake) as platform:
            _, cursor = await drain(platform, None)
        added = [fake.add_post(None, f"u{i}.bsky.social", f"acme {i}", ago(minutes=200 - i))
                 for i in range(180)]
        async with adapter(fake) as platform:
            page = await platform.listen(cursor)  # the newest page of the walk; then a "crash"
        assert page.has_more and len(page.mentions) == 100
        async with adapter(fake) as platform:
            rest, cursor = await drain(platform, page.next_cursor)
            ids = [m.native_id for m in page.mentions + tuple(rest)]
            assert len(ids) == len(set(ids)) == 180 and set(ids) == {p["uri"] for p in added}
        async with adapter(fake) as platform:
            again, _ = await drain(platform, cursor)
        assert again == []


async def test_posts_arriving_during_a_walk_are_neither_repeated_nor_skipped() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        fake.add_post(None, "first.bsky.social", "acme hello", ago(hours=5))
        _, cursor = await drain(platform, None)
        older = [fake.add_post(None, f"u{i}.bsky.social", f"acme {i}", ago(minutes=200 - i))
                 for i in range(150)]
        page = await platform.listen(cursor)
        # Newer posts shift the offset cursor: the next page starts with posts already served.
        newer = [fake.add_post(None, f"n{i}.bsky.social", f"acme new {i}", ago(seconds=30 - i))
                 for i in range(10)]
        rest, cursor = await drain(platform, page.next_cursor)
        walk = [m.native_id for m in page.mentions + tuple(rest)]
        assert len(walk) == len(set(walk)) and set(walk) == {p["uri"] for p in older}
        following, _ = await drain(platform, cursor)
        assert [m.native_id for m in following] == [p["uri"] for p in newer]


async def test_a_post_indexed_late_just_below_the_high_water_mark_is_still_returned() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        newest = fake.add_post(None, "a.bsky.social", "acme one", ago(minutes=2))
        _, cursor = await drain(platform, None)
        created = parse_iso(newest["record"]["createdAt"]) - timedelta(seconds=30)
        late = fake.add_post(None, "b.bsky.social", "acme two", created)
        mentions, cursor = await drain(platform, cursor)
        assert [m.native_id for m in mentions] == [late["uri"]]
        assert (await drain(platform, cursor))[0] == []


async def test_each_term_is_searched_on_its_own_and_the_round_reports_more() -> None:
    brand = Brand(name="Acme", keywords=["acme cloud"], hashtags=["acmedown"],
                  handles={"bluesky": ["acmehelp.bsky.social"]}, languages=["en"])
    async with FakeBluesky() as fake, adapter(fake, brand=brand) as platform:
        phrase = fake.add_post(None, "a.bsky.social", "acme cloud is slow", ago(minutes=9))
        fake.add_post(None, "b.bsky.social", "cloud of acme dust", ago(minutes=8))
        tag = fake.add_post(None, "c.bsky.social", "again #acmedown", ago(minutes=7))
        at = fake.add_post(None, "d.bsky.social", "@acmehelp.bsky.social help", ago(minutes=6))
        fake.add_post(None, "e.bsky.social", "acme cloud kaputt", ago(minutes=5),
                      record={"langs": ["de"]})
        pages = []
        cursor = None
        for _ in range(3):
            page = await platform.listen(cursor)
            pages.append(page)
            cursor = page.next_cursor
    assert [p.has_more for p in pages] == [True, True, False]
    assert [[m.native_id for m in p.mentions] for p in pages] == [
        [phrase["uri"]], [tag["uri"]], [at["uri"]],
    ]
    sent = [r.query for r in fake.requests_to(SEARCH)]
    assert [q["q"] for q in sent] == ['"acme cloud"', "#acmedown", "@acmehelp.bsky.social"]
    assert all(q["sort"] == "latest" and q["limit"] == "100" and q["lang"] == "en" for q in sent)


# --- errors


async def test_rate_limited_search_reports_the_reset_time() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        fake.rate_limit_next(reset_in=120, path=SEARCH)
        with pytest.raises(RateLimited) as caught:
            await platform.listen(None)
    assert caught.value.reset_at is not None
    assert abs((caught.value.reset_at - datetime.now(UTC)).total_seconds() - 120) < 3


@pytest.mark.parametrize("fault", ["fail", "hang", "reset", "malformed", "truncated"])
async def test_transient_failures_are_unavailable_and_lose_nothing(fault: str) -> None:
    async with FakeBluesky() as fake, adapter(fake, wait=0.5) as platform:
        post = fake.add_post(None, "a.bsky.social", "acme down", ago(minutes=3))
        inject = {
            "fail": lambda: fake.fail_next(502, times=1, path=SEARCH),
            "hang": lambda: fake.hang_next(3, path=SEARCH),
            "reset": lambda: fake.reset_next(times=2, path=SEARCH),
            "malformed": lambda: fake.malformed_next(path=SEARCH),
            "truncated": lambda: fake.truncated_next(path=SEARCH),
        }
        inject[fault]()
        with pytest.raises(Unavailable):
            await platform.listen(None)
        page = await platform.listen(None)
    assert [m.native_id for m in page.mentions] == [post["uri"]]


async def test_other_refusals_of_the_search_are_refused_with_the_reason() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        fake.fail_next(400, times=1, path=SEARCH)
        with pytest.raises(Refused, match="InvalidRequest"):
            await platform.listen(None)


async def test_wrong_or_missing_credentials_fail_auth_without_leaking_them() -> None:
    async with FakeBluesky() as fake:
        wrong = {**ENV, "BLUESKY_APP_PASSWORD": "s3cret-wrong"}
        async with adapter(fake, environ=wrong) as platform:
            with pytest.raises(AuthFailed) as caught:
                await platform.listen(None)
        assert "s3cret-wrong" not in str(caught.value)
        assert "BLUESKY_APP_PASSWORD" in str(caught.value)
        async with adapter(fake, environ={}) as platform:
            with pytest.raises(AuthFailed, match="BLUESKY_IDENTIFIER"):
                await platform.listen(None)


async def test_search_forbidden_is_a_configuration_problem() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        fake.fail_next(403, times=1, path=SEARCH)
        with pytest.raises(AuthFailed, match="identifier_env/app_password_env"):
            await platform.listen(None)


async def test_many_calls_and_an_expiry_cost_one_login_and_one_refresh() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        fake.add_post(None, "a.bsky.social", "acme", ago(minutes=3))
        pages = await asyncio.gather(*(platform.listen(None) for _ in range(5)))
        cursor = pages[0].next_cursor
        fake.expire_auth()
        pages = await asyncio.gather(*(platform.listen(cursor) for _ in range(5)))
        assert all(p.mentions == () for p in pages)
        page = await platform.listen(cursor)
        assert fake.session_creations == 1
        assert len(fake.requests_to(REFRESH)) == 1
        assert page.mentions == ()


async def test_an_expired_refresh_token_logs_in_again_once() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        post = fake.add_post(None, "a.bsky.social", "acme", ago(minutes=3))
        await platform.listen(None)
        fake.expire_refresh()
        page = await platform.listen(None)
        assert [m.native_id for m in page.mentions] == [post["uri"]]
        assert fake.session_creations == 2
        fake.expire_refresh()
        fake.password = "changed-by-someone"
        with pytest.raises(AuthFailed):
            await platform.listen(None)


# --- replying


def stored(view: dict[str, Any]) -> Mention:
    """The mention as the store would hand it back (JSON round trip of raw)."""
    mention = normalise(view)
    return dataclasses.replace(mention, raw=json.loads(json.dumps(mention.raw)))


async def test_reply_to_a_top_level_post_roots_the_thread_at_it() -> None:
    brand = Brand(name="Acme", keywords=["acme"], languages=["en"])
    async with FakeBluesky() as fake, adapter(fake, brand=brand) as platform:
        view = fake.add_post(None, "alice.bsky.social", "acme is down", ago(minutes=5))
        posted = await platform.reply(stored(view), "Sorry! Looking now.",
                                      idempotency_key="k1")
        [reply] = fake.replies
        assert reply["parent"] == {"uri": view["uri"], "cid": view["cid"]}
        assert reply["root"] == {"uri": view["uri"], "cid": view["cid"]}
        assert reply["text"] == "Sorry! Looking now."
        assert posted.native_id == reply["uri"]
        assert reply["uri"].startswith(f"at://{fake.did}/app.bsky.feed.post/")
        rkey = reply["uri"].rsplit("/", 1)[1]
        assert posted.url == f"https://bsky.app/profile/brandbot.bsky.social/post/{rkey}"
        assert fake.posts[posted.native_id]["record"]["langs"] == ["en"]


async def test_reply_to_a_reply_keeps_the_original_root() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        root = fake.add_post(None, "alice.bsky.social", "acme is down", ago(minutes=9))
        middle = fake.add_post(None, "bob.bsky.social", "me too", ago(minutes=8),
                               reply_to=root["uri"])
        mention = fake.add_post(None, "carol.bsky.social", "acme?", ago(minutes=7),
                                reply_to=middle["uri"])
        await platform.reply(stored(mention), "On it.", idempotency_key="k")
        bare = dataclasses.replace(stored(mention), raw={})
        await platform.reply(bare, "Still on it.", idempotency_key="k2")
    for reply in fake.replies:
        assert reply["root"] == {"uri": root["uri"], "cid": root["cid"]}
        assert reply["parent"] == {"uri": mention["uri"], "cid": mention["cid"]}
    assert len(fake.requests_to("/xrpc/com.atproto.repo.getRecord")) == 1


async def test_reply_survives_an_expired_token_and_posts_once() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        view = fake.add_post(None, "alice.bsky.social", "acme", ago(minutes=5))
        await platform.listen(None)
        fake.expire_auth()
        await platform.reply(stored(view), "Hi!", idempotency_key="k")
        assert len(fake.replies) == 1 and fake.session_creations == 1


async def test_permanent_refusals_raise_refused() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        view = fake.add_post(None, "alice.bsky.social", "acme", ago(minutes=5))
        mention = stored(view)
        with pytest.raises(Refused, match="InvalidRecord"):
            await platform.reply(mention, "x" * 301, idempotency_key="k")
        gated = fake.add_post(None, "bob.bsky.social", "acme", ago(minutes=4),
                              viewer={"replyDisabled": True})
        with pytest.raises(Refused, match="restricts"):
            await platform.reply(stored(gated), "Hi", idempotency_key="k")
        gone = dataclasses.replace(mention, native_id=mention.native_id + "x", raw={})
        with pytest.raises(Refused, match="RecordNotFound"):
            await platform.reply(gone, "Hi", idempotency_key="k")
    assert fake.replies == []


async def test_find_reply_finds_our_reply_and_nothing_else() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        view = fake.add_post(None, "alice.bsky.social", "acme", ago(minutes=5))
        mention = stored(view)
        fake.add_post(None, "bob.bsky.social", "Thanks for the report!", ago(minutes=4),
                      reply_to=view["uri"])
        assert await platform.find_reply(mention, "Thanks for the report!") is None
        posted = await platform.reply(mention, "Thanks for the report!", idempotency_key="k")
        assert await platform.find_reply(mention, "Thanks for the report!") == posted
        assert await platform.find_reply(mention, "Something else") is None
        gone = dataclasses.replace(mention, native_id=mention.native_id + "x")
        assert await platform.find_reply(gone, "Thanks for the report!") is None


async def test_a_second_attempt_at_one_draft_cannot_post_it_twice() -> None:
    # the reply's record key comes from the draft's idempotency key: a retry after a lost
    # answer asks for the same record, which the PDS refuses (today with a 500), so the
    # outcome stays uncertain and is reconciled, never posted again
    async with FakeBluesky() as fake, adapter(fake) as platform:
        mention = stored(fake.add_post(None, "alice.bsky.social", "acme", ago(minutes=5)))
        first = await platform.reply(mention, "Sorry Alice, on it", idempotency_key="draft-7")
        with pytest.raises(Unavailable):
            await platform.reply(mention, "Sorry Alice, on it", idempotency_key="draft-7")
        assert len(fake.replies) == 1
        assert await platform.find_reply(mention, "Sorry Alice, on it") == first
        # another draft gets another key
        await platform.reply(mention, "And a follow-up", idempotency_key="draft-8")
        assert len(fake.replies) == 2


# --- reach: followers come from getProfiles (a post's author has no count)


PROFILES = "/xrpc/app.bsky.actor.getProfiles"


async def test_authors_reach_comes_from_getprofiles_in_batches_and_is_cached() -> None:
    from monitor.analysis import Analyzer, Post

    async with FakeBluesky() as fake, adapter(fake) as platform:
        big = fake.add_post(None, "big.bsky.social", "acme is down, no internet for 2 days",
                            ago(minutes=40), followers=120_000)
        for i in range(29):
            fake.add_post(None, f"u{i}.bsky.social", f"acme {i}", ago(minutes=30 - i),
                          followers=i)
        assert "followersCount" not in big["author"]  # a profileViewBasic, as on Bluesky
        page = await platform.listen(None)
        assert len(fake.profile_lookups) == 2  # 30 authors: 25, then 5
        assert sorted(len(actors) for actors in fake.profile_lookups) == [5, 25]
        later = fake.add_post(None, "big.bsky.social", "acme still down", ago(minutes=1))
        again = await platform.listen(page.next_cursor)
    by_id = {m.native_id: m for m in page.mentions}
    assert by_id[big["uri"]].author.followers == 120_000
    assert {m.author.followers for m in page.mentions} == {120_000, *range(29)}
    [mention] = again.mentions
    assert mention.native_id == later["uri"] and mention.author.followers == 120_000
    assert len(fake.profile_lookups) == 2  # known authors are not asked about again
    reasons = Analyzer().analyze_post(Post.of(by_id[big["uri"]])).reasons
    assert "priority:reach(120000)" in reasons


async def test_a_failed_profile_lookup_leaves_reach_unknown_and_the_page_whole() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        post = fake.add_post(None, "alice.bsky.social", "acme down", ago(minutes=3),
                             followers=99_000)
        fake.rate_limit_next(reset_in=60, path=PROFILES)
        page = await platform.listen(None)
    [mention] = page.mentions
    assert mention.native_id == post["uri"] and mention.author.followers is None
    assert mention.author.handle == "alice.bsky.social"


# --- replies: facets and the reply's own language


def _facet_text(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(the facet's stretch of text, its feature type, its value) for each facet."""
    data = record["text"].encode()
    out = []
    for facet in record.get("facets", []):
        index = facet["index"]
        [feature] = facet["features"]
        kind = feature["$type"].rsplit("#", 1)[1]
        value = feature.get("did") or feature.get("uri") or feature.get("tag")
        out.append((data[index["byteStart"]:index["byteEnd"]].decode(), kind, value))
    return out


async def test_replies_carry_facets_with_utf8_byte_offsets() -> None:
    async with FakeBluesky() as fake, adapter(fake) as platform:
        fake.add_account("alice.bsky.social")
        view = fake.add_post(None, "bob.bsky.social", "acme", ago(minutes=5))
        text = ("Désolé ☕ @alice.bsky.social! Status: https://acme.example.com/status?x=1. "
                "Or acme.co/help (and #AcmeDown) — @nobody.bsky.social #2024")
        await platform.reply(stored(view), text, idempotency_key="k")
        record = fake.posts[fake.replies[0]["uri"]]["record"]
    assert _facet_text(record) == [
        ("@alice.bsky.social", "mention", did_for("alice.bsky.social")),
        ("https://acme.example.com/status?x=1", "link", "https://acme.example.com/status?x=1"),
        ("acme.co/help", "link", "https://acme.co/help"),
        ("#AcmeDown", "tag", "AcmeDown"),
    ]  # the unresolvable handle and the number stay plain text
    assert len(fake.requests_to("/xrpc/com.atproto.identity.resolveHandle")) == 2


async def test_a_reply_is_marked_with_its_own_language() -> None:
    brand = Brand(name="Acme", keywords=["acme"], languages=["en", "de"])
    async with FakeBluesky() as fake, adapter(fake, brand=brand) as platform:
        view = fake.add_post(None, "alice.bsky.social", "acme kaputt", ago(minutes=5))
        await platform.reply(stored(view), "Das tut uns leid, wir kümmern uns sofort darum.",
                             idempotency_key="de")
        await platform.reply(stored(view), "Sorry, we are looking into it now.",
                             idempotency_key="en")
        await platform.reply(stored(view), "Danke!", idempotency_key="short")
    langs = [fake.posts[r["uri"]]["record"].get("langs") for r in fake.replies]
    assert langs == [["de"], ["en"], None]  # a word too few to tell: no claim at all


# --- backfill: searchPosts between since and until, per term


async def test_history_pages_each_term_back_to_since_and_no_further() -> None:
    brand = Brand(name="Acme", keywords=["acme"], hashtags=["widgetdown"])
    async with FakeBluesky() as fake, adapter(fake, brand=brand) as platform:
        recent = [fake.add_post(None, f"u{i}.bsky.social", f"acme {i}", ago(hours=i + 1))
                  for i in range(130)]
        tagged = [fake.add_post(None, f"t{i}.bsky.social", f"#widgetdown {i}",
                                ago(hours=i + 2)) for i in range(3)]
        fake.add_post(None, "old.bsky.social", "acme long ago", ago(days=9))
        since = ago(days=7)
        cursor, seen, pages = None, [], 0
        while True:
            page = await platform.history(cursor, since=since)
            pages += 1
            seen += [m.native_id for m in page.mentions]
            cursor = page.next_cursor
            if not page.has_more:
                break
        fresh = fake.add_post(None, "new.bsky.social", "acme now", ago(seconds=5))
        assert fresh["uri"] not in seen
    assert len(seen) == len(set(seen))
    assert set(seen) == {p["uri"] for p in recent + tagged}
    assert pages == 3  # acme: 100 + 30, then #widgetdown
    sent = [r.query for r in fake.requests_to(SEARCH)]
    assert {q["since"] for q in sent} == {iso(since)} and len({q["until"] for q in sent}) == 1


async def test_profiles_are_cached_and_kept_while_lookups_fail() -> None:
    import aiohttp

    from monitor.platforms.base import HttpResult, http_json
    from monitor.platforms.bluesky_profiles import TTL, Profiles

    now = [0.0]
    async with FakeBluesky() as fake, aiohttp.ClientSession() as http:
        fake.add_account("alice.bsky.social", followers=5, display_name="Alice")

        async def fetch(actors: list[str]) -> HttpResult:
            return await http_json(http, "GET", f"{fake.base_url}{PROFILES}", timeout=2,
                                   params=[("actors", a) for a in actors])

        profiles = Profiles(fetch, clock=lambda: now[0])
        alice, ghost = did_for("alice.bsky.social"), did_for("ghost.bsky.social")
        first = await profiles.get([alice, ghost, alice])
        assert (first[alice].handle, first[alice].followers) == ("alice.bsky.social", 5)
        assert first[ghost].handle is None  # unknown to the AppView
        assert await profiles.get([alice]) == {alice: first[alice]}
        assert len(fake.profile_lookups) == 1
        now[0] += TTL + 1  # stale now; the AppView fails
        fake.fail_next(503, times=None, path=PROFILES)
        assert (await profiles.get([alice]))[alice].handle == "alice.bsky.social"
        asked = len(fake.requests_to(PROFILES))
        await profiles.get([did_for("bob.bsky.social")])
        assert len(fake.requests_to(PROFILES)) == asked  # paused after the failure
