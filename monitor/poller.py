"""Runs every source: adaptive interval with jitter, cursors, rate-limit waits, backoff, parking.

Like Home Assistant's DataUpdateCoordinator, this is the one place that schedules requests and
decides what an adapter's error means; adapters only make a request and raise.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import backoff

from monitor.models import Page, RateLimit, iso
from monitor.pipeline import Pipeline, Prepared
from monitor.platforms.base import AuthFailed, Platform, PlatformError, RateLimited, Unavailable
from monitor.sleep import Sleeper, interruptible_sleep
from monitor.store import AsyncStore, StoreUnavailable

log = logging.getLogger("brandbot.poller")


class SourceState(StrEnum):
    STARTING = "starting"
    OK = "ok"
    BACKING_OFF = "backing_off"
    RATE_LIMITED = "rate_limited"
    PARKED = "parked"
    STANDBY = "standby"  # another replica holds this source's lease


@dataclass(slots=True)
class SourceHealth:
    """What an operator wants to know about one source."""

    state: SourceState = SourceState.STARTING
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_errors: int = 0
    errors: int = 0
    rate_limit_waits: int = 0
    mentions_ingested: int = 0
    wait_until: datetime | None = None
    started_at: datetime | None = None  # when this process began polling the source
    failing_since: datetime | None = None  # the first error of the failures under way

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for /healthz."""
        return {
            "state": self.state.value, "last_success_at": iso(self.last_success_at),
            "failing_since": iso(self.failing_since),
            "last_error": self.last_error, "consecutive_errors": self.consecutive_errors,
            "errors": self.errors, "rate_limit_waits": self.rate_limit_waits,
            "mentions_ingested": self.mentions_ingested, "wait_until": iso(self.wait_until),
        }


@dataclass(slots=True)
class Poller:
    """Polls one source through the pipeline."""

    key: str
    platform: Platform
    pipeline: Pipeline
    store: AsyncStore
    interval: float
    clock: Callable[[], datetime]
    sleep: Sleeper = interruptible_sleep
    jitter: float = 0.1
    max_backoff: float = 300.0
    max_rate_limit_wait: float = 900.0
    parked_retry: float = 600.0
    store_retry: float = 10.0  # the longest wait after the store refused a poll
    # While a source is quiet the wait doubles after each poll that finds nothing new, up to
    # this (None: always `interval`); the first new post brings it back to `interval`.
    max_interval: float | None = None
    health: SourceHealth = field(default_factory=SourceHealth)
    _delays: Iterator[float] | None = None
    _wait: float | None = None
    _budget: RateLimit | None = None  # the platform's rate-limit headers on the last page
    _said_failing: bool = False  # the failures under way were logged (the store logs its own)

    def __post_init__(self) -> None:
        if self.health.started_at is None:
            self.health.started_at = self.clock()

    async def _ingest(self, page: Page) -> None:
        await self._commit(await self.pipeline.prepare(page))

    async def _commit(self, prepared: Prepared) -> None:
        page = prepared.page
        if page.rate_limit is not None:
            self._budget = page.rate_limit
        for problem in page.problems:
            log.warning("source %s skipped an item: %s", self.key, problem,
                        extra={"source": self.key, "event": "item_skipped"})
        result = await self.pipeline.commit(self.key, prepared)
        self._recovered()
        self.health.mentions_ingested += result.stored
        log.log(
            logging.INFO if result.received else logging.DEBUG,  # an idle poll: debug only
            "source %s: page of %d, %d new, %d cases opened, %d drafts%s",
            self.key, result.received, result.stored, result.cases_opened,
            result.drafts_created,
            f", {result.quarantined} quarantined" if result.quarantined else "",
            extra={"source": self.key, "event": "page", "received": result.received,
                   "stored": result.stored, "cases_opened": result.cases_opened,
                   "drafts_created": result.drafts_created,
                   "quarantined": result.quarantined, "cursor": page.next_cursor},
        )

    async def _poll_pages(self, stop: asyncio.Event) -> None:
        """Fetch and store pages until the source has no more; with analysis workers, each
        next page is fetched and analysed while the last is being written.

        Pages are still stored one at a time and in order, each with the cursor past it; a
        failure to fetch the next page is raised once the page before it is stored.
        """
        cursor = await self.store.read(lambda s: s.get_cursor(self.key))
        page = await self.platform.listen(cursor)
        prepared = await self.pipeline.prepare(page)
        while True:
            writing = asyncio.ensure_future(self._commit(prepared))
            if self.pipeline.pool is None:
                # Analysed in a thread, the next page would only contend with the writer for
                # the GIL (measured: no faster, and each page slower to store).
                await writing
            if not page.has_more or stop.is_set():
                await writing
                return
            try:
                page = await self.platform.listen(page.next_cursor)
                upcoming = await self.pipeline.prepare(page, in_flight=prepared.analysed)
            except BaseException:
                await asyncio.wait([writing])
                writing.result()  # a failure to store comes first
                raise
            await writing
            prepared = upcoming

    async def backfill(self, stop: asyncio.Event, *, since: datetime,
                       on_page: Callable[[Page, int], None] | None = None) -> bool:
        """Fetch history back to `since` through the pipeline, leaving the live cursor alone.

        Rate limits and transient errors are waited out as in `drain`; refused credentials end
        it (False). The adapter must have `history` (see `can_backfill`).
        """
        history = getattr(self.platform, "history", None)
        if history is None:
            raise TypeError(f"source {self.key} cannot page back in time")
        cursor: str | None = None
        while not stop.is_set():
            try:
                page = await history(cursor, since=since)
            except PlatformError as exc:
                delay = self._failed(exc)
                if delay is None:
                    return False
                await self.sleep(delay, stop)
                continue
            result = await self.pipeline.ingest(self.key, page, advance_cursor=False)
            self._recovered()
            self.health.mentions_ingested += result.stored
            if on_page is not None:
                on_page(page, result.stored)
            if not page.has_more:
                return True
            cursor = page.next_cursor
        return False

    async def stream(self, stop: asyncio.Event) -> None:
        """Follow a streaming source, reconnecting (from the stored cursor) after failures."""
        stream = getattr(self.platform, "stream", None)
        if stream is None:
            raise TypeError(f"source {self.key} cannot stream")
        while not stop.is_set():
            try:
                cursor = await self.store.read(lambda s: s.get_cursor(self.key))
                async for page in stream(cursor):
                    await self._ingest(page)
                    if stop.is_set():
                        return
                raise Unavailable("the stream ended")
            except PlatformError as exc:
                delay = self._failed(exc)
                await self.sleep(self.parked_retry if delay is None else delay, stop)
            except StoreUnavailable as exc:
                await self.sleep(self._store_failed(exc), stop)
            except Exception as exc:  # a bug: keep the daemon alive
                log.exception("source %s failed unexpectedly", self.key,
                              extra={"source": self.key, "event": "error"})
                await self.sleep(self._failed(Unavailable(f"{type(exc).__name__}: {exc}"))
                                 or self.max_backoff, stop)

    async def drain(self, stop: asyncio.Event, *, retry: bool = True) -> bool:
        """Poll until the source has nothing more (or stop is set); False if it gave up.

        With `retry`, transient errors and rate limits are waited out; without it, the first
        error ends the drain (used by `run --once`, which reports it rather than waiting).
        """
        while not stop.is_set():
            try:
                await self._poll_pages(stop)
            except PlatformError as exc:
                delay = self._failed(exc)
                if delay is None or not retry:
                    return False
                await self.sleep(delay, stop)
                continue
            return True
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Poll on the source's interval until stop is set or the source is parked."""
        while not stop.is_set():
            ingested = self.health.mentions_ingested
            try:
                await self.drain(stop)
            except StoreUnavailable as exc:  # nothing was stored: the page comes again
                await self.sleep(self._store_failed(exc), stop)
                continue
            except Exception as exc:  # a bug: keep the daemon alive
                log.exception("source %s failed unexpectedly", self.key,
                              extra={"source": self.key, "event": "error"})
                delay = self._failed(Unavailable(f"{type(exc).__name__}: {exc}"))
                await self.sleep(delay or self.max_backoff, stop)
                continue
            if self.health.state is SourceState.PARKED:
                # Credentials were refused: try again now and then (they may be renewed), and
                # at once on a reload.
                await self.sleep(self.parked_retry, stop)
                continue
            wait = self._next_wait(found=self.health.mentions_ingested > ingested)
            paced = self._pace()
            if paced > wait:
                log.debug("source %s paced: %.0fs to the next poll, to stay within its rate "
                          "limit", self.key, paced, extra={"source": self.key, "event": "paced"})
                wait = paced
            spread = wait * self.jitter
            await self.sleep(wait + random.uniform(-spread, spread), stop)

    def _next_wait(self, *, found: bool) -> float:
        """The interval after news; after a quiet poll, double the last wait up to the cap."""
        if found or self._wait is None:
            self._wait = self.interval
        else:
            self._wait = min(self._wait * 2, max(self.interval, self.max_interval or 0.0))
        return self._wait

    def _pace(self) -> float:
        """How long to wait so the requests the platform still allows last until its window
        resets (its X-RateLimit-Remaining and reset, from the last page): the rest of the
        window shared out, or all of it when none are left; 0 when nothing is known."""
        budget = self._budget
        if budget is None or budget.remaining is None or budget.reset_at is None:
            return 0.0
        left = (budget.reset_at - self.clock()).total_seconds()
        if not 0 < left <= self.max_rate_limit_wait:
            # past, or further than any platform's window (a clock that disagrees): unknown
            return 0.0
        if budget.remaining <= 0:
            return min(left + 1, self.max_rate_limit_wait)
        return min(left / budget.remaining, self.max_rate_limit_wait)

    def _recovered(self) -> None:
        if self.health.state not in (SourceState.OK, SourceState.STARTING) \
                and self._said_failing:
            log.info("source %s recovered", self.key,
                     extra={"source": self.key, "event": "recovered"})
        self.health.state = SourceState.OK
        self.health.last_success_at = self.clock()
        self.health.consecutive_errors = 0
        self.health.failing_since = None
        self.health.wait_until = None
        self._delays = None
        self._said_failing = False

    def _store_failed(self, exc: StoreUnavailable) -> float:
        """A poll the store refused: counted like any failure but not logged here (the store
        logs its outage once, not once per source), and tried again within `store_retry`
        seconds: the outage is the store's, not the platform's, so its end should not wait
        out a backoff grown for a platform."""
        delay = min(self._failed(Unavailable(str(exc)), quiet=True) or self.store_retry,
                    self.store_retry)
        self.health.wait_until = self.clock() + timedelta(seconds=delay)
        return delay

    def _failed(self, exc: PlatformError, *, quiet: bool = False) -> float | None:
        """Record a failure and return how long to wait, or None to stop polling."""
        health = self.health
        health.errors += 1
        health.consecutive_errors += 1
        health.last_error = f"{type(exc).__name__}: {exc}"
        if health.failing_since is None:
            health.failing_since = self.clock()
        # Logged once per run of failures: its first failure that is not the store's.
        first = not quiet and not self._said_failing
        self._said_failing = self._said_failing or not quiet
        if isinstance(exc, AuthFailed):
            health.state = SourceState.PARKED
            health.wait_until = self.clock() + timedelta(seconds=self.parked_retry)
            if first:
                log.error("source %s parked: credentials refused (%s); fix them and reload "
                          "(SIGHUP), or it tries again in %.0fs", self.key, exc,
                          self.parked_retry, extra={"source": self.key, "event": "parked"})
            return None
        if isinstance(exc, RateLimited) and exc.reset_at is not None:
            delay = (exc.reset_at - self.clock()).total_seconds() + 1
            delay = min(max(delay, 1.0), self.max_rate_limit_wait)
            health.state = SourceState.RATE_LIMITED
            health.rate_limit_waits += 1
        else:
            if self._delays is None:
                self._delays = backoff.expo(base=2, factor=1, max_value=self.max_backoff)
                next(self._delays)  # the generator's first value is a priming None
            delay = max(0.5, backoff.full_jitter(next(self._delays)))
            if isinstance(exc, Unavailable) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            health.state = (SourceState.RATE_LIMITED if isinstance(exc, RateLimited)
                            else SourceState.BACKING_OFF)
        health.wait_until = self.clock() + timedelta(seconds=delay)
        if first:
            state = "rate limited" if health.state is SourceState.RATE_LIMITED else "unavailable"
            log.warning("source %s %s (%s); next attempt in %.0fs", self.key, state, exc, delay,
                        extra={"source": self.key, "event": health.state.value,
                               "wait_s": round(delay, 1)})
        return delay
