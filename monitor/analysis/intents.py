"""The intent scorer: an explainable score of a post against every intent of a pack.

An intent scores one point per distinct term it finds (a phrase of several words 1.5), plus up
to two for its nearest example (IDF-weighted cosine of the words the post and the example
share); the best intent wins when it scores at least one point, and the reasons name the
terms and the example that decided.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.analysis.terms import Lexicon
from monitor.packs import Pack

EXAMPLE_WEIGHT = 2.0
MIN_SIMILARITY = 0.3
MIN_SCORE = 1.0

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# Words too common to say anything about an intent.
_STOP = frozenset("""
a an the and or but if of to in on at by for with from as is are was were be been being am
i me my mine we us our you your yours he she it its they them their this that these those
there here what which who whom whose when where why how not no nor so too very can could
will would shall should may might must do does did done have has had having get got just
still again now then than also only even any some all more most much many one two three
about into over under after before up down out off yet ever never really please thanks
thank hi hello hey im ive id ill dont cant wont didnt doesnt isnt arent wasnt werent
""".split())


def content_words(text: str) -> set[str]:
    """The lower-cased words of a text that can tell one intent from another."""
    return {w for w in _WORD.findall(text.lower().replace("'", "")) if w not in _STOP}


@dataclass(frozen=True, slots=True)
class IntentScore:
    """The scorer's verdict: the best intent (None when nothing scored), and why."""

    intent: str | None
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class _Example:
    intent: str
    number: int
    norm: float
    words: dict[str, float] = field(default_factory=dict)


class IntentScorer:
    """Scores a post against every intent of a pack (terms and nearest examples)."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        pairs = [(t, n) for n, spec in pack.intents.items() for t in spec.terms]
        self._lexicon = Lexicon([t for t, _ in pairs], labels=[n for _, n in pairs])
        docs = [(n, i, content_words(text)) for n, s in pack.intents.items()
                for i, text in enumerate(s.examples, 1)]
        frequency: dict[str, int] = {}
        for _, _, words in docs:
            for word in words:
                frequency[word] = frequency.get(word, 0) + 1
        total = max(1, len(docs))
        self._idf = {w: math.log(1 + total / n) for w, n in frequency.items()}
        self._index: dict[str, list[tuple[_Example, float]]] = {}
        for name, number, words in docs:
            weights = {w: self._idf[w] for w in words}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            example = _Example(name, number, norm, weights)
            for word, weight in weights.items():
                self._index.setdefault(word, []).append((example, weight))

    def score(self, text: str, *, exclude: Iterable[str] = ()) -> IntentScore:
        """The best-scoring intent for `text` (leaving out the intents in `exclude`)."""
        skip = set(exclude)
        points: dict[str, float] = {}
        why: dict[str, list[str]] = {}
        for name, found in self._lexicon.find_labelled(text).items():
            if name in skip:
                continue
            points[name] = sum(1.5 if " " in t else 1.0 for t in found)
            why[name] = [f"term '{t}'" for t in found[:3]]
        words = content_words(text)
        if words:
            dots: dict[int, tuple[_Example, float]] = {}
            query = 0.0
            for word in words:
                weight = self._idf.get(word)
                if weight is None:
                    continue
                query += weight * weight
                for example, w in self._index[word]:
                    seen = dots.get(id(example))
                    dots[id(example)] = (example, (seen[1] if seen else 0.0) + w * weight)
            best: dict[str, tuple[float, int]] = {}
            for example, dot in dots.values():
                if example.intent in skip:
                    continue
                # unknown words dilute the query too: a long post is not "near" on one word
                unknown = len(words) - sum(1 for w in words if w in self._idf)
                cosine = dot / (example.norm * math.sqrt(query + unknown) or 1.0)
                if cosine >= MIN_SIMILARITY and cosine > best.get(example.intent, (0.0, 0))[0]:
                    best[example.intent] = (cosine, example.number)
            for name, (cosine, number) in best.items():
                points[name] = points.get(name, 0.0) + EXAMPLE_WEIGHT * cosine
                why.setdefault(name, []).append(f"example {number} ({cosine:.2f})")
        if not points:
            return IntentScore(None, 0.0)
        order = {n: i for i, n in enumerate(self.pack.intents)}
        name = max(points, key=lambda n: (points[n], -order.get(n, 99)))
        if points[name] < MIN_SCORE:
            return IntentScore(None, points[name], tuple(why.get(name, ())))
        return IntentScore(name, points[name], tuple(why[name]))
