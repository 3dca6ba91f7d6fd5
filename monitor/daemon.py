"""The daemon's composition and life: pipeline, pollers, publisher, case clock, digests, web.

Besides the commands, the one module of `monitor` that imports `responders` (inside
functions, so importing it stays cheap): it injects the drafter, publisher, notifier and
mailer into the pieces here.
SIGINT and SIGTERM stop it; SIGHUP reloads the config.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from monitor import reloads
from monitor.analysis import AnalysisPool, make_analyzer
from monitor.case_clock import CaseKeeper, Notifier
from monitor.cases import CaseRules
from monitor.commands.common import EXIT_ERROR, EXIT_OK, UsageError
from monitor.health import Vitals
from monitor.leases import CLOCK_LEASE, LeaseKeeper, ReplicaView, replica_name
from monitor.models import Page, utcnow
from monitor.pipeline import Pipeline
from monitor.platforms import build_platform
from monitor.platforms.base import Platform, can_backfill
from monitor.poller import Poller, SourceHealth, SourceState
from monitor.sdnotify import SystemdNotifier
from monitor.settings import ConfigError, Settings, SourceBase, load_settings
from monitor.sla import SlaPolicy
from monitor.sleep import interruptible_sleep
from monitor.store import AsyncStore

if TYPE_CHECKING:
    from responders.model import ModelWriter
    from responders.notify import WebhookNotifier
    from responders.publisher import PublishPolicy

log = logging.getLogger("brandbot")


def build_pipeline(settings: Settings, store: AsyncStore, *,
                   clock: Callable[[], datetime] = utcnow,
                   on_worker_restart: Callable[[], None] | None = None) -> Pipeline:
    """The pipeline with the configured analysis, case rules and brand voice."""
    from responders.drafts import Drafter, voice_from_settings

    analyzer = make_analyzer(settings)
    workers = settings.analysis.workers
    return Pipeline(
        store, analyzer=analyzer, rules=CaseRules.from_settings(settings),
        drafter=Drafter(voice_from_settings(settings)),
        languages=settings.brand.languages, clock=clock,
        pool=AnalysisPool(analyzer, workers, on_restart=on_worker_restart) if workers else None,
    )


def _notifier(settings: Settings) -> WebhookNotifier | None:
    from responders.notify import notifier_from_settings

    return notifier_from_settings(settings)


def build_case_keeper(settings: Settings, store: AsyncStore, *, notifier: Notifier | None,
                      clock: Callable[[], datetime] = utcnow) -> CaseKeeper:
    """The case clock: SLA warnings, follow-up drafts in the brand voice, webhook outbox."""
    from responders.drafts import Drafter, voice_from_settings

    return CaseKeeper(
        store, sla=SlaPolicy.from_settings(settings),
        follow_up_drafter=Drafter(voice_from_settings(settings)).follow_up,
        notifier=notifier, clock=clock,
        interval=settings.cases.clock_interval.total_seconds(),
    )


def _publish_policy(settings: Settings) -> PublishPolicy:
    from responders.publisher import PublishPolicy

    options = settings.publisher
    return PublishPolicy(max_attempts=options.max_attempts,
                         interval=options.interval.total_seconds(),
                         reconcile_after=options.reconcile_after.total_seconds(),
                         undo_window=options.undo_window.total_seconds())


def _repliers(sources: Sequence[SourceBase], platforms: Mapping[str, Platform]
              ) -> dict[str, Platform]:
    """The adapter each platform's replies go through: its first enabled source's."""
    from responders.publisher import LISTEN_ONLY

    repliers: dict[str, Platform] = {}
    for source in sources:
        platform = platforms[source.key]
        if platform.platform not in LISTEN_ONLY:
            repliers.setdefault(platform.platform, platform)
    return repliers


# How often the daemon looks for a dead analysis worker to replace (seconds).
ANALYSIS_CHECK_INTERVAL = 5.0

# Settings a running daemon cannot take over on reload; each needs a restart.
RESTART_ONLY = ("storage", "web")


@dataclass
class _Running:
    """A background loop with its own stop signal, so it can be stopped alone (on reload)."""

    task: asyncio.Task[Any]
    stop: asyncio.Event

    @classmethod
    def start(cls, run: Callable[[asyncio.Event], Coroutine[Any, Any, Any]]) -> _Running:
        stop = asyncio.Event()
        return cls(asyncio.create_task(run(stop)), stop)

    async def halt(self, grace: float = 4.5) -> None:
        """Let the loop finish what it has in hand, cancelling it after `grace` seconds."""
        self.stop.set()
        await _until_stopped([self.task], self.stop, grace=grace)


def build_model_writer(settings: Settings, store: AsyncStore) -> ModelWriter | None:
    """The model writer of `[drafting] backend = "openai"`, or None for templates alone."""
    if settings.drafting.backend != "openai":
        return None
    from responders.drafts import voice_from_settings
    from responders.model import Endpoint, ModelWriter

    return ModelWriter(store, voice_from_settings(settings), Endpoint.from_settings(settings),
                       brand=settings.brand.name,
                       interval=settings.drafting.interval.total_seconds())


class Daemon:
    """Every enabled source, the publisher, the case clock and digests; reloadable on SIGHUP."""

    def __init__(self, settings: Settings, store: AsyncStore, *,
                 config_path: Path | None = None, live: bool = True) -> None:
        from responders.publisher import Publisher

        self.settings = settings
        self.store = store
        self.config_path = config_path
        self.health: dict[str, SourceHealth] = {}
        self.platforms: dict[str, Platform] = {}
        self.pollers: dict[str, Poller] = {}
        self.running: dict[str, _Running] = {}
        self.sources = {s.key: s for s in settings.sources if s.enabled}
        for source in self.sources.values():
            self.platforms[source.key] = build_platform(source, settings, live=live)
        self.vitals = Vitals()  # for /healthz and /metrics
        self.pipeline = build_pipeline(settings, store,
                                       on_worker_restart=self._analysis_restarted)
        for key in self.sources:
            self._make_poller(key)
        self.publisher = Publisher(store, _repliers(list(self.sources.values()), self.platforms),
                                   clock=utcnow, policy=_publish_policy(settings))
        self.notifier = _notifier(settings)
        self.keeper = build_case_keeper(settings, store, notifier=self.notifier)
        self.model_writer = build_model_writer(settings, store)
        self.services: dict[str, _Running] = {}
        self._reloading = asyncio.Lock()
        self.reload_problems: list[str] = []  # why the last reload was refused
        # Replicas may share a PostgreSQL database: each source is polled, and the clock
        # runs, only where this replica holds the lease. Every replica publishes: drafts are
        # claimed with row locks, so each is posted once.
        self.leases: LeaseKeeper | None = None
        if store.postgres:
            _warn_reconcile(settings)
            self.leases = LeaseKeeper(store, [*self.sources, CLOCK_LEASE],
                                      holder=replica_name(), ttl=settings.storage.lease_ttl,
                                      clock=utcnow)

    def replica_view(self) -> ReplicaView | None:
        """How the sources are shared among the replicas now (None without leases)."""
        return self.leases.view if self.leases is not None else None

    def _make_poller(self, key: str) -> Poller:
        source = self.sources[key]
        poller = Poller(key=key, platform=self.platforms[key], pipeline=self.pipeline,
                        store=self.store, interval=source.interval.total_seconds(),
                        max_interval=source.idle_interval.total_seconds(), clock=utcnow)
        self.pollers[key] = poller
        self.health[key] = poller.health
        return poller

    def _start_source(self, key: str) -> None:
        poller = self.pollers[key]
        streaming = getattr(self.sources[key], "stream", False)
        work = poller.stream if streaming else poller.run
        leases = self.leases
        if leases is None:
            self.running[key] = _Running.start(work)
            return

        def standby() -> None:
            poller.health.state = SourceState.STANDBY

        self.running[key] = _Running.start(
            lambda stop: leases.run_source(key, stop, work, standby))

    def _start_clock(self) -> None:
        """The case clock and the digest scheduler (one replica's, with leases)."""
        scheduler = _digest_scheduler(self.settings, self.store, self.notifier)
        leases = self.leases
        if leases is None:
            self.services["keeper"] = _Running.start(self.keeper.run)
            self.services["digests"] = _Running.start(scheduler.run)
            return
        keeper = self.keeper

        async def clock(until: asyncio.Event) -> None:
            await asyncio.gather(keeper.run(until), scheduler.run(until))

        self.services["clock"] = _Running.start(
            lambda stop: leases.run_source(CLOCK_LEASE, stop, clock, lambda: None))

    def start(self) -> None:
        """Start every loop."""
        if self.leases is not None:
            self.services["leases"] = _Running.start(self.leases.run)
        for key in self.pollers:
            self._start_source(key)
        self.services["publisher"] = _Running.start(self.publisher.run)
        self.services["analysis"] = _Running.start(self._keep_analysis)
        self._start_drafting()
        self._start_clock()

    def _start_drafting(self) -> None:
        """The model writer, when `[drafting] backend = "openai"` (every replica runs one: a
        draft is replaced only while nobody has touched it, so two asking is harmless)."""
        if self.model_writer is not None:
            self.services["drafting"] = _Running.start(self.model_writer.run)

    async def stop(self) -> None:
        """Stop every loop (each finishes the page in hand) and release connections."""
        loops = [*self.running.values(), *self.services.values()]
        for loop in loops:
            loop.stop.set()
        await asyncio.gather(*(loop.halt() for loop in loops))
        for platform in self.platforms.values():
            await platform.close()
        try:  # the workers finish the page in hand and exit before the process does
            await asyncio.wait_for(asyncio.to_thread(self.pipeline.close, wait=True), 30)
        except TimeoutError:
            log.warning("the analysis workers did not exit within 30s",
                        extra={"event": "analysis_workers_slow"})
        if self.notifier is not None:
            await self.notifier.close()

    async def reload(self) -> bool:
        """Read the config file again and apply it; on any problem keep the running config."""
        async with self._reloading:
            done = await self._reload()
        if not done:
            self.vitals.reloads_failed += 1
        return done

    def _analysis_restarted(self) -> None:
        self.vitals.analysis_restarts += 1

    async def _keep_analysis(self, stop: asyncio.Event) -> None:
        """Replace an analysis worker that died between pages at once (not at the next page,
        which may be a quiet source's minutes away), and tell /healthz when none can start."""
        while not stop.is_set():
            pool = self.pipeline.pool  # a reload builds a new one
            if pool is not None:
                try:
                    await pool.ensure()
                except Exception:  # a bug: say so, and keep watching
                    log.exception("checking the analysis workers failed",
                                  extra={"event": "error"})
            self.vitals.analysis_workers = pool.workers if pool is not None else 0
            self.vitals.analysis_dead = pool.dead if pool is not None else None
            await interruptible_sleep(ANALYSIS_CHECK_INTERVAL, stop)

    async def _reload(self) -> bool:
        path = self.config_path
        self.reload_problems = []
        try:
            if path is None:
                raise ConfigError(["no config file to reload from"])
            new = await asyncio.to_thread(load_settings, path)
            wanted = {s.key: s for s in new.sources if s.enabled}
            # Adapters build their search queries from [brand]: a new brand changes them all.
            rebrand = new.brand != self.settings.brand
            changed = sorted(k for k, s in wanted.items()
                             if k in self.sources and (rebrand or s != self.sources[k]))
            added = sorted(k for k in wanted if k not in self.sources)
            built: dict[str, Platform] = {}
            try:
                for key in [*changed, *added]:
                    built[key] = build_platform(wanted[key], new)
            except ConfigError:
                for platform in built.values():
                    await platform.close()
                raise
        except ConfigError as exc:
            self.reload_problems = list(exc.problems)
            log.error("config reload refused, still running on the previous config: %s",
                      "; ".join(exc.problems),
                      extra={"event": "reload_failed", "problems": exc.problems})
            return False
        kept_old = [name for name in RESTART_ONLY
                    if getattr(new, name) != getattr(self.settings, name)]
        if kept_old:
            log.warning("reload: %s changed; those take effect at the next restart",
                        ", ".join(f"[{name}]" for name in kept_old),
                        extra={"event": "reload_needs_restart", "sections": kept_old})
            new = new.model_copy(update={name: getattr(self.settings, name)
                                         for name in kept_old})
        removed = sorted(k for k in self.sources if k not in wanted)
        # Parked sources (refused credentials) get another try now: the reload may fix them.
        revived = sorted(k for k, p in self.pollers.items()
                         if p.health.state is SourceState.PARKED and k not in (*changed, *removed))
        # Stop the sources that go, change or revive; each finishes the page in hand first.
        going = [*removed, *changed]
        await asyncio.gather(*(self.running.pop(k).halt() for k in [*going, *revived]
                               if k in self.running))
        for key in going:
            self.pollers.pop(key, None)
            self.health.pop(key, None)
            await self.platforms.pop(key).close()
        self.settings, self.sources = new, wanted
        if self.leases is not None:  # before any source starts: it runs under its lease
            self.leases.set_sources([*wanted, CLOCK_LEASE])
        old_pipeline, self.pipeline = self.pipeline, build_pipeline(
            new, self.store, on_worker_restart=self._analysis_restarted)
        for poller in self.pollers.values():
            poller.pipeline = self.pipeline  # takes effect with the next page
        old_pipeline.close()  # its workers finish the page in hand, then exit
        self.platforms.update(built)
        for key in [*changed, *added]:
            self._make_poller(key)
        for key in [*changed, *added, *revived]:
            self._start_source(key)
        self.publisher.repliers = _repliers(list(wanted.values()), self.platforms)
        self.publisher.policy = _publish_policy(new)
        if "drafting" in self.services:
            await self.services.pop("drafting").halt()
        self.model_writer = build_model_writer(new, self.store)
        self._start_drafting()
        await asyncio.gather(*(self.services.pop(k).halt() for k in ("keeper", "digests", "clock")
                               if k in self.services))
        old_notifier = self.notifier
        self.notifier = _notifier(new)
        if old_notifier is not None:
            await old_notifier.close()
        self.keeper = build_case_keeper(new, self.store, notifier=self.notifier)
        self._start_clock()
        log.info("config reloaded from %s: %d sources (added %s, removed %s, restarted %s)",
                 path, len(wanted), ", ".join(added) or "none", ", ".join(removed) or "none",
                 ", ".join([*changed, *revived]) or "none",
                 extra={"event": "reloaded", "sources": sorted(wanted), "added": added,
                        "removed": removed, "restarted": [*changed, *revived]})
        return True


async def run_daemon(settings: Settings, *, once: bool, web: bool,
                     config_path: Path | None = None, host: str | None = None,
                     port: int | None = None) -> int:
    """Run every enabled source and the publisher until stopped (or one cycle with once).

    SIGHUP reloads the config file (`config_path`); SIGINT and SIGTERM stop the daemon.
    `host` and `port` override `[web]` (two replicas on one machine need no second config).
    """
    store = await AsyncStore(settings.storage_url,
                             busy_timeout=settings.storage.busy_timeout.total_seconds()).open()
    try:
        daemon = Daemon(settings, store, config_path=config_path, live=not once)
    except BaseException:
        await store.close()
        raise
    stop = asyncio.Event()
    reload_wanted = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    loop.add_signal_handler(signal.SIGHUP, _on_hangup, reload_wanted, once)
    runner = None
    if web and not once:
        from responders.web.app import start_web

        try:
            runner = await start_web(settings, store, daemon.health, host=host, port=port,
                                     publisher=daemon.publisher, vitals=daemon.vitals,
                                     replicas=daemon.replica_view)
        except OSError as exc:
            await daemon.stop()
            await store.close()
            raise cannot_listen(settings, host=host, port=port, error=exc) from None
    log.info("brandbot started: %d sources%s", len(daemon.pollers),
             " (one cycle)" if once else "",
             extra={"event": "started", "sources": list(daemon.pollers),
                    "replying_to": sorted(daemon.publisher.repliers)})
    failed: list[str] = []
    systemd = SystemdNotifier()
    try:
        if once:
            pollers = list(daemon.pollers.values())
            tasks = [asyncio.create_task(p.drain(stop, retry=False)) for p in pollers]
            results = await _until_stopped(tasks, stop)
            failed = [p.key for p, ok in zip(pollers, results, strict=True) if not ok]
            if not stop.is_set() and daemon.model_writer is not None:
                await _until_stopped([asyncio.create_task(daemon.model_writer.run_once())], stop)
            if not stop.is_set():
                await _until_stopped([asyncio.create_task(daemon.keeper.run_once())], stop)
            if not stop.is_set():
                await _until_stopped([asyncio.create_task(daemon.publisher.run_once())], stop)
        else:
            daemon.start()
            # systemd (Type=notify): started now; the watchdog pings stop if the loop hangs.
            watchdog = asyncio.create_task(systemd.watchdog(stop))
            systemd.ready(f"running: {len(daemon.pollers)} sources")
            while not stop.is_set():
                await _first_of(stop, reload_wanted)
                if reload_wanted.is_set() and not stop.is_set():
                    reload_wanted.clear()
                    await _reload(daemon, systemd)
            await watchdog
    finally:
        systemd.stopping()
        if runner is not None:
            await runner.cleanup()
        await daemon.stop()
        await store.close()
    log.info("brandbot stopped", extra={"event": "stopped", "failed_sources": failed,
                                         "posted": daemon.publisher.posted})
    return EXIT_ERROR if failed else EXIT_OK


async def _reload(daemon: Daemon, systemd: SystemdNotifier) -> None:
    """Reload on SIGHUP, telling systemd (RELOADING=1, then READY=1) and `brandbot reload`
    (the verdict in $RUNTIME_DIRECTORY) how it went."""
    began = reloads.now_usec()
    systemd.reloading(began)
    ok = await daemon.reload()
    problems = tuple(daemon.reload_problems)
    systemd.ready(f"running: {len(daemon.pollers)} sources" if ok else
                  "config reload refused, still on the previous config: " + "; ".join(problems))
    await asyncio.to_thread(reloads.record, reloads.runtime_directory(), reloads.ReloadOutcome(
        pid=os.getpid(), began_usec=began, ok=ok, problems=problems))


def _warn_reconcile(settings: Settings) -> None:
    slowest = max((s.timeout for s in settings.sources if s.enabled), default=timedelta(0))
    if settings.publisher.reconcile_after <= slowest:
        log.warning("[publisher] reconcile_after (%ss) is not above the slowest source timeout "
                    "(%ss): with several replicas, one may check a reply another is still "
                    "posting", int(settings.publisher.reconcile_after.total_seconds()),
                    int(slowest.total_seconds()), extra={"event": "config_warning"})


async def _first_of(*events: asyncio.Event) -> None:
    """Wait until any of the events is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _digest_scheduler(settings: Settings, store: AsyncStore,
                      notifier: Notifier | None) -> Any:
    """Scheduled e-mail digests and crisis alerts (composed here: responders sends them)."""
    from responders.mailer import send_digest
    from responders.schedule import DigestScheduler

    send = partial(send_digest, environ=os.environ) if settings.digest.recipients else None
    return DigestScheduler(settings, store, notifier=notifier, send=send, clock=utcnow)


def _on_hangup(reload_wanted: asyncio.Event, once: bool) -> None:
    if once:
        log.info("received SIGHUP: ignored by a one-cycle run", extra={"event": "reload_ignored"})
        return
    log.info("received SIGHUP: reloading the config", extra={"event": "reloading"})
    reload_wanted.set()


def _on_signal(stop: asyncio.Event, signum: int) -> None:
    log.info("received %s: finishing the page in hand, then stopping",
             signal.Signals(signum).name, extra={"event": "stopping"})
    stop.set()


async def _until_stopped(tasks: Sequence[asyncio.Task[Any]], stop: asyncio.Event,
                         grace: float = 4.5) -> list[Any]:
    """Wait for the tasks; once stop is set, give them `grace` seconds, then cancel them.

    Returns each task's result, or None for one that failed or was cancelled.
    """
    stopper = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[Any]] = set(tasks)
    while pending and not stopper.done():
        _, pending = await asyncio.wait(pending | {stopper}, return_when=asyncio.FIRST_COMPLETED)
        pending.discard(stopper)
    stopper.cancel()
    if pending:
        _, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)
    results: list[Any] = []
    for task in tasks:
        if task.cancelled():
            results.append(None)
        elif task.exception() is not None:
            log.error("a source failed", exc_info=task.exception(), extra={"event": "crashed"})
            results.append(None)
        else:
            results.append(task.result())
    return results


def cannot_listen(settings: Settings, *, host: str | None, port: int | None,
                  error: OSError) -> UsageError:
    """The web app cannot listen where asked (`--host`/`--port`, else `[web]`): say where."""
    return UsageError(f"web: cannot listen on {host or settings.web.host}:"
                      f"{settings.web.port if port is None else port}: {error.strerror}")


async def serve_web(settings: Settings, *, host: str | None, port: int | None) -> int:
    """Serve the web app alone (no pollers, no publisher) until SIGINT or SIGTERM."""
    from responders.web.app import start_web

    store = await AsyncStore(settings.storage_url).open()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    try:
        runner = await start_web(settings, store, {}, host=host, port=port)
    except OSError as exc:
        await store.close()
        raise cannot_listen(settings, host=host, port=port, error=exc) from None
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await store.close()
    return EXIT_OK


async def backfill(settings: Settings, *, since: timedelta, only: str | None,
                   out: TextIO) -> int:
    """Fetch each source's history back to `since` through the pipeline, with a progress bar;
    live cursors stay where they are, and posts already stored are not stored again."""
    from tqdm import tqdm

    sources = [s for s in settings.sources if s.enabled and (only is None or s.key == only)]
    if only is not None and not sources:
        known = ", ".join(s.key for s in settings.sources if s.enabled) or "none"
        raise UsageError(f"--source: no enabled source {only!r} (enabled: {known})")
    platforms = {s.key: build_platform(s, settings, live=False) for s in sources}
    store = await AsyncStore(settings.storage_url,
                             busy_timeout=settings.storage.busy_timeout.total_seconds()).open()
    pipeline = build_pipeline(settings, store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    now = utcnow()
    start = now - since
    failed = []
    try:
        for key, platform in platforms.items():
            if not can_backfill(platform):
                print(f"{key}: the {platform.platform} adapter cannot page back in time; "
                      "skipped (the live poller still collects everything new)", file=out)
                continue
            poller = Poller(key=key, platform=platform, pipeline=pipeline, store=store,
                            interval=0, clock=utcnow)
            with tqdm(total=round(since.total_seconds() / 3600, 1), desc=key, unit="h",
                      file=out, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f}"
                                           " h back{postfix}") as bar:
                progress = _Progress(bar, now=now)
                done = await poller.backfill(stop, since=start, on_page=progress)
                if done:
                    bar.update(max(0.0, bar.total - bar.n))
                counts = progress.counts
            if not done:
                failed.append(key)
                print(f"{key}: backfill stopped: {poller.health.last_error or 'interrupted'}",
                      file=out)
            else:
                print(f"{key}: {counts['fetched']} posts fetched, {counts['new']} new", file=out)
    finally:
        for platform in platforms.values():
            await platform.close()
        pipeline.close()
        await store.close()
    return EXIT_ERROR if failed else EXIT_OK


class _Progress:
    """Moves a backfill's bar by how far back in time each page reached."""

    def __init__(self, bar: Any, *, now: datetime) -> None:
        self.bar, self.now = bar, now
        self.counts = {"fetched": 0, "new": 0}

    def __call__(self, page: Page, stored: int) -> None:
        self.counts["fetched"] += len(page.mentions)
        self.counts["new"] += stored
        oldest = min((m.created_at for m in page.mentions), default=None)
        if oldest is not None:
            back = min(self.bar.total, (self.now - oldest).total_seconds() / 3600)
            self.bar.update(max(0.0, round(back, 1) - self.bar.n))
        self.bar.set_postfix(self.counts, refresh=False)
