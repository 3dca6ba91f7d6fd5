"""Replays posts from a JSON Lines file, paging through it like a real API: the offline demo."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.models import PLATFORMS, Author, Mention, Page, Rejected, iso, parse_iso, utcnow
from monitor.platforms.base import PostedReply, Refused, Unavailable, clean_text
from monitor.quarantine import raw_rejected


@dataclass(frozen=True, slots=True)
class ReplayLine:
    """A parsed line of the replay file: a mention, or why the line was skipped."""

    mention: Mention | None
    problem: str | None = None


def parse_line(line: str, offset: int) -> ReplayLine:
    """Turn one JSONL line into a Mention; a bad line becomes a problem, not an exception."""
    where = f"line at byte {offset}"
    try:
        post = json.loads(line)
    except json.JSONDecodeError as exc:
        return ReplayLine(None, f"{where}: invalid JSON ({exc.msg})")
    except RecursionError:  # "[[[[..." 200,000 deep
        return ReplayLine(None, f"{where}: invalid JSON (nested too deeply)")
    if not isinstance(post, dict):
        return ReplayLine(None, f"{where}: expected a JSON object")
    missing = [k for k in ("platform", "id", "author", "text", "created_at") if k not in post]
    if missing:
        return ReplayLine(None, f"{where}: missing {', '.join(missing)}")
    if post["platform"] not in PLATFORMS:
        return ReplayLine(None, f"{where}: unknown platform {post['platform']!r}")
    try:
        created = parse_iso(str(post["created_at"]))
    except ValueError:
        return ReplayLine(None, f"{where}: invalid created_at {post['created_at']!r}")
    platform, native_id, handle = post["platform"], str(post["id"]), str(post["author"])
    followers = post.get("author_followers")
    return ReplayLine(Mention(
        platform=platform,
        native_id=native_id,
        author=Author(
            platform=platform, native_id=handle.lower(), handle=handle,
            display_name=_opt_str(post.get("author_name")),
            followers=followers if isinstance(followers, int) else None,
        ),
        text=clean_text(str(post["text"])),
        created_at=created,
        url=_opt_str(post.get("url")),
        lang=_opt_str(post.get("lang")),
        in_reply_to=_opt_str(post.get("in_reply_to")),
        conversation_id=_opt_str(post.get("conversation_id")),
        raw=post,
    ))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


# How old the newest post is when the source starts, with `shift_to_now`.
SHIFT_LEAD = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Timeline:
    """How the file's posts are dated, fixed when the source first reads it: the amount every
    post moves by, and when each held-back post arrives (by byte offset)."""

    shift: timedelta
    arrivals: dict[int, datetime]
    end: int  # lines from here on were appended later: served as written

    def date(self, offset: int) -> datetime | None:
        """When the post at `offset` arrives, if it is one held back."""
        return self.arrivals.get(offset)

    def waiting(self, offset: int, now: datetime) -> bool:
        """Whether the post at `offset` is held back still."""
        arrives = self.arrivals.get(offset)
        return arrives is not None and arrives > now


class ReplayPlatform:
    """A source that serves a JSONL file page by page; the cursor is a byte offset.

    Lines appended to the file later are served on later calls, as new posts would be; a last
    line still being written (no newline, not yet valid JSON) waits for the next call.

    For a demo that lives in the present: `shift_to_now` moves every post's time by one
    amount (their spacing kept) so that the newest post served at once is `SHIFT_LEAD` old
    when the source starts; `pace_last` holds the file's last N posts back and lets them
    arrive one at a time over `pace_over`, each dated the moment it arrives, as live posts.
    """

    platform = "replay"

    def __init__(self, path: Path, *, page_size: int = 50, shift_to_now: bool = False,
                 pace_last: int = 0, pace_over: timedelta = timedelta(minutes=3),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.path = path
        self.page_size = page_size
        self.shift_to_now = shift_to_now
        self.pace_last = pace_last
        self.pace_over = pace_over
        self.clock = clock
        self._timeline: _Timeline | None = None

    def _plan(self) -> _Timeline:
        """Read the file once, when the source starts, and fix its timeline."""
        start = self.clock().replace(microsecond=0)
        posts: list[tuple[int, datetime]] = []  # (offset, created_at) of every good line
        with self.path.open("rb") as handle:
            offset = 0
            for raw in handle:
                parsed = parse_line(raw.decode("utf-8", "replace"), offset)
                if parsed.mention is not None:
                    posts.append((offset, parsed.mention.created_at))
                elif not raw.endswith(b"\n"):
                    break  # a partial last line: not part of the file yet
                offset += len(raw)
        held = posts[len(posts) - self.pace_last:] if self.pace_last else []
        step = self.pace_over / max(1, len(held))
        arrivals = {at: start + step * (i + 1) for i, (at, _) in enumerate(held)}
        served = posts[:len(posts) - len(held)]
        shift = timedelta(0)
        if self.shift_to_now and served:
            shift = start - SHIFT_LEAD - max(created for _, created in served)
        return _Timeline(shift=shift, arrivals=arrivals, end=offset)

    def _dated(self, mention: Mention, offset: int, timeline: _Timeline) -> Mention:
        """The mention as the source serves it, with its time moved or set on arrival."""
        if offset >= timeline.end:
            return mention
        created = timeline.date(offset) or mention.created_at + timeline.shift
        if created == mention.created_at:
            return mention
        return replace(mention, created_at=created,
                       raw={**mention.raw, "created_at": iso(created)})

    async def listen(self, cursor: str | None) -> Page:
        offset = int(cursor) if cursor else 0
        mentions, problems = [], []
        rejected: list[Rejected] = []
        seen: set[str] = set()
        try:
            if self._timeline is None:
                self._timeline = self._plan() if self.shift_to_now or self.pace_last \
                    else _Timeline(timedelta(0), {}, 0)
            timeline = self._timeline
            now = self.clock()
            with self.path.open("rb") as handle:
                handle.seek(offset)
                taken = 0
                # a post held back stops the page until its moment
                while taken < self.page_size and not timeline.waiting(offset, now):
                    raw = handle.readline()
                    if not raw:
                        break
                    text = raw.decode("utf-8", "replace")
                    parsed = parse_line(text, offset) if text.strip() else None
                    if not raw.endswith(b"\n") and parsed is not None and parsed.mention is None:
                        break  # a partial last line: leave it for the next call
                    at = offset
                    offset += len(raw)
                    if parsed is None:
                        continue
                    taken += 1
                    if parsed.mention is not None and parsed.mention.id in seen:
                        # the same id twice in one page: the first stands
                        problems.append(f"line at byte {at}: "
                                        f"{parsed.mention.id} again in this page; kept the first")
                    elif parsed.mention is not None:
                        seen.add(parsed.mention.id)
                        mentions.append(self._dated(parsed.mention, at, timeline))
                    elif parsed.problem:
                        problems.append(parsed.problem)
                        rejected.append(raw_rejected(parsed.problem, text))
                has_more = not timeline.waiting(offset, now) and bool(handle.read(1))
        except OSError as exc:
            raise Unavailable(f"cannot read {self.path}: {exc.strerror}") from None
        mentions.sort(key=lambda m: m.created_at)
        return Page(
            mentions=tuple(mentions), next_cursor=str(offset), has_more=has_more,
            problems=tuple(problems), rejected=tuple(rejected),
        )

    async def history(self, cursor: str | None, *, since: datetime) -> Page:
        """The file again from its start, keeping the posts made since `since`."""
        page = await self.listen(cursor)
        kept = tuple(m for m in page.mentions if m.created_at >= since)
        return Page(mentions=kept, next_cursor=page.next_cursor, has_more=page.has_more,
                    problems=page.problems, rejected=page.rejected)

    async def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> PostedReply:
        raise Refused("the replay source is read-only; replies go to real platforms")

    async def find_reply(self, mention: Mention, text: str) -> PostedReply | None:
        return None

    async def close(self) -> None:
        return None
