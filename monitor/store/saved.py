"""Saved replies: wordings people approved and kept for an intent, offered again for similar
posts with the new customer's name and facts filled in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.models import iso
from monitor.store.audit import AuditStore
from monitor.store.base import dumps
from monitor.store.errors import NotFound, StoreError

_COLUMNS = ("id, intent, language, text, words, source_draft, created_by, created_at, "
            "updated_at, retired_at, retired_by, uses")


def _saved(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["words"] = json.loads(item["words"] or "[]")
    return item


class SavedRepliesStore(AuditStore):
    """Reads and writes saved replies, each change audited."""

    def save_reply(self, *, intent: str, language: str, text: str, words: Sequence[str],
                   source_draft: int | None, actor: str, now: datetime) -> int:
        """Keep a wording for an intent; returns its id."""
        if not text.strip():
            raise StoreError("a saved reply needs some text")
        with self.transaction() as conn:
            row = conn.execute(
                "INSERT INTO saved_replies (intent, language, text, words, source_draft, "
                "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (intent, language, text, dumps(list(words)[:80]), source_draft, actor, iso(now),
                 iso(now))).fetchone()
            saved_id = int(row[0])
            self._audit(actor, "saved_reply_add", f"saved_reply:{saved_id}", None, text,
                        {"intent": intent, "language": language, "draft": source_draft}, now)
            return saved_id

    def saved_replies(self, *, retired: bool = False) -> list[dict[str, Any]]:
        """The saved replies, newest first (with `retired`, the retired ones too)."""
        where = "" if retired else "WHERE retired_at IS NULL "
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM saved_replies {where}"
                                 "ORDER BY intent, id DESC").fetchall()
        return [_saved(r) for r in rows]

    def saved_reply(self, saved_id: int) -> dict[str, Any]:
        """One saved reply; NotFound if there is none."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM saved_replies WHERE id = ?",
                                (saved_id,)).fetchone()
        if row is None:
            raise NotFound(f"no saved reply with id {saved_id}")
        return _saved(row)

    def edit_saved_reply(self, saved_id: int, *, text: str, actor: str,
                         now: datetime) -> dict[str, Any]:
        """Change a saved reply's wording, audited with the text before and after."""
        if not text.strip():
            raise StoreError("a saved reply needs some text")
        with self.transaction() as conn:
            before = self.saved_reply(saved_id)
            if before["retired_at"]:
                raise StoreError(f"saved reply {saved_id} is retired")
            conn.execute("UPDATE saved_replies SET text = ?, updated_at = ? WHERE id = ?",
                         (text, iso(now), saved_id))
            self._audit(actor, "saved_reply_edit", f"saved_reply:{saved_id}", before["text"],
                        text, None, now)
            return self.saved_reply(saved_id)

    def retire_saved_reply(self, saved_id: int, *, actor: str, now: datetime) -> dict[str, Any]:
        """Stop offering a saved reply (it stays, retired, for the record)."""
        with self.transaction() as conn:
            before = self.saved_reply(saved_id)
            if before["retired_at"]:
                raise StoreError(f"saved reply {saved_id} is already retired")
            conn.execute("UPDATE saved_replies SET retired_at = ?, retired_by = ?, "
                         "updated_at = ? WHERE id = ?", (iso(now), actor, iso(now), saved_id))
            self._audit(actor, "saved_reply_retire", f"saved_reply:{saved_id}", before["text"],
                        None, None, now)
            return self.saved_reply(saved_id)
