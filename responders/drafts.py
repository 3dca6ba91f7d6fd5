"""Turns a case and the post that needs an answer into a reply draft in the brand's voice."""

from __future__ import annotations

from monitor.models import PRAISE, Action, Analysis, Case, DraftSpec, Mention
from monitor.settings import Settings
from responders.voice import Voice


def voice_from_settings(settings: Settings) -> Voice:
    """The brand voice described by the `[voice]` section."""
    return Voice(
        brand=settings.brand.name,
        tone=settings.voice.tone,
        sign_off=settings.voice.sign_off,
        banned_phrases=tuple(settings.voice.banned_phrases),
        templates={str(k): v for k, v in settings.voice.templates.items()},
    )


class Drafter:
    """Writes a case's replies and follow-ups; a draft that breaks a voice rule is flagged, not
    cut."""

    def __init__(self, voice: Voice) -> None:
        self.voice = voice

    def __call__(self, case: Case, mention: Mention, analysis: Analysis) -> DraftSpec:
        if analysis.action is Action.ACKNOWLEDGE:
            # a thank-you, whatever the case it lands on is about
            key = self.voice.template_for(PRAISE, ("acknowledge",))
        else:
            key = self.voice.template_for(case.intent,
                                          tuple(k.value for k in analysis.escalation))
        rendered = self.voice.render(
            key, author=mention.author, platform=mention.platform, case_id=case.id,
            team=case.team,
        )
        return DraftSpec(text=rendered.text, template=rendered.template, flags=rendered.flags)

    def follow_up(self, case: Case, mention: Mention) -> DraftSpec:
        """The check-in after a case was resolved (template `follow_up`: it asks for a 1-5
        rating, which the planner reads back as the case's CSAT)."""
        rendered = self.voice.render(
            "follow_up", author=mention.author, platform=mention.platform, case_id=case.id,
            team=case.team,
        )
        return DraftSpec(text=rendered.text, template=rendered.template, flags=rendered.flags)
