"""The audit log: who did what, when, to which draft, case, user or customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.models import (
    iso,
)
from monitor.store.base import StoreBase, dumps


class AuditStore(StoreBase):
    """Writes and reads the audit log."""

    def _audit(self, actor: str, action: str, subject: str | None, before: str | None,
               after: str | None, detail: dict[str, Any] | None, now: datetime) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, actor, action, subject, before, after, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (iso(now), actor, action, subject, before, after,
             dumps(detail) if detail else None),
        )

    def list_audit(self, *, limit: int = 200, before_id: int | None = None,
                   actor: str | None = None, action: str | None = None,
                   subject: str | None = None) -> list[dict[str, Any]]:
        """The newest audit rows first, optionally only one actor's, action's or subject's."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("actor", actor), ("action", action), ("subject", subject)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?",
                                 [*params, limit])
        return [dict(r) for r in rows]
