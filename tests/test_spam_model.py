"""The spam model: a second opinion beside the spam signals, sure before it adds, naming its
words, and never outweighing a customer who reports or warns about a scam."""

from __future__ import annotations

from bench.spam_model import labelled_sets, train
from monitor.analysis.spam import spam_signals
from monitor.analysis.spam_model import SpamModel

# a made-up word stands for a spammer's new trick
ROWS = ([(f"zorbix deal number {i} dm me now", True) for i in range(40)]
        + [(f"my card was declined again on day {i}", False) for i in range(120)])


def test_the_model_adds_to_the_score_only_when_sure_and_names_its_words() -> None:
    model = train(ROWS, threshold=0.7)
    score, why = spam_signals("zorbix deal, dm me", model=model)
    assert score >= 2.0 and any(w.startswith("model 0.") and "zorbix" in w for w in why)
    assert spam_signals("my card was declined again", model=model) == (0.0, [])
    assert spam_signals("zorbix deal, dm me")[0] < 2.0  # the signals alone


def test_a_customer_reporting_the_spam_keeps_the_discount() -> None:
    model = train(ROWS, threshold=0.7)
    score, why = spam_signals("I got a text saying zorbix deal dm me, is this you?",
                              model=model)
    assert score < 2.0 and "but reports it" in why


def test_the_shipped_model_is_never_trained_on_the_holdout_stream() -> None:
    sets = labelled_sets()
    assert "stream:banking-holdout" not in sets
    assert {"spam:posts", "spam:posts-2", "stream:banking-dev"} <= set(sets)
    assert 0.5 < SpamModel.load().model.threshold < 1
