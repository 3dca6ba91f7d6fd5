"""`GET /metrics` in Prometheus' text format (prometheus-client), built from live state.

Nothing is counted twice or kept in module globals: each scrape reads the sources' health,
the publisher's tallies and the store's counts, and renders them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.models import Priority, parse_iso
from monitor.poller import SourceHealth, SourceState
from monitor.sla import AT_RISK_FRACTION

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Snapshot(Collector):
    """The metric families for one scrape."""

    def __init__(self, *, health: Mapping[str, SourceHealth], counts: Mapping[str, Any],
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
                                "Seconds since the source last returned a page",
                                labels=["source"])
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
                lag.add_metric([key], (self.now - health.last_success_at).total_seconds())
            errors.add_metric([key], health.errors)
            waits.add_metric([key], health.rate_limit_waits)
            ingested.add_metric([key], health.mentions_ingested)
        yield from (state, last, lag, errors, waits, ingested)

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
        outcomes = CounterMetricFamily("brandbot_replies", "Publish outcomes since start",
                                       labels=["outcome"])
        for outcome, n in sorted(self.published.items()):
            outcomes.add_metric([outcome], n)
        yield outcomes
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


def render(snapshot: Snapshot) -> web.Response:
    """The scrape answer."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(snapshot)
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})
