"""The digest's period wording and chart bars: pure functions, checked by hand-made periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.digest import (
    Period,
    bucketed,
    build,
    chart_unit,
    render_html,
    render_markdown,
    span_words,
    volume_figure,
)
from tests.test_digest import _facts

T = datetime(2026, 12, 7, 7, 2, tzinfo=UTC)


def by_day(days: int, *, start: date = date(2026, 9, 8)) -> dict[str, dict[str, int]]:
    """`days` calendar days of one negative and two positive mentions each."""
    return {(start + timedelta(days=i)).isoformat(): {"negative": 1, "positive": 2,
                                                      "neutral": 0}
            for i in range(days)}


@pytest.mark.parametrize(("span", "words"), [
    (timedelta(days=7), "7 days"),
    (timedelta(days=1), "day"),
    (timedelta(hours=24), "day"),
    (timedelta(hours=36), "36 hours"),
    (timedelta(hours=1), "hour"),
    (timedelta(minutes=90), "90 minutes"),
    (timedelta(days=90), "90 days"),
    (timedelta(days=365), "365 days"),
    (timedelta(seconds=61), "minute"),
])
def test_a_period_is_said_by_its_length(span: timedelta, words: str) -> None:
    assert span_words(T - span, T) == words


def test_seven_days_from_mid_morning_are_seven_days_though_they_touch_eight_dates() -> None:
    period = Period(T - timedelta(days=7), T)
    assert len(period.days()) == 8  # what the old wording counted
    current, previous = _facts()
    d = build(current, previous, period=period, brand="Brightwave",
              competitors=["Tidalnet"], spikes=[])
    assert "(compared with the 7 days before)" in render_markdown(d)
    html = render_html(d)
    assert "compared with the 7 days before" in html and "8 days" not in html


@pytest.mark.parametrize(("days", "unit", "bars"), [
    (1, "day", 1),
    (8, "day", 8),        # a week from mid-morning
    (31, "day", 31),
    (91, "week", 14),     # 90 days from 8 Sep 2026 (a Tuesday): 14 weeks from Monday
    (182, "week", 27),
    (366, "month", 13),   # a year from 8 Sep: September to September
    (3651, "month", 121),
])
def test_a_long_period_is_charted_by_week_or_month(days: int, unit: str, bars: int) -> None:
    assert chart_unit(days) == unit
    got_unit, buckets = bucketed(by_day(days))
    assert (got_unit, len(buckets)) == (unit, bars)
    # every mention is in exactly one bar
    assert sum(b["negative"] for b in buckets.values()) == days
    assert sum(b["positive"] for b in buckets.values()) == 2 * days


def test_weeks_start_on_monday_and_months_are_calendar_months() -> None:
    _, weeks = bucketed(by_day(91))
    assert list(weeks)[:2] == ["09-07", "09-14"]  # 8 Sep is a Tuesday: its week began on 7 Sep
    assert weeks["09-07"]["negative"] == 6  # Tuesday to Sunday of the first week
    assert weeks["09-14"]["negative"] == 7
    _, months = bucketed(by_day(366))
    assert list(months)[:3] == ["2026-09", "2026-10", "2026-11"]
    assert months["2026-10"]["negative"] == 31 and months["2026-09"]["negative"] == 23


@pytest.mark.parametrize("days", [8, 91, 366])
def test_the_chart_title_never_overlaps_its_legend(days: int) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = volume_figure(by_day(days))
    try:
        canvas = FigureCanvasAgg(fig)  # lays the figure out as the SVG will be
        canvas.draw()
        renderer = canvas.get_renderer()
        (ax,) = fig.axes
        title = ax.title if ax.title.get_text() else ax._left_title  # noqa: SLF001
        legend = ax.get_legend()
        assert "Mentions per" in title.get_text()
        assert not title.get_window_extent(renderer).overlaps(
            legend.get_window_extent(renderer))
        # both inside the picture, not cut off at its edge
        width, height = canvas.get_width_height()
        for box in (title.get_window_extent(renderer), legend.get_window_extent(renderer)):
            assert box.x0 >= 0 and box.x1 <= width and box.y1 <= height
    finally:
        plt.close(fig)
