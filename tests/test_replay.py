"""The replay platform pages through a JSONL file like an API with a cursor."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.platforms.replay import ReplayPlatform
from tests.helpers import DEMO_MENTIONS


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
