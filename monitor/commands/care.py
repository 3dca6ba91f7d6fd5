"""Customer care from the command line: the approval queue, cases and customers."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from monitor.case_rules import BY_HAND
from monitor.cases import case_facts
from monitor.commands.common import EXIT_OK, UsageError, open_store, print_table
from monitor.models import Draft, DraftStatus, iso, utcnow
from monitor.settings import Settings
from monitor.sla import SlaPolicy
from monitor.store import Store, draft_fields
from monitor.store.cases import UNASSIGNED

CASE_FIELDS = ("id", "status", "author", "platform", "intent", "priority", "team", "assignee",
               "opened_at", "first_response_at", "resolved_at", "sla_due_at", "mention_count",
               "customer_effort", "kind", "sla_state", "sla_due", "csat", "escalation",
               "escalation_reasons", "action", "reply_by_hand", "replies_posted",
               "follow_up_due_at", "merged_into")


def cmd_queue(args: argparse.Namespace, settings: Settings) -> int:
    from responders.drafts import voice_from_settings
    from responders.queue import approve, reject, undo

    store = open_store(settings)
    try:
        if args.queue_command == "list":
            drafts = store.list_drafts(status=args.status, limit=args.limit)
            if args.json:
                policy, now = SlaPolicy.from_settings(settings), utcnow()
                print(json.dumps([draft_fields({**d, **policy.of_row(d, now, prefix="case_")})
                                  for d in drafts], ensure_ascii=False))
            else:
                print_table(drafts, ("id", "status", "priority", "platform", "author",
                                      "intent", "text"))
            return EXIT_OK
        if args.queue_command == "undo":
            window = settings.publisher.undo_window
            draft = undo(store, args.id, user=args.as_user, now=utcnow(), window=window)
            print(f"draft {draft.id} is pending again: approval undone by {args.as_user}")
            return EXIT_OK
        voice = voice_from_settings(settings)
        if args.queue_command == "approve":
            draft = approve(store, args.id, user=args.as_user, voice=voice, now=utcnow(),
                            text=args.text)
        else:
            draft = reject(store, args.id, user=args.as_user, reason=args.reason, now=utcnow())
        if draft.by_hand and draft.status is DraftStatus.POSTED:
            print(f"draft {draft.id} recorded as answered by hand by {draft.decided_by} "
                  f"(brandbot posts nothing: reply on {draft.platform} yourself)")
        else:
            print(f"draft {draft.id} {draft.status.value} by {draft.decided_by}"
                  + _posting_note(draft, settings))
        return EXIT_OK
    finally:
        store.close()


def _posting_note(draft: Draft, settings: Settings) -> str:
    """When an approved draft will be posted, or why it will not be."""
    from responders.publisher import replying_platforms, stranded_reason

    if draft.status is not DraftStatus.APPROVED:
        return ""
    if draft.platform not in replying_platforms(settings):
        return f"; it {stranded_reason(draft.platform)}"
    window = settings.publisher.undo_window
    if not window:
        return ""
    return (f"; posted after {window.total_seconds():g}s unless undone "
            f"(brandbot queue undo {draft.id} --as USER)")


def _case_item(row: dict[str, Any], policy: SlaPolicy, now: datetime) -> dict[str, Any]:
    """A case row in the `cases list --json` shape, with its SLA state now."""
    item = {**row, **policy.of_row(row, now), **case_facts(row)}
    return {k: item.get(k) for k in CASE_FIELDS}


def _care_user(store: Store, name: str) -> None:
    """Case decisions need a known approver or admin, as draft decisions do."""
    from responders.casework import check_case_worker

    check_case_worker(store, name)


def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    now = utcnow()
    policy = SlaPolicy.from_settings(settings)
    store = open_store(settings)
    try:
        if args.cases_command == "list":
            cases = store.list_cases(
                status=args.status, team=args.team, limit=args.limit,
                assignee=UNASSIGNED if args.unassigned else args.assignee,
                escalation=args.escalation, search=args.search,
                sla=policy.cut(args.sla, now) if args.sla else None)
            items = [_case_item(c, policy, now) for c in cases]
            if args.json:
                print(json.dumps(items, ensure_ascii=False))
            else:
                print_table(items, ("id", "kind", "status", "priority", "team", "platform",
                                     "author", "intent", "mention_count", "sla_state",
                                     "sla_due_at", "csat"))
        elif args.cases_command == "show":
            detail = {**store.case_detail(args.id), "notes": store.case_notes(args.id)}
            detail["case"] = {**detail["case"], **policy.of_row(detail["case"], now)}
            if args.json:
                print(json.dumps(detail, ensure_ascii=False))
            else:
                _print_case(detail)
        else:
            _change_case(args, settings, store, now)
    finally:
        store.close()
    return EXIT_OK


def _change_case(args: argparse.Namespace, settings: Settings, store: Store,
                 now: datetime) -> None:
    """`cases resolve|reopen|assign|escalate|note`: one change, as the case page makes it."""
    from monitor.cases import CaseRules
    from monitor.models import Escalation
    from responders import casework

    command, case_id = args.cases_command, args.id
    if args.as_user:
        _care_user(store, args.as_user)
    user = args.as_user or "cli"
    if command == "resolve":
        case = casework.resolve(store, case_id, user=user, now=now,
                                follow_up=settings.sla.follow_up)
        print(f"case {case.id} resolved by {user}; follow-up due {iso(case.follow_up_due_at)}")
    elif command == "reopen":
        case = casework.reopen(store, case_id, user=user, now=now)
        print(f"case {case.id} reopened by {user}")
    elif command == "assign":
        known = sorted({settings.routing.default_team, *settings.routing.teams})
        if args.team is not None and args.team not in known:
            raise UsageError(f"--team: unknown team {args.team!r} (the teams in [routing] "
                             f"are {', '.join(known)})")
        if args.team is None and args.to is None and not args.nobody:
            raise UsageError("cases assign: give --team TEAM, --to USER or --nobody")
        case = casework.assign(store, case_id, user=user, now=now, team=args.team,
                               assignee=args.to, unassign=args.nobody)
        print(f"case {case.id} assigned to team {case.team or '-'}"
              f"{f', person {case.assignee}' if case.assignee else ', no one in person'}")
    elif command == "escalate":
        case = casework.escalate(store, case_id, user=user, now=now,
                                 rules=CaseRules.from_settings(settings),
                                 kind=Escalation(args.kind) if args.kind else None,
                                 reason=args.reason or "")
        print(f"case {case.id} escalated ({case.escalation}); team {case.team or '-'}, "
              f"priority {case.priority.value}")
    else:
        note = casework.add_note(store, case_id, args.text, user=user, now=now)
        print(f"note {note} added to case {case_id} by {user}")


def _print_case(detail: dict[str, Any]) -> None:
    c = detail["case"]
    print(f"case {c['id']} ({c['kind']}): {c['status']} · {c['priority']} · team "
          f"{c['team'] or '-'} · {c['platform']} @{c['author']} · {c['intent']}")
    print(f"opened {c['opened_at']} · first response {c['first_response_at'] or '-'} · "
          f"resolved {c['resolved_at'] or '-'} · SLA {c['sla_state']} (due "
          f"{c['sla_due'] or '-'}) · posts {c['mention_count']} · effort {c['customer_effort']}"
          f" · CSAT {c['csat'] if c['csat'] is not None else '-'}")
    if c["escalation"]:
        print(f"escalated: {c['escalation']}")
    if c["platform"] in BY_HAND:
        print(f"reply by hand: {c['platform']} has no reply API; answer from the post's link")
    if c["merged_into"]:
        print(f"merged into incident {c['merged_into']}")
    if c["follow_up_due_at"]:
        print(f"follow-up due {c['follow_up_due_at']}")
    print("\nposts")
    print_table(detail["mentions"], ("created_at", "platform", "author", "intent", "text"))
    print("\ndrafts")
    print_table(detail["drafts"], ("id", "kind", "status", "decided_by", "posted_at", "text"))
    print("\naudit")
    print_table(detail["audit"], ("at", "actor", "action", "subject", "after"))
    if detail.get("notes"):
        print("\nnotes")
        print_table(detail["notes"], ("created_at", "author", "text"))
    if detail["notifications"]:
        print("\nnotifications")
        print_table(detail["notifications"], ("reason", "created_at", "sent_at", "attempts",
                                               "error"))


def cmd_customers(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    try:
        if args.customers_command == "link":
            if args.as_user:
                _care_user(store, args.as_user)
            first, second = store.author_id_for(args.first), store.author_id_for(args.second)
            linked = store.link_customers(first, second, actor=args.as_user or "cli",
                                          now=utcnow())
            print(f"linked as one customer: {', '.join(linked)}")
            return EXIT_OK
        view = store.customer_view(store.author_id_for(args.author), limit=args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps(view, ensure_ascii=False))
        return EXIT_OK
    summary = view["summary"]
    print("customer: " + ", ".join(f"{a['id']} (@{a['handle']})" for a in view["authors"]))
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(summary["outcomes"].items()))
    print(f"{summary['posts']} posts, {summary['complaints']} complaints, {summary['cases']} "
          f"cases ({outcomes or 'none'}), CSAT "
          f"{summary['csat_avg'] if summary['csat_avg'] is not None else '-'}")
    print("\ncases")
    print_table(view["cases"], ("id", "kind", "status", "intent", "priority", "team",
                                 "opened_at", "resolved_at", "csat"))
    print("\nposts")
    print_table(view["mentions"], ("created_at", "platform", "intent", "case_id", "text"))
    return EXIT_OK
