"""The draft composer: a reply built from the facts of a post and its case, in the post's
language, in parts that follow care practice.

A reply is a greeting, then, in order:
- for safety and security, the protect-yourself step before anything else;
- for a customer chasing us, owning the wait ("sorry you've had to chase us three times");
- what we say about their problem (the intent's or escalation kind's `say`, which names the
  issue: "sorry about the double payment of £25");
- the next step: the intent's `ask` ("DM us ..."), or, when they have already messaged us,
  `handled` ("thanks for the DM, the team is on it") — never a second request to DM;
- the brand's sign-off.
Legal gets a short holding reply from the named team, without apology or admission;
vulnerable customers a gentle one and the specialist team; praise thanks and nothing else;
an incident says what we know (ongoing) or that it is fixed and asks if they are still
affected (resolved).

Every part has variants: candidate k takes variant k of each part (from a starting point
chosen by the post, so customers with the same problem read different sentences). The
phrases live in `phrases/<language>.toml`; a language without phrases gets the English reply
and a `needs_translation` flag. Templates are sandboxed Jinja2 and see only facts
(see `facts.py`), never the post's text.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from monitor.analysis.terms import Lexicon
from monitor.models import REPLY_LIMITS
from responders.compose.facts import (
    IssueRule,
    PostFacts,
    by_direct_message,
    count_word,
    post_facts,
)
from responders.reply_length import reply_length

PHRASES_DIR = Path(__file__).parent / "phrases"
LANGUAGES = ("en", "es", "fr", "de", "pt", "pl")
_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                     trim_blocks=True, lstrip_blocks=True)
MAX_CANDIDATES = 3


@lru_cache(maxsize=4096)
def _template(source: str) -> Template:
    """A phrase's compiled template: compiling is ~3 ms, rendering ~20 us, and the phrase
    files hold a few hundred variants, so each is compiled once per process."""
    return _ENV.from_string(source)


def _render(source: str, values: dict[str, Any]) -> str:
    """A phrase with the facts filled in. Text with no template markup is itself; the rest
    renders in a context over `values` as they are (Template.render copies them and chains
    the environment's globals in for every call: 7 us against 2, and a draft renders a dozen
    phrases). Phrases use variables and filters only, not the globals."""
    if "{" not in source:
        return source
    template = _template(source)
    return _ENV.concat(template.root_render_func(template.new_context(values, shared=True)))

# the kind whose reply wins when a post has several: danger first, the holding reply last
_URGENCY = {"safety": 0, "security": 1, "vulnerable": 2, "legal": 3}
# intents about the safety of an account: their replies carry a protect-yourself step
SECURITY_INTENTS = frozenset({"fraud", "account_access", "account", "data_privacy"})
# intents whose own sentences already give the protect-yourself step ("freeze or block your
# card in the app", "never share a code"): the step is not said twice
PROTECTS_ITSELF = frozenset({"fraud", "account_access"})


# replies that never carry the reminder: thanks, a holding reply, a gentle one, and the safety
# and security replies, whose own first step says it
_NO_REMINDER = frozenset({"acknowledge", "legal", "vulnerable", "safety", "security"})
# a reply that asks the customer to write to us privately, and one that already tells them
# never to share a code ("DM us your name and postcode (never your password or any codes)")
_ASKS_FOR_DM = re.compile(
    r"\b(?:dm|direct message|message us|md|mensaje directo|mensagem|mp|message privé|"
    r"direktnachricht|wiadomoś\w*|prywatn\w*)\b", re.IGNORECASE)
_GUARDED = re.compile(
    r"\b(?:never|don't|do not) (?:share|ask|give)|we (?:don't|never|will never) ask|"
    r"nunca compart\w*|ne partagez|teile niemals|nigdy nie udostępniaj|nunca (?:os|te los) ped",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Situation:
    """Where the conversation stands, from the case and the post (see `stage`)."""

    intent: str
    escalation: tuple[str, ...] = ()
    contacts: int = 1  # the customer's posts on this case before we answered (this one too)
    waited: str = ""  # how long since they first posted, in words ("3 days")
    already_dmed: bool = False
    after_our_reply: bool = False
    escalated: bool = False
    incident: str = ""  # "", "ongoing" or "resolved"
    fixed_at: str = ""  # when the incident was fixed ("08:04")
    acknowledge: bool = False  # praise or thanks: a thank-you, nothing else
    put_right: bool = False  # they tell us it is sorted now ("all working again, thanks")
    thanked: bool = False  # the post thanks or praises us
    asked: bool = True  # the post asks us something or for something
    at_risk: bool = False  # money or an account may be at risk: add the protect-yourself step
    returning: bool = False  # the customer has had a case with us before

    @property
    def stage(self) -> str:
        """One word for the stage: first_contact, repeat_contact, already_dmed, escalated or
        after_our_reply (the first that applies, from the most pressing)."""
        if self.escalated or self.escalation:
            return "escalated"
        if self.already_dmed:
            return "already_dmed"
        if self.contacts > 1:
            return "repeat_contact"
        if self.after_our_reply:
            return "after_our_reply"
        return "first_contact"


@dataclass(frozen=True, slots=True)
class Composed:
    """The candidate replies for one draft (the first is the draft's text)."""

    candidates: tuple[str, ...]
    template: str
    language: str
    flags: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Phrases:
    """One language's phrases: per tone, the parts and each intent's and kind's parts."""

    language: str
    tones: Mapping[str, Mapping[str, Any]]
    issues: Mapping[str, tuple[tuple[IssueRule, ...], str]]

    def part(self, tone: str, *path: str) -> list[str]:
        """The variants of one part, in `tone` or else the friendly tone ([] if none)."""
        for name in (tone, "friendly"):
            node: Any = self.tones.get(name, {})
            for key in path:
                node = node.get(key, {}) if isinstance(node, Mapping) else {}
            if isinstance(node, list) and node:
                return [str(v) for v in node]
        return []


@lru_cache(maxsize=16)
def phrases(language: str) -> _Phrases | None:
    """The shipped phrases of a language, or None when there are none."""
    path = PHRASES_DIR / f"{language}.toml"
    if not path.exists():
        return None
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    issues: dict[str, tuple[tuple[IssueRule, ...], str]] = {}
    for intent, spec in data.get("issues", {}).items():
        rules = tuple(IssueRule(Lexicon(rule["terms"]), rule["phrase"])
                      for rule in spec.get("rules", ()))
        issues[intent] = (rules, spec.get("default", ""))
    tones = {k: v for k, v in data.items() if k not in ("issues", "language")}
    return _Phrases(language, tones, issues)


def _variant_start(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big")


def _join(parts: Sequence[str]) -> str:
    """Sentences joined with spaces; after a greeting ending in a comma the next sentence
    goes on in lower case ("Hi Dan, sorry ..."), otherwise each starts with a capital."""
    out = ""
    for raw in parts:
        part = " ".join(raw.split())
        if not part:
            continue
        if not out:
            out = part
            continue
        if out.endswith(","):
            if not part.startswith(("I ", "I'", "¿", "¡")):
                part = part[0].lower() + part[1:]
        else:
            part = part[0].upper() + part[1:]
        out = f"{out} {part}"
    return out


class Composer:
    """Writes the candidate replies for a post, in the brand's voice (see the module
    docstring)."""

    def __init__(self, *, brand: str, tone: str = "friendly", sign_off: str = "",
                 teams: Mapping[str, str] | None = None, code_reminder: bool = False) -> None:
        self.brand = brand
        # a reply that invites a DM ends with the `reminder` part ("we'll never ask for your PIN
        # or codes"), where it fits
        self.code_reminder = code_reminder
        self.tone = tone
        self.sign_off = sign_off.strip()
        # how a team is named in a reply ("our fraud team"), by team key
        self.teams = dict(teams or {})

    def facts_of(self, text: str, intent: str, language: str) -> PostFacts:
        """The post's facts, with the issue phrase in the reply's language."""
        found = phrases(language) or phrases("en")
        rules, default = (found.issues.get(intent) or found.issues.get("other")
                          or ((), "")) if found else ((), "")
        return post_facts(text, rules=rules, default_issue=default)

    def compose(self, situation: Situation, *, text: str, name: str, handle: str,
                platform: str, language: str | None, team: str | None,
                case_id: int, seed: str) -> Composed:
        """The candidates for one reply."""
        lang = (language or "en").split("-")[0].lower()
        flags: list[str] = []
        found = phrases(lang)
        if found is None:
            if lang != "en":
                flags.append(f"needs_translation: written in English, the post is in {lang}")
            lang, found = "en", phrases("en")
        assert found is not None, "the English phrases ship with brandbot"
        facts = self.facts_of(text, situation.intent, lang)
        values: dict[str, Any] = {
            "name": name, "handle": f"@{handle}", "brand": self.brand, "case_id": case_id,
            "mention": f"@{handle} " if platform == "mastodon" else "",
            "team": team or "", "team_name": self.teams.get(team or "", team or ""),
            "issue": facts.issue, "amount": facts.amount, "date": facts.date,
            "reference": facts.reference, "place": facts.place, "product": facts.product,
            "stage": situation.stage, "contacts": situation.contacts,
            "contacts_word": count_word(situation.contacts), "waited": situation.waited,
            "already_dmed": situation.already_dmed or facts.already_dmed,
            "incident": situation.incident, "fixed_at": situation.fixed_at,
            "escalation": list(situation.escalation), "returning": situation.returning,
            "platform": platform,
        }
        dmed = bool(values["already_dmed"])
        # a case or order reference in the post is the detail we would ask for in a DM; a
        # call, an email or a form is contact we pick up from, as a DM is
        given = ("contacted" if dmed and not situation.already_dmed
                 and not by_direct_message(text[:4_000])
                 else "dm" if dmed else "referenced" if facts.reference else "")
        limit = REPLY_LIMITS.get(platform) or 0
        start = _variant_start(seed)
        candidates: list[str] = []
        key = ""
        # the fullest reply that fits: with the reminder, without it, then the compact one
        levels = ((False, True), (False, False), (True, False)) if self.code_reminder else (
            (False, False), (True, False))
        for compact, remind in levels:
            plan, key = self._plan(found, situation, given, compact=compact)
            reminder = (found.part(self.tone, "reminder") if remind and key not in _NO_REMINDER
                        else [])
            for k in range(MAX_CANDIDATES * 3):
                try:
                    sentences = [_render(variants[(start + k) % len(variants)], values).strip()
                                 for variants in plan]
                    said = " ".join(sentences)
                    if reminder and _ASKS_FOR_DM.search(said) and not _GUARDED.search(said):
                        # we asked them to DM us: we never ask for a PIN or codes there
                        sentences.append(reminder[(start + k) % len(reminder)])
                except TemplateError as exc:
                    flags.append(f"template_error: {exc}")
                    break
                reply = _join(sentences)
                if self.sign_off:
                    reply = f"{reply} {self.sign_off}"
                reply = values["mention"] + reply
                fits = not limit or reply_length(reply, platform) <= limit  # X: weighted
                if reply not in candidates and fits:
                    candidates.append(reply)
                if len(candidates) == MAX_CANDIDATES:
                    break
            if candidates:
                break
        if not candidates:  # nothing fits: the full reply, which the voice checks flag
            plan, key = self._plan(found, situation, given, compact=True)
            candidates = [values["mention"] + _join(
                [_render(v[start % len(v)], values) for v in plan])
                + (f" {self.sign_off}" if self.sign_off else "")]
        return Composed(tuple(candidates), key, lang, tuple(flags),
                        {k: values[k] for k in ("issue", "amount", "date", "reference", "place",
                                                "product", "stage", "contacts", "waited",
                                                "already_dmed", "incident", "fixed_at")})

    def _plan(self, found: _Phrases, s: Situation, given: str, *, compact: bool = False
              ) -> tuple[list[list[str]], str]:
        """The parts of the reply, each a list of variants, and the template key. `compact`
        leaves out what can go when a reply is too long for the platform: the intent's own
        sentence when we are owning a wait or confirming a DM, and the thanks for coming
        back."""
        tone = self.tone

        def part(*path: str) -> list[str]:
            return found.part(tone, *path)

        # what they already gave us ("dm", "contacted" or "referenced"): in hand, ask for nothing
        dmed = bool(given)
        handled = (part(given) if given in ("referenced", "contacted") else []) or part("handled")
        greeting = part("greeting") or ["Hi {{ name }},"]
        plan: list[list[str]] = [greeting]
        if s.acknowledge:
            # "all sorted now, thanks": glad it's sorted, thanks for telling us (a praise
            # thank-you would read oddly after a complaint); otherwise the thank-you
            said = (part("sorted") if s.put_right else []) or part("intents", "praise", "say")
            # thanks for stopping a fraud: the reminder that we never ask for codes stays
            risk = part("protect") if (s.intent in SECURITY_INTENTS or s.at_risk) else []
            return [p for p in (*plan, said or part("thanks"), risk) if p], "acknowledge"
        kinds = sorted((k for k in s.escalation if part("escalations", k, "say")),
                       key=lambda k: _URGENCY.get(k, 9))
        kind = kinds[0] if kinds else ""
        if kind in ("safety", "security"):
            # the protect-yourself step before anything else
            plan.append(part("escalations", kind, "say"))
            if s.contacts > 1 and not compact:
                plan.append(part("repeat"))
            plan.append(handled if dmed else part("escalations", kind, "ask"))
            return [p for p in plan if p], kind
        if kind == "legal":
            # a holding reply from the named team: no apology, no admission (and, with money
            # or an account at risk, how to protect it meanwhile)
            risk = part("protect") if (s.intent in SECURITY_INTENTS or s.at_risk) else []
            return [p for p in (*plan, part("escalations", kind, "say"), risk,
                                part("escalations", kind, "ask")) if p], kind
        thanks = part("thanked") or part("intents", "praise", "say")
        risky = s.intent in SECURITY_INTENTS or s.at_risk
        if s.thanked:
            # they thanked us: thank them back and take the next step, with no apology; with
            # nothing asked, the thanks is the reply ("mortgage offer came through, thank you")
            plan.append(thanks)
            if not s.asked and not s.incident and not (dmed or s.contacts > 1):
                plan.append(part("protect") if risky else [])
                return [p for p in plan if p], "acknowledge"
            if kind == "vulnerable":
                if risky:  # (in a reply too long for the platform the step outranks thanks)
                    plan = plan[:1] if compact else plan
                    plan.append(part("protect"))
                plan.append(handled if dmed else part("escalations", kind, "ask"))
                return [p for p in plan if p], kind
            if s.incident or not kind:
                intent = s.intent if part("intents", s.intent, "ask") else "other"
                plan.append(part("protect") if risky else [])
                plan.append(handled if dmed else part("intents", intent, "ask"))
                return [p for p in plan if p], intent
        # money or an account at risk: the protect step stays in a short reply, where the
        # intent's own sentence goes instead
        protect = part("protect") if risky else []
        if kind == "vulnerable":
            plan.append(part("escalations", kind, "say"))
            plan.append(protect)
            plan.append(handled if dmed else part("escalations", kind, "ask"))
            return [p for p in plan if p], kind
        if s.incident:
            # (fixed, to someone who already messaged us: the "DM us if not" becomes "we have
            # your message")
            plan.append((part("incident_resolved_handled")
                         if given in ("dm", "contacted") and s.incident == "resolved"
                         else []) or part(f"incident_{s.incident}"))
            # "can't log in" during an outage: fraudsters follow outages, so the protect step
            # stays; in a reply too long for the platform it is the "DM us if it's still
            # down" that goes
            plan.append(protect)
            if s.incident == "ongoing" and not (compact and protect):
                plan.append(handled if dmed else part("incident_ask"))
            return [p for p in plan if p], f"incident_{s.incident}"
        intent = s.intent if part("intents", s.intent, "say") else "other"
        if s.contacts > 1 and not (compact and protect):
            plan.append(part("repeat"))
        elif s.after_our_reply and not compact and not dmed:  # (what they sent is thanked)
            plan.append(part("after_reply"))
        # a question's own sentence is a thank-you too: with what they sent thanked, one is
        # enough
        if not (compact and (s.contacts > 1 or dmed or (protect and s.at_risk))) and not (
                dmed and intent == "question"):
            plan.append(part("intents", intent, "say"))
        if dmed or (risky and s.intent not in PROTECTS_ITSELF):
            plan.append(protect)
        plan.append(handled if dmed else part("intents", intent, "ask"))
        return [p for p in plan if p], intent
