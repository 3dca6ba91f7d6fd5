"""Leases: which replica polls which source, and which replicas are alive to share them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from monitor.models import (
    iso,
)
from monitor.store.base import StoreBase


class LeasesStore(StoreBase):
    """Source leases shared by the replicas on one database."""

    def acquire_lease(self, source: str, holder: str, *, now: datetime, ttl: timedelta,
                      take_over: Callable[[str], bool] | None = None) -> bool:
        """Take or renew `holder`'s lease on `source`; False while another holder's lease
        has not expired, unless `take_over(that holder)` says it is gone. A lease that
        expires moves to whoever asks next."""
        with self.transaction() as conn:
            row = conn.execute("SELECT holder, expires_at FROM leases WHERE source = ?",
                               (source,)).fetchone()
            if (row is not None and row[0] != holder and row[1] > iso(now)
                    and not (take_over is not None and take_over(row[0]))):
                return False
            conn.execute(
                "INSERT INTO leases (source, holder, acquired_at, renewed_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                "holder = excluded.holder, renewed_at = excluded.renewed_at, "
                "expires_at = excluded.expires_at, acquired_at = CASE WHEN leases.holder = "
                "excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END",
                (source, holder, iso(now), iso(now), iso(now + ttl)),
            )
        return True

    def release_lease(self, source: str, holder: str) -> None:
        """Give up `holder`'s lease on `source`, if it is still theirs (handed to another
        replica)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM leases WHERE source = ? AND holder = ?", (source, holder))

    def release_leases(self, holder: str) -> None:
        """Give up every lease `holder` has, and its place among the replicas (a clean stop
        hands its sources over at once)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM leases WHERE holder = ?", (holder,))
            conn.execute("DELETE FROM replicas WHERE name = ?", (holder,))

    def heartbeat(self, name: str, *, now: datetime, ttl: timedelta) -> None:
        """Record that replica `name` is alive until `now + ttl` (at every lease renewal);
        the rows of replicas that went quiet a lease period ago are dropped."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM replicas WHERE expires_at < ?", (iso(now - ttl),))
            conn.execute(
                "INSERT INTO replicas (name, started_at, seen_at, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "seen_at = excluded.seen_at, expires_at = excluded.expires_at",
                (name, iso(now), iso(now), iso(now + ttl)),
            )

    def replicas(self, *, now: datetime) -> list[str]:
        """The replicas alive at `now` (their heartbeat has not expired), oldest first."""
        return [r[0] for r in self.conn.execute(
            "SELECT name FROM replicas WHERE expires_at > ? ORDER BY started_at, name",
            (iso(now),))]

    def leases(self) -> list[dict[str, Any]]:
        """Every source's lease: who holds it and until when."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM leases ORDER BY source")]
