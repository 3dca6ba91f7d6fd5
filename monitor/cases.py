"""Case lifecycle: which case a post belongs to, routing, escalation, incidents, SLAs,
follow-ups and CSAT.

The rules are pure functions (the planner runs inside the store's ingest transaction with what
the store read); `CaseKeeper` runs the part that depends on the clock rather than on new posts:
SLA warnings, follow-up drafts and the webhook outbox.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from monitor.models import (
    ACTIVE_CASE_STATUSES,
    AnalysedMention,
    Analysis,
    Case,
    CaseKind,
    CaseStatus,
    DraftSpec,
    Intent,
    Mention,
    Priority,
    iso,
    parse_iso,
)
from monitor.settings import Settings
from monitor.sleep import interruptible_sleep
from monitor.store import AsyncStore, CaseContext, Plan, Store

log = logging.getLogger("brandbot.cases")

Drafter = Callable[[Case, Mention, Analysis], DraftSpec]
# Writes the check-in after a case was resolved, on the customer's latest post.
FollowUpDrafter = Callable[[Case, Mention], DraftSpec]
# Sends one notification text (a webhook); raises NotifyFailed when it was not delivered.
Notifier = Callable[[str], Awaitable[None]]


class NotifyFailed(Exception):
    """A notification was not delivered; it stays in the outbox and is tried again later."""


@dataclass(frozen=True, slots=True)
class TeamRule:
    """Send a case to `team` when its intent is one of `intents` or a term matches."""

    team: str
    intents: frozenset[Intent]
    terms: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class CaseRules:
    """Everything the planner needs from the configuration."""

    reopen_window: timedelta
    default_team: str
    teams: tuple[TeamRule, ...]
    first_response: dict[Priority, timedelta]
    brand_handles: frozenset[str]
    escalate_followers: int = 50_000
    outage_cluster_size: int = 5
    outage_cluster_window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> CaseRules:
        """Compile the `[cases]`, `[routing]` and `[sla]` sections."""
        teams = []
        for name, team in settings.routing.teams.items():
            terms = (
                re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in team.terms),
                           re.IGNORECASE)
                if team.terms else None
            )
            teams.append(TeamRule(name, frozenset(team.intents), terms))
        return cls(
            reopen_window=settings.cases.reopen_window,
            default_team=settings.routing.default_team,
            teams=tuple(teams),
            first_response=dict(settings.sla.first_response),
            brand_handles=frozenset(h.lower() for h in settings.brand.all_handles()),
            escalate_followers=settings.cases.escalate_followers,
            outage_cluster_size=settings.cases.outage_cluster_size,
            outage_cluster_window=settings.cases.outage_cluster_window,
        )


def route(intent: Intent, text: str, rules: CaseRules) -> str:
    """The team for a case: a matching term wins over a matching intent, else the default."""
    for rule in rules.teams:
        if rule.terms is not None and rule.terms.search(text):
            return rule.team
    for rule in rules.teams:
        if intent in rule.intents:
            return rule.team
    return rules.default_team


def _higher(a: Priority, b: Priority) -> Priority:
    return a if a.rank <= b.rank else b


def _rating_for(case: Case, mention: Mention) -> int | None:
    """The CSAT rating in a customer's post, counted only once the case was resolved."""
    if case.status is not CaseStatus.RESOLVED or case.resolved_at is None:
        return None
    return parse_rating(mention.text)


def _joinable(case: Case, mention: Mention, analysis: Analysis, rules: CaseRules) -> bool:
    """Whether a post from the case's author continues that case rather than opening one."""
    if case.kind is CaseKind.INCIDENT:
        # an incident is joined from its thread or by outage complaints, and rated like a case
        return (_rating_for(case, mention) is not None and case.resolved_at is not None
                and mention.created_at - case.resolved_at <= rules.reopen_window)
    if case.status in ACTIVE_CASE_STATUSES:
        return mention.created_at - case.updated_at <= rules.reopen_window
    if case.status is CaseStatus.RESOLVED and case.resolved_at is not None:
        # a new complaint reopens it; a rating answers the follow-up
        return ((analysis.complaint or _rating_for(case, mention) is not None)
                and mention.created_at - case.resolved_at <= rules.reopen_window)
    return False


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def escalation_text(case: Case, mention: Mention, reasons: Sequence[str]) -> str:
    """The webhook message for an escalated case."""
    return (f"Case #{case.id} escalated ({'; '.join(reasons)}): @{mention.author.handle} on "
            f"{mention.platform}, {case.intent.value}, team {case.team or 'none'}. "
            f"“{_excerpt(mention.text)}”")


def incident_text(incident: Case, customers: int, window: timedelta, mention: Mention) -> str:
    """The webhook message for a new incident."""
    minutes = max(1, round(window.total_seconds() / 60))
    return (f"Incident #{incident.id}: {customers} customers reported an outage within "
            f"{minutes} minutes; team {incident.team or 'none'}. Their posts are gathered in "
            f"one case. Latest, @{mention.author.handle} on {mention.platform}: "
            f"“{_excerpt(mention.text)}”")


@dataclass(slots=True)
class _OutagePost:
    mention_id: str
    author_id: str
    at: datetime
    case_id: int
    stored: bool


@dataclass(slots=True)
class _Planning:
    """The planner's working state for one page."""

    rules: CaseRules
    drafter: Drafter
    plan: Plan
    cases: dict[int, Case]
    latest: dict[str, int]
    case_of_mention: dict[str, int]
    case_of_conversation: dict[tuple[str, str], int]
    pending: set[int]
    incident_id: int | None
    incident_pending: set[str]
    outage: list[_OutagePost]
    next_id: int
    touched: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)
    notified: set[tuple[int, str]] = field(default_factory=set)

    def current(self, case_id: int | None) -> Case | None:
        """The case, or the incident it was merged into."""
        case = self.cases.get(case_id) if case_id is not None else None
        while case is not None and case.merged_into is not None:
            case = self.cases.get(case.merged_into)
        return case

    def notify(self, case_id: int, reason: str, text: str) -> None:
        if (case_id, reason) not in self.notified:
            self.notified.add((case_id, reason))
            self.plan.notifications.append((case_id, reason, text))

    def open_incident(self, at: datetime) -> Case | None:
        """The incident new outage complaints join: open, and not gone quiet."""
        incident = self.current(self.incident_id)
        if incident is None or incident.status not in ACTIVE_CASE_STATUSES:
            return None
        return incident if at - incident.updated_at <= self.rules.reopen_window else None


def plan_page(
    new: Sequence[AnalysedMention],
    context: CaseContext,
    *,
    rules: CaseRules,
    drafter: Drafter,
) -> Plan:
    """Decide, for a page of new mentions, which cases they open or join and which get drafts.

    One customer problem is one case: the customer's reply in the case's thread joins it, and
    so does a new post by the same author while the case is active (or recently resolved: a new
    complaint reopens it, a rating answers its follow-up). Our own reply in the thread marks the
    first response. Legal or safety words and high-reach authors escalate a case; enough outage
    complaints by different customers within minutes become one incident that gathers them
    and the outage complaints after them. A case gets a new draft only when it has none waiting
    for a decision (in an incident: each customer).
    """
    state = _Planning(
        rules=rules, drafter=drafter, plan=Plan(),
        cases={case_id: replace(case) for case_id, case in context.cases.items()},
        latest=dict(context.latest_case_by_author),
        case_of_mention=dict(context.case_of_mention),
        case_of_conversation=dict(context.case_of_conversation),
        pending=set(context.pending_draft), incident_id=context.incident_id,
        incident_pending=set(context.incident_pending_authors),
        outage=[_OutagePost(m, a, t, c, True) for m, a, t, c in context.recent_outage],
        next_id=context.next_case_id,
    )
    for item in sorted(new, key=lambda i: i.mention.created_at):
        _plan_one(state, item.mention, item.analysis)
    plan = state.plan
    plan.new_cases = [state.cases[i] for i in sorted(state.created)]
    plan.updated_cases = [state.cases[i] for i in sorted(state.touched - state.created)]
    return plan


def _plan_one(state: _Planning, mention: Mention, analysis: Analysis) -> None:
    rules, plan = state.rules, state.plan
    thread_case_id = None
    if mention.in_reply_to:
        thread_case_id = state.case_of_mention.get(f"{mention.platform}:{mention.in_reply_to}")
    if thread_case_id is None and mention.conversation_id:
        thread_case_id = state.case_of_conversation.get((mention.platform,
                                                         mention.conversation_id))
    thread_case = state.current(thread_case_id)

    if mention.author.handle.lower().lstrip("@") in rules.brand_handles:
        # Our own post: it answers the case it replies in, and opens nothing.
        if thread_case is not None and thread_case.first_response_at is None:
            thread_case.first_response_at = mention.created_at
            if thread_case.status is CaseStatus.OPEN:
                thread_case.status = CaseStatus.WAITING
            thread_case.updated_at = max(thread_case.updated_at, mention.created_at)
            state.touched.add(thread_case.id)
        plan.case_of[mention.id] = thread_case.id if thread_case else None
        return

    author = mention.author.id
    reasons = escalation_reasons(analysis, followers=mention.author.followers,
                                 high_reach=rules.escalate_followers)
    outage = analysis.complaint and analysis.intent is Intent.OUTAGE
    case = None
    if thread_case is not None:
        # anyone's reply joins an incident's thread, unless it is a threat that needs its own
        # case; a customer case is joined by its own customer only
        if (not reasons if thread_case.kind is CaseKind.INCIDENT
                else thread_case.author_id == author):
            case = thread_case
    if case is None and outage and not reasons:
        # During an incident, outage complaints join it (a legal or safety threat does not:
        # it needs its own case and a person's attention).
        case = state.open_incident(mention.created_at)
    if case is None and author in state.latest:
        candidate = state.current(state.latest[author])
        if candidate is not None and _joinable(candidate, mention, analysis, rules):
            case = candidate
    if case is None and not analysis.needs_case:
        plan.case_of[mention.id] = None
        return

    if case is None:
        case = Case(
            id=state.next_id, author_id=author, platform=mention.platform,
            status=CaseStatus.OPEN, intent=analysis.intent, priority=analysis.priority,
            opened_at=mention.created_at, updated_at=mention.created_at,
            team=route(analysis.intent, mention.text, rules),
            conversation_id=mention.conversation_id or mention.native_id,
            sla_due_at=mention.created_at + rules.first_response[analysis.priority],
            mention_count=1, customer_effort=1,
        )
        state.next_id += 1
        state.cases[case.id] = case
        state.created.add(case.id)
    else:
        _join(case, mention, analysis, rules)
        state.touched.add(case.id)
    if case.kind is CaseKind.CUSTOMER:
        state.latest[author] = max(case.id, state.latest.get(author, 0))

    plan.case_of[mention.id] = case.id
    state.case_of_mention[mention.id] = case.id
    if mention.conversation_id:
        state.case_of_conversation.setdefault((mention.platform, mention.conversation_id),
                                              case.id)
    if reasons and analysis.needs_case and case.kind is CaseKind.CUSTOMER:
        _escalate(case, reasons, rules)
        state.notify(case.id, "escalated", escalation_text(case, mention, reasons))
    if analysis.needs_case and case.status in ACTIVE_CASE_STATUSES:
        if case.kind is CaseKind.INCIDENT:
            if author not in state.incident_pending:
                plan.drafts.append((case.id, mention, state.drafter(case, mention, analysis)))
                state.incident_pending.add(author)
        elif case.id not in state.pending:
            plan.drafts.append((case.id, mention, state.drafter(case, mention, analysis)))
            state.pending.add(case.id)
    if outage and case.kind is CaseKind.CUSTOMER:
        state.outage.append(_OutagePost(mention.id, author, mention.created_at, case.id,
                                        stored=False))
        if state.open_incident(mention.created_at) is None:
            _maybe_incident(state, mention)


def _join(case: Case, mention: Mention, analysis: Analysis, rules: CaseRules) -> None:
    """Add a customer's post to an existing case: reopen a resolved case on a new complaint or
    question, record a rating given after resolution as the case's CSAT."""
    rating = _rating_for(case, mention)
    if rating is not None:
        case.csat = rating
        case.csat_at = mention.created_at
    if case.status is CaseStatus.RESOLVED and analysis.needs_case:
        case.status = CaseStatus.OPEN
        case.resolved_at = None
        case.follow_up_due_at = None
    elif case.status is CaseStatus.WAITING and analysis.needs_case:
        case.status = CaseStatus.OPEN  # the customer is back: the next move is ours
    case.mention_count += 1
    if case.first_response_at is None or mention.created_at < case.first_response_at:
        case.customer_effort += 1
    case.updated_at = max(case.updated_at, mention.created_at)
    if case.intent in (Intent.OTHER, Intent.QUESTION) and analysis.complaint:
        case.intent = analysis.intent
    if analysis.needs_case:
        _raise_priority(case, analysis.priority, rules)


def _raise_priority(case: Case, priority: Priority, rules: CaseRules) -> None:
    raised = _higher(case.priority, priority)
    if raised is not case.priority and case.first_response_at is None:
        case.sla_due_at = case.opened_at + rules.first_response[raised]
    case.priority = raised


def _escalate(case: Case, reasons: Sequence[str], rules: CaseRules) -> None:
    """Mark a case escalated and urgent, keeping every reason it was escalated for."""
    case.status = CaseStatus.ESCALATED
    _raise_priority(case, Priority.URGENT, rules)
    case.escalation = _merge_reasons(case.escalation.split("; ") if case.escalation else [],
                                     reasons)


def _merge_reasons(known: Sequence[str], new: Sequence[str]) -> str:
    """One `escalation(term, ...)` for every legal or safety word, then the other reasons."""
    terms: dict[str, None] = {}
    others: dict[str, None] = {}
    for reason in [*known, *new]:
        if reason.startswith("escalation(") and reason.endswith(")"):
            terms.update(dict.fromkeys(reason[len("escalation("):-1].split(", ")))
        else:
            others[reason] = None
    words = [f"escalation({', '.join(terms)})"] if terms else []
    return "; ".join([*words, *others])


def _maybe_incident(state: _Planning, mention: Mention) -> None:
    """Open an incident when enough different customers complained of an outage in the window,
    and move into it the posts of theirs that make up a case of their own not yet answered."""
    rules = state.rules
    now = mention.created_at
    window = sorted((p for p in state.outage
                     if now - rules.outage_cluster_window <= p.at <= now
                     and (case := state.current(p.case_id)) is not None
                     and case.kind is CaseKind.CUSTOMER), key=lambda p: p.at)
    last_by_author: dict[str, datetime] = {}
    for post in window:
        last_by_author[post.author_id] = post.at
    if not outage_cluster(list(last_by_author.values()), now=now,
                          window=rules.outage_cluster_window, size=rules.outage_cluster_size):
        return
    first = window[0]
    incident = Case(
        id=state.next_id, author_id=first.author_id,
        platform=state.cases[first.case_id].platform, status=CaseStatus.ESCALATED,
        intent=Intent.OUTAGE, priority=Priority.URGENT, opened_at=first.at, updated_at=now,
        team=route(Intent.OUTAGE, mention.text, rules), kind=CaseKind.INCIDENT,
        sla_due_at=first.at + rules.first_response[Priority.URGENT],
        escalation=f"outage cluster ({len(last_by_author)} customers)",
    )
    state.next_id += 1
    state.cases[incident.id] = incident
    state.created.add(incident.id)
    state.incident_id = incident.id
    in_window: dict[int, int] = {}
    for post in window:
        in_window[post.case_id] = in_window.get(post.case_id, 0) + 1
    # Decided per case before anything moves (moving a post empties its case): a case goes
    # whole into the incident, every post of it, or stays a case of its own when answered
    # or holding other posts too.
    movable = {case_id for case_id, count in in_window.items()
               if (source := state.cases[case_id]).merged_into is None
               and source.first_response_at is None
               and source.status in ACTIVE_CASE_STATUSES and source.mention_count == count}
    moved = []
    for post in window:
        if post.case_id not in movable:
            continue
        source = state.cases[post.case_id]
        _move(state, post, source, incident)
        moved.append((post, source))
    if moved:  # the incident is "by" the first customer whose post it holds
        post, source = moved[0]
        incident.author_id, incident.platform, incident.opened_at = (
            post.author_id, source.platform, post.at)
        incident.sla_due_at = post.at + rules.first_response[Priority.URGENT]
    for source in list(state.cases.values()):
        if source.merged_into == incident.id and source.id in state.created:
            state.created.discard(source.id)  # opened by this page: never written at all
            state.touched.discard(source.id)
    state.notify(incident.id, "escalated",
                 incident_text(incident, len(last_by_author), rules.outage_cluster_window,
                               mention))


def _move(state: _Planning, post: _OutagePost, source: Case, incident: Case) -> None:
    """Move one post (and its draft) from a customer's case into the incident."""
    plan = state.plan
    if post.stored:
        plan.moved[post.mention_id] = incident.id
    else:
        plan.case_of[post.mention_id] = incident.id
    state.case_of_mention[post.mention_id] = incident.id
    incident.mention_count += 1
    incident.customer_effort += 1
    if source.id in state.pending or any(cid == source.id for cid, _, _ in plan.drafts):
        state.incident_pending.add(post.author_id)
    plan.drafts = [(incident.id if cid == source.id else cid, m, spec)
                   for cid, m, spec in plan.drafts]
    source.status = CaseStatus.CLOSED
    source.merged_into = incident.id
    source.mention_count = 0
    source.updated_at = max(source.updated_at, incident.updated_at)
    state.touched.add(source.id)
    post.case_id = incident.id


# --- SLAs, ratings, escalation: pure rules used by the case service ---------------------------

AT_RISK_FRACTION = 0.2  # a case is "at risk" in the last 20% of its target


def sla_state(
    case: Case,
    *,
    now: datetime,
    first_response: Mapping[Priority, timedelta],
    resolution: Mapping[Priority, timedelta],
) -> tuple[str, datetime | None]:
    """("ok" | "at_risk" | "breached" | "met", due) for the SLA that currently applies.

    Before our first response the first-response target applies; after it, resolution.
    """
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return "met", None
    if case.first_response_at is None:
        target = first_response[case.priority]
        due = case.sla_due_at or case.opened_at + target
    else:
        target = resolution[case.priority]
        due = case.opened_at + target
    if now >= due:
        return "breached", due
    if now >= due - target * AT_RISK_FRACTION:
        return "at_risk", due
    return "ok", due


_RATING_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_RATING = re.compile(
    r"(?<![\d.,£$€])\b([1-5])\s*(?:/\s*5|out of (?:5|five)|stars?|\*)?(?![\d.,:%])"
    r"(?!\s*(?:min|minute|hour|hr|day|week|month|year|time|x|gb|mb|mbps|am|pm)s?\b)",
    re.IGNORECASE,
)
_RATING_WORD = re.compile(r"\b(one|two|three|four|five)\s*(?:/\s*5|out of (?:5|five)|stars?)",
                          re.IGNORECASE)


def parse_rating(text: str) -> int | None:
    """A 1-5 satisfaction rating in a customer's reply ("5", "4/5", "3 stars", "★★★★"), if any.

    Numbers that are clearly something else (times, money, speeds) are not ratings; a reply
    with two different candidate numbers is ambiguous and gives None.
    """
    stars = text.count("★") or text.count("⭐")
    if 1 <= stars <= 5:
        return stars
    body = re.sub(r"@\S+", " ", text)
    found = {int(m[1]) for m in _RATING.finditer(body)}
    found |= {_RATING_WORDS[m[1].lower()] for m in _RATING_WORD.finditer(body)}
    return found.pop() if len(found) == 1 else None


def escalation_reasons(
    analysis: Analysis,
    *,
    followers: int | None,
    high_reach: int,
) -> list[str]:
    """Why a customer's post must go to a senior person at once (legal, safety, reach)."""
    reasons = [r.removeprefix("priority:") for r in analysis.reasons
               if r.startswith("priority:escalation")]
    if analysis.needs_case and followers is not None and followers >= high_reach:
        reasons.append(f"high-reach author ({followers} followers)")
    return reasons


def outage_cluster(
    times: Sequence[datetime],
    *,
    now: datetime,
    window: timedelta,
    size: int,
) -> bool:
    """Whether at least `size` outage complaints (by distinct authors) fall in the window."""
    return sum(1 for t in times if now - window <= t <= now) >= size


def sla_met(case: Case | Mapping[str, Any], *, first_response: Mapping[Any, timedelta],
            now: datetime | None = None) -> bool | None:
    """Whether a case's first response came within its priority's target.

    Takes a Case or a `cases` row. None while it is unanswered and not yet due (or `now` is not
    given); False once an unanswered case is past its target.
    """
    opened: datetime | None
    if isinstance(case, Case):
        priority, opened, answered = case.priority.value, case.opened_at, case.first_response_at
    else:
        priority = str(case["priority"])
        opened = _as_dt(case["opened_at"])
        answered = _as_dt(case.get("first_response_at"))
    target = first_response.get(priority, first_response.get(Priority(priority)))
    if target is None or opened is None:
        return None
    if answered is not None:
        return answered - opened <= target
    if now is not None and now > opened + target:
        return False
    return None


def _as_dt(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else parse_iso(str(value))


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """The `[sla]` targets, to compute a case's SLA state at a given time."""

    first_response: Mapping[Priority, timedelta]
    resolution: Mapping[Priority, timedelta]

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaPolicy:
        """The configured targets."""
        return cls(dict(settings.sla.first_response), dict(settings.sla.resolution))

    def state(self, case: Case, now: datetime) -> tuple[str, datetime | None]:
        """("ok" | "at_risk" | "breached" | "met", due) for the target that applies now."""
        return sla_state(case, now=now, first_response=self.first_response,
                         resolution=self.resolution)

    def of_row(self, row: Mapping[str, Any], now: datetime, *,
               prefix: str = "") -> dict[str, Any]:
        """`sla_state` and `sla_due` for a case row (or a draft row's case columns, whose
        status, opened and first-response columns are named `case_status`, `case_opened_at`
        and `case_first_response_at`)."""
        case = Case(
            id=0, author_id="", platform="", status=CaseStatus(str(row[f"{prefix}status"])),
            intent=Intent.OTHER, priority=Priority(row["priority"]),
            opened_at=_as_dt(row[f"{prefix}opened_at"]) or now, updated_at=now,
            first_response_at=_as_dt(row.get(f"{prefix}first_response_at")),
            sla_due_at=_as_dt(row.get("sla_due_at")),
        )
        state, due = self.state(case, now)
        return {"sla_state": state, "sla_due": iso(due)}


def sla_text(case: Case, handle: str, phase: str, due: datetime) -> str:
    """The webhook message for a case at risk of missing its SLA."""
    what = "first response" if phase == "first_response" else "resolution"
    return (f"Case #{case.id} is at risk of missing its {what} target ({case.priority.value}): "
            f"due {due.strftime('%d %b %H:%M UTC')}. @{handle} on {case.platform}, "
            f"{case.intent.value}, team {case.team or 'none'}, status {case.status.value}.")


@dataclass(slots=True)
class KeeperReport:
    """What one run of the case clock did."""

    at_risk: int = 0
    follow_ups: int = 0
    sent: int = 0
    failed: int = 0


class CaseKeeper:
    """The case clock: warns about SLAs at risk, writes due follow-up drafts, and sends the
    webhook notifications waiting in the outbox (each once; a failure is retried later).

    Everything here depends on the time, which comes from the injected clock (or `run_once`'s
    argument), so tests move days in milliseconds. It never blocks ingest: notifications are
    queued in the ingest transaction and sent from here.
    """

    def __init__(
        self,
        store: AsyncStore,
        *,
        sla: SlaPolicy,
        follow_up_drafter: FollowUpDrafter,
        notifier: Notifier | None,
        clock: Callable[[], datetime],
        interval: float = 30.0,
        retry_base: float = 60.0,
        retry_max: float = 3600.0,
    ) -> None:
        self.store = store
        self.sla = sla
        self.follow_up_drafter = follow_up_drafter
        self.notifier = notifier
        self.clock = clock
        self.interval = interval
        self.retry_base = retry_base
        self.retry_max = retry_max

    async def run_once(self, now: datetime | None = None) -> KeeperReport:
        """One tick: flag SLAs at risk, write due follow-ups, send due notifications."""
        at = now or self.clock()
        report = KeeperReport()
        report.at_risk = await self.flag_at_risk(at)
        drafter = self.follow_up_drafter
        created = await self.store.write(lambda s: s.create_follow_ups(at, drafter))
        report.follow_ups = len(created)
        if created:
            log.info("%d follow-up drafts written", len(created),
                     extra={"event": "follow_ups", "drafts": created})
        report.sent, report.failed = await self.send_due(at)
        return report

    async def flag_at_risk(self, now: datetime) -> int:
        """Queue one notification for each case that has just come within 20% of its target."""
        # only cases that can be inside their at-risk window now (the store narrows by time)
        first, resolve = self.sla.first_response.values(), self.sla.resolution.values()
        due_before = now + max(first) * AT_RISK_FRACTION
        opened_after = now - max(resolve)
        opened_before = now - min(resolve) * (1 - AT_RISK_FRACTION)
        watched = await self.store.read(lambda s: s.cases_to_watch(
            now=now, due_before=due_before, opened_after=opened_after,
            opened_before=opened_before))
        flagged = []
        for case, handle in watched:
            state, due = self.sla.state(case, now)
            if state == "at_risk" and due is not None:
                phase = "first_response" if case.first_response_at is None else "resolution"
                flagged.append((case.id, f"sla_at_risk:{phase}",
                                sla_text(case, handle, phase, due)))
        if not flagged:
            return 0

        def queue(store: Store) -> int:
            with store.transaction():
                return sum(store.queue_notification(case_id, reason, text, now=now)
                           for case_id, reason, text in flagged)

        return await self.store.write(queue)

    async def send_due(self, now: datetime) -> tuple[int, int]:
        """Send every notification due; returns (sent, failed)."""
        if self.notifier is None:
            return 0, 0
        due = await self.store.read(lambda s: s.due_notifications(now))
        sent = failed = 0
        for item in due:
            ident = int(item["id"])
            try:
                await self.notifier(str(item["text"]))
            except NotifyFailed as exc:
                failed += 1
                delay = min(self.retry_max, self.retry_base * 2 ** int(item["attempts"]))
                retry_at = now + timedelta(seconds=delay)
                error = str(exc)
                await self.store.write(partial(Store.mark_notification_failed,
                                               notification_id=ident, error=error,
                                               retry_at=retry_at))
                log.warning("notification %d for case %s not delivered (%s); retrying at %s",
                            ident, item["case_id"], error, iso(retry_at),
                            extra={"event": "notify_failed", "case": item["case_id"]})
            else:
                sent += 1
                await self.store.write(partial(Store.mark_notification_sent,
                                               notification_id=ident, now=now))
                log.info("notified: case %s %s", item["case_id"], item["reason"],
                         extra={"event": "notified", "case": item["case_id"],
                                "reason": item["reason"]})
        return sent, failed

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every `interval` seconds until stop is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a store or template failure must not stop the clock for good
                log.exception("case clock tick failed", extra={"event": "error"})
            await interruptible_sleep(self.interval, stop)
