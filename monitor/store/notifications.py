"""The webhook outbox: one row per case and reason, sent once, across restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.models import (
    iso,
)
from monitor.store.base import StoreBase


class NotificationsStore(StoreBase):
    """Queues notifications and records how sending them went."""

    def queue_notification(self, case_id: int, reason: str, text: str, *,
                           now: datetime) -> bool:
        """Queue a webhook notification unless one was queued for this case and reason."""
        cursor = self.conn.execute(
            "INSERT INTO notifications (case_id, reason, text, created_at, next_attempt_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_id, reason) DO NOTHING",
            (case_id, reason, text, iso(now), iso(now)),
        )
        return cursor.rowcount > 0

    def due_notifications(self, now: datetime, *, limit: int = 50) -> list[dict[str, Any]]:
        """Unsent notifications whose (next) attempt is due, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY id LIMIT ?",
            (iso(now), limit),
        )
        return [dict(r) for r in rows]

    def mark_notification_sent(self, notification_id: int, *, now: datetime) -> None:
        """Record that the webhook accepted a notification."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE notifications SET sent_at = ?, attempts = attempts + 1, error = NULL "
                "WHERE id = ? AND sent_at IS NULL",
                (iso(now), notification_id),
            )

    def mark_notification_failed(self, notification_id: int, *, error: str,
                                 retry_at: datetime) -> None:
        """Record a failed attempt; the notification is tried again at `retry_at`."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE notifications SET attempts = attempts + 1, error = ?, "
                "next_attempt_at = ? WHERE id = ? AND sent_at IS NULL",
                (error[:500], iso(retry_at), notification_id),
            )
