"""The cases list and the case page (`/cases/{id}`): a case's posts and drafts in order, its
timeline from the audit log, the customer's history, internal notes, and what a person does to
a case (resolve, reopen, assign, escalate, link an account, write a note).

The pages' forms and the JSON API (`POST /api/cases/{id}/{action}`) run the same `act`, so a
change is checked, made and audited the same way whichever way it came.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from monitor.cases import CaseRules, case_facts
from monitor.models import CaseStatus, Escalation
from monitor.sla import SlaPolicy
from monitor.store import NotFound, Store, StoreError
from monitor.store.cases import UNASSIGNED
from monitor.store.notes import NOTE_LIMIT
from responders import casework
from responders.auth import can_decide
from responders.queue import NotPermitted, RuleBroken
from responders.web.format import short
from responders.web.sessions import error_page, redirect
from responders.web.state import (
    POLICY_KEY,
    SETTINGS_KEY,
    flash,
    identity,
    now,
    render,
    store,
    teams,
)

ACTIONS = ("resolve", "reopen", "assign", "escalate", "link", "note")
SLA_STATES = ("ok", "at_risk", "breached", "met")
# `assignee=` value for cases assigned to nobody (no username can hold a "~")
NOBODY = "~none"


# --- the cases list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CasesView:
    """What the cases list shows: its filters, read strictly from the query string."""

    status: str | None = None
    team: str | None = None
    assignee: str | None = None  # a username, or NOBODY
    sla: str | None = None
    escalation: str | None = None  # a kind, or "any"
    search: str | None = None
    mine: bool = False

    def params(self) -> dict[str, str]:
        """The query-string form of the view (only what is set)."""
        out = {"status": self.status, "team": self.team, "sla": self.sla,
               "escalation": self.escalation, "q": self.search,
               "assignee": None if self.mine else self.assignee, "mine": "1" if self.mine
               else None}
        return {k: v for k, v in out.items() if v}


def cases_view(query: Mapping[str, str], *, teams: list[str], me: str) -> CasesView:
    """The view a query string asks for; unknown values are ignored, not trusted."""

    def pick(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
        value = query.get(name)
        return value if value in allowed else None

    text = "".join(ch if ch.isprintable() else " " for ch in query.get("q", "")[:1_000])
    wanted = query.get("assignee", "")
    assignee = wanted if wanted == NOBODY or (
        0 < len(wanted) <= 40 and wanted.replace("_", "").replace(".", "").replace("-", "")
        .isalnum() and wanted.isascii()) else None
    mine = query.get("mine") == "1"
    return CasesView(
        status=pick("status", [s.value for s in CaseStatus]), team=pick("team", teams),
        assignee=me if mine else assignee, sla=pick("sla", SLA_STATES),
        escalation=pick("escalation", ["any", *(k.value for k in Escalation)]),
        search=" ".join(text.split())[:200] or None, mine=mine)


def _with_sla(request: web.Request, rows: list[dict[str, Any]]) -> None:
    """Add each case row's SLA state now (`sla_state`, `sla_due`)."""
    policy = SlaPolicy.from_settings(request.app[SETTINGS_KEY])
    at = now(request)
    for row in rows:
        row.update(policy.of_row(row, at))


def list_filters(request: web.Request, view: CasesView) -> dict[str, Any]:
    """The store's `list_cases` filters for a view's person, SLA state, escalation and search
    (status and team are passed as they are)."""
    return {"assignee": UNASSIGNED if view.assignee == NOBODY else view.assignee,
            "escalation": view.escalation, "search": view.search,
            "sla": SlaPolicy.from_settings(request.app[SETTINGS_KEY]).cut(view.sla, now(request))
            if view.sla else None}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 18 else None


async def cases_page(request: web.Request) -> web.Response:
    """Cases, newest first, with their latest post: by status, team, person, SLA state and
    escalation, searched, and "Mine" (the cases assigned to the signed-in user)."""
    who = identity(request)
    known_teams = teams(request.app[SETTINGS_KEY])
    view = cases_view(request.query, teams=known_teams, me=who.username)
    before = _int(request.query.get("before"))
    size = request.app[POLICY_KEY].page_size
    wanted = list_filters(request, view)

    def load(s: Store) -> tuple[list[dict[str, Any]], list[str]]:
        rows = s.list_cases(status=view.status, team=view.team, before_id=before,
                            limit=size + 1, **wanted)
        return rows, [name for name, _ in s.active_users()]

    rows, people = await store(request).read(load)
    more = len(rows) > size
    rows = rows[:size]
    _with_sla(request, rows)
    for row in rows:
        row.update(case_facts(row))
    keep = view.params()
    return await render(
        request, "cases.html", cases=rows, view=view, now=now(request),
        statuses=[c.value for c in CaseStatus], teams=known_teams, people=people,
        sla_states=SLA_STATES, escalations=[k.value for k in Escalation], nobody=NOBODY,
        filtered=any(k != "mine" for k in keep),
        next_url="/cases?" + urlencode({**keep, "before": rows[-1]["id"]}) if more else None,
    )


# --- one case ---------------------------------------------------------------------------------


def _conversation(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's posts and drafts in time order (a draft never before the post it answers:
    a backfilled post can be dated after the draft written for it)."""
    posted = {m["id"]: str(m["created_at"]) for m in detail["mentions"]}
    items = [{"type": "post", "at": str(m["created_at"]), **m} for m in detail["mentions"]]
    items += [{"type": "draft", "at": max(str(d["created_at"]),
                                          posted.get(d["mention_id"], "")), **d}
              for d in detail["drafts"]]
    return sorted(items, key=lambda i: (i["at"], i["type"] == "draft", str(i["id"])))


def case_id_of(request: web.Request) -> int:
    """The case number in the path; NotFound for one no database could hold."""
    case_id = int(request.match_info["id"])
    if case_id > 2**62:
        raise NotFound(f"no case with id {case_id} (see `brandbot cases list`)")
    return case_id


async def case_page(request: web.Request) -> web.Response:
    """A case: its posts and drafts, timeline, customer, notes and actions."""
    return await _case_view(request, case_id_of(request))


async def _case_view(request: web.Request, case_id: int, *, status: int = 200,
                     error: str | None = None, form: Mapping[str, str] | None = None
                     ) -> web.Response:
    def load(s: Store) -> dict[str, Any]:
        detail = s.case_detail(case_id)
        case = detail["case"]
        return {
            "detail": detail,
            "history": s.customer_view(case["author_id"], limit=20),
            "notes": s.case_notes(case_id),
            "people": [name for name, role in s.active_users() if can_decide(role)],
        }

    data = await store(request).read(load)
    detail = data["detail"]
    case = detail["case"]
    _with_sla(request, [case])
    case.update(case_facts(case))
    history = data["history"]
    settings = request.app[SETTINGS_KEY]
    return await render(
        request, "case.html", status=status, error=error, form=form or {}, c=case,
        conversation=_conversation(detail), timeline=detail["audit"],
        notifications=detail["notifications"], notes=data["notes"], history=history,
        other_cases=[h for h in history["cases"] if h["id"] != case_id],
        people=data["people"], teams=teams(settings),
        escalations=[k.value for k in Escalation], now=now(request),
        active=case["status"] not in (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value),
    )


# --- what a person does to a case -----------------------------------------------------------


def _field(fields: Mapping[str, Any], name: str, *, limit: int = 1000) -> str | None:
    value = fields.get(name)
    return value.replace("\r\n", "\n")[:limit] if isinstance(value, str) else None


async def act(request: web.Request, case_id: int, action: str,
              fields: Mapping[str, Any]) -> str:
    """Make one change to a case for the signed-in user and say what was done. Raises
    NotPermitted (role), NotFound, RuleBroken (the request itself is wrong) or StoreError
    (the case is not in a state for it)."""
    who = identity(request)
    if action not in ACTIONS:
        raise NotFound(f"no such thing to do to a case: {action!r}")
    if not who.can_decide:
        raise NotPermitted(f"{who.username} is a {who.role.value} and cannot change cases")
    settings = request.app[SETTINGS_KEY]
    user, at = who.username, now(request)
    change: Callable[[Store], str]
    if action == "resolve":
        def change(s: Store) -> str:
            case = casework.resolve(s, case_id, user=user, now=at,
                                    follow_up=settings.sla.follow_up)
            due = short(case.follow_up_due_at)
            return f"Case #{case.id} resolved; its follow-up falls due {due}."
    elif action == "reopen":
        def change(s: Store) -> str:
            return f"Case #{casework.reopen(s, case_id, user=user, now=at).id} reopened."
    elif action == "assign":
        change = _assign(case_id, fields, user=user, at=at, known=teams(settings))
    elif action == "escalate":
        kind = _field(fields, "kind") or ""
        if kind and kind not in [k.value for k in Escalation]:
            raise RuleBroken(f"unknown escalation kind {kind!r}")
        reason = _field(fields, "reason") or ""
        rules = CaseRules.from_settings(settings)

        def change(s: Store) -> str:
            case = casework.escalate(s, case_id, user=user, now=at, rules=rules,
                                     kind=Escalation(kind) if kind else None, reason=reason)
            return f"Case #{case.id} escalated: urgent, team {case.team or '-'}."
    elif action == "link":
        other = (_field(fields, "account", limit=200) or "").strip()
        if not other:
            raise RuleBroken("name the other account as platform:handle, e.g. reddit:dana_k")

        def change(s: Store) -> str:
            linked = casework.link_account(s, case_id, other, user=user, now=at)
            return f"Linked as one customer: {', '.join(linked)}."
    else:
        text = _field(fields, "text", limit=NOTE_LIMIT + 1) or ""

        def change(s: Store) -> str:
            casework.add_note(s, case_id, text, user=user, now=at)
            return "Note added."

    def run(s: Store) -> str:
        casework.check_case_worker(s, user)
        return change(s)

    return await store(request).write(run)


def _assign(case_id: int, fields: Mapping[str, Any], *, user: str, at: datetime,
            known: list[str]) -> Callable[[Store], str]:
    """`assign` with `team` and/or `assignee` (NOBODY: take the case off its person)."""
    team = _field(fields, "team", limit=100) or None
    if team is not None and team not in known:
        raise RuleBroken(f"unknown team {team!r}")
    person = _field(fields, "assignee", limit=100)
    if team is None and not person:
        raise RuleBroken("choose a team or a person to assign the case to")

    def change(s: Store) -> str:
        case = casework.assign(s, case_id, user=user, now=at, team=team,
                               assignee=person if person and person != NOBODY else None,
                               unassign=person == NOBODY)
        whom = f"to {case.assignee}" if case.assignee else "to nobody in person"
        return f"Case #{case.id} is with team {case.team or '-'}, assigned {whom}."
    return change


async def case_action(request: web.Request) -> web.Response:
    """`POST /cases/{id}/{action}` from the case page's forms: do it, then back to the case
    with what happened, or the case page again saying why not."""
    action = request.match_info["action"]
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        case_id = case_id_of(request)
        message = await act(request, case_id, action, fields)
    except NotPermitted as exc:
        return await error_page(request, 403, str(exc))
    except NotFound as exc:
        return await error_page(request, 404, str(exc))
    except StoreError as exc:
        status = 422 if isinstance(exc, RuleBroken) else 409
        kept = {"text": fields.get("text", "")[:NOTE_LIMIT]} if action == "note" else {}
        return await _case_view(request, case_id, status=status, error=str(exc), form=kept)
    await flash(request, "ok", message)
    return redirect(f"/cases/{case_id}")
