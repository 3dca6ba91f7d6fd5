"""What /metrics reports of the store."""

from __future__ import annotations

from typing import Any

from monitor.store.base import StoreBase


class MetricsStore(StoreBase):
    """Counts for the metrics endpoint."""

    def status_counts(self) -> dict[str, Any]:
        """Drafts and cases by status, unsent notifications, the unanswered active cases'
        (priority, opened_at, sla_due_at) for SLA gauges and when the oldest pending draft
        was made: what /metrics reports."""
        return {
            "drafts": dict(self.conn.execute(
                "SELECT status, count(*) FROM drafts GROUP BY 1").fetchall()),
            "cases": dict(self.conn.execute(
                "SELECT status, count(*) FROM cases GROUP BY 1").fetchall()),
            "notifications_pending": self.conn.execute(
                "SELECT count(*) FROM notifications WHERE sent_at IS NULL").fetchone()[0],
            "unanswered": self.conn.execute(
                "SELECT priority, sla_due_at FROM cases WHERE first_response_at IS NULL "
                "AND status IN ('open', 'waiting', 'escalated') AND sla_due_at IS NOT NULL"
            ).fetchall(),
            "model_drafts": self._model_draft_counts(),
            "quarantined": self.conn.execute(
                "SELECT count(*) FROM quarantine WHERE status = 'held'").fetchone()[0],
            "oldest_pending_at": self.conn.execute(
                "SELECT min(created_at) FROM drafts WHERE status = 'pending'").fetchone()[0],
        }

    def _model_draft_counts(self) -> dict[str, int]:
        """How model drafting went, by outcome: used, timeout, error, rejected, ..."""
        counts: dict[str, int] = {}
        for state, n in self.conn.execute(
                "SELECT llm_state, count(*) FROM drafts WHERE llm_state IS NOT NULL "
                "GROUP BY llm_state"):
            outcome = str(state).removeprefix("fallback: ").split(":")[0].split(" ")[0]
            counts[outcome] = counts.get(outcome, 0) + int(n)
        return counts
