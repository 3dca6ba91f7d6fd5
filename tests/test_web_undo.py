"""Undo in the web app and on the command line: after an approval (a button, the `a` key,
a bulk approval) a person can take it back for `[publisher] undo_window`, with CSRF and
role checks; an approved reply no source will post says so on the queue and its page.

The app runs on loopback over a real store with a clock the test moves (tests/test_web.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from monitor.models import Role
from monitor.poller import SourceHealth, SourceState
from monitor.settings import Settings
from monitor.store import AsyncStore, Store
from responders.web.app import make_app
from tests.factories import T0
from tests.helpers import brandbot, write_config
from tests.test_web import HASHES, POSTS, ROLES, SETTINGS, Clock, Site, close, planner

# The web tests' brand with an X source: X replies are posted, Reddit's never are.
WITH_X = Settings.model_validate({**SETTINGS.model_dump(mode="json", exclude_unset=True),
                                  "sources": [{"platform": "x"}]})
APPROVED_AT = "2026-11-18T08:00:00.000000Z"  # the site's clock: T0 + 1h


@pytest.fixture
async def site(db_url: Callable[..., str]) -> AsyncIterator[Site]:
    db = db_url()
    store = Store(db)
    store.ingest("s", None, list(POSTS), planner, now=T0)
    for name, role in ROLES.items():
        store.add_user(name, role, HASHES[name], actor="test", now=T0)
    store.close()
    astore = await AsyncStore(db).open()
    clock = Clock(T0 + timedelta(hours=1))
    app = make_app(WITH_X, astore, {"x": SourceHealth(state=SourceState.RATE_LIMITED)},
                   clock=clock)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    s = Site(server, astore, db, clock)
    yield s
    await close(s)


async def test_the_api_approves_with_an_undo_window_and_undo_puts_it_back(site: Site) -> None:
    bob, vic = await site.login("bob"), await site.login("vic")
    approved = await bob.api("/api/drafts/1/approve")
    body = await approved.json()
    assert approved.status == 200 and body["status"] == "approved"
    assert (body["undo_seconds"], body["undo_until"]) == (10, "2026-11-18T08:00:10.000000Z")
    assert body["not_posted"] is None

    assert (await vic.api("/api/drafts/1/undo")).status == 403  # a viewer
    assert (await bob.api("/api/drafts/1/undo", csrf="")).status == 403  # no CSRF token
    site.clock.advance(seconds=9)
    undone = await bob.api("/api/drafts/1/undo")
    assert undone.status == 200 and (await undone.json())["status"] == "pending"
    trail = await site.audit("draft:1")
    assert [(a["actor"], a["action"]) for a in trail] == [("bob", "approve"),
                                                          ("bob", "undo_approve")]
    assert trail[1]["at"] == "2026-11-18T08:00:09.000000Z"

    again = await (await bob.api("/api/drafts/1/undo")).json()
    assert "pending, not approved: there is no approval to undo" in again["error"]
    assert (await bob.api("/api/drafts/1/approve")).status == 200
    site.clock.advance(seconds=10)
    late = await bob.api("/api/drafts/1/undo")
    assert late.status == 409
    assert "its 10s undo window has passed" in (await late.json())["error"]
    assert (await site.draft(1))["status"] == "approved"

    reddit = await (await bob.api("/api/drafts/2/approve")).json()
    assert reddit["not_posted"] == ("won't be posted: no enabled reddit source can reply "
                                    "(enable one with credentials, or reply on reddit by hand)")


async def test_approving_on_the_draft_page_offers_undo_on_the_next_page(site: Site) -> None:
    bob = await site.login("bob")
    done = await bob.form("/drafts/1/approve?team=care", {})
    assert done.status == 303
    landed = await (await bob.get(done.headers["Location"])).text()
    assert '<div class="flash flash-ok" role="status" id="flash">Draft #1 approved.</div>' \
        in landed
    assert 'id="undo-form" data-seconds="10"' in landed
    assert '<input type="hidden" name="ids" value="1">' in landed
    assert 'id="undo-note"' not in landed  # X replies are posted

    assert (await bob.form("/queue/undo", {"ids": "1"}, csrf="")).status == 403
    site.clock.advance(seconds=4)
    undone = await bob.form("/queue/undo", {"ids": "1", "back": "team=care"})
    assert undone.status == 303 and undone.headers["Location"] == "/drafts/1?team=care"
    page = await (await bob.get("/drafts/1?team=care")).text()
    assert "Approval of draft #1 undone: it is back in the queue." in page
    assert 'id="approve-button"' in page  # pending: it can be edited and approved again
    assert (await site.draft(1))["status"] == "pending"

    await bob.form("/drafts/1/approve", {})
    site.clock.advance(seconds=11)
    late = await bob.form("/queue/undo", {"ids": "1"})
    assert late.status == 303
    page = await (await bob.get("/drafts/1")).text()
    assert ("Not undone: draft 1 was approved by bob at 2026-11-18T08:00:04.000000Z: its 10s "
            "undo window has passed.") in page
    assert (await site.draft(1))["status"] == "approved"


async def test_an_approved_draft_shows_its_countdown_and_then_only_its_state(
        site: Site) -> None:
    ann = await site.login("ann")
    await ann.api("/api/drafts/1/approve")
    page = await (await ann.get("/drafts/1")).text()
    assert 'id="undo-draft-form" data-seconds="10"' in page
    assert 'Posting in <span class="undo-seconds">10</span> s.' in page
    assert "Nothing here can change it now." not in page
    site.clock.advance(seconds=10)
    page = await (await ann.get("/drafts/1")).text()
    assert 'id="undo-draft-form"' not in page
    assert "Nothing here can change it now." in page


async def test_a_bulk_approval_is_undone_together(site: Site) -> None:
    bob = await site.login("bob")
    response = await bob.form("/queue/bulk", [("ids", "1"), ("ids", "4"),
                                              ("action", "approve"), ("back", "")])
    assert response.status == 303
    queue = await (await bob.get("/")).text()
    assert "Approved 2 of 2 drafts." in queue
    assert "Undo these approvals" in queue
    assert ('<input type="hidden" name="ids" value="1"><input type="hidden" name="ids" '
            'value="4">') in queue
    undone = await bob.form("/queue/undo", [("ids", "1"), ("ids", "4"), ("back", "")])
    assert undone.status == 303 and undone.headers["Location"] == "/"
    queue = await (await bob.get("/")).text()
    assert "Undid 2 of 2 approvals; those drafts are back in the queue." in queue
    assert [(await site.draft(i))["status"] for i in (1, 4)] == ["pending", "pending"]


async def test_an_approved_reply_no_source_will_post_says_so(site: Site) -> None:
    bob = await site.login("bob")
    done = await bob.form("/drafts/2/approve", {})  # eli's post on Reddit: no Reddit source
    landed = await (await bob.get(done.headers["Location"])).text()
    assert ("⚠ Won&#39;t be posted: no enabled reddit source can reply (enable one with "
            "credentials, or reply on reddit by hand)") in landed
    queue = await (await bob.get("/")).text()
    assert "1 approved draft won't be posted: no enabled source replies on reddit (1)." in queue
    page = await (await bob.get("/drafts/2")).text()
    assert "This reply won&#39;t be posted: no enabled reddit source can reply" in page
    site.clock.advance(seconds=30)
    await bob.api("/api/drafts/1/approve")  # an X reply: posted, not counted
    assert "1 approved draft won't be posted" in await (await bob.get("/")).text()


def test_undo_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'brandbot.db'}"
    store = Store(db)
    store.ingest("s", None, list(POSTS), planner, now=T0)
    store.add_user("ann", Role.APPROVER, HASHES["ann"], actor="test", now=T0)
    store.close()
    config = write_config(tmp_path, '[brand]\nname = "Brightwave"\nkeywords = ["brightwave"]\n'
                          f'\n[publisher]\nundo_window = "5m"\n\n[storage]\nurl = "{db}"\n')
    approved = brandbot("--config", str(config), "queue", "approve", "1", "--as", "ann")
    assert approved.returncode == 0, approved.stderr
    assert ("draft 1 approved by ann; it won't be posted: no enabled x source can reply"
            in approved.stdout)
    undone = brandbot("--config", str(config), "queue", "undo", "1", "--as", "ann")
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout == "draft 1 is pending again: approval undone by ann\n"
    again = brandbot("--config", str(config), "queue", "undo", "1", "--as", "ann")
    assert again.returncode == 1
    assert "draft 1 is pending, not approved: there is no approval to undo" in again.stderr
