"""The approval workspace in a real browser: Playwright driving Debian's Chromium.

`brandbot serve` runs as a subprocess on a seeded store; the browser signs in, filters the
queue, edits a draft past the platform's limit, approves and rejects, reads the audit log, and
checks that hostile post text stays text. Screenshots go to tests/artifacts/.

`make test` installs Chromium with apt-get when /usr/bin/chromium is missing; Playwright never
downloads a browser.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.cases import CaseRules, plan_page
from monitor.models import AnalysedMention, Priority, Role
from monitor.settings import Settings
from monitor.store import CaseContext, Plan, Store
from responders.auth import hash_password
from responders.drafts import Drafter, voice_from_settings
from tests.conftest import STORES, new_store_url
from tests.factories import T0, analysed, mention
from tests.helpers import ROOT, serving, write_config

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
PASSWORD = "correct horse battery staple"

POSTS = [
    ("1", "@BrightwaveHelp internet down since 6am in Leeds, working from home today. "
          "This is the third time this month.", "dana", "x", Priority.URGENT, "outage",
     12_400),
    ("2", "Brightwave charged me twice for November. I want a refund before my rent goes "
          "out on Friday.", "eli", "x", Priority.HIGH, "billing", 310),
    ("3", "Is there a way to move my Brightwave contract to my new flat? Moving on the 3rd.",
     "fay", "reddit", Priority.NORMAL, "question", None),
    ("4", f"brightwave {SCRIPT} {IMG} lol try and stop me", "mallory", "x", Priority.HIGH,
     "other", 5),
    ("5", "The Brightwave app logs me out every time I open it since the update.", "gus",
     "mastodon", Priority.NORMAL, "bug", 820),
    ("6", "Router from Brightwave still not delivered, tracking says it was left with a "
          "neighbour I don't have.", "hal", "bluesky", Priority.NORMAL, "equipment", 95),
    ("7", "Brightwave signal drops every evening around 8pm, unusable for calls.", "ivy", "x",
     Priority.LOW, "outage", 40),
]


CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[voice]
sign_off = "^Sam"
banned_phrases = ["calm down"]

[routing]
default_team = "care"

[routing.teams.billing]
intents = ["billing"]

[routing.teams.network]
intents = ["outage"]

[routing.teams.logistics]
intents = ["equipment", "installation"]
"""
SETTINGS = Settings.model_validate(tomllib.loads(CONFIG))
RULES = CaseRules.from_settings(SETTINGS)
DRAFTER = Drafter(voice_from_settings(SETTINGS))


def planner(new: Sequence[AnalysedMention], context: CaseContext) -> Plan:
    """The real case planner and the brand's real voice."""
    return plan_page(new, context, rules=RULES, drafter=DRAFTER)


def _seed(db: str) -> None:
    store = Store(db)
    items = []
    for i, (nid, text, author, platform, priority, intent, followers) in enumerate(POSTS):
        m = replace(mention(nid, text, author=author, platform=platform, minutes=i,
                            followers=followers),
                    url=f"https://example.com/{platform}/{author}/{nid}")
        items.append(analysed(m, priority=priority, intent=intent))
    store.ingest("seed", None, items, planner, now=T0)
    hashed = hash_password(PASSWORD)
    store.add_user("ann", Role.ADMIN, hashed, actor="test", now=T0)
    store.add_user("bob", Role.APPROVER, hashed, actor="test", now=T0)
    store.close()


@pytest.fixture(scope="module", params=STORES)
def served(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """`brandbot serve` on a free loopback port over a seeded store (each kind of store)."""
    folder = tmp_path_factory.mktemp("browser")
    db = new_store_url(request.param, folder, "brandbot", request)
    _seed(db)
    config = write_config(folder, CONFIG + f'\n[storage]\nurl = "{db}"\n')
    with serving(config) as url:
        yield url, db


def test_a_care_agent_works_the_queue_in_a_browser(served: tuple[str, str],
                                                   browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    base, db = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 960})
    page = context.new_page()
    page.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()  # the page's timers run when the test says so

    # Sign in.
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#current-user")).to_have_text("ann")
    expect(page.locator(".topbar .role")).to_have_text("admin")
    rows = page.locator("#queue-rows tr[data-id]")
    expect(rows).to_have_count(7)
    expect(page.locator("#pending-count")).to_have_text("7")

    # Hostile text in the queue is text: no element was made from it, no dialog fired.
    hostile = page.locator("#queue-rows tr", has_text="try and stop me")
    expect(hostile.locator(".c-post .clamp")).to_contain_text(SCRIPT + " " + IMG)
    assert hostile.locator("img, script").count() == 0

    # Filter by platform (the select submits itself).
    page.select_option("select[name=platform]", "x")
    expect(page).to_have_url(re.compile(r"platform=x"))
    expect(rows).to_have_count(4)
    for platform in rows.locator(".platform").all_inner_texts():
        assert platform == "x"
    expect(rows.first).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("k")
    page.screenshot(path=str(ARTIFACTS / "queue.png"))

    # Open the first draft: the post, its author and reach, the editor with its count.
    first_id = rows.first.get_attribute("data-id")
    rows.first.locator("a.post-link").click()
    expect(page).to_have_url(re.compile(rf"/drafts/{first_id}\?platform=x$"))
    expect(page.locator("#post-text")).to_contain_text("internet down since 6am")
    expect(page.locator(".post-card")).to_contain_text("12,400")
    expect(page.locator("#post-link")).to_have_attribute("href",
                                                         "https://example.com/x/dana/1")
    reply = page.locator("#reply")
    count = page.locator("#count")
    expect(count).to_have_text(re.compile(r"^\d+ / 280$"))
    expect(count).not_to_have_class(re.compile(r"\bover\b"))
    page.screenshot(path=str(ARTIFACTS / "draft.png"), full_page=True)

    # Edit past X's 280 characters: the count turns red and the warning shows, live.
    reply.fill("Hi Dana, " + "so sorry about the outage, " * 12)
    expect(count).to_have_class(re.compile(r"\bover\b"))
    assert count.evaluate("el => getComputedStyle(el).color") == "rgb(180, 35, 24)"
    expect(page.locator("#warnings")).to_contain_text("too_long: 333 characters, x allows 280")
    expect(page.locator("#approve-button")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "draft-over-limit.png"), full_page=True)

    # Fix it and approve: the edit is recorded and the next draft opens.
    fixed = "Hi Dana, sorry about the outage in Leeds. Engineers are on it; DM us your postcode."
    reply.fill(fixed)
    expect(page.locator("#warnings li")).to_have_count(0)
    expect(count).not_to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("#approve-button")).to_contain_text("Save edit & approve")
    page.click("#approve-button")
    expect(page.locator("#flash")).to_have_text(f"Draft #{first_id} approved.")
    second_id = page.locator("#draft-meta").get_attribute("data-id")
    assert second_id != first_id

    # Reject this one with a reason.
    page.fill("#reason", "Handled by phone already")
    page.click("#reject-button")
    expect(page.locator("#flash")).to_have_text(f"Draft #{second_id} rejected.")

    # The hostile post's own page: rendered as text, nothing executed.
    page.goto(base + "/?q=stop")
    expect(rows).to_have_count(1)
    rows.first.locator("a.post-link").click()
    post = page.locator("#post-text")
    expect(post).to_contain_text(SCRIPT)
    expect(post).to_contain_text(IMG)
    assert post.locator("img, script").count() == 0
    assert page.locator("script").count() == 1  # only our own /static/app.js

    # Keyboard work on the queue: a approves, r asks for a reason and rejects.
    page.goto(base + "/?platform=mastodon")
    expect(rows).to_have_count(1)
    page.keyboard.press("a")
    expect(rows.first.locator(".row-state")).to_have_text("Approved")
    page.goto(base + "/?platform=bluesky")
    page.keyboard.press("r")
    expect(page.locator("#reject-bar")).to_be_visible()
    page.keyboard.type("Duplicate of a DM thread")
    page.keyboard.press("Enter")
    expect(rows.first.locator(".row-state")).to_have_text("Rejected")

    # A draft that arrives while the page is open appears without a reload.
    page.goto(base + "/")
    expect(rows).to_have_count(3)
    store = Store(db, migrate=False)
    store.ingest("seed", None, [analysed(
        mention("99", "Brightwave, my fibre box is flashing red and nobody answers the phone",
                author="jo", minutes=30), priority=Priority.URGENT)],
        planner, now=T0 + timedelta(minutes=30))
    store.close()
    page.clock.run_for(6_000)
    expect(page.locator("#queue-rows")).to_contain_text("flashing red")
    expect(rows).to_have_count(4)

    # Both decisions, with the text before and after, are in the audit log.
    page.goto(base + "/audit")
    edit = page.locator(f'#audit-table tr[data-subject="draft:{first_id}"]')
    expect(edit).to_have_attribute("data-action", "edit_approve")
    expect(edit.locator("td").nth(5)).to_have_text(fixed)
    expect(edit.locator("td").nth(4)).to_contain_text("dana, ")
    rejected = page.locator(f'#audit-table tr[data-subject="draft:{second_id}"]')
    expect(rejected).to_have_attribute("data-action", "reject")
    expect(rejected).to_contain_text("Handled by phone already")
    expect(rejected.locator("td").nth(1)).to_have_text("ann")
    page.screenshot(path=str(ARTIFACTS / "audit.png"))

    assert dialogs == [], f"a dialog fired: {dialogs}"
    assert errors == [], f"page errors: {errors}"
    context.close()


BY_HAND_CONFIG = CONFIG + """
[brand.handles]
x = ["BrightwaveHelp"]

[[sources]]
platform = "x"
enabled = false  # the web app alone: no credentials
reply_rule = "mentions_only"
"""


@pytest.fixture(scope="module")
def served_by_hand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`brandbot serve` over a store with one X draft we may post and one only by hand."""
    folder = tmp_path_factory.mktemp("by-hand")
    db = f"sqlite:///{folder / 'brandbot.db'}"
    settings = Settings.model_validate(tomllib.loads(BY_HAND_CONFIG))
    rules, drafter = CaseRules.from_settings(settings), Drafter(voice_from_settings(settings))
    store = Store(db)
    items = [analysed(replace(mention(nid, text, author=author, platform="x", minutes=i),
                              url=f"https://x.com/{author}/status/{nid}"),
                      priority=Priority.HIGH, intent="outage")
             for i, (nid, text, author) in enumerate([
                 ("11", "@BrightwaveHelp broadband down again in Hull, nobody answers", "jo"),
                 ("12", "brightwave broadband down all day, the helpline hung up on me", "kit")])]
    store.ingest("seed", None, items,
                 lambda new, context: plan_page(new, context, rules=rules, drafter=drafter),
                 now=T0)
    store.add_user("ann", Role.ADMIN, hash_password(PASSWORD), actor="test", now=T0)
    store.close()
    config = write_config(folder, BY_HAND_CONFIG + f'\n[storage]\nurl = "{db}"\n')
    with serving(config) as url:
        yield url


@pytest.mark.parametrize("size", [(1440, 960), (390, 844)], ids=["desktop", "phone"])
def test_an_x_post_that_does_not_mention_us_is_answered_by_hand(
        served_by_hand: str, browser: object, size: tuple[int, int]) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(served_by_hand + "/login")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    rows = page.locator("#queue-rows tr[data-id]")
    by_hand = rows.filter(has_text="helpline hung up")
    if size[0] > 500:
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="nobody answers").locator(".by-hand")).to_have_count(0)
    expect(by_hand.locator(".by-hand")).to_have_text("✋ reply on x by hand")

    if size[0] > 500:
        by_hand.locator("a.post-link").click()
    else:  # the queue's phone layout is issue #20's: open the draft from the row's link
        page.goto(served_by_hand + str(by_hand.get_attribute("data-href")))
    expect(page.locator("#reply-h")).to_have_text("Reply on x by hand")
    expect(page.locator("#by-hand")).to_contain_text("mentions or quotes our account")
    expect(page.locator("#by-hand-link")).to_have_attribute("href",
                                                            "https://x.com/kit/status/12")
    page.locator("#copy-reply").click()
    expect(page.locator("#toast")).to_contain_text("copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#reply").input_value() and "Hi" in copied
    expect(page.locator("#approve-button")).to_contain_text("Mark answered by hand")
    if size[0] > 500:
        # X counts CJK as 2 and a link as 23: the live count says what X will say
        page.locator("#reply").fill("あ" * 150)
        expect(page.locator("#count")).to_have_text("300 / 280")
        expect(page.locator("#warnings")).to_contain_text("too_long: 300 characters")
        page.locator("#reply").fill("Hi Kit, see https://example.com/" + "a" * 300)
        expect(page.locator("#count")).to_have_text("35 / 280")
        page.locator("#reset-text").click()
    if size[0] <= 500:  # on the phone, after the desktop run looked and left it pending
        page.locator("#approve-button").click()
        expect(page.locator("#flash")).to_contain_text(
            "recorded as answered by hand on x")
        page.goto(served_by_hand + "/")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("nobody answers")
    context.close()
