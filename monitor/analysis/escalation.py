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

from monitor.analysis.escalation_model import EscalationModel
from monitor.analysis.escalation_terms import (
    CONTEXT,
    DEFAULT_EXCLUDE,
    DEFAULT_TERMS,
    LEGAL_BODIES,
    TRIGGERS,
    Triggers,
)
from monitor.analysis.escalation_told import TOLD, TOLD_CONTEXT, TOLD_EXCLUDE
from monitor.analysis.terms import Lexicon, token_set
from monitor.models import Escalation

# Kinds that need the customer's own voice: a news story about a lawsuit or a bereavement is
# not a customer in need.
NEEDS_VOICE = frozenset({Escalation.LEGAL, Escalation.VULNERABLE})
# Kinds whose phrasings in context are written in the customer's own voice already.
SELF_VOICED = frozenset({Escalation.LEGAL})
_BODY = "legal body"  # the label of a regulator's or ombudsman's name among the terms
# (in capitals, "US" is the country: "faces US class action")
_VOICE = re.compile(
    r"(?<![\w@#])(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself|we|we're|we've|(?-i:[Uu]s)|our|ours|"
    r"you|your|you've|you're|"
    r"mi|mis|yo|me|nuestro|je|j'ai|mon|ma|mes|moi|nous|notre|ich|mein|meine|mich|mir|wir|"
    r"unser|eu|meu|minha|nós|nosso|ja|mój|moja|moje|mnie|mi)(?!\w)",
    re.IGNORECASE)


def _groups(triggers: Triggers) -> tuple[frozenset[str], ...]:
    """Trigger words as groups, each of which must be present (see `TRIGGERS`)."""
    if triggers and isinstance(triggers[0], tuple):
        return tuple(frozenset(g) for g in triggers)
    return (frozenset(triggers),)  # type: ignore[arg-type]


def customer_voice(text: str, *, addressed: bool) -> bool:
    """Whether the post speaks for its author (first person) or to the brand."""
    return addressed or _VOICE.search(text) is not None


class EscalationRules:
    """Finds the escalation kinds a post carries, and the terms that decided each."""

    def __init__(self, *, extra_terms: Mapping[str, Sequence[str]] | None = None,
                 extra_exclude: Mapping[str, Sequence[str]] | None = None,
                 regulators: Iterable[str] = (),
                 model: EscalationModel | None | bool = True) -> None:
        """`model`: the second opinion for what the lists miss (True: the shipped one;
        False or None: the lists alone)."""
        self.model = EscalationModel.load() if model is True else (model or None)
        extra_terms, extra_exclude = extra_terms or {}, extra_exclude or {}
        terms: list[tuple[str, str]] = []
        excludes: list[tuple[str, str]] = []
        for kind in Escalation:
            words = [*DEFAULT_TERMS[kind], *TOLD.get(kind, ()), *extra_terms.get(kind.value, ())]
            terms += [(t, kind.value) for t in words]
            if kind is Escalation.LEGAL:  # bodies need the customer's voice (see LEGAL_BODIES)
                terms += [(t, _BODY) for t in (*LEGAL_BODIES, *regulators)]
            excludes += [(t, kind.value) for t in
                         (*DEFAULT_EXCLUDE[kind], *TOLD_EXCLUDE.get(kind, ()),
                          *extra_exclude.get(kind.value, ()))]
        self.terms = Lexicon([t for t, _ in terms], labels=[k for _, k in terms])
        # each kind's false friends, kept apart so one kind's does not hide another's words
        self.excludes = {kind.value: Lexicon([t for t, k in excludes if k == kind.value])
                         for kind in Escalation}
        if any(len(CONTEXT[k]) != len(TRIGGERS[k]) for k in Escalation):
            raise ValueError("each phrasing in context needs its trigger words")
        # each phrasing with the words that let it be tried, and one scan per kind for all
        # of those words
        self.context = {kind: [(_groups(triggers), re.compile(p, re.IGNORECASE))
                               for triggers, p in [
                                   *zip(TRIGGERS[kind], CONTEXT[kind], strict=True),
                                   *TOLD_CONTEXT.get(kind, ())]]
                        for kind in Escalation}
        # Trigger words: letters only are found as the start of a token (by the token's first
        # letters, from the split the term lists already made); the rest (phrases, "n't")
        # by substring.
        every = {w for kind in Escalation for groups, _ in self.context[kind]
                 for g in groups for w in g}
        # each kind's phrasings by the words of their first group: only those whose first
        # group is present are looked at (of a hundred or so, a post wakes a few)
        self.woken: dict[Escalation, dict[str, list[int]]] = {}
        for kind in Escalation:
            index: dict[str, list[int]] = {}
            for number, (groups, _) in enumerate(self.context[kind]):
                for w in groups[0] if groups else ():
                    index.setdefault(w, []).append(number)
            self.woken[kind] = index
        self.by_head: dict[str, list[str]] = {}
        for word in sorted(w for w in every if w.isalpha()):
            self.by_head.setdefault(word[:3], []).append(word)
        self.phrases = tuple(sorted(w for w in every if not w.isalpha()))

    def detect(self, text: str, *, voice: bool, legal_voice: bool | None = None,
               vulnerable_voice: bool | None = None) -> list[tuple[Escalation, list[str]]]:
        """The kinds present, each with the words found (false friends left out first).
        `voice`: whether the post speaks for its author (see `customer_voice`);
        `legal_voice` (default `voice`): whether its legal words may be the author's own step
        (a terse "County court claim form is filled in. Last chance." has no pronoun, but is
        no news report either); `vulnerable_voice` the same for distress ("honestly can't
        cope anymore")."""
        found: list[tuple[Escalation, list[str]]] = []
        spans = self.terms.spans(text)  # one scan for every kind's terms
        present: frozenset[str] | None = None
        said = {Escalation.LEGAL: voice if legal_voice is None else legal_voice,
                Escalation.VULNERABLE: voice if vulnerable_voice is None else vulnerable_voice}
        for kind in Escalation:
            spoken = said.get(kind, voice)
            # a phrasing that says the customer's own step ("complaint lodged with the ASA")
            # carries its voice; a bare term ("the FCA fined them") does not
            if kind in NEEDS_VOICE and not spoken and kind not in SELF_VOICED:
                continue
            words: list[str] = []
            mine = ([s for s in spans if s[0] == kind.value
                     or (s[0] == _BODY and voice and kind is Escalation.LEGAL)]
                    if spoken or kind not in NEEDS_VOICE else [])
            if mine:
                skip = self.excludes[kind.value].covered(text)
                words = list(dict.fromkeys(
                    w for _, w, first, last in mine
                    if not any(k in skip for k in range(first, last + 1))))
            if not words and self.context[kind]:
                if present is None:  # one pass for every phrasing's trigger words
                    present = self._present(text)
                words = self._in_context(kind, text, present)
            if words:
                found.append((kind, words))
        if self.model is not None:
            # what the lists missed, when the model is confident (voice rules as above)
            have = {kind for kind, _ in found}
            for kind, p, words in self.model.confident(text):
                if kind not in have and (said.get(kind, voice) or kind not in NEEDS_VOICE):
                    found.append((kind, [f"model {p:.2f}: {', '.join(words)}"]))
        return found

    def _present(self, text: str) -> frozenset[str]:
        """The trigger words in the text."""
        found = set()
        by_head = self.by_head
        for token in token_set(text):
            for word in by_head.get(token[:3], ()) if len(token) >= 3 else by_head.get(
                    token, ()):
                if token.startswith(word):
                    found.add(word)
        lower = text.lower().replace("\u2019", "'")
        found.update(w for w in self.phrases if w in lower)
        return frozenset(found)

    def _in_context(self, kind: Escalation, text: str, present: frozenset[str]) -> list[str]:
        """The first phrasing in context of this kind in the text, outside its false friends."""
        excluded: list[tuple[int, int]] | None = None
        index = self.woken[kind]
        woken = sorted({n for w in present for n in index.get(w, ())})
        phrasings = self.context[kind]
        for groups, pattern in (phrasings[n] for n in woken):
            if any(group.isdisjoint(present) for group in groups):
                continue
            match = pattern.search(text)
            if match is None:
                continue
            if excluded is None:
                excluded = self.excludes[kind.value].covered_spans(text)
            if not any(s < match.end() and match.start() < e for s, e in excluded):
                return [" ".join(match.group().lower().split())[:60]]
        return []
