"""Ingest throughput and memory of the real daemon, fed by a replay file of generated posts.

Every post names the brand and is analysed, stored, put in a case and (when its case has no
reply waiting) given a draft: no filler that the pipeline could skip.
"""

from __future__ import annotations

import atexit
import shutil
import statistics
import tempfile
import time
from functools import cache
from pathlib import Path

from bench.corpus import posts
from bench.daemon import Daemon, query, wait_until, write_config, write_feed

PAGE_SIZE = 100  # what X's recent search returns per request at most


@cache
def feed(n: int, spacing: float = 2.0) -> tuple[Path, tuple[int, ...]]:
    """A replay file of n posts, one every `spacing` seconds (written once per run, removed
    at exit), and its 100,000-line byte offsets."""
    folder = Path(tempfile.mkdtemp(prefix="brandbot-feed-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / f"feed-{n}.jsonl"
    return path, tuple(write_feed(path, n, spacing=spacing))


def _replay_source(path: Path, interval: str, page_size: int = PAGE_SIZE) -> str:
    return (f'\n[[sources]]\nname = "feed"\nplatform = "replay"\npath = "{path}"\n'
            f'page_size = {page_size}\ninterval = "{interval}"\n')


def ingest_posts_per_s(n: int) -> float:
    """`brandbot run --once` over n posts into a new SQLite file: process start to exit."""
    path, _ = feed(n)
    folder = Path(tempfile.mkdtemp(prefix="brandbot-ingest-"))
    try:
        config, db = write_config(folder, _replay_source(path, "60s"))
        start = time.perf_counter()
        Daemon(config, once=True).wait(timeout=1800)
        elapsed = time.perf_counter() - start
        stored = query(db, "SELECT count(*) FROM mentions")[0][0]
        assert stored == n, f"stored {stored} of {n} posts"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return n / elapsed


def ingest_postgres_posts_per_s(n: int) -> float:
    """The same over n posts into a new PostgreSQL database (the local server the tests use,
    or $BRANDBOT_BENCH_POSTGRES)."""
    import psycopg

    from bench.replicas_bench import database

    path, _ = feed(n)
    folder = Path(tempfile.mkdtemp(prefix="brandbot-ingest-pg-"))
    try:
        with database() as url:
            config, _ = write_config(folder, _replay_source(path, "60s"))
            config.write_text(config.read_text().replace(
                f'url = "sqlite:///{folder / "bench.db"}"', f'url = "{url}"'))
            start = time.perf_counter()
            Daemon(config, once=True).wait(timeout=1800)
            elapsed = time.perf_counter() - start
            with psycopg.connect(url) as conn:
                stored = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
            assert stored == n, f"stored {stored} of {n} posts"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return n / elapsed


def vader_only_posts_per_s(n: int) -> float:
    """VADER alone on the texts of the same feed, in this process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = posts(n)
    vader = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    for text in texts:
        vader.polarity_scores(text)
    return n / (time.perf_counter() - start)


def analysis_only_posts_per_s(n: int) -> float:
    """Analysis alone (everything `Analyzer.analyze_post` concludes: VADER, the complaint and
    escalation models, triage, intents) on the same feed's posts, in this process, for the
    bench brand: the bound the write path works against."""
    from monitor.analysis import Post, make_analyzer
    from monitor.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        config, _ = write_config(Path(tmp), "")
        analyzer = make_analyzer(load_settings(config, environ={}))
    batch = [Post(text, handle=f"user{i % 997}") for i, text in enumerate(posts(n))]
    start = time.perf_counter()
    for post in batch:
        analyzer.analyze_post(post)
    return n / (time.perf_counter() - start)


# The memory run's feed: a post every 1.2 s puts a million within 14 days, so the store it
# leaves is the digest's hard case too (the week and the week before it hold every post).
MEMORY_SPACING = 1.2
MEMORY_PAGE_SIZE = 1000  # a replay source's page, as Hacker News's search allows


def daemon_memory(n: int) -> tuple[dict[str, float], Path]:
    """The running daemon's resident memory after 100,000 posts and after n, and its rate.

    `brandbot run` follows a replay file of n posts (one source, a page per request, as it
    would follow a platform); VmRSS (the daemon's and its analysis worker's) is read from
    /proc when the stored cursor passes the 100,000th post and again at the last, then the
    daemon is stopped with SIGTERM. Returns the figures and the store it wrote (removed at
    exit), which the digest benchmark reads next.
    """
    path, marks = feed(n, MEMORY_SPACING)
    folder = Path(tempfile.mkdtemp(prefix="brandbot-memory-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # ~2 GB at a million posts
    config, db = write_config(folder, _replay_source(path, "1s", MEMORY_PAGE_SIZE))

    def offset() -> int:
        rows = query(db, "SELECT cursor FROM cursors WHERE source = 'feed'")
        return int(rows[0][0]) if rows and rows[0][0] else 0

    daemon = Daemon(config, log_level="warning")
    try:
        start = time.perf_counter()
        wait_until(lambda: offset() >= marks[0], timeout=3600, every=0.2, daemon=daemon,
                   what="the first 100,000 posts")
        at_100k = statistics.median(daemon.rss_mb() for _ in range(5))
        wait_until(lambda: offset() >= marks[-1], timeout=3600, every=0.2, daemon=daemon,
                   what=f"all {n:,} posts")
        elapsed = time.perf_counter() - start
        at_end = statistics.median(daemon.rss_mb() for _ in range(5))
        peak = daemon.peak_rss_mb()
    finally:
        daemon.stop()
    stored = query(db, "SELECT count(*) FROM mentions")[0][0]
    assert stored == n, f"stored {stored} of {n} posts"
    return {"rss_mb_after_100k": at_100k, "rss_mb_after_1m": at_end, "peak_rss_mb": peak,
            "rss_growth_1m_vs_100k": at_end / at_100k, "daemon_posts_per_s": n / elapsed}, db
