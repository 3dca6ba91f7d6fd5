"""The escalation model: a second opinion that adds only what the term lists miss, only when
confident, says which words weighed, and keeps the lists' rule on the customer's voice."""

from __future__ import annotations

from bench.escalation_model import labelled_sets
from monitor.analysis import Analyzer, BrandTerms
from monitor.analysis.escalation import EscalationRules
from monitor.analysis.escalation_model import KINDS, EscalationModel, features, train
from monitor.models import Escalation
from monitor.packs import load_pack

# a made-up word stands for whatever the lists do not know
ROWS = ([(f"my zorbulous card {i} went wrong at the shop", ["security"]) for i in range(30)]
        + [(f"my grumbly mood {i} about life", ["vulnerable"]) for i in range(30)]
        + [(f"the app was slow again on day {i}", []) for i in range(120)])
SURE = dict.fromkeys(KINDS, 0.7)


def test_features_fold_handles_links_and_figures() -> None:
    got = features("@KestrelBank paid £4,300 to https://evil.example/x, #help overheating")
    assert "handle" in got and "url" in got and "paid 0" in got
    assert not any("kestrel" in f or "evil" in f or "4" in f for f in got)
    assert "overheating" in got and "overh~" in got  # a word and its first letters


def test_the_model_adds_a_kind_the_lists_miss_and_names_the_words() -> None:
    rules = EscalationRules(model=train(ROWS, SURE))
    found = dict(rules.detect("someone zorbulous has my card now", voice=True))
    assert Escalation.SECURITY in found
    assert found[Escalation.SECURITY][0].startswith("model 0.")
    assert "zorbulous" in found[Escalation.SECURITY][0]
    assert rules.detect("the app was slow again today", voice=True) == []
    # the lists alone
    assert EscalationRules(model=False).detect("someone zorbulous has my card", voice=True) == []


def test_the_model_keeps_the_rule_on_the_customers_voice() -> None:
    rules = EscalationRules(model=train(ROWS, SURE))
    text = "a grumbly mood about life"
    assert rules.detect(text, voice=False) == []  # news, commentary: not a customer in need
    assert [k for k, _ in rules.detect(text, voice=True)] == [Escalation.VULNERABLE]


def test_the_lists_decide_first_and_the_shipped_model_only_adds() -> None:
    bank = Analyzer(BrandTerms(name="Kestrel Bank", keywords=("kestrel bank",),
                               handles=("KestrelBankHelp",)), pack=load_pack("banking"))
    a = bank.analyze("@KestrelBankHelp there are 3 payments on my card I didn't make")
    assert a.escalation == (Escalation.SECURITY,)
    assert not any("model" in r for r in a.reasons)  # the phrasing decided, and says so


def test_the_shipped_model_is_never_trained_on_the_holdout_stream() -> None:
    sets = labelled_sets()
    assert "stream:banking-holdout" not in sets
    assert {"phrasings", "phrasings-2", "phrasings-3", "stream:banking-dev"} <= set(sets)
    model = EscalationModel.load()
    assert set(model.kinds) == {k.value for k in Escalation}
    assert all(0.5 < m.threshold < 1 for m in model.kinds.values())
