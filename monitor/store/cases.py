"""Cases: reading them, resolving and assigning, the SLA watch and follow-up drafts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from monitor.models import (
    Case,
    CaseKind,
    CaseStatus,
    DraftSpec,
    Mention,
    Priority,
    iso,
    parse_iso,
)
from monitor.store.audit import AuditStore
from monitor.store.base import EXCERPT, dumps, maybe_time, qmarks
from monitor.store.errors import NotFound, StoreError
from monitor.store.mentions import MentionsStore


def case_from_row(row: sqlite3.Row) -> Case:
    """Build a Case from a `cases` row."""
    return Case(
        id=row["id"], author_id=row["author_id"], platform=row["platform"],
        status=CaseStatus(row["status"]), intent=row["intent"],
        priority=Priority(row["priority"]), opened_at=parse_iso(row["opened_at"]),
        updated_at=parse_iso(row["updated_at"]), team=row["team"], assignee=row["assignee"],
        conversation_id=row["conversation_id"],
        first_response_at=maybe_time(row["first_response_at"]),
        resolved_at=maybe_time(row["resolved_at"]), sla_due_at=maybe_time(row["sla_due_at"]),
        follow_up_due_at=maybe_time(row["follow_up_due_at"]),
        csat=row["csat"], mention_count=row["mention_count"],
        customer_effort=row["customer_effort"], kind=CaseKind(row["kind"]),
        escalation=row["escalation"], merged_into=row["merged_into"],
        replies_posted=row["replies_posted"], csat_at=maybe_time(row["csat_at"]),
    )


def case_values(case: Case) -> dict[str, Any]:
    """A Case as the columns of its `cases` row."""
    return {
        "id": case.id, "author_id": case.author_id, "platform": case.platform,
        "status": case.status.value, "intent": case.intent,
        "priority": case.priority.value, "team": case.team, "assignee": case.assignee,
        "conversation_id": case.conversation_id, "opened_at": iso(case.opened_at),
        "updated_at": iso(case.updated_at), "first_response_at": iso(case.first_response_at),
        "resolved_at": iso(case.resolved_at), "sla_due_at": iso(case.sla_due_at),
        "follow_up_due_at": iso(case.follow_up_due_at), "csat": case.csat,
        "mention_count": case.mention_count, "customer_effort": case.customer_effort,
        # replies_posted is kept by a trigger on drafts, never written from a plan
        "kind": case.kind.value, "escalation": case.escalation,
        "merged_into": case.merged_into, "csat_at": iso(case.csat_at),
    }


class CasesStore(AuditStore, MentionsStore):
    """Reads and changes cases."""

    def get_case(self, case_id: int) -> Case:
        """One case; NotFound if there is none with that id."""
        row = self.conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise NotFound(f"no case with id {case_id} (see `brandbot cases list`)")
        return case_from_row(row)

    def case_row(self, case_id: int) -> dict[str, Any]:
        """One case as `list_cases` shows it; NotFound if absent."""
        row = self.conn.execute(
            "SELECT c.*, a.handle AS author, (SELECT min(d.id) FROM drafts d "
            "WHERE d.case_id = c.id AND d.status = 'pending') AS pending_draft_id "
            "FROM cases c JOIN authors a ON a.id = c.author_id WHERE c.id = ?",
            (case_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no case with id {case_id} (see `brandbot cases list`)")
        return dict(row)

    def list_cases(self, *, status: str | None = None, team: str | None = None,
                   limit: int = 1000, before_id: int | None = None) -> list[dict[str, Any]]:
        """Cases with their author handle and pending draft (if any), newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if status:
            clauses.append("c.status = ?")
            params.append(status)
        if team:
            clauses.append("c.team = ?")
            params.append(team)
        if before_id is not None:
            clauses.append("c.id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(
            "SELECT c.*, a.handle AS author, (SELECT min(d.id) FROM drafts d "
            "WHERE d.case_id = c.id AND d.status = 'pending') AS pending_draft_id "
            "FROM cases c JOIN authors a ON a.id = c.author_id "
            f"{where} ORDER BY c.id DESC LIMIT ?",
            [*params, limit],
        )
        return [dict(r) for r in rows]

    def case_detail(self, case_id: int, *, limit: int = 200) -> dict[str, Any]:
        """A case with its posts, its drafts and its audit trail (the case's and its drafts')."""
        case = self.case_row(case_id)
        mentions = [dict(r) for r in self.conn.execute(
            f"SELECT m.id, m.platform, a.handle AS author, substr(m.text, 1, {EXCERPT}) AS text, "
            "length(m.text) AS length, m.url, m.created_at, m.sentiment, m.intent, "
            "m.is_complaint, m.priority, m.in_reply_to FROM mentions m "
            "JOIN authors a ON a.id = m.author_id WHERE m.case_id = ? "
            "ORDER BY m.created_at, m.id LIMIT ?",
            (case_id, limit),
        )]
        drafts = [dict(r) for r in self.conn.execute(
            "SELECT id, kind, mention_id, platform, status, text, template, created_at, "
            "decided_by, decided_at, reason, posted_id, posted_at, error FROM drafts "
            "WHERE case_id = ? ORDER BY id LIMIT ?",
            (case_id, limit),
        )]
        subjects = [f"case:{case_id}", *(f"draft:{d['id']}" for d in drafts)]
        audit = [dict(r) for r in self.conn.execute(
            f"SELECT id, at, actor, action, subject, before, after, detail FROM audit "
            f"WHERE subject IN ({qmarks(len(subjects))}) ORDER BY id LIMIT ?",
            [*subjects, limit],
        )]
        notifications = [dict(r) for r in self.conn.execute(
            "SELECT reason, created_at, sent_at, attempts, error FROM notifications "
            "WHERE case_id = ? ORDER BY id", (case_id,),
        )]
        return {"case": case, "mentions": mentions, "drafts": drafts, "audit": audit,
                "notifications": notifications}

    def resolve_case(self, case_id: int, *, actor: str, now: datetime,
                     follow_up: timedelta) -> Case:
        """Resolve a case, audited; its follow-up falls due `follow_up` later."""
        with self.transaction():
            case = self.get_case(case_id)
            if case.merged_into is not None:
                raise StoreError(f"case {case_id} was merged into incident {case.merged_into}; "
                                 f"resolve that instead")
            if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                at = f" at {iso(case.resolved_at)}" if case.resolved_at else ""
                raise StoreError(f"case {case_id} is already {case.status.value}{at}")
            self.conn.execute(
                "UPDATE cases SET status = 'resolved', resolved_at = ?, follow_up_due_at = ?, "
                "updated_at = ? WHERE id = ?",
                (iso(now), iso(now + follow_up), iso(now), case_id),
            )
            self._audit(actor, "case_resolve", f"case:{case_id}", case.status.value,
                        CaseStatus.RESOLVED.value,
                        {"follow_up_due_at": iso(now + follow_up)}, now)
            return self.get_case(case_id)

    def assign_case(self, case_id: int, *, team: str, actor: str, now: datetime) -> Case:
        """Give a case to a team, audited with the old and new team."""
        with self.transaction():
            case = self.get_case(case_id)
            if case.team == team:
                raise StoreError(f"case {case_id} is already with team {team}")
            self.conn.execute("UPDATE cases SET team = ?, updated_at = ? WHERE id = ?",
                              (team, iso(now), case_id))
            self._audit(actor, "case_assign", f"case:{case_id}", case.team, team, None, now)
            return self.get_case(case_id)

    def cases_to_watch(self, *, now: datetime, due_before: datetime, opened_after: datetime,
                       opened_before: datetime) -> list[tuple[Case, str]]:
        """Active cases (with the author's handle) that may be near an SLA target and were not
        yet notified for the target now applying: unanswered ones due in (now, due_before],
        answered ones opened in (opened_after, opened_before]."""
        rows = self.conn.execute(
            "SELECT c.*, a.handle FROM cases c JOIN authors a ON a.id = c.author_id "
            "WHERE c.status IN ('open', 'waiting', 'escalated') AND ("
            "(c.first_response_at IS NULL AND c.sla_due_at > ? AND c.sla_due_at <= ?) OR "
            "(c.first_response_at IS NOT NULL AND c.opened_at > ? AND c.opened_at <= ?)) "
            "AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id "
            "AND n.reason = CASE WHEN c.first_response_at IS NULL "
            "THEN 'sla_at_risk:first_response' ELSE 'sla_at_risk:resolution' END)",
            (iso(now), iso(due_before), iso(opened_after), iso(opened_before)),
        )
        return [(case_from_row(r), r["handle"]) for r in rows]

    def create_follow_ups(self, now: datetime,
                          drafter: Callable[[Case, Mention], DraftSpec]) -> list[int]:
        """Write the follow-up drafts that are due, at most one round per resolution.

        A resolved case whose `follow_up_due_at` has passed gets a draft (kind `follow_up`) on
        the customer's latest post; an incident gets one for each customer in it.
        """
        created: list[int] = []
        with self.transaction() as conn:
            due = conn.execute(
                "SELECT * FROM cases c WHERE c.status = 'resolved' AND c.follow_up_due_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.case_id = c.id "
                "AND d.kind = 'follow_up' AND d.created_at >= c.resolved_at) ORDER BY c.id",
                (iso(now),),
            ).fetchall()
            for row in due:
                case = case_from_row(row)
                if case.kind is CaseKind.INCIDENT:
                    authors = [r[0] for r in conn.execute(
                        "SELECT DISTINCT m.author_id FROM drafts d JOIN mentions m "
                        "ON m.id = d.mention_id WHERE d.case_id = ? AND d.kind = 'reply'",
                        (case.id,),
                    )]
                else:
                    authors = [case.author_id]
                for author in sorted(authors):
                    last = conn.execute(
                        "SELECT id FROM mentions WHERE case_id = ? AND author_id = ? "
                        "ORDER BY created_at DESC, id DESC LIMIT 1",
                        (case.id, author),
                    ).fetchone()
                    if last is None:
                        continue
                    mention = self.load_mention(last[0])
                    spec = drafter(case, mention)
                    cursor = conn.execute(
                        "INSERT INTO drafts (case_id, mention_id, platform, text, original_text, "
                        "template, status, flags, created_at, kind) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, 'follow_up') RETURNING id",
                        (case.id, mention.id, mention.platform, spec.text, spec.text,
                         spec.template, dumps(list(spec.flags)), iso(now)),
                    )
                    created.append(int(cursor.fetchone()[0]))
        return created
