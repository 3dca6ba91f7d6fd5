"""Model drafting: the pending reply drafts a model has not seen yet, what it needs to know
about each, and its reply written over a template draft nobody has touched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from monitor.store.base import StoreBase, dumps


class DraftingStore(StoreBase):
    """What `[drafting] backend = "openai"` reads and writes."""

    def drafts_for_model(self, limit: int = 20) -> list[dict[str, Any]]:
        """Pending reply drafts the model has not been asked about, oldest first, each with
        its post, author and case, and this customer's earlier posts on the case (never
        another customer's)."""
        rows = self.conn.execute(
            "SELECT d.id, d.platform, d.text, d.candidates, d.language, d.case_id, "
            "m.id AS mention_id, m.text AS mention_text, m.lang, m.escalation AS "
            "mention_escalation, m.action, m.created_at, m.author_id, "
            "a.handle, a.display_name, c.intent, c.status AS case_status, c.escalation, "
            "c.customer_effort, c.first_response_at, c.team, c.kind AS case_kind "
            "FROM drafts d JOIN mentions m ON m.id = d.mention_id "
            "JOIN authors a ON a.id = m.author_id JOIN cases c ON c.id = d.case_id "
            "WHERE d.status = 'pending' AND d.llm_state IS NULL AND d.kind = 'reply' "
            "ORDER BY d.id LIMIT ?", (limit,)).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["candidates"] = json.loads(item["candidates"] or "[]")
            item["mention_escalation"] = json.loads(item["mention_escalation"] or "[]")
            item["earlier"] = [r[0] for r in self.conn.execute(
                "SELECT substr(text, 1, 1000) FROM mentions WHERE case_id = ? AND author_id = ? "
                "AND id <> ? ORDER BY created_at DESC, id DESC LIMIT 5",
                (item["case_id"], item["author_id"], item["mention_id"]))][::-1]
            out.append(item)
        return out

    def record_model_draft(self, draft_id: int, *, state: str, text: str | None = None,
                           candidates: Sequence[str] = (), flags: Sequence[str] = ()) -> bool:
        """Note what the model made of a draft. With `text`, the model's reply becomes the
        draft (the template wordings stay as candidates), but only while the draft is pending
        and nobody has changed it; returns whether it did."""
        with self.transaction() as conn:
            if text is None:
                conn.execute("UPDATE drafts SET llm_state = ? WHERE id = ? AND llm_state IS NULL",
                             (state, draft_id))
                return False
            cursor = conn.execute(
                "UPDATE drafts SET text = ?, original_text = ?, candidates = ?, flags = ?, "
                "llm_state = ? WHERE id = ? AND status = 'pending' AND text = original_text "
                "AND llm_state IS NULL",
                (text, text, dumps(list(candidates)), dumps(list(flags)), state, draft_id))
            if cursor.rowcount == 0:
                conn.execute("UPDATE drafts SET llm_state = ? WHERE id = ? AND llm_state IS NULL",
                             ("fallback: changed meanwhile", draft_id))
                return False
            return True
