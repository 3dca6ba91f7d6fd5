"""Brand-mention digests for marketing: the figures (pure), and Markdown, HTML and JSON.

The store aggregates one period into `PeriodFacts` with SQL; everything here is arithmetic on
those facts, so it is checked against hand-computed figures without a database.
"""

from __future__ import annotations

import base64
import io
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import jinja2

from monitor.models import Action, Escalation, parse_iso, web_link
from monitor.settings import Settings

SENTIMENTS = ("positive", "neutral", "negative")
TEMPLATES = Path(__file__).parent / "templates"

_WORD = re.compile(r"[a-z][a-z'\-]{2,}")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't
doing don't down during each few for from further get got had hadn't has hasn't have haven't
having he her here hers herself him himself his how i i'm i've if in into is isn't it it's its
itself just let's like me more most my myself no nor not now of off on once only or other our
ours ourselves out over own same she should shouldn't so some such than that that's the their
theirs them themselves then there there's these they they're this those through to too under
until up very was wasn't we we're were weren't what what's when where which while who whom why
will with won't would wouldn't you you're your yours yourself yourselves also still even really
one two get gets got just yet ever every much many via amp im ive dont cant wont thats youre
""".split())


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open time range [start, end)."""

    start: datetime
    end: datetime

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    def days(self) -> list[str]:
        """Every calendar day (UTC) the period touches, as YYYY-MM-DD."""
        day = self.start.astimezone(UTC).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(UTC).date()
        out = []
        while day <= last:
            out.append(day.isoformat())
            day += timedelta(days=1)
        return out

    def hours(self) -> list[str]:
        """Every hour in the period, as YYYY-MM-DDTHH."""
        hour = self.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        out = []
        while hour < self.end:
            out.append(hour.strftime("%Y-%m-%dT%H"))
            hour += timedelta(hours=1)
        return out


def span_words(start: datetime, end: datetime) -> str:
    """How long a period is, as a reader says it: "7 days", "day", "36 hours", "90 minutes".

    Its length, not the calendar days it touches: seven days from 07:02 touch eight dates.
    """
    seconds = max(0, round((end - start).total_seconds()))
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    minutes = max(1, round(seconds / 60))
    return "minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(slots=True)
class CareFacts:
    """Customer-care measurements for cases opened in a period."""

    opened: int = 0
    resolved: int = 0
    first_response_s: list[float] = field(default_factory=list)
    resolution_s: list[float] = field(default_factory=list)
    sla_met: list[bool] = field(default_factory=list)
    csat: list[int] = field(default_factory=list)
    effort: list[int] = field(default_factory=list)
    first_contact_resolved: int = 0


@dataclass(slots=True)
class PeriodFacts:
    """What the store aggregates for one period."""

    total: int = 0
    by_platform: dict[str, int] = field(default_factory=dict)
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    # matched-term label ("brightwave", "competitor:Tidalnet") -> counts by sentiment
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    complaints_by_intent: dict[str, int] = field(default_factory=dict)
    complaint_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    hourly_negative: dict[str, int] = field(default_factory=dict)
    # posts by triage action (reply, acknowledge, monitor, spam) and by escalation kind
    actions: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, int] = field(default_factory=dict)
    terms: Counter[str] = field(default_factory=Counter)
    care: CareFacts = field(default_factory=CareFacts)


def terms_of(text: str) -> list[str]:
    """The words and two-word phrases of a post that can say what people talk about."""
    words = [w.removesuffix("'s").strip("'-")
             for w in _WORD.findall(_NOISE.sub(" ", text.lower()))]
    words = [w for w in words if w and w not in STOPWORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def count_terms(texts: Iterable[str], *, ignore: Iterable[str] = ()) -> Counter[str]:
    """How many posts use each term (once per post), leaving out the brand's own names."""
    skip = {t.lower().lstrip("#@") for t in ignore}
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({t for t in terms_of(text) if not any(s in t.split() for s in skip)})
    return counts


def change(current: float, previous: float) -> float | None:
    """Percentage change from previous to current; None when there was nothing before."""
    if not previous:
        return None
    return round((current - previous) / previous * 100, 1)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def shares(counts: Mapping[str, float]) -> dict[str, float]:
    """Each key's share of the total, in percent (one decimal)."""
    total = sum(counts.values())
    return {k: round(v / total * 100, 1) if total else 0.0 for k, v in counts.items()}


def share_of_voice(labels: Mapping[str, Mapping[str, int]], *, brand: str,
                   competitors: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Mentions and sentiment of the brand and each competitor (a post may count for several)."""
    merged: dict[str, Counter[str]] = {name: Counter() for name in (brand, *competitors)}
    for label, counts in labels.items():
        name = label.removeprefix("competitor:") if label.startswith("competitor:") else brand
        if name in merged:
            merged[name].update(counts)
    percent = shares({name: sum(c[s] for s in SENTIMENTS) for name, c in merged.items()})
    return {
        name: {
            "mentions": sum(c[s] for s in SENTIMENTS),
            "percent": percent[name],
            "sentiment": shares({s: c[s] for s in SENTIMENTS}),
        }
        for name, c in merged.items()
    }


def find_spikes(hourly: Mapping[str, int], hours: Sequence[str], *, z: float,
                min_count: int = 3) -> list[dict[str, Any]]:
    """Hours whose negative volume is at least `z` standard deviations above the period's mean."""
    series = [hourly.get(h, 0) for h in hours]
    if len(series) < 2:
        return []
    mean = statistics.fmean(series)
    spread = statistics.pstdev(series)
    out = []
    for hour, count in zip(hours, series, strict=True):
        score = (count - mean) / spread if spread else 0.0
        if count >= min_count and score >= z:
            out.append({"hour": hour, "negative": count, "baseline": round(mean, 2),
                        "z": round(score, 2)})
    return out


def rising_terms(current: Counter[str], previous: Counter[str], *, top: int = 10,
                 min_count: int = 3) -> list[dict[str, Any]]:
    """Terms growing most against the previous period (add-one smoothed ratio)."""
    rows: list[dict[str, Any]] = [
        {"term": term, "count": n, "previous": previous.get(term, 0),
         "growth": round((n + 1) / (previous.get(term, 0) + 1), 2)}
        for term, n in current.items() if n >= min_count
    ]
    rows.sort(key=lambda r: (-r["growth"], -r["count"], r["term"]))
    return rows[:top]


def care_summary(care: CareFacts) -> dict[str, Any]:
    """The care figures: response and resolution times, SLA, FCR, CSAT, effort."""
    def rnd(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "cases_opened": care.opened,
        "cases_resolved": care.resolved,
        "first_response_median_s": rnd(percentile(care.first_response_s, 50)),
        "first_response_p90_s": rnd(percentile(care.first_response_s, 90)),
        "resolution_median_s": rnd(percentile(care.resolution_s, 50)),
        "sla_attainment": round(sum(care.sla_met) / len(care.sla_met), 3) if care.sla_met
        else None,
        "first_contact_resolution": round(care.first_contact_resolved / care.resolved, 3)
        if care.resolved else None,
        "csat_avg": round(statistics.fmean(care.csat), 2) if care.csat else None,
        "csat_responses": len(care.csat),
        "customer_effort_avg": round(statistics.fmean(care.effort), 2) if care.effort else None,
    }


def build(
    current: PeriodFacts,
    previous: PeriodFacts,
    *,
    period: Period,
    brand: str,
    competitors: Sequence[str],
    spikes: list[dict[str, Any]],
) -> dict[str, Any]:
    """The digest document (the JSON schema; Markdown and HTML render this)."""
    days = period.days()
    sentiment_counts = {s: current.sentiment.get(s, 0) for s in SENTIMENTS}
    return {
        "brand": brand,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "previous_period": {"start": period.previous().start.isoformat(),
                            "end": period.start.isoformat()},
        "volume": {
            "total": current.total,
            "previous_total": previous.total,
            "change_percent": change(current.total, previous.total),
            "by_platform": {
                name: {"count": n, "previous": previous.by_platform.get(name, 0),
                       "change_percent": change(n, previous.by_platform.get(name, 0))}
                for name, n in sorted(current.by_platform.items(), key=lambda kv: -kv[1])
            },
            "by_day": {day: current.by_day.get(day, {}).get("total", 0) for day in days},
        },
        "sentiment": {
            **shares(sentiment_counts),
            "counts": sentiment_counts,
            "by_day": {day: {s: current.by_day.get(day, {}).get(s, 0) for s in SENTIMENTS}
                       for day in days},
        },
        "triage": {
            "actions": {a.value: current.actions.get(a.value, 0) for a in Action},
            "escalations": {k.value: current.escalations.get(k.value, 0) for k in Escalation},
        },
        "share_of_voice": {name: v["percent"] for name, v in share_of_voice(
            current.labels, brand=brand, competitors=competitors).items()},
        "competitors": share_of_voice(current.labels, brand=brand, competitors=competitors),
        "top_complaints": [
            {"intent": intent, "count": n,
             "previous": previous.complaints_by_intent.get(intent, 0),
             "examples": current.complaint_examples.get(intent, [])}
            for intent, n in sorted(current.complaints_by_intent.items(), key=lambda kv: -kv[1])
        ],
        "top_posts": current.top_posts,
        "rising_terms": rising_terms(current.terms, previous.terms),
        "spikes": spikes,
        "care": care_summary(current.care),
        "care_previous": care_summary(previous.care),
    }


# --- rendering --------------------------------------------------------------------------------


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["duration"] = human_duration
    env.filters["web_link"] = web_link
    env.filters["signed"] = lambda v: "n/a" if v is None else f"{v:+.1f}%"
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{v * 100:.0f}%"
    env.filters["span"] = lambda p: span_words(parse_iso(p["start"]), parse_iso(p["end"]))
    return env


def human_duration(seconds: float | None) -> str:
    """12s, 4m, 3h 20m, 2d 4h."""
    if seconds is None:
        return "n/a"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def render_markdown(digest: Mapping[str, Any]) -> str:
    """The digest as Markdown, for Slack or a wiki."""
    env = _env()
    env.autoescape = False
    return env.get_template("digest.md").render(d=digest)


def render_html(digest: Mapping[str, Any]) -> str:
    """One self-contained HTML file: inline CSS, charts as inline SVG, nothing fetched."""
    return _env().get_template("digest.html").render(d=digest, charts=charts(digest))


def render_body(digest: Mapping[str, Any]) -> str:
    """The digest's sections without a page around them (escaped HTML), for the web app."""
    return _env().get_template("digest_body.html").render(d=digest, charts=charts(digest))


def charts(digest: Mapping[str, Any]) -> dict[str, str]:
    """Charts as `data:image/svg+xml;base64,...` URIs (matplotlib, no external fonts), and
    the volume chart's title (its bar: day, week or month) for its alt text."""
    plt = _pyplot()
    unit, _ = bucketed(digest["sentiment"]["by_day"])
    out = {"volume": _svg(volume_figure(digest["sentiment"]["by_day"]), plt),
           "volume_title": chart_title(unit)}

    sov = digest["competitors"]
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.45 * len(sov)))
    names = list(sov)[::-1]
    ax.barh(names, [sov[n]["percent"] for n in names],
            color=["#1565c0" if n == digest["brand"] else "#90a4ae" for n in names])
    for y, n in enumerate(names):
        ax.text(sov[n]["percent"], y, f" {sov[n]['percent']:.1f}%", va="center")
    ax.set_title("Share of voice (% of mentions)")
    ax.set_xlim(0, 100)
    out["share"] = _svg(fig, plt)
    return out


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "svg.fonttype": "path",
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def volume_figure(by_day: Mapping[str, Mapping[str, int]]) -> Any:
    """The volume chart: stacked sentiment bars per day, week or month, the title on the left
    and the legend on the right of one line above the plot (they never overlap)."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    colours = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
    unit, buckets = bucketed(by_day)
    names = list(buckets)
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    bottom = [0] * len(names)
    for s in SENTIMENTS:
        values = [buckets[b][s] for b in names]
        ax.bar(names, values, bottom=bottom, color=colours[s], label=s)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(chart_title(unit), loc="left", pad=10)
    ax.legend(frameon=False, ncols=3, loc="lower right", bbox_to_anchor=(1, 1.0),
              borderaxespad=0.2, handlelength=1.2, columnspacing=1.0)
    ax.set_ylim(bottom=0, top=max(max(bottom, default=0), 1) * 1.05)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if unit == "week":
        ax.set_xlabel("week starting (Monday)", color="#5b6475")
    if len(names) > 16:
        step = -(-len(names) // 12)
        ax.set_xticks(range(0, len(names), step), [names[i] for i in range(0, len(names), step)])
    ax.tick_params(axis="x", labelrotation=45 if len(names) > 10 else 0)
    fig.tight_layout()
    return fig


# A chart shows days up to a month, weeks up to half a year, then months: at most 31 bars,
# and a long period is never squeezed into one.
MAX_DAY_BARS = 31
MAX_WEEK_BARS = 27


def chart_unit(days: int) -> str:
    """The bar a chart of this many calendar days uses: "day", "week" or "month"."""
    if days <= MAX_DAY_BARS:
        return "day"
    return "week" if days <= 7 * (MAX_WEEK_BARS - 1) else "month"


def chart_title(unit: str) -> str:
    """The volume chart's title for its bar."""
    return f"Mentions per {unit}, by sentiment"


def bucketed(by_day: Mapping[str, Mapping[str, int]]) -> tuple[str, dict[str, Counter[str]]]:
    """Daily counts (YYYY-MM-DD keys) regrouped into the chart's bars, oldest first: days
    labelled MM-DD, weeks by their Monday (MM-DD), or months (YYYY-MM)."""
    days = sorted(by_day)
    unit = chart_unit(len(days))

    def key(d: str) -> str:
        if unit == "day":
            return d[5:]
        if unit == "month":
            return d[:7]
        day = date.fromisoformat(d)
        return (day - timedelta(days=day.weekday())).isoformat()[5:]

    buckets: dict[str, Counter[str]] = {}
    for day in days:
        buckets.setdefault(key(day), Counter()).update(by_day[day])
    return unit, buckets


def _svg(fig: Any, plt: Any) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- gathering from the store --------------------------------------------------------------


def collect(store: DigestSource, period: Period, *, brand_terms: Iterable[str],
            own_handles: Iterable[str] = (), sla_first_response: Mapping[str, timedelta],
            now: datetime,
            term_sample: int = 20_000, examples: int = 3, top: int = 5) -> PeriodFacts:
    """Aggregate one period from the store into PeriodFacts."""
    raw = store.mention_aggregates(period.start, period.end)
    facts = PeriodFacts(
        total=raw["total"], by_platform=raw["by_platform"], by_day=raw["by_day"],
        sentiment=raw["sentiment"], labels=raw["labels"],
        complaints_by_intent={k or "other": v for k, v in raw["complaints_by_intent"].items()},
        hourly_negative=raw["hourly_negative"], actions=raw.get("actions", {}),
        escalations=raw.get("escalations", {}),
    )
    own = {h.lower().lstrip("@") for h in own_handles}

    def customers(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
        return [_post(p) for p in rows if str(p["author"]).lower() not in own][:limit]

    ranked = sorted(facts.complaints_by_intent, key=lambda k: -facts.complaints_by_intent[k])
    for intent in ranked[:6]:
        facts.complaint_examples[intent] = customers(store.digest_posts(
            period.start, period.end, where="m.is_complaint = 1 AND m.intent = ?",
            params=(intent,), limit=examples + 5), examples)
    facts.top_posts = customers(store.digest_posts(period.start, period.end, limit=top + 5),
                                top)
    facts.terms = count_terms(store.digest_texts(period.start, period.end, limit=term_sample),
                              ignore=brand_terms)
    facts.care = care_facts(store.digest_cases(period.start, period.end), sla_first_response,
                            now=now)
    return facts


def care_facts(cases: Iterable[Mapping[str, Any]], first_response: Mapping[str, timedelta],
               *, now: datetime) -> CareFacts:
    """Care measurements from case rows (opened_at, first_response_at, resolved_at, ...).

    SLA attainment counts answered cases by whether the first response met the target for
    their priority, and unanswered cases already past their due time as missed.
    """
    care = CareFacts()
    for case in cases:
        care.opened += 1
        opened = parse_iso(case["opened_at"])
        answered = _maybe_time(case.get("first_response_at"))
        resolved = _maybe_time(case.get("resolved_at"))
        due = _maybe_time(case.get("sla_due_at"))
        target = first_response.get(case["priority"])
        if answered is not None:
            care.first_response_s.append((answered - opened).total_seconds())
            care.effort.append(int(case.get("customer_effort") or 0))
            if target is not None:
                care.sla_met.append(answered - opened <= target)
        elif due is not None and due < now:
            care.sla_met.append(False)
        if resolved is not None:
            care.resolved += 1
            care.resolution_s.append((resolved - opened).total_seconds())
            if int(case.get("replies_posted") or 0) == 1:
                care.first_contact_resolved += 1
        if case.get("csat") is not None:
            care.csat.append(int(case["csat"]))
    return care


def compile_digest(store: DigestSource, period: Period, *, brand: str,
                   competitors: Sequence[str], brand_terms: Iterable[str],
                   own_handles: Iterable[str] = (),
                   sla_first_response: Mapping[str, timedelta], now: datetime,
                   spike_z: float = 3.0) -> dict[str, Any]:
    """The whole digest for a period, compared with the period before it."""
    terms, own = list(brand_terms), list(own_handles)
    current = collect(store, period, brand_terms=terms, own_handles=own,
                      sla_first_response=sla_first_response, now=now)
    previous = collect(store, period.previous(), brand_terms=terms, own_handles=own,
                       sla_first_response=sla_first_response, now=now)
    spikes = find_spikes(current.hourly_negative, period.hours(), z=spike_z)
    for spike in spikes:
        spike["posts"] = [_post(p) for p in store.digest_posts(
            period.start, period.end,
            where="m.sentiment = 'negative' AND substr(m.created_at, 1, 13) = ?",
            params=(spike["hour"],), limit=3)]
    return build(current, previous, period=period, brand=brand, competitors=competitors,
                 spikes=spikes)


def digest_for(settings: Settings, store: DigestSource, period: Period, *,
               now: datetime) -> dict[str, Any]:
    """The digest for a period, with the configured brand, competitors, SLA and spike z."""
    brand = settings.brand
    return compile_digest(
        store, period, brand=brand.name, competitors=list(brand.competitors),
        brand_terms=[*brand.keywords, *brand.hashtags, *brand.all_handles()],
        own_handles=brand.all_handles(),
        sla_first_response={p.value: d for p, d in settings.sla.first_response.items()},
        now=now, spike_z=settings.digest.spike_z,
    )


def _maybe_time(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


def _post(row: Mapping[str, Any]) -> dict[str, Any]:
    post = {k: row.get(k) for k in ("id", "platform", "author", "text", "url", "created_at",
                                    "sentiment", "intent", "reach")}
    # a post's link goes into an href (html) or a link (markdown): http(s) only, as on the
    # web app's pages
    post["url"] = web_link(post["url"])
    return post


class DigestSource(Protocol):
    """The store queries a digest needs."""

    def mention_aggregates(self, start: datetime, end: datetime) -> dict[str, Any]: ...

    def digest_posts(self, start: datetime, end: datetime, *, where: str = ...,
                     params: Sequence[Any] = ..., limit: int = ...
                     ) -> list[dict[str, Any]]: ...

    def digest_texts(self, start: datetime, end: datetime, *, limit: int) -> list[str]: ...

    def digest_cases(self, start: datetime, end: datetime) -> list[dict[str, Any]]: ...
