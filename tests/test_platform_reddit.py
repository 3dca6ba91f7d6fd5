"""The Reddit adapter against the fake Reddit: listening, paging, errors, replies, reconciling."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.models import Mention
from monitor.platforms.base import AuthFailed, RateLimited, Refused, Unavailable
from monitor.platforms.reddit import (
    LIMIT,
    RedditPlatform,
    build_query,
    mention_from_thing,
    parse_cursor,
    rate_limit_from_headers,
    ratelimit_wait,
    term_filter,
    time_filter,
)
from monitor.settings import REDDIT_USER_AGENT as REDDIT_UA
from monitor.settings import Brand, ConfigError, RedditSource, settings_from_dict
from tests.fakes import FakeReddit
from tests.helpers import brandbot, drain, ids

# praw paces itself from x-ratelimit-*; the adapter switches that off, and the fake's author
# advises a window praw never needs to pace anyway.
PRAW_FRIENDLY = 1_000_000
BRAND = Brand(
    name="Acme",
    keywords=["acme", "Acme Corp"],
    hashtags=["#AcmeHelp"],
    handles={"reddit": ["AcmeSupport"], "x": ["@acme"]},
    exclude=["acme anvil"],
)
ENV_NAMES = {"client_id_env": "RID", "client_secret_env": "RSECRET",
             "username_env": "RUSER", "password_env": "RPASS"}

Connect = Callable[..., RedditPlatform]


def ago(**delta: float) -> datetime:
    """A moment in the past."""
    return datetime.now(UTC) - timedelta(**delta)


def environ(fake: FakeReddit, **overrides: str) -> dict[str, str]:
    """The credentials the fake accepts, by the variable names the tests' source uses."""
    values = {"RID": fake.client_id, "RSECRET": fake.client_secret, "RUSER": fake.username,
              "RPASS": fake.password}
    return {**values, **overrides}


@pytest.fixture
async def fake() -> AsyncIterator[FakeReddit]:
    async with FakeReddit(rate_limit=PRAW_FRIENDLY) as server:
        yield server


@pytest.fixture
async def connect(fake: FakeReddit) -> AsyncIterator[Connect]:
    """Build adapters pointed at the fake; all are closed after the test."""
    made: list[RedditPlatform] = []

    def build(*, brand: Brand = BRAND, env: dict[str, str] | None = None,
              account: bool = True, **options: Any) -> RedditPlatform:
        names: dict[str, str] = dict(ENV_NAMES) if account else {
            "username": "acme_care", **{k: v for k, v in ENV_NAMES.items()
                                        if k.startswith("client")}}
        settings = {"subreddits": ["brandbot"], "timeout": "2s", **names, **options}
        source = RedditSource(platform="reddit", base_url=fake.base_url, **settings)
        platform = RedditPlatform(source, brand, environ=env or environ(fake))
        made.append(platform)
        return platform

    yield build
    for platform in made:
        await platform.close()




def add_posts(fake: FakeReddit, count: int, *, start: int, minutes_ago: float) -> list[str]:
    """`count` matching submissions a second apart, oldest first; their fullnames."""
    return [
        fake.add_post(None, f"user{i}", f"acme order {i} lost",
                      ago(minutes=minutes_ago, seconds=-i), title=f"Acme problem {i}")["name"]
        for i in range(start, start + count)
    ]


# --- pure helpers


def test_query_quotes_keywords_keeps_hashtag_words_skips_handles_and_excludes() -> None:
    assert build_query(BRAND) == '("acme" OR "Acme Corp" OR AcmeHelp) NOT "acme anvil"'
    assert build_query(Brand(name="A", keywords=["acme"])) == '"acme"'
    assert build_query(Brand(name="A", hashtags=["acme-help", "OR"])) == '"acme-help" OR "OR"'
    assert build_query(Brand(name="A", handles={"reddit": ["AcmeSupport"]})) == ""


def test_comment_filter_matches_whole_terms_handles_and_honours_exclusions() -> None:
    matches = term_filter(BRAND).matches
    assert matches("ACME lost my parcel") and matches("anyone from Acme Corp here?")
    assert matches("#acmehelp please") and matches("acmehelp is slow")
    assert matches("ping /u/AcmeSupport") and matches("u/acmesupport help")
    assert not matches("acmeville is lovely") and not matches("a new acme anvil")
    assert not term_filter(Brand(name="A", handles={"x": ["@acme"]})).matches("acme")


def test_normalises_submissions_comments_and_deleted_authors() -> None:
    fake = FakeReddit()  # not started: only its real-shaped things are used
    post = fake.add_post("abc", "Alice", "it broke", 1_700_000_000, title="Acme?")
    comment = fake.add_comment("c1", "[deleted]", "acme too", 1_700_000_100,
                               parent_id=post["name"])
    reply = fake.add_comment("c2", "Bob", "same", 1_700_000_200, parent_id="t1_c1")

    submission = mention_from_thing(post)
    assert (submission.native_id, submission.text) == ("t3_abc", "Acme?\n\nit broke")
    assert (submission.author.native_id, submission.author.handle) == ("alice", "Alice")
    assert submission.created_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert submission.url == "https://www.reddit.com/r/brandbot/comments/abc/acme/"
    assert submission.conversation_id == "t3_abc" and submission.in_reply_to is None
    assert submission.metrics == {"score": 1, "num_comments": 2} and submission.raw == post

    deleted = mention_from_thing(comment)
    assert deleted.author.handle == deleted.author.native_id == "[deleted]"
    assert mention_from_thing({**comment, "author": None}).author.native_id == "[deleted]"
    nested = mention_from_thing(reply)
    assert (nested.text, nested.in_reply_to, nested.conversation_id) == ("same", "t1_c1", "t3_abc")
    assert nested.url == "https://www.reddit.com/r/brandbot/comments/abc/acme/c2/"
    with pytest.raises(ValueError):
        mention_from_thing({"name": "t3_x"})


def test_rate_limit_headers_and_ratelimit_messages() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    limit = rate_limit_from_headers(
        {"x-ratelimit-remaining": "598.0", "x-ratelimit-used": "2", "x-ratelimit-reset": "418"},
        now=now,
    )
    assert limit is not None
    assert (limit.limit, limit.remaining) == (600, 598)
    assert limit.reset_at == now + timedelta(seconds=418)  # seconds from now, not an epoch
    assert rate_limit_from_headers({}, now=now) is None
    assert ratelimit_wait("Take a break for 9 minutes before trying again.") == 540
    assert ratelimit_wait("try again in 43 seconds.") == 43
    assert ratelimit_wait("slow down") is None


def test_an_unreadable_cursor_starts_again_and_says_so() -> None:
    assert parse_cursor(None) == ({}, ())
    states, problems = parse_cursor("not json")
    assert states == {} and problems


def test_search_time_filter_is_the_narrowest_reaching_back_to_since() -> None:
    now = datetime.now(UTC)
    assert [time_filter(now - delta, now=now) for delta in (
        timedelta(minutes=30), timedelta(days=2), timedelta(days=7), timedelta(days=20),
        timedelta(days=100), timedelta(days=800))] == [
        "hour", "week", "week", "month", "year", "all"]


# --- the User-Agent Reddit's API rules ask for


async def test_every_request_names_the_app_version_and_contact(
    fake: FakeReddit, connect: Connect
) -> None:
    fake.add_post("p1", "alice", "acme broke", ago(minutes=5))
    await connect().listen(None)  # the contact: the account username_env logs in as
    await connect(account=False, app_id="com.acme.care").listen(None)
    agents = set(fake.user_agents)
    assert len(agents) == 2 and all(REDDIT_UA.fullmatch(a.split(" PRAW/")[0]) for a in agents)
    assert {a.split(" PRAW/")[0].split(":", 1)[1].split(":v")[0] for a in agents} == {
        fake.client_id, "com.acme.care"}
    assert {a.split("(by ")[1].split(")")[0] for a in agents} == {
        f"/u/{fake.username}", "/u/acme_care"}
    own = connect(user_agent="python:com.acme.care:v2.1 (by /u/acme_care)")
    assert own.user_agent == "python:com.acme.care:v2.1 (by /u/acme_care)"


async def test_the_fake_throttles_a_vague_user_agent_as_reddit_does(fake: FakeReddit) -> None:
    async with aiohttp.ClientSession(fake.base_url) as session:
        headers = {"Authorization": f"bearer {fake.issue_token()}",
                   "User-Agent": "brandbot/0.1 (social care listener)"}
        async with session.get("/r/brandbot/new", headers=headers) as response:
            assert response.status == 429


@pytest.mark.parametrize(("source", "problem"), [
    ({"user_agent": "brandbot/0.1 (social care listener)"},
     "sources[0].user_agent: Reddit throttles or blocks a vague User-Agent"),
    ({}, "sources[0].username: Reddit's User-Agent must name an account it can contact"),
    ({"username": "acme care!"}, "sources[0].username: 'acme care!' is not a Reddit username"),
])
def test_a_vague_or_anonymous_user_agent_is_refused_at_config_time(
        tmp_path: Path, source: dict[str, str], problem: str) -> None:
    data = {"brand": {"name": "Acme", "keywords": ["acme"]},
            "sources": [{"platform": "reddit", **source}]}
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(data, base_dir=tmp_path, environ={"REDDIT_CLIENT_ID": "id",
                                                             "REDDIT_CLIENT_SECRET": "s"})
    assert caught.value.problems[0].startswith(problem), caught.value.problems


def test_check_config_exits_2_naming_the_user_agent(tmp_path: Path) -> None:
    config = tmp_path / "brandbot.toml"
    config.write_text('[brand]\nname = "Acme"\nkeywords = ["acme"]\n\n[[sources]]\n'
                      'platform = "reddit"\nuser_agent = "Python/urllib"\n')
    env = {"REDDIT_CLIENT_ID": "id", "REDDIT_CLIENT_SECRET": "secret"}
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "sources[0].user_agent: Reddit throttles" in result.stderr
    config.write_text(config.read_text().replace('user_agent = "Python/urllib"',
                                                 'username = "acme_care"'))
    result = brandbot("--config", str(config), "check-config", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "new Reddit API access needs Reddit's approval" in result.stdout


# --- listening


async def test_first_listen_returns_recent_matching_posts_oldest_first(
    fake: FakeReddit, connect: Connect
) -> None:
    post = fake.add_post("p1", "Alice", "my acme order never came", ago(minutes=30),
                         title="Where is my parcel?")
    fake.add_post("p2", "bob", "nothing to see", ago(minutes=20), title="Cats")
    fake.add_post("p3", "carol", "acme anvil for sale", ago(minutes=15), title="Acme anvil")
    fake.add_post("p4", "dave", "acme elsewhere", ago(minutes=10), subreddit="elsewhere")
    fake.add_post("old", "erin", "acme last month", ago(days=20))
    fake.add_comment("c1", "Bob", "Acme lost mine too", ago(minutes=25), parent_id=post["name"])
    fake.add_comment("c2", "[deleted]", "asking u/AcmeSupport", ago(minutes=5), parent_id="t1_c1")
    fake.add_comment("c3", "carol", "unrelated chatter", ago(minutes=4), parent_id=post["name"])
    platform = connect()

    page = await platform.listen(None)

    assert ids(list(page.mentions)) == ["t3_p1", "t1_c1", "t1_c2"]
    first, comment, nested = page.mentions
    assert first.platform == "reddit" and first.author.handle == "Alice"
    assert first.text == "Where is my parcel?\n\nmy acme order never came"
    assert first.url == f"https://www.reddit.com{post['permalink']}"
    assert abs((first.created_at - ago(minutes=30)).total_seconds()) < 5
    assert (comment.in_reply_to, comment.conversation_id) == ("t3_p1", "t3_p1")
    assert comment.author.native_id == "bob" and comment.raw["body"] == "Acme lost mine too"
    assert nested.author.handle == "[deleted]" and nested.in_reply_to == "t1_c1"
    assert not page.has_more and page.problems == ()
    assert page.rate_limit is not None and page.rate_limit.remaining is not None
    assert page.rate_limit.reset_at is not None and page.rate_limit.reset_at > ago(seconds=1)
    search = fake.requests_to("/r/brandbot/search/")[0].query
    assert search["q"] == build_query(BRAND) and search["sort"] == "new"
    assert (search["t"], search["restrict_sr"], search["limit"]) == ("week", "True", "100")
    assert "before" not in search and fake.requests_to("/r/brandbot/comments/")


async def test_r_all_searches_everywhere_and_reads_no_comment_listing(
    fake: FakeReddit, connect: Connect
) -> None:
    fake.add_post("p1", "alice", "acme broke", ago(minutes=5), subreddit="elsewhere")
    page = await connect(subreddits=["all"]).listen(None)
    assert ids(list(page.mentions)) == ["t3_p1"]
    assert [r.path for r in fake.requests if r.method == "GET"] == ["/r/all/search/"]
    assert fake.requests_to("/r/all/search/")[0].query["restrict_sr"] == "False"


async def test_paging_returns_every_post_once_and_later_posts_on_the_next_call(
    fake: FakeReddit, connect: Connect
) -> None:
    first = add_posts(fake, 30, start=0, minutes_ago=120)
    platform = connect()
    initial, cursor = await drain(platform, None)
    assert ids(initial) == first

    burst = add_posts(fake, 2 * LIMIT + 50, start=30, minutes_ago=60)  # more than two pages
    page = await platform.listen(cursor)
    assert page.has_more and len(page.mentions) == LIMIT
    assert ids(list(page.mentions)) == burst[:LIMIT]  # oldest first, straight after the cursor
    rest, cursor = await drain(platform, page.next_cursor)
    assert ids(list(page.mentions) + rest) == burst

    quiet = await platform.listen(cursor)
    assert quiet.mentions == () and not quiet.has_more
    later = add_posts(fake, 3, start=500, minutes_ago=1)
    assert ids(list((await platform.listen(quiet.next_cursor)).mentions)) == later


async def test_restarting_from_a_saved_cursor_repeats_and_skips_nothing(
    fake: FakeReddit, connect: Connect
) -> None:
    add_posts(fake, 10, start=0, minutes_ago=200)
    _, cursor = await drain(connect(), None)
    burst = add_posts(fake, LIMIT + 20, start=10, minutes_ago=100)
    page = await connect().listen(cursor)
    assert page.has_more
    await connect().listen(page.next_cursor)  # stored, then the process "crashed" before this
    restarted, _ = await drain(connect(), page.next_cursor)  # resumes from the stored cursor
    got = ids(list(page.mentions) + restarted)
    assert got == burst


async def test_paging_survives_the_anchor_post_being_deleted(
    fake: FakeReddit, connect: Connect
) -> None:
    add_posts(fake, 5, start=0, minutes_ago=300)
    platform = connect()
    _, cursor = await drain(platform, None)
    burst = add_posts(fake, 2 * LIMIT + 50, start=5, minutes_ago=200)
    page = await platform.listen(cursor)
    assert ids(list(page.mentions)) == burst[:LIMIT]
    del fake.things[burst[LIMIT - 1]]  # Reddit's `before` on a deleted item answers nothing
    rest, cursor = await drain(platform, page.next_cursor)
    assert ids(rest) == burst[LIMIT:]
    assert (await platform.listen(cursor)).mentions == ()


async def test_a_gap_that_cannot_be_paged_is_reported_not_hidden(
    fake: FakeReddit, connect: Connect
) -> None:
    seen = add_posts(fake, 2, start=0, minutes_ago=300)
    platform = connect()
    _, cursor = await drain(platform, None)
    for name in seen:
        del fake.things[name]
    burst = add_posts(fake, LIMIT + 10, start=2, minutes_ago=200)
    page = await platform.listen(cursor)
    assert ids(list(page.mentions)) == burst[-LIMIT:]
    assert page.problems and "may be missing" in page.problems[0]


# --- errors


async def test_429_is_rate_limited_until_the_header_reset_and_nothing_sleeps(
    fake: FakeReddit, connect: Connect
) -> None:
    fake.add_post("p1", "alice", "acme broke", ago(minutes=5))
    platform = connect()
    await platform.listen(None)
    fake.rate_limit_next(reset_in=30, path="/r/")
    with pytest.raises(RateLimited) as limited:
        await platform.listen(None)
    assert limited.value.reset_at is not None
    assert 25 < (limited.value.reset_at - datetime.now(UTC)).total_seconds() <= 31
    started = time.monotonic()
    assert ids(list((await platform.listen(None)).mentions)) == ["t3_p1"]
    assert time.monotonic() - started < 1  # praw would have waited out the 30 s window


@pytest.mark.parametrize("path", ["/r/", "/api/v1/access_token"])
async def test_server_errors_are_unavailable_without_retries(
    fake: FakeReddit, connect: Connect, path: str
) -> None:
    fake.add_post("p1", "alice", "acme broke", ago(minutes=5))
    platform = connect()
    fake.fail_next(status=503, times=1, path=path)
    with pytest.raises(Unavailable, match="503"):
        await platform.listen(None)
    assert len(fake.requests_to(path)) == 1
    assert ids(list((await platform.listen(None)).mentions)) == ["t3_p1"]


async def test_a_hang_past_the_timeout_is_unavailable(fake: FakeReddit, connect: Connect) -> None:
    platform = connect(timeout="0.5s")
    await platform.listen(None)
    fake.hang_next(seconds=5, path="/r/")
    started = time.monotonic()
    with pytest.raises(Unavailable, match="Timeout"):
        await platform.listen(None)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("fault", ["reset", "malformed", "truncated"])
async def test_dropped_connections_and_broken_bodies_are_unavailable(
    fake: FakeReddit, connect: Connect, fault: str
) -> None:
    fake.add_post("p1", "alice", "acme broke", ago(minutes=5))
    platform = connect()
    await platform.listen(None)
    getattr(fake, f"{fault}_next")(times=1, path="/r/brandbot/search")
    with pytest.raises(Unavailable):
        await platform.listen(None)
    fake.clear_faults()
    assert ids(list((await platform.listen(None)).mentions)) == ["t3_p1"]


@pytest.mark.parametrize("variable", ["RSECRET", "RPASS"])
async def test_refused_credentials_are_auth_failed(
    fake: FakeReddit, connect: Connect, variable: str
) -> None:
    platform = connect(env=environ(fake, **{variable: "wrong"}))
    with pytest.raises(AuthFailed) as refused:
        await platform.listen(None)
    assert "wrong" not in str(refused.value)


async def test_an_expired_token_is_replaced_transparently(
    fake: FakeReddit, connect: Connect
) -> None:
    fake.add_post("p1", "alice", "acme broke", ago(minutes=5))
    platform = connect()
    await platform.listen(None)
    fake.expire_auth()
    assert ids(list((await platform.listen(None)).mentions)) == ["t3_p1"]
    assert fake.token_requests == 2


# --- replying and reconciling


async def listened(platform: RedditPlatform) -> dict[str, Mention]:
    return {m.native_id: m for m in (await platform.listen(None)).mentions}


# --- backfill


async def test_backfill_pages_search_back_to_since_and_stops_there(
    fake: FakeReddit, connect: Connect
) -> None:
    recent = [fake.add_post(None, f"user{i}", f"acme outage day {i}",
                            ago(minutes=15 * i + 1), title=f"Acme down {i}")["name"]
              for i in range(250)]  # the last 2.6 days
    for i in range(150):  # 3 to 6 days ago
        fake.add_post(None, f"old{i}", f"acme old {i}", ago(days=3, minutes=30 * i),
                      title=f"Acme before {i}")
    fake.add_comment("c1", "bob", "acme comments are not searchable", ago(minutes=3),
                     parent_id=recent[0])
    platform = connect()
    cursor, pages = None, []
    while True:
        page = await platform.history(cursor, since=ago(days=3))
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            break
    got = [m.native_id for page in pages for m in page.mentions]
    assert sorted(got) == sorted(recent) and len(got) == len(set(got))
    assert all(list(p.mentions) == sorted(p.mentions, key=lambda m: m.created_at) for p in pages)
    searches = [r.query for r in fake.requests_to("/r/brandbot/search/")]
    assert len(searches) == 3  # the third page reaches past `since`: no fourth request
    assert "after" not in searches[0] and all(q.get("after") for q in searches[1:])
    assert {(q["sort"], q["t"]) for q in searches} == {("new", "week")}
    assert pages[-1].problems == () and pages[0].rate_limit is not None


async def test_backfill_of_a_brand_reddit_cannot_search_is_empty(
    fake: FakeReddit, connect: Connect
) -> None:
    handles_only = Brand(name="Acme", handles={"reddit": ["AcmeSupport"]})
    page = await connect(brand=handles_only).history(None, since=ago(days=7))
    assert page.mentions == () and not page.has_more
    assert not fake.requests_to("/r/brandbot/search/")


async def test_replies_land_on_the_right_thread(fake: FakeReddit, connect: Connect) -> None:
    post = fake.add_post("p1", "alice", "acme lost my parcel", ago(minutes=9))
    fake.add_comment("c1", "bob", "acme lost mine too", ago(minutes=8), parent_id=post["name"])
    platform = connect()
    mentions = await listened(platform)

    posted = await platform.reply(mentions["t3_p1"], "Sorry! DM us.", idempotency_key="d1")
    nested = await platform.reply(mentions["t1_c1"], "Sorry, Bob.", idempotency_key="d2")

    assert [(r["thing_id"], r["link_id"], r["text"]) for r in fake.replies] == [
        ("t3_p1", "t3_p1", "Sorry! DM us."), ("t1_c1", "t3_p1", "Sorry, Bob.")]
    assert posted.native_id == fake.replies[0]["name"]
    assert posted.url == f"https://www.reddit.com{fake.things[posted.native_id]['permalink']}"
    assert nested.native_id == fake.replies[1]["name"]


async def test_permanent_refusals_are_refused(fake: FakeReddit, connect: Connect) -> None:
    fake.add_post("p1", "alice", "acme lost my parcel", ago(minutes=9))
    locked = fake.add_post("p2", "bob", "acme?", ago(minutes=8))
    fake.lock(locked["name"])
    platform = connect()
    mentions = await listened(platform)
    with pytest.raises(Refused, match="THREAD_LOCKED"):
        await platform.reply(mentions["t3_p2"], "hi", idempotency_key="d1")
    fake.api_error_next("DELETED_COMMENT", "that comment has been deleted", "parent")
    with pytest.raises(Refused, match="DELETED_COMMENT"):
        await platform.reply(mentions["t3_p1"], "hi", idempotency_key="d2")
    assert fake.replies == []


async def test_reply_rate_limits_and_failures_never_sleep_or_retry(
    fake: FakeReddit, connect: Connect
) -> None:
    fake.add_post("p1", "alice", "acme lost my parcel", ago(minutes=9))
    platform = connect()
    mention = (await listened(platform))["t3_p1"]
    fake.comment_ratelimit_next(seconds=540)
    started = time.monotonic()
    with pytest.raises(RateLimited) as limited:
        await platform.reply(mention, "hi", idempotency_key="d1")
    assert limited.value.reset_at is not None
    assert 530 < (limited.value.reset_at - datetime.now(UTC)).total_seconds() <= 541
    # praw sleeps and retries a RATELIMIT it thinks is short, even with ratelimit_seconds=0.
    fake.api_error_next("RATELIMIT", "Take a break for 500 milliseconds.", "ratelimit")
    with pytest.raises(RateLimited):
        await platform.reply(mention, "hi", idempotency_key="d1")
    fake.fail_next(status=502, times=1, path="/api/comment")
    with pytest.raises(Unavailable):
        await platform.reply(mention, "hi", idempotency_key="d1")
    assert len(fake.requests_to("/api/comment", "POST")) == 3 and fake.replies == []
    assert time.monotonic() - started < 1


async def test_replying_needs_an_account(fake: FakeReddit, connect: Connect) -> None:
    fake.add_post("p1", "alice", "acme lost my parcel", ago(minutes=9))
    platform = connect(account=False)  # read-only: client credentials only
    mention = (await listened(platform))["t3_p1"]
    with pytest.raises(AuthFailed, match="username_env"):
        await platform.reply(mention, "hi", idempotency_key="d1")
    assert await platform.find_reply(mention, "hi") is None


async def test_an_unreturned_reply_is_unavailable_and_find_reply_reconciles_it(
    fake: FakeReddit, connect: Connect
) -> None:
    post = fake.add_post("p1", "alice", "acme lost my parcel", ago(minutes=9))
    fake.add_comment("c1", "bob", "acme lost mine too", ago(minutes=8), parent_id=post["name"])
    platform = connect()
    mentions = await listened(platform)
    for target in ("t3_p1", "t1_c1"):
        assert await platform.find_reply(mentions[target], "Sorry!") is None
        fake.empty_reply_next()
        with pytest.raises(Unavailable, match="outcome unknown"):
            await platform.reply(mentions[target], "Sorry!", idempotency_key=target)
        found = await platform.find_reply(mentions[target], "Sorry!")
        assert found is not None and found.native_id == fake.replies[-1]["name"]
        assert found.url and found.url.startswith("https://www.reddit.com/r/brandbot/comments/")
    assert len(fake.replies) == 2


async def test_find_reply_wants_our_account_and_the_exact_text(
    fake: FakeReddit, connect: Connect
) -> None:
    post = fake.add_post("p1", "alice", "acme lost my parcel", ago(minutes=9))
    fake.add_comment("c1", "bob", "acme lost mine too", ago(minutes=8), parent_id=post["name"])
    fake.add_comment(None, "mallory", "Sorry, Bob.", ago(minutes=7), parent_id="t1_c1")
    platform = connect()
    mention = (await listened(platform))["t1_c1"]
    assert await platform.find_reply(mention, "Sorry, Bob.") is None
    posted = await platform.reply(mention, "Sorry, Bob.", idempotency_key="d1")
    assert await platform.find_reply(mention, "Sorry, Bob!") is None
    assert await platform.find_reply(mention, "Sorry, Bob.") == posted
    # Without the thread id, our own recent comments are searched instead.
    bare = dataclasses.replace(mention, conversation_id=None, raw={})
    assert await platform.find_reply(bare, "Sorry, Bob.") == posted
    assert json.loads(json.dumps(mention.raw)) == mention.raw  # raw survives the store
