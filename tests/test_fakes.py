"""The fake platform servers answer like the real APIs, and tweepy/praw work against them."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from tests.fakes import (
    FakeBluesky,
    FakeHackerNews,
    FakeMastodon,
    FakeReddit,
    FakeServer,
    FakeThreads,
    FakeX,
)
from tests.fakes.x import snowflake

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
# praw paces itself from x-ratelimit-*: with the real 1000/600 s it may sleep up to 10 s per call
# early in a window, so praw tests use a window it never needs to pace.
PRAW_FRIENDLY = 1_000_000


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any name lookup or connection that is not to 127.0.0.1."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        if isinstance(address, tuple) and address[0] != LOOPBACK:
            raise OSError(f"tests may only connect to {LOOPBACK}, not {address!r}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check((host.decode() if isinstance(host, bytes) else host, 0))
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


def test_the_loopback_guard_refuses_other_hosts() -> None:
    with pytest.raises(OSError, match="may only connect"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


class ToFake:
    """A tweepy session that sends https://api.twitter.com requests to the fake instead."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base = URL(base_url)

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        """Rewrite scheme/host/port only, keeping an already-signed, encoded URL intact."""
        url = URL(url) if isinstance(url, str) else url
        assert url.host == "api.twitter.com", url
        target = url.with_scheme(self.base.scheme).with_host(LOOPBACK).with_port(self.base.port)
        return self.session.request(method, target, **kwargs)


# the User-Agent form Reddit asks for (the fake limits vague ones as Reddit does)
REDDIT_UA = "python:brandbot-tests:v0.1 (by /u/brandbot)"


def praw_reddit(fake: FakeReddit, **overrides: Any) -> Any:
    """A praw.Reddit pointed at the fake (praw is sync: call it through asyncio.to_thread)."""
    import praw
    import requests

    session = requests.Session()
    session.trust_env = False
    options = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "username": fake.username,
        "password": fake.password,
        "user_agent": REDDIT_UA,
        "oauth_url": fake.base_url,
        "reddit_url": fake.base_url,
        "check_for_updates": False,
        "requestor_kwargs": {"session": session},
    }
    return praw.Reddit(**{**options, **overrides})


# --- every fake: the shared fault machinery and rate-limit headers


def _x_probe(fake: FakeX) -> tuple[str, dict[str, Any]]:
    fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    auth = {"Authorization": f"Bearer {fake.bearer_token}"}
    return "/2/tweets/search/recent", {"params": {"query": "acme"}, "headers": auth}


def _reddit_probe(fake: FakeReddit) -> tuple[str, dict[str, Any]]:
    fake.add_post(None, "alice", "acme is down", ago(minutes=5), title="acme?")
    auth = {"Authorization": f"bearer {fake.issue_token()}",
            "User-Agent": REDDIT_UA}
    return "/r/brandbot/search/", {"params": {"q": "acme", "raw_json": "1"}, "headers": auth}


def _mastodon_probe(fake: FakeMastodon) -> tuple[str, dict[str, Any]]:
    fake.add_post(None, "alice", "#acme is down", ago(minutes=5))
    auth = {"Authorization": f"Bearer {fake.access_token}"}
    return "/api/v1/timelines/tag/acme", {"headers": auth}


def _bluesky_probe(fake: FakeBluesky) -> tuple[str, dict[str, Any]]:
    fake.add_post(None, "alice.bsky.social", "acme is down", ago(minutes=5))
    auth = {"Authorization": f"Bearer {fake.new_session()['accessJwt']}"}
    return "/xrpc/app.bsky.feed.searchPosts", {"params": {"q": "acme"}, "headers": auth}


def _hn_probe(fake: FakeHackerNews) -> tuple[str, dict[str, Any]]:
    fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    return "/api/v1/search_by_date", {"params": {"query": "acme"}}


def _threads_probe(fake: FakeThreads) -> tuple[str, dict[str, Any]]:
    fake.add_post(None, "alice", "acme is down", ago(minutes=5))
    return "/v1.0/keyword_search", {"params": {"q": "acme", "access_token": fake.access_token}}


PROBES: dict[str, tuple[Callable[[], FakeServer], Callable[[Any], tuple[str, dict[str, Any]]]]] = {
    "x": (FakeX, _x_probe),
    "reddit": (FakeReddit, _reddit_probe),
    "mastodon": (FakeMastodon, _mastodon_probe),
    "bluesky": (FakeBluesky, _bluesky_probe),
    "hackernews": (FakeHackerNews, _hn_probe),
    "threads": (FakeThreads, _threads_probe),
}
RATE_HEADERS = {
    "x": ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"),
    "reddit": ("x-ratelimit-used", "x-ratelimit-remaining", "x-ratelimit-reset"),
    "mastodon": ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"),
    "bluesky": ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"),
    "hackernews": (),
    "threads": ("X-App-Usage",),
}
REMAINING = {
    "x": "x-rate-limit-remaining",
    "reddit": "x-ratelimit-remaining",
    "mastodon": "X-RateLimit-Remaining",
    "bluesky": "RateLimit-Remaining",
}


@pytest.fixture(params=sorted(PROBES))
async def probed(request: pytest.FixtureRequest) -> Any:
    """(platform, fake, session, path, request kwargs) for a GET every fake answers with 200."""
    factory, probe = PROBES[request.param]
    async with factory() as fake, aiohttp.ClientSession(fake.base_url) as session:
        path, kwargs = probe(fake)
        yield request.param, fake, session, path, kwargs


async def test_normal_responses_carry_decreasing_rate_limit_headers(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    async with session.get(path, **kwargs) as first, session.get(path, **kwargs) as second:
        assert (first.status, second.status) == (200, 200)
        assert all(h in first.headers for h in RATE_HEADERS[platform])
        if platform in REMAINING:
            key = REMAINING[platform]
            assert float(first.headers[key]) - float(second.headers[key]) == 1
    assert fake.requests[-1] == (
        "GET",
        path,
        {k: str(v) for k, v in kwargs.get("params", {}).items()},
    )


async def test_fail_next_uses_platform_error_body_then_recovers(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    fake.fail_next(status=503, times=2)
    for _ in range(2):
        async with session.get(path, **kwargs) as response:
            assert response.status == 503
            body = await response.json()
            assert body  # every platform answers JSON errors
    async with session.get(path, **kwargs) as response:
        assert response.status == 200


async def test_rate_limit_next_sends_real_429(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    fake.rate_limit_next(times=1, reset_in=30)
    async with session.get(path, **kwargs) as response:
        assert response.status == 429
        body = await response.json()
        headers = response.headers
    expected = {
        "x": {
            "title": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
            "detail": "Too Many Requests",
        },
        "reddit": {"message": "Too Many Requests", "error": 429},
        "mastodon": {"error": "Too many requests"},
        "bluesky": {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        "hackernews": {"message": "Too many requests", "status": 429},
        "threads": {"error": {"message": "(#4) Application request limit reached",
                              "type": "OAuthException", "code": 4, "is_transient": True,
                              "fbtrace_id": "AZmX3kq7Lr2"}},
    }
    assert body == expected[platform]
    assert all(h in headers for h in RATE_HEADERS[platform])
    now = time.time()
    if platform == "x":
        assert headers["x-rate-limit-remaining"] == "0"
        assert 25 < int(headers["x-rate-limit-reset"]) - now <= 31
    elif platform == "reddit":
        assert headers["x-ratelimit-remaining"] == "0.0"
        assert 25 < int(headers["x-ratelimit-reset"]) <= 30
    elif platform == "mastodon":
        reset = datetime.fromisoformat(headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
        assert 25 < reset.timestamp() - now <= 31
    elif platform == "bluesky":
        assert headers["RateLimit-Remaining"] == "0"
        assert 25 < int(headers["RateLimit-Reset"]) - now <= 31
    elif platform == "threads":  # percent used, and minutes until access comes back
        assert json.loads(headers["X-App-Usage"])["call_count"] == 100
        (meter,) = next(iter(json.loads(headers["X-Business-Use-Case-Usage"]).values()))
        assert meter["estimated_time_to_regain_access"] == 1
    async with session.get(path, **kwargs) as response:
        assert response.status == 200


async def test_hang_next_delays_the_response(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    fake.hang_next(seconds=0.3)
    started = time.monotonic()
    async with session.get(path, **kwargs) as response:
        assert response.status == 200
    assert time.monotonic() - started >= 0.3


async def test_reset_next_drops_the_connection(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    fake.reset_next(times=2)  # aiohttp silently retries an idempotent request once
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.get(path, **kwargs):
            pass
    assert len(fake.requests) == 2
    async with session.get(path, **kwargs) as response:
        assert response.status == 200


async def test_malformed_next_is_200_with_invalid_json(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    fake.malformed_next()
    async with session.get(path, **kwargs) as response:
        assert response.status == 200
        with pytest.raises(json.JSONDecodeError):
            await response.json()


async def test_truncated_next_cuts_the_real_body_in_half(probed: Any) -> None:
    platform, fake, session, path, kwargs = probed
    fake.truncated_next()
    async with session.get(path, **kwargs) as response:
        assert response.status == 200
        cut = await response.read()
    async with session.get(path, **kwargs) as response:
        full = await response.read()
    if platform == "hackernews":  # serverTimeMS etc. are stable, so the bodies compare
        assert full.startswith(cut)
    assert len(cut) in (len(full) // 2, len(full) // 2 - 1, len(full) // 2 + 1)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


async def test_faults_can_target_one_path_and_persist_until_cleared() -> None:
    async with FakeX() as fake, aiohttp.ClientSession(fake.base_url) as session:
        path, kwargs = _x_probe(fake)
        fake.fail_next(status=500, times=None, path="/2/tweets", method="POST")
        for _ in range(3):
            async with session.post(
                "/2/tweets", json={"text": "hi"}, headers=kwargs["headers"]
            ) as r:
                assert r.status == 500
        async with session.get(path, **kwargs) as response:
            assert response.status == 200
        fake.clear_faults()
        user = {"Authorization": f"Bearer {fake.user_token}"}
        async with session.post("/2/tweets", json={"text": "hi"}, headers=user) as response:
            assert response.status == 201


async def test_a_hung_request_does_not_block_shutdown() -> None:
    fake = FakeMastodon()
    await fake.start()
    fake.hang_next(seconds=60)
    timeout = aiohttp.ClientTimeout(total=0.2)
    async with aiohttp.ClientSession(fake.base_url, timeout=timeout) as session:
        with pytest.raises(asyncio.TimeoutError):
            async with session.get("/api/v1/timelines/tag/acme"):
                pass
    started = time.monotonic()
    await fake.stop()
    assert time.monotonic() - started < 2


async def test_exhausting_the_window_answers_429_until_reset() -> None:
    async with FakeX(rate_limit=2) as fake, aiohttp.ClientSession(fake.base_url) as session:
        path, kwargs = _x_probe(fake)
        remaining = []
        for _ in range(3):
            async with session.get(path, **kwargs) as response:
                remaining.append((response.status, response.headers["x-rate-limit-remaining"]))
        assert remaining == [(200, "1"), (200, "0"), (429, "0")]


async def test_reset_after_the_handler_leaves_an_ambiguous_write() -> None:
    async with FakeMastodon() as fake, aiohttp.ClientSession(fake.base_url) as session:
        target = fake.add_post(None, "alice", "#acme broke", ago(minutes=3))
        headers = {"Authorization": f"Bearer {fake.access_token}", "Idempotency-Key": "k1"}
        form = {"status": "sorry!", "in_reply_to_id": target["id"]}
        fake.reset_next(after=True, path="/api/v1/statuses", method="POST")
        with pytest.raises(aiohttp.ServerDisconnectedError):  # POST is not retried by aiohttp
            async with session.post("/api/v1/statuses", data=form, headers=headers):
                pass
        assert len(fake.replies) == 1  # it was posted all the same
        async with session.post("/api/v1/statuses", data=form, headers=headers) as response:
            assert (await response.json())["id"] == fake.replies[0]["id"]
        assert len(fake.replies) == 1


@pytest.mark.parametrize("platform", ["x", "reddit", "mastodon", "bluesky"])
async def test_expire_auth_answers_the_real_auth_error(platform: str) -> None:
    factory, probe = PROBES[platform]
    async with factory() as fake, aiohttp.ClientSession(fake.base_url) as session:
        path, kwargs = probe(fake)
        fake.expire_auth()
        async with session.get(path, **kwargs) as response:
            status, body = response.status, await response.json()
            challenge = response.headers.get("www-authenticate")
    expected = {
        "x": (
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        ),
        "reddit": (401, {"message": "Unauthorized", "error": 401}),
        "mastodon": (401, {"error": "The access token is invalid"}),
        "bluesky": (400, {"error": "ExpiredToken", "message": "Token has expired"}),
    }
    assert (status, body) == expected[platform]
    if platform == "reddit":
        assert challenge == 'Bearer realm="reddit", error="invalid_token"'


# --- X


async def test_x_tweepy_pages_through_search_exactly_once() -> None:
    from tweepy.asynchronous import AsyncClient, AsyncPaginator

    async with FakeX() as fake, aiohttp.ClientSession() as http:
        for i in range(25):
            fake.add_post(None, f"user{i % 4}", f"acme broke again #{i}", ago(minutes=100 - i))
        fake.add_post(None, "bob", "brandbot rocks", ago(minutes=1))
        fake.add_post(None, "carol", "unrelated", ago(minutes=2))
        fake.add_post(None, "dave", "acme but too old", ago(days=8))
        client = AsyncClient(bearer_token=fake.bearer_token)
        client.session = ToFake(http, fake.base_url)
        seen, users = [], set()
        async for page in AsyncPaginator(
            client.search_recent_tweets,
            "(acme OR brandbot) -is:retweet lang:en",
            max_results=10,
            expansions=["author_id"],
            user_fields=["public_metrics"],
            tweet_fields=["created_at", "conversation_id", "public_metrics", "lang"],
        ):
            seen += [t.id for t in page.data]
            users |= {u.username for u in page.includes["users"]}
            assert page.data[0].created_at is not None and page.data[0].author_id
        assert len(seen) == len(set(seen)) == 26
        assert seen == sorted(seen, reverse=True)
        assert users == {"user0", "user1", "user2", "user3", "bob"}
        tokens = [r.query.get("next_token") for r in fake.requests_to("/2/tweets/search/recent")]
        assert tokens[0] is None and all(tokens[1:]) and len(tokens) == 3

        empty = await client.search_recent_tweets("nothing-matches-this")
        assert empty.data is None and empty.meta == {"result_count": 0}


async def test_x_since_id_older_than_seven_days_is_400() -> None:
    from tweepy.asynchronous import AsyncClient
    from tweepy.errors import BadRequest

    async with FakeX() as fake, aiohttp.ClientSession() as http:
        client = AsyncClient(bearer_token=fake.bearer_token)
        client.session = ToFake(http, fake.base_url)
        with pytest.raises(BadRequest) as caught:
            await client.search_recent_tweets("acme", since_id=snowflake(ago(days=8)))
        assert "since_id" in caught.value.api_messages[0]
        recent = fake.add_post(None, "alice", "acme", ago(minutes=3))
        newer = fake.add_post(None, "alice", "acme again", ago(minutes=1))
        response = await client.search_recent_tweets("acme", since_id=recent["id"])
        assert [t.id for t in response.data] == [int(newer["id"])]


async def test_x_replies_with_oauth1_duplicates_and_conversation_search() -> None:
    from tweepy.asynchronous import AsyncClient
    from tweepy.errors import Forbidden, TooManyRequests, Unauthorized

    async with FakeX() as fake, aiohttp.ClientSession() as http:
        target = fake.add_post(None, "alice", "acme ate my order", ago(minutes=5))
        user = AsyncClient(
            consumer_key="ck", consumer_secret="cs", access_token="at", access_token_secret="ats"
        )
        user.session = ToFake(http, fake.base_url)
        created = await user.create_tweet(text="Sorry! DM us.", in_reply_to_tweet_id=target["id"])
        assert set(created.data) >= {"id", "text"}
        assert fake.replies == [
            {
                "id": created.data["id"],
                "text": "Sorry! DM us.",
                "in_reply_to_tweet_id": target["id"],
                "conversation_id": target["id"],
                "auth": "oauth1",
            }
        ]
        with pytest.raises(Forbidden) as duplicate:
            await user.create_tweet(text="Sorry! DM us.", in_reply_to_tweet_id=target["id"])
        assert "duplicate content" in duplicate.value.api_messages[0]

        app = AsyncClient(bearer_token=fake.bearer_token)
        app.session = ToFake(http, fake.base_url)
        with pytest.raises(Forbidden):  # app-only bearer cannot post
            await app.create_tweet(text="nope", user_auth=False)
        me = await user.get_me()
        found = await app.search_recent_tweets(
            f"conversation_id:{target['id']} from:{me.data.username}"
        )
        assert [t.id for t in found.data] == [int(created.data["id"])]

        fake.rate_limit_next(reset_in=60)
        with pytest.raises(TooManyRequests) as limited:
            await app.search_recent_tweets("acme")
        assert limited.value.reset_time >= int(time.time()) + 55
        bad = AsyncClient(bearer_token="wrong")
        bad.session = ToFake(http, fake.base_url)
        with pytest.raises(Unauthorized):
            await bad.search_recent_tweets("acme")


# --- Reddit


async def test_reddit_praw_search_and_comment_listings_page_exactly_once() -> None:
    async with FakeReddit(rate_limit=PRAW_FRIENDLY) as fake:
        for i in range(130):
            fake.add_post(
                None, f"user{i}", f"acme story {i}", ago(minutes=300 - i), title=f"Acme problem {i}"
            )
        fake.add_post(None, "other", "unrelated", ago(minutes=1), title="nothing")
        fake.add_post(None, "other", "acme elsewhere", ago(minutes=1), subreddit="elsewhere")
        link = next(iter(fake.things))
        for i in range(120):
            fake.add_comment(
                None,
                "[deleted]" if i == 7 else f"c{i}",
                f"comment {i}",
                ago(minutes=200 - i),
                parent_id=link,
            )
        reddit = praw_reddit(fake)

        def crawl() -> tuple[list[str], list[Any]]:
            found = [
                s.id for s in reddit.subreddit("brandbot").search("acme", sort="new", limit=None)
            ]
            return found, list(reddit.subreddit("brandbot").comments(limit=None))

        submissions, comments = await asyncio.to_thread(crawl)
        assert len(submissions) == len(set(submissions)) == 130
        assert len(comments) == len({c.id for c in comments}) == 120
        assert [c.author for c in comments].count(None) == 1
        assert comments[0].body == "comment 119" and comments[0].link_id == link
        searches = fake.requests_to("/r/brandbot/search/")
        assert searches[0].query["sort"] == "new" and searches[0].query["raw_json"] == "1"
        assert searches[0].query["restrict_sr"] == "True" and "after" in searches[1].query
        assert fake.token_requests == 1


async def test_reddit_praw_replies_locked_threads_and_rate_limits() -> None:
    from praw.exceptions import RedditAPIException

    async with FakeReddit(rate_limit=PRAW_FRIENDLY) as fake:
        post = fake.add_post("abc123", "alice", "acme lost my parcel", ago(minutes=5))
        locked = fake.add_post("lock42", "bob", "acme?", ago(minutes=5))
        fake.lock(locked["name"])
        reddit = praw_reddit(fake)

        comment = await asyncio.to_thread(reddit.submission("abc123").reply, "Sorry, DM us")
        assert comment.body == "Sorry, DM us" and comment.parent_id == post["name"]
        assert fake.replies[0]["thing_id"] == "t3_abc123"
        assert fake.requests_to("/api/comment/", "POST")[0].query == {"raw_json": "1"}
        nested = await asyncio.to_thread(comment.reply, "Following up")
        assert nested.parent_id == f"t1_{comment.id}" and nested.link_id == post["name"]

        with pytest.raises(RedditAPIException) as thread_locked:
            await asyncio.to_thread(reddit.submission("lock42").reply, "hi")
        assert thread_locked.value.items[0].error_type == "THREAD_LOCKED"
        fake.comment_ratelimit_next(seconds=540)
        with pytest.raises(RedditAPIException) as limited:
            await asyncio.to_thread(reddit.submission("abc123").reply, "again")
        assert limited.value.items[0].error_type == "RATELIMIT"
        assert "9 minutes" in limited.value.items[0].message
        me = await asyncio.to_thread(reddit.user.me)
        assert me.name == fake.username


async def test_reddit_praw_reauthenticates_after_expire_auth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prawcore.sessions import FiniteRetryStrategy

    monkeypatch.setattr(FiniteRetryStrategy, "_sleep_seconds", lambda self: None)
    async with FakeReddit(rate_limit=PRAW_FRIENDLY) as fake:
        fake.add_post(None, "alice", "acme", ago(minutes=5))
        reddit = praw_reddit(fake)
        first = await asyncio.to_thread(lambda: list(reddit.subreddit("brandbot").new(limit=5)))
        fake.expire_auth()
        again = await asyncio.to_thread(lambda: list(reddit.subreddit("brandbot").new(limit=5)))
        assert [s.id for s in first] == [s.id for s in again]
        assert fake.token_requests == 2
        statuses = [r.path for r in fake.requests if r.path.startswith("/r/")]
        assert len(statuses) == 3  # ok, 401, retried ok


async def test_reddit_lookup_listings_for_finding_our_own_replies() -> None:
    async with FakeReddit() as fake, aiohttp.ClientSession(
            fake.base_url, headers={"User-Agent": REDDIT_UA}) as session:
        link = fake.add_post("p1", "alice", "acme broke", ago(minutes=9))
        first = fake.add_comment("c1", "bob", "same", ago(minutes=8), parent_id=link["name"])
        mine = fake.add_comment("c2", fake.username, "sorry", ago(minutes=7), parent_id="t1_c1")
        auth = {"Authorization": f"bearer {fake.issue_token()}"}
        async with session.get(f"/user/{fake.username}/comments/", headers=auth) as response:
            listing = (await response.json())["data"]
        assert [c["data"]["name"] for c in listing["children"]] == [mine["name"]]
        assert listing["children"][0]["data"]["link_id"] == link["name"]
        async with session.get("/api/info/", params={"id": "t1_c1,t3_p1"}, headers=auth) as r:
            assert [c["data"]["id"] for c in (await r.json())["data"]["children"]] == ["c1", "p1"]
        async with session.get("/comments/p1/", headers=auth) as response:
            post, comments = await response.json()
        top = comments["data"]["children"][0]["data"]
        assert post["data"]["children"][0]["data"]["num_comments"] == 2
        assert (
            top["id"] == first["id"] and top["replies"]["data"]["children"][0]["data"]["id"] == "c2"
        )
        params = {"after": "t1_gone"}
        async with session.get("/r/brandbot/comments/", params=params, headers=auth) as response:
            assert (await response.json())["data"]["children"] == []  # unknown `after`: empty


# --- Mastodon


async def test_mastodon_tag_timeline_paging_both_directions() -> None:
    async with FakeMastodon() as fake, aiohttp.ClientSession() as session:
        ids = [
            fake.add_post(None, f"u{i}", f"#Acme item {i}", ago(minutes=50 - i))["id"]
            for i in range(45)
        ]
        fake.add_post(None, "x", "#other", ago(minutes=1))
        backward, url = [], f"{fake.base_url}/api/v1/timelines/tag/acme?limit=20"
        while url:
            async with session.get(url) as response:
                page = await response.json()
                backward += [s["id"] for s in page]
                url = str(response.links["next"]["url"]) if page else ""
        assert backward == ids[::-1]

        forward, min_id = [], "0"
        while True:
            async with session.get(
                f"{fake.base_url}/api/v1/timelines/tag/acme",
                params={"min_id": min_id, "limit": "20"},
            ) as response:
                page = await response.json()
            if not page:
                break
            assert [s["id"] for s in page] == sorted((s["id"] for s in page), key=int, reverse=True)
            forward += [s["id"] for s in reversed(page)]
            min_id = URL(str(response.links["prev"]["url"])).query["min_id"]
        assert forward == ids
        status = page and page[0] or fake.statuses[ids[0]]
        assert status["content"].startswith("<p>") and status["account"]["acct"]


async def test_mastodon_search_requires_a_token() -> None:
    async with FakeMastodon() as fake, aiohttp.ClientSession(fake.base_url) as session:
        fake.add_post(None, "alice", "acme <3 & friends", ago(minutes=1))
        params = {"q": "acme", "type": "statuses"}
        async with session.get("/api/v2/search", params=params) as response:
            assert response.status == 401
        auth = {"Authorization": f"Bearer {fake.access_token}"}
        async with session.get("/api/v2/search", params=params, headers=auth) as response:
            body = await response.json()
        assert [s["account"]["username"] for s in body["statuses"]] == ["alice"]
        assert "&lt;3 &amp; friends" in body["statuses"][0]["content"]


async def test_mastodon_streaming_heartbeats_updates_and_auth() -> None:
    async with (
        FakeMastodon(heartbeat=0.05) as fake,
        aiohttp.ClientSession(fake.base_url) as session,
    ):
        async with session.get("/api/v1/streaming/hashtag", params={"tag": "acme"}) as response:
            assert response.status == 401
        auth = {"Authorization": f"Bearer {fake.access_token}"}
        async with session.get(
            "/api/v1/streaming/hashtag", params={"tag": "acme"}, headers=auth
        ) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")

            async def line() -> str:
                raw = await asyncio.wait_for(response.content.readline(), 2)
                return raw.decode().rstrip("\n")

            async def event() -> tuple[str, str]:
                while (first := await line()) in ("", ":thump"):
                    pass
                return first, await line()

            assert [await line(), await line()] == [":)", ":thump"]
            status = fake.add_post(None, "alice", "#acme is down again", ago(seconds=1))
            kind, data = await event()
            assert kind == "event: update"
            assert json.loads(data.removeprefix("data: "))["id"] == status["id"]
            fake.delete_post(status["id"])
            assert await event() == ("event: delete", f"data: {status['id']}")
            fake.drop_streams()
            rest = await asyncio.wait_for(response.content.read(), 2)
            assert b"event" not in rest


async def test_mastodon_reply_idempotency_and_context() -> None:
    async with FakeMastodon() as fake, aiohttp.ClientSession(fake.base_url) as session:
        target = fake.add_post(None, "alice@remote.example", "#acme broke", ago(minutes=3))
        auth = {"Authorization": f"Bearer {fake.access_token}", "Idempotency-Key": "draft-17"}
        form = {
            "status": "@alice@remote.example sorry!",
            "in_reply_to_id": target["id"],
            "visibility": "public",
        }
        async with session.post("/api/v1/statuses", data=form, headers=auth) as response:
            first = await response.json()
        async with session.post("/api/v1/statuses", json=form, headers=auth) as response:
            second = await response.json()
        assert first["id"] == second["id"] and len(fake.replies) == 1
        assert first["in_reply_to_id"] == target["id"]
        assert first["in_reply_to_account_id"] == target["account"]["id"]
        async with session.get(f"/api/v1/statuses/{target['id']}/context") as response:
            context = await response.json()
        assert [s["id"] for s in context["descendants"]] == [first["id"]]
        async with session.post(
            "/api/v1/statuses",
            data={"status": "x", "in_reply_to_id": "1"},
            headers={"Authorization": auth["Authorization"]},
        ) as response:
            assert (response.status, await response.json()) == (404, {"error": "Record not found"})


# --- Bluesky


async def test_bluesky_session_search_cursor_and_token_refresh() -> None:
    async with FakeBluesky() as fake, aiohttp.ClientSession(fake.base_url) as session:
        for i in range(60):
            fake.add_post(None, f"user{i}.bsky.social", f"acme thing {i}", ago(minutes=90 - i))
        fake.add_post(None, "x.bsky.social", "unrelated", ago(minutes=1))
        search = "/xrpc/app.bsky.feed.searchPosts"
        async with session.get(search, params={"q": "acme"}) as response:
            assert response.status == 403
            assert await response.json() == {
                "error": "AuthMissing",
                "message": "Authentication Required",
            }
        login = {"identifier": fake.handle, "password": fake.password}
        async with session.post("/xrpc/com.atproto.server.createSession", json=login) as response:
            tokens = await response.json()
        auth = {"Authorization": f"Bearer {tokens['accessJwt']}"}
        seen, cursor = [], None
        while True:
            params = {
                "q": "acme",
                "sort": "latest",
                "limit": "25",
                **({"cursor": cursor} if cursor else {}),
            }
            async with session.get(search, params=params, headers=auth) as response:
                body = await response.json()
                assert "RateLimit-Policy" in response.headers
            seen += [p["uri"] for p in body["posts"]]
            assert body["hitsTotal"] == 60
            cursor = body.get("cursor")
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 60
        assert body["posts"][-1]["record"]["text"] == "acme thing 0"

        fake.expire_auth()
        async with session.get(search, params={"q": "acme"}, headers=auth) as response:
            assert (response.status, await response.json()) == (
                400,
                {"error": "ExpiredToken", "message": "Token has expired"},
            )
        refresh = {"Authorization": f"Bearer {tokens['refreshJwt']}"}
        async with session.post("/xrpc/com.atproto.server.refreshSession", headers=refresh) as r:
            renewed = await r.json()
        async with session.post("/xrpc/com.atproto.server.refreshSession", headers=refresh) as r:
            assert (await r.json())["error"] == "ExpiredToken"  # refresh tokens rotate
        auth = {"Authorization": f"Bearer {renewed['accessJwt']}"}
        async with session.get(search, params={"q": "acme"}, headers=auth) as response:
            assert response.status == 200
        assert fake.session_creations == 1
        fake.expire_refresh()
        refresh = {"Authorization": f"Bearer {renewed['refreshJwt']}"}
        async with session.post("/xrpc/com.atproto.server.refreshSession", headers=refresh) as r:
            assert (r.status, (await r.json())["error"]) == (400, "ExpiredToken")


async def test_bluesky_create_session_limit() -> None:
    async with (
        FakeBluesky(session_limit=3) as fake,
        aiohttp.ClientSession(fake.base_url) as session,
    ):
        login = {"identifier": fake.handle, "password": fake.password}
        statuses = []
        for _ in range(4):
            async with session.post("/xrpc/com.atproto.server.createSession", json=login) as r:
                statuses.append(r.status)
                headers = r.headers
        assert statuses == [200, 200, 200, 429]
        assert headers["RateLimit-Policy"] == "3;w=300" and headers["RateLimit-Remaining"] == "0"
        assert fake.session_creations == 4


async def test_bluesky_reply_records_refs_and_shows_in_thread() -> None:
    async with FakeBluesky() as fake, aiohttp.ClientSession(fake.base_url) as session:
        root = fake.add_post(None, "alice.bsky.social", "acme is broken", ago(minutes=9))
        parent = fake.add_post(
            None, "bob.bsky.social", "same here", ago(minutes=5), reply_to=root["uri"]
        )
        auth = {"Authorization": f"Bearer {fake.new_session()['accessJwt']}"}
        rkey = parent["uri"].rsplit("/", 1)[1]
        params = {"repo": "bob.bsky.social", "collection": "app.bsky.feed.post", "rkey": rkey}
        async with session.get("/xrpc/com.atproto.repo.getRecord", params=params) as response:
            got = await response.json()
        assert got["cid"] == parent["cid"] and got["value"]["reply"]["root"]["uri"] == root["uri"]
        record = {
            "$type": "app.bsky.feed.post",
            "text": "Sorry! DM us.",
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "reply": {
                "root": got["value"]["reply"]["root"],
                "parent": {"uri": got["uri"], "cid": got["cid"]},
            },
        }
        body = {"repo": fake.did, "collection": "app.bsky.feed.post", "record": record}
        async with session.post(
            "/xrpc/com.atproto.repo.createRecord", json=body, headers=auth
        ) as response:
            created = await response.json()
        assert created["uri"].startswith(f"at://{fake.did}/app.bsky.feed.post/")
        assert fake.replies[0]["root"]["uri"] == root["uri"]
        assert fake.replies[0]["parent"]["uri"] == parent["uri"]
        async with session.get(
            "/xrpc/app.bsky.feed.getPostThread", params={"uri": root["uri"]}, headers=auth
        ) as response:
            thread = (await response.json())["thread"]
        ours = thread["replies"][0]["replies"][0]["post"]
        assert ours["uri"] == created["uri"] and ours["author"]["handle"] == fake.handle
        async with session.post("/xrpc/com.atproto.repo.createRecord", json=body) as response:
            assert response.status == 401


# --- Hacker News


async def test_hackernews_search_by_date_filters_and_pages() -> None:
    async with FakeHackerNews() as fake, aiohttp.ClientSession(fake.base_url) as session:
        story = fake.add_post(
            "100", "pg", "", ago(hours=3), title="Acme raises prices", url="https://acme.example/"
        )
        for i in range(44):
            fake.add_post(
                None, f"u{i}", f"acme's API/SDK <broke> {i}", ago(minutes=100 - i), story_id=100
            )
        fake.add_post(None, "z", "unrelated", ago(minutes=1), story_id=100)
        cutoff = int(ago(hours=2).timestamp())
        seen, page = [], 0
        while True:
            params = {
                "query": "acme",
                "tags": "(story,comment)",
                "hitsPerPage": "20",
                "page": str(page),
                "numericFilters": f"created_at_i>{cutoff}",
            }
            async with session.get("/api/v1/search_by_date", params=params) as response:
                body = await response.json()
            seen += [h["objectID"] for h in body["hits"]]
            page += 1
            if page >= body["nbPages"]:
                break
        assert body["nbHits"] == 44 and len(seen) == len(set(seen)) == 44
        assert story["objectID"] not in seen
        newest = fake.items[seen[0]]
        assert newest["comment_text"] == "acme&#x27;s API&#x2F;SDK &lt;broke&gt; 43"
        assert newest["story_title"] == "Acme raises prices" and newest["_tags"][0] == "comment"
        params = {"query": "acme", "tags": "story"}
        async with session.get("/api/v1/search_by_date", params=params) as response:
            stories = (await response.json())["hits"]
        assert [h["objectID"] for h in stories] == ["100"]
        async with session.get("/api/v1/items/100") as response:
            item = await response.json()
        assert item["type"] == "story" and len(item["children"]) == 45


# --- standalone process


@pytest.fixture
def standalone_hn(tmp_path: Path) -> Iterator[str]:
    """`python -m tests.fakes.hackernews` in a subprocess; yields its base URL."""
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "\n".join(
            json.dumps(
                {
                    "native_id": str(i),
                    "author": "alice",
                    "text": f"acme {i}",
                    "created_at": ago(minutes=i).isoformat(),
                }
            )
            for i in range(3)
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.hackernews", "--port", "0", "--posts", str(posts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline() if process.stdout else ""
        assert ready.startswith(f"READY http://{LOOPBACK}:"), ready
        yield ready.split()[1]
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        if process.stdout:
            process.stdout.close()


async def test_standalone_process_serves_posts_and_takes_control_calls(standalone_hn: str) -> None:
    async with aiohttp.ClientSession(standalone_hn) as session:
        async with session.get("/api/v1/search_by_date", params={"query": "acme"}) as response:
            assert [h["objectID"] for h in (await response.json())["hits"]] == ["0", "1", "2"]
        async with session.post("/_fake/faults", json={"kind": "fail", "status": 502, "times": 1}):
            pass
        async with session.get("/api/v1/search_by_date", params={"query": "acme"}) as response:
            assert response.status == 502
        async with session.get("/_fake/state") as response:
            state = await response.json()
        assert [r[1] for r in state["requests"]] == ["/api/v1/search_by_date"] * 2
