"""`make bench`: measure brandbot and write bench/results.json (each figure: median, spread).

Run: python -m bench.run [--only NAME ...] [--quick] [--long]

`--long` (`make bench-long`) adds the PostgreSQL replicas, which would take `make bench`
past the 10 minutes it is meant to fit in on a 2-core machine.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from bench import ingest_bench, jetstream_bench, latency_bench, replicas_bench
from bench.corpus import posts
from bench.daemon import BENCH_CONFIG, query
from bench.digest_bench import digest_1m_s

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


def analyze_posts_per_s(n: int) -> float:
    """Throughput of the real `brandbot analyze` command, process start-up included."""
    text = "\n".join(posts(n)) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    start = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "monitor.cli", "analyze"], input=text, capture_output=True,
        text=True, cwd="/", env=env, check=True,
    )
    elapsed = time.perf_counter() - start
    assert result.stdout.count("\n") == n
    return n / elapsed


# --- the web queue ---------------------------------------------------------------------------

BENCH_USER, BENCH_PASSWORD = "bench", "bench password 1"


def seed_queue(db: Path, n: int, *, page: int = 5_000) -> None:
    """Fill a store with `n` pending drafts, one case each, through `Store.ingest` in pages."""
    from datetime import UTC, datetime, timedelta

    from monitor.cases import CaseRules, plan_page
    from monitor.models import (
        AnalysedMention,
        Analysis,
        Author,
        DraftSpec,
        Mention,
        Priority,
        Role,
        Sentiment,
    )
    from monitor.packs import load_pack
    from monitor.settings import Settings
    from monitor.store import Store
    from responders.auth import hash_password

    rules = CaseRules.from_settings(Settings.model_validate(
        {"brand": {"name": "Brightwave", "keywords": ["brightwave"]},
         "routing": {"default_team": "care", "teams": {
             "billing": {"intents": ["billing", "cancellation"]},
             "network": {"intents": ["outage"]},
             "logistics": {"intents": ["equipment", "installation"]}}}}))

    def drafter(case: object, m: Mention, a: Analysis) -> DraftSpec:
        return DraftSpec(text=f"Hi {m.author.handle}, sorry about that. DM us and we'll help.",
                         template="default")

    def planner(new: object, context: object) -> object:
        return plan_page(new, context, rules=rules, drafter=drafter)  # type: ignore[arg-type]

    texts = posts(n)
    platforms = ("x", "x", "reddit", "mastodon", "bluesky")
    intents = list(load_pack("telecom").names)
    priorities = list(Priority)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    store = Store(db)
    try:
        for offset in range(0, n, page):
            items = []
            for i in range(offset, min(n, offset + page)):
                platform = platforms[i % len(platforms)]
                compound = ((i * 37) % 200 - 100) / 100
                m = Mention(platform=platform, native_id=str(i),
                            author=Author(platform=platform, native_id=f"u{i}",
                                          handle=f"user{i}", followers=(i * 7919) % 50_000),
                            text=texts[i], created_at=start + timedelta(seconds=i * 13))
                a = Analysis(sentiment=Sentiment(compound, 0.2, 0.6, 0.2), complaint=True,
                             complaint_probability=0.9, intent=intents[i % 7],
                             priority=priorities[(i * 31) % 4], matched_terms=("brightwave",),
                             addressed=True, reasons=("bench",))
                items.append(AnalysedMention(m, a))
            store.ingest("bench", str(offset), items, planner,  # type: ignore[arg-type]
                         now=start)
        store.add_user(BENCH_USER, Role.APPROVER, hash_password(BENCH_PASSWORD), actor="bench",
                       now=start)
    finally:
        store.close()


class WebQueue:
    """`brandbot serve` over a store seeded with `n` pending drafts, and a signed-in client."""

    _running: dict[int, WebQueue] = {}

    def __init__(self, n: int) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="brandbot-bench-"))
        db = self.folder / "bench.db"
        start = time.perf_counter()
        seed_queue(db, n)
        print(f"  (seeded {n:,} pending drafts in {time.perf_counter() - start:.1f} s)")
        config = self.folder / "bench.toml"
        config.write_text(BENCH_CONFIG.replace("sqlite:///bench.db", f"sqlite:///{db}"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-level",
             "warning", "serve", "--port", str(_free_port())],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.port = int(self.proc.args[-1])  # type: ignore[index]
        self.conn = self._connect()
        body = urlencode({"username": BENCH_USER, "password": BENCH_PASSWORD})
        self.conn.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        response = self.conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie") or ""
        assert response.status == 303 and "brandbot_session=" in cookie, response.status
        self.cookie = cookie.split(";", 1)[0]
        page = self.get("/")
        found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
        assert found, "no CSRF token on the queue page"
        self.csrf = found.group(1)

    @classmethod
    def for_size(cls, n: int) -> WebQueue:
        """One server per queue size for the whole run (seeding 100,000 drafts takes a while)."""
        if n not in cls._running:
            cls._running[n] = cls(n)
            atexit.register(cls._running[n].close)
        return cls._running[n]

    def _connect(self) -> http.client.HTTPConnection:
        deadline = time.monotonic() + 30
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return conn
            except OSError:
                conn.close()
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("brandbot serve did not start") from None
                time.sleep(0.1)

    def get(self, path: str) -> str:
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        response = self.conn.getresponse()
        text = response.read().decode()
        assert response.status == 200, (path, response.status)
        return text

    def post(self, path: str) -> int:
        self.conn.request("POST", path, headers={"Cookie": self.cookie,
                                                 "X-CSRF-Token": self.csrf})
        response = self.conn.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _median_ms(fn: Callable[[], object], samples: int) -> float:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def queue_page_p50_ms(n: int, samples: int = 200) -> float:
    """Median time to load the queue page (first page, 50 drafts) over loopback."""
    site = WebQueue.for_size(n)
    return _median_ms(lambda: site.get("/"), samples)


def queue_search_p50_ms(n: int, samples: int = 200) -> float:
    """Median time to load a filtered, searched queue page over loopback."""
    site = WebQueue.for_size(n)
    return _median_ms(lambda: site.get("/?team=billing&q=refund"), samples)


def approve_p50_ms(n: int, samples: int = 200) -> float:
    """Median time of `POST /api/drafts/{id}/approve` (distinct pending drafts) over loopback."""
    site = WebQueue.for_size(n)
    pending = json.loads(site.get(f"/api/drafts?status=pending&limit={samples}"))
    ids = iter([d["id"] for d in pending])
    statuses: list[int] = []
    median = _median_ms(lambda: statuses.append(site.post(f"/api/drafts/{next(ids)}/approve")),
                        samples)
    assert set(statuses) == {200}, statuses
    return median


def _figure(values: list[float], **extra: object) -> dict[str, object]:
    return {"median": round(statistics.median(values), 3 if max(values) < 10 else 1),
            "min": round(min(values), 3 if max(values) < 10 else 1),
            "max": round(max(values), 3 if max(values) < 10 else 1),
            "runs": [round(v, 3 if max(values) < 10 else 1) for v in values], **extra}


Figures = dict[str, dict[str, object]]


def ingest_group(quick: bool) -> Figures:
    """The daemon over a replay feed, and VADER alone on the same texts, in the same run."""
    n, repeat = (20_000, 2) if quick else (100_000, 3)
    n_pg = 5_000 if quick else 20_000  # PostgreSQL: fewer posts, to fit `make bench`
    ingest, vader, analysis, pg, pg_vader = [], [], [], [], []
    for _ in range(repeat):
        ingest.append(ingest_bench.ingest_posts_per_s(n))
        vader.append(ingest_bench.vader_only_posts_per_s(n))
        analysis.append(ingest_bench.analysis_only_posts_per_s(min(n, 20_000)))
        pg.append(ingest_bench.ingest_postgres_posts_per_s(n_pg))
        pg_vader.append(ingest_bench.vader_only_posts_per_s(n_pg))
    what = {"posts": n, "how": "brandbot run --once over a replay file (100 posts a page) "
            "into a new SQLite file, process start to exit; VADER alone on the same texts"}
    what_pg = {"posts": n_pg, "how": "the same into a new PostgreSQL database (local server)"}
    return {"ingest_posts_per_s": _figure(ingest, **what),
            "vader_only_posts_per_s": _figure(vader, posts=n),
            "ingest_vs_vader": _figure([i / v for i, v in zip(ingest, vader, strict=True)],
                                       posts=n, goal=">= 0.7"),
            "analysis_only_posts_per_s": _figure(analysis, posts=min(n, 20_000)),
            "ingest_vs_analysis": _figure(
                [i / a for i, a in zip(ingest, analysis, strict=True)], posts=n),
            "ingest_postgres_posts_per_s": _figure(pg, **what_pg),
            "ingest_postgres_vs_vader": _figure(
                [i / v for i, v in zip(pg, pg_vader, strict=True)], posts=n_pg)}


def analyze_group(quick: bool) -> Figures:
    n, repeat = (5_000, 3) if quick else (30_000, 3)
    return {"analyze_posts_per_s": _figure([analyze_posts_per_s(n) for _ in range(repeat)],
                                           posts=n)}


def web_group(quick: bool) -> Figures:
    """Measured with a queue of N pending drafts (not N posts); each figure is itself a
    median of 200 requests over loopback."""
    drafts, repeat = (10_000, 1) if quick else (100_000, 3)
    benches: dict[str, Callable[[int], float]] = {
        "queue_page_p50_ms": queue_page_p50_ms, "queue_search_p50_ms": queue_search_p50_ms,
        "approve_p50_ms": approve_p50_ms}
    return {name: _figure([fn(drafts) for _ in range(repeat)], pending_drafts=drafts)
            for name, fn in benches.items()}


def digest_group(quick: bool) -> Figures:
    """Over the memory benchmark's store when it ran first (as in `make bench`), else over
    generated rows."""
    if _MEMORY_STORE:
        db = _MEMORY_STORE[-1]
        stored = int(query(db, "SELECT count(*) FROM mentions")[0][0])
        how = "the store `brandbot run` wrote in the memory benchmark"
    else:
        db, stored = None, 100_000 if quick else 1_000_000
        how = "generated rows"
    return {"digest_1m_s": _figure([digest_1m_s(stored, db) for _ in range(3)],
                                   stored_mentions=stored, store=how)}


def latency_group(quick: bool) -> Figures:
    """Post on a fake platform -> draft in the store, the real daemon following the fake."""
    runs, samples = (1, 8) if quick else (3, 15)
    poll = latency_bench.latency_runs("x", runs=runs, samples=samples)
    stream = latency_bench.latency_runs("mastodon", runs=runs, samples=samples)
    how = {"samples_per_run": samples}
    polling = {**how, "source": "x (fake), polling every 1 s"}
    streaming = {**how, "source": "mastodon (fake), hashtag streaming"}
    return {"poll_to_draft_p50_ms": _figure(poll["p50"], **polling),
            "poll_to_draft_p95_ms": _figure(poll["p95"], **polling),
            "stream_to_draft_p50_ms": _figure(stream["p50"], **streaming),
            "stream_to_draft_p95_ms": _figure(stream["p95"], **streaming)}


def requests_group(quick: bool) -> Figures:
    runs, seconds = (1, 15.0) if quick else (3, 25.0)
    spent = latency_bench.requests_per_new_post(runs=runs, seconds=seconds)
    how = {"schedule": f"{seconds:.0f} s of bursts (2-12 posts) between 3-12 s quiet spells",
           "source": "x (fake), interval 1 s"}
    return {"requests_per_new_post": _figure(spent["adaptive"], **how,
                                             max_interval="5 s (the default, 5 x interval)"),
            "requests_per_new_post_fixed_interval": _figure(spent["fixed"], **how,
                                                            max_interval="1 s (fixed)")}


# The store the memory benchmark's daemon wrote, for the digest benchmark after it.
_MEMORY_STORE: list[Path] = []


def memory_group(quick: bool) -> Figures:
    """One daemon over 1,000,000 posts (--quick: 200,000): its RSS at 100,000 and at the end."""
    n = 200_000 if quick else 1_000_000
    found, db = ingest_bench.daemon_memory(n)
    _MEMORY_STORE.append(db)
    how = {"posts": n, "how": "brandbot run following a replay file, "
           f"{ingest_bench.MEMORY_PAGE_SIZE} posts a page; VmRSS of the daemon and its "
           "analysis worker from /proc, median of 5 reads"}
    return {key: _figure([value], **how) for key, value in found.items()}


def jetstream_group(quick: bool) -> Figures:
    """The Jetstream source's matching over a synthetic firehose (one process, one core), and
    VADER alone on every tenth of the same posts."""
    n = 200_000 if quick else 1_000_000
    messages, texts = jetstream_bench.firehose(n)
    scans = [jetstream_bench.scan(messages, n) for _ in range(3)]
    matched = scans[0][1]
    vader = jetstream_bench.vader_posts_per_s(texts[::10])
    rates = [rate for rate, _ in scans]
    how = {"posts": n, "messages": len(messages), "matched": matched,
           "how": "FirehoseFilter.post_event + event_mention per raw message, in process"}
    return {"jetstream_scan_posts_per_s": _figure(rates, **how),
            "jetstream_vader_posts_per_s": _figure([vader], posts=len(texts[::10]),
                                                   how="VADER alone, every tenth post"),
            "jetstream_scan_vs_vader": _figure([r / vader for r in rates], posts=n,
                                               goal=">= 10")}


def replicas_group(quick: bool) -> Figures:
    """Daemons sharing one PostgreSQL database: ingest with 1, 2 and 3 replicas (six replay
    sources to lease out), and how long a SIGKILLed replica's lease takes to move."""
    n, repeat = (3_000, 1) if quick else (12_000, 2)
    found: Figures = {}
    for replicas in (1, 2, 3):
        rates = [replicas_bench.replicas_ingest_posts_per_s(replicas, n) for _ in range(repeat)]
        found[f"replicas_{replicas}_ingest_posts_per_s"] = _figure(
            rates, posts=n, sources=replicas_bench.SOURCES, store="postgresql")
    ttl = 6.0
    found["lease_move_s"] = _figure([replicas_bench.lease_move_s(ttl) for _ in range(3)],
                                    lease_ttl_s=ttl, bound_s=ttl + ttl / 3)
    return found


# Group -> the figures it writes. Each group runs its own processes and cleans up after itself.
GROUPS: dict[str, tuple[Callable[[bool], Figures], tuple[str, ...]]] = {
    "analyze": (analyze_group, ("analyze_posts_per_s",)),
    "ingest": (ingest_group, ("ingest_posts_per_s", "vader_only_posts_per_s",
                              "ingest_vs_vader", "analysis_only_posts_per_s",
                              "ingest_vs_analysis", "ingest_postgres_posts_per_s",
                              "ingest_postgres_vs_vader")),
    "web": (web_group, ("queue_page_p50_ms", "queue_search_p50_ms", "approve_p50_ms")),
    "memory": (memory_group, ("rss_mb_after_100k", "rss_mb_after_1m", "rss_growth_1m_vs_100k",
                              "peak_rss_mb", "daemon_posts_per_s")),
    "digest": (digest_group, ("digest_1m_s",)),  # after memory: it reads that store
    "latency": (latency_group, ("poll_to_draft_p50_ms", "poll_to_draft_p95_ms",
                                "stream_to_draft_p50_ms", "stream_to_draft_p95_ms")),
    "requests": (requests_group, ("requests_per_new_post",
                                  "requests_per_new_post_fixed_interval")),
    "jetstream": (jetstream_group, ("jetstream_scan_posts_per_s",
                                    "jetstream_vader_posts_per_s", "jetstream_scan_vs_vader")),
    "replicas": (replicas_group, ("replicas_1_ingest_posts_per_s",
                                  "replicas_2_ingest_posts_per_s",
                                  "replicas_3_ingest_posts_per_s", "lease_move_s")),
}
# Groups past `make bench`'s 10 minutes: `make bench-long` (or --long) adds them.
LONG = {"replicas"}
# A group run beside another when both are chosen: requests are counted, not timed, and their
# daemons idle between polls, so they share the machine with the memory run's long ingest
# (which only reads resident memory) instead of adding their minute to `make bench`.
BESIDE = {"memory": "requests"}


# What each figure is, for the table in docs/performance.md (`python -m bench.run --markdown`),
# and its goal.
ABOUT: dict[str, tuple[str, str]] = {
    "ingest_posts_per_s": ("`brandbot run --once`, 100,000-post replay feed into a new "
                           "SQLite file: parse, dedupe, analyse, store, case, draft", ""),
    "vader_only_posts_per_s": ("VADER alone on the same texts, same run", ""),
    "ingest_vs_vader": ("ingest rate / VADER-alone rate", ">= 0.7"),
    "analysis_only_posts_per_s": ("analysis alone (VADER, both models, triage, intents) on "
                                  "the same texts, in-process, no start-up", ""),
    "ingest_vs_analysis": ("ingest rate / analysis-alone rate: how close storing, cases and "
                           "drafts come to the cost of judging a post", ""),
    "ingest_postgres_posts_per_s": ("the same into a new PostgreSQL database (local server), "
                                    "20,000 posts", ""),
    "ingest_postgres_vs_vader": ("PostgreSQL ingest rate / VADER-alone rate on the same "
                                 "texts", ""),
    "analyze_posts_per_s": ("`brandbot analyze`, 30,000 posts, process start included",
                            ">= 3,000"),
    "poll_to_draft_p50_ms": ("post on a fake X (control API) to its draft in the store, "
                             "daemon polling every 1 s", ""),
    "poll_to_draft_p95_ms": ("the same, 95th percentile", ""),
    "stream_to_draft_p50_ms": ("post on a fake Mastodon to its draft, hashtag streaming", ""),
    "stream_to_draft_p95_ms": ("the same, 95th percentile", ""),
    "queue_page_p50_ms": ("queue page, 100,000 pending drafts, over loopback", "< 100"),
    "queue_search_p50_ms": ("team filter + full-text search, 100,000 pending drafts", ""),
    "approve_p50_ms": ("`POST /api/drafts/{id}/approve`, 100,000 pending drafts", "< 50"),
    "digest_1m_s": ("weekly digest over the memory run's store: 1,000,000 mentions, all "
                    "within two weeks", "< 5"),
    "requests_per_new_post": ("search requests per new post, bursts and quiet spells, "
                              "interval 1 s adaptive (up to 5 s when quiet)", ""),
    "requests_per_new_post_fixed_interval": ("the same schedule, fixed 1 s interval", ""),
    "replicas_1_ingest_posts_per_s": ("one `brandbot run` on PostgreSQL, six replay sources, "
                                      "12,000 posts, start to last post stored "
                                      "(`make bench-long`)", ""),
    "replicas_2_ingest_posts_per_s": ("the same with two replicas sharing the sources", ""),
    "replicas_3_ingest_posts_per_s": ("the same with three replicas", ""),
    "lease_move_s": ("SIGKILL of the replica holding a source until another holds it "
                     "(lease_ttl 6 s)", "<= 8"),
    "rss_mb_after_100k": ("daemon (and analysis worker) VmRSS after 100,000 posts", ""),
    "rss_mb_after_1m": ("the same after 1,000,000 posts", ""),
    "rss_growth_1m_vs_100k": ("RSS after 1,000,000 / after 100,000", "< 1.5"),
    "peak_rss_mb": ("daemon peak RSS (VmHWM) over the 1,000,000 posts", ""),
    "daemon_posts_per_s": ("the daemon's ingest rate over those 1,000,000 posts, 1,000 a "
                           "page", ""),
    "jetstream_scan_posts_per_s": ("Jetstream source: firehose posts matched against the "
                                   "brand a second on one core, 1,000,000 synthetic posts in "
                                   "Jetstream's shape (one in a thousand about the brand) "
                                   "and 50,000 identity, account and delete events", ""),
    "jetstream_vader_posts_per_s": ("VADER alone on every tenth of the same posts", ""),
    "jetstream_scan_vs_vader": ("Jetstream matching rate / VADER-alone rate", ">= 10"),
}


def _number(value: float) -> str:
    return f"{value:,}"  # as results.json has it (rounded there), with thousands separators


def markdown(results: dict[str, object]) -> str:
    """The performance table of docs/performance.md, exactly as bench/results.json has it."""
    figures: Figures = results["figures"]  # type: ignore[assignment]
    lines = ["| figure | what | median | min – max | runs | goal |",
             "|---|---|---:|---:|---:|---|"]
    for name, (what, goal) in ABOUT.items():
        if name not in figures:
            continue
        f = figures[name]
        lines.append(f"| `{name}` | {what} | {_number(f['median'])} | "  # type: ignore[arg-type]
                     f"{_number(f['min'])} – {_number(f['max'])} | "  # type: ignore[arg-type]
                     f"{len(f['runs'])} | {goal} |")  # type: ignore[arg-type]
    return "\n".join(lines)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _table(figures: Figures, names: list[str]) -> str:
    rows = [("figure", "median", "min", "max", "runs")]
    for name in names:
        f = figures[name]
        values = [f["median"], f["min"], f["max"]]
        rows.append((name, *(f"{v:,}" for v in values), str(len(f["runs"]))))  # type: ignore[arg-type]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(f"{r[0]:<{widths[0]}}  " + "  ".join(
        f"{c:>{w}}" for c, w in zip(r[1:], widths[1:], strict=True)) for r in rows)


class _Run(threading.Thread):
    """One group's measurement, in this thread (`run`) or beside it (`start`)."""

    def __init__(self, group: str, quick: bool) -> None:
        super().__init__(name=f"bench-{group}")
        self.group, self.quick = group, quick
        self.found: Figures = {}
        self.seconds = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        began = time.perf_counter()
        try:
            self.found = GROUPS[self.group][0](self.quick)
        except BaseException as exc:  # raised by the caller, in the main thread
            self.error = exc
        self.seconds = round(time.perf_counter() - began, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--only", nargs="*", choices=sorted(GROUPS),
                        help="run only these groups")
    parser.add_argument("--quick", action="store_true", help="fewer posts and runs")
    parser.add_argument("--long", action="store_true",
                        help="also the groups that take too long for `make bench` (replicas)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the docs/performance.md table from bench/results.json and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(RESULTS.read_text())))
        return 0
    chosen = args.only or [g for g in GROUPS if args.long or g not in LONG]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    figures = results.setdefault("figures", {})
    measured: list[str] = []
    timings = {}
    started = time.perf_counter()
    done: set[str] = set()
    for group in chosen:
        if group in done:
            continue
        beside = BESIDE.get(group)
        together = [group, beside] if beside in chosen else [group]
        print(f"{' and '.join(together)}: measuring "
              f"{', '.join(n for g in together for n in GROUPS[g][1])}", flush=True)
        runs = [_Run(g, args.quick) for g in together]
        for run in runs[1:]:
            run.start()
        runs[0].run()
        for run in runs:
            if run is not runs[0]:
                run.join()
            if run.error is not None:
                raise run.error
            timings[run.group] = run.seconds
            names = GROUPS[run.group][1]
            for name in names:
                run.found[name]["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime())
                if args.quick:
                    run.found[name]["quick"] = True
                if len(runs) > 1:
                    run.found[name]["beside"] = next(r.group for r in runs if r is not run)
            figures.update(run.found)
            measured += names
            done.add(run.group)
            print(_table(run.found, list(names)) + f"\n  ({run.group}: {run.seconds} s)\n",
                  flush=True)
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "cpu_model": _cpu_model(), "platform": platform.platform()}
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["wall_time_s"] = {**results.get("wall_time_s", {}), **timings}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(_table(figures, measured))
    print(f"wrote {RESULTS.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
