"""Publishing: claiming approved drafts, and recording what the platform said."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.models import (
    PRAISE,
    Draft,
    iso,
)
from monitor.store.base import qmarks
from monitor.store.drafts import DraftsStore, draft_from_row


class PublishingStore(DraftsStore):
    """The publisher's side of drafts: approved -> posting -> posted (or retry, or failed)."""

    def claim_for_posting(self, platforms: Sequence[str], *, now: datetime,
                          limit: int = 10) -> list[Draft]:
        """Move due, human-approved drafts for these platforms to `posting` and return them.

        A draft is only ever claimed when its approval is recorded twice over: `decided_by`
        on the draft and an approve row in the audit log.
        """
        if not platforms:
            return []
        # PostgreSQL: each replica's publisher locks the drafts it claims and skips the ones
        # another has locked, so two never claim one draft (and never wait on each other).
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.postgres else ""
        with self.transaction(exclusive=False) as conn:
            rows = conn.execute(
                f"SELECT d.id FROM drafts d WHERE d.status = 'approved' "
                f"AND d.platform IN ({qmarks(len(platforms))}) AND d.decided_by IS NOT NULL "
                "AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) "
                "AND EXISTS (SELECT 1 FROM audit a WHERE a.subject = 'draft:' || d.id "
                "AND a.action IN ('approve', 'edit_approve') AND a.actor = d.decided_by) "
                "ORDER BY d.decided_at, d.id LIMIT ?" + lock,
                [*platforms, iso(now), limit],
            ).fetchall()
            ids = [r[0] for r in rows]
            for draft_id in ids:
                conn.execute(
                    "UPDATE drafts SET status = 'posting', posting_started_at = ?, "
                    "attempts = attempts + 1 WHERE id = ? AND status = 'approved'",
                    (iso(now), draft_id),
                )
        return [self.get_draft(i) for i in ids]

    def drafts_in_posting(self, platforms: Sequence[str], *, started_before: datetime
                          ) -> list[Draft]:
        """Drafts whose outcome is unknown (a crash or an ambiguous error while posting)."""
        if not platforms:
            return []
        rows = self.conn.execute(
            f"SELECT * FROM drafts WHERE status = 'posting' AND platform IN "
            f"({qmarks(len(platforms))}) AND posting_started_at <= ? ORDER BY id",
            [*platforms, iso(started_before)],
        )
        return [draft_from_row(r) for r in rows]

    def mark_posted(self, draft_id: int, *, posted_id: str, url: str | None,
                    now: datetime) -> None:
        """Record a reply the platform accepted, and the case's first response."""
        with self.transaction() as conn:
            draft = self.get_draft(draft_id)
            conn.execute(
                "UPDATE drafts SET status = 'posted', posted_id = ?, posted_url = ?, "
                "posted_at = ?, error = NULL, next_attempt_at = NULL WHERE id = ?",
                (posted_id, url, iso(now), draft_id),
            )
            # a thank-you case (praise, `[triage] acknowledge = "draft"`) is done once the
            # thanks is posted; any other case waits on the customer
            conn.execute(
                "UPDATE cases SET first_response_at = coalesce(first_response_at, ?), "
                "resolved_at = CASE WHEN status = 'open' AND intent = ? AND kind = 'customer' "
                "THEN ? ELSE resolved_at END, "
                "status = CASE WHEN status = 'open' AND intent = ? AND kind = 'customer' "
                "THEN 'resolved' WHEN status = 'open' THEN 'waiting' ELSE status END, "
                "updated_at = ? WHERE id = ?",
                (iso(now), PRAISE, iso(now), PRAISE, iso(now), draft.case_id),
            )
            self._audit("publisher", "post", f"draft:{draft_id}", None, draft.text,
                        {"posted_id": posted_id, "url": url}, now)

    def mark_retry(self, draft_id: int, *, error: str, next_attempt_at: datetime,
                   now: datetime) -> None:
        """Put a draft that certainly was not posted back in line for a later attempt."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE drafts SET status = 'approved', error = ?, next_attempt_at = ?, "
                "posting_started_at = NULL WHERE id = ? AND status = 'posting'",
                (error, iso(next_attempt_at), draft_id),
            )

    def mark_failed(self, draft_id: int, *, error: str, now: datetime) -> None:
        """Give up on a draft: it needs a person (a permanent refusal, or too many tries)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE drafts SET status = 'failed', error = ?, next_attempt_at = NULL "
                "WHERE id = ? AND status = 'posting'",
                (error, draft_id),
            )
            self._audit("publisher", "post_failed", f"draft:{draft_id}", None, None,
                        {"error": error}, now)
