"""A second opinion on escalation: one small logistic regression per kind, over words.

The term lists and phrasings (`escalation_terms`) decide most escalations and say exactly
which words decided. People also write danger, fraud and distress in words no list has
("the visor edge split my son's forehead open", "the 'investigator' wasn't the bank at
all"); this model, trained on the labelled phrasings and streams in `tests/data` (posts
written for the purpose, in five industries and six languages), catches part of that long
tail. It only adds a kind the rules missed, only when it is confident, and its reasons name
the words that weighed most.

Pure Python, weights in `monitor/data/escalation_model.json` (a few hundred KB); no download.
Retrain:   python -m bench.escalation_model train
Evaluate:  python -m bench.escalation_model evaluate   (leave-one-set-out)
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.models import Escalation

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "escalation_model.json"
FORMAT_VERSION = 1
KINDS = tuple(kind.value for kind in Escalation)

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+", re.UNICODE)
_HANDLE = re.compile(r"(?<!\w)[@#][\w.]+")
_URL = re.compile(r"https?://\S+|\b\w+\.(?:com|co|uk|io|link|gift|click)\S*", re.IGNORECASE)
# Words too common to say anything on their own (kept inside bigrams).
_STOP = frozenset(
    "a an the and or but to of in on at for with is are was were be been it its it's this "
    "that there i me my we our you your he she they them his her their so just i'm i've "
    "i'd i'll we're we've you're you've it's he's she's they're have has had do does did "
    "not no can can't will would could should as by from up out about into over then than "
    "what when where who why how all any some more most very too also now still again get "
    "got going go went one two 0 am pm today yesterday tomorrow week weeks day days month "
    "months year years time hour hours please thanks thank hi hello right left here".split())


@lru_cache(maxsize=8)
def features(text: str) -> tuple[str, ...]:
    """The post's features: words (and their first five letters), and pairs of words.
    Handles, links and numbers are folded so that no brand or figure is learnt. (Cached: the
    escalation and spam models read the same post's features one after the other.)"""
    text = text[:2000].lower().replace("\u2019", "'")
    if "@" in text or "#" in text:
        text = _HANDLE.sub(" handle ", text)
    if "." in text or "http" in text:  # (every link the pattern knows has one or the other)
        text = _URL.sub(" url ", text)
    words = ["0" if w.isdigit() else w for w in _TOKEN.findall(text)]
    out: set[str] = set()
    for w in words:
        if w not in _STOP and len(w) > 1:
            out.add(w)
            if len(w) > 6:
                out.add(w[:5] + "~")
    for a, b in zip(words, words[1:], strict=False):
        if a not in _STOP or b not in _STOP:  # "in the", "i have" say nothing
            out.add(f"{a} {b}")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class KindModel:
    """One kind's weights."""

    bias: float
    weights: dict[str, float]
    threshold: float

    def probability(self, feats: Iterable[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in feats)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KindModel:
        """A model as `to_dict` wrote it."""
        return cls(data["bias"], data["weights"], data["threshold"])

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON data, weights under 0.02 left out."""
        return {"bias": round(self.bias, 4), "threshold": self.threshold,
                "weights": {f: round(w, 4) for f, w in sorted(self.weights.items())
                            if abs(w) >= 0.02}}

    def evidence(self, feats: Iterable[str], n: int = 3) -> list[str]:
        """The features that weighed most for the kind."""
        weighed = sorted(((self.weights.get(f, 0.0), f) for f in feats), reverse=True)
        return [f.rstrip("~") for w, f in weighed[:n] if w > 0]


class EscalationModel:
    """Probabilities of each escalation kind for a post."""

    def __init__(self, kinds: dict[str, KindModel]) -> None:
        self.kinds = kinds
        # every kind's weight of a feature in one look-up
        self._order = tuple(kinds)
        self._weights: dict[str, tuple[float, ...]] = {}
        for i, name in enumerate(self._order):
            for f, w in kinds[name].weights.items():
                row = self._weights.setdefault(f, (0.0,) * len(self._order))
                self._weights[f] = row[:i] + (w,) + row[i + 1:]

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls, path: Path = MODEL_PATH) -> EscalationModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: unknown escalation model format")
        return cls({k: KindModel.from_dict(v) for k, v in data["kinds"].items()})

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {"format": FORMAT_VERSION,
                "kinds": {k: m.to_dict() for k, m in self.kinds.items()}}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")

    def confident(self, text: str) -> list[tuple[Escalation, float, list[str]]]:
        """The kinds the model is confident of, with probability and the deciding words."""
        feats = features(text)
        z = [self.kinds[name].bias for name in self._order]
        get = self._weights.get
        for f in feats:
            row = get(f)
            if row is not None:
                for i, w in enumerate(row):
                    z[i] += w
        out = []
        for name, total in zip(self._order, z, strict=True):
            model = self.kinds[name]
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))
            if p >= model.threshold:
                out.append((Escalation(name), p, model.evidence(feats)))
        return out


# --- training -----------------------------------------------------------------------------

def _fit(rows: Sequence[tuple[Sequence[str], bool]], *, epochs: int = 25, rate: float = 0.3,
         l2: float = 1e-3, seed: int = 7) -> tuple[float, dict[str, float]]:
    """Logistic regression by stochastic gradient descent, positives weighted up to balance."""
    pos = sum(1 for _, y in rows if y)
    weight_pos = max(1.0, (len(rows) - pos) / max(1, pos)) ** 0.5
    counts = Counter(f for feats, _ in rows for f in feats)
    keep = {f for f, c in counts.items() if c >= 2}
    data = [([f for f in feats if f in keep], y) for feats, y in rows]
    bias, w = 0.0, dict.fromkeys(keep, 0.0)
    order = list(range(len(data)))
    rnd = random.Random(seed)
    for epoch in range(epochs):
        rnd.shuffle(order)
        step = rate / (1 + epoch * 0.2)
        for i in order:
            feats, y = data[i]
            z = bias + sum(w[f] for f in feats)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = (p - (1.0 if y else 0.0)) * (weight_pos if y else 1.0)
            bias -= step * g
            for f in feats:
                w[f] -= step * (g + l2 * w[f])
    return bias, {f: v for f, v in w.items() if abs(v) >= 0.01}


def train(rows: Sequence[tuple[str, Sequence[str]]], thresholds: dict[str, float] | None = None
          ) -> EscalationModel:
    """A model from (text, kinds) rows."""
    feats = [features(t) for t, _ in rows]
    kinds = {}
    for kind in KINDS:
        bias, w = _fit([(f, kind in k) for f, (_, k) in zip(feats, rows, strict=True)])
        kinds[kind] = KindModel(bias, w, (thresholds or {}).get(kind, 0.9))
    return EscalationModel(kinds)
