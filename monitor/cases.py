"""Case lifecycle rules: which case a post belongs to, routing, SLA due times. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.models import (
    ACTIVE_CASE_STATUSES,
    AnalysedMention,
    Analysis,
    Case,
    CaseStatus,
    DraftSpec,
    Intent,
    Mention,
    Priority,
)
from monitor.settings import Settings
from monitor.store import CaseContext, Plan

Drafter = Callable[[Case, Mention, Analysis], DraftSpec]


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


def _joinable(case: Case, mention: Mention, analysis: Analysis, rules: CaseRules) -> bool:
    """Whether a post from the case's author continues that case rather than opening one."""
    if case.status in ACTIVE_CASE_STATUSES:
        return mention.created_at - case.updated_at <= rules.reopen_window
    if case.status is CaseStatus.RESOLVED and case.resolved_at is not None:
        return analysis.complaint and mention.created_at - case.resolved_at <= rules.reopen_window
    return False


def plan_page(
    new: Sequence[AnalysedMention],
    context: CaseContext,
    *,
    rules: CaseRules,
    drafter: Drafter,
) -> Plan:
    """Decide, for a page of new mentions, which cases they open or join and which get drafts.

    One customer problem is one case: the customer's reply in the case's thread joins it, and
    so does a new post by the same author while the case is active (or recently resolved,
    which reopens it). Our own reply in the thread marks the first response. A case gets a new
    draft only when it has none waiting for a decision.
    """
    plan = Plan()
    cases = {case_id: replace(case) for case_id, case in context.cases.items()}
    touched: set[int] = set()
    created: set[int] = set()
    latest = dict(context.latest_case_by_author)
    case_of_mention = dict(context.case_of_mention)
    case_of_conversation = dict(context.case_of_conversation)
    pending = set(context.pending_draft)
    next_id = context.next_case_id

    for item in sorted(new, key=lambda i: i.mention.created_at):
        mention, analysis = item.mention, item.analysis
        thread_case_id = None
        if mention.in_reply_to:
            thread_case_id = case_of_mention.get(f"{mention.platform}:{mention.in_reply_to}")
        if thread_case_id is None and mention.conversation_id:
            thread_case_id = case_of_conversation.get((mention.platform, mention.conversation_id))
        thread_case = cases.get(thread_case_id) if thread_case_id is not None else None

        if mention.author.handle.lower().lstrip("@") in rules.brand_handles:
            # Our own post: it answers the case it replies in, and opens nothing.
            if thread_case is not None and thread_case.first_response_at is None:
                thread_case.first_response_at = mention.created_at
                thread_case.status = CaseStatus.WAITING
                thread_case.updated_at = max(thread_case.updated_at, mention.created_at)
                touched.add(thread_case.id)
            plan.case_of[mention.id] = thread_case.id if thread_case else None
            continue

        case = thread_case if thread_case and thread_case.author_id == mention.author.id else None
        if case is None and mention.author.id in latest:
            candidate = cases[latest[mention.author.id]]
            if _joinable(candidate, mention, analysis, rules):
                case = candidate
        if case is None and not analysis.needs_case:
            plan.case_of[mention.id] = None
            continue

        if case is None:
            case = Case(
                id=next_id, author_id=mention.author.id, platform=mention.platform,
                status=CaseStatus.OPEN, intent=analysis.intent, priority=analysis.priority,
                opened_at=mention.created_at, updated_at=mention.created_at,
                team=route(analysis.intent, mention.text, rules),
                conversation_id=mention.conversation_id or mention.native_id,
                sla_due_at=mention.created_at + rules.first_response[analysis.priority],
                mention_count=1, customer_effort=1,
            )
            next_id += 1
            cases[case.id] = case
            created.add(case.id)
            latest[mention.author.id] = case.id
        else:
            _join(case, mention, analysis, rules)
            touched.add(case.id)

        plan.case_of[mention.id] = case.id
        case_of_mention[mention.id] = case.id
        if mention.conversation_id:
            case_of_conversation[(mention.platform, mention.conversation_id)] = case.id
        if analysis.needs_case and case.id not in pending:
            plan.drafts.append((case.id, mention, drafter(case, mention, analysis)))
            pending.add(case.id)

    plan.new_cases = [cases[i] for i in sorted(created)]
    plan.updated_cases = [cases[i] for i in sorted(touched - created)]
    return plan


def _join(case: Case, mention: Mention, analysis: Analysis, rules: CaseRules) -> None:
    """Add a customer's post to an existing case (reopening it if it was resolved)."""
    if case.status is CaseStatus.RESOLVED:
        case.status = CaseStatus.OPEN
        case.resolved_at = None
    case.mention_count += 1
    if case.first_response_at is None:
        case.customer_effort += 1
    case.updated_at = max(case.updated_at, mention.created_at)
    if case.intent in (Intent.OTHER, Intent.QUESTION) and analysis.complaint:
        case.intent = analysis.intent
    raised = _higher(case.priority, analysis.priority)
    if raised is not case.priority and case.first_response_at is None:
        case.sla_due_at = case.opened_at + rules.first_response[raised]
    case.priority = raised


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
