"""What the case planner needs from the configuration: teams and routing, SLAs, incident
settings, and which platforms are answered by hand."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from monitor.models import Mention, Priority
from monitor.packs import load_pack
from monitor.settings import Settings

# Platforms with no reply API: their cases are answered by hand, from the post's link.
BY_HAND = frozenset({"hackernews"})
# an @handle in a post's text (X handles: letters, digits and underscores)
_AT_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})")


@dataclass(frozen=True, slots=True)
class TeamRule:
    """Send a case to `team` when its intent is one of `intents` or a term matches."""

    team: str
    intents: frozenset[str]
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
    outage_cluster_window: timedelta = timedelta(minutes=30)
    # an incident that has had no outage post for this long takes no more
    incident_quiet: timedelta = timedelta(hours=2)
    # the pack's intent whose complaints form incidents (None: the industry has none)
    outage_intent: str | None = "outage"
    # the pack's intents that are never an outage's symptom (a fee, a lost bag)
    never_outage: frozenset[str] = frozenset()
    # the team each intent's cases go to by default (the pack's and [intents.NAME] teams)
    intent_teams: Mapping[str, str] = field(default_factory=dict)
    # the team for each escalation kind ([escalation.KIND] team)
    escalation_teams: Mapping[str, str] = field(default_factory=dict)
    # platforms with no reply API: their cases are answered by hand, never drafted
    by_hand: frozenset[str] = BY_HAND
    # platforms whose API lets us reply only to a post that mentions or quotes one of our
    # handles there (X below Enterprise, `reply_rule = "mentions_only"`): platform -> handles
    mentions_only: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # `[triage] acknowledge = "draft"`: praise and thanks get a thank-you draft
    acknowledge_drafts: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> CaseRules:
        """Compile the `[cases]`, `[routing]`, `[sla]`, `[intents]` and `[escalation]`
        sections and the industry pack."""
        pack = load_pack(settings.brand.industry)
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
            outage_intent=pack.outage_intent,
            never_outage=frozenset(pack.never_outage),
            incident_quiet=settings.cases.incident_quiet,
            intent_teams=intent_teams(settings),
            escalation_teams=escalation_teams(settings),
            acknowledge_drafts=settings.triage.acknowledge == "draft",
            mentions_only={"x": frozenset(h.lstrip("@").lower()
                                          for h in settings.brand.handles.get("x", []))}
            if any(s.platform == "x" and getattr(s, "reply_rule", "any") == "mentions_only"
                   for s in settings.sources) else {},
        )

    def reply_by_hand(self, mention: Mention) -> bool:
        """Whether a reply to this post must be written by hand on the platform: X answers
        an app below Enterprise only on posts that mention or quote our account."""
        handles = self.mentions_only.get(mention.platform)
        if handles is None:
            return False
        said = {h.lower() for h in _AT_HANDLE.findall(mention.text)}
        quoted = str(mention.raw.get("quoted_author") or "").lower()
        return not (said & handles or quoted in handles)


def intent_teams(settings: Settings) -> dict[str, str]:
    """The team of each intent that names one, in the industry pack or [intents.NAME]."""
    pack = load_pack(settings.brand.industry)
    return {**{n: s.team for n, s in pack.intents.items() if s.team},
            **{n: c.team for n, c in settings.intents.items() if c.team}}


def escalation_teams(settings: Settings) -> dict[str, str]:
    """The team of each escalation kind that names one ([escalation.KIND] team)."""
    return {k.value: v.team for k, v in settings.escalation.items() if v.team}


def route(intent: str, text: str, rules: CaseRules) -> str:
    """The team for a case: a matching term, then the intent's team in [routing], then the
    pack's team for the intent, else the default. (An escalated case then goes to its kind's
    team: see `_escalate`.)"""
    for rule in rules.teams:
        if rule.terms is not None and rule.terms.search(text):
            return rule.team
    for rule in rules.teams:
        if intent in rule.intents:
            return rule.team
    return rules.intent_teams.get(intent, rules.default_team)
