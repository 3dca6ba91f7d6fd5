"""Stored posts: which are known, who wrote how many, one post, its thread."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from monitor.models import (
    Author,
    Mention,
    parse_iso,
)
from monitor.store.base import EXCERPT, StoreBase, chunks, qmarks
from monitor.store.errors import NotFound


class MentionsStore(StoreBase):
    """Reads of stored mentions."""

    def known_mention_ids(self, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` already stored."""
        ids = list(ids)
        found: set[str] = set()
        for chunk in chunks(ids):
            rows = self.conn.execute(
                f"SELECT id FROM mentions WHERE id IN ({qmarks(len(chunk))})", chunk
            )
            found.update(r[0] for r in rows)
        return found

    def mentions_by_author(self, author_ids: Iterable[str], *,
                           excluding: Iterable[str] = ()) -> dict[str, int]:
        """How many mentions each author already has stored (repeat contact), not counting
        the mentions `excluding` names (a page that may or may not be stored yet: one
        statement, so the answer is the same either way)."""
        author_ids = list(author_ids)
        excluded = list(excluding)
        counts: dict[str, int] = {}
        for chunk in chunks(author_ids):
            marks = qmarks(len(chunk))
            # Counted from the author index alone, less those of `excluding` that are stored
            # (`id NOT IN` would read every one of the authors' rows from the table).
            rows = self.conn.execute(
                f"SELECT author_id, count(*) FROM mentions WHERE author_id IN ({marks}) "
                "GROUP BY author_id" + (
                    " UNION ALL SELECT author_id, -count(*) FROM mentions "
                    f"WHERE id IN ({qmarks(len(excluded))}) AND author_id IN ({marks}) "
                    "GROUP BY author_id" if excluded else ""),
                [*chunk, *excluded, *chunk] if excluded else chunk,
            )
            for author, n in rows:
                counts[author] = counts.get(author, 0) + n
        return counts

    def get_mention(self, mention_id: str) -> dict[str, Any] | None:
        """One stored mention as a dict (JSON columns decoded), or None."""
        row = self.conn.execute("SELECT * FROM mentions WHERE id = ?", (mention_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        for key in ("matched_terms", "metrics", "reasons", "raw"):
            out[key] = json.loads(out[key])
        return out

    def load_mention(self, mention_id: str) -> Mention:
        """A stored mention rebuilt as a Mention (for replying to it); NotFound if absent."""
        row = self.conn.execute(
            "SELECT m.*, a.native_id AS author_native_id, a.handle, a.display_name, a.followers "
            "FROM mentions m JOIN authors a ON a.id = m.author_id WHERE m.id = ?",
            (mention_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no mention with id {mention_id}")
        return Mention(
            platform=row["platform"], native_id=row["native_id"],
            author=Author(platform=row["platform"], native_id=row["author_native_id"],
                          handle=row["handle"], display_name=row["display_name"],
                          followers=row["followers"]),
            text=row["text"], created_at=parse_iso(row["created_at"]), url=row["url"],
            lang=row["lang"], in_reply_to=row["in_reply_to"],
            conversation_id=row["conversation_id"], metrics=json.loads(row["metrics"]),
            raw=json.loads(row["raw"]),
        )

    def thread(self, *, platform: str, conversation_id: str | None, case_id: int,
               in_reply_to: str | None, limit: int = 100) -> list[dict[str, Any]]:
        """The stored posts around a draft's post: its conversation, its case, its parent."""
        clauses: list[str] = ["m.case_id = ?"]
        params: list[Any] = [case_id]
        if conversation_id:
            clauses.append("(m.platform = ? AND m.conversation_id = ?)")
            params.extend([platform, conversation_id])
        if in_reply_to:
            clauses.append("m.id = ?")
            params.append(f"{platform}:{in_reply_to}")
        rows = self.conn.execute(
            f"SELECT m.id, substr(m.text, 1, {EXCERPT * 4}) AS text, length(m.text) AS length, "
            "m.url, m.created_at, m.sentiment, m.intent, m.case_id, m.in_reply_to, "
            "a.handle AS author, a.display_name AS author_name FROM mentions m "
            f"JOIN authors a ON a.id = m.author_id WHERE {' OR '.join(clauses)} "
            "ORDER BY m.created_at, m.id LIMIT ?",
            [*params, limit],
        )
        return [dict(r) for r in rows]
