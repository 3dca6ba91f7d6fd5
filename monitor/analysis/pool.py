"""Analysis beside the daemon: worker processes that analyse pages while the store writes."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from monitor.analysis.analyzer import Analyzer, Post
from monitor.models import Analysis

log = logging.getLogger("brandbot.analysis")

# The worker process's analyzer (set once, when the worker starts).
_worker_analyzer: Analyzer | None = None


def _start_worker(analyzer: Analyzer, parent: int) -> None:
    """Set up an analysis worker: its analyzer, and an exit when the daemon is gone.

    A pool's workers would outlive a daemon killed with SIGKILL (they wait on a queue the
    dead parent can no longer close), so each watches its parent and leaves when it changes.
    SIGINT is the daemon's to handle: a Ctrl-C in the terminal reaches the worker too.
    """
    global _worker_analyzer
    _worker_analyzer = analyzer
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _analyze_posts(posts: Sequence[Post]) -> list[Analysis]:
    assert _worker_analyzer is not None, "not an analysis worker"
    return analyze_posts(_worker_analyzer, posts)


def analyze_posts(analyzer: Analyzer, posts: Sequence[Post]) -> list[Analysis]:
    """Analyse posts, in order."""
    return [analyzer.analyze_post(post) for post in posts]


class AnalysisPool:
    """Analyses posts in worker processes, beside the daemon's event loop and store writer.

    Threads would share one core (analysis is pure Python, so the GIL serialises it with the
    writer); a worker process gives it another. Each worker gets a copy of the analyzer when
    it starts. If a worker dies (the OOM killer, say), that page is analysed in the daemon's
    own process and a fresh pool serves the next; `ensure` replaces one that died between
    pages. Each replacement is counted (`restarts`, and `on_restart` is called).
    """

    def __init__(self, analyzer: Analyzer, workers: int = 1, *,
                 on_restart: Callable[[], None] | None = None) -> None:
        self.analyzer = analyzer
        self.workers = workers
        self.on_restart = on_restart
        self.restarts = 0
        # Why no worker can take a page (its start failed), or None; set by `ensure`.
        self.dead: str | None = None
        self._probed = False
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the daemon has threads (store, web) that a fork would copy mid-step
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self.analyzer, os.getpid()))

    async def analyze(self, posts: Sequence[Post]) -> list[Analysis]:
        """The analyses of `posts`, in order."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _analyze_posts, list(posts))
        except BrokenProcessPool:
            log.warning("an analysis worker died; analysing this page in the daemon and "
                        "starting a new worker", extra={"event": "analysis_worker_died"})
            self._restart()
            return await asyncio.to_thread(analyze_posts, self.analyzer, posts)

    def _broken(self) -> bool:
        # CPython's executor marks itself broken as soon as a worker process dies.
        return bool(getattr(self._executor, "_broken", False))

    def _restart(self) -> None:
        self._executor.shutdown(wait=False)
        self._executor = self._start()
        self._probed = False
        self.restarts += 1
        if self.on_restart is not None:
            self.on_restart()

    async def ensure(self) -> None:
        """Replace a worker that died since the last page, and see that one starts (workers
        start with their first task: this gives them one); `dead` says why none could."""
        if self._broken():
            if self.dead is None:  # while none can start, the one line below says so
                log.warning("an analysis worker died; starting a new one",
                            extra={"event": "analysis_worker_died"})
            self._restart()
        if self._probed and self.dead is None:
            return
        executor = self._executor
        try:
            await asyncio.get_running_loop().run_in_executor(executor, os.getpid)
        except (BrokenProcessPool, OSError) as exc:
            if executor is not self._executor:  # a page's analysis replaced it meanwhile
                return
            if self.dead is None:
                log.error("no analysis worker could start (%s: %s); posts are analysed in "
                          "the daemon meanwhile", type(exc).__name__, exc,
                          extra={"event": "analysis_worker_failed"})
            self.dead = f"{type(exc).__name__}: {exc}"
            return
        except RuntimeError:  # closed: a reload replaced this pool
            return
        if self.dead is not None:
            log.info("an analysis worker is running again",
                     extra={"event": "analysis_worker_started"})
        self._probed = True
        self.dead = None

    def close(self, *, wait: bool = False) -> None:
        """Let the workers finish what they were given, then exit; with `wait`, return once
        they have. (At the process's end, wait: Python 3.11's exit hook may otherwise wake an
        executor whose pipe its own thread is closing that instant, and print a traceback.)"""
        self._executor.shutdown(wait=wait)
