"""What a person does to a case, with the same checks from the command line, the case page
and the API: resolve, reopen, assign to a team or a person, escalate, link another account
of the customer, write an internal note. Each is recorded in the audit log by the store.

The caller checks the person first (`check_case_worker`): the pages and the API always, the
command line when it is told who is acting (`--as`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.cases import CaseRules, escalate_by_hand
from monitor.models import Case, Escalation
from monitor.store import Store, StoreError
from responders.auth import can_decide
from responders.queue import NotPermitted, RuleBroken


def check_case_worker(store: Store, user: str) -> None:
    """Case changes need a known, enabled approver or admin, as draft decisions do."""
    record = store.get_user(user)
    if record is None:
        raise NotPermitted(f"unknown user {user!r}: create one with "
                           f"`brandbot users add {user} --role approver`")
    if record.get("disabled_at"):
        raise NotPermitted(f"user {user!r} is disabled (`brandbot users enable {user}`)")
    if not can_decide(record["role"]):
        raise NotPermitted(f"user {user!r} is a {record['role']} and cannot change cases")


def resolve(store: Store, case_id: int, *, user: str, now: datetime,
            follow_up: timedelta) -> Case:
    """Resolve a case; its follow-up falls due `follow_up` later."""
    return store.resolve_case(case_id, actor=user, now=now, follow_up=follow_up)


def reopen(store: Store, case_id: int, *, user: str, now: datetime) -> Case:
    """Open a resolved case again."""
    return store.reopen_case(case_id, actor=user, now=now)


def assign(store: Store, case_id: int, *, user: str, now: datetime, team: str | None = None,
           assignee: str | None = None, unassign: bool = False) -> Case:
    """Give a case to a team, to a person (or, with `unassign`, to nobody), or both."""
    if team is None and assignee is None and not unassign:
        raise RuleBroken("say whom to assign the case to: a team, a person, or nobody")
    case = store.get_case(case_id)
    person = None if unassign else assignee
    new_team = team is not None and team != case.team
    new_person = (unassign or assignee is not None) and person != case.assignee
    if not new_team and not new_person:
        raise StoreError(f"case {case_id} is already with team {case.team or '-'}, assigned to "
                         f"{case.assignee or 'nobody'}")
    if new_person:  # first: an unknown person changes nothing
        case = store.assign_case_to(case_id, assignee=person, actor=user, now=now)
    if new_team and team is not None:
        case = store.assign_case(case_id, team=team, actor=user, now=now)
    return case


def escalate(store: Store, case_id: int, *, user: str, now: datetime, rules: CaseRules,
             kind: Escalation | None = None, reason: str = "") -> Case:
    """Escalate a case by hand (urgent, to the kind's team if one is configured), with an
    optional reason for the audit log."""
    handle = store.case_row(case_id).get("author") or "?"
    why = reason.strip()[:1000]

    def message(case: Case) -> tuple[str, str]:
        # one notification per case and kind, as triage's escalation notifies once
        return (f"escalated:{kind.value if kind else 'by_hand'}",
                f"Case #{case.id} escalated by {user} ({kind.value if kind else 'no kind'}"
                f"{': ' + why[:200] if why else ''}): @{handle} on {case.platform}, "
                f"{case.intent}, team {case.team or 'none'}.")

    return store.escalate_case(
        case_id, escalate=lambda case: escalate_by_hand(case, kind, by=user, rules=rules),
        actor=user, now=now, detail={"reason": why} if why else None, notify=message)


def link_account(store: Store, case_id: int, other: str, *, user: str,
                 now: datetime) -> list[str]:
    """Record that another account (`platform:handle` or an author id) is the case's customer
    too; every account of that customer."""
    case = store.get_case(case_id)
    author = store.author_id_for(other.strip())
    if author in store.customer_authors(case.author_id):
        raise RuleBroken(f"{author} is already linked to this customer")
    return store.link_customers(case.author_id, author, actor=user, now=now)


def add_note(store: Store, case_id: int, text: str, *, user: str, now: datetime) -> int:
    """Write an internal note on a case; its id."""
    if not text.strip():
        raise RuleBroken("a note needs some text")
    return store.add_case_note(case_id, author=user, text=text, now=now)
