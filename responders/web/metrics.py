"""`GET /metrics` in Prometheus' text format (prometheus-client), built from live state.

Nothing is counted twice or kept in module globals: each scrape reads the sources' health,
the publisher's tallies, the store's counts and the daemon's own state, and renders them.
While the store does not answer, the families that need it are left out and the rest (the
store's own state among them) still come.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import cache
from importlib import metadata
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.health import Vitals
from monitor.leases import ReplicaView
from monitor.models import Priority, parse_iso
from monitor.poller import SourceHealth, SourceState
from monitor.sla import AT_RISK_FRACTION
from monitor.store import MIGRATIONS, StoreHealth

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Snapshot(Collector):
    """The metric families for one scrape."""

    def __init__(self, *, health: Mapping[str, SourceHealth], counts: Mapping[str, Any] | None,
                 published: Mapping[str, int], first_response: Mapping[Priority, timedelta],
                 now: datetime) -> None:
        self.health = health
        self.counts = counts
        self.published = published
        self.first_response = first_response
        self.now = now

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily("brandbot_source_state", "1 for the state each source is in",
                                  labels=["source", "state"])
        last = GaugeMetricFamily("brandbot_source_last_success_timestamp_seconds",
                                 "When the source last returned a page", labels=["source"])
        lag = GaugeMetricFamily("brandbot_source_lag_seconds",
                                "Seconds since the source last returned a page (or, if it "
                                "never has, since this process began polling it); absent "
                                "while another replica polls it", labels=["source"])
        errors = CounterMetricFamily("brandbot_source_errors", "Failed polls",
                                     labels=["source"])
        waits = CounterMetricFamily("brandbot_source_rate_limit_waits",
                                    "Times the source waited for a platform's rate limit",
                                    labels=["source"])
        ingested = CounterMetricFamily("brandbot_mentions_ingested",
                                       "New mentions stored since the daemon started",
                                       labels=["source"])
        for key, health in self.health.items():
            for value in SourceState:
                state.add_metric([key, value.value], 1.0 if health.state is value else 0.0)
            if health.last_success_at is not None:
                last.add_metric([key], health.last_success_at.timestamp())
            since = health.last_success_at or health.started_at
            if since is not None and health.state is not SourceState.STANDBY:
                lag.add_metric([key], (self.now - since).total_seconds())
            errors.add_metric([key], health.errors)
            waits.add_metric([key], health.rate_limit_waits)
            ingested.add_metric([key], health.mentions_ingested)
        yield from (state, last, lag, errors, waits, ingested)
        outcomes = CounterMetricFamily("brandbot_replies", "Publish outcomes since start",
                                       labels=["outcome"])
        for outcome, n in sorted(self.published.items()):
            outcomes.add_metric([outcome], n)
        yield outcomes
        if self.counts is None:  # the store did not answer
            return

        drafts = GaugeMetricFamily("brandbot_drafts", "Drafts by status", labels=["status"])
        for status, n in sorted(self.counts["drafts"].items()):
            drafts.add_metric([status], n)
        yield drafts
        yield GaugeMetricFamily("brandbot_queue_depth", "Drafts waiting for a decision",
                                value=self.counts["drafts"].get("pending", 0))
        cases = GaugeMetricFamily("brandbot_cases", "Cases by status", labels=["status"])
        for status, n in sorted(self.counts["cases"].items()):
            cases.add_metric([status], n)
        yield cases
        at_risk = breached = 0
        for priority, due_at in self.counts["unanswered"]:
            due = parse_iso(due_at)
            target = self.first_response.get(Priority(priority), timedelta(0))
            if due <= self.now:
                breached += 1
            elif due - target * AT_RISK_FRACTION <= self.now:
                at_risk += 1
        sla = GaugeMetricFamily("brandbot_cases_first_response_sla",
                                "Unanswered cases at risk of, or past, their first-response "
                                "target", labels=["state"])
        sla.add_metric(["at_risk"], at_risk)
        sla.add_metric(["breached"], breached)
        yield sla
        yield GaugeMetricFamily("brandbot_notifications_pending",
                                "Webhook notifications not yet delivered",
                                value=self.counts["notifications_pending"])
        oldest = self.counts.get("oldest_pending_at")
        yield GaugeMetricFamily(
            "brandbot_oldest_pending_draft_age_seconds",
            "Seconds the oldest draft waiting for a decision has waited (0: none waits)",
            value=max(0.0, (self.now - parse_iso(oldest)).total_seconds()) if oldest else 0.0)
        model = CounterMetricFamily(
            "brandbot_model_drafts", "Drafts a model was asked about ([drafting] backend "
            "'openai'), by outcome: used, or the template draft kept (timeout, error, rejected)",
            labels=["outcome"])
        for outcome, n in sorted(self.counts.get("model_drafts", {}).items()):
            model.add_metric([outcome], n)
        yield model
        yield GaugeMetricFamily("brandbot_quarantined_items",
                                "Items a source sent that could not be parsed or stored, held "
                                "for an operator (brandbot quarantine list)",
                                value=self.counts.get("quarantined", 0))


class Replicas(Collector):
    """How the sources are shared among the replicas, as this one saw it at its last lease
    renewal (nothing when there are no leases: one daemon on its own)."""

    def __init__(self, view: ReplicaView | None) -> None:
        self.view = view

    def collect(self) -> Iterator[Metric]:
        view = self.view
        if view is None:
            return
        yield GaugeMetricFamily("brandbot_replicas", "Live replicas on the database",
                                value=len(view.holdings))
        yield GaugeMetricFamily("brandbot_replica_share",
                                "The most sources a replica keeps while another has room: "
                                "ceil(sources / live replicas)", value=view.share)
        per = GaugeMetricFamily("brandbot_replica_sources", "Sources each live replica polls",
                                labels=["replica"])
        for name, held in sorted(view.holdings.items()):
            per.add_metric([name], len(held))
        yield per
        mine = GaugeMetricFamily("brandbot_source_held",
                                 "1 while this replica holds the source's lease (polls it), 0 "
                                 "while another replica does", labels=["source"])
        for source in view.sources:
            mine.add_metric([source], 1.0 if source in view.held else 0.0)
        yield mine


class StoreState(Collector):
    """Whether the store takes this process's reads and writes, from memory (no query)."""

    def __init__(self, health: StoreHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("brandbot_store_up", "1 while the database takes this "
                                "process's reads and writes, 0 during an outage",
                                value=1.0 if self.health.up else 0.0)
        yield CounterMetricFamily("brandbot_store_errors", "Reads and writes the database "
                                  "refused (away, locked, full) since start",
                                  value=self.health.failures)


class DaemonState(Collector):
    """The daemon's own counters: analysis worker restarts, refused reloads."""

    def __init__(self, vitals: Vitals) -> None:
        self.vitals = vitals

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("brandbot_analysis_worker_restarts", "Analysis workers the "
                                  "daemon started again after one died",
                                  value=self.vitals.analysis_restarts)
        if self.vitals.analysis_workers:  # none with [analysis] workers = 0
            yield GaugeMetricFamily("brandbot_analysis_worker_up", "1 while an analysis "
                                    "worker can take a page, 0 while none can start",
                                    value=0.0 if self.vitals.analysis_dead else 1.0)
        yield CounterMetricFamily("brandbot_config_reload_failures", "Config reloads (SIGHUP) "
                                  "refused, the daemon still on its previous config",
                                  value=self.vitals.reloads_failed)


class BuildInfo(Collector):
    """Which build runs, and the schema version it writes."""

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("brandbot_build_info", "The running build: its version and "
                                 "the database schema version it writes (always 1)",
                                 labels=["version", "schema"])
        info.add_metric([_version(), str(len(MIGRATIONS))], 1.0)
        yield info


@cache
def _version() -> str:
    try:
        return metadata.version("brandbot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


# Memory, CPU time and file descriptors of this process (process_*), read from /proc.
PROCESS = ProcessCollector(registry=None)


def own_state(store: StoreHealth, vitals: Vitals | None) -> list[Collector]:
    """What /metrics knows without asking the store: the store's state, the daemon's
    counters (None for `brandbot serve`), the build and the process."""
    return [StoreState(store), *([DaemonState(vitals)] if vitals is not None else []),
            BuildInfo(), PROCESS]


def render(snapshot: Snapshot, *more: Collector) -> web.Response:
    """The scrape answer."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in (snapshot, *more):
        registry.register(collector)
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})
