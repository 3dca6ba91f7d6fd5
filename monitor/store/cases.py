"""Cases: reading and filtering them; resolving, reopening, assigning to a team or a person,
escalating by hand; the SLA watch and follow-up drafts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
from monitor.store.notifications import NotificationsStore

# The start of a case's latest post, as the cases list shows it.
LATEST_EXCERPT = 300
ACTIVE = "('open', 'waiting', 'escalated')"
# `assignee` for cases assigned to nobody.
UNASSIGNED = ""


@dataclass(frozen=True, slots=True)
class SlaCut:
    """Cases in one SLA state at `now`, as monitor.sla reckons it: before our first reply the
    first-response target applies (the case's `sla_due_at`), after it the resolution target
    from opening; a case is at risk in the last `at_risk` fraction of its target."""

    state: str  # ok, at_risk, breached or met
    now: datetime
    first_response: Mapping[str, timedelta]  # by priority
    resolution: Mapping[str, timedelta]
    at_risk: float = 0.2


def _sla_clause(cut: SlaCut) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for the cases in `cut.state`."""
    if cut.state == "met":
        return "c.status IN ('resolved', 'closed')", []

    def due_by(margin: float, answered: bool) -> tuple[str, list[Any]]:
        # the target that applies falls due at or before now + margin * that target
        parts, params = [], []
        for priority, first in cut.first_response.items():
            target = cut.resolution[priority] if answered else first
            moment = cut.now + target * margin
            if answered:
                parts.append("(c.priority = ? AND c.opened_at <= ?)")
                params += [priority, iso(moment - target)]
            else:
                parts.append("(c.priority = ? AND coalesce(c.sla_due_at <= ?, c.opened_at <= ?))")
                params += [priority, iso(moment), iso(moment - target)]
        return "(" + " OR ".join(parts) + ")", params

    def within(answered: bool) -> tuple[str, list[Any]]:
        late, late_params = due_by(0, answered)
        near, near_params = due_by(cut.at_risk, answered)
        if cut.state == "breached":
            return late, late_params
        if cut.state == "at_risk":
            return f"({near} AND NOT {late})", [*near_params, *late_params]
        return f"NOT {near}", near_params

    open_sql, open_params = within(False)
    answered_sql, answered_params = within(True)
    return (f"c.status IN {ACTIVE} AND ((c.first_response_at IS NULL AND {open_sql}) OR "
            f"(c.first_response_at IS NOT NULL AND {answered_sql}))",
            [*open_params, *answered_params])


def _like(text: str) -> str:
    """A LIKE pattern for text containing `text` (lower case; `%`, `_` and `\\` literal)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
        dmed_at=maybe_time(row["dmed_at"]),
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
        "dmed_at": iso(case.dmed_at),
    }


class CasesStore(AuditStore, MentionsStore, NotificationsStore):
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
                   limit: int = 1000, before_id: int | None = None,
                   assignee: str | None = None, escalation: str | None = None,
                   search: str | None = None, sla: SlaCut | None = None
                   ) -> list[dict[str, Any]]:
        """Cases with their author handle, latest post and pending draft (if any), newest
        first; filtered by status, team, `assignee` (UNASSIGNED: nobody), `escalation` (a
        kind, or "any"), SLA state, and `search` (a case number, or words in the customer's
        handle or the case's posts)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("c.status", status), ("c.team", team)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if assignee == UNASSIGNED:
            clauses.append("c.assignee IS NULL")
        elif assignee is not None:
            clauses.append("c.assignee = ?")
            params.append(assignee)
        if escalation == "any":
            clauses.append("coalesce(c.escalation, '') <> ''")
        elif escalation:
            clauses.append("c.escalation LIKE ?")
            params.append(f"%{escalation}%")
        if sla is not None:
            sql, sla_params = _sla_clause(sla)
            clauses.append(sql)
            params += sla_params
        if search:
            number = search.removeprefix("#")
            pattern = _like(search)
            clauses.append(
                "(c.id = ? OR lower(a.handle) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
                "mentions m WHERE m.case_id = c.id AND lower(m.text) LIKE ? ESCAPE '\\'))")
            params += [int(number) if number.isdigit() and len(number) < 18 else -1,
                       pattern, pattern]
        if before_id is not None:
            clauses.append("c.id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(
            "SELECT c.*, a.handle AS author, (SELECT min(d.id) FROM drafts d "
            "WHERE d.case_id = c.id AND d.status = 'pending') AS pending_draft_id, "
            f"(SELECT substr(m.text, 1, {LATEST_EXCERPT}) FROM mentions m WHERE m.case_id = c.id "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS latest_text "
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

    def assign_case_to(self, case_id: int, *, assignee: str | None, actor: str,
                       now: datetime) -> Case:
        """Give a case to a person (None: to nobody), audited with the old and new assignee.
        StoreError for an unknown or disabled user, or no change."""
        with self.transaction() as conn:
            case = self.get_case(case_id)
            if assignee is not None:
                user = conn.execute("SELECT disabled_at FROM users WHERE name = ?",
                                    (assignee,)).fetchone()
                if user is None:
                    raise StoreError(f"no user called {assignee!r} to assign case {case_id} to "
                                     "(see `brandbot users list`)")
                if user[0] is not None:
                    raise StoreError(f"user {assignee!r} is disabled and cannot take cases")
            if case.assignee == assignee:
                raise StoreError(f"case {case_id} is already assigned to {assignee}"
                                 if assignee else f"case {case_id} is assigned to nobody")
            conn.execute("UPDATE cases SET assignee = ?, updated_at = ? WHERE id = ?",
                         (assignee, iso(now), case_id))
            self._audit(actor, "case_assignee", f"case:{case_id}", case.assignee, assignee,
                        None, now)
            return self.get_case(case_id)

    def reopen_case(self, case_id: int, *, actor: str, now: datetime) -> Case:
        """Open a resolved or closed case again (its follow-up is no longer due), audited."""
        with self.transaction() as conn:
            case = self.get_case(case_id)
            if case.merged_into is not None:
                raise StoreError(f"case {case_id} was merged into incident {case.merged_into}; "
                                 f"reopen that instead")
            if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                raise StoreError(f"case {case_id} is {case.status.value}, not resolved")
            conn.execute(
                "UPDATE cases SET status = 'open', resolved_at = NULL, follow_up_due_at = NULL, "
                "updated_at = ? WHERE id = ?", (iso(now), case_id))
            self._audit(actor, "case_reopen", f"case:{case_id}", case.status.value,
                        CaseStatus.OPEN.value, None, now)
            return self.get_case(case_id)

    def escalate_case(self, case_id: int, *, escalate: Callable[[Case], Case], actor: str,
                      now: datetime, detail: dict[str, Any] | None = None,
                      notify: Callable[[Case], tuple[str, str]] | None = None) -> Case:
        """Escalate an active case by hand, audited: `escalate` (monitor.cases'
        `escalate_by_hand`) says what changes, and `notify` the webhook message for the
        escalated case (reason, text), queued in the same transaction, once per case and
        reason. StoreError when the case is not active or nothing would change."""
        with self.transaction() as conn:
            case = self.get_case(case_id)
            if case.merged_into is not None:
                raise StoreError(f"case {case_id} was merged into incident {case.merged_into}; "
                                 f"escalate that instead")
            if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                raise StoreError(f"case {case_id} is {case.status.value}: reopen it first")
            changed = escalate(case)
            before, after = case_values(case), case_values(changed)
            values = {k: v for k, v in after.items()
                      if k in ("status", "priority", "sla_due_at", "escalation", "team")
                      and v != before[k]}
            if not values:
                raise StoreError(f"case {case_id} is already escalated for that")
            values["updated_at"] = iso(now)
            conn.execute(f"UPDATE cases SET {', '.join(f'{k} = ?' for k in values)} "
                         "WHERE id = ?", [*values.values(), case_id])
            self._audit(actor, "case_escalate", f"case:{case_id}", case.escalation,
                        changed.escalation, {**(detail or {}), "status": case.status.value,
                                             "priority": changed.priority.value,
                                             "team": changed.team}, now)
            if notify is not None:
                reason, text = notify(changed)
                self.queue_notification(case_id, reason, text, now=now)
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
