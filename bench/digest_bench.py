"""digest_1m_s: a weekly digest over a store holding N mentions (all within two weeks, so
the digest and its comparison period read every one of them: the hard case).

`make bench` runs it on the store the memory benchmark's daemon wrote (a million posts through
the whole pipeline, with their cases and drafts); alone, it seeds generated rows."""

from __future__ import annotations

import atexit
import json
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from bench.corpus import posts
from monitor.digest import Period, digest_for, render_html
from monitor.models import iso, parse_iso
from monitor.settings import Settings
from monitor.store import Store

END = datetime(2026, 11, 23, tzinfo=UTC)
SETTINGS = Settings.model_validate({
    "brand": {"name": "Brightwave", "keywords": ["brightwave"], "hashtags": ["brightwave"],
              "handles": {"x": ["BrightwaveHelp"]},
              "competitors": {"Tidalnet": ["tidalnet"], "Orbitel": ["orbitel"]}},
})
COLUMNS = ("id", "platform", "native_id", "source", "url", "author_id", "text", "lang",
           "created_at", "fetched_at", "matched_terms", "metrics", "compound", "pos", "neu",
           "neg", "sentiment", "is_complaint", "complaint_probability", "intent", "priority",
           "reasons", "raw")


@cache
def seeded(n: int) -> Path:
    """A store with n mentions spread over the 14 days before END (built once per run)."""
    folder = Path(tempfile.mkdtemp(prefix="brandbot-digest-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # ~1 GB at a million mentions
    db = folder / "digest.db"
    store = Store(db)
    rng = random.Random(11)
    platforms = ("x", "reddit", "mastodon", "bluesky", "hackernews")
    store.load_rows("authors", ("id", "platform", "native_id", "handle", "followers",
                                "first_seen_at", "last_seen_at"),
                    [(f"{p}:u{i}", p, f"u{i}", f"u{i}", rng.randrange(10, 200_000), iso(END),
                      iso(END)) for i in range(2_000) for p in platforms])
    texts = posts(5_000, seed=3)
    labels = [["brightwave"], ["brightwave", "competitor:Tidalnet"], ["competitor:Orbitel"],
              ["#brightwave"]]
    intents = ("billing", "outage", "equipment", "bug", "account", "other", "question")
    span = 14 * 86_400
    chunk = 100_000
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(n, start + chunk)):
            platform = platforms[i % 5]
            compound = rng.uniform(-1, 1)
            label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 \
                else "neutral"
            created = END - timedelta(seconds=rng.randrange(span))
            rows.append((
                f"{platform}:{i}", platform, str(i), "bench", None,
                f"{platform}:u{rng.randrange(2_000)}", texts[i % len(texts)], "en",
                iso(created), iso(created), json.dumps(labels[i % 4]),
                json.dumps({"likes": rng.randrange(50)}), compound, 0.2, 0.6, 0.2, label,
                int(compound < -0.2), 0.5, intents[i % 7], "normal", "[]", "{}",
            ))
        store.load_rows("mentions", COLUMNS, rows)
    store.close()
    return db


def digest_1m_s(n: int, db: Path | None = None) -> float:
    """Seconds for `brandbot digest --since 7d --format html`'s work over n stored mentions:
    those of `db` (a store the daemon wrote, all within 14 days of its last post), else a
    store of generated rows."""
    store = Store(db if db is not None else seeded(n), migrate=False)
    try:
        if db is None:
            end = END
        else:  # just after the last post, so that the two weeks hold every one
            last = store.conn.execute("SELECT max(created_at) FROM mentions").fetchone()[0]
            end = parse_iso(last) + timedelta(seconds=1)
        started = time.perf_counter()
        document = digest_for(SETTINGS, store, Period(end - timedelta(days=7), end), now=end)
        render_html(document)
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    assert document["volume"]["total"] + document["volume"]["previous_total"] == n
    return elapsed
