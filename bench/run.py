"""`make bench`: measure brandbot and write bench/results.json (each figure: median, spread).

Run: python -m bench.run [--only NAME ...] [--quick]
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
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from bench.corpus import posts
from bench.digest_bench import digest_1m_s

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


def _runs(fn: Callable[[], float], repeat: int) -> dict[str, float | list[float]]:
    values = [fn() for _ in range(repeat)]
    return {"median": round(statistics.median(values), 1), "min": round(min(values), 1),
            "max": round(max(values), 1), "runs": [round(v, 1) for v in values]}


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


def vader_only_posts_per_s(n: int) -> float:
    """VADER alone on the same texts, in this process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = posts(n)
    vader = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    for text in texts:
        vader.polarity_scores(text)
    return n / (time.perf_counter() - start)


# --- the web queue ---------------------------------------------------------------------------

BENCH_CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[routing]
default_team = "care"

[routing.teams.billing]
intents = ["billing", "cancellation"]

[routing.teams.network]
intents = ["outage"]

[routing.teams.logistics]
intents = ["delivery"]

[storage]
url = "sqlite:///bench.db"
"""
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
        Intent,
        Mention,
        Priority,
        Role,
        Sentiment,
    )
    from monitor.settings import Settings
    from monitor.store import Store
    from responders.auth import hash_password

    rules = CaseRules.from_settings(Settings.model_validate(
        {"brand": {"name": "Brightwave", "keywords": ["brightwave"]},
         "routing": {"default_team": "care", "teams": {
             "billing": {"intents": ["billing", "cancellation"]},
             "network": {"intents": ["outage"]}, "logistics": {"intents": ["delivery"]}}}}))

    def drafter(case: object, m: Mention, a: Analysis) -> DraftSpec:
        return DraftSpec(text=f"Hi {m.author.handle}, sorry about that. DM us and we'll help.",
                         template="default")

    def planner(new: object, context: object) -> object:
        return plan_page(new, context, rules=rules, drafter=drafter)  # type: ignore[arg-type]

    texts = posts(n)
    platforms = ("x", "x", "reddit", "mastodon", "bluesky")
    intents = list(Intent)
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


BENCHMARKS: dict[str, Callable[[int], float]] = {
    "analyze_posts_per_s": analyze_posts_per_s,
    "vader_only_posts_per_s": vader_only_posts_per_s,
}
# Measured with a queue of N pending drafts (not N posts); each figure is itself a median.
WEB_BENCHMARKS: dict[str, Callable[[int], float]] = {
    "queue_page_p50_ms": queue_page_p50_ms,
    "queue_search_p50_ms": queue_search_p50_ms,
    "approve_p50_ms": approve_p50_ms,
}
# Measured over a store of N mentions (1,000,000; --quick: 100,000), seeded once per run.
DIGEST_BENCHMARKS: dict[str, Callable[[int], float]] = {"digest_1m_s": digest_1m_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--only", nargs="*",
                        choices=sorted({*BENCHMARKS, *WEB_BENCHMARKS, *DIGEST_BENCHMARKS}))
    parser.add_argument("--quick", action="store_true", help="fewer posts and runs")
    args = parser.parse_args(argv)
    n, repeat = (5_000, 3) if args.quick else (30_000, 5)
    drafts, web_repeat = (10_000, 1) if args.quick else (100_000, 3)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("figures", {})
    stored = 100_000 if args.quick else 1_000_000
    for name in args.only or [*BENCHMARKS, *WEB_BENCHMARKS, *DIGEST_BENCHMARKS]:
        if name in BENCHMARKS:
            figure = _runs(lambda name=name: BENCHMARKS[name](n), repeat)
            what = f"{repeat} runs of {n:,} posts"
        elif name in DIGEST_BENCHMARKS:
            figure = {**_runs(lambda name=name: DIGEST_BENCHMARKS[name](stored), 3),
                      "stored_mentions": stored}
            what = f"3 runs, weekly digest over {stored:,} stored mentions"
        else:
            figure = _runs(lambda name=name: WEB_BENCHMARKS[name](drafts), web_repeat)
            figure["pending_drafts"] = drafts
            what = f"{web_repeat} runs of 200 requests, {drafts:,} pending drafts"
        results["figures"][name] = figure
        print(f"{name:<28} {figure['median']:>12,.1f}  (min {figure['min']:,.1f}, "
              f"max {figure['max']:,.1f}, {what})")
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform(), "processor": platform.machine()}
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
