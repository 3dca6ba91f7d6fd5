"""Whether this process is doing its job: the checks behind /healthz, from live state.

A load balancer, a container HEALTHCHECK or a watchdog acts on the answer, so each check says
in words what it saw, and the answer names the checks that failed:

    store      the database takes this process's reads and writes
    sources    at least one source this replica polls is not parked (credentials refused)
               or failing for longer than `[web] health_grace`
    analysis   an analysis worker can start (when `[analysis] workers` is not 0)

Pure functions over the sources', the store's and the daemon's own state; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.models import iso
from monitor.poller import SourceHealth, SourceState
from monitor.store import StoreHealth


@dataclass(slots=True)
class Vitals:
    """The daemon's own state beyond its sources and its store, for /healthz and /metrics."""

    reloads_failed: int = 0
    analysis_workers: int = 0  # 0: posts are analysed in the daemon's own process
    analysis_restarts: int = 0
    # Why no analysis worker can take a page (None: one can, or there are none to have).
    analysis_dead: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One check's verdict: whether it passed, what it saw, and the sources it names."""

    ok: bool
    detail: str
    failing: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for /healthz."""
        out: dict[str, object] = {"ok": self.ok, "detail": self.detail}
        if self.failing:
            out["failing"] = list(self.failing)
        return out


def check_store(health: StoreHealth, *, read_error: str | None = None) -> Check:
    """Fails while the database refuses reads or writes (or /healthz's own read failed)."""
    if read_error is None and health.up:
        return Check(True, "reads and writes go through")
    since = f" since {iso(health.failing_since)}" if health.failing_since else ""
    return Check(False, f"unavailable{since}: {read_error or health.last_error}")


def failing_sources(sources: Mapping[str, SourceHealth], *, now: datetime,
                    grace: timedelta) -> dict[str, str]:
    """The sources not doing their job, each with why: parked, or failing (backing off after
    errors) for `grace` or longer. A rate-limited source waits as its platform asked, and one
    in standby is another replica's to poll: neither counts."""
    found: dict[str, str] = {}
    for key, health in sorted(sources.items()):
        if health.state is SourceState.PARKED:
            found[key] = f"{key} parked: {health.last_error}"
        elif (health.state is SourceState.BACKING_OFF and health.failing_since is not None
              and now - health.failing_since >= grace):
            found[key] = (f"{key} failing since {iso(health.failing_since)}: "
                          f"{health.last_error}")
    return found


def check_sources(sources: Mapping[str, SourceHealth], *, now: datetime,
                  grace: timedelta) -> Check:
    """Fails when every source this replica polls is parked or failing past `grace`; names
    the parked and failing ones either way."""
    mine = {k: h for k, h in sources.items() if h.state is not SourceState.STANDBY}
    failing = failing_sources(mine, now=now, grace=grace)
    names = tuple(failing)
    if not mine:
        return Check(True, "no source is polled by this process")
    if len(failing) == len(mine):
        return Check(False, "every source is parked or failing: " + "; ".join(failing.values()),
                     names)
    if failing:
        return Check(True, f"{len(failing)} of {len(mine)} sources parked or failing: "
                     + "; ".join(failing.values()), names)
    return Check(True, f"{len(mine)} of {len(mine)} sources polling")


def check_analysis(vitals: Vitals) -> Check:
    """Fails while no analysis worker can start (the daemon replaces one that dies)."""
    if vitals.analysis_dead is not None:
        return Check(False, f"no analysis worker can start: {vitals.analysis_dead}")
    return Check(True, f"{vitals.analysis_workers} worker(s) running, "
                       f"{vitals.analysis_restarts} restarts")


def verdict(checks: Mapping[str, Check]) -> dict[str, object]:
    """`ok`, the names of the checks that `failed`, and every check's verdict."""
    failed = [name for name, check in checks.items() if not check.ok]
    return {"ok": not failed, "failed": failed,
            "checks": {name: check.as_dict() for name, check in checks.items()}}
