"""The brand's voice: sandboxed reply templates, tone, sign-off, banned phrases, length limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor import sandbox
from monitor.models import REPLY_LIMITS, Author
from responders.reply_length import reply_length

# Default replies per tone and intent (or escalation kind, which wins over the intent).
# Variables: name, handle, mention, brand, case_id, team.
# The customer's post text is never a template variable: it is data, not something to echo.
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "friendly": {
        "billing": "{{ mention }}Hi {{ name }}, sorry about the trouble with your bill. "
        "DM us your account number and we'll check the charges and put right anything that's "
        "wrong.",
        "outage": "{{ mention }}Hi {{ name }}, sorry you're without service. We're "
        "checking the network in your area now. DM us your postcode and we'll keep you posted.",
        "delivery": "{{ mention }}Hi {{ name }}, sorry your order hasn't reached you. DM "
        "us your order number and we'll chase it with the courier today.",
        "bug": "{{ mention }}Hi {{ name }}, sorry it's misbehaving. DM us which device "
        "you're on and what you see, and we'll help you get it working.",
        "account": "{{ mention }}Hi {{ name }}, sorry you're having trouble with your "
        "account. DM us (never share your password) and we'll get you back in.",
        "cancellation": "{{ mention }}Hi {{ name }}, sorry to hear you want to leave. DM "
        "us and we'll sort it out quickly, with no runaround.",
        "question": "{{ mention }}Hi {{ name }}, thanks for asking! DM us the details "
        "and we'll get you an answer.",
        "praise": "{{ mention }}Thanks so much, {{ name }}! We'll pass that on to the "
        "team.",
        "acknowledge": "{{ mention }}Thanks so much, {{ name }}! That's lovely to hear, and "
        "we'll pass it on to the team.",
        "default": "{{ mention }}Hi {{ name }}, sorry to hear this. DM us the details and "
        "we'll look into it straight away.",
        "follow_up": "{{ mention }}Hi {{ name }}, checking in: is everything working now? If "
        "you have a moment, reply with a rating from 1 (poor) to 5 (great).",
        "safety": "{{ mention }}Hi {{ name }}, please stop using it and keep clear; if anyone "
        "is in danger, call the emergency services now. We're treating this as urgent: DM us "
        "where you are and our team will contact you straight away.",
        "legal": "{{ mention }}Hi {{ name }}, thank you for letting us know. We've passed this "
        "to our {{ team or 'customer relations' }} team, who will reply to you directly.",
        "security": "{{ mention }}Hi {{ name }}, to protect yourself now: freeze or block any "
        "card in the app, change your password, and never share codes, PINs or passwords: we "
        "will never ask for them. DM us (no card details) and our team will act urgently.",
        "vulnerable": "{{ mention }}Hi {{ name }}, we're so sorry. DM us whenever you're "
        "ready and a member of our specialist team will look after this for you personally.",
    },
    "formal": {
        "billing": "{{ mention }}Hello {{ name }}, we apologise for the problem with your "
        "bill. Please send us a direct message with your account number and we will review "
        "the charges.",
        "outage": "{{ mention }}Hello {{ name }}, we apologise for the loss of service. "
        "We are investigating; please send us your postcode by direct message for updates.",
        "delivery": "{{ mention }}Hello {{ name }}, we apologise for the delay to your "
        "order. Please send us your order number by direct message and we will investigate.",
        "acknowledge": "{{ mention }}Thank you, {{ name }}. We are glad to hear it and will "
        "pass your kind words on to the team.",
        "default": "{{ mention }}Hello {{ name }}, we are sorry to hear this. Please send us "
        "the details by direct message and we will look into it.",
        "follow_up": "{{ mention }}Hello {{ name }}, we are following up on your case: is "
        "everything working now? You may reply with a rating from 1 (poor) to 5 (excellent).",
    },
}

_ENV = sandbox.ENVIRONMENT


@dataclass(frozen=True, slots=True)
class Rendered:
    """A reply rendered from a template, with the voice rules it breaks."""

    text: str
    template: str
    flags: tuple[str, ...]


class Voice:
    """Renders replies in the brand's voice and checks text against its rules."""

    def __init__(
        self,
        *,
        brand: str,
        tone: str = "friendly",
        sign_off: str = "",
        banned_phrases: tuple[str, ...] = (),
        templates: Mapping[str, str] | None = None,
        code_reminder: bool = False,
    ) -> None:
        self.brand = brand
        # replies inviting a DM end with "we'll never ask for your PIN or codes"
        self.code_reminder = code_reminder
        self.tone = tone
        self.sign_off = sign_off.strip()
        # the keys the brand wrote itself ([voice.templates]): they win over the composer
        self.own_templates = frozenset(str(k) for k in (templates or {}))
        self.banned_phrases = banned_phrases
        self._banned = [
            (phrase, re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE))
            for phrase in banned_phrases
        ]
        sources = {**DEFAULT_TEMPLATES["friendly"], **DEFAULT_TEMPLATES.get(tone, {}),
                   **(templates or {})}
        self._templates = {str(key): _ENV.from_string(src) for key, src in sources.items()}

    def template_for(self, intent: str, escalation: tuple[str, ...] = ()) -> str:
        """The template key used for an intent: its escalation kind's first, if any (or any
        other keys to try before the intent's)."""
        for key in (*escalation, intent):
            if str(key) in self._templates:
                return str(key)
        return "default"

    def render(self, key: str, *, author: Author, platform: str, case_id: int,
               team: str | None, facts: Mapping[str, Any] | None = None) -> Rendered:
        """Render one template for one customer and check the result. `facts` (see
        `responders/compose/facts.py`) are variables too."""
        name = first_name(author)
        mention = f"@{author.handle} " if platform == "mastodon" else ""
        try:
            body = sandbox.render(
                self._templates[key], **{k: v for k, v in (facts or {}).items()},
                name=name, handle=f"@{author.handle}", mention=mention, brand=self.brand,
                case_id=case_id, team=team or "",
            ).strip()
        except Exception as exc:  # noqa: BLE001 - a broken template flags its draft, never stops a page
            return Rendered(text="", template=key,
                            flags=(f"template_error: {type(exc).__name__}: {str(exc)[:200]}",))
        text = f"{body} {self.sign_off}" if self.sign_off else body
        return Rendered(text=text, template=key, flags=self.check(text, platform))

    def check(self, text: str, platform: str) -> tuple[str, ...]:
        """Every voice rule the text breaks on that platform (empty when it is fine)."""
        flags = []
        if not text.strip():
            flags.append("empty: a reply needs some text")
        limit = REPLY_LIMITS.get(platform)
        length = reply_length(text, platform)  # on X: CJK and emoji count 2, a link 23
        if limit and length > limit:
            flags.append(f"too_long: {length} characters, {platform} allows {limit}")
        for phrase, pattern in self._banned:
            if pattern.search(text):
                flags.append(f"banned_phrase: {phrase!r}")
        return tuple(flags)


_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "dame", "rev",
                     "lady", "lord", "capt", "sr", "sra", "srta", "mme", "mlle", "herr", "frau",
                     "pan", "pani"})


def first_name(author: Author) -> str:
    """A friendly name: the first word of the display name if it looks like a name."""
    if author.display_name:
        words = [w for w in author.display_name.strip().split()
                 if w.rstrip(".").lower() not in _TITLES]
        first = words[0] if words else ""
        if first.isalpha() and len(first) <= 20:
            return first
    return author.handle.split("@")[0]
