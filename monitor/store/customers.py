"""Customers: one person's authors on several platforms, linked, and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.store.audit import AuditStore
from monitor.store.base import EXCERPT, qmarks
from monitor.store.errors import NotFound


class CustomersStore(AuditStore):
    """Finds, links and describes customers."""

    def author_id_for(self, ref: str) -> str:
        """The author id for `platform:id` or `platform:handle` (with or without @)."""
        if self.conn.execute("SELECT 1 FROM authors WHERE id = ?", (ref,)).fetchone():
            return ref
        platform, _, handle = ref.partition(":")
        row = self.conn.execute(
            "SELECT id FROM authors WHERE platform = ? AND lower(handle) = lower(?) "
            "ORDER BY last_seen_at DESC LIMIT 1",
            (platform, handle.lstrip("@")),
        ).fetchone()
        if row is None:
            raise NotFound(f"no author {ref!r}: name one as platform:handle, e.g. x:dana or "
                           "reddit:dana_k")
        return str(row[0])

    def customer_authors(self, author_id: str) -> list[str]:
        """The author and every author linked to them (NotFound for an unknown author)."""
        row = self.conn.execute("SELECT id, customer_id FROM authors WHERE id = ?",
                                (author_id,)).fetchone()
        if row is None:
            raise NotFound(f"no author {author_id!r}: author ids are platform:handle, "
                           "e.g. x:dana or reddit:dana_k")
        if row["customer_id"] is None:
            return [author_id]
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM authors WHERE customer_id = ? ORDER BY id", (row["customer_id"],))]

    def link_customers(self, first: str, second: str, *, actor: str, now: datetime) -> list[str]:
        """Record that two authors are one customer (and so everyone linked to either is);
        returns every author of that customer."""
        with self.transaction() as conn:
            found = {r[0]: r[1] for r in conn.execute(
                "SELECT id, customer_id FROM authors WHERE id IN (?, ?)", (first, second))}
            for author in (first, second):
                if author not in found:
                    raise NotFound(f"no author {author!r}: author ids are platform:handle, "
                                   "e.g. x:dana or reddit:dana_k")
            customer = found[first] or first
            other = found[second] or second
            conn.execute(
                "UPDATE authors SET customer_id = ? WHERE id IN (?, ?) OR customer_id IN (?, ?)",
                (customer, first, second, customer, other),
            )
            self._audit(actor, "customer_link", f"customer:{customer}", None,
                        f"{first} = {second}", None, now)
        return self.customer_authors(first)

    def customer_view(self, author_id: str, *, limit: int = 20) -> dict[str, Any]:
        """Everything about one customer across their linked authors: cases (their own and the
        incidents their posts joined), posts, our approved or posted replies, and a summary of
        earlier complaints and how their cases ended."""
        ids = self.customer_authors(author_id)
        marks = qmarks(len(ids))
        authors = [dict(r) for r in self.conn.execute(
            "SELECT id, platform, handle, display_name, followers, first_seen_at, last_seen_at "
            f"FROM authors WHERE id IN ({marks}) ORDER BY id", ids)]
        theirs = (f"(c.author_id IN ({marks}) OR c.id IN (SELECT case_id FROM mentions "
                  f"WHERE author_id IN ({marks}) AND case_id IS NOT NULL)) "
                  "AND c.merged_into IS NULL")
        cases = [dict(r) for r in self.conn.execute(
            "SELECT c.id, c.kind, c.platform, c.status, c.intent, c.priority, c.team, "
            "c.opened_at, c.first_response_at, c.resolved_at, c.csat, c.mention_count, "
            "c.escalation, c.replies_posted FROM cases c "
            f"WHERE {theirs} ORDER BY c.id DESC LIMIT ?", [*ids, *ids, limit])]
        outcomes = dict(self.conn.execute(
            f"SELECT c.status, count(*) FROM cases c WHERE {theirs} GROUP BY c.status",
            [*ids, *ids]).fetchall())
        csat = self.conn.execute(
            f"SELECT avg(c.csat), count(c.csat) FROM cases c WHERE {theirs}",
            [*ids, *ids]).fetchone()
        mentions = [dict(r) for r in self.conn.execute(
            f"SELECT m.id, m.platform, a.handle AS author, substr(m.text, 1, {EXCERPT}) AS text, "
            "length(m.text) AS length, m.url, m.created_at, m.sentiment, m.intent, "
            "m.is_complaint, m.case_id FROM mentions m JOIN authors a ON a.id = m.author_id "
            f"WHERE m.author_id IN ({marks}) ORDER BY m.created_at DESC LIMIT ?",
            [*ids, limit])]
        totals = self.conn.execute(
            "SELECT count(*), coalesce(sum(is_complaint), 0), min(created_at), max(created_at) "
            f"FROM mentions WHERE author_id IN ({marks})", ids).fetchone()
        answers = [dict(r) for r in self.conn.execute(
            "SELECT d.id, d.case_id, d.kind, d.text, d.status, d.decided_by, d.decided_at, "
            "d.posted_at, d.posted_url FROM drafts d JOIN mentions m ON m.id = d.mention_id "
            f"WHERE m.author_id IN ({marks}) AND d.status IN ('approved', 'posting', 'posted') "
            "ORDER BY d.id DESC LIMIT ?", [*ids, limit])]
        return {
            "author_id": author_id, "authors": authors, "cases": cases, "mentions": mentions,
            "answers": answers,
            "summary": {
                "posts": totals[0], "complaints": totals[1], "cases": sum(outcomes.values()),
                "outcomes": outcomes, "csat_avg": round(csat[0], 2) if csat[1] else None,
                "csat_responses": csat[1], "first_post_at": totals[2], "last_post_at": totals[3],
            },
        }

    def customer_history(self, author_id: str, *, limit: int = 20) -> dict[str, Any]:
        """A customer's cases, posts, and the replies we approved or posted for them (across
        linked authors; see `customer_view`)."""
        return self.customer_view(author_id, limit=limit)
