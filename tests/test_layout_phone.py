"""Every page on a phone and on a desk, in Debian's Chromium: what a person would notice.

At 390x844 (a phone), 360x780 (a small phone) and 1366x900 (a laptop) no page scrolls
sideways; on a phone the queue is cards whose post, draft and Approve button are on the first
screen, the draft page has its editor right under the post, and the nav folds behind a Menu
button that opens inside the dark header. Screenshots go to each test's tmp_path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.models import DraftStatus
from monitor.store import Store
from tests.helpers import serving, sign_in, write_config
from tests.test_browser import CONFIG, PASSWORD, _seed

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 780}
DESK = {"width": 1366, "height": 900}
# Every page a signed-in admin can open (and the case page /cases/1, where the build has one).
PAGES = ["/", "/drafts/1", "/cases", "/audit", "/users", "/saved", "/digest",
         "/digest?since=365d"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`brandbot serve` over a store seeded with the browser tests' seven posts."""
    folder = tmp_path_factory.mktemp("phone")
    db = f"sqlite:///{folder / 'brandbot.db'}"
    _seed(db)
    config = write_config(folder, CONFIG + f'\n[storage]\nurl = "{db}"\n')
    with serving(config) as url:
        yield url, db


def signed_in(browser: Any, base: str, viewport: dict[str, int]) -> Any:
    """A page signed in as ann (admin) at this window size."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, PASSWORD)
    return page


def on_screen(page: Any, selector: str) -> bool:
    """Whether the element is wholly inside the window as it is scrolled now."""
    return bool(page.eval_on_selector(selector, """el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
               r.bottom <= window.innerHeight && r.right <= window.innerWidth; }"""))


def status(db: str, draft_id: int) -> DraftStatus:
    store = Store(db, migrate=False)
    try:
        return store.get_draft(draft_id).status
    finally:
        store.close()


def contrast(page: Any, selector: str) -> float:
    """WCAG contrast of an element's text against the header behind it."""
    return float(page.eval_on_selector(selector, """el => {
        const rgb = c => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
        const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const fg = lum(getComputedStyle(el).color);
        const bg = lum(getComputedStyle(document.querySelector('.topbar')).backgroundColor);
        return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05); }"""))


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE, DESK], ids=["phone", "small", "desk"])
def test_no_page_scrolls_sideways(site: tuple[str, str], browser: Any,
                                  viewport: dict[str, int], tmp_path: Path) -> None:
    base, _ = site
    page = signed_in(browser, base, viewport)
    wide = {}
    for path in [*PAGES, "/cases/1"]:
        response = page.goto(base + path)
        if path.startswith("/cases/") and response.status == 404:
            continue  # no case page in this build
        assert response.status == 200, path
        name = re.sub(r"\W+", "-", path).strip("-") or "queue"
        page.screenshot(path=str(tmp_path / f"{name}-{viewport['width']}.png"), full_page=True)
        if page.evaluate(OVERFLOW) > 0:
            wide[path] = page.evaluate("document.documentElement.scrollWidth")
    page.context.close()
    page = browser.new_context(viewport=viewport).new_page()  # signed out
    page.goto(base + "/login")
    if page.evaluate(OVERFLOW) > 0:
        wide["/login"] = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(tmp_path / f"login-{viewport['width']}.png"))
    page.context.close()
    assert wide == {}, f"pages wider than the {viewport['width']} px window: {wide}"


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE], ids=["phone", "small"])
def test_on_a_phone_the_queue_is_cards_with_the_post_the_draft_and_approve(
        site: tuple[str, str], browser: Any, viewport: dict[str, int], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, db = site
    page = signed_in(browser, base, viewport)
    draft_id = int(page.locator("#queue-rows tr[data-id]").first.get_attribute("data-id") or 0)
    card = page.locator(f"#queue-rows tr[data-id='{draft_id}']")
    page.screenshot(path=str(tmp_path / "queue.png"))
    # the table's header row is gone; the first card shows all a person decides on
    expect(page.locator("table.queue thead")).to_be_hidden()
    for part in (".c-post .clamp", ".c-draft .clamp", ".c-prio .pill", ".c-prio .due",
                 ".c-actions [data-act=approve]", ".c-actions [data-act=reject]"):
        assert on_screen(page, f"#queue-rows tr[data-id='{draft_id}'] {part}"), part
    post = card.locator(".c-post .clamp").inner_text()
    draft = card.locator(".c-draft .clamp").inner_text()
    assert len(post) > 30 and len(draft) > 30 and post != draft
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    card.locator("[data-act=approve]").click()
    expect(card.locator(".row-state")).to_contain_text("Approved")
    assert status(db, draft_id) == DraftStatus.APPROVED
    expect(card.locator("[data-act=approve]")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "queue-approved.png"))

    # Reject asks for a reason in a bar that fits the window
    second = page.locator("#queue-rows tr[data-id]:not(.done)").first
    second.locator("[data-act=reject]").click()
    expect(page.locator("#reject-bar")).to_be_visible()
    assert on_screen(page, "#reject-bar")
    page.locator("#reject-cancel").click()
    assert page.evaluate(OVERFLOW) <= 0
    page.context.close()


def test_on_a_phone_the_nav_folds_behind_a_menu_inside_the_header(
        site: tuple[str, str], browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, _ = site
    page = signed_in(browser, base, PHONE)
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    header = page.locator(".topbar").bounding_box()
    assert header is not None and header["height"] <= 64  # one line: brand and Menu
    page.locator(".menu-button").click()
    expect(nav).to_be_visible()
    expect(page.locator("#current-user")).to_be_visible()
    page.screenshot(path=str(tmp_path / "menu.png"))
    header = page.locator(".topbar").bounding_box()
    assert header is not None
    for link in nav.locator("a").all():  # every link opens inside the dark header, readable
        box = link.bounding_box()
        assert box is not None
        assert header["y"] <= box["y"]
        assert box["y"] + box["height"] <= header["y"] + header["height"]
        assert box["x"] + box["width"] <= PHONE["width"]
    assert contrast(page, "#main-nav a:not([aria-current])") >= 7
    # the open menu does not swallow the queue's keys (a narrow window with a keyboard)
    rows = page.locator("#queue-rows tr[data-id]")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
    nav.get_by_role("link", name="Cases").click()
    page.wait_for_url(re.compile(r"/cases$"))
    expect(page.locator("#main-nav")).to_be_hidden()  # a new page starts folded
    page.context.close()


def test_on_a_phone_the_draft_page_puts_the_editor_under_the_post(
        site: tuple[str, str], browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, db = site
    page = signed_in(browser, base, PHONE)
    href = page.locator("#queue-rows tr[data-id]:not(.done)").first.get_attribute("data-href")
    page.goto(base + str(href))
    draft_id = int(page.locator("#draft-meta").get_attribute("data-id") or 0)
    page.screenshot(path=str(tmp_path / "draft.png"))
    assert on_screen(page, "#post-text")
    assert on_screen(page, "#reply")  # on the first screen, not three screens down
    assert on_screen(page, "#approve-button")
    post = page.locator("#post-text").bounding_box()
    reply = page.locator("#reply").bounding_box()
    assert post is not None and reply is not None and post["y"] < reply["y"]
    assert page.evaluate(OVERFLOW) <= 0
    page.locator("#approve-button").click()
    expect(page.locator("#flash")).to_contain_text(f"Draft #{draft_id} approved")
    assert status(db, draft_id) == DraftStatus.APPROVED
    page.context.close()


def test_on_a_desk_the_queue_stays_a_table_worked_by_keyboard(
        site: tuple[str, str], browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, db = site
    page = signed_in(browser, base, DESK)
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator(".menu-button")).to_be_hidden()
    expect(page.locator("table.queue thead")).to_be_visible()
    draft_id = int(page.locator("#queue-rows tr[data-id]").first.get_attribute("data-id") or 0)
    first = page.locator(f"#queue-rows tr[data-id='{draft_id}']")
    expect(first.locator(".c-actions")).to_be_hidden()  # the keys do it on a desk
    # post and draft side by side in one row
    post = first.locator(".c-post").bounding_box()
    draft = first.locator(".c-draft").bounding_box()
    assert post is not None and draft is not None
    assert abs(post["y"] - draft["y"]) < 2 and draft["x"] > post["x"] + post["width"] - 1
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("a")
    expect(first.locator(".row-state")).to_contain_text("Approved")
    assert status(db, draft_id) == DraftStatus.APPROVED
    page.screenshot(path=str(tmp_path / "queue-desk.png"))
    page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_the_digest_page_has_the_app_nav_and_says_its_length(
        site: tuple[str, str], browser: Any, viewport: dict[str, int], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base, _ = site
    page = signed_in(browser, base, viewport)
    page.goto(base + "/digest")
    expect(page.locator(".topbar #main-nav a[aria-current=page]")).to_have_text("Digest")
    expect(page.locator("#digest-period")).to_contain_text("compared with the 7 days before")
    page.locator(".periods a", has_text="90 days").click()
    expect(page.locator("#digest-period")).to_contain_text("compared with the 90 days before")
    expect(page.locator("img.chart").first).to_have_attribute(
        "alt", "Mentions per week, by sentiment")
    widths = page.eval_on_selector_all("img.chart", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == 2 and all(w > 100 for w in widths)
    assert page.evaluate(OVERFLOW) <= 0
    page.screenshot(path=str(tmp_path / "digest.png"), full_page=True)
    page.context.close()
