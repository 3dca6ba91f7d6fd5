"""Analysis: sentiment labels, intents, priority, matched terms, and `brandbot analyze`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.analysis import Analyzer, BrandTerms
from monitor.analysis.analyzer import score_priority
from monitor.models import Priority, Sentiment
from tests.helpers import brandbot

TERMS = BrandTerms(
    name="Brightwave", keywords=("brightwave", "bright wave"), hashtags=("brightwavedown",),
    handles=("BrightwaveHelp", "Brightwave"), exclude=("brightwave festival",),
    competitors=(("Tidalnet", ("tidalnet", "@tidalnet")),),
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(TERMS)


@pytest.mark.parametrize(("text", "intent"), [
    ("@BrightwaveHelp you charged me twice this month, I want a refund", "billing"),
    ("@BrightwaveHelp no internet since 6am, whole street is down #brightwavedown",
     "outage"),
    ("@BrightwaveHelp my router order never arrived, courier says delivered", "equipment"),
    ("The Brightwave app crashes every time I open it after the update", "bug"),
    ("Locked out of my Brightwave account, password reset link never comes", "account"),
    ("Trying to cancel my Brightwave contract for 3 weeks, they keep stalling",
     "cancellation"),
    ("Does Brightwave support eSIM on the Pixel 9?", "question"),
    ("Huge thanks to the Brightwave engineer who came out today, brilliant service!",
     "praise"),
])
def test_intents(analyzer: Analyzer, text: str, intent: str) -> None:
    assert analyzer.analyze(text).intent == intent


def test_complaints_are_told_from_praise_with_reasons(analyzer: Analyzer) -> None:
    angry = analyzer.analyze("@BrightwaveHelp internet down AGAIN, third time this week, "
                             "nobody answers the phone. Useless.")
    happy = analyzer.analyze("Brightwave fibre install went perfectly, thanks team!")
    assert angry.complaint and not happy.complaint
    assert angry.sentiment.label == "negative" and happy.sentiment.label == "positive"
    assert any(r.startswith("complaint:") for r in angry.reasons)
    assert angry.addressed and not happy.addressed
    assert angry.priority.rank < Priority.NORMAL.rank


def test_matched_terms_and_exclusions(analyzer: Analyzer) -> None:
    a = analyzer.analyze("Switched from Tidalnet to bright wave, #BrightwaveDown already?")
    assert a.matched_terms == ("competitor:Tidalnet", "bright wave", "#brightwavedown")
    assert analyzer.matcher.excluded("Who's going to Brightwave Festival this year?")
    assert not analyzer.matcher.excluded("Brightwave broadband festive offer")


def test_sentiment_label_thresholds(analyzer: Analyzer) -> None:
    labels = [Sentiment(c, 0, 1, 0).label for c in (0.05, 0.0499, -0.0499, -0.05)]
    assert labels == ["positive", "neutral", "neutral", "negative"]
    assert analyzer.sentiment("the router arrived on Tuesday").label == "neutral"
    assert analyzer.sentiment("great").label == "positive"
    assert analyzer.sentiment("awful").label == "negative"


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, Priority.NORMAL),
    ({"complaint": False}, Priority.LOW),
    ({"addressed": True, "compound": -0.8}, Priority.HIGH),
    ({"addressed": True, "compound": -0.8, "repeat_contacts": 3}, Priority.URGENT),
    ({"followers": 250_000, "addressed": True}, Priority.URGENT),
    ({"escalations": ("solicitor",)}, Priority.URGENT),
    ({"complaint": False, "question": True}, Priority.NORMAL),
])
def test_priority(kwargs: dict[str, object], expected: Priority) -> None:
    args: dict[str, object] = {"complaint": True, "question": False, "compound": -0.2,
                               "shouting": False, "addressed": False, "followers": 50,
                               "repeat_contacts": 0, "escalations": ()}
    args.update(kwargs)
    priority, _ = score_priority(**args)  # type: ignore[arg-type]
    assert priority is expected


def test_analyze_command_writes_one_json_line_per_post_in_order() -> None:
    posts = ["@BrightwaveHelp charged twice, want my money back",
             "love my new Brightwave router",
             "<script>alert(1)</script> brightwave \u202e",
             ""]
    result = brandbot("analyze", stdin="\n".join(posts) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == posts
    for row in rows:
        assert {"compound", "label", "complaint", "intent", "priority", "reasons"} <= set(row)
    assert rows[0]["complaint"] is True and rows[0]["intent"] == "billing"
    assert rows[1]["complaint"] is False and rows[1]["label"] == "positive"


def test_bytes_that_are_not_utf8_cost_a_character_from_a_file_or_stdin(tmp_path: Path) -> None:
    raw = b"@BrightwaveHelp my bill \xff\xfe is wrong\nlove my brightwave router\n"
    source = tmp_path / "posts.txt"
    source.write_bytes(raw)
    from_file = brandbot("analyze", "--file", str(source))
    assert from_file.returncode == 0, from_file.stderr
    rows = [json.loads(line) for line in from_file.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["@BrightwaveHelp my bill \ufffd\ufffd is wrong",
                                         "love my brightwave router"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    done = subprocess.run([sys.executable, "-m", "monitor.cli", "analyze"], input=raw,
                          capture_output=True, check=False, timeout=120, env=env,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0 and done.stdout.decode() == from_file.stdout


def test_a_large_input_is_analysed_by_every_core_in_order(tmp_path: Path) -> None:
    from monitor.analysis import make_analyzer
    from monitor.commands.analyze import BATCH, line_of

    texts = [f"@Brightwave post {i}: my broadband is down again, £{i} refund please"
             if i % 3 else f"love the new brightwave app, number {i}" for i in range(BATCH * 2 + 7)]
    source = tmp_path / "posts.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    result = brandbot("analyze", "--file", str(source))
    assert result.returncode == 0, result.stderr
    analyzer = make_analyzer(None)
    assert result.stdout.splitlines(keepends=True) == [line_of(analyzer, t) for t in texts]


def test_a_huge_post_is_analysed_on_a_bounded_prefix_and_stored_whole(
        analyzer: Analyzer, tmp_path: Path) -> None:
    # VADER's negation scan and a URL pattern were quadratic: a 40 KB post took 40 s and held
    # up every source. Analysis reads the first ANALYSED_CHARS characters (the bound that
    # keeps it fast: what lies past them is not read), and the store keeps every character.
    from monitor.analysis.analyzer import ANALYSED_CHARS
    from monitor.store import Store
    from tests.factories import T0, mention, simple_planner

    head = "@BrightwaveHelp my router keeps dropping, not working, never fixed. "
    text = head + "not [" * 20_000 + " my lawyer will sue you"
    assert len(text) > 100_000
    a = analyzer.analyze(text)
    assert a.complaint and a.action.value == "reply"
    assert not a.escalation  # "lawyer" lies past the bound
    assert analyzer.analyze(text[:ANALYSED_CHARS]) == a
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        from monitor.models import AnalysedMention

        store.ingest("s", None, [AnalysedMention(mention("1", text), a)], simple_planner,
                     now=T0)
        (stored,) = store.conn.execute("SELECT text FROM mentions").fetchone()
        assert stored == text
    finally:
        store.close()


def _repository_posts() -> list[str]:
    root = Path(__file__).resolve().parents[1]
    files = [*sorted((root / "tests" / "data" / "streams").glob("*/stream.jsonl")),
             *sorted((root / "tests" / "data" / "packs").glob("*.jsonl")),
             root / "config" / "samples" / "demo-mentions.jsonl"]
    return [json.loads(line)["text"] for f in files for line in f.open(encoding="utf-8")]


def test_folded_patterns_find_what_the_case_insensitive_ones_find() -> None:
    import re

    from monitor.analysis.contacted import _DMED
    from monitor.analysis.terms import Folded
    from responders.drafts import _AT_RISK

    texts = [*_repository_posts(), "I've DMed YOU", "ÉCRIT EN MP déjà", "İstanbul: sent u a DM"]
    for folded in (_DMED, _AT_RISK):
        plain = re.compile(folded.pattern, re.IGNORECASE)
        found = [folded.search(t) is not None for t in texts]
        assert found == [plain.search(t) is not None for t in texts]
        assert 20 < sum(found) < len(texts) - 20  # (a test that could tell them apart)
    # the alternations folded since, and one run only where its hint is: the same posts found
    from monitor.analysis.cues import DONE_FOR_US, FOREIGN_PRAISE, GRATITUDE, WAS_ME, WENT_WELL
    from monitor.analysis.onlookers import JOKE

    texts += ["ME: i'll save this month / the app at 11pm: you've spent £212", "C'était moi!",
              "Merci beaucoup !", "GAVE ME a refund", "Works PERFECTLY", "TERIMA KASIH"]
    for folded in (DONE_FOR_US, FOREIGN_PRAISE, GRATITUDE, WAS_ME, WENT_WELL, *JOKE.patterns):
        plain = re.compile(folded.pattern, re.IGNORECASE)
        assert [folded.search(t) is not None for t in texts] == [
            plain.search(t) is not None for t in texts], folded.pattern[:60]
    assert JOKE.search(texts[-6]) is not None
    with pytest.raises(ValueError, match="lower case"):
        Folded(r"\bsame in (?-i:[A-Z][a-z]+)")
