"""Moving data in and out: backups, exports for analysts, bulk loads, store-to-store copies."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from monitor.store.base import StoreBase, private_file, qmarks
from monitor.store.errors import StoreError

# What `copy_to` copies, in an order that respects the foreign keys, with each table's key
# for keyset paging (None: read whole). Leases, replicas and migrations belong to each
# database.
COPY_TABLES: dict[str, str | None] = {
    "users": "name", "authors": "id", "cases": "id", "mentions": "id", "drafts": "id",
    "cursors": "source", "audit": "id", "sessions": "token_hash", "api_tokens": "token_hash",
    "login_attempts": "id", "draft_viewers": None, "notifications": "id",
    "saved_replies": "id", "quarantine": "id", "case_notes": "id",
}


_IDENTITY_TABLES = frozenset({"cases", "drafts", "audit", "login_attempts", "notifications",
                              "saved_replies", "quarantine", "case_notes"})


class TransferStore(StoreBase):
    """Backups, exports, bulk loads and copies between stores."""

    def backup(self, target: str | Path) -> None:
        """Copy the live database to `target` with SQLite's online backup API (safe while
        the daemon writes); the copy is a complete database file."""
        if self.postgres:
            raise StoreError("db backup copies SQLite files; back PostgreSQL up with its own "
                             "tools (pg_dump, or continuous archiving)")
        if Path(target).exists():
            raise StoreError(f"{target} already exists")
        private_file(Path(target))
        destination = sqlite3.connect(target)
        try:
            self.conn.backup(destination)
        finally:
            destination.close()

    def export_rows(self, what: str) -> Iterator[dict[str, Any]]:
        """Every stored mention or case, oldest first, for analysts (JSON columns decoded)."""
        queries = {
            "mentions": "SELECT m.id, m.platform, m.native_id, m.url, a.handle AS author, "
            "m.created_at, m.lang, m.text, m.sentiment, m.compound, m.is_complaint, m.intent, "
            "m.priority, m.case_id, m.matched_terms, m.in_reply_to, m.conversation_id, "
            "m.action, m.escalation, m.impersonation, coalesce(m.vader_label, m.sentiment) "
            "AS vader_label, m.outage FROM mentions m JOIN authors a ON a.id = m.author_id "
            "ORDER BY m.created_at, m.id",
            "cases": "SELECT c.id, c.kind, c.status, a.handle AS author, c.platform, c.intent, "
            "c.priority, c.team, c.opened_at, c.first_response_at, c.resolved_at, "
            "c.sla_due_at, c.mention_count, c.customer_effort, c.replies_posted, c.csat, "
            "c.escalation FROM cases c JOIN authors a ON a.id = c.author_id ORDER BY c.id",
        }
        if what not in queries:
            raise ValueError(f"cannot export {what!r}")
        for row in self.conn.execute(queries[what]):
            item = dict(row)
            if "matched_terms" in item:
                item["matched_terms"] = json.loads(item["matched_terms"])
                item["escalation"] = json.loads(item["escalation"])
                item["impersonation"] = bool(item["impersonation"])
            yield item

    def load_rows(self, table: str, columns: Sequence[str],
                  rows: Iterable[Sequence[Any]]) -> int:
        """Insert raw rows into one of brandbot's tables in one transaction (bulk loads:
        benchmarks and copying a store); rows already present are skipped."""
        if table not in COPY_TABLES:
            raise ValueError(f"unknown table {table!r}")
        known = set(self.columns(table))
        if not set(columns) <= known:
            raise ValueError(f"unknown columns for {table}: {sorted(set(columns) - known)}")
        with self.transaction() as conn:
            cursor = conn.executemany(
                f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                f"VALUES ({qmarks(len(columns))})", rows)
            if self.postgres and table in _IDENTITY_TABLES:
                # explicit ids do not move an identity: start new ones after the loaded rows
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        return int(cursor.rowcount)

    def read_rows(self, table: str, *, batch: int = 2000
                  ) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        """Every row of one of brandbot's tables in key order, `batch` rows at a time (keyset
        pages, so a million rows never sit in memory at once): (columns, rows) pairs."""
        key = COPY_TABLES[table]
        columns = self.columns(table)
        select = f"SELECT {', '.join(columns)} FROM {table}"
        if key is None:  # small tables without a one-column key
            yield columns, [tuple(r) for r in self.conn.execute(select).fetchall()]
            return
        at = columns.index(key)
        last: Any = None
        while True:
            where = "" if last is None else f" WHERE {key} > ?"
            rows = [tuple(r) for r in self.conn.execute(
                f"{select}{where} ORDER BY {key} LIMIT ?",
                (() if last is None else (last,)) + (batch,)).fetchall()]
            if not rows:
                return
            yield columns, rows
            last = rows[-1][at]

    def copy_to(self, target: TransferStore, *, batch: int = 2000,
                progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
        """Copy every row of this store into `target` (another store, empty or partly copied:
        rows already there are skipped, so an interrupted copy can simply run again). Calls
        `progress(rows)` after each batch; returns rows copied per table."""
        copied: dict[str, int] = {}
        merged: list[tuple[int, int]] = []
        for table in COPY_TABLES:
            copied[table] = 0
            for columns, rows in self.read_rows(table, batch=batch):
                if table == "cases":  # an incident may come after the cases merged into it
                    at = columns.index("merged_into")
                    merged += [(r[at], r[columns.index("id")]) for r in rows
                               if r[at] is not None]
                    rows = [(*r[:at], None, *r[at + 1:]) for r in rows]
                copied[table] += target.load_rows(table, columns, rows)
                progress(len(rows))
        with target.transaction() as conn:
            conn.executemany("UPDATE cases SET merged_into = ? WHERE id = ?", merged)
        return copied

    def total_rows(self) -> int:
        """How many rows `copy_to` would copy."""
        return sum(self.count(table) for table in COPY_TABLES)

    def columns(self, table: str) -> list[str]:
        """The columns of one of brandbot's tables, in order (stored ones only)."""
        if self.postgres:
            rows = self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = current_schema() AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position", (table,))
            return [r[0] for r in rows]
        return [r[1] for r in self.conn.execute(f"PRAGMA table_xinfo({table})")
                if r[6] == 0]

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        """Row count of one of brandbot's tables."""
        if table not in COPY_TABLES:
            raise ValueError(f"unknown table {table!r}")
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, params).fetchone()[0])
