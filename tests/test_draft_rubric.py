"""Drafts as a reviewer reads them: labelled posts go through the real `brandbot run --once`
and the drafts come back from `queue list --json` (see bench/drafts.py, which prints every
figure and the drafts that break a rule). Floors sit a little under today's figures."""

from __future__ import annotations

import pytest

from bench.drafts import STREAMS, case_figures, demo_rubric, figures, own_handles, run_stream


def test_the_demo_drafts_pass_the_rubric() -> None:
    total, failing = demo_rubric()
    assert total > 150
    share = 1 - len(failing) / total
    assert share >= 0.78, [(p["text"][:80], b) for p, _, b in failing]
    broken = [b for _, _, rules in failing for b in rules]
    # the rules a draft can keep by itself, whatever judgment decided about the post
    assert sum("asks someone who DMed" in b for b in broken) <= 2, broken
    assert not [b for b in broken if "language" in b], broken


@pytest.mark.parametrize("name", ["banking-dev", "retail-dev"])
def test_a_stream_of_posts_gets_the_drafts_a_team_would_approve(name: str) -> None:
    posts, labels, drafts, cases, mentions = run_stream(STREAMS / name)
    got, _ = figures(posts, labels, drafts, cases)
    assert got["draft_for_reply"] >= 0.85, got
    assert got["draft_for_spam"] <= 0.05 and got["draft_for_monitor"] <= 0.25, got
    assert got["dmed_asked_again"] <= 0.1, got
    assert got["language_match"] >= 0.9, got
    assert got["same_text_max"] <= 0.5, got
    assert got["protect_step"] >= 0.8, got


@pytest.mark.parametrize("name", ["banking-dev", "retail-dev"])
def test_a_stream_opens_cases_for_posts_that_need_one_and_one_incident_for_its_outage(
        name: str) -> None:
    posts, labels, _, cases, mentions = run_stream(STREAMS / name)
    got = case_figures(posts, labels, cases, mentions, own=own_handles(STREAMS / name))
    assert got["case_for_reply"] >= 0.85, got
    assert got["case_for_monitor_spam"] <= 0.15, got
    assert got["incident_share"] >= 0.6, got
    assert got["incident_strays"] <= 1, got
