"""Case lifecycle: which case a post belongs to, routing, escalation, incidents and CSAT.

The rules are pure functions: the planner runs inside the store's ingest transaction with what
the store read. What it reads from the configuration (teams, routing, SLAs per priority) is
`case_rules.py`; the words of an outage going on, over or not over, and the cluster that opens
an incident, are `incidents.py`. SLAs are in `sla.py`; the part that depends on the clock
rather than on new posts (SLA warnings, follow-up drafts, the webhook outbox) is
`case_clock.py`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from monitor.analysis.contacted import already_dmed
from monitor.analysis.cues import put_right
from monitor.case_rules import BY_HAND, CaseRules, route
from monitor.incidents import (
    AFTER_EFFECT,
    STATUS,
    OutagePost,
    announces_fix,
    outage_cluster,
    still_out,
)
from monitor.models import (
    ACTIVE_CASE_STATUSES,
    OTHER,
    QUESTION,
    Action,
    AnalysedMention,
    Analysis,
    Case,
    CaseKind,
    CaseStatus,
    DraftSpec,
    Escalation,
    Mention,
    Priority,
    Sentiment,
)
from monitor.ratings import parse_rating
from monitor.store import CaseContext, Plan

log = logging.getLogger("brandbot.cases")

Drafter = Callable[[Case, Mention, Analysis], DraftSpec]


@runtime_checkable
class OffersSavedReplies(Protocol):
    """A drafter that offers the team's saved replies: the planner hands it the ones in use
    (read inside the ingest transaction) before it drafts a page."""

    def offer_saved(self, saved: Sequence[Mapping[str, Any]]) -> None:
        """Use these saved replies for the drafts that follow."""


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


def _another_problem(case: Case, mention: Mention, analysis: Analysis, outage: bool,
                     rules: CaseRules) -> bool:
    """Whether a post saying the service is down while others say so too (`outage`) is a
    problem apart from the customer's case: one about something else, opened before the
    outage began ("and now my card won't work at all", two days after a double payment). It
    opens a case of its own, which an incident can take."""
    return (outage and case.kind is CaseKind.CUSTOMER
            and case.intent not in (analysis.intent, rules.outage_intent, OTHER, QUESTION)
            and case.opened_at < mention.created_at - rules.outage_cluster_window)


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def escalation_text(case: Case, mention: Mention, reasons: Sequence[str]) -> str:
    """The webhook message for an escalated case."""
    return (f"Case #{case.id} escalated ({'; '.join(reasons)}): @{mention.author.handle} on "
            f"{mention.platform}, {case.intent}, team {case.team or 'none'}. "
            f"“{_excerpt(mention.text)}”")


def incident_text(incident: Case, customers: int, window: timedelta, mention: Mention) -> str:
    """The webhook message for a new incident."""
    minutes = max(1, round(window.total_seconds() / 60))
    return (f"Incident #{incident.id}: {customers} customers reported an outage within "
            f"{minutes} minutes; team {incident.team or 'none'}. Their posts are gathered in "
            f"one case. Latest, @{mention.author.handle} on {mention.platform}: "
            f"“{_excerpt(mention.text)}”")


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
    outage: list[OutagePost]
    next_id: int
    touched: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)
    notified: set[tuple[int, str]] = field(default_factory=set)

    def draft(self, case: Case, mention: Mention, analysis: Analysis) -> DraftSpec:
        """The drafter's reply, marked for posting by hand where the platform requires it."""
        return _by_hand(self.drafter(case, mention, analysis), mention, self.rules)

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
        return incident if at - incident.updated_at <= self.rules.incident_quiet else None

    def fixed_incident(self, at: datetime) -> Case | None:
        """The incident our accounts said was fixed less than `incident_quiet` ago (a
        customer still failing then is one of its customers: "your post says it's fixed??")."""
        incident = self.current(self.incident_id)
        if (incident is None or incident.status is not CaseStatus.RESOLVED
                or incident.resolved_at is None):
            return None
        return (incident if timedelta(0) <= at - incident.resolved_at
                <= self.rules.incident_quiet else None)


def _redrafter(drafter: Drafter, rules: CaseRules
               ) -> Callable[[Case, Mention, Mapping[str, Any]], DraftSpec]:
    """A drafter for stored posts, from the analysis columns kept with them."""
    def redraft(case: Case, mention: Mention, stored: Mapping[str, Any]) -> DraftSpec:
        kinds = tuple(Escalation(k) for k in json.loads(stored.get("escalation") or "[]")
                      if k in {e.value for e in Escalation})
        analysis = Analysis(
            sentiment=Sentiment(compound=0.0, pos=0.0, neu=1.0, neg=0.0), complaint=True,
            complaint_probability=1.0, intent=case.intent, priority=case.priority,
            matched_terms=(), addressed=True, reasons=(),
            action=Action(stored.get("action") or Action.REPLY.value), escalation=kinds,
            brand_label=stored.get("sentiment"), lang=stored.get("lang"))
        return _by_hand(drafter(case, mention, analysis), mention, rules)
    return redraft


def _by_hand(spec: DraftSpec, mention: Mention, rules: CaseRules) -> DraftSpec:
    """The draft, marked for posting by hand when the platform will not take it from us."""
    return replace(spec, by_hand=True) if rules.reply_by_hand(mention) else spec


def _offer_saved(drafter: Drafter, context: CaseContext) -> None:
    if isinstance(drafter, OffersSavedReplies):
        drafter.offer_saved(context.saved_replies)


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
    for a decision (in an incident: each customer), and a waiting draft is written anew when
    its customer posts again.
    """
    _offer_saved(drafter, context)
    state = _Planning(
        rules=rules, drafter=drafter, plan=Plan(),
        cases={case_id: replace(case) for case_id, case in context.cases.items()},
        latest=dict(context.latest_case_by_author),
        case_of_mention=dict(context.case_of_mention),
        case_of_conversation=dict(context.case_of_conversation),
        pending=set(context.pending_draft), incident_id=context.incident_id,
        incident_pending=set(context.incident_pending_authors),
        outage=[OutagePost(m, a, t, c, True, counts)
                for m, a, t, c, counts in context.recent_outage],
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
        incident = state.open_incident(mention.created_at)
        if (thread_case is None and incident is not None
                and (announces_fix(mention.text) or STATUS.search(mention.text[:2_000]))):
            # what we post about the outage going on, or its fix, is part of the incident
            plan.case_of[mention.id] = incident.id
            state.case_of_mention[mention.id] = incident.id
        if incident is not None and announces_fix(mention.text):
            # our accounts say the outage is fixed: the incident is resolved, and what its
            # customers post next is not a new outage complaint joining it
            incident.status = CaseStatus.RESOLVED
            incident.resolved_at = mention.created_at
            incident.follow_up_due_at = None
            incident.updated_at = max(incident.updated_at, mention.created_at)
            state.touched.add(incident.id)
            # its customers' waiting replies now say it is fixed
            plan.redraft_incidents.append(incident)
            plan.redraft = _redrafter(state.drafter, rules)
        return

    if analysis.action is Action.SPAM:
        # Spam joins no case. An account imitating us that replies to a customer puts that
        # customer at risk: their case is escalated (security) and the team told once.
        plan.case_of[mention.id] = None
        if (analysis.impersonation and thread_case is not None
                and thread_case.kind is CaseKind.CUSTOMER
                and thread_case.status in ACTIVE_CASE_STATUSES):
            warning = f"an account imitating us (@{mention.author.handle}) replied"
            _escalate(thread_case, ["escalation(security)", warning], rules)
            thread_case.updated_at = max(thread_case.updated_at, mention.created_at)
            state.touched.add(thread_case.id)
            state.notify(thread_case.id, "impersonator",
                         f"Case #{thread_case.id}: an account imitating us "
                         f"(@{mention.author.handle}) replied to this customer on "
                         f"{mention.platform}; warn them. “{_excerpt(mention.text)}”")
        return

    author = mention.author.id
    every_reason = escalation_reasons(analysis, followers=mention.author.followers,
                                      high_reach=rules.escalate_followers)
    # what keeps a post out of an incident, on a case of its own: a threat, a fraud, a risk to
    # people, a loud voice; a vulnerable customer hit by the outage is one of its customers
    # (the escalation and its notice stay with the post)
    reasons = [r for r in every_reason
               if r != "escalation(vulnerable)" and not r.startswith("vulnerable:")]
    replying = analysis.action is Action.REPLY
    # the service is down for them (the pack's outage, or said in words in any pack), or a
    # symptom of it ("card declined", "how long will this be?")
    down = replying and (analysis.intent == rules.outage_intent or analysis.outage == "down")
    symptom = down or (replying and analysis.outage is not None
                       and analysis.intent not in rules.never_outage)
    incident = state.open_incident(mention.created_at)
    if incident is None and symptom and not reasons:
        # "still declined for me": the outage we said was fixed is not over for them
        fixed = state.fixed_incident(mention.created_at)
        if fixed is not None and still_out(mention.text):
            incident = fixed
    # while an incident is open, a customer whose service is failing is almost surely one of
    # its customers, whatever symptom they name
    outage = down or (symptom and not reasons and incident is not None)
    # others report the outage too: it is going on, apart from whatever else they had
    apart = down and (incident is not None or any(
        p.counts and p.author_id != author
        and mention.created_at - rules.outage_cluster_window <= p.at <= mention.created_at
        for p in state.outage))
    case = None
    if thread_case is not None:
        # a customer's reply needing an answer joins an incident's thread, unless it is a
        # threat that needs its own case; a customer case is joined by its own customer only,
        # and not with the outage when that case is about another problem of theirs
        if thread_case.kind is CaseKind.INCIDENT:
            # (a reply there naming another problem of theirs is a case of its own; after our
            # fix, so is what the outage left behind: "works now, but the declined payment
            # shows twice", "and now the supplier wants a €15 fee" — unless it is not over)
            after_fix = (thread_case.status is CaseStatus.RESOLVED
                         and thread_case.resolved_at is not None
                         and mention.created_at >= thread_case.resolved_at)
            ours = analysis.intent in (thread_case.intent, OTHER, QUESTION)
            if not reasons and replying and (symptom or ours) and (
                    not after_fix or still_out(mention.text) or (
                        ours and AFTER_EFFECT.search(mention.text[:4_000]) is None)):
                case = thread_case
        elif thread_case.author_id == author and not _another_problem(thread_case, mention,
                                                                      analysis, apart, rules):
            case = thread_case
    if case is None and outage and not reasons:
        # During an incident, outage complaints join it (a legal or safety threat does not:
        # it needs its own case and a person's attention).
        case = incident
    if case is None and author in state.latest:
        candidate = state.current(state.latest[author])
        if (candidate is not None and _joinable(candidate, mention, analysis, rules)
                and not _another_problem(candidate, mention, analysis, apart, rules)):
            case = candidate
    # praise or thanks, when the brand thanks people back: a thank-you draft on the
    # customer's open case, or on a low-priority case of its own
    thank = (analysis.action is Action.ACKNOWLEDGE and rules.acknowledge_drafts
             and mention.platform not in rules.by_hand)
    wanted = analysis.needs_case or thank
    if case is None and not wanted:
        plan.case_of[mention.id] = None
        return

    if case is None:
        case = Case(
            id=state.next_id, author_id=author, platform=mention.platform,
            status=CaseStatus.OPEN, intent=analysis.intent,
            priority=Priority.LOW if thank else analysis.priority,
            opened_at=mention.created_at, updated_at=mention.created_at,
            team=route(analysis.intent, mention.text, rules),
            conversation_id=mention.conversation_id or mention.native_id,
            sla_due_at=mention.created_at
            + rules.first_response[Priority.LOW if thank else analysis.priority],
            mention_count=1, customer_effort=1,
        )
        state.next_id += 1
        state.cases[case.id] = case
        state.created.add(case.id)
    else:
        # a customer still failing after our fix post joins the fixed incident and gets a
        # reply, without the whole incident reopening on one customer's word
        _join(case, mention, analysis, rules, reopen=case.status is not CaseStatus.RESOLVED
              or case.kind is not CaseKind.INCIDENT)
        state.touched.add(case.id)
    if case.kind is CaseKind.CUSTOMER:
        state.latest[author] = max(case.id, state.latest.get(author, 0))
        if (case.dmed_at is None and case.author_id == author
                and already_dmed(mention.text[:4_000])):
            case.dmed_at = mention.created_at  # no reply on this case asks for a DM again

    plan.case_of[mention.id] = case.id
    state.case_of_mention[mention.id] = case.id
    if mention.conversation_id:
        state.case_of_conversation.setdefault((mention.platform, mention.conversation_id),
                                              case.id)
    if every_reason and analysis.needs_case and case.kind is CaseKind.CUSTOMER:
        _escalate(case, every_reason, rules)
        state.notify(case.id, "escalated", escalation_text(case, mention, every_reason))
    elif every_reason and case.kind is CaseKind.INCIDENT:
        # a vulnerable customer among the incident's: the team hears of each one
        state.notify(case.id, f"vulnerable {author}",
                     escalation_text(case, mention, every_reason))
    if replying and case.kind is CaseKind.CUSTOMER and case.author_id == author:
        said = {k.value for k in analysis.escalation}  # the case's kinds, on a follow-up too
        if carried := [k for k in escalation_kinds(case.escalation) if k not in said]:
            plan.carried[mention.id] = carried
    if (wanted and (case.status in ACTIVE_CASE_STATUSES or case.kind is CaseKind.INCIDENT)
            and mention.platform not in rules.by_hand):  # no reply API: answered by hand
        if case.kind is CaseKind.INCIDENT:
            if author not in state.incident_pending:
                plan.drafts.append((case.id, mention, state.draft(case, mention, analysis)))
                state.incident_pending.add(author)
        elif case.id not in state.pending:
            plan.drafts.append((case.id, mention, state.draft(case, mention, analysis)))
            state.pending.add(case.id)
        elif analysis.needs_case and case.author_id == author:
            # they posted again before we answered: the pending reply is written anew for
            # where things stand now (a chaser, "I've DMed you", an escalation)
            _redraft_pending(state, case, mention, analysis)
    elif (analysis.action is Action.ACKNOWLEDGE and case.kind is CaseKind.CUSTOMER
          and case.author_id == author and case.id in state.pending
          and mention.platform not in rules.by_hand and put_right(mention.text[:4_000])):
        # "all sorted now, thanks" while our reply still waits: an apology and a request to
        # DM no longer fit, so it becomes a thank-you for telling us (whatever
        # `[triage] acknowledge` says: the draft is already in the queue)
        _redraft_pending(state, case, mention, analysis)
    if symptom and case.kind is CaseKind.CUSTOMER:
        state.outage.append(OutagePost(mention.id, author, mention.created_at, case.id,
                                        stored=False, counts=down))
        if state.open_incident(mention.created_at) is None:
            _maybe_incident(state, mention)


def _redraft_pending(state: _Planning, case: Case, mention: Mention,
                     analysis: Analysis) -> None:
    """Write a case's pending reply again for this newer post of its customer's."""
    plan = state.plan
    spec = state.draft(case, mention, analysis)
    waiting = [i for i, d in enumerate(plan.drafts) if d[0] == case.id]
    if waiting:  # its draft is in this very page: replace it there
        plan.drafts[waiting[-1]] = (case.id, mention, spec)
    else:
        plan.refreshed.append((case.id, mention, spec))


def _join(case: Case, mention: Mention, analysis: Analysis, rules: CaseRules, *,
          reopen: bool = True) -> None:
    """Add a customer's post to an existing case: reopen a resolved case on a new complaint or
    question (unless told not to), record a rating given after resolution as the case's
    CSAT."""
    rating = _rating_for(case, mention)
    if rating is not None:
        case.csat = rating
        case.csat_at = mention.created_at
    if case.status is CaseStatus.RESOLVED and analysis.needs_case and reopen:
        case.status = CaseStatus.OPEN
        case.resolved_at = None
        case.follow_up_due_at = None
    elif case.status is CaseStatus.WAITING and analysis.needs_case:
        case.status = CaseStatus.OPEN  # the customer is back: the next move is ours
    case.mention_count += 1
    if case.first_response_at is None or mention.created_at < case.first_response_at:
        case.customer_effort += 1
    case.updated_at = max(case.updated_at, mention.created_at)
    if case.intent in (OTHER, QUESTION) and analysis.complaint:
        case.intent = analysis.intent
    if analysis.needs_case:
        _raise_priority(case, analysis.priority, rules)


def _raise_priority(case: Case, priority: Priority, rules: CaseRules) -> None:
    raised = _higher(case.priority, priority)
    if raised is not case.priority and case.first_response_at is None:
        case.sla_due_at = case.opened_at + rules.first_response[raised]
    case.priority = raised


def _escalate(case: Case, reasons: Sequence[str], rules: CaseRules) -> None:
    """Mark a case escalated and urgent, keeping every reason it was escalated for, and give
    it to the team of its escalation kind when one is configured."""
    case.status = CaseStatus.ESCALATED
    _raise_priority(case, Priority.URGENT, rules)
    case.escalation = _merge_reasons(case.escalation.split("; ") if case.escalation else [],
                                     reasons)
    for kind in escalation_kinds(case.escalation):
        if kind in rules.escalation_teams:
            case.team = rules.escalation_teams[kind]
            break


def escalate_by_hand(case: Case, kind: Escalation | None, *, by: str,
                     rules: CaseRules) -> Case:
    """A copy of `case` escalated by a person, as triage escalates one: escalated, urgent (an
    unanswered case's SLA pulled in), with the kind's team when one is configured."""
    changed = replace(case)
    reasons = [f"escalation({kind.value})"] if kind else []
    _escalate(changed, [*reasons, f"escalated by {by}"], rules)
    return changed


def escalation_kinds(escalation: str | None) -> list[str]:
    """The escalation kinds (safety, legal, security, vulnerable) named in a case's
    escalation reasons."""
    kinds = {k.value for k in Escalation}
    found: list[str] = []
    for reason in (escalation or "").split("; "):
        if reason.startswith("escalation(") and reason.endswith(")"):
            found += [k for k in reason[len("escalation("):-1].split(", ")
                      if k in kinds and k not in found]
    return found


def _merge_reasons(known: Sequence[str], new: Sequence[str]) -> str:
    """One `escalation(kind, ...)`, then each kind's words (`legal: solicitor, ombudsman`),
    then the other reasons, each once."""
    kinds: dict[str, None] = {}
    words: dict[str, dict[str, None]] = {}
    others: dict[str, None] = {}
    for reason in [*known, *new]:
        kind, _, terms = reason.partition(": ")
        if reason.startswith("escalation(") and reason.endswith(")"):
            kinds.update(dict.fromkeys(reason[len("escalation("):-1].split(", ")))
        elif terms and kind in {k.value for k in Escalation}:
            words.setdefault(kind, {}).update(dict.fromkeys(terms.split(", ")))
        else:
            others[reason] = None
    head = [f"escalation({', '.join(kinds)})"] if kinds else []
    return "; ".join([*head, *(f"{k}: {', '.join(w)}" for k, w in words.items()), *others])


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
    failing: dict[str, datetime] = {}  # every symptom ("paynow failing", "can't transfer")
    for post in window:
        failing[post.author_id] = post.at
        if post.counts:
            last_by_author[post.author_id] = post.at
    # enough saying it is down, or as many failing (most name what fails) and two saying it
    if not outage_cluster(list(last_by_author.values()), now=now,
                          window=rules.outage_cluster_window, size=rules.outage_cluster_size):
        if len(last_by_author) < 2 or not outage_cluster(
                list(failing.values()), now=now, window=rules.outage_cluster_window,
                size=rules.outage_cluster_size):
            return
        last_by_author = failing
    first = window[0]
    # the pack's outage intent; in a pack with none, what most of its customers named
    named = Counter(state.cases[p.case_id].intent for p in window
                    if state.cases[p.case_id].intent not in (OTHER, QUESTION))
    intent = rules.outage_intent or (named.most_common(1)[0][0] if named else OTHER)
    incident = Case(
        id=state.next_id, author_id=first.author_id,
        platform=state.cases[first.case_id].platform, status=CaseStatus.ESCALATED,
        intent=intent, priority=Priority.URGENT, opened_at=first.at,
        updated_at=now, team=route(intent, mention.text, rules),
        kind=CaseKind.INCIDENT,
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


def _move(state: _Planning, post: OutagePost, source: Case, incident: Case) -> None:
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


# --- escalation, outage clusters: pure rules used by the planner and the service ---


def escalation_reasons(
    analysis: Analysis,
    *,
    followers: int | None,
    high_reach: int,
) -> list[str]:
    """Why a customer's post must go to a senior person at once (legal, safety, reach)."""
    reasons = [r.removeprefix("priority:") for r in analysis.reasons
               if r.startswith("priority:escalation")]
    # and the words that decided each kind: "legal: solicitor, small claims"
    reasons += [r.removeprefix("escalation:").replace("(", ": ", 1).removesuffix(")")
                for r in analysis.reasons if r.startswith("escalation:")]
    if analysis.needs_case and followers is not None and followers >= high_reach:
        reasons.append(f"high-reach author ({followers} followers)")
    return reasons


def case_facts(row: Mapping[str, Any]) -> dict[str, Any]:
    """What triage adds to a case row for people and the API: its escalation kinds (the
    `escalation` list), the reasons behind them, and whether it is answered by hand."""
    by_hand = row.get("platform") in BY_HAND
    return {"escalation": escalation_kinds(row.get("escalation")),
            "escalation_reasons": row.get("escalation"),
            "action": "reply_by_hand" if by_hand else "reply", "reply_by_hand": by_hand}


