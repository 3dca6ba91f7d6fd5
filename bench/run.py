"""`make bench`: measure brandbot and write bench/results.json (each figure: median, spread).

Run: python -m bench.run [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import posts

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


BENCHMARKS: dict[str, Callable[[int], float]] = {
    "analyze_posts_per_s": analyze_posts_per_s,
    "vader_only_posts_per_s": vader_only_posts_per_s,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="fewer posts and runs")
    args = parser.parse_args(argv)
    n, repeat = (5_000, 3) if args.quick else (30_000, 5)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("figures", {})
    for name in args.only or BENCHMARKS:
        figure = _runs(lambda name=name: BENCHMARKS[name](n), repeat)
        results["figures"][name] = figure
        print(f"{name:<28} {figure['median']:>12,.1f}  (min {figure['min']:,.1f}, "
              f"max {figure['max']:,.1f}, {repeat} runs of {n:,} posts)")
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform(), "processor": platform.machine()}
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
