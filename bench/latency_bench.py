"""The daemon against local fake platforms: post-to-draft latency and requests per new post.

Each fake runs as its own process (`python -m tests.fakes.<platform>`); the bench adds posts
through its control API (`POST /_fake/posts`) and counts the API requests it logged.
"""

from __future__ import annotations

import http.client
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.daemon import ROOT, Daemon, clean_env, wait_until, write_config

# Complaints (each scored as one by `brandbot analyze`, with or without the hashtag) that
# open a case with a reply draft, one new author per post.
COMPLAINTS = (
    "you charged me twice this month and I still have no refund",
    "the router I ordered never arrived, tracking says delivered",
    "the app crashes every time I open it after the update",
    "locked out of my account, reset link never comes",
    "trying to cancel for three weeks and still getting bills",
)


class Fake:
    """A fake platform server process and a client for its control API."""

    def __init__(self, platform: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"tests.fakes.{platform}", "--port", "0"], cwd=ROOT,
            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the fake {platform} did not start: {line!r}")
        self.url = line.split()[1]
        self.conn = http.client.HTTPConnection(self.url.removeprefix("http://"), timeout=10)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = json.loads(response.read())
        assert response.status == 200, (path, response.status, data)
        return data

    def add(self, author: str, text: str) -> None:
        """Publish a post on the fake, as a user would."""
        self._call("POST", "/_fake/posts", {"native_id": None, "author": author, "text": text})

    def requests(self, prefix: str = "/") -> list[str]:
        """The paths of the API requests the fake has served so far."""
        return [path for _, path, _ in self._call("GET", "/_fake/state")["requests"]
                if path.startswith(prefix)]

    def close(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


SOURCES = {
    "x": ('\n[[sources]]\nname = "x"\nplatform = "x"\nbase_url = "{url}"\ntimeout = "5s"\n'
          'interval = "{interval}"\n{extra}'),
    "mastodon": ('\n[[sources]]\nname = "mastodon"\nplatform = "mastodon"\nbase_url = "{url}"\n'
                 'hashtags = ["brightwave"]\naccess_token_env = "MASTODON_TOKEN"\n'
                 'stream = true\ntimeout = "5s"\n'),
}
TOKENS = {"X_BEARER_TOKEN": "x-app-bearer", "MASTODON_TOKEN": "masto-token"}


class Site:
    """A fake platform and `brandbot run` following it, in a folder of their own."""

    def __init__(self, platform: str, *, interval: str = "1s", extra: str = "") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"brandbot-{platform}-"))
        self.fake = Fake(platform)
        config, self.db = write_config(self.folder, SOURCES[platform].format(
            url=self.fake.url, interval=interval, extra=extra))
        self.daemon = Daemon(config, env=TOKENS)
        # listening: the first search made, or the stream opened
        first = "/api/v1/streaming" if platform == "mastodon" else "/"
        wait_until(lambda: self.fake.requests(first), timeout=60, daemon=self.daemon,
                   what=f"the daemon to reach the fake {platform}")
        self.reader = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True,
                                      check_same_thread=False)

    def drafts_by(self, author: str) -> int:
        """How many drafts answer posts by `author` (matched on the stored handle)."""
        return int(self.reader.execute(
            "SELECT count(*) FROM drafts d JOIN mentions m ON m.id = d.mention_id "
            "JOIN authors a ON a.id = m.author_id WHERE a.handle = ? OR a.handle LIKE ?",
            (author, f"{author}@%"),
        ).fetchone()[0])

    def stored(self) -> int:
        return int(self.reader.execute("SELECT count(*) FROM mentions").fetchone()[0])

    def close(self) -> None:
        self.reader.close()
        self.daemon.stop()
        self.fake.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def post_to_draft_ms(site: Site, *, samples: int, tag: str, rng: random.Random,
                     pause: float, hashtag: bool = False) -> list[float]:
    """Latency of each post, from its publication on the fake to its draft in the store.

    Posts go one at a time, each after a random pause of up to `pause` seconds (a poll
    interval: so they land at every point of it); the store is checked every 2 ms.
    """
    latencies = []
    for i in range(samples):
        time.sleep(rng.uniform(0, pause))
        author = f"{tag}{i}"
        text = f"@BrightwaveHelp {rng.choice(COMPLAINTS)}" + (" #brightwave" if hashtag else "")
        start = time.perf_counter()
        site.fake.add(author, text)
        wait_until(lambda author=author: site.drafts_by(author), timeout=30, every=0.002,
                   daemon=site.daemon, what=f"the draft for {author}'s post")
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation between the closest ranks)."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def latency_runs(platform: str, *, runs: int, samples: int) -> dict[str, list[float]]:
    """p50 and p95 of each run of `samples` posts against one daemon."""
    rng = random.Random(3)
    if platform == "x":  # polling at a fixed 1 s, the shortest interval a config would use
        site = Site("x", interval="1s", extra='max_interval = "1s"\n')
    else:
        site = Site("mastodon")
    try:
        p50, p95 = [], []
        for run in range(runs):
            values = post_to_draft_ms(site, samples=samples, tag=f"{platform}{run}_", rng=rng,
                                      pause=1.0 if platform == "x" else 0.2,
                                      hashtag=platform == "mastodon")
            p50.append(percentile(values, 50))
            p95.append(percentile(values, 95))
    finally:
        site.close()
    return {"p50": p50, "p95": p95}


# --- requests per new post ----------------------------------------------------------------


def bursty_schedule(seconds: float, rng: random.Random) -> list[float]:
    """Arrival times of posts: bursts of 2-12 posts a few tenths apart between quiet spells
    of 3-12 s (a thread that takes off, then nothing), starting and ending quiet."""
    times, now = [], rng.uniform(3, 6)
    while now < seconds - 4:
        for _ in range(rng.randint(2, 12)):
            times.append(now)
            now += rng.uniform(0.05, 0.6)
        now += rng.uniform(3, 12)
    return times


def requests_per_new_post(*, runs: int, seconds: float) -> dict[str, list[float]]:
    """Search requests per stored post, adaptive interval (1 s, the default 5 x when quiet)
    and fixed 1 s side by side: two fakes and two daemons fed the same bursty schedule.

    The runs go side by side too, each with its own fakes, daemons and schedule: the figure
    is a count of requests, which the daemons' idle polling does not make CPU-bound, and a
    run is mostly waiting through its quiet spells."""
    out: dict[str, list[float]] = {"adaptive": [], "fixed": []}
    found: list[dict[str, float] | BaseException] = [{} for _ in range(runs)]

    def one(run: int) -> None:
        try:
            found[run] = _requests_run(run, seconds)
        except BaseException as exc:  # raised below, in the caller's thread
            found[run] = exc

    threads = [threading.Thread(target=one, args=(run,)) for run in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in found:
        if isinstance(result, BaseException):
            raise result
        for name, value in result.items():
            out[name].append(value)
    return out


def _requests_run(run: int, seconds: float) -> dict[str, float]:
    sites = {"adaptive": Site("x", interval="1s"),
             "fixed": Site("x", interval="1s", extra='max_interval = "1s"\n')}
    try:
        schedule = bursty_schedule(seconds, random.Random(100 + run))
        before = {name: (len(s.fake.requests("/2/tweets/search")), s.stored())
                  for name, s in sites.items()}
        start = time.perf_counter()
        for i, at in enumerate(schedule):
            time.sleep(max(0.0, at - (time.perf_counter() - start)))
            author, text = f"burst{run}_{i}", f"@BrightwaveHelp {COMPLAINTS[i % 5]}"
            _each(lambda s, a=author, t=text: s.fake.add(a, t), list(sites.values()))
        time.sleep(max(0.0, seconds - (time.perf_counter() - start)))
        spent = {}
        for name, site in sites.items():
            expected = before[name][1] + len(schedule)
            wait_until(lambda site=site, n=expected: site.stored() == n, timeout=30,
                       daemon=site.daemon, what=f"{name}: every post of the schedule")
            requests = len(site.fake.requests("/2/tweets/search")) - before[name][0]
            spent[name] = requests / len(schedule)
        return spent
    finally:
        for site in sites.values():
            site.close()


def _each(fn: Callable[[Site], None], sites: list[Site]) -> None:
    """Call fn on every site at (nearly) the same moment."""
    threads = [threading.Thread(target=fn, args=(site,)) for site in sites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
