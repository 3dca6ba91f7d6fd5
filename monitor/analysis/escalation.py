"""Escalation: what is dangerous goes to a person at once, whatever the complaint verdict.

Four kinds, each a list of terms with good defaults (`[escalation.KIND] terms` adds to them,
`exclude` adds false friends, `team` routes its cases):
- safety: risk to people or property from the product, service or premises;
- legal: lawyers, courts, and the industry's regulators and ombudsmen (from the pack);
- security: fraud, unauthorised transactions, account takeover, scams, data leaks;
- vulnerable: bereavement, serious illness, hardship, distress.

Context decides, not a word: each kind has false friends removed before its terms are looked
for ("fire the captain", "this deal is fire", "killing me"); phrasings in context find what
no single word says ("payments I didn't make", "my mum passed in March"); and legal and
vulnerable need the customer's own voice (I, my, we; or the brand addressed): news that a
bank was fined by its regulator is not a customer going to the ombudsman. The vocabulary is
in `escalation_terms`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from monitor.analysis.escalation_terms import CONTEXT, DEFAULT_EXCLUDE, DEFAULT_TERMS
from monitor.analysis.terms import Lexicon
from monitor.models import Escalation

# Kinds that need the customer's own voice: a news story about a lawsuit or a bereavement is
# not a customer in need.
NEEDS_VOICE = frozenset({Escalation.LEGAL, Escalation.VULNERABLE})
_VOICE = re.compile(
    r"(?<![\w@#])(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself|we|we're|we've|us|our|ours|"
    r"you|your|you've|you're|"
    r"mi|mis|yo|me|nuestro|je|j'ai|mon|ma|mes|moi|nous|notre|ich|mein|meine|mich|mir|wir|"
    r"unser|eu|meu|minha|nós|nosso|ja|mój|moja|moje|mnie|mi)(?!\w)",
    re.IGNORECASE)


def customer_voice(text: str, *, addressed: bool) -> bool:
    """Whether the post speaks for its author (first person) or to the brand."""
    return addressed or _VOICE.search(text) is not None


class EscalationRules:
    """Finds the escalation kinds a post carries, and the terms that decided each."""

    def __init__(self, *, extra_terms: Mapping[str, Sequence[str]] | None = None,
                 extra_exclude: Mapping[str, Sequence[str]] | None = None,
                 regulators: Iterable[str] = ()) -> None:
        extra_terms, extra_exclude = extra_terms or {}, extra_exclude or {}
        terms: list[tuple[str, str]] = []
        excludes: list[tuple[str, str]] = []
        for kind in Escalation:
            words = [*DEFAULT_TERMS[kind], *extra_terms.get(kind.value, ())]
            if kind is Escalation.LEGAL:
                words += list(regulators)
            terms += [(t, kind.value) for t in words]
            excludes += [(t, kind.value) for t in
                         (*DEFAULT_EXCLUDE[kind], *extra_exclude.get(kind.value, ()))]
        self.terms = Lexicon([t for t, _ in terms], labels=[k for _, k in terms])
        # each kind's false friends, kept apart so one kind's does not hide another's words
        self.excludes = {kind.value: Lexicon([t for t, k in excludes if k == kind.value])
                         for kind in Escalation}
        self.context = {kind: [re.compile(p, re.IGNORECASE) for p in CONTEXT[kind]]
                        for kind in Escalation}

    def detect(self, text: str, *, addressed: bool) -> list[tuple[Escalation, list[str]]]:
        """The kinds present, each with the words found (false friends left out first)."""
        voice = customer_voice(text, addressed=addressed)
        found: list[tuple[Escalation, list[str]]] = []
        candidates = self.terms.find_labelled(text)
        for kind in Escalation:
            if kind in NEEDS_VOICE and not voice:
                continue
            words: list[str] = []
            excluded: list[tuple[int, int]] | None = None
            if kind.value in candidates:
                words = self.terms.find_labelled(
                    text, skip=self.excludes[kind.value].covered(text)).get(kind.value, [])
            if not words:
                for pattern in self.context[kind]:
                    match = pattern.search(text)
                    if match is None:
                        continue
                    if excluded is None:
                        excluded = self.excludes[kind.value].covered_spans(text)
                    if not any(s < match.end() and match.start() < e for s, e in excluded):
                        words.append(" ".join(match.group().lower().split())[:60])
                        break
            if words:
                found.append((kind, words))
        return found
