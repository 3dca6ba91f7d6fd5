"""Never lose an edit, and undo an approval, in a real browser (Debian's Chromium).

An edit typed in the reply editor survives moving to the next draft and back (and typing `j`
or `k` in the editor moves nowhere); an approval from the draft page or with the queue's `a`
key can be undone while its window lasts, and the draft is pending again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from monitor.store import Store
from tests.helpers import serving, sign_in, write_config
from tests.test_browser import ARTIFACTS, CONFIG, PASSWORD, _seed


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`brandbot serve` over the browser tests' seeded store, with a 10 s undo window."""
    folder = tmp_path_factory.mktemp("undo")
    db = f"sqlite:///{folder / 'brandbot.db'}"
    _seed(db)
    config = write_config(folder, CONFIG + f'\n[publisher]\nundo_window = "10s"\n'
                                           f'\n[storage]\nurl = "{db}"\n')
    with serving(config) as url:
        yield url, db


def _status(db: str, draft_id: str) -> str:
    store = Store(db, migrate=False)
    try:
        return store.get_draft(int(draft_id)).status.value
    finally:
        store.close()


def test_an_edit_survives_moving_away_and_an_approval_can_be_undone(
        served: tuple[str, str], browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    base, db = served
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()  # the page's countdowns run when the test says so

    sign_in(page, base, PASSWORD)
    expect(page.locator("#current-user")).to_have_text("ann")

    # Open the first X draft and type in the editor; j and k typed there are text.
    page.goto(base + "/?platform=x")
    rows = page.locator("#queue-rows tr[data-id]")
    first = str(rows.first.get_attribute("data-id"))
    page.goto(base + str(rows.first.get_attribute("data-href")))
    here = page.url
    reply = page.locator("#reply")
    original = reply.input_value()
    reply.click()
    page.keyboard.press("End")
    page.keyboard.type(" Ask for Jo, ok? jk")
    edited = original + " Ask for Jo, ok? jk"
    expect(reply).to_have_value(edited)
    assert page.url == here  # no shortcut fired while typing

    # Leave with j (after Escape leaves the editor), come back with k: the edit is there.
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page).not_to_have_url(here)
    # (the next page's shortcuts listen once its script has run: on a loaded machine a key
    # pressed while it is still loading is lost)
    page.wait_for_load_state("load")
    expect(page.locator("#reply")).not_to_have_value(edited)
    page.keyboard.press("k")
    expect(page).to_have_url(here)
    expect(reply).to_have_value(edited)
    expect(page.locator("#kept-edit")).to_be_visible()
    expect(page.locator("#approve-button")).to_contain_text("Save edit & approve")

    # The queue marks the draft, and its `a` opens the edit instead of approving the old text.
    page.goto(base + "/?platform=x")
    row = page.locator(f'#queue-rows tr[data-id="{first}"]')
    expect(row.locator(".row-state")).to_have_text("✎ your unsent edit")
    page.keyboard.press("a")
    expect(page).to_have_url(re.compile(rf"/drafts/{first}\?platform=x#edit$"))
    expect(reply).to_have_value(edited)
    assert _status(db, first) == "pending"

    # Approve it, then Undo on the next page: the draft is pending again, with the edit.
    page.click("#approve-button")
    expect(page.locator("#flash")).to_have_text(f"Draft #{first} approved.")
    expect(page.locator("#undo-note")).to_contain_text("no enabled x source can reply")
    expect(page.locator("#undo-seconds")).to_have_text("10")
    page.screenshot(path=str(ARTIFACTS / "undo.png"))
    assert _status(db, first) == "approved"
    page.locator("#undo-button").click()
    expect(page).to_have_url(re.compile(rf"/drafts/{first}\?platform=x$"))
    expect(page.locator("#flash")).to_have_text(
        f"Approval of draft #{first} undone: it is back in the queue.")
    expect(page.locator("#draft-status")).to_have_text("pending")
    expect(reply).to_have_value(edited)
    expect(page.locator("#kept-edit")).to_be_hidden()
    assert _status(db, first) == "pending"

    # The queue's `a`: a toast offers Undo, and `z` takes the approval back.
    page.goto(base + "/?platform=mastodon")
    mastodon = rows.first
    draft = str(mastodon.get_attribute("data-id"))
    page.keyboard.press("a")
    expect(mastodon.locator(".row-state")).to_have_text("Approved")
    expect(page.locator("#toast")).to_contain_text(f"Draft #{draft} approved.")
    expect(page.locator("#toast-undo")).to_be_visible()
    page.keyboard.press("z")
    expect(mastodon.locator(".row-state")).to_have_text("Back in the queue")
    expect(page.locator("#toast")).to_contain_text("undone")
    assert _status(db, draft) == "pending"

    # Once the window is over the offer goes away (the server refuses a late undo anyway).
    page.keyboard.press("a")
    expect(page.locator("#toast-undo")).to_be_visible()
    page.clock.run_for(11_000)
    expect(page.locator("#toast")).to_be_hidden()
    assert _status(db, draft) == "approved"

    assert errors == [], f"page errors: {errors}"
    context.close()
