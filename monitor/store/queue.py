"""The approval queue: pending drafts in order, filtered and searched, a page at a time."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from monitor.models import (
    Priority,
)
from monitor.store.base import EXCERPT, StoreBase
from monitor.store.errors import NotFound

# The fields of a draft in `brandbot queue list --json` and `GET /api/drafts`.
DRAFT_FIELDS = ("id", "case_id", "platform", "status", "text", "mention_id", "mention_text",
                "mention_url", "author", "intent", "priority", "created_at", "flags", "team",
                "sla_due_at", "decided_by", "decided_at", "reason", "posted_id", "kind",
                "sla_state", "sla_due", "action", "escalation", "candidates", "language",
                "reply_by_hand")


# A draft's place in the queue: (priority rank, SLA due time, draft id), most pressing first.
QueueKey = tuple[int, str, int]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which pending drafts a queue view shows; None means any."""

    platform: str | None = None
    intent: str | None = None
    priority: str | None = None
    team: str | None = None
    sentiment: str | None = None
    flagged: bool | None = None
    escalation: str | None = None  # an escalation kind: drafts of cases escalated for it
    search: str | None = None


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue and the keys that lead to its neighbours."""

    rows: list[dict[str, Any]]
    total: int
    next_key: QueueKey | None  # pass as `after` for the next page
    prev_key: QueueKey | None  # pass as `before` for the previous page


def draft_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The public JSON shape of a draft row (see DRAFT_FIELDS)."""
    return {k: row.get(k) for k in DRAFT_FIELDS}


def queue_key(row: dict[str, Any]) -> QueueKey:
    """Where a draft row sits in the queue."""
    return (int(row["priority_rank"]), str(row["queue_due_at"]), int(row["id"]))


# the queue's sort key for a case priority, as the queue-key triggers compute it
PRIORITY_RANK = {p.value: p.rank for p in Priority}

# The columns of a draft with its post, author and case. `{post}` is the post text expression,
# so lists can send a bounded excerpt while the JSON API sends it whole; `{extra}` adds columns.
DRAFT_SELECT = (
    "SELECT {extra}d.id, d.case_id, d.platform, d.status, d.text, d.template, d.flags, "
    "d.created_at, d.decided_by, d.decided_at, d.reason, d.posted_id, d.posted_url, "
    "d.posted_at, d.error, d.kind, d.candidates, d.language, d.by_hand AS reply_by_hand, "
    "d.priority_rank, d.sla_due_at AS queue_due_at, d.sentiment, "
    "m.id AS mention_id, {post} AS mention_text, length(m.text) AS mention_length, "
    "m.action, m.escalation, "
    "m.url AS mention_url, m.created_at AS mention_created_at, "
    "a.id AS author_id, a.handle AS author, a.display_name AS author_name, "
    "a.followers AS author_followers, c.intent, c.priority, c.team, c.sla_due_at, "
    "c.status AS case_status, c.opened_at AS case_opened_at, "
    "c.first_response_at AS case_first_response_at "
    "FROM drafts d {hint} JOIN mentions m ON m.id = d.mention_id "
    "JOIN cases c ON c.id = d.case_id JOIN authors a ON a.id = m.author_id "
)
_QUEUE_ORDER = "d.priority_rank, d.sla_due_at, d.id"
_QUEUE_ORDER_DESC = "d.priority_rank DESC, d.sla_due_at DESC, d.id DESC"


def draft_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A draft row with its JSON columns decoded."""
    item = dict(row)
    item["flags"] = json.loads(item["flags"])
    item["escalation"] = json.loads(item.get("escalation") or "[]")
    item["candidates"] = json.loads(item.get("candidates") or "[]")
    item["reply_by_hand"] = bool(item.get("reply_by_hand"))
    return item


def search_query(text: str, *, postgres: bool = False) -> str | None:
    """A full-text query matching every word of `text` as a prefix; None when it has no words.

    Each word is quoted, so nothing a person types is read as query syntax: FTS5's `"w"*`
    on SQLite, a tsquery's `'w':*` joined by `&` on PostgreSQL.
    """
    if postgres:  # the words as the index splits them: letters and digits only
        words = re.findall(r"[^\W_]+", text)
        return " & ".join(f"'{w}':*" for w in words[:12]) or None
    words = [w.replace('"', '""') for w in text.split() if w.strip('"')]
    return " ".join(f'"{w}"*' for w in words[:12]) or None


def _queue_conditions(f: QueueFilter, *, postgres: bool = False
                      ) -> tuple[list[str], list[Any], str]:
    """WHERE terms for a queue filter, their parameters, and the index that serves them."""
    clauses: list[str] = ["d.status = 'pending'"]
    params: list[Any] = []
    index = "drafts_queue"
    if f.priority is not None:
        clauses.append("d.priority_rank = ?")
        params.append(PRIORITY_RANK.get(f.priority, -1))
    # Later entries are usually more selective, so their index wins when several apply.
    for column, value in (("flagged", None if f.flagged is None else int(f.flagged)),
                          ("sentiment", f.sentiment), ("intent", f.intent),
                          ("platform", f.platform), ("team", f.team)):
        if value is not None:
            clauses.append(f"d.{column} = ?")
            params.append(value)
            index = f"drafts_queue_{column}"
    if f.escalation is not None:
        clauses.append("d.case_id IN (SELECT id FROM cases WHERE escalation LIKE ?)")
        params.append(f"%{f.escalation}%")
    if f.search is not None:
        query = search_query(f.search, postgres=postgres)
        if query is None:
            pass
        elif postgres:
            clauses.append("d.id IN (SELECT id FROM draft_search "
                           "WHERE doc @@ to_tsquery('simple', ?))")
            params.append(query)
        else:
            clauses.append("d.id IN (SELECT rowid FROM draft_search WHERE draft_search MATCH ?)")
            params.append(query)
    return clauses, params, index


class QueueStore(StoreBase):
    """Reads of the queue and of drafts with their post, author and case."""

    def list_drafts(
        self, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Drafts with their post, author and case, most pressing first."""
        where, params = ("WHERE d.status = ?", [status]) if status else ("", [])
        hint = ""
        if status == "pending":  # the partial index needs the literal term
            where, params, hint = "WHERE d.status = 'pending'", [], "INDEXED BY drafts_queue"
        rows = self.conn.execute(
            DRAFT_SELECT.format(extra="", post="m.text", hint=hint)
            + f"{where} ORDER BY {_QUEUE_ORDER} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [draft_dict(r) for r in rows]

    def draft_row(self, draft_id: int) -> dict[str, Any]:
        """One draft with its post, author and case (as in list_drafts); NotFound if absent."""
        row = self.conn.execute(
            DRAFT_SELECT.format(extra="", post="m.text", hint="") + "WHERE d.id = ?", (draft_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        return draft_dict(row)

    def queue(self, filters: QueueFilter = QueueFilter(), *, after: QueueKey | None = None,
              before: QueueKey | None = None, limit: int = 50) -> QueuePage:
        """One page of pending drafts in queue order, with keys for the pages around it.

        Keyset paging over a partial index: every page costs the same, however deep.
        """
        clauses, params, index = _queue_conditions(filters, postgres=self.postgres)
        backwards = before is not None and after is None
        if after is not None:
            clauses.append("(d.priority_rank, d.sla_due_at, d.id) > (?, ?, ?)")
            params.extend(after)
        elif before is not None:
            clauses.append("(d.priority_rank, d.sla_due_at, d.id) < (?, ?, ?)")
            params.extend(before)
        sql = (DRAFT_SELECT.format(extra="", post=f"substr(m.text, 1, {EXCERPT})",
                                    hint=f"INDEXED BY {index}")
               + f"WHERE {' AND '.join(clauses)} "
               + f"ORDER BY {_QUEUE_ORDER_DESC if backwards else _QUEUE_ORDER} LIMIT ?")
        rows = [draft_dict(r) for r in self.conn.execute(sql, [*params, limit + 1])]
        more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
            if not more:  # reached the start: show the first page, full
                return self.queue(filters, limit=limit)
            next_key = queue_key(rows[-1]) if rows else None
            prev_key = queue_key(rows[0]) if rows else None
        else:
            next_key = queue_key(rows[-1]) if rows and more else None
            prev_key = queue_key(rows[0]) if rows and after is not None else None
        return QueuePage(rows=rows, total=self.queue_count(filters), next_key=next_key,
                         prev_key=prev_key)

    def queue_count(self, filters: QueueFilter = QueueFilter()) -> int:
        """How many pending drafts match the filter."""
        clauses, params, index = _queue_conditions(filters, postgres=self.postgres)
        return int(self.conn.execute(
            f"SELECT count(*) FROM drafts d INDEXED BY {index} WHERE {' AND '.join(clauses)}",
            params,
        ).fetchone()[0])

    def queue_neighbours(self, draft_id: int, filters: QueueFilter = QueueFilter()
                         ) -> tuple[int | None, int | None]:
        """The pending drafts just before and just after a draft, in queue order."""
        row = self.conn.execute(
            "SELECT priority_rank, sla_due_at, id FROM drafts WHERE id = ?", (draft_id,)
        ).fetchone()
        if row is None:
            return None, None
        key = tuple(row)
        clauses, params, index = _queue_conditions(filters, postgres=self.postgres)
        found: list[int | None] = []
        for op, order in (("<", _QUEUE_ORDER_DESC), (">", _QUEUE_ORDER)):
            hit = self.conn.execute(
                f"SELECT d.id FROM drafts d INDEXED BY {index} WHERE {' AND '.join(clauses)} "
                f"AND (d.priority_rank, d.sla_due_at, d.id) {op} (?, ?, ?) "
                f"ORDER BY {order} LIMIT 1",
                [*params, *key],
            ).fetchone()
            found.append(hit[0] if hit else None)
        return found[0], found[1]

    def queue_marks(self) -> dict[str, int]:
        """The newest draft and audit event: between them they change whenever the queue does
        (a draft arrives, or is decided or handed off), so a view polls these to refresh."""
        newest = self.conn.execute("SELECT coalesce(max(id), 0) FROM drafts").fetchone()[0]
        changed = self.conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
        return {"newest_draft": int(newest), "last_event": int(changed)}

    def queue_state(self) -> dict[str, int]:
        """The queue's marks and how many drafts are pending."""
        return {"pending": self.queue_count(), **self.queue_marks()}

    def draft_detail(self, draft_id: int) -> dict[str, Any]:
        """Everything the draft page shows about a draft itself; NotFound if absent."""
        extra = ("d.original_text, m.lang, m.metrics, m.native_id AS mention_native_id, "
                 "m.in_reply_to, m.conversation_id, m.compound, m.complaint_probability, "
                 "m.is_complaint, m.intent AS mention_intent, m.priority AS mention_priority, "
                 "c.opened_at, c.mention_count, c.assignee, ")
        row = self.conn.execute(
            DRAFT_SELECT.format(extra=extra, post="m.text", hint="") + "WHERE d.id = ?",
            (draft_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        item = draft_dict(row)
        item["metrics"] = json.loads(item["metrics"])
        return item
