"""The quarantine: items a source sent that could not be parsed or stored, held with their
error and payload so their page still goes in, until an operator retries or drops them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.models import Rejected, iso
from monitor.store.base import StoreBase
from monitor.store.errors import NotFound

# An error is kept to this many characters (a traceback's last line is what helps).
ERROR_CHARS = 2_000


def hold_rows(conn: Any, source: str, rejected: Sequence[Rejected], now: datetime) -> None:
    """Hold items in the quarantine, inside the caller's transaction (a page's ingest)."""
    if rejected:
        conn.executemany(
            "INSERT INTO quarantine (source, item_id, error, payload, held_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(source, r.item_id, r.error[:ERROR_CHARS], r.payload, iso(now)) for r in rejected])


class QuarantineStore(StoreBase):
    """Held items: list, count, settle."""

    def quarantined(self, *, status: str | None = "held", limit: int = 1000
                    ) -> list[dict[str, Any]]:
        """Items in the quarantine (held ones by default), oldest first, without payloads."""
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        return [dict(r) for r in self.conn.execute(
            "SELECT id, source, item_id, error, held_at, status, attempts, settled_at, "
            f"settled_by, length(payload) AS payload_length FROM quarantine {where} "
            "ORDER BY id LIMIT ?", [*params, limit])]

    def held_count(self) -> int:
        """How many items wait in the quarantine."""
        return int(self.conn.execute(
            "SELECT count(*) FROM quarantine WHERE status = 'held'").fetchone()[0])

    def quarantined_item(self, item: int) -> dict[str, Any]:
        """One item, with its payload; NotFound when there is none."""
        row = self.conn.execute("SELECT * FROM quarantine WHERE id = ?", (item,)).fetchone()
        if row is None:
            raise NotFound(f"no quarantined item {item}")
        return dict(row)

    def settle_quarantined(self, item: int, *, status: str, actor: str, now: datetime) -> None:
        """Mark a held item `released` (retried and stored) or `dropped`."""
        with self.transaction() as conn:
            done = conn.execute(
                "UPDATE quarantine SET status = ?, settled_at = ?, settled_by = ? "
                "WHERE id = ? AND status = 'held'", (status, iso(now), actor, item))
            if done.rowcount == 0:
                raise NotFound(f"no held item {item}")

    def failed_again(self, item: int, *, error: str) -> None:
        """A retry failed: the item stays held, with the new error and one more attempt."""
        with self.transaction() as conn:
            conn.execute("UPDATE quarantine SET error = ?, attempts = attempts + 1 "
                         "WHERE id = ?", (error[:ERROR_CHARS], item))
