"""Digest arithmetic against hand-computed figures, and the three formats."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

from monitor.digest import (
    CareFacts,
    Period,
    PeriodFacts,
    build,
    count_terms,
    find_spikes,
    percentile,
    render_html,
    render_markdown,
    rising_terms,
    share_of_voice,
)

PERIOD = Period(datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC))


def test_periods_and_percentiles() -> None:
    assert PERIOD.previous() == Period(datetime(2026, 11, 13, tzinfo=UTC), PERIOD.start)
    assert PERIOD.days() == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert len(PERIOD.hours()) == 72
    assert percentile([60, 120, 180, 600], 50) == 150
    assert round(percentile([60, 120, 180, 600], 90), 6) == 474.0  # 180 + 0.7 * 420
    assert percentile([], 50) is None


def test_share_of_voice_counts_each_name_and_its_sentiment() -> None:
    labels = {
        "brightwave": {"positive": 10, "neutral": 5, "negative": 25},
        "#brightwavedown": {"negative": 10},
        "competitor:Tidalnet": {"positive": 6, "negative": 4},
        "competitor:Orbitel": {"neutral": 10},
        "competitor:Gone": {"neutral": 99},  # no longer configured: ignored
    }
    sov = share_of_voice(labels, brand="Brightwave", competitors=["Tidalnet", "Orbitel"])
    assert {k: v["mentions"] for k, v in sov.items()} == {"Brightwave": 50, "Tidalnet": 10,
                                                          "Orbitel": 10}
    assert {k: v["percent"] for k, v in sov.items()} == {"Brightwave": 71.4, "Tidalnet": 14.3,
                                                         "Orbitel": 14.3}
    assert sov["Brightwave"]["sentiment"] == {"positive": 20.0, "neutral": 10.0, "negative": 70.0}


def test_spikes_are_hours_far_above_the_baseline() -> None:
    hours = [f"2026-11-18T{h:02d}" for h in range(24)]
    hourly = {h: 1 for h in hours} | {"2026-11-18T07": 15, "2026-11-18T08": 4}
    # mean = (22 + 15 + 4) / 24 = 1.7083; population std = sqrt(192.96 / 24) = 2.8355;
    # z(07) = 13.2917 / 2.8355 = 4.69; z(08) = 0.81
    spikes = find_spikes(hourly, hours, z=3)
    assert spikes == [{"hour": "2026-11-18T07", "negative": 15, "baseline": 1.71, "z": 4.69}]
    assert find_spikes(hourly, hours, z=5) == []
    assert find_spikes({"2026-11-18T07": 2}, hours, z=1) == []  # below the minimum count


def test_rising_terms_and_term_counting() -> None:
    counts = count_terms([
        "Brightwave router keeps rebooting", "my router keeps rebooting again #brightwave",
        "Router rebooting every night, brightwave please", "price rise again",
    ], ignore=["brightwave"])
    assert counts["router"] == 3 and counts["rebooting"] == 3
    assert counts["keeps rebooting"] == 2
    assert "brightwave" not in counts and "again" not in counts  # brand names, stopwords
    rising = rising_terms(counts, Counter({"router": 3, "price": 5}), min_count=2)
    assert rising[0] == {"term": "rebooting", "count": 3, "previous": 0, "growth": 4.0}
    assert "router" not in [r["term"] for r in rising[:3]]


def _facts() -> tuple[PeriodFacts, PeriodFacts]:
    current = PeriodFacts(
        total=120, by_platform={"x": 80, "reddit": 40},
        by_day={"2026-11-16": {"total": 30, "positive": 10, "neutral": 10, "negative": 10},
                "2026-11-18": {"total": 90, "positive": 14, "neutral": 16, "negative": 60}},
        sentiment={"positive": 24, "neutral": 26, "negative": 70},
        labels={"brightwave": {"positive": 20, "neutral": 20, "negative": 60},
                "competitor:Tidalnet": {"positive": 4, "neutral": 6, "negative": 10}},
        complaints_by_intent={"outage": 40, "billing": 15},
        complaint_examples={"outage": [{"text": "<b>down</b> again", "author": "dana",
                                        "url": "https://x.com/dana/status/1"}]},
        care=CareFacts(opened=10, resolved=4, first_response_s=[60, 120, 180, 600],
                       resolution_s=[3600, 7200], sla_met=[True, True, False, True],
                       csat=[5, 4, 2], effort=[1, 1, 3, 2], first_contact_resolved=3),
    )
    previous = PeriodFacts(total=100, by_platform={"x": 100},
                           complaints_by_intent={"outage": 10})
    return current, previous


def test_the_digest_document_matches_hand_computed_figures() -> None:
    current, previous = _facts()
    d = build(current, previous, period=PERIOD, brand="Brightwave",
              competitors=["Tidalnet"], spikes=[])
    assert d["period"] == {"start": "2026-11-16T00:00:00+00:00",
                           "end": "2026-11-19T00:00:00+00:00"}
    assert d["volume"]["total"] == 120 and d["volume"]["change_percent"] == 20.0
    assert d["volume"]["by_platform"]["x"] == {"count": 80, "previous": 100,
                                               "change_percent": -20.0}
    assert d["volume"]["by_platform"]["reddit"]["change_percent"] is None
    assert d["volume"]["by_day"] == {"2026-11-16": 30, "2026-11-17": 0, "2026-11-18": 90}
    assert (d["sentiment"]["positive"], d["sentiment"]["neutral"],
            d["sentiment"]["negative"]) == (20.0, 21.7, 58.3)
    assert d["share_of_voice"] == {"Brightwave": 83.3, "Tidalnet": 16.7}
    assert [(c["intent"], c["count"], c["previous"]) for c in d["top_complaints"]] == [
        ("outage", 40, 10), ("billing", 15, 0)]
    care = d["care"]
    assert care["first_response_median_s"] == 150.0
    assert care["first_response_p90_s"] == 474.0
    assert care["resolution_median_s"] == 5400.0
    assert care["sla_attainment"] == 0.75
    assert care["first_contact_resolution"] == 0.75
    assert care["csat_avg"] == 3.67
    assert care["customer_effort_avg"] == 1.75
    json.dumps(d)  # the JSON format is this document as it is


def test_markdown_and_html_render_the_figures_and_escape_post_text() -> None:
    current, previous = _facts()
    d = build(current, previous, period=PERIOD, brand="Brightwave", competitors=["Tidalnet"],
              spikes=[{"hour": "2026-11-18T07", "negative": 15, "baseline": 1.7, "z": 4.6,
                       "posts": [{"text": "<script>alert(1)</script> all down", "author": "e",
                                  "url": "javascript:alert(document.cookie)"}]}])
    md = render_markdown(d)
    assert "**120 mentions** (+20.0% vs previous period: 100)" in md
    assert "| Brightwave | 100 | 83.3% |" in md
    assert "First response: median 2m, p90 7m" in md
    html = render_html(d)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
    external = re.findall(r'(?:src|href)="(https?:[^"]+)"', html)
    assert all(url.startswith("https://x.com/") for url in external)  # links only, no fetches
    assert "<link" not in html and "@import" not in html
    # a post's link is an http(s) link or none, in every format (as on the web app's pages)
    assert "javascript:" not in html and "javascript:" not in md
    assert "Content-Security-Policy" in html
