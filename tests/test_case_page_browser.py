"""The case page in a real browser (Playwright driving Debian's Chromium), on a desk and on a
phone: open a case from the queue, write a note, assign it, resolve it; nothing spills
sideways at 390x844. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import replace

import pytest

from monitor.cases import CaseRules, plan_page
from monitor.models import Priority, Role
from monitor.settings import Settings
from monitor.store import Store
from responders.auth import hash_password
from responders.drafts import Drafter, voice_from_settings
from tests.conftest import STORES, new_store_url
from tests.factories import T0, analysed, mention
from tests.helpers import ROOT, serving, sign_in, write_config

ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "correct horse battery staple"
HOSTILE = "<img src=x onerror=\"alert('note')\"><script>alert(1)</script>"
CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[routing]
default_team = "care"

[routing.teams.billing]
intents = ["billing"]

[routing.teams.network]
intents = ["outage"]
"""
POSTS = [
    ("1", "@BrightwaveHelp internet down since 6am in Leeds, third time this month.", "dana",
     "x", Priority.URGENT, "outage"),
    ("2", "Brightwave charged me twice for November, I want a refund before Friday.", "eli",
     "x", Priority.HIGH, "billing"),
    ("3", f"brightwave {HOSTILE} https://example.com/" + "a" * 300, "mallory", "x",
     Priority.NORMAL, "other"),
]


@pytest.fixture(scope="module", params=STORES)
def served(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """`brandbot serve` on a free loopback port over a seeded store (each kind of store)."""
    folder = tmp_path_factory.mktemp("case-page")
    db = new_store_url(request.param, folder, "brandbot", request)
    settings = Settings.model_validate(tomllib.loads(CONFIG))
    rules, drafter = CaseRules.from_settings(settings), Drafter(voice_from_settings(settings))
    store = Store(db)
    items = [analysed(replace(mention(nid, text, author=author, platform=platform, minutes=i),
                              url=f"https://example.com/{author}/{nid}"),
                      priority=priority, intent=intent)
             for i, (nid, text, author, platform, priority, intent) in enumerate(POSTS)]
    store.ingest("seed", None, items,
                 lambda new, context: plan_page(new, context, rules=rules, drafter=drafter),
                 now=T0)
    hashed = hash_password(PASSWORD)
    store.add_user("ann", Role.ADMIN, hashed, actor="test", now=T0)
    store.add_user("bob", Role.APPROVER, hashed, actor="test", now=T0)
    store.close()
    config = write_config(folder, CONFIG + f'\n[storage]\nurl = "{db}"\n')
    with serving(config) as url:
        yield url, db


def _fits(page: object) -> bool:
    """Nothing spills sideways: the page is no wider than the window.

    Measured once the page has loaded: after a form's redirect the flash can be in the DOM
    before the stylesheet is, and an unstyled page is as wide as its longest word."""
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    return bool(page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth <= innerWidth"))


def _case_of(db: str, author: str) -> dict[str, object]:
    store = Store(db, migrate=False)
    try:
        return next(c for c in store.list_cases() if c["author"] == author)
    finally:
        store.close()


def test_a_case_is_noted_assigned_and_resolved_from_the_browser(
        served: tuple[str, str], browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    base, db = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 960})
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, PASSWORD)

    # From the queue to the case of dana's post.
    row = page.locator("#queue-rows tr[data-id]", has_text="internet down since 6am")
    row.locator("a.case-link").click()
    case_id = _case_of(db, "dana")["id"]
    expect(page).to_have_url(f"{base}/cases/{case_id}")
    response = page.goto(f"{base}/cases/{case_id}")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_contain_text(f"Case #{case_id}")
    expect(page.locator("#conversation .item-post")).to_contain_text("internet down since 6am")
    expect(page.locator("#conversation .item-draft")).to_have_count(1)
    expect(page.locator("#case-status")).to_have_text("open")

    # A note with hostile text and a lone surrogate: stored, shown as text.
    page.locator("#note-text").evaluate(
        "(el, text) => { el.value = text + ' ' + String.fromCharCode(0xD800) + '!'; }", HOSTILE)
    page.click("#note-button")
    expect(page.locator("#flash")).to_have_text("Note added.")
    note = page.locator("#notes li").last
    expect(note.locator(".note-text")).to_have_text(HOSTILE + " \ufffd!")
    assert page.locator("#notes img, #notes script").count() == 0

    # Assign to the billing team and to bob.
    page.select_option("#assign-team", "billing")
    page.select_option("#assign-person", "bob")
    page.click("#assign-button")
    expect(page.locator("#flash")).to_contain_text("with team billing, assigned to bob")
    expect(page.locator("#case-team")).to_have_text("billing")
    expect(page.locator("#case-assignee")).to_contain_text("bob")

    # Resolve it: the page says so and offers to reopen.
    page.click("#resolve-button")
    expect(page.locator("#flash")).to_contain_text(f"Case #{case_id} resolved")
    expect(page.locator("#case-status")).to_have_text("resolved")
    expect(page.locator("#reopen-button")).to_be_visible()
    timeline = page.locator("#timeline")
    for said in ("wrote a note", "assigned the case", "gave the case to a team",
                 "resolved the case"):
        expect(timeline).to_contain_text(said)
    page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)

    case = _case_of(db, "dana")
    assert (case["status"], case["team"], case["assignee"]) == ("resolved", "billing", "bob")

    # The cases list: bob's cases, with the latest post.
    page.goto(base + "/cases?assignee=bob")
    rows = page.locator("#cases-table tr[data-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("internet down since 6am")
    page.goto(base + "/cases")
    expect(rows).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "cases.png"))
    page.goto(base + "/cases?sla=met")
    expect(rows).to_have_count(1)

    assert dialogs == [], f"a dialog fired: {dialogs}"
    assert errors == [], f"page errors: {errors}"
    context.close()


def test_the_case_page_works_on_a_phone(served: tuple[str, str], browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    base, db = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, PASSWORD)
    case_id = _case_of(db, "mallory")["id"]

    page.goto(base + "/cases")
    assert _fits(page), "the cases list is wider than the phone"
    expect(page.locator(f'#cases-table tr[data-id="{case_id}"]')).to_contain_text("brightwave")
    page.screenshot(path=str(ARTIFACTS / "cases-phone.png"), full_page=True)

    response = page.goto(f"{base}/cases/{case_id}")
    assert response is not None and response.status == 200
    assert _fits(page), "the case page is wider than the phone"
    post = page.locator("#conversation .item-post").first
    expect(post).to_be_visible()
    expect(post).to_contain_text(HOSTILE)  # as text
    assert page.locator("#conversation img, #conversation script").count() == 0
    resolve = page.locator("#resolve-button")
    resolve.scroll_into_view_if_needed()
    expect(resolve).to_be_in_viewport()

    # A long unbroken note still fits; taking the case and resolving it work by touch.
    page.fill("#note-text", "checked-" + "x" * 3000)
    page.locator("#note-button").tap()
    expect(page.locator("#flash")).to_have_text("Note added.")
    assert _fits(page), "a long note pushed the page sideways"
    page.locator("#take-button").tap()
    expect(page.locator("#case-assignee")).to_contain_text("ann")
    page.locator("#resolve-button").tap()
    expect(page.locator("#case-status")).to_have_text("resolved")
    assert _fits(page)
    page.screenshot(path=str(ARTIFACTS / "case-phone.png"), full_page=True)
    assert (_case_of(db, "mallory")["status"], _case_of(db, "mallory")["assignee"]) == (
        "resolved", "ann")
    context.close()
