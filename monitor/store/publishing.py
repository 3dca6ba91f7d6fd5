"""Publishing: claiming approved drafts, and recording what the platform said."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.models import (
    Draft,
    DraftStatus,
    iso,
)
from monitor.store.base import qmarks
from monitor.store.drafts import DraftsStore, draft_from_row, record_answer
from monitor.store.errors import AlreadyDecided


class PublishingStore(DraftsStore):
    """The publisher's side of drafts: approved -> posting -> posted (or retry, or failed).

    Every claim is fenced: claiming counts an attempt, and the attempt number is the claim's
    token. Putting a draft back in line or giving up on it needs the token of the claim in
    hand, so a slow or stale publisher (on this replica or another) never resets a claim
    that is not its own. `posting_started_at` is the claim's last sign of life: its owner
    refreshes it while a post is in flight, and only a claim silent for `reconcile_after`
    is reconciled.

    An approval can be undone for `undo_window` after it is made: until then no publisher
    claims the draft. The rule is in the SQL of both sides (claim: approved at or before
    `now - undo_window`; undo: approved after it, never claimed), and both change the row
    only while it is still `approved`, so an undo racing a claim on any replica leaves either
    a pending draft or a claimed one, never both.
    """

    def claim_for_posting(self, platforms: Sequence[str], *, now: datetime,
                          undo_window: timedelta, limit: int = 10) -> list[Draft]:
        """Move due, human-approved drafts for these platforms to `posting` and return them.

        A draft is only ever claimed when its approval is recorded twice over: `decided_by`
        on the draft and an approve row in the audit log; and only once its undo window has
        passed.
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
                "AND d.decided_at <= ? "
                "AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) "
                "AND EXISTS (SELECT 1 FROM audit a WHERE a.subject = 'draft:' || d.id "
                "AND a.action IN ('approve', 'edit_approve') AND a.actor = d.decided_by) "
                "ORDER BY d.decided_at, d.id LIMIT ?" + lock,
                [*platforms, iso(now - undo_window), iso(now), limit],
            ).fetchall()
            ids = []
            for (draft_id,) in rows:
                done = conn.execute(
                    "UPDATE drafts SET status = 'posting', posting_started_at = ?, "
                    "attempts = attempts + 1 WHERE id = ? AND status = 'approved' "
                    "AND decided_at <= ?",
                    (iso(now), draft_id, iso(now - undo_window)),
                )
                if done.rowcount:
                    ids.append(draft_id)
        return [self.get_draft(i) for i in ids]

    def undo_approval(self, draft_id: int, *, actor: str, now: datetime,
                      undo_window: timedelta) -> Draft:
        """Put a draft approved less than `undo_window` ago back in the queue, audited.

        One conditional update: only an approved draft the publisher never claimed, approved
        after `now - undo_window`. AlreadyDecided (saying why) when it is too late or there
        is no approval to undo; NotFound for an unknown draft.
        """
        with self.transaction() as conn:
            before = self.get_draft(draft_id)
            done = conn.execute(
                "UPDATE drafts SET status = 'pending', decided_by = NULL, decided_at = NULL, "
                "reason = NULL, error = NULL, next_attempt_at = NULL WHERE id = ? "
                "AND status = 'approved' AND attempts = 0 AND decided_at > ?",
                (draft_id, iso(now - undo_window)),
            )
            if not done.rowcount:  # read again: a claim may have just committed
                raise AlreadyDecided(_no_undo(self.get_draft(draft_id), undo_window))
            self._audit(actor, "undo_approve", f"draft:{draft_id}", None, None,
                        {"approved_by": before.decided_by,
                         "approved_at": iso(before.decided_at)}, now)
            return self.get_draft(draft_id)

    def stranded_drafts(self, platforms: Sequence[str], *, limit: int = 1000
                        ) -> list[tuple[int, str]]:
        """Approved drafts (id, platform) that no publisher here will post: their platform is
        not among `platforms`, the ones an enabled source replies on."""
        rows = self.conn.execute(
            "SELECT id, platform FROM drafts WHERE status = 'approved' "
            + (f"AND platform NOT IN ({qmarks(len(platforms))}) " if platforms else "")
            + "ORDER BY id LIMIT ?",
            [*platforms, limit],
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def stranded_counts(self, platforms: Sequence[str]) -> dict[str, int]:
        """How many approved drafts wait on each platform not among `platforms` (see
        `stranded_drafts`)."""
        rows = self.conn.execute(
            "SELECT platform, count(*) FROM drafts WHERE status = 'approved' "
            + (f"AND platform NOT IN ({qmarks(len(platforms))}) " if platforms else "")
            + "GROUP BY platform ORDER BY platform",
            list(platforms),
        )
        return {str(r[0]): int(r[1]) for r in rows}

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

    def touch_claim(self, draft_id: int, *, attempt: int, now: datetime) -> bool:
        """The claim `attempt` is still posting (a sign of life); False when it is not ours
        any more."""
        with self.transaction(exclusive=False) as conn:
            done = conn.execute(
                "UPDATE drafts SET posting_started_at = ? WHERE id = ? AND status = 'posting' "
                "AND attempts = ?", (iso(now), draft_id, attempt))
            return bool(done.rowcount)

    def mark_posted(self, draft_id: int, *, posted_id: str, url: str | None,
                    now: datetime) -> bool:
        """Record a reply the platform accepted, and the case's first response. A reply that
        landed is recorded whoever holds the claim now, so nobody posts it again; False when
        the draft was already posted (a duplicate to look at)."""
        with self.transaction() as conn:
            draft = self.get_draft(draft_id)
            done = conn.execute(
                "UPDATE drafts SET status = 'posted', posted_id = ?, posted_url = ?, "
                "posted_at = ?, error = NULL, next_attempt_at = NULL WHERE id = ? "
                "AND status IN ('posting', 'approved', 'failed')",
                (posted_id, url, iso(now), draft_id),
            )
            if not done.rowcount:
                return False
            record_answer(conn, draft.case_id, now)
            self._audit("publisher", "post", f"draft:{draft_id}", None, draft.text,
                        {"posted_id": posted_id, "url": url}, now)
            return True

    def mark_retry(self, draft_id: int, *, attempt: int, error: str,
                   next_attempt_at: datetime, now: datetime,
                   silent_since: datetime | None = None) -> bool:
        """Put a draft that certainly was not posted back in line for a later attempt: only
        the claim `attempt` (and, for a reconciler, only if it has shown no sign of life since
        `silent_since`). False when that claim is not there to reset."""
        alive = "" if silent_since is None else " AND posting_started_at <= ?"
        with self.transaction() as conn:
            done = conn.execute(
                "UPDATE drafts SET status = 'approved', error = ?, next_attempt_at = ?, "
                "posting_started_at = NULL WHERE id = ? AND status = 'posting' "
                "AND attempts = ?" + alive,
                (error, iso(next_attempt_at), draft_id, attempt,
                 *(() if silent_since is None else (iso(silent_since),))),
            )
            return bool(done.rowcount)

    def mark_failed(self, draft_id: int, *, attempt: int, error: str, now: datetime,
                    silent_since: datetime | None = None) -> bool:
        """Give up on a draft: it needs a person (a permanent refusal, or too many tries).
        Only the claim `attempt` (see `mark_retry`); False when that claim is not there."""
        alive = "" if silent_since is None else " AND posting_started_at <= ?"
        with self.transaction() as conn:
            done = conn.execute(
                "UPDATE drafts SET status = 'failed', error = ?, next_attempt_at = NULL "
                "WHERE id = ? AND status = 'posting' AND attempts = ?" + alive,
                (error, draft_id, attempt,
                 *(() if silent_since is None else (iso(silent_since),))),
            )
            if not done.rowcount:
                return False
            self._audit("publisher", "post_failed", f"draft:{draft_id}", None, None,
                        {"error": error}, now)
            return True


def _no_undo(draft: Draft, window: timedelta) -> str:
    """Why an approval cannot be undone, for the person who asked."""
    if draft.status is DraftStatus.APPROVED and draft.attempts:
        return (f"draft {draft.id} cannot be undone: the publisher has already tried to post "
                "it")
    if draft.status is DraftStatus.APPROVED:
        by = f" by {draft.decided_by}" if draft.decided_by else ""
        return (f"draft {draft.id} was approved{by} at {iso(draft.decided_at)}: its "
                f"{window.total_seconds():g}s undo window has passed")
    if draft.status in (DraftStatus.POSTING, DraftStatus.POSTED):
        return f"draft {draft.id} is already {draft.status.value}: too late to undo"
    return f"draft {draft.id} is {draft.status.value}, not approved: there is no approval to undo"
