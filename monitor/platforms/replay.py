"""Replays posts from a JSON Lines file, paging through it like a real API: the offline demo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.models import PLATFORMS, Author, Mention, Page, Rejected, parse_iso
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


class ReplayPlatform:
    """A source that serves a JSONL file page by page; the cursor is a byte offset.

    Lines appended to the file later are served on later calls, as new posts would be; a last
    line still being written (no newline, not yet valid JSON) waits for the next call.
    """

    platform = "replay"

    def __init__(self, path: Path, *, page_size: int = 50) -> None:
        self.path = path
        self.page_size = page_size

    async def listen(self, cursor: str | None) -> Page:
        offset = int(cursor) if cursor else 0
        mentions, problems = [], []
        rejected: list[Rejected] = []
        seen: set[str] = set()
        try:
            with self.path.open("rb") as handle:
                handle.seek(offset)
                taken = 0
                while taken < self.page_size:
                    raw = handle.readline()
                    if not raw:
                        break
                    text = raw.decode("utf-8", "replace")
                    parsed = parse_line(text, offset) if text.strip() else None
                    if not raw.endswith(b"\n") and parsed is not None and parsed.mention is None:
                        break  # a partial last line: leave it for the next call
                    offset += len(raw)
                    if parsed is None:
                        continue
                    taken += 1
                    if parsed.mention is not None and parsed.mention.id in seen:
                        # the same id twice in one page: the first stands
                        problems.append(f"line at byte {offset - len(raw)}: "
                                        f"{parsed.mention.id} again in this page; kept the first")
                    elif parsed.mention is not None:
                        seen.add(parsed.mention.id)
                        mentions.append(parsed.mention)
                    elif parsed.problem:
                        problems.append(parsed.problem)
                        rejected.append(raw_rejected(parsed.problem, text))
                has_more = bool(handle.read(1))
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
