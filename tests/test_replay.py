"""The replay platform pages through a JSONL file like an API with a cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.models import Mention, iso
from monitor.platforms import build_platform
from monitor.platforms.replay import SHIFT_LEAD, ReplayPlatform
from monitor.settings import load_settings
from tests.helpers import DEMO_CONFIG, DEMO_MENTIONS, drain, ids


def _post(i: int, **extra: object) -> str:
    return json.dumps({"platform": "x", "id": str(1000 + i), "author": f"user{i % 7}",
                       "text": f"brightwave post {i}",
                       "created_at": f"2026-11-18T07:{i % 60:02d}:00Z", **extra}) + "\n"


async def _drain(platform: ReplayPlatform, cursor: str | None = None) -> tuple[list[str], str]:
    ids: list[str] = []
    while True:
        page = await platform.listen(cursor)
        ids += [m.native_id for m in page.mentions]
        cursor = page.next_cursor
        if not page.has_more:
            return ids, cursor or ""


async def test_pages_serve_every_post_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(_post(i) for i in range(23)))
    platform = ReplayPlatform(path, page_size=5)
    first = await platform.listen(None)
    assert [m.native_id for m in first.mentions] == ["1000", "1001", "1002", "1003", "1004"]
    assert first.has_more
    ids, cursor = await _drain(platform)
    assert ids == [str(1000 + i) for i in range(23)]
    again = await platform.listen(cursor)
    assert again.mentions == () and not again.has_more


async def test_appended_posts_are_served_later_and_partial_lines_wait(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(_post(0))
    platform = ReplayPlatform(path, page_size=10)
    _, cursor = await _drain(platform)
    with path.open("a") as f:
        f.write(_post(1) + _post(2)[:20])  # the writer is mid-line
    page = await platform.listen(cursor)
    assert [m.native_id for m in page.mentions] == ["1001"]
    with path.open("a") as f:
        f.write(_post(2)[20:])
    page = await platform.listen(page.next_cursor)
    assert [m.native_id for m in page.mentions] == ["1002"]


async def test_bad_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(_post(0) + "{not json\n" + '{"platform": "x"}\n' + "\n" + _post(1)
                    + json.dumps({"platform": "myspace", "id": "1", "author": "a", "text": "t",
                                  "created_at": "2026-11-18T07:00:00Z"}) + "\n")
    page = await ReplayPlatform(path, page_size=50).listen(None)
    assert [m.native_id for m in page.mentions] == ["1000", "1001"]
    assert len(page.problems) == 3
    assert any("invalid JSON" in p for p in page.problems)
    assert any("missing id, author, text, created_at" in p for p in page.problems)


async def test_the_same_id_twice_in_a_page_keeps_the_first_and_reports_the_second(
        tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(_post(0) + _post(0, text="brightwave post 0, edited") + _post(1))
    page = await ReplayPlatform(path, page_size=50).listen(None)
    assert [(m.native_id, m.text) for m in page.mentions] == [
        ("1000", "brightwave post 0"), ("1001", "brightwave post 1")]
    assert page.problems == ("line at byte 118: x:1000 again in this page; kept the first",)
    assert len(page.rejected) == 0  # nothing to hold: the post itself is stored


async def test_fields_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(_post(3, author_name="Dana K", author_followers=1234, lang="en",
                          url="https://x.com/user3/status/1003", in_reply_to="999",
                          conversation_id="999"))
    (m,) = (await ReplayPlatform(path).listen(None)).mentions
    assert m.id == "x:1003" and m.author.id == "x:user3" and m.author.followers == 1234
    assert (m.in_reply_to, m.conversation_id, m.lang) == ("999", "999", "en")
    assert m.created_at.isoformat() == "2026-11-18T07:03:00+00:00"


async def test_demo_data_has_what_the_demo_promises() -> None:
    ids, _ = await _drain(ReplayPlatform(DEMO_MENTIONS, page_size=100))
    lines = DEMO_MENTIONS.read_text(encoding="utf-8").splitlines()
    posts = [json.loads(line) for line in lines]
    assert len(ids) == len(posts) >= 300
    assert {p["platform"] for p in posts} >= {"x", "reddit", "mastodon", "bluesky", "hackernews"}
    assert max(len(p["text"]) for p in posts) >= 100_000
    texts = "\n".join(p["text"] for p in posts)
    for needle in ("<script>", "onerror=", "DROP TABLE", "\u200b", "\u202e"):
        assert needle in texts
    assert {p.get("lang") for p in posts} - {"en", None}


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


async def test_shift_to_now_dates_the_newest_post_minutes_ago_keeping_the_spacing(
        tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(_post(i) for i in range(12)))
    written, _ = await drain(ReplayPlatform(path, page_size=5))
    platform = ReplayPlatform(path, page_size=5, shift_to_now=True, clock=_Clock(START))
    shifted, _ = await drain(platform)
    assert ids(shifted) == ids(written)
    assert shifted[-1].created_at == START - SHIFT_LEAD
    assert [b.created_at - a.created_at for a, b in zip(shifted, shifted[1:], strict=False)] \
        == [b.created_at - a.created_at for a, b in zip(written, written[1:], strict=False)]
    assert shifted[0].raw["created_at"] == iso(shifted[0].created_at)


async def test_the_last_posts_arrive_one_by_one_dated_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(_post(i) for i in range(10)))
    clock = _Clock(START)
    platform = ReplayPlatform(path, page_size=50, shift_to_now=True, pace_last=4,
                              pace_over=timedelta(minutes=2), clock=clock)
    first, cursor = await drain(platform)
    assert ids(first) == [str(1000 + i) for i in range(6)]
    assert first[-1].created_at == START - SHIFT_LEAD  # the newest served at once
    arrived: list[Mention] = []
    for _ in range(4):  # 30 s apart: one post a step, none early
        page = await platform.listen(cursor)
        assert page.mentions == () and not page.has_more
        clock.now += timedelta(seconds=30)
        page = await platform.listen(cursor)
        cursor = page.next_cursor
        assert len(page.mentions) == 1 and not page.has_more
        assert page.mentions[0].created_at == clock.now
        arrived += page.mentions
    assert ids(arrived) == ["1006", "1007", "1008", "1009"]
    with path.open("a") as f:  # written later: served as written, at once
        f.write(_post(10))
    (late,) = (await platform.listen(cursor)).mentions
    assert late.created_at.isoformat() == "2026-11-18T07:10:00+00:00"


async def test_a_late_start_serves_every_post_that_is_due_at_once(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(_post(i) for i in range(10)))
    clock = _Clock(START)
    platform = ReplayPlatform(path, page_size=3, pace_last=4, pace_over=timedelta(minutes=2),
                              clock=clock)
    first, cursor = await drain(platform)
    assert len(first) == 6 and first[0].created_at.isoformat().startswith("2026-11-18")
    clock.now += timedelta(minutes=5)
    rest, _ = await drain(platform, cursor)
    assert ids(rest) == ["1006", "1007", "1008", "1009"]


async def test_the_demo_source_starts_in_the_present() -> None:
    settings = load_settings(DEMO_CONFIG, environ={})
    (source,) = settings.sources
    clock = _Clock(START)
    live = build_platform(source, settings)
    assert isinstance(live, ReplayPlatform)
    live.clock = clock
    served, _ = await drain(live, max_pages=50)
    newest = max(m.created_at for m in served)
    assert START - timedelta(hours=1) < newest <= START  # the done-when: under an hour old
    assert len(served) < len(DEMO_MENTIONS.read_text(encoding="utf-8").splitlines())
    # `run --once` (not live) serves the whole file, the newest post minutes old
    once = build_platform(source, settings, live=False)
    assert isinstance(once, ReplayPlatform)
    once.clock = clock
    everything, _ = await drain(once, max_pages=50)
    assert len(everything) > len(served)
    assert max(m.created_at for m in everything) == START - SHIFT_LEAD
