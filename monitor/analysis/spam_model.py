"""A second opinion on spam: a small logistic regression over words, beside the signals.

The signals in `spam` (strong phrases, look-alike links, ticker hype, ...) name exactly what
they saw; spammers change their words faster than a list grows ("Send me 'INFO'", "he's an
ex-Wren employee, reach him on Instagram"). This model, trained on the labelled posts in
`tests/data` (two spam sets written apart from the signals, the streams' spam and everything
else as not spam) and on the complaint corpus's tweets as ordinary posts, adds to the spam
score when it is confident, and its reason names the words that weighed most. A customer
reporting or warning about a scam still takes its discount after it.

Pure Python, weights in `monitor/data/spam_model.json`; retrain with
`python -m bench.spam_model train`, compare with `... evaluate`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from monitor.analysis.escalation_model import KindModel, features

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "spam_model.json"
FORMAT_VERSION = 1
THRESHOLD = 0.9


class SpamModel:
    """The probability that a post is spam, and the words that said so."""

    def __init__(self, model: KindModel) -> None:
        self.model = model

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls, path: Path = MODEL_PATH) -> SpamModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: unknown spam model format")
        return cls(KindModel.from_dict(data))

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {"format": FORMAT_VERSION, **self.model.to_dict()}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")

    def confident(self, text: str) -> tuple[float, list[str]] | None:
        """(probability, deciding words) when the model is sure it is spam, else None."""
        feats = features(text)
        p = self.model.probability(feats)
        return (p, self.model.evidence(feats)) if p >= self.model.threshold else None
