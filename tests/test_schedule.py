"""When the daemon sends digests, and when negative chatter is a crisis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.settings import Digest
from responders.schedule import crisis, due_digests

OPTIONS = Digest(daily_at="08:00", weekly_on="monday", weekly_at="09:00")
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday


def test_a_daily_digest_is_due_once_after_its_time() -> None:
    before = due_digests(OPTIONS, now=MONDAY.replace(hour=7, minute=59),
                         last={"daily": MONDAY - timedelta(hours=16), "weekly": MONDAY})
    assert before == []
    (due,) = due_digests(OPTIONS, now=MONDAY.replace(hour=8, minute=1),
                         last={"daily": MONDAY - timedelta(hours=16), "weekly": MONDAY})
    assert due.kind == "daily" and due.send
    assert (due.period.start, due.period.end) == (MONDAY.replace(hour=8) - timedelta(days=1),
                                                  MONDAY.replace(hour=8))
    again = due_digests(OPTIONS, now=MONDAY.replace(hour=8, minute=30),
                        last={"daily": due.slot, "weekly": MONDAY})
    assert again == []


def test_the_weekly_digest_covers_the_seven_days_before_its_slot() -> None:
    now = MONDAY.replace(hour=9, minute=5)
    last_week = MONDAY - timedelta(days=7)
    due = {d.kind: d for d in due_digests(OPTIONS, now=now,
                                          last={"daily": now, "weekly": last_week})}
    weekly = due["weekly"]
    assert weekly.period.end == MONDAY.replace(hour=9)
    assert weekly.period.end - weekly.period.start == timedelta(days=7)
    # on Thursday the latest weekly slot is still Monday's
    thursday = MONDAY + timedelta(days=3, hours=12)
    assert due_digests(OPTIONS, now=thursday, last={"daily": thursday,
                                                    "weekly": weekly.slot}) == []


def test_a_first_start_long_after_the_slot_records_it_without_sending() -> None:
    due = due_digests(OPTIONS, now=MONDAY.replace(hour=15), last={})
    assert {d.kind: d.send for d in due} == {"daily": False, "weekly": False}
    soon = due_digests(OPTIONS, now=MONDAY.replace(hour=8, minute=20), last={})
    assert {d.kind: d.send for d in soon} == {"daily": True, "weekly": False}  # last week's
    assert due_digests(Digest(), now=MONDAY, last={}) == []  # nothing scheduled


def test_a_crisis_is_a_last_hour_far_above_the_hours_before() -> None:
    quiet = [1, 0, 2, 1, 1, 0, 1, 2, 1, 1, 0, 1]
    assert crisis(quiet, 2, z=3) is None
    alert = crisis(quiet, 12, z=3)
    assert alert is not None and alert["negative"] == 12 and alert["z"] > 3
    assert crisis(quiet, 2, z=0.1) is None  # below the minimum count
    assert crisis([0] * 12, 5, z=3) == {"negative": 5.0, "baseline": 0.0, "z": 5.0}


async def test_scheduler_sends_each_digest_and_crisis_alert_once_across_restarts(
        db_url) -> None:  # type: ignore[no-untyped-def]
    from monitor.settings import Settings
    from monitor.store import AsyncStore, Store
    from responders.schedule import DigestScheduler
    from tests.factories import T0, analysed, mention, simple_planner

    now = MONDAY.replace(hour=8, minute=10)
    offset = (now - T0).total_seconds() / 60  # the factories count minutes from T0
    posts = [analysed(mention(str(i), "brightwave down", author=f"c{i}",
                              minutes=offset - 55 + i), intent="outage")
             for i in range(12)]
    db = db_url()
    store = Store(db)
    store.ingest("s", None, posts, simple_planner, now=now)
    store.close()
    settings = Settings.model_validate({
        "brand": {"name": "Brightwave", "keywords": ["brightwave"]},
        "digest": {"daily_at": "08:00", "recipients": ["m@example.com"]},
    })
    alerts: list[str] = []
    sent: list[dict] = []

    async def notify(text: str) -> None:
        alerts.append(text)

    async def send(options, document) -> None:  # type: ignore[no-untyped-def]
        sent.append(document)

    for _restart in range(2):
        astore = await AsyncStore(db).open()
        scheduler = DigestScheduler(settings, astore, notifier=notify, send=send,
                                    clock=lambda: now)
        await scheduler.run_once()
        await scheduler.run_once()
        await astore.close()
    assert len(alerts) == 1 and "12 negative mentions in the last hour" in alerts[0]
    assert len(sent) == 1
    assert sent[0]["period"]["end"].startswith("2026-11-23T08:00")
    assert sent[0]["volume"]["total"] == 12
