"""The case clock: the part of case practice that depends on the time rather than on new
posts: SLA warnings, follow-up drafts, and sending the webhook outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from monitor.models import Case, DraftSpec, Mention, iso
from monitor.sla import AT_RISK_FRACTION, SlaPolicy, sla_text
from monitor.sleep import interruptible_sleep
from monitor.store import AsyncStore, Store, StoreUnavailable

log = logging.getLogger("brandbot.cases")


# Sends one notification text (a webhook); raises NotifyFailed when it was not delivered.
Notifier = Callable[[str], Awaitable[None]]


# Writes the check-in after a case was resolved, on the customer's latest post.
FollowUpDrafter = Callable[[Case, Mention], DraftSpec]


class NotifyFailed(Exception):
    """A notification was not delivered; it stays in the outbox and is tried again later."""


@dataclass(slots=True)
class KeeperReport:
    """What one run of the case clock did."""

    at_risk: int = 0
    follow_ups: int = 0
    sent: int = 0
    failed: int = 0


class CaseKeeper:
    """The case clock: warns about SLAs at risk, writes due follow-up drafts, and sends the
    webhook notifications waiting in the outbox (each once; a failure is retried later).

    Everything here depends on the time, which comes from the injected clock (or `run_once`'s
    argument), so tests move days in milliseconds. It never blocks ingest: notifications are
    queued in the ingest transaction and sent from here.
    """

    def __init__(
        self,
        store: AsyncStore,
        *,
        sla: SlaPolicy,
        follow_up_drafter: FollowUpDrafter,
        notifier: Notifier | None,
        clock: Callable[[], datetime],
        interval: float = 30.0,
        retry_base: float = 60.0,
        retry_max: float = 3600.0,
    ) -> None:
        self.store = store
        self.sla = sla
        self.follow_up_drafter = follow_up_drafter
        self.notifier = notifier
        self.clock = clock
        self.interval = interval
        self.retry_base = retry_base
        self.retry_max = retry_max

    async def run_once(self, now: datetime | None = None) -> KeeperReport:
        """One tick: flag SLAs at risk, write due follow-ups, send due notifications."""
        at = now or self.clock()
        report = KeeperReport()
        report.at_risk = await self.flag_at_risk(at)
        drafter = self.follow_up_drafter
        created = await self.store.write(lambda s: s.create_follow_ups(at, drafter))
        report.follow_ups = len(created)
        if created:
            log.info("%d follow-up drafts written", len(created),
                     extra={"event": "follow_ups", "drafts": created})
        report.sent, report.failed = await self.send_due(at)
        return report

    async def flag_at_risk(self, now: datetime) -> int:
        """Queue one notification for each case that has just come within 20% of its target."""
        # only cases that can be inside their at-risk window now (the store narrows by time)
        first, resolve = self.sla.first_response.values(), self.sla.resolution.values()
        due_before = now + max(first) * AT_RISK_FRACTION
        opened_after = now - max(resolve)
        opened_before = now - min(resolve) * (1 - AT_RISK_FRACTION)
        watched = await self.store.read(lambda s: s.cases_to_watch(
            now=now, due_before=due_before, opened_after=opened_after,
            opened_before=opened_before))
        flagged = []
        for case, handle in watched:
            state, due = self.sla.state(case, now)
            if state == "at_risk" and due is not None:
                phase = "first_response" if case.first_response_at is None else "resolution"
                flagged.append((case.id, f"sla_at_risk:{phase}",
                                sla_text(case, handle, phase, due)))
        if not flagged:
            return 0

        def queue(store: Store) -> int:
            with store.transaction():
                return sum(store.queue_notification(case_id, reason, text, now=now)
                           for case_id, reason, text in flagged)

        return await self.store.write(queue)

    async def send_due(self, now: datetime) -> tuple[int, int]:
        """Send every notification due; returns (sent, failed)."""
        if self.notifier is None:
            return 0, 0
        due = await self.store.read(lambda s: s.due_notifications(now))
        sent = failed = 0
        for item in due:
            ident = int(item["id"])
            try:
                await self.notifier(str(item["text"]))
            except NotifyFailed as exc:
                failed += 1
                delay = min(self.retry_max, self.retry_base * 2 ** int(item["attempts"]))
                retry_at = now + timedelta(seconds=delay)
                error = str(exc)
                await self.store.write(partial(Store.mark_notification_failed,
                                               notification_id=ident, error=error,
                                               retry_at=retry_at))
                log.warning("notification %d for case %s not delivered (%s); retrying at %s",
                            ident, item["case_id"], error, iso(retry_at),
                            extra={"event": "notify_failed", "case": item["case_id"]})
            else:
                sent += 1
                await self.store.write(partial(Store.mark_notification_sent,
                                               notification_id=ident, now=now))
                log.info("notified: case %s %s", item["case_id"], item["reason"],
                         extra={"event": "notified", "case": item["case_id"],
                                "reason": item["reason"]})
        return sent, failed

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every `interval` seconds until stop is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except StoreUnavailable:  # the store logs its outage; the next tick tries again
                pass
            except Exception:  # a store or template failure must not stop the clock for good
                log.exception("case clock tick failed", extra={"event": "error"})
            await interruptible_sleep(self.interval, stop)
