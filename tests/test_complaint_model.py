"""Tests for the pure-Python complaint detector and its shipped model."""

from __future__ import annotations

import csv
import time
from collections import namedtuple
from functools import lru_cache
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.complaint_model import (
    ComplaintModel,
    ComplaintScore,
    cross_validate,
    features,
    main,
    normalize,
    train,
)

DATA = Path(__file__).resolve().parents[2] / "shared/eval/complaints-dev.csv"
# Measured with `python -m monitor.complaint_model evaluate --folds 5` (seed 0): 0.791.
CV5_MACRO_F1_FLOOR = 0.77

Vader = namedtuple("Vader", "compound pos neu neg")


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    """One shared VADER analyzer."""
    return SentimentIntensityAnalyzer()


def vader(text: str) -> Vader:
    """VADER scores for a text as a Sentiment-like namedtuple."""
    s = _analyzer().polarity_scores(text)
    return Vader(s["compound"], s["pos"], s["neu"], s["neg"])


@lru_cache(maxsize=1)
def dataset() -> tuple[list[str], list[int], list[Vader]]:
    """The shared development set with VADER scores, read once."""
    if not DATA.exists():
        pytest.skip(f"evaluation data not found at {DATA}")
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    return texts, [int(row["label"]) for row in rows], [vader(t) for t in texts]


COMPLAINTS = [
    "@acme my order never arrived and nobody answers, 3 weeks now",
    "@acme still waiting for my refund, you charged me twice!!",
    "@acme no signal AGAIN since yesterday, worst service ever",
    "@acme why is the app broken again? it keeps crashing",
]
NOT_COMPLAINTS = [
    "@acme love the new app, thanks!",
    "@acme thanks for the quick help, all sorted",
    "@acme do you ship to Canada?",
    "@acme what time does the Leeds store open on Sunday?",
]


def test_normalize_masks_handles_urls_numbers_and_elongations() -> None:
    text = "@AcmeHelp Sooooo BAD!!!! order #12345 see https://t.co/xyz &amp; www.acme.com"
    assert normalize(text).split() == "@user soo bad!! order #0 see url & url".split()


@pytest.mark.parametrize("text", COMPLAINTS)
def test_shipped_model_flags_clear_complaints(text: str) -> None:
    score = ComplaintModel.load().predict(text, vader(text))
    assert isinstance(score, ComplaintScore)
    assert score.is_complaint, score
    assert score.probability >= 0.5
    assert 0 < len(score.reasons) <= 5
    assert all(":" in reason and "<start>" not in reason for reason in score.reasons)


@pytest.mark.parametrize("text", NOT_COMPLAINTS)
def test_shipped_model_passes_praise_and_questions(text: str) -> None:
    score = ComplaintModel.load().predict(text, vader(text))
    assert not score.is_complaint, score
    assert score.probability < 0.5
    assert score.reasons


def test_reasons_name_the_complaint_cues() -> None:
    text = COMPLAINTS[0]
    reasons = ComplaintModel.load().predict(text, vader(text)).reasons
    assert {"lex:delivery_problem", "lex:no_response", "lex:waiting_time"} & set(reasons)


def test_features_are_readable_and_use_the_given_sentiment() -> None:
    feats = features("@acme still waiting for my refund", Vader(-0.6, 0.0, 0.5, 0.5))
    assert feats["word:refund"] == 1.0
    assert feats["bigram:still waiting"] == 1.0
    assert {"lex:no_response", "lex:billing", "lex:still_again"} <= feats.keys()
    assert feats["vader:negative"] == pytest.approx(1.0)
    assert feats["vader:compound_negative"] == pytest.approx(0.6)
    assert not any("acme" in name for name in feats)


def test_default_model_is_cached_small_and_round_trips() -> None:
    model = ComplaintModel.load()
    assert ComplaintModel.load() is model
    path = Path(__file__).resolve().parents[1] / "monitor/data/complaint_model.json"
    assert path.stat().st_size < 300_000
    again = ComplaintModel.from_json(model.to_json())
    assert again.weights == model.weights
    assert (again.bias, again.threshold) == (model.bias, model.threshold)
    assert ComplaintModel.load(str(path)).weights == model.weights


def test_predict_is_fast() -> None:
    model = ComplaintModel.load()
    posts = [(t, vader(t)) for t in COMPLAINTS + NOT_COMPLAINTS]
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        for text, sentiment in posts:
            model.predict(text, sentiment)
    per_call = (time.perf_counter() - start) / (rounds * len(posts))
    assert per_call < 500e-6  # typically ~40 us; the bound only catches gross regressions


def test_cross_validation_reaches_floor() -> None:
    texts, labels, sentiments = dataset()
    result = cross_validate(texts, labels, sentiments, folds=5, seed=0)
    assert len(result["per_fold"]) == 5
    assert result["macro_f1"] >= CV5_MACRO_F1_FLOOR, result
    assert 0 <= result["macro_f1_std"] < 0.1
    assert {"accuracy", "precision", "recall"} <= result.keys()


@lru_cache(maxsize=1)
def full_model() -> ComplaintModel:
    """A model trained on every development row with seed 0."""
    texts, labels, sentiments = dataset()
    return train(texts, labels, sentiments, seed=0)


def test_training_is_deterministic() -> None:
    texts, labels, sentiments = dataset()
    first = full_model()
    second = train(texts, labels, sentiments, seed=0)
    assert first.weights == second.weights
    assert first.bias == second.bias
    assert first.weights != train(texts, labels, sentiments, seed=1).weights


def test_brand_names_from_handles_are_not_learned() -> None:
    weights = full_model().weights
    assert any(name.startswith("word:") for name in weights)
    for brand in ("geico", "comcast", "xbox", "playstation"):
        assert not [name for name in weights if brand in name]


def test_cli_trains_and_evaluates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts, labels, _ = dataset()
    small = tmp_path / "small.csv"
    with small.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tweet_id", "text", "label", "domain"])
        writer.writerows((i, t, y, "x") for i, (t, y) in enumerate(zip(texts[:200], labels)))
    out = tmp_path / "model.json"
    assert main(["train", "--data", str(small), "--out", str(out)]) == 0
    assert ComplaintModel.load(str(out)).weights
    assert main(["evaluate", "--data", str(small), "--folds", "3"]) == 0
    assert "macro_f1" in capsys.readouterr().out


def test_the_known_failure_modes_on_tweets_written_to_measure_them() -> None:
    # 500 tweets written apart from the model (never trained on): information questions,
    # negated praise, agents' replies, complaints as questions, sarcastic thanks, polite
    # chasers. The corpus-only model scored 0.679 here; with 600 of our labelled posts, 0.768.
    import csv
    from pathlib import Path

    from monitor.complaint_model import ComplaintModel, _metrics, vader_sentiments

    path = Path(__file__).resolve().parent / "data" / "complaints" / "tweets.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    texts, labels = [r["text"] for r in rows], [int(r["label"]) for r in rows]
    model = ComplaintModel.load()
    got = [int(model.probability(t, s) >= model.threshold)
           for t, s in zip(texts, vader_sentiments(texts), strict=True)]
    assert _metrics(labels, got)["macro_f1"] >= 0.74
