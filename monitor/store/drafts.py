"""Drafts: one draft, its decision (exactly once, audited), who has it open, hand-offs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.models import (
    PRAISE,
    Draft,
    DraftStatus,
    iso,
    parse_iso,
)
from monitor.store.audit import AuditStore
from monitor.store.base import dumps, maybe_time
from monitor.store.errors import AlreadyDecided, NotFound, StoreError


def draft_from_row(row: sqlite3.Row) -> Draft:
    """Build a Draft from a `drafts` row."""
    return Draft(
        id=row["id"], case_id=row["case_id"], mention_id=row["mention_id"],
        platform=row["platform"], text=row["text"], template=row["template"],
        status=DraftStatus(row["status"]), flags=tuple(json.loads(row["flags"])),
        created_at=parse_iso(row["created_at"]), decided_by=row["decided_by"],
        decided_at=maybe_time(row["decided_at"]), posted_id=row["posted_id"],
        posted_at=maybe_time(row["posted_at"]), error=row["error"], attempts=row["attempts"],
        by_hand=bool(row["by_hand"]),
    )


def record_answer(conn: Any, case_id: int, now: datetime) -> None:
    """A reply reached the customer: the case's first response, and a thank-you case (praise,
    `[triage] acknowledge = "draft"`) is done; any other case waits on the customer."""
    conn.execute(
        "UPDATE cases SET first_response_at = coalesce(first_response_at, ?), "
        "resolved_at = CASE WHEN status = 'open' AND intent = ? AND kind = 'customer' "
        "THEN ? ELSE resolved_at END, "
        "status = CASE WHEN status = 'open' AND intent = ? AND kind = 'customer' "
        "THEN 'resolved' WHEN status = 'open' THEN 'waiting' ELSE status END, "
        "updated_at = ? WHERE id = ?",
        (iso(now), PRAISE, iso(now), PRAISE, iso(now), case_id),
    )


def decided_message(draft: Draft) -> str:
    by = f" by {draft.decided_by}" if draft.decided_by else ""
    at = f" at {iso(draft.decided_at)}" if draft.decided_at else ""
    return f"draft {draft.id} is already {draft.status.value}{by}{at}"


class DraftsStore(AuditStore):
    """Reads and decides drafts."""

    def get_draft(self, draft_id: int) -> Draft:
        """One draft; NotFound if there is none with that id."""
        row = self.conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        return draft_from_row(row)

    def decide_draft(
        self,
        draft_id: int,
        *,
        approve: bool,
        actor: str,
        now: datetime,
        text: str | None = None,
        reason: str | None = None,
        flags: Sequence[str] | None = None,
    ) -> Draft:
        """Approve (optionally with edited text) or reject a pending draft, with an audit row.

        Raises AlreadyDecided when someone decided it first: a draft is decided exactly once.
        """
        with self.transaction() as conn:
            before = self.get_draft(draft_id)
            if before.status is not DraftStatus.PENDING:
                raise AlreadyDecided(decided_message(before))
            status = DraftStatus.APPROVED if approve else DraftStatus.REJECTED
            new_text = text if text is not None else before.text
            new_flags = list(flags) if flags is not None else list(before.flags)
            conn.execute(
                "UPDATE drafts SET status = ?, text = ?, flags = ?, decided_by = ?, "
                "decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'",
                (status.value, new_text, dumps(new_flags), actor, iso(now), reason, draft_id),
            )
            if approve and before.by_hand:
                # the person posts it on the platform themselves: approving it records that
                # it was answered, and the publisher never sees it
                conn.execute("UPDATE drafts SET status = 'posted', posted_at = ? WHERE id = ?",
                             (iso(now), draft_id))
                record_answer(conn, before.case_id, now)
                self._audit(actor, "answer_by_hand", f"draft:{draft_id}", None, new_text,
                            None, now)
            if not approve:
                # a thank-you case whose thanks the team chose not to send has nothing left
                conn.execute(
                    "UPDATE cases SET status = 'resolved', resolved_at = ?, updated_at = ? "
                    "WHERE id = ? AND status = 'open' AND intent = ? AND kind = 'customer' "
                    "AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.case_id = cases.id "
                    "AND d.status IN ('pending', 'approved', 'posting'))",
                    (iso(now), iso(now), before.case_id, PRAISE))
            action = "approve" if approve else "reject"
            detail: dict[str, Any] = {"reason": reason} if reason else {}
            if approve and new_text != before.text:
                wordings = json.loads(conn.execute(
                    "SELECT candidates FROM drafts WHERE id = ?", (draft_id,)).fetchone()[0]
                    or "[]")
                if new_text in wordings:  # another wording the composer offered
                    detail["candidate"] = wordings.index(new_text) + 1
                else:
                    action = "edit_approve"
            self._audit(actor, action, f"draft:{draft_id}", before.text, new_text,
                        detail or None, now)
            return self.get_draft(draft_id)

    def view_draft(self, draft_id: int, *, username: str, now: datetime,
                   since: datetime) -> dict[str, Any]:
        """Record that `username` has a draft open; return its state and who else has it open."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM drafts WHERE id = ?", (draft_id,)).fetchone() is None:
                raise NotFound(f"no draft {draft_id}")
            conn.execute(
                "INSERT INTO draft_viewers (draft_id, username, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT(draft_id, username) DO UPDATE SET seen_at = excluded.seen_at",
                (draft_id, username, iso(now)),
            )
            conn.execute("DELETE FROM draft_viewers WHERE seen_at < ?",
                         (iso(now - timedelta(hours=1)),))
            others = conn.execute(
                "SELECT username FROM draft_viewers WHERE draft_id = ? AND seen_at >= ? "
                "AND username <> ? ORDER BY username",
                (draft_id, iso(since), username),
            ).fetchall()
            row = conn.execute(
                "SELECT status, decided_by, decided_at, reason FROM drafts WHERE id = ?",
                (draft_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        return {**dict(row), "viewers": [r[0] for r in others]}

    def hand_off(self, draft_id: int, *, team: str, actor: str, now: datetime) -> Draft:
        """Give a pending draft's case to another team, audited with the old and new team."""
        with self.transaction() as conn:
            draft = self.get_draft(draft_id)
            if draft.status is not DraftStatus.PENDING:
                raise AlreadyDecided(decided_message(draft))
            (old,) = conn.execute("SELECT team FROM cases WHERE id = ?",
                                  (draft.case_id,)).fetchone()
            if old == team:
                raise StoreError(f"case {draft.case_id} is already with team {team}")
            conn.execute("UPDATE cases SET team = ?, updated_at = ? WHERE id = ?",
                         (team, iso(now), draft.case_id))
            self._audit(actor, "hand_off", f"draft:{draft_id}", old, team,
                        {"case_id": draft.case_id}, now)
        return draft
