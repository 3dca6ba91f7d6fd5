"""Small builders for mentions and analyses, so tests state only what matters to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.cases import CaseRules, plan_page
from monitor.models import (
    Action,
    AnalysedMention,
    Analysis,
    Author,
    DraftSpec,
    Escalation,
    Mention,
    Priority,
    Sentiment,
)
from monitor.settings import Settings
from monitor.store import CaseContext, Plan

T0 = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)


def mention(
    native_id: str,
    text: str = "@BrightwaveHelp my internet is down again",
    *,
    author: str = "dana",
    platform: str = "x",
    minutes: float = 0,
    in_reply_to: str | None = None,
    conversation_id: str | None = None,
    followers: int | None = 100,
) -> Mention:
    """A post by `author`, `minutes` after T0."""
    return Mention(
        platform=platform, native_id=native_id,
        author=Author(platform=platform, native_id=author, handle=author, followers=followers),
        text=text, created_at=T0 + timedelta(minutes=minutes), in_reply_to=in_reply_to,
        conversation_id=conversation_id,
    )


def analysis(
    *,
    complaint: bool = True,
    intent: str = "outage",
    priority: Priority = Priority.NORMAL,
    compound: float = -0.5,
    action: Action | None = None,
    escalation: tuple[Escalation, ...] = (),
    impersonation: bool = False,
) -> Analysis:
    """An analysis with the given verdicts; the action, unless given, is triage's for them
    (a complaint or question needs a reply, praise an acknowledgement, the rest monitoring)."""
    if action is None:
        action = (Action.REPLY if complaint or intent == "question" or escalation
                  else Action.ACKNOWLEDGE if intent == "praise" else Action.MONITOR)
    return Analysis(
        sentiment=Sentiment(compound=compound, pos=0.0, neu=0.5, neg=0.5),
        complaint=complaint, complaint_probability=0.9 if complaint else 0.1, intent=intent,
        priority=priority, matched_terms=("brightwave",), addressed=True,
        reasons=("test",), action=action, escalation=escalation, impersonation=impersonation,
    )


def analysed(m: Mention, **kwargs: object) -> AnalysedMention:
    """A mention with an analysis built from kwargs."""
    return AnalysedMention(m, analysis(**kwargs))  # type: ignore[arg-type]


_RULES = CaseRules.from_settings(
    Settings.model_validate({"brand": {"name": "B", "keywords": ["b"]}})
)


def simple_planner(new: list[AnalysedMention], context: CaseContext) -> Plan:
    """The real case planner with default rules and a one-line drafter."""
    return plan_page(new, context, rules=_RULES,
                     drafter=lambda case, m, a: DraftSpec(text=f"Hi {m.author.handle}",
                                                          template="default"))
