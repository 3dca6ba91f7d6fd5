"""Complaint detector: a pure-Python logistic regression over n-grams and customer-care cues."""

from __future__ import annotations

import html
import json
import math
import random
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "complaint_model.json"
FORMAT_VERSION = 1


class Sentiment(Protocol):
    """VADER-style polarity scores (compound in [-1, 1], the others in [0, 1])."""

    compound: float
    pos: float
    neu: float
    neg: float


class VaderScores(NamedTuple):
    """Concrete Sentiment built from a VADER ``polarity_scores`` dict."""

    compound: float
    pos: float
    neu: float
    neg: float

    @classmethod
    def from_dict(cls, scores: dict[str, float]) -> VaderScores:
        """Wrap the dict returned by ``SentimentIntensityAnalyzer.polarity_scores``."""
        return cls(scores["compound"], scores["pos"], scores["neu"], scores["neg"])


# --- normalisation -------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+|\bpic\.twitter\.com/\S+|\b[\w.-]+\.(?:com|ly|co)/\S*")
_HANDLE = re.compile(r"@\w+")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.])\1{2,}")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_TOKEN = re.compile(r"[a-z0-9@'_]+|[!?]")
_CAPS_WORD = re.compile(r"(?<![@\w])[A-Z][A-Z']{2,}\b")


def normalize(text: str) -> str:
    """Lower-case a post and replace handles, URLs, numbers and elongations by stable tokens."""
    text = _URL.sub(" url ", html.unescape(text))
    text = _HANDLE.sub("@user", text).lower().translate(_APOSTROPHES)
    text = _NUMBER.sub("0", text)
    text = _ELONGATED.sub(r"\1\1", text)
    return _REPEATED_PUNCT.sub(r"\1\1", text)


# --- prior-knowledge cues ------------------------------------------------------------------


def _words(*alternatives: str) -> str:
    """Join regex alternatives into one word-bounded group."""
    return r"\b(?:" + "|".join(alternatives) + r")\b"


_LEXICON: dict[str, str] = {
    "product_fault": _words(
        r"broken", r"broke", r"faulty", r"defective", r"damaged", r"cracked", r"ripped", r"torn",
        r"falling apart", r"stopped working", r"not working", r"doesn't work", r"does not work",
        r"don't work", r"won't (?:work|load|open|start|turn on|charge|connect|let me)",
        r"can't (?:access|log ?in|connect|open|use|get|even)", r"unable to", r"crash\w*",
        r"freez\w*", r"glitch\w*", r"bugs?", r"buggy", r"errors?", r"dead", r"died", r"fault",
        r"keeps? (?:crashing|dropping|freezing|failing|restarting|saying)",
    ),
    "service_outage": _words(
        r"down", r"outage", r"offline", r"no (?:signal|service|internet|wifi|network|power|"
        r"connection|coverage|reception|data)", r"gone off", r"power cut", r"disconnect\w*",
        r"dropp(?:ed|ing) calls?", r"slow (?:internet|speed|connection|service)", r"lag\w*",
    ),
    "delivery_problem": _words(
        r"never (?:arrived|received|came|showed up|turned up|got)", r"not (?:arrived|delivered|"
        r"received)", r"hasn't (?:arrived|come|been delivered)", r"haven't (?:received|got)",
        r"missing", r"lost", r"late", r"delay\w*", r"wrong (?:item|order|size|address|one)",
        r"out of stock", r"sold out", r"cancel\w*", r"stranded", r"missed",
    ),
    "billing": _words(
        r"refunds?", r"refunded", r"charged", r"charged twice", r"double charged",
        r"overcharg\w*", r"money back", r"compensation", r"fees?", r"rip ?off", r"scam\w*",
        r"fraud\w*", r"price increase", r"billed",
    ),
    "no_response": _words(
        r"no (?:reply|response|answer|one|update|call ?back|help|email)", r"nobody",
        r"no one", r"not heard", r"haven't heard", r"ignor\w*", r"hung up", r"on hold",
        r"still waiting", r"yet to", r"never (?:answered|replied|called|responded|heard)",
        r"not (?:responding|answering|replying)", r"no way to contact",
    ),
    "negative_emotion": _words(
        r"disappoint\w*", r"frustrat\w*", r"annoy\w*", r"angry", r"furious", r"upset",
        r"unhappy", r"fed up", r"sick of", r"tired of", r"hate", r"shocking", r"appalling",
        r"disgust\w*", r"ridiculous", r"unacceptable", r"pathetic", r"terrible", r"awful",
        r"horrible", r"horrendous", r"worst", r"useless", r"poor\w*", r"rubbish", r"joke",
        r"nightmare", r"incompetent", r"rude", r"shame\w*", r"disgrace\w*", r"complain\w*",
        r"unprofessional", r"mess", r"hassle", r"inconvenien\w*", r"dissatisfied", r"lousy",
    ),
    "profanity": _words(
        r"wtf", r"ffs", r"fuck\w*", r"f\*+k\w*", r"shit\w*", r"crap\w*", r"damn\w*", r"hell",
        r"sucks?", r"bs", r"smh", r"screw\w*", r"garbage", r"trash",
    ),
    "sarcasm": _words(
        r"thanks for nothing", r"great job", r"well done", r"thanks a lot", r"so much for",
        r"#?fail", r"as usual", r"how hard is it", r"seriously", r"really\?", r"of course",
        r"typical", r"another day",
    ),
    "waiting_time": _words(
        r"(?:for|over|since|past|last|almost|nearly|than|now|in) (?:0|a|an|one|two|three|four|"
        r"five|six|few|several|many)? ?(?:mins?|minutes?|hrs?|hours?|days?|weeks?|wks?|"
        r"months?|years?)",
        r"0\+? ?(?:mins?|minutes?|hrs?|hours?|days?|weeks?|months?)(?: now| later| ago| late)?",
        r"since (?:yesterday|last|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"morning|this morning)",
        r"all (?:day|night|week)", r"ages",
    ),
    "why_question": (
        r"(?:^|[.!?] |@user )(?:why|how come)\b|\bwhy (?:is|are|do|does|did|would|can't|won't|"
        r"isn't|aren't|has|have|the|my)\b|\bhow (?:is|are) (?:it|this|that) (?:possible|"
        r"acceptable|ok)|\bwhat the\b"
    ),
    "still_again": _words(
        r"still", r"again", r"yet", r"anymore", r"every time", r"everytime", r"always",
        r"constantly", r"repeatedly", r"multiple times", r"0(?:st|nd|rd|th)? time",
    ),
    "problem": _words(
        r"issues?", r"problems?", r"trouble", r"faults?", r"wrong", r"bad", r"worse",
        r"nasty", r"incorrect", r"incomplete", r"unexpected", r"not (?:good|right|fair|ok|okay)",
    ),
    "remedy_request": _words(
        r"replace\w*", r"exchange", r"return (?:it|them|this)", r"repair\w*", r"fix(?:ed)?",
        r"sort (?:it|this) out", r"money back", r"escalat\w*", r"manager",
    ),
    "negated_praise": (
        r"\b(?:not|never|isn't|wasn't|aren't|no longer|hardly) (?:very |so |too |that |really )?"
        r"(?:happy|impressed|good|great|pleased|satisfied|acceptable|helpful|fair|ok|okay|"
        r"working|amused)\b"
    ),
    "praise": _words(
        r"love", r"loving", r"great", r"awesome", r"amazing", r"excellent", r"helpful",
        r"fantastic", r"brilliant", r"best", r"perfect", r"happy", r"glad", r"kudos", r"props",
        r"wonderful", r"good job", r"well done", r"impressed",
    ),
    "thanks": _words(r"thanks?", r"thank you", r"thx", r"ty", r"cheers", r"appreciate\w*"),
    "request": _words(r"please", r"pls", r"plz", r"kindly", r"help", r"dm", r"assist"),
}
_LEXICON_RE = tuple((f"lex:{name}", re.compile(rx)) for name, rx in _LEXICON.items())
_INFO_QUESTION = re.compile(
    r"(?:^|@user |[.!?] )(?:is|are|can|could|do|does|will|would|when|where|what|which|who|any|"
    r"how (?:do|can|long|much|many|to)|have you|hi|hello|hey)\b"
)
_NEGATION = re.compile(
    _words(
        r"not", r"no", r"never", r"nothing", r"nobody", r"can't", r"cannot", r"won't",
        r"don't", r"doesn't", r"didn't", r"isn't", r"aren't", r"wasn't", r"haven't", r"hasn't",
        r"couldn't", r"wouldn't", r"dont", r"cant", r"wont", r"didnt", r"doesnt", r"isnt",
        r"havent", r"without",
    )
)
_SERVICE = re.compile(
    _words(
        r"service", r"deliver\w*", r"orders?", r"ordered", r"app", r"phone", r"internet", r"wifi",
        r"broadband", r"signal", r"account", r"package", r"parcel", r"flight", r"train", r"bus",
        r"response", r"reply", r"support", r"customer", r"refund", r"item", r"product",
        r"store", r"website", r"site", r"connection", r"email", r"call\w*", r"driver",
    )
)
_START = "<start>"
_END = "<end>"


def features(text: str, sentiment: Sentiment) -> dict[str, float]:
    """Map a post and its VADER scores to named, human-readable feature values."""
    norm = normalize(text)
    feats: dict[str, float] = {}
    prev = _START
    for tok in _TOKEN.findall(norm):
        feats["word:" + tok] = 1.0
        feats["bigram:" + prev + " " + tok] = 1.0
        prev = tok
    feats["bigram:" + prev + " " + _END] = 1.0
    for name, rx in _LEXICON_RE:
        hits = len(rx.findall(norm))
        if hits:
            feats[name] = 1.0 if hits == 1 else 1.5
    if "?" in norm:
        feats["punct:question"] = 1.0
        if _INFO_QUESTION.search(norm):
            feats["lex:info_question"] = 1.0
    if "!" in norm:
        feats["punct:exclamation"] = 1.0 if norm.count("!") < 2 else 1.5
    if _NEGATION.search(norm):
        feats["lex:negation"] = 1.0
        if _SERVICE.search(norm):
            feats["lex:negation_service"] = 1.0
    caps = len(_CAPS_WORD.findall(text))
    if caps:
        feats["style:all_caps"] = 1.0 if caps == 1 else 1.5
    if not norm.lstrip().startswith("@user"):
        feats["style:not_addressed"] = 1.0
    feats["vader:negative"] = 2.0 * sentiment.neg
    feats["vader:positive"] = 2.0 * sentiment.pos
    compound = sentiment.compound
    if compound <= -0.05:
        feats["vader:compound_negative"] = -compound
    elif compound >= 0.05:
        feats["vader:compound_positive"] = compound
    return feats


# --- model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintScore:
    """Probability that a post is a complaint, the decision and the top reasons for it."""

    probability: float
    is_complaint: bool
    reasons: tuple[str, ...]


def _sigmoid(z: float) -> float:
    """Numerically safe logistic function."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)


class ComplaintModel:
    """Sparse logistic-regression complaint classifier."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float = 0.5) -> None:
        """Hold the feature weights, intercept and decision threshold."""
        self.weights = weights
        self.bias = bias
        self.threshold = threshold

    def probability(self, text: str, sentiment: Sentiment) -> float:
        """Return the complaint probability only."""
        get = self.weights.get
        z = self.bias
        for name, value in features(text, sentiment).items():
            w = get(name)
            if w is not None:
                z += w * value
        return _sigmoid(z)

    def predict(self, text: str, sentiment: Sentiment) -> ComplaintScore:
        """Score a post and explain the decision with up to five features."""
        get = self.weights.get
        z = self.bias
        contributions: list[tuple[float, str]] = []
        for name, value in features(text, sentiment).items():
            w = get(name)
            if w is not None:
                c = w * value
                z += c
                contributions.append((c, name))
        p = _sigmoid(z)
        is_complaint = p >= self.threshold
        if is_complaint:
            contributions.sort(reverse=True)
            reasons = tuple(name for c, name in contributions[:5] if c > 0)
        else:
            contributions.sort()
            reasons = tuple(name for c, name in contributions[:5] if c < 0)
        return ComplaintScore(p, is_complaint, reasons)

    def to_json(self) -> str:
        """Serialise the model to a compact JSON document."""
        doc = {
            "format": FORMAT_VERSION,
            "bias": round(self.bias, 6),
            "threshold": self.threshold,
            "weights": dict(sorted(self.weights.items())),
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> ComplaintModel:
        """Rebuild a model from ``to_json`` output."""
        doc = json.loads(data)
        if doc.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported complaint model format: {doc.get('format')!r}")
        weights = {str(k): float(v) for k, v in doc["weights"].items()}
        return cls(weights, float(doc["bias"]), float(doc["threshold"]))

    @classmethod
    def load(cls, path: str | None = None) -> ComplaintModel:
        """Load a model file, or the packaged model (cached) when no path is given."""
        if path is None:
            return _load_default()
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _load_default() -> ComplaintModel:
    """Load the model shipped in ``monitor/data``."""
    return ComplaintModel.from_json(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))


# --- training --------------------------------------------------------------------------------


def _is_prior(name: str) -> bool:
    """Tell hand-written cue features from learned n-grams."""
    return not name.startswith(("word:", "bigram:"))


def train(
    texts: Sequence[str],
    labels: Sequence[int],
    sentiments: Sequence[Sentiment],
    *,
    epochs: int = 20,
    l2: float = 1e-3,
    prior_l2: float = 2.5e-4,
    learning_rate: float = 0.5,
    prune: float = 1e-3,
    seed: int = 0,
) -> ComplaintModel:
    """Fit a class-balanced L2 logistic regression with deterministic SGD."""
    if not (len(texts) == len(labels) == len(sentiments)) or not texts:
        raise ValueError("texts, labels and sentiments must be non-empty and equally long")
    index: dict[str, int] = {}
    rows: list[tuple[list[int], list[float]]] = []
    for text, sentiment in zip(texts, sentiments, strict=True):
        feats = features(text, sentiment)
        idx = [index.setdefault(name, len(index)) for name in feats]
        rows.append((idx, list(feats.values())))
    names = list(index)
    n = len(rows)
    ys = [1.0 if y else 0.0 for y in labels]
    n_pos = sum(ys)
    if n_pos in (0, n):
        raise ValueError("training data needs both classes")
    class_weight = (n / (2.0 * (n - n_pos)), n / (2.0 * n_pos))
    lams = (l2, prior_l2)
    group = [1 if _is_prior(name) else 0 for name in names]
    w = [0.0] * len(names)
    seen = [0.0] * len(names)
    cum = [0.0, 0.0]
    bias = 0.0
    rng = random.Random(seed)
    order = list(range(n))
    step = 0
    exp, log = math.exp, math.log
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            idx, vals = rows[i]
            z = bias
            for j, v in zip(idx, vals, strict=True):
                g = group[j]
                if seen[j] != cum[g]:
                    w[j] *= exp(cum[g] - seen[j])
                z += w[j] * v
            y = ys[i]
            eta = learning_rate / (1.0 + learning_rate * l2 * step)
            step += 1
            err = eta * (_sigmoid(z) - y) * class_weight[int(y)]
            decay = (1.0 - eta * lams[0], 1.0 - eta * lams[1])
            cum[0] += log(decay[0])
            cum[1] += log(decay[1])
            for j, v in zip(idx, vals, strict=True):
                g = group[j]
                w[j] = w[j] * decay[g] - err * v
                seen[j] = cum[g]
            bias -= err
    for j in range(len(w)):
        w[j] *= exp(cum[group[j]] - seen[j])
    weights = {names[j]: round(w[j], 4) for j in range(len(names)) if abs(w[j]) >= prune}
    return ComplaintModel(weights, bias, 0.5)


def _macro_f1(labels: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    """Accuracy, complaint precision/recall/F1 and macro-F1 of binary predictions."""
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted, strict=True) if y and not p)
    tn = len(labels) - tp - fp - fn
    prec1 = tp / (tp + fp) if tp + fp else 0.0
    rec1 = tp / (tp + fn) if tp + fn else 0.0
    prec0 = tn / (tn + fn) if tn + fn else 0.0
    rec0 = tn / (tn + fp) if tn + fp else 0.0
    f1 = 2 * prec1 * rec1 / (prec1 + rec1) if prec1 + rec1 else 0.0
    f0 = 2 * prec0 * rec0 / (prec0 + rec0) if prec0 + rec0 else 0.0
    return {
        "macro_f1": (f1 + f0) / 2,
        "accuracy": (tp + tn) / len(labels),
        "precision": prec1,
        "recall": rec1,
        "f1": f1,
    }


def stratified_folds(labels: Sequence[int], folds: int, seed: int) -> list[list[int]]:
    """Split row indices into stratified folds, deterministically for a seed."""
    rng = random.Random(seed)
    out: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for cls in (0, 1):
        members = [i for i, y in enumerate(labels) if bool(y) == bool(cls)]
        rng.shuffle(members)
        for k, i in enumerate(members):
            out[(k + offset) % folds].append(i)
        offset += len(members)
    return [sorted(f) for f in out]


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[int],
    sentiments: Sequence[Sentiment],
    *,
    folds: int = 10,
    seed: int = 0,
    **train_kwargs: Any,
) -> dict[str, Any]:
    """Stratified k-fold evaluation of ``train``: per-fold and mean/std metrics."""
    per_fold: list[dict[str, float]] = []
    for test_idx in stratified_folds(labels, folds, seed):
        test_set = set(test_idx)
        train_idx = [i for i in range(len(texts)) if i not in test_set]
        model = train(
            [texts[i] for i in train_idx],
            [labels[i] for i in train_idx],
            [sentiments[i] for i in train_idx],
            seed=seed,
            **train_kwargs,
        )
        predicted = [
            int(model.probability(texts[i], sentiments[i]) >= model.threshold) for i in test_idx
        ]
        per_fold.append(_macro_f1([labels[i] for i in test_idx], predicted))
    result: dict[str, Any] = {"folds": folds, "seed": seed, "per_fold": per_fold}
    for key in ("macro_f1", "accuracy", "precision", "recall", "f1"):
        values = [f[key] for f in per_fold]
        result[key] = statistics.fmean(values)
        result[key + "_std"] = statistics.pstdev(values)
    return result
