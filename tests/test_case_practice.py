"""Case practice, scripted: conversations replayed through the real pipeline and store.

Each test writes posts to a JSON Lines file that the replay platform pages through (two posts a
page, so cases span pages), as the daemon's poller does, with an injected clock. The case clock
(`CaseKeeper.run_once`) is called at chosen simulated times, so days pass in milliseconds. A
local aiohttp server on 127.0.0.1 stands in for the Slack webhook and records what it received.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from monitor.case_clock import CaseKeeper, KeeperReport
from monitor.daemon import build_case_keeper, build_pipeline
from monitor.platforms import build_platform
from monitor.poller import Poller
from monitor.settings import Settings, load_settings
from monitor.store import AsyncStore, Store
from responders.auth import new_token, token_hash
from responders.notify import WebhookNotifier
from responders.web.app import make_app
from tests.factories import T0
from tests.helpers import ROOT, brandbot, with_storage

CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]
hashtags = ["brightwavedown"]

[brand.handles]
x = ["BrightwaveHelp"]

[routing]
default_team = "care"

[routing.teams.billing]
intents = ["billing", "cancellation"]
terms = ["refund", "direct debit"]

[routing.teams.network]
intents = ["outage"]
terms = ["#brightwavedown"]

[sla]
first_response = "1h"
resolution = "8h"
follow_up = "24h"

[cases]
reopen_window = "7d"
outage_cluster_size = 5
outage_cluster_window = "10m"

[notify]
webhook_url_env = "CASE_TEST_WEBHOOK"

[storage]
url = "sqlite:///brandbot.db"

[[sources]]
name = "feed"
platform = "replay"
path = "feed.jsonl"
page_size = 2
interval = "1s"
"""

DOWN = "@BrightwaveHelp my brightwave broadband is down again, no internet since 6am"
STILL_DOWN = "@BrightwaveHelp still no internet, brightwave this is ridiculous"
DAY_THREE = "@BrightwaveHelp hello?? still nothing. Three days without internet, brightwave"
BILLING = "@BrightwaveHelp brightwave charged me twice on my bill, I want a refund"
ROUTER = "@BrightwaveHelp brightwave router is broken again, it keeps rebooting"
LEGAL = ("@BrightwaveHelp brightwave overcharged me AGAIN and ignored three emails. "
         "My solicitor will be in touch")


class Clock:
    """The injected clock: tests set it; nothing sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> datetime:
        self.now = T0 + timedelta(minutes=minutes)
        return self.now


@dataclass
class Webhook:
    """A Slack-compatible webhook on loopback that records every message it accepted."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    refuse: int = 0  # answer this many requests with a 500 first
    requests: int = 0

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.received]


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    hook = Webhook()

    async def receive(request: web.Request) -> web.Response:
        hook.requests += 1
        body = await request.json()
        if hook.refuse:
            hook.refuse -= 1
            return web.Response(status=500, text="internal error")
        hook.received.append(body)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hook.url = f"http://{host}:{port}/hook"
    yield hook
    await runner.cleanup()


class Care:
    """The daemon's listening side and case clock, driven by hand with an injected clock."""

    def __init__(self, folder: Path, url: str, webhook: Webhook | None = None) -> None:
        self.folder = folder
        (folder / "brandbot.toml").write_text(with_storage(CONFIG, url), encoding="utf-8")
        self.feed = folder / "feed.jsonl"
        self.feed.touch()
        env = {"CASE_TEST_WEBHOOK": webhook.url} if webhook else {}
        self.settings: Settings = load_settings(folder / "brandbot.toml", environ=env)
        self.clock = Clock(T0)
        self.webhook = webhook

    async def __aenter__(self) -> Care:
        self.store = await AsyncStore(self.settings.storage_url).open()
        pipeline = build_pipeline(self.settings, self.store, clock=self.clock)
        source = self.settings.sources[0]
        self.poller = Poller(key=source.key, platform=build_platform(source, self.settings),
                             pipeline=pipeline, store=self.store, interval=1, clock=self.clock)
        self.notifier = WebhookNotifier(self.webhook.url) if self.webhook else None
        self.keeper: CaseKeeper = build_case_keeper(self.settings, self.store,
                                                    notifier=self.notifier, clock=self.clock)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.notifier is not None:
            await self.notifier.close()
        await self.store.close()

    def post(self, native_id: str, author: str, text: str, *, minutes: float,
             platform: str = "x", in_reply_to: str | None = None,
             conversation_id: str | None = None, followers: int = 120) -> None:
        """A customer (or our own account) posts, `minutes` after T0."""
        line = {"platform": platform, "id": native_id, "author": author, "text": text,
                "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
                "author_followers": followers, "conversation_id": conversation_id or native_id}
        if in_reply_to:
            line["in_reply_to"] = in_reply_to
        with self.feed.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    async def listen(self, *, minutes: float | None = None) -> None:
        """The poller drains the feed, as a daemon cycle does."""
        if minutes is not None:
            self.clock.at(minutes)
        assert await self.poller.drain(asyncio.Event(), retry=False)

    async def tick(self, minutes: float) -> KeeperReport:
        """One run of the case clock at T0 + minutes."""
        return await self.keeper.run_once(self.clock.at(minutes))

    async def read(self, fn: Any) -> Any:
        return await self.store.read(fn)

    async def write(self, fn: Any) -> Any:
        return await self.store.write(fn)

    async def cases(self) -> list[dict[str, Any]]:
        return list(reversed(await self.read(lambda s: s.list_cases())))

    async def case(self, case_id: int) -> dict[str, Any]:
        return dict(await self.read(lambda s: s.case_row(case_id)))

    async def drafts(self, **where: Any) -> list[dict[str, Any]]:
        rows = await self.read(lambda s: s.list_drafts(limit=1000))
        return sorted((r for r in rows if all(r[k] == v for k, v in where.items())),
                      key=lambda r: r["id"])

    async def answer(self, draft_id: int, *, minutes: float) -> None:
        """A person approves a draft and the publisher posts it."""
        at = self.clock.at(minutes)

        def run(s: Store) -> None:
            s.decide_draft(draft_id, approve=True, actor="ann", now=at)
            s.mark_posted(draft_id, posted_id=f"reply-{draft_id}", url=None, now=at)

        await self.write(run)

    async def resolve(self, case_id: int, *, minutes: float) -> None:
        at = self.clock.at(minutes)
        follow_up = self.settings.sla.follow_up
        await self.write(lambda s: s.resolve_case(case_id, actor="ann", now=at,
                                                  follow_up=follow_up))

    async def sla(self, case_id: int) -> str:
        """The case's SLA state as `cases list --json` computes it, now."""
        from monitor.sla import SlaPolicy

        row = await self.case(case_id)
        return str(SlaPolicy.from_settings(self.settings).of_row(row, self.clock())["sla_state"])


@pytest.fixture
async def care(tmp_path: Path, db_url: Callable[..., str]) -> AsyncIterator[Care]:
    async with Care(tmp_path, db_url()) as running:
        yield running


# --- threading --------------------------------------------------------------------------------


async def test_a_customer_posting_three_times_gets_one_case(care: Care) -> None:
    care.post("100", "dana", DOWN, minutes=0)
    care.post("101", "dana", STILL_DOWN, minutes=25)
    care.post("102", "dana", DAY_THREE, minutes=70)
    await care.listen(minutes=71)

    (case,) = await care.cases()
    assert (case["mention_count"], case["customer_effort"]) == (3, 3)
    assert (case["status"], case["team"], case["intent"]) == ("open", "network", "outage")
    assert len(await care.drafts(status="pending")) == 1  # one reply waits for a person


async def test_a_customer_saying_it_is_sorted_turns_the_waiting_apology_into_thanks(
        care: Care) -> None:
    care.post("150", "fern", BILLING, minutes=0)
    care.post("160", "gus", ROUTER, minutes=0)
    await care.listen(minutes=1)
    (before,) = await care.drafts(status="pending", mention_id="x:150")
    assert "sorry" in before["text"].lower()
    # in a later page: Fern says it's put right; Gus only thanks us in advance
    care.post("151", "fern", "@BrightwaveHelp ah ignore me, the second charge has dropped off "
              "now. All sorted, thanks!", minutes=30, conversation_id="150")
    care.post("161", "gus", "@BrightwaveHelp thanks in advance, appreciate it!", minutes=30,
              conversation_id="160")
    await care.listen(minutes=31)

    fern = (await care.drafts(status="pending", case_id=before["case_id"]))[-1]
    assert fern["mention_id"] == "x:151"
    assert "sorry" not in fern["text"].lower() and "dm" not in fern["text"].lower()
    assert "thank" in fern["text"].lower()
    # a thank-you in advance leaves the answer to the problem as it was
    (gus,) = await care.drafts(status="pending", mention_id="x:160")
    assert "sorry" in gus["text"].lower()
    assert len(await care.cases()) == 2


async def test_a_customer_who_said_they_dmed_is_never_asked_to_dm_again_on_that_case(
        care: Care) -> None:
    care.post("170", "hana", BILLING, minutes=0)
    await care.listen(minutes=1)
    care.post("171", "hana", "@BrightwaveHelp I've sent you a DM with my account details",
              minutes=20, conversation_id="170")
    await care.listen(minutes=21)
    # pages later, a chaser that says nothing of the DM
    care.post("172", "hana", "@BrightwaveHelp hello?? 3 hours and nothing. Anyone there?",
              minutes=200, conversation_id="170")
    await care.listen(minutes=201)

    (draft,) = await care.drafts(status="pending")
    assert draft["mention_id"] == "x:172"
    text = draft["text"].lower()
    assert "dm us" not in text and "send us a dm" not in text and "message us" not in text
    assert "no need to" in text or "nothing more to send" in text  # we have what they sent


async def test_a_reply_in_the_thread_joins_and_our_reply_is_the_first_response(
        care: Care) -> None:
    care.post("200", "eli", BILLING, minutes=0)
    care.post("201", "BrightwaveHelp", "Sorry Eli, DM us your account number ^Sam",
              minutes=12, in_reply_to="200", conversation_id="200")
    # nine days later, past the reopen window: a reply in the thread still joins
    care.post("202", "eli", "any update on this? brightwave", minutes=9 * 24 * 60,
              in_reply_to="201", conversation_id="200")
    await care.listen(minutes=9 * 24 * 60)

    (case,) = await care.cases()
    assert case["first_response_at"].startswith("2026-11-18T07:12")
    assert case["mention_count"] == 2
    assert case["customer_effort"] == 1  # only the post before our answer
    assert case["status"] == "open"  # the customer came back: the next move is ours
    assert case["team"] == "billing"


async def test_a_complaint_after_resolution_reopens_the_case_within_the_window(
        care: Care) -> None:
    care.post("300", "fay", ROUTER, minutes=0)
    await care.listen(minutes=1)
    (draft,) = await care.drafts()
    await care.answer(draft["id"], minutes=20)
    await care.resolve(draft["case_id"], minutes=60)

    care.post("301", "fay", "@BrightwaveHelp brightwave router broken AGAIN, same reboot loop",
              minutes=2 * 24 * 60)
    await care.listen()
    (case,) = await care.cases()
    assert (case["status"], case["resolved_at"], case["mention_count"]) == ("open", None, 2)
    assert [d["mention_id"] for d in await care.drafts(status="pending")] == ["x:301"]

    # outside the window after a second resolution, a new problem is a new case
    (pending,) = await care.drafts(status="pending")
    await care.answer(pending["id"], minutes=2 * 24 * 60 + 30)
    await care.resolve(case["id"], minutes=2 * 24 * 60 + 60)
    care.post("302", "fay", ROUTER, minutes=10 * 24 * 60)
    await care.listen()
    assert [c["status"] for c in await care.cases()] == ["resolved", "open"]


async def test_billing_terms_route_to_the_billing_team(care: Care) -> None:
    care.post("400", "gus", BILLING, minutes=0)
    care.post("401", "hal", "@BrightwaveHelp brightwave router broken again, it keeps "
                            "rebooting #brightwavedown", minutes=1)
    care.post("402", "ivy", DOWN, minutes=2)
    care.post("403", "jo", ROUTER, minutes=3)
    await care.listen(minutes=4)
    teams = {c["author"]: c["team"] for c in await care.cases()}
    # the network team's hashtag beats the router problem's intent; the rest go by intent
    assert teams == {"gus": "billing", "hal": "network", "ivy": "network", "jo": "care"}


# --- escalation and incidents ---------------------------------------------------------------


async def test_a_legal_threat_escalates_and_notifies_once_from_the_daemon(
        tmp_path: Path, webhook: Webhook, db_url: Callable[..., str]) -> None:
    (tmp_path / "brandbot.toml").write_text(with_storage(CONFIG, db_url()), encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    posts = [("500", "kim", BILLING, 0), ("501", "kim", LEGAL, 30),
             ("502", "kim", "@BrightwaveHelp brightwave still overcharging me, I am reporting "
                            "you to Ofcom today", 45)]
    feed.write_text("".join(json.dumps({
        "platform": "x", "id": i, "author": a, "text": t, "author_followers": 80,
        "created_at": (T0 + timedelta(minutes=m)).isoformat()}) + "\n"
        for i, a, t, m in posts[:2]), encoding="utf-8")

    async def run_once() -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
        env["CASE_TEST_WEBHOOK"] = webhook.url
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor.cli", "--config", str(tmp_path / "brandbot.toml"),
            "run", "--once", "--no-web", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, out.decode()

    await run_once()
    assert len(webhook.received) == 1
    (text,) = webhook.texts
    assert "Case #1 escalated" in text and "solicitor" in text and "@kim" in text
    (case,) = _read(db_url(), lambda s: s.list_cases())
    assert (case["status"], case["priority"], case["team"]) == ("escalated", "urgent", "billing")
    assert case["escalation"] == "escalation(legal); legal: solicitor"

    # restarted, and with another legal threat on the same case: still one notification
    with feed.open("a", encoding="utf-8") as f:
        i, a, t, m = posts[2]
        f.write(json.dumps({"platform": "x", "id": i, "author": a, "text": t,
                            "created_at": (T0 + timedelta(minutes=m)).isoformat()}) + "\n")
    await run_once()
    assert len(webhook.received) == 1 and webhook.requests == 1
    (case,) = _read(db_url(), lambda s: s.list_cases())
    assert case["escalation"] == "escalation(legal); legal: solicitor, reporting you to, ofcom"
    (sent,) = _read(db_url(), lambda s: s.case_detail(case["id"])["notifications"])
    assert sent["sent_at"] is not None and sent["attempts"] == 1


async def test_a_case_escalated_by_hand_notifies_the_webhook_once_per_kind(
        tmp_path: Path, webhook: Webhook, db_url: Callable[..., str]) -> None:
    from monitor.cases import CaseRules
    from monitor.models import Escalation
    from monitor.store import StoreError
    from responders import casework

    async with Care(tmp_path, db_url(), webhook) as care:
        care.post("520", "lou", ROUTER, minutes=0)
        await care.listen(minutes=1)
        (case,) = await care.cases()
        rules = CaseRules.from_settings(care.settings)

        def escalate(kind: Escalation | None, reason: str = "") -> Any:
            return lambda s: casework.escalate(s, case["id"], user="ann", now=care.clock(),
                                               rules=rules, kind=kind, reason=reason)

        await care.write(escalate(Escalation.VULNERABLE, "her husband died last week"))
        await care.tick(5)
        (text,) = webhook.texts
        assert f"Case #{case['id']} escalated by ann (vulnerable" in text and "@lou" in text
        assert "her husband died" in text
        await care.tick(10)  # sent once
        assert len(webhook.received) == 1
        # another kind is news for whoever watches the channel; the same kind again is refused
        await care.write(escalate(Escalation.LEGAL))
        await care.tick(15)
        assert len(webhook.received) == 2 and "(legal)" in webhook.texts[1]
        with pytest.raises(StoreError, match="already escalated"):
            await care.write(escalate(Escalation.LEGAL))


def _read(url: str, fn: Any) -> Any:
    store = Store(url)
    try:
        return fn(store)
    finally:
        store.close()


async def test_a_failed_webhook_is_retried_later_and_never_blocks_ingest(
        tmp_path: Path, webhook: Webhook, db_url: Callable[..., str]) -> None:
    webhook.refuse = 1
    async with Care(tmp_path, db_url(), webhook) as care:
        care.post("550", "lee", LEGAL, minutes=0)
        await care.listen(minutes=1)
        assert (await care.cases())[0]["status"] == "escalated"  # stored before any webhook
        report = await care.tick(minutes=1)
        assert (report.sent, report.failed) == (0, 1)
        assert (await care.tick(minutes=1.5)).failed == 0  # not due again yet
        report = await care.tick(minutes=3)
        assert (report.sent, report.failed) == (1, 0)
        await care.tick(minutes=10)
    assert webhook.requests == 2 and len(webhook.received) == 1


async def test_a_high_reach_author_escalates(care: Care) -> None:
    care.post("560", "bigvoice", ROUTER, minutes=0, followers=250_000)
    care.post("561", "smallvoice", ROUTER, minutes=1, followers=300)
    await care.listen(minutes=2)
    cases = {c["author"]: c for c in await care.cases()}
    assert cases["bigvoice"]["status"] == "escalated"
    assert cases["bigvoice"]["escalation"] == "high-reach author (250000 followers)"
    assert cases["smallvoice"]["status"] == "open"


async def test_an_outage_cluster_becomes_one_incident_with_every_post(
        tmp_path: Path, webhook: Webhook, db_url: Callable[..., str]) -> None:
    async with Care(tmp_path, db_url(), webhook) as care:
        customers = ["ann_b", "ben_c", "cat_d", "dev_e", "eve_f", "fin_g"]
        for n, who in enumerate(customers):  # six customers within five minutes
            care.post(f"60{n}", who, f"@BrightwaveHelp brightwave is down, no internet on "
                                     f"{who.title()} Street #brightwavedown", minutes=n)
        await care.listen(minutes=6)

        open_cases = [c for c in await care.cases() if c["status"] != "closed"]
        (incident,) = open_cases
        assert (incident["kind"], incident["status"], incident["priority"]) == (
            "incident", "escalated", "urgent")
        assert incident["team"] == "network" and incident["mention_count"] == 6
        assert incident["escalation"] == "outage cluster (5 customers)"
        posts = await care.read(lambda s: s.case_detail(incident["id"])["mentions"])
        assert sorted(p["author"] for p in posts) == customers
        drafts = await care.drafts(status="pending")
        assert {d["case_id"] for d in drafts} == {incident["id"]}
        assert sorted(d["author"] for d in drafts) == customers  # each customer gets a reply
        merged = [c for c in await care.cases() if c["status"] == "closed"]
        assert merged and all(c["merged_into"] == incident["id"] and c["mention_count"] == 0
                              for c in merged)

        # during the incident, outage complaints join it instead of opening cases
        care.post("610", "gil_h", "@BrightwaveHelp no internet here either, brightwave is down",
                  minutes=40)
        care.post("611", "ann_b", "@BrightwaveHelp still down!! brightwave", minutes=41)
        await care.listen(minutes=42)
        assert (await care.case(incident["id"]))["mention_count"] == 8
        assert [c["id"] for c in await care.cases() if c["status"] != "closed"] == [
            incident["id"]]
        assert len(await care.drafts(status="pending")) == 7  # ann_b's reply is still waiting

        await care.tick(minutes=42)
        await care.tick(minutes=50)  # the incident's own first-response SLA is now at risk
    incident_news, at_risk = webhook.texts  # nothing about the customers' merged cases
    assert incident_news.startswith(f"Incident #{incident['id']}: 5 customers reported an "
                                    "outage within 10 minutes")
    assert at_risk.startswith(f"Case #{incident['id']} is at risk")


async def test_an_incident_takes_only_outage_replies_and_our_fix_post_resolves_it(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    async with Care(tmp_path, db_url()) as care:
        for n, who in enumerate(["ann_b", "ben_c", "cat_d", "dev_e", "eve_f"]):
            care.post(f"70{n}", who, f"@BrightwaveHelp no internet at all on {who.title()} "
                                     "Street, brightwave is down", minutes=n)
        # during the outage: share-price chatter, spam and a billing complaint
        care.post("710", "markets", "Brightwave shares down 2% as analysts eye the outage, "
                                    "report says", minutes=6)
        care.post("711", "cryptobro", "Brightwave down? Turn £250 into £25,000 with our crypto "
                                      "bot, results guaranteed, link in bio", minutes=7)
        care.post("712", "gus_h", "@BrightwaveHelp you charged me twice for November, I want a "
                                  "refund", minutes=8)
        await care.listen(minutes=9)
        (incident,) = [c for c in await care.cases() if c["kind"] == "incident"]
        posts = await care.read(lambda s: s.case_detail(incident["id"])["mentions"])
        assert sorted(p["author"] for p in posts) == ["ann_b", "ben_c", "cat_d", "dev_e",
                                                      "eve_f"]
        others = {c["author"]: c for c in await care.cases() if c["kind"] == "customer"
                  and c["status"] != "closed"}
        assert set(others) == {"gus_h"} and others["gus_h"]["intent"] == "billing"

        care.post("720", "BrightwaveHelp", "Broadband is back up and running for everyone. "
                                           "Sorry for the disruption this morning.", minutes=40)
        care.post("721", "fay_i", "@BrightwaveHelp no internet here on Mill Road, is brightwave "
                                  "down?", minutes=45)
        await care.listen(minutes=46)
        assert (await care.case(incident["id"]))["status"] == "resolved"
        fay = [c for c in await care.cases() if c["author"] == "fay_i"]
        assert len(fay) == 1 and fay[0]["kind"] == "customer"  # her own case, not the old one


# --- SLAs -----------------------------------------------------------------------------------


async def test_sla_at_risk_and_breach_show_at_the_right_times_and_at_risk_notifies_once(
        tmp_path: Path, webhook: Webhook, db_url: Callable[..., str]) -> None:
    async with Care(tmp_path, db_url(), webhook) as care:
        care.post("700", "mo", BILLING, minutes=0)
        await care.listen(minutes=1)
        (case,) = await care.cases()
        # first response due in 1h: at risk in its last 20% (from 48 minutes), then breached
        expected = {30: "ok", 47: "ok", 48: "at_risk", 59: "at_risk", 60: "breached",
                    90: "breached"}
        for minutes, state in expected.items():
            care.clock.at(minutes)
            assert await care.sla(case["id"]) == state, minutes

        assert (await care.tick(minutes=30)).at_risk == 0
        assert (await care.tick(minutes=50)).at_risk == 1
        assert (await care.tick(minutes=55)).at_risk == 0
        assert (await care.tick(minutes=61)).at_risk == 0
        assert len(webhook.received) == 1
        assert "at risk of missing its first response target" in webhook.texts[0]

        # the queue, the API and the cases page show the flag, at the app's (injected) time
        care.clock.at(50)
        token = new_token()
        await care.write(lambda s: (s.add_user("ann", _role(), "x", actor="t", now=T0),
                                    s.add_api_token(token_hash(token), username="ann",
                                                    actor="t", now=T0)))
        app = make_app(care.settings, care.store, {}, clock=care.clock)
        async with TestClient(TestServer(app)) as client:
            auth = {"Authorization": f"Bearer {token}"}
            drafts = await (await client.get("/api/drafts?status=pending", headers=auth)).json()
            assert drafts[0]["sla_state"] == "at_risk" and drafts[0]["kind"] == "reply"
            cases = await (await client.get("/api/cases", headers=auth)).json()
            assert cases[0]["sla_state"] == "at_risk"
            assert "SLA at risk" in await (await client.get("/", headers=auth)).text()
            care.clock.at(61)
            assert "SLA breached" in await (await client.get("/", headers=auth)).text()
            assert "breached" in await (await client.get("/cases", headers=auth)).text()
            one = await (await client.get(f"/api/cases/{case['id']}", headers=auth)).json()
            assert one["case"]["sla_state"] == "breached"

        # answered, the resolution target applies: 8h from opening, at risk from 6h24m
        (draft,) = await care.drafts()
        await care.answer(draft["id"], minutes=65)
        assert await care.sla(case["id"]) == "ok"
        assert (await care.tick(minutes=6 * 60 + 30)).at_risk == 1
        assert (await care.tick(minutes=6 * 60 + 40)).at_risk == 0
    assert len(webhook.received) == 2
    assert "resolution target" in webhook.texts[1]


def _role() -> Any:
    from monitor.models import Role

    return Role.APPROVER


# --- resolution, follow-up, CSAT ------------------------------------------------------------


async def test_a_follow_up_draft_appears_after_resolution_and_a_5_sets_csat(care: Care) -> None:
    care.post("800", "nia", ROUTER, minutes=0)
    await care.listen(minutes=1)
    (draft,) = await care.drafts()
    case_id = draft["case_id"]
    await care.answer(draft["id"], minutes=30)
    await care.resolve(case_id, minutes=120)
    case = await care.case(case_id)
    assert case["follow_up_due_at"].startswith("2026-11-19T09:00")
    assert case["replies_posted"] == 1  # resolved after exactly one reply: first contact

    assert (await care.tick(minutes=120 + 23 * 60)).follow_ups == 0
    assert (await care.tick(minutes=120 + 24 * 60)).follow_ups == 1
    assert (await care.tick(minutes=120 + 25 * 60)).follow_ups == 0  # once per resolution
    (follow_up,) = await care.drafts(kind="follow_up")
    assert follow_up["status"] == "pending" and follow_up["mention_id"] == "x:800"
    assert "checking in" in follow_up["text"] and "1 (poor) to 5 (great)" in follow_up["text"]

    await care.answer(follow_up["id"], minutes=120 + 25 * 60)
    care.post("801", "nia", "@BrightwaveHelp 5", minutes=120 + 26 * 60, in_reply_to="800",
              conversation_id="800")
    await care.listen()
    case = await care.case(case_id)
    assert (case["csat"], case["status"], case["mention_count"]) == (5, "resolved", 2)
    assert case["replies_posted"] == 1  # a follow-up is not a reply
    assert await care.drafts(status="pending") == []  # a rating asks for no answer


async def test_a_rating_by_the_same_author_outside_the_thread_counts_too(care: Care) -> None:
    care.post("850", "oli", BILLING, minutes=0)
    await care.listen(minutes=1)
    (draft,) = await care.drafts()
    await care.resolve(draft["case_id"], minutes=60)
    care.post("851", "oli", "4/5 thanks brightwave", minutes=26 * 60)
    await care.listen()
    case = await care.case(draft["case_id"])
    assert (case["csat"], case["status"]) == (4, "resolved")


# --- customers ------------------------------------------------------------------------------


async def test_customer_history_spans_linked_accounts(care: Care) -> None:
    care.post("900", "dana", BILLING, minutes=0)
    care.post("t3_901", "dana_k", "brightwave support is useless, still no refund after "
                                  "three weeks", minutes=30, platform="reddit")
    care.post("902", "someone", ROUTER, minutes=31)
    await care.listen(minutes=32)
    (first,) = [d for d in await care.drafts() if d["author"] == "dana"]
    await care.answer(first["id"], minutes=40)
    await care.resolve(first["case_id"], minutes=50)

    alone = await care.read(lambda s: s.customer_view("x:dana"))
    assert [a["id"] for a in alone["authors"]] == ["x:dana"]
    linked = await care.write(lambda s: s.link_customers("x:dana", "reddit:dana_k",
                                                         actor="ann", now=T0))
    assert linked == ["reddit:dana_k", "x:dana"]
    view = await care.read(lambda s: s.customer_view("reddit:dana_k"))
    assert {c["platform"] for c in view["cases"]} == {"x", "reddit"}
    assert view["summary"]["posts"] == 2 and view["summary"]["cases"] == 2
    assert view["summary"]["outcomes"] == {"resolved": 1, "open": 1}
    assert len(view["answers"]) == 1

    token = new_token()
    await care.write(lambda s: (s.add_user("ann", _role(), "x", actor="t", now=T0),
                                s.add_api_token(token_hash(token), username="ann", actor="t",
                                                now=T0)))
    app = make_app(care.settings, care.store, {}, clock=care.clock)
    async with TestClient(TestServer(app)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        body = await (await client.get("/api/customers/x:dana", headers=auth)).json()
        assert [a["id"] for a in body["authors"]] == ["reddit:dana_k", "x:dana"]
        missing = await client.get("/api/customers/x:nobody", headers=auth)
        assert missing.status == 404
        (reddit,) = [d for d in await care.drafts() if d["author"] == "dana_k"]
        page = await (await client.get(f"/drafts/{reddit['id']}", headers=auth)).text()
        assert "Linked accounts" in page and "1 resolved" in page


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def ran(tmp_path: Path, db_url: Callable[..., str]) -> Iterator[Path]:
    """A folder with a config, a feed and a database after one daemon cycle."""
    (tmp_path / "brandbot.toml").write_text(with_storage(CONFIG, db_url()).replace(
        'webhook_url_env = "CASE_TEST_WEBHOOK"\n', ""), encoding="utf-8")
    lines = [("1", "pat", BILLING, 0), ("2", "pat", STILL_DOWN, 20), ("3", "quin", ROUTER, 30)]
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps({
        "platform": "x", "id": i, "author": a, "text": t,
        "created_at": (T0 + timedelta(minutes=m)).isoformat()}) + "\n"
        for i, a, t, m in lines), encoding="utf-8")
    result = brandbot("--config", str(tmp_path / "brandbot.toml"), "run", "--once", "--no-web")
    assert result.returncode == 0, result.stderr
    yield tmp_path


def test_the_cases_commands(ran: Path) -> None:
    config = str(ran / "brandbot.toml")
    listed = brandbot("--config", config, "cases", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    cases = json.loads(listed.stdout)
    assert {"id", "status", "author", "platform", "intent", "priority", "team", "opened_at",
            "first_response_at", "resolved_at", "sla_due_at", "mention_count", "sla_state",
            "csat", "kind"} <= set(cases[0])
    pat = next(c for c in cases if c["author"] == "pat")
    assert (pat["mention_count"], pat["team"], pat["sla_state"]) == (2, "billing", "breached")
    assert pat["sla_due_at"].startswith("2026-11-18T08:00")

    billing = json.loads(brandbot("--config", config, "cases", "list", "--team", "billing",
                                  "--json").stdout)
    assert [c["author"] for c in billing] == ["pat"]

    assert brandbot("--config", config, "users", "add", "ann", "--role", "approver",
                    stdin="correct horse battery\n").returncode == 0
    refused = brandbot("--config", config, "cases", "resolve", str(pat["id"]), "--as", "eve")
    assert refused.returncode == 1 and "unknown user 'eve'" in refused.stderr
    assigned = brandbot("--config", config, "cases", "assign", str(pat["id"]), "--team",
                        "network", "--as", "ann")
    assert assigned.returncode == 0, assigned.stderr
    to_ann = brandbot("--config", config, "cases", "assign", str(pat["id"]), "--to", "ann",
                      "--as", "ann")
    assert to_ann.returncode == 0, to_ann.stderr

    def authors(*filters: str) -> list[str]:
        done = brandbot("--config", config, "cases", "list", *filters, "--json")
        assert done.returncode == 0, done.stderr
        return sorted(c["author"] for c in json.loads(done.stdout))

    # the cases page's filters, from the command line
    assert authors("--assignee", "ann") == ["pat"]
    assert authors("--unassigned") == ["quin"]
    assert authors("--search", "rebooting") == ["quin"]  # words of the customer's post
    assert "pat" in authors("--sla", "breached") and authors("--escalation", "any") == []
    unknown = brandbot("--config", config, "cases", "assign", str(pat["id"]), "--team", "nope")
    assert unknown.returncode == 2 and "unknown team 'nope'" in unknown.stderr
    resolved = brandbot("--config", config, "cases", "resolve", str(pat["id"]), "--as", "ann")
    assert resolved.returncode == 0, resolved.stderr
    assert "follow-up due" in resolved.stdout
    again = brandbot("--config", config, "cases", "resolve", str(pat["id"]), "--as", "ann")
    assert again.returncode == 1 and "already resolved" in again.stderr

    shown = json.loads(brandbot("--config", config, "cases", "show", str(pat["id"]),
                                "--json").stdout)
    assert shown["case"]["status"] == "resolved" and shown["case"]["team"] == "network"
    assert [m["id"] for m in shown["mentions"]] == ["x:1", "x:2"]
    assert [a["action"] for a in shown["audit"]] == ["case_assign", "case_assignee",
                                                      "case_resolve"]
    assert shown["audit"][-1]["actor"] == "ann"
    text = brandbot("--config", config, "cases", "show", str(pat["id"]))
    assert text.returncode == 0 and "case_resolve" in text.stdout

    linked = brandbot("--config", config, "customers", "link", "x:pat", "x:quin")
    assert linked.returncode == 0, linked.stderr
    view = json.loads(brandbot("--config", config, "customers", "show", "x:quin",
                               "--json").stdout)
    assert view["summary"]["cases"] == 2 and view["summary"]["outcomes"]["resolved"] == 1
    missing = brandbot("--config", config, "customers", "show", "x:nobody")
    assert missing.returncode == 1 and "no author 'x:nobody'" in missing.stderr


@pytest.mark.parametrize("url", ["http://[hooks.example.com/services/T0/B0/s3cr3tT0ken",
                                 "hooks.example.com/services/T0/B0/s3cr3tT0ken",
                                 "http://127.0.0.1:1/services/T0/B0/s3cr3tT0ken"])
async def test_a_webhook_error_never_repeats_the_secret_url(url: str) -> None:
    from monitor.case_clock import NotifyFailed

    notifier = WebhookNotifier(url, timeout=2)
    try:
        with pytest.raises(NotifyFailed) as failed:
            await notifier("Case #1 escalated")
    finally:
        await notifier.close()
    assert "s3cr3tT0ken" not in str(failed.value) and "services" not in str(failed.value)
