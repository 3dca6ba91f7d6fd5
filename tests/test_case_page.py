"""The case page (`/cases/{id}`), the cases list's filters, internal notes, assignment to a
person, reopening and escalating by hand: in the store (both stores), over HTTP with the
real app, through the JSON API and on the command line.

The browser's view of the same page is tests/test_case_page_browser.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from monitor.cases import CaseRules, escalate_by_hand
from monitor.models import Escalation, Priority, Role
from monitor.settings import Settings
from monitor.sla import SlaPolicy
from monitor.store import NotFound, Store, StoreError
from monitor.store.cases import UNASSIGNED, SlaCut
from monitor.store.notes import NOTE_LIMIT
from responders import casework
from responders.queue import NotPermitted
from tests.factories import T0, analysed, mention
from tests.helpers import brandbot, write_config
from tests.test_web import PAYLOADS, SETTINGS, Site, planner

HOSTILE = "<script>alert('note')</script><img src=x onerror=alert(2)> & \"quotes\""
RULES = CaseRules.from_settings(Settings.model_validate({
    "brand": {"name": "Brightwave", "keywords": ["brightwave"]},
    "routing": {"default_team": "care", "teams": {"billing": {"intents": ["billing"]}}},
    "escalation": {"legal": {"team": "legal"}}}))


@pytest.fixture
def store(db_url: Callable[..., str]) -> Iterator[Store]:
    """A store with three customers' cases (dana's two posts are one case) and two users."""
    s = Store(db_url())
    s.ingest("s", None, [
        analysed(mention("1", "@BrightwaveHelp my router died", author="dana")),
        analysed(mention("2", "brightwave billed me twice", author="eli", minutes=5),
                 intent="billing", priority=Priority.HIGH),
        analysed(mention("3", "brightwave 100% down, still_waiting", author="fay",
                         minutes=10)),
        analysed(mention("4", "@BrightwaveHelp and now the app is down too", author="dana",
                         minutes=20)),
    ], planner, now=T0)
    s.add_user("ann", Role.ADMIN, "x", actor="test", now=T0)
    s.add_user("vic", Role.VIEWER, "x", actor="test", now=T0)
    yield s
    s.close()


def _case_of(s: Store, author: str) -> int:
    return int(next(c["id"] for c in s.list_cases() if c["author"] == author))


# --- the store ------------------------------------------------------------------------------


def test_a_note_keeps_hostile_text_whole_and_is_audited(store: Store) -> None:
    case = _case_of(store, "dana")
    first = store.add_case_note(case, author="ann", text=HOSTILE, now=T0)
    big = "a" * (NOTE_LIMIT - 10) + "<b>end</b>"
    store.add_case_note(case, author="ann", text=big, now=T0 + timedelta(minutes=1))
    store.add_case_note(case, author="ann", text="lone \ud800 surrogate, pair \ud83d\ude00",
                        now=T0 + timedelta(minutes=2))
    notes = store.case_notes(case)
    assert [n["text"] for n in notes] == [HOSTILE, big, "lone \ufffd surrogate, pair 😀"]
    assert (notes[0]["id"], notes[0]["author"]) == (first, "ann")
    assert store.case_notes(_case_of(store, "eli")) == []

    with pytest.raises(StoreError, match="at most 1,000,000 characters"):
        store.add_case_note(case, author="ann", text="b" * (NOTE_LIMIT + 1), now=T0)
    with pytest.raises(StoreError, match="needs some text"):
        store.add_case_note(case, author="ann", text=" \r\n ", now=T0)
    with pytest.raises(NotFound):
        store.add_case_note(999, author="ann", text="hi", now=T0)
    assert len(store.case_notes(case)) == 3
    trail = [a for a in store.list_audit(subject=f"case:{case}") if a["action"] == "case_note"]
    assert len(trail) == 3 and all(a["actor"] == "ann" for a in trail)
    assert len(trail[1]["after"]) == 200  # the audit keeps the start of a long note
    assert json.loads(trail[1]["detail"])["length"] == NOTE_LIMIT


def test_assigning_reopening_and_escalating_by_hand_are_audited(store: Store) -> None:
    case = _case_of(store, "eli")
    assert store.get_case(case).team == "billing"
    done = casework.assign(store, case, user="ann", now=T0, assignee="ann", team="care")
    assert (done.assignee, done.team) == ("ann", "care")
    with pytest.raises(StoreError, match="already with team care, assigned to ann"):
        casework.assign(store, case, user="ann", now=T0, assignee="ann")
    with pytest.raises(StoreError, match="no user called 'zed'"):
        casework.assign(store, case, user="ann", now=T0, assignee="zed", team="network")
    assert store.get_case(case).team == "care"  # an unknown person changed nothing
    store.set_user_disabled("vic", disabled=True, actor="ann", now=T0)
    with pytest.raises(StoreError, match="disabled"):
        store.assign_case_to(case, assignee="vic", actor="ann", now=T0)
    assert casework.assign(store, case, user="ann", now=T0, unassign=True).assignee is None

    with pytest.raises(StoreError, match="is open, not resolved"):
        casework.reopen(store, case, user="ann", now=T0)
    casework.resolve(store, case, user="ann", now=T0, follow_up=timedelta(days=2))
    with pytest.raises(StoreError, match="reopen it first"):
        casework.escalate(store, case, user="ann", now=T0, rules=RULES)
    reopened = casework.reopen(store, case, user="ann", now=T0 + timedelta(minutes=1))
    assert (reopened.status.value, reopened.resolved_at, reopened.follow_up_due_at) == (
        "open", None, None)

    escalated = casework.escalate(store, case, user="ann", now=T0, rules=RULES,
                                  kind=Escalation.LEGAL, reason="mentions the ombudsman")
    assert (escalated.status.value, escalated.priority.value, escalated.team) == (
        "escalated", "urgent", "legal")
    assert escalated.escalation == "escalation(legal); escalated by ann"
    assert escalated.sla_due_at < store.get_case(_case_of(store, "fay")).sla_due_at  # urgent
    with pytest.raises(StoreError, match="already escalated"):
        casework.escalate(store, case, user="ann", now=T0, rules=RULES, kind=Escalation.LEGAL)
    pending = [d for d in store.list_drafts(status="pending") if d["case_id"] == case]
    assert pending and pending[0]["team"] == "legal" and pending[0]["priority"] == "urgent"

    actions = [(a["action"], a["before"], a["after"]) for a in
               reversed(store.list_audit(subject=f"case:{case}"))]
    assert actions == [
        ("case_assignee", None, "ann"), ("case_assign", "billing", "care"),
        ("case_assignee", "ann", None), ("case_resolve", "open", "resolved"),
        ("case_reopen", "resolved", "open"),
        ("case_escalate", None, "escalation(legal); escalated by ann")]
    detail = json.loads(store.list_audit(subject=f"case:{case}", limit=1)[0]["detail"])
    assert detail["reason"] == "mentions the ombudsman" and detail["team"] == "legal"


def test_case_workers_are_approvers_or_admins(store: Store) -> None:
    casework.check_case_worker(store, "ann")
    with pytest.raises(NotPermitted, match="is a viewer and cannot change cases"):
        casework.check_case_worker(store, "vic")
    with pytest.raises(NotPermitted, match="unknown user 'zed'"):
        casework.check_case_worker(store, "zed")


def test_linking_another_account_from_a_case(store: Store) -> None:
    case = _case_of(store, "dana")
    linked = casework.link_account(store, case, "x:@FAY", user="ann", now=T0)
    assert linked == ["x:dana", "x:fay"]
    with pytest.raises(StoreError, match="already linked"):
        casework.link_account(store, case, "x:fay", user="ann", now=T0)
    with pytest.raises(NotFound, match="no author 'x:nobody'"):
        casework.link_account(store, case, "x:nobody", user="ann", now=T0)
    assert {c["id"] for c in store.customer_view("x:fay")["cases"]} == {
        case, _case_of(store, "fay")}


def test_the_cases_list_filters_and_shows_the_latest_post(store: Store) -> None:
    dana, eli, fay = (_case_of(store, a) for a in ("dana", "eli", "fay"))
    rows = {c["id"]: c for c in store.list_cases()}
    assert rows[dana]["latest_text"] == "@BrightwaveHelp and now the app is down too"
    store.assign_case_to(eli, assignee="ann", actor="ann", now=T0)
    store.escalate_case(fay, escalate=lambda c: escalate_by_hand(
        c, Escalation.SAFETY, by="ann", rules=RULES), actor="ann", now=T0)

    def ids(**kw: Any) -> list[int]:
        return [c["id"] for c in store.list_cases(**kw)]

    assert ids(assignee="ann") == [eli]
    assert ids(assignee=UNASSIGNED) == [fay, dana]
    assert ids(escalation="safety") == ids(escalation="any") == [fay]
    assert ids(escalation="legal") == []
    assert ids(search="ROUTER") == [dana]  # words of any post, any case
    assert ids(search="eli") == [eli]  # the customer's handle
    assert ids(search=f"#{fay}") == [fay]
    assert ids(search="100%") == [fay] and ids(search="still_w") == [fay]
    assert ids(search="1_0") == []  # % and _ are literal
    assert ids(search="nothing like it") == []


@pytest.mark.parametrize("hours", [0, 0.9, 1.5, 3, 30, 200])
def test_the_sla_filter_agrees_with_each_cases_sla_state(store: Store, hours: float) -> None:
    store.conn.execute("UPDATE cases SET first_response_at = ? WHERE id = 1",
                       ("2026-11-18T07:30:00.000000Z",))
    store.resolve_case(_case_of(store, "eli"), actor="ann", now=T0, follow_up=timedelta(0))
    policy = SlaPolicy.from_settings(SETTINGS)
    at = T0 + timedelta(hours=hours)
    expected = {c["id"]: policy.of_row(c, at)["sla_state"] for c in store.list_cases()}
    for state in ("ok", "at_risk", "breached", "met"):
        cut = SlaCut(state=state, now=at, resolution={str(k): v for k, v in
                                                      policy.resolution.items()},
                     first_response={str(k): v for k, v in policy.first_response.items()})
        assert {c["id"] for c in store.list_cases(sla=cut)} == {
            i for i, s in expected.items() if s == state}, state


# --- over HTTP ------------------------------------------------------------------------------


async def test_the_case_page_shows_the_case_its_customer_and_its_timeline(site: Site) -> None:
    bob = await site.login("bob")
    approved = await bob.form("/drafts/1/approve", {})
    assert approved.status == 303
    page = await bob.get("/cases/4")
    html = await page.text()
    assert page.status == 200
    assert "Case #4" in html and "@gus" in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert PAYLOADS[0] not in html
    assert 'href="/drafts/4"' in html  # its pending draft
    assert 'id="resolve-button"' in html and 'id="note-form"' in html

    first = await (await bob.get("/cases/1")).text()
    assert 'data-action="approve"' in first and "approved a draft" in first
    assert "None: this is their only case." in first
    assert (await bob.get("/cases/999")).status == 404
    assert (await bob.get("/cases/99999999999999999999999")).status == 404
    assert (await bob.form("/cases/99999999999999999999999/note", {"text": "x"})).status == 404

    vic = await site.login("vic")
    read_only = await (await vic.get("/cases/1")).text()
    assert "changing it needs the approver role" in read_only
    assert 'id="resolve-button"' not in read_only and 'id="note-form"' not in read_only


async def test_each_action_on_the_case_page_is_made_checked_and_audited(site: Site) -> None:
    bob = await site.login("bob")

    async def do(action: str, **fields: str) -> Any:
        return await bob.form(f"/cases/2/{action}", fields)

    response = await do("note", text="Called Eli; refund goes out Friday.")
    assert response.status == 303 and response.headers["Location"] == "/cases/2"
    page = await (await bob.get("/cases/2")).text()
    assert 'id="flash">Note added.' in page and "refund goes out Friday" in page

    assert (await do("assign", team="network", assignee="ann")).status == 303
    assert (await do("assign", assignee="bob")).status == 303  # "Take it myself"
    assert (await do("escalate", kind="legal", reason="says solicitor")).status == 303
    assert (await do("link", account="x:dana")).status == 303
    assert (await do("resolve")).status == 303
    again = await do("resolve")
    assert again.status == 409 and "already resolved" in await again.text()
    assert (await do("reopen")).status == 303
    unknown = await do("assign", team="nope")
    assert unknown.status == 422 and "unknown team" in await unknown.text()
    nobody = await do("assign", assignee="zed")
    assert nobody.status == 409 and "no user called" in await nobody.text()
    kept = await do("note", text="   ")
    assert kept.status == 422 and "needs some text" in await kept.text()
    assert (await do("dance")).status == 404
    assert (await bob.form("/cases/999/resolve", {})).status == 404

    case = await site.store.read(lambda s: s.get_case(2))
    assert (case.status.value, case.team, case.assignee, case.priority.value) == (
        "open", "network", "bob", "urgent")
    trail = [(a["actor"], a["action"]) for a in await site.audit("case:2")]
    assert trail == [("bob", "case_note"), ("bob", "case_assignee"), ("bob", "case_assign"),
                     ("bob", "case_assignee"), ("bob", "case_escalate"),
                     ("bob", "case_resolve"), ("bob", "case_reopen")]
    customer = await site.store.read(lambda s: s.customer_authors("reddit:eli"))
    assert customer == ["reddit:eli", "x:dana"]
    page = await (await bob.get("/cases/2")).text()
    assert "gave the case to a team" in page and "billing → network" in page
    assert 'href="/cases/1"' in page  # dana's case is now this customer's too


async def test_case_changes_need_the_role_and_the_csrf_token(site: Site) -> None:
    vic, bob = await site.login("vic"), await site.login("bob")
    for action, fields in (("resolve", {}), ("note", {"text": "hi"}),
                           ("assign", {"assignee": "vic"})):
        assert (await vic.form(f"/cases/1/{action}", fields)).status == 403
        assert (await vic.api(f"/api/cases/1/{action}", fields)).status == 403
        assert (await bob.form(f"/cases/1/{action}", fields, csrf="wrong")).status == 403
        assert (await bob.api(f"/api/cases/1/{action}", fields, csrf="")).status == 403
    anon = site.browser()
    assert (await anon.get("/cases/1")).headers["Location"] == "/login?next=/cases/1"
    assert (await anon.api("/api/cases/1/resolve")).status == 401
    assert await site.audit("case:1") == []
    assert await site.store.read(lambda s: s.case_notes(1)) == []


async def test_hostile_notes_are_stored_whole_and_shown_as_text(site: Site) -> None:
    ann = await site.login("ann")
    assert (await ann.form("/cases/3/note", {"text": HOSTILE})).status == 303
    big = "x" * 1_000_000
    assert (await ann.form("/cases/3/note", {"text": big})).status == 303
    page = await ann.get("/cases/3")
    html = await page.text()
    assert page.status == 200
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;&lt;img" in html
    assert "<script>alert('note')" not in html and "onerror=alert(2)>" not in html
    assert big in html
    # a lone surrogate's bytes in a form (not UTF-8) are kept as U+FFFD; in JSON, where the
    # escape parses to a lone surrogate, the request is refused
    form = await ann.session.post(
        site.base + "/cases/3/note", data=f"csrf_token={ann.csrf}&text=a%ED%A0%80b",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, allow_redirects=False)
    assert form.status == 303
    raw = await ann.session.post(
        site.base + "/api/cases/3/note", data=b'{"text": "a\\ud800b"}',
        headers={"Content-Type": "application/json", "X-CSRF-Token": ann.csrf})
    assert raw.status == 400 and "not valid Unicode" in (await raw.json())["error"]
    notes = await site.store.read(lambda s: s.case_notes(3))
    assert [len(n["text"]) for n in notes[:2]] == [len(HOSTILE), 1_000_000]
    assert len(notes) == 3 and notes[2]["text"].startswith("a\ufffd")
    assert notes[2]["text"].endswith("\ufffdb")
    assert "a\ufffd" in (await (await ann.get("/cases/3")).text())


async def test_the_cases_list_filters_searches_and_shows_mine(site: Site) -> None:
    bob = await site.login("bob")
    assert (await bob.form("/cases/2/assign", {"assignee": "bob"})).status == 303
    assert (await bob.form("/cases/5/escalate", {"kind": "safety"})).status == 303

    async def listed(query: str) -> list[int]:
        html = await (await bob.get("/cases" + query)).text()
        return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]

    everything = await (await bob.get("/cases")).text()
    assert "billed me twice" in everything  # the latest post's text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in everything
    assert await listed("") == [5, 4, 3, 2, 1]
    assert await listed("?mine=1") == [2]
    assert await listed(f"?assignee={quote('~none')}") == [5, 4, 3, 1]
    assert await listed("?assignee=bob&status=open") == [2]
    assert await listed("?escalation=safety") == [5]
    assert await listed("?status=escalated") == [5]
    assert await listed("?q=router") == [1]
    assert await listed("?q=%235") == [5]
    assert await listed("?sla=met") == []
    assert await listed("?team=billing") == [2]
    assert await listed("?sla=bogus&team=nope&escalation=x") == [5, 4, 3, 2, 1]
    vic = await site.login("vic")
    assert "No cases are assigned to you" in await (await vic.get("/cases?mine=1")).text()


async def test_the_case_api(site: Site) -> None:
    bob = await site.login("bob")
    assigned = await bob.api("/api/cases/2/assign", {"assignee": "bob", "team": "network"})
    assert assigned.status == 200, await assigned.text()
    body = await assigned.json()
    assert (body["case"]["assignee"], body["case"]["team"]) == ("bob", "network")
    assert (await bob.api("/api/cases/2/note", {"text": HOSTILE})).status == 200
    detail = await (await bob.get("/api/cases/2")).json()
    assert detail["case"]["assignee"] == "bob"
    assert [n["text"] for n in detail["notes"]] == [HOSTILE]
    listed = await (await bob.get("/api/cases?mine=1")).json()
    assert [c["id"] for c in listed] == [2] and listed[0]["latest_text"] == \
        "brightwave billed me twice"
    unassigned = await bob.api("/api/cases/2/assign", {"assignee": None})
    assert (await unassigned.json())["case"]["assignee"] is None
    assert (await bob.api("/api/cases/2/resolve")).status == 200
    conflict = await bob.api("/api/cases/2/resolve")
    assert conflict.status == 409 and "already resolved" in (await conflict.json())["error"]
    assert (await bob.api("/api/cases/2/escalate", {"kind": "bogus"})).status == 422
    assert (await bob.api("/api/cases/2/fly")).status == 404
    assert (await bob.api("/api/cases/99/reopen")).status == 404


# --- the command line -----------------------------------------------------------------------


CLI_CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[routing]
default_team = "care"

[routing.teams.billing]
intents = ["billing"]

[escalation.legal]
team = "legal"
"""


def test_the_cases_commands_assign_to_a_person_reopen_escalate_and_note(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    url = db_url()
    store = Store(url)
    store.ingest("s", None, [analysed(mention("1", "brightwave billed me twice",
                                              author="eli"), intent="billing")], planner,
                 now=T0)
    store.add_user("ann", Role.ADMIN, "x", actor="test", now=T0)
    store.add_user("bob", Role.APPROVER, "x", actor="test", now=T0)
    store.close()
    config = str(write_config(tmp_path, CLI_CONFIG + f'\n[storage]\nurl = "{url}"\n'))

    def run(*args: str) -> Any:
        return brandbot("--config", config, "cases", *args)

    assigned = run("assign", "1", "--to", "bob", "--as", "ann")
    assert assigned.returncode == 0, assigned.stderr
    assert assigned.stdout.strip() == "case 1 assigned to team billing, person bob"
    both = run("assign", "1", "--to", "ann", "--team", "care", "--as", "ann")
    assert both.stdout.strip() == "case 1 assigned to team care, person ann"
    assert run("assign", "1", "--to", "zed").returncode == 1
    assert run("assign", "1").returncode == 2
    assert run("assign", "1", "--to", "bob", "--nobody").returncode == 2
    assert run("assign", "1", "--nobody").stdout.strip() == \
        "case 1 assigned to team care, no one in person"
    escalated = run("escalate", "1", "--kind", "legal", "--reason", "ombudsman", "--as", "bob")
    assert escalated.returncode == 0, escalated.stderr
    assert "team legal, priority urgent" in escalated.stdout
    assert run("note", "1", "--text", "<b>called</b>", "--as", "bob").returncode == 0
    assert run("resolve", "1", "--as", "bob").returncode == 0
    reopened = run("reopen", "1", "--as", "bob")
    assert reopened.stdout.strip() == "case 1 reopened by bob"
    assert run("reopen", "1", "--as", "bob").returncode == 1

    shown = json.loads(run("show", "1", "--json").stdout)
    assert shown["case"]["assignee"] is None and shown["case"]["status"] == "open"
    assert [n["text"] for n in shown["notes"]] == ["<b>called</b>"]
    assert [a["action"] for a in shown["audit"]] == [
        "case_assignee", "case_assignee", "case_assign", "case_assignee", "case_escalate",
        "case_note", "case_resolve", "case_reopen"]
    listed = json.loads(run("list", "--json").stdout)
    assert listed[0]["assignee"] is None and listed[0]["team"] == "legal"
