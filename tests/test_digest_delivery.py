"""Digests from a real store: figures on a fixed data set, the CLI, e-mail, the browser."""

from __future__ import annotations

import asyncio
import email
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest

from monitor.digest import Period, compile_digest
from monitor.models import AnalysedMention, Author, Mention, Priority
from monitor.settings import Digest
from monitor.store import Store
from responders.mailer import send_digest
from tests.factories import analysis, simple_planner
from tests.helpers import BASE_CONFIG, brandbot, with_storage, write_config

START = datetime(2026, 11, 16, tzinfo=UTC)
PERIOD = Period(START, START + timedelta(days=2))
FIRST = {"urgent": timedelta(minutes=15), "high": timedelta(hours=1),
         "normal": timedelta(hours=4), "low": timedelta(hours=24)}


def _post(n: int, hours: float, text: str, *, platform: str = "x", author: str = "",
          terms: tuple[str, ...] = ("brightwave",), sentiment: float = -0.6,
          complaint: bool = True, intent: str = "outage",
          followers: int = 10) -> AnalysedMention:
    who = author or f"c{n}"
    m = Mention(platform=platform, native_id=str(n),
                author=Author(platform, who, who, followers=followers), text=text,
                created_at=START + timedelta(hours=hours),
                url=f"https://x.com/{who}/status/{n}")
    a = analysis(complaint=complaint, intent=intent, priority=Priority.NORMAL,
                 compound=sentiment)
    return AnalysedMention(m, a.__class__(**{**{f: getattr(a, f) for f in a.__slots__},
                                               "matched_terms": terms}))


@pytest.fixture
def db(db_url: Callable[..., str]) -> str:
    """A fixed week: 8 posts this period, 4 the period before, one answered case."""
    path = db_url()
    store = Store(path)
    posts = [
        # this period (2 days from START): 8 posts
        _post(1, 1, "router keeps rebooting brightwave"),
        _post(2, 7.1, "brightwave down again, router rebooting", followers=45_000),
        _post(3, 7.2, "no internet brightwave router rebooting"),
        _post(4, 7.3, "brightwave outage, router rebooting all morning"),
        _post(5, 20, "brightwave charged me twice", intent="billing"),
        _post(6, 30, "love brightwave fibre", sentiment=0.8, complaint=False,
              intent="praise"),
        _post(7, 31, "tidalnet is slow too", terms=("competitor:Tidalnet",), sentiment=-0.3,
              complaint=False, intent="other", platform="reddit"),
        _post(8, 40, "tidalnet or brightwave?", terms=("brightwave", "competitor:Tidalnet"),
              sentiment=0.0, complaint=False, intent="question", platform="reddit"),
        # the period before: 4 posts
        _post(11, -30, "brightwave bill wrong", intent="billing"),
        _post(12, -20, "brightwave price rise", intent="billing"),
        _post(13, -10, "brightwave ok", sentiment=0.0, complaint=False, intent="other"),
        _post(14, -5, "brightwave fine", sentiment=0.4, complaint=False, intent="other"),
    ]
    store.ingest("s", None, posts, simple_planner, now=START)
    # Answer case of post 2 after 30 minutes, one reply, resolved after 5 hours, CSAT 4.
    case_id = store.get_mention("x:2")["case_id"]
    store.conn.execute(
        "UPDATE cases SET first_response_at = ?, resolved_at = ?, status = 'resolved', "
        "csat = 4 WHERE id = ?",
        ("2026-11-16T07:36:00.000000Z", "2026-11-16T12:06:00.000000Z", case_id))
    draft = store.list_drafts()[0]
    store.conn.execute("UPDATE drafts SET status = 'posted' WHERE case_id = ?", (case_id,))
    assert draft
    store.close()
    return path


def _digest(db: str) -> dict:
    store = Store(db)
    try:
        return compile_digest(store, PERIOD, brand="Brightwave", competitors=["Tidalnet"],
                              brand_terms=["brightwave"], sla_first_response=FIRST,
                              now=START + timedelta(days=3), spike_z=3.0)
    finally:
        store.close()


def test_figures_from_the_store_match_the_hand_count(db: str) -> None:
    d = _digest(db)
    assert d["volume"]["total"] == 8 and d["volume"]["previous_total"] == 4
    assert d["volume"]["change_percent"] == 100.0
    assert d["volume"]["by_platform"]["reddit"]["count"] == 2
    assert d["volume"]["by_day"] == {"2026-11-16": 5, "2026-11-17": 3}
    # negative: posts 1-5 and 7 = 6 of 8; positive: 6; neutral: 8
    assert d["sentiment"]["counts"] == {"positive": 1, "neutral": 1, "negative": 6}
    assert d["sentiment"]["negative"] == 75.0
    # brand: posts 1-6 and 8 = 7; Tidalnet: 7 and 8 = 2; 9 mentions counted
    assert d["competitors"]["Brightwave"]["mentions"] == 7
    assert d["share_of_voice"] == {"Brightwave": 77.8, "Tidalnet": 22.2}
    assert [(c["intent"], c["count"], c["previous"]) for c in d["top_complaints"]] == [
        ("outage", 4, 0), ("billing", 1, 2)]
    assert d["top_complaints"][0]["examples"][0]["author"] == "c2"  # the 45k-follower post
    assert d["top_posts"][0]["reach"] >= 45_000
    # 07:00 has 3 negative posts; every other hour of 48 has at most 1
    assert [s["hour"] for s in d["spikes"]] == ["2026-11-16T07"]
    assert {p["author"] for p in d["spikes"][0]["posts"]} == {"c2", "c3", "c4"}
    assert d["rising_terms"][0]["term"] in {"rebooting", "router", "router rebooting"}
    care = d["care"]
    assert care["cases_opened"] == 6  # complaints 1-5 and the question 8
    assert care["first_response_median_s"] == 1800.0  # posted 07:06, answered 07:36
    assert care["resolution_median_s"] == 18000.0  # resolved 12:06
    assert care["csat_avg"] == 4.0 and care["first_contact_resolution"] == 1.0
    # answered within the 4h target: met; the five unanswered are past their due time
    assert care["sla_attainment"] == round(1 / 6, 3)


def test_cli_writes_json_with_the_documented_schema(db: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, with_storage(BASE_CONFIG, db))
    out = tmp_path / "digest.json"
    result = brandbot("--config", str(config), "digest", "--from", "2026-11-16",
                      "--to", "2026-11-18", "--format", "json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    d = json.loads(out.read_text())
    assert set(d["period"]) == {"start", "end"}
    assert {"total", "by_platform", "by_day"} <= set(d["volume"])
    assert {"positive", "neutral", "negative"} <= set(d["sentiment"])
    assert isinstance(d["share_of_voice"], dict) and isinstance(d["top_complaints"], list)
    assert isinstance(d["spikes"], list)
    assert {"first_response_median_s", "first_response_p90_s", "resolution_median_s",
            "sla_attainment", "csat_avg"} <= set(d["care"])
    bad = brandbot("--config", str(config), "digest", "--since", "banana")
    assert bad.returncode == 2 and "invalid duration 'banana'" in bad.stderr


async def test_digest_is_delivered_by_smtp_with_html_and_text_parts(db: str) -> None:
    from aiosmtpd.controller import Controller

    received: list[Message] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as probe:  # a free port: aiosmtpd does not report an ephemeral one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        options = Digest(recipients=["marketing@example.com"], smtp_port=port,
                         smtp_starttls=False, sender="brandbot@example.com")
        await send_digest(options, await asyncio.to_thread(_digest, db),
                          environ={"BRANDBOT_SMTP_HOST": "127.0.0.1"})
    finally:
        controller.stop()
    (message,) = received
    assert message["To"] == "marketing@example.com"
    assert message["Subject"].startswith("Brightwave brand digest 2026-11-16 to 2026-11-18")
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "**8 mentions**" in parts["text/plain"]
    assert "data:image/svg+xml;base64," in parts["text/html"]


def test_html_digest_renders_its_charts_and_fetches_nothing(db: str, tmp_path: Path,
                                                           browser: object) -> None:
    from monitor.digest import render_html

    html = tmp_path / "digest.html"
    html.write_text(render_html(_digest(db)))
    context = browser.new_context(viewport={"width": 420, "height": 900})  # a phone
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(html.as_uri())
    widths = page.eval_on_selector_all("img.chart", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == 2 and all(w > 100 for w in widths)
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    Path("tests/artifacts").mkdir(exist_ok=True)
    page.screenshot(path="tests/artifacts/digest.png", full_page=True)
    context.close()
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []
