"""The digest's queries: a period's counts, top posts, negative hours, a sample, its cases."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.models import (
    iso,
)
from monitor.store.base import StoreBase

# The only extra conditions digest_posts accepts (it builds SQL from them).
_DIGEST_FILTERS = frozenset({
    "1 = 1", "m.is_complaint = 1 AND m.intent = ?", "m.sentiment = 'negative' "
    "AND substr(m.created_at, 1, 13) = ?",
})


class DigestStore(StoreBase):
    """Reads for marketing's digests."""

    _PERIOD = "created_at >= ? AND created_at < ?"

    def mention_aggregates(self, start: datetime, end: datetime) -> dict[str, Any]:
        """One period's counts, the digest's raw material, from one covering-index scan.

        A mention counts once for the brand (whichever of its terms matched) and once for
        each competitor it names.
        """
        by_day: dict[str, dict[str, int]] = {}
        sentiment: dict[str, int] = {}
        platforms: dict[str, int] = {}
        complaints: dict[str, int] = {}
        hourly_negative: dict[str, int] = {}
        labels: dict[str, dict[str, int]] = {}
        names: dict[str, set[str]] = {}
        actions: dict[str, int] = {}
        escalations: dict[str, int] = {}
        for hour, label, platform, intent, complaint, terms, action, escalation, n in (
            self.conn.execute(
                "SELECT substr(created_at, 1, 13), sentiment, platform, intent, is_complaint, "
                "matched_terms, action, escalation, count(*) FROM mentions "
                f"INDEXED BY mentions_digest WHERE {self._PERIOD} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
                (iso(start), iso(end)))):
            action = action or "unknown"
            actions[action] = actions.get(action, 0) + n
            if escalation and escalation != "[]":
                for kind in json.loads(escalation):
                    escalations[kind] = escalations.get(kind, 0) + n
            label = label or "neutral"
            row = by_day.setdefault(hour[:10], {"total": 0, "positive": 0, "neutral": 0,
                                                "negative": 0})
            row["total"] += n
            row[label] += n
            sentiment[label] = sentiment.get(label, 0) + n
            platforms[platform] = platforms.get(platform, 0) + n
            if complaint:
                complaints[intent] = complaints.get(intent, 0) + n
            if label == "negative":
                hourly_negative[hour] = hourly_negative.get(hour, 0) + n
            if terms not in names:
                names[terms] = {t if t.startswith("competitor:") else "brand"
                                for t in json.loads(terms or "[]")}
            for name in names[terms]:
                counts = labels.setdefault(name, {})
                counts[label] = counts.get(label, 0) + n
        return {
            "total": sum(sentiment.values()), "by_day": by_day, "sentiment": sentiment,
            "labels": labels, "by_platform": platforms, "complaints_by_intent": complaints,
            "hourly_negative": hourly_negative, "actions": actions, "escalations": escalations,
        }

    def digest_posts(self, start: datetime, end: datetime, *, where: str = "1 = 1",
                     params: Sequence[Any] = (), limit: int = 5
                     ) -> list[dict[str, Any]]:
        """Posts of a period for a digest, by the author's reach (followers)."""
        if where not in _DIGEST_FILTERS:
            raise ValueError("unsupported digest query")
        # From the most-followed authors down (authors_followers), probing each one's posts
        # in the period (mentions_author): stops after `limit` hits instead of sorting the
        # period. CROSS JOIN keeps SQLite from reordering the loops.
        rows = self.conn.execute(
            "SELECT m.id, m.platform, m.text, m.url, m.created_at, m.sentiment, m.intent, "
            "a.handle AS author, coalesce(a.followers, 0) AS followers, m.metrics "
            "FROM authors a INDEXED BY authors_followers CROSS JOIN mentions m "
            "ON m.author_id = a.id "
            f"WHERE m.created_at >= ? AND m.created_at < ? AND {where} "
            "ORDER BY a.followers DESC, m.id LIMIT ?",
            (iso(start), iso(end), *params, limit),
        )
        out = []
        for row in rows:
            item = dict(row)
            metrics = json.loads(item.pop("metrics") or "{}")
            engagement = sum(v for v in metrics.values() if isinstance(v, int))
            item["reach"] = item["followers"] + engagement
            out.append(item)
        return out

    def negative_per_hour(self, start: datetime, end: datetime) -> dict[str, int]:
        """Negative mentions per hour (YYYY-MM-DDTHH) posted in a period."""
        return dict(self.conn.execute(
            f"SELECT substr(created_at, 1, 13), count(*) FROM mentions WHERE {self._PERIOD} "
            "AND sentiment = 'negative' GROUP BY 1", (iso(start), iso(end))).fetchall())

    def count_negative(self, start: datetime, end: datetime) -> int:
        """Negative mentions posted in a period."""
        return int(self.conn.execute(
            f"SELECT count(*) FROM mentions WHERE {self._PERIOD} AND sentiment = 'negative'",
            (iso(start), iso(end))).fetchone()[0])

    def digest_texts(self, start: datetime, end: datetime, *, limit: int) -> list[str]:
        """Up to `limit` post texts of a period, spread evenly across it (a fixed sample)."""
        span = (iso(start), iso(end))
        total = self.conn.execute(
            "SELECT count(*) FROM mentions INDEXED BY mentions_digest "
            f"WHERE {self._PERIOD}", span).fetchone()[0]
        step = max(1, -(-total // limit))
        if self.postgres:  # no rowid: number the period's rows instead
            return [r[0][:2000] for r in self.conn.execute(
                "SELECT text FROM (SELECT text, row_number() OVER (ORDER BY created_at, id) "
                f"AS n FROM mentions WHERE {self._PERIOD}) numbered WHERE n % ? = 0 "
                "ORDER BY n LIMIT ?", (*span, step, limit))]
        return [r[0][:2000] for r in self.conn.execute(
            "SELECT text FROM mentions WHERE rowid IN (SELECT rowid FROM mentions "
            f"INDEXED BY mentions_digest WHERE {self._PERIOD} AND rowid % ? = 0 LIMIT ?)",
            (*span, step, limit))]

    def digest_cases(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Cases opened in a period, with what care metrics need."""
        columns = ("opened_at", "first_response_at", "resolved_at", "sla_due_at", "priority",
                   "customer_effort", "replies_posted", "csat")
        rows = self.conn.execute(
            f"SELECT {', '.join(columns)} FROM cases INDEXED BY cases_opened "
            "WHERE opened_at >= ? AND opened_at < ? AND merged_into IS NULL",
            (iso(start), iso(end)),
        )
        return [dict(zip(columns, r, strict=True)) for r in rows]
