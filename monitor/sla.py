"""SLAs: which target applies to a case now, whether it is met, at risk or breached.

Pure functions over a case and the `[sla]` targets; the case clock (`case_clock.py`) warns
about the cases at risk, the web app and the CLI show each case's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.models import OTHER, Case, CaseStatus, Priority, iso, parse_iso
from monitor.settings import Settings
from monitor.store.cases import SlaCut

AT_RISK_FRACTION = 0.2  # a case is "at risk" in the last 20% of its target


def sla_state(
    case: Case,
    *,
    now: datetime,
    first_response: Mapping[Priority, timedelta],
    resolution: Mapping[Priority, timedelta],
) -> tuple[str, datetime | None]:
    """("ok" | "at_risk" | "breached" | "met", due) for the SLA that currently applies.

    Before our first response the first-response target applies; after it, resolution.
    """
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return "met", None
    if case.first_response_at is None:
        target = first_response[case.priority]
        due = case.sla_due_at or case.opened_at + target
    else:
        target = resolution[case.priority]
        due = case.opened_at + target
    if now >= due:
        return "breached", due
    if now >= due - target * AT_RISK_FRACTION:
        return "at_risk", due
    return "ok", due


def sla_met(case: Case | Mapping[str, Any], *, first_response: Mapping[Any, timedelta],
            now: datetime | None = None) -> bool | None:
    """Whether a case's first response came within its priority's target.

    Takes a Case or a `cases` row. None while it is unanswered and not yet due (or `now` is not
    given); False once an unanswered case is past its target.
    """
    opened: datetime | None
    if isinstance(case, Case):
        priority, opened, answered = case.priority.value, case.opened_at, case.first_response_at
    else:
        priority = str(case["priority"])
        opened = _as_dt(case["opened_at"])
        answered = _as_dt(case.get("first_response_at"))
    target = first_response.get(priority, first_response.get(Priority(priority)))
    if target is None or opened is None:
        return None
    if answered is not None:
        return answered - opened <= target
    if now is not None and now > opened + target:
        return False
    return None


def _as_dt(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else parse_iso(str(value))


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """The `[sla]` targets, to compute a case's SLA state at a given time."""

    first_response: Mapping[Priority, timedelta]
    resolution: Mapping[Priority, timedelta]

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaPolicy:
        """The configured targets."""
        return cls(dict(settings.sla.first_response), dict(settings.sla.resolution))

    def cut(self, state: str, now: datetime) -> SlaCut:
        """The store's filter for the cases in one SLA state now (as `state` reckons it)."""
        return SlaCut(state=state, now=now,
                      first_response={str(p): t for p, t in self.first_response.items()},
                      resolution={str(p): t for p, t in self.resolution.items()},
                      at_risk=AT_RISK_FRACTION)

    def state(self, case: Case, now: datetime) -> tuple[str, datetime | None]:
        """("ok" | "at_risk" | "breached" | "met", due) for the target that applies now."""
        return sla_state(case, now=now, first_response=self.first_response,
                         resolution=self.resolution)

    def of_row(self, row: Mapping[str, Any], now: datetime, *,
               prefix: str = "") -> dict[str, Any]:
        """`sla_state` and `sla_due` for a case row (or a draft row's case columns, whose
        status, opened and first-response columns are named `case_status`, `case_opened_at`
        and `case_first_response_at`)."""
        case = Case(
            id=0, author_id="", platform="", status=CaseStatus(str(row[f"{prefix}status"])),
            intent=OTHER, priority=Priority(row["priority"]),
            opened_at=_as_dt(row[f"{prefix}opened_at"]) or now, updated_at=now,
            first_response_at=_as_dt(row.get(f"{prefix}first_response_at")),
            sla_due_at=_as_dt(row.get("sla_due_at")),
        )
        state, due = self.state(case, now)
        return {"sla_state": state, "sla_due": iso(due)}


def sla_text(case: Case, handle: str, phase: str, due: datetime) -> str:
    """The webhook message for a case at risk of missing its SLA."""
    what = "first response" if phase == "first_response" else "resolution"
    return (f"Case #{case.id} is at risk of missing its {what} target ({case.priority.value}): "
            f"due {due.strftime('%d %b %H:%M UTC')}. @{handle} on {case.platform}, "
            f"{case.intent}, team {case.team or 'none'}, status {case.status.value}.")
