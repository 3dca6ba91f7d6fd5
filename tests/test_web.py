"""The web app over HTTP: sign-in, sessions, CSRF, roles, collisions, audit, escaping, the API.

Each test serves the real aiohttp app on loopback over a real store in tmp_path; time is a
clock the test moves, never a sleep.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from monitor.cases import CaseRules, plan_page
from monitor.models import AnalysedMention, DraftSpec, Priority, Role, parse_iso
from monitor.poller import SourceHealth, SourceState
from monitor.settings import Settings
from monitor.store import DRAFT_FIELDS, AsyncStore, CaseContext, Plan, QueueFilter, Store
from responders.auth import hash_password, new_token, token_hash
from responders.drafts import voice_from_settings
from responders.web.app import make_app
from responders.web.state import WebPolicy
from tests.factories import T0, analysed, mention
from tests.helpers import brandbot, write_config

SETTINGS = Settings.model_validate({
    "brand": {"name": "Brightwave", "keywords": ["brightwave"]},
    "voice": {"banned_phrases": ["calm down"]},
    "routing": {"default_team": "care", "teams": {"billing": {"intents": ["billing"]},
                                                  "network": {"intents": ["outage"]}}},
})
VOICE = voice_from_settings(SETTINGS)
RULES = CaseRules.from_settings(SETTINGS)
PAYLOADS = ["<script>alert('xss')</script>", '<img src=x onerror="alert(1)">']
PASSWORDS = {"ann": "ann's long password", "bob": "bob's long password",
             "vic": "vic's long password"}
ROLES = {"ann": Role.ADMIN, "bob": Role.APPROVER, "vic": Role.VIEWER}
# scrypt is slow on purpose: hash each password once for the whole module.
HASHES = {name: hash_password(password) for name, password in PASSWORDS.items()}
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def drafter(case: object, m: Any, a: Any) -> DraftSpec:
    """A short on-voice reply, or an over-long one for posts that say 'overlong'."""
    text = f"Hi {m.author.handle}, sorry about that. DM us and we'll help."
    if "overlong" in m.text:
        text = "Sorry! " + "We are on it. " * 30
    return DraftSpec(text=text, template="default", flags=VOICE.check(text, m.platform))


def planner(new: Sequence[AnalysedMention], context: CaseContext) -> Plan:
    return plan_page(new, context, rules=RULES, drafter=drafter)


POSTS = [
    analysed(mention("1", "@BrightwaveHelp my brightwave router died", author="dana"),
             priority=Priority.URGENT, intent="outage"),
    analysed(mention("2", "brightwave billed me twice", author="eli", platform="reddit"),
             priority=Priority.HIGH, intent="billing"),
    analysed(mention("3", "brightwave overlong complaint", author="fay", platform="x"),
             priority=Priority.NORMAL, intent="bug"),
    analysed(mention("4", f"brightwave {PAYLOADS[0]}", author="gus", platform="bluesky"),
             priority=Priority.NORMAL),
    analysed(mention("5", f"brightwave {PAYLOADS[1]}", author="hal", platform="mastodon"),
             priority=Priority.LOW),
]


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class User:
    """One browser: its own cookie jar, and the CSRF token of its session."""

    session: aiohttp.ClientSession
    base: str
    csrf: str = ""

    async def get(self, path: str, **kw: Any) -> aiohttp.ClientResponse:
        return await self.session.get(self.base + path, allow_redirects=False, **kw)

    async def form(self, path: str, data: dict[str, Any] | list[tuple[str, str]], *,
                   csrf: str | None = None, **kw: Any) -> aiohttp.ClientResponse:
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        token = self.csrf if csrf is None else csrf
        if token:
            fields.append(("csrf_token", token))
        return await self.session.post(self.base + path, data=fields, allow_redirects=False,
                                       **kw)

    async def api(self, path: str, body: dict[str, Any] | None = None, *,
                  csrf: str | None = None, **kw: Any) -> aiohttp.ClientResponse:
        headers = dict(kw.pop("headers", {}))
        token = self.csrf if csrf is None else csrf
        if token:
            headers["X-CSRF-Token"] = token
        return await self.session.post(self.base + path, json=body, headers=headers,
                                       allow_redirects=False, **kw)


@dataclass
class Site:
    """The app served on loopback, its store, its clock, and the people using it."""

    server: TestServer
    store: AsyncStore
    db: str
    clock: Clock
    users: list[User] = field(default_factory=list)

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def browser(self) -> User:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        user = User(session, self.base)
        self.users.append(user)
        return user

    async def login(self, name: str) -> User:
        user = self.browser()
        response = await user.form("/login", {"username": name, "password": PASSWORDS[name]})
        assert response.status == 303, await response.text()
        page = await (await user.get("/")).text()
        match = CSRF.search(page)
        assert match, page
        user.csrf = match.group(1)
        return user

    async def audit(self, subject: str) -> list[dict[str, Any]]:
        return list(reversed(await self.store.read(lambda s: s.list_audit(subject=subject))))

    async def draft(self, draft_id: int) -> dict[str, Any]:
        return await self.store.read(lambda s: s.draft_row(draft_id))


async def serve(db: str, *, posts: Sequence[AnalysedMention] = POSTS,
                policy: WebPolicy | None = None) -> Site:
    store = Store(db)
    store.ingest("s", None, list(posts), planner, now=T0)
    for name, role in ROLES.items():
        store.add_user(name, role, HASHES[name], actor="test", now=T0)
    store.close()
    astore = await AsyncStore(db).open()
    clock = Clock(T0 + timedelta(hours=1))
    health = {"demo": SourceHealth(state=SourceState.RATE_LIMITED)}
    app = make_app(SETTINGS, astore, health, clock=clock, policy=policy)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return Site(server, astore, db, clock)


async def close(s: Site) -> None:
    for user in s.users:
        await user.session.close()
    await s.server.close()
    await s.store.close()


def draft_id_of(site: Site, mention_id: str) -> int:
    store = Store(site.db, migrate=False)
    try:
        return int(store.conn.execute("SELECT id FROM drafts WHERE mention_id = ?",
                                      (mention_id,)).fetchone()[0])
    finally:
        store.close()


# --- access ---------------------------------------------------------------------------------


async def test_unauthenticated_requests_go_to_login(site: Site) -> None:
    anon = site.browser()
    for path in ("/", "/cases", "/audit", "/users", "/drafts/1"):
        response = await anon.get(path)
        assert response.status == 303, path
        assert response.headers["Location"].startswith("/login"), path
    assert (await anon.get("/drafts/1?team=care")).headers["Location"] == \
        "/login?next=/drafts/1%3Fteam%3Dcare"
    assert (await anon.form("/drafts/1/approve", {"text": "hi"})).headers["Location"] == "/login"
    for path in ("/api/drafts", "/api/queue"):
        response = await anon.get(path)
        assert response.status == 401
        assert "error" in await response.json()
    assert (await anon.api("/api/drafts/1/approve")).status == 401
    assert (await anon.get("/login")).status == 200
    assert (await anon.get("/static/app.js")).status == 200
    health = await anon.get("/healthz")
    assert health.status == 200
    body = await health.json()
    assert body["queue_depth"] == 5
    assert body["sources"]["demo"]["state"] == "rate_limited"
    assert await site.store.read(lambda s: s.get_draft(1).status.value) == "pending"


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(site: Site) -> None:
    wrong = site.browser()
    refused = await wrong.form("/login", {"username": "ann", "password": "nope",
                                          "next": "/drafts/2"})
    assert refused.status == 401
    page = await refused.text()
    assert "Wrong username or password." in page
    assert '<input type="hidden" name="next" value="/drafts/2">' in page
    assert "brandbot_session" not in refused.cookies

    ann = site.browser()
    response = await ann.form("/login", {"username": "ann", "password": PASSWORDS["ann"],
                                         "next": "//evil.example/steal"})
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https requests get Secure
    token = response.cookies["brandbot_session"].value
    stored = await site.store.read(
        lambda s: s.conn.execute("SELECT token_hash FROM sessions").fetchall())
    assert [r[0] for r in stored] == [token_hash(token)]  # only the hash is kept

    page = await ann.get("/")
    html = await page.text()
    assert page.status == 200 and "ann" in html and "admin" in html and "Sign out" in html
    ann.csrf = CSRF.search(html).group(1)  # type: ignore[union-attr]
    out = await ann.form("/logout", {})
    assert out.status == 303 and out.headers["Location"] == "/login?bye=1"
    assert (await ann.get("/")).status == 303
    replay = site.browser()
    replay.session.cookie_jar.update_cookies({"brandbot_session": token})
    assert (await replay.get("/")).status == 303


async def test_an_idle_session_expires(site: Site) -> None:
    bob = await site.login("bob")
    site.clock.advance(hours=7)
    assert (await bob.get("/")).status == 200  # activity pushes the expiry forward
    site.clock.advance(hours=7, minutes=59)
    assert (await bob.get("/")).status == 200
    site.clock.advance(hours=8, minutes=1)
    assert (await bob.get("/")).status == 303


async def test_state_changes_without_the_right_csrf_token_are_refused(site: Site) -> None:
    bob = await site.login("bob")
    for token in ("", "not-the-token"):
        api = await bob.api("/api/drafts/1/approve", csrf=token)
        assert api.status == 403
        assert "X-CSRF-Token" in (await api.json())["error"]
        form = await bob.form("/drafts/1/approve", {"text": "Hi"}, csrf=token)
        assert form.status == 403
        assert "reload the page" in await form.text()
        assert (await bob.form("/queue/bulk", [("ids", "1"), ("action", "approve")],
                               csrf=token)).status == 403
        assert (await bob.form("/logout", {}, csrf=token)).status == 403
    other_site = await bob.api("/api/drafts/1/approve",
                               headers={"Origin": "http://evil.example"})
    assert other_site.status == 403
    assert (await site.draft(1))["status"] == "pending"
    assert await site.audit("draft:1") == []

    ok = await bob.form("/drafts/1/approve", {})
    assert ok.status == 303
    assert (await site.draft(1))["status"] == "approved"


async def test_a_viewer_reads_but_cannot_decide(site: Site) -> None:
    vic = await site.login("vic")
    assert (await vic.get("/")).status == 200
    page = await vic.get("/drafts/1")
    assert page.status == 200
    assert "deciding needs the approver role" in await page.text()
    for path, body in (("approve", None), ("reject", {"reason": "spam"}),
                       ("hand-off", {"team": "billing"})):
        response = await vic.api(f"/api/drafts/1/{path}", body)
        assert response.status == 403, path
        assert "viewer" in (await response.json())["error"]
    assert (await vic.form("/drafts/1/approve", {"text": "Hi"})).status == 403
    assert (await vic.form("/drafts/1/reject", {"reason": "spam"})).status == 403
    assert (await vic.form("/queue/bulk", [("ids", "1"), ("action", "approve")])).status == 403
    assert (await vic.get("/audit")).status == 403
    assert (await vic.get("/users")).status == 403
    assert (await site.draft(1))["status"] == "pending"


async def test_two_concurrent_approvals_give_one_success_and_one_conflict(site: Site) -> None:
    ann, bob = await site.login("ann"), await site.login("bob")
    first, second = await asyncio.gather(ann.api("/api/drafts/2/approve"),
                                         bob.api("/api/drafts/2/approve"))
    assert sorted([first.status, second.status]) == [200, 409]
    winner, loser = (first, second) if first.status == 200 else (second, first)
    won = await winner.json()
    assert won["status"] == "approved"
    assert re.search(r"already approved by (ann|bob) at 2026-11-18T08:00", (
        await loser.json())["error"])
    approvals = [a for a in await site.audit("draft:2") if a["action"] == "approve"]
    assert len(approvals) == 1 and approvals[0]["actor"] == won["decided_by"]

    # The page form says the same, clearly, and never a 500; a second approval changes nothing.
    again = await bob.form("/drafts/2/approve", {})
    assert again.status == 409
    assert f"already approved by {won['decided_by']}" in await again.text()
    reject = await ann.api("/api/drafts/2/reject", {"reason": "dup"})
    assert reject.status == 409
    assert len(await site.audit("draft:2")) == 1


async def test_sign_in_attempts_are_rate_limited_per_user_and_per_address(
        db_url: Callable[..., str]) -> None:
    s = await serve(db_url(), policy=WebPolicy(max_failures_per_user=5, max_failures_per_ip=8))
    try:
        browser = s.browser()
        for _ in range(5):
            assert (await browser.form("/login", {"username": "bob",
                                                  "password": "guess"})).status == 401
        locked = await browser.form("/login", {"username": "bob",
                                               "password": PASSWORDS["bob"]})
        assert locked.status == 429
        assert "Too many failed sign-ins. Try again in 15 minutes." in await locked.text()
        assert locked.headers["Retry-After"] == "900"
        assert "brandbot_session" not in locked.cookies
        assert (await s.login("ann")).csrf  # another account is not locked out

        s.clock.advance(minutes=15, seconds=1)
        assert (await s.login("bob")).csrf

        for i in range(8):  # one address guessing at many accounts
            assert (await browser.form("/login", {"username": f"nobody{i}",
                                                  "password": "guess"})).status == 401
        blocked = await browser.form("/login", {"username": "vic",
                                                "password": PASSWORDS["vic"]})
        assert blocked.status == 429
    finally:
        await close(s)


async def test_sixty_guesses_sent_at_once_get_no_more_than_the_limit_checked(
        db_url: Callable[..., str]) -> None:
    # each attempt is reserved before the password is hashed: a burst cannot outrun the count
    s = await serve(db_url(), policy=WebPolicy(max_failures_per_user=5, max_failures_per_ip=100))
    try:
        browsers = [s.browser() for _ in range(60)]
        answers = await asyncio.gather(*(b.form("/login", {"username": "bob",
                                                           "password": f"guess{i}"})
                                         for i, b in enumerate(browsers)))
        statuses = sorted(a.status for a in answers)
        assert statuses.count(401) <= 5 and statuses.count(429) >= 55, statuses
        # and the right password is refused too until the lock ends
        late = await s.browser().form("/login", {"username": "bob",
                                                 "password": PASSWORDS["bob"]})
        assert late.status == 429
    finally:
        await close(s)


async def test_api_tokens_authenticate_without_a_session(site: Site, tmp_path: Path) -> None:
    config = write_config(tmp_path, f"""
[brand]
name = "Brightwave"
keywords = ["brightwave"]

[storage]
url = "{site.db}"
""")
    made = brandbot("--config", str(config), "users", "token", "bob")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 40 and "shown only now" in made.stderr
    vic_token = new_token()
    await site.store.write(lambda s: s.add_api_token(token_hash(vic_token), username="vic",
                                                     actor="test", now=T0))
    client = site.browser()

    listed = await client.get("/api/drafts?status=pending",
                              headers={"Authorization": f"Bearer {token}"})
    assert listed.status == 200
    drafts = await listed.json()
    assert len(drafts) == 5 and all(tuple(d) == DRAFT_FIELDS for d in drafts)
    assert [d["priority"] for d in drafts] == ["urgent", "high", "normal", "normal", "low"]

    approved = await client.api("/api/drafts/1/approve",
                                headers={"Authorization": f"Bearer {token}"})
    assert approved.status == 200  # no CSRF token needed with a bearer token
    assert (await approved.json())["decided_by"] == "bob"
    for bad in ("Bearer nope", f"Bearer {token}x"):
        assert (await client.api("/api/drafts/2/approve",
                                 headers={"Authorization": bad})).status == 401
    viewer = await client.api("/api/drafts/2/approve",
                              headers={"Authorization": f"Bearer {vic_token}"})
    assert viewer.status == 403
    unknown = brandbot("--config", str(config), "users", "token", "mallory")
    assert unknown.returncode == 1 and "no user called 'mallory'" in unknown.stderr


async def test_api_decisions_answer_with_the_draft_or_a_clear_status(site: Site) -> None:
    bob = await site.login("bob")
    flagged = draft_id_of(site, "x:3")
    flagged_view = await (await bob.get("/?flagged=yes")).text()
    assert re.findall(r'<tr data-id="(\d+)"', flagged_view) == [str(flagged)]
    assert "⚠ too_long: " in flagged_view
    too_long = await bob.api(f"/api/drafts/{flagged}/approve")
    assert too_long.status == 422
    body = await too_long.json()
    assert body["flags"] and body["flags"][0].startswith("too_long")
    banned = await bob.api(f"/api/drafts/{flagged}/approve", {"text": "Please calm down."})
    assert banned.status == 422 and "calm down" in (await banned.json())["error"]
    fixed = await bob.api(f"/api/drafts/{flagged}/approve", {"text": "Sorry, DM us ^Sam"})
    assert fixed.status == 200
    assert (await fixed.json())["text"] == "Sorry, DM us ^Sam"

    no_reason = await bob.api("/api/drafts/1/reject", {"reason": "  "})
    assert no_reason.status == 422
    assert (await bob.api("/api/drafts/1/reject", {})).status == 422
    rejected = await bob.api("/api/drafts/1/reject", {"reason": "spam"})
    assert rejected.status == 200
    assert (await rejected.json())["status"] == "rejected"
    assert (await bob.api("/api/drafts/999/approve")).status == 404
    missing = await bob.get("/drafts/999")
    assert missing.status == 404 and "no draft with id 999" in await missing.text()
    assert (await bob.api("/api/drafts/2/hand-off", {"team": "nowhere"})).status == 422
    not_json = await bob.session.post(bob.base + "/api/drafts/2/approve", data="{",
                                      headers={"X-CSRF-Token": bob.csrf})
    assert not_json.status == 400
    listed = await (await bob.get("/api/drafts?status=pending")).json()
    assert len(listed) == 3


async def test_every_decision_is_audited_with_before_and_after_text(site: Site) -> None:
    ann = await site.login("ann")
    original = (await site.draft(1))["text"]
    assert (await ann.form("/drafts/1/approve", {"text": original})).status == 303
    assert (await ann.form("/drafts/2/approve",
                           {"text": "Hi eli,\r\nsorry! DM us ^Sam"})).status == 303
    assert (await ann.form("/drafts/4/reject", {"reason": "troll"})).status == 303
    assert (await ann.form("/drafts/5/hand-off", {"team": "billing"})).status == 303

    rows = [(a["actor"], a["action"], a["before"], a["after"], a["detail"])
            for d in (1, 2, 4, 5) for a in await site.audit(f"draft:{d}")]
    draft2 = (await site.draft(2))
    assert rows == [
        ("ann", "approve", original, original, None),
        ("ann", "edit_approve", "Hi eli, sorry about that. DM us and we'll help.",
         "Hi eli,\nsorry! DM us ^Sam", None),
        ("ann", "reject", "Hi gus, sorry about that. DM us and we'll help.",
         "Hi gus, sorry about that. DM us and we'll help.", '{"reason":"troll"}'),
        ("ann", "hand_off", "network", "billing", '{"case_id":5}'),
    ]
    assert draft2["text"] == "Hi eli,\nsorry! DM us ^Sam"
    assert draft2["team"] == "billing"
    assert (await site.draft(5))["team"] == "billing"

    audit = await (await ann.get("/audit")).text()
    assert "edit_approve" in audit and "hand_off" in audit and "troll" in audit
    assert "Hi eli,\nsorry! DM us ^Sam" in audit


async def test_hostile_post_text_is_escaped_on_the_queue_and_draft_pages(
        db_url: Callable[..., str]) -> None:
    hostile = [
        analysed(mention("1", f"brightwave {PAYLOADS[0]}", author="a1")),
        analysed(mention("2", f"brightwave {PAYLOADS[1]}", author="a2")),
    ]
    s = await serve(db_url(), posts=hostile)
    try:
        await s.store.write(lambda st: st.conn.execute(
            "UPDATE mentions SET url = 'javascript:alert(1)' WHERE id = 'x:1'"))
        ann = await s.login("ann")
        pages = [await ann.get("/"), await ann.get("/drafts/1"), await ann.get("/drafts/2"),
                 await ann.get("/?q=script")]
        for page in pages:
            html = await page.text()
            assert page.status == 200
            csp = page.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert page.headers["X-Frame-Options"] == "DENY"
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            for payload in PAYLOADS:
                assert payload not in html
            assert "javascript:" not in html
            assert re.findall(r"<script\b[^>]*>", html) == [
                '<script src="/static/app.js" defer>']
        queue = await pages[0].text()
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in queue
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in queue
        assert "<strong>2</strong> drafts waiting" in queue
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in await pages[1].text()
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in await pages[2].text()
        assert "<strong>1</strong> draft waiting in this view" in await pages[3].text()
    finally:
        await close(s)


# --- the workflow ---------------------------------------------------------------------------


def many_posts(n: int) -> list[AnalysedMention]:
    platforms = ("x", "reddit", "bluesky", "mastodon")
    intents = ("outage", "billing", "question")
    words = ("router", "bill", "signal")
    return [
        analysed(mention(str(i), f"brightwave {words[i % 3]} trouble number {i}",
                         author=f"cust{i}", platform=platforms[i % 4], minutes=i),
                 priority=list(Priority)[i % 4], intent=intents[i % 3])
        for i in range(n)
    ]


async def test_queue_filters_search_and_pages_by_key(db_url: Callable[..., str]) -> None:
    s = await serve(db_url(), posts=many_posts(30), policy=WebPolicy(page_size=7))
    try:
        ann = await s.login("ann")
        seen: list[int] = []
        path: str | None = "/"
        pages = 0
        while path:
            html = await (await ann.get(path)).text()
            seen += [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]
            found = re.search(r'href="([^"]+)" rel="next"', html)
            path = found.group(1).replace("&amp;", "&") if found else None
            pages += 1
        assert pages == 5 and len(seen) == 30 and len(set(seen)) == 30
        in_order = await s.store.read(lambda st: st.list_drafts(status="pending", limit=100))
        assert seen == [d["id"] for d in in_order]
        ranks = [Priority(d["priority"]).rank for d in in_order]
        assert ranks == sorted(ranks)
        back = re.search(r'href="([^"]+)" rel="prev"', html)
        assert back is not None
        previous = await (await ann.get(back.group(1).replace("&amp;", "&"))).text()
        assert [int(i) for i in re.findall(r'<tr data-id="(\d+)"', previous)] == seen[21:28]

        async def ids(query: str) -> set[int]:
            html = await (await ann.get("/?" + query)).text()
            return {int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)}

        by_mention = {d["id"]: d for d in in_order}
        reddit = await ids("platform=reddit")
        assert reddit and all(by_mention[i]["platform"] == "reddit" for i in reddit)
        billing = await ids("team=billing&priority=urgent")
        assert billing and all(by_mention[i]["team"] == "billing"
                               and by_mention[i]["priority"] == "urgent" for i in billing)
        routers = await ids("q=ROUTER")
        assert len(routers) == 7  # first page of the 10 matches
        everything = await s.store.read(
            lambda st: st.queue(QueueFilter(search="router"), limit=50))
        assert everything.total == 10
        assert all("router" in r["mention_text"] for r in everything.rows)
        assert await ids("q=nosuchword") == set()
        assert await ids('q="unbalanced') == set()
        assert len(await ids("platform=bogus&flagged=maybe")) == 7  # unknown values ignored
    finally:
        await close(s)


async def test_bulk_decisions_report_each_draft(site: Site) -> None:
    bob = await site.login("bob")
    ann = await site.login("ann")
    assert (await ann.api("/api/drafts/2/approve")).status == 200
    flagged = draft_id_of(site, "x:3")
    response = await bob.form("/queue/bulk", [("ids", "1"), ("ids", "2"), ("ids", str(flagged)),
                                              ("action", "approve"), ("back", "team=care")])
    assert response.status == 303 and response.headers["Location"] == "/?team=care"
    page = await (await bob.get("/")).text()
    assert "Approved 1 of 3 drafts." in page
    assert "draft 2 is already approved by ann" in page
    assert f"draft {flagged} breaks voice rules: too_long" in page
    assert (await site.draft(1))["status"] == "approved"
    assert "Approved 1 of 3" not in await (await bob.get("/")).text()  # shown once

    no_reason = await bob.form("/queue/bulk", [("ids", "4"), ("action", "reject")])
    assert no_reason.status == 303
    assert "needs a reason" in await (await bob.get("/")).text()
    rejected = await bob.form("/queue/bulk", [("ids", "4"), ("ids", "5"), ("action", "reject"),
                                              ("reason", "spam wave")])
    assert rejected.status == 303
    assert "Rejected 2 of 2 drafts." in await (await bob.get("/")).text()
    assert [a["detail"] for a in await site.audit("draft:5")] == ['{"reason":"spam wave"}']


async def test_draft_page_shows_who_else_is_viewing_and_decisions_made_elsewhere(
        site: Site) -> None:
    ann, bob = await site.login("ann"), await site.login("bob")
    assert "Also viewing" in await (await ann.get("/drafts/1")).text()
    bob_page = await (await bob.get("/drafts/1")).text()
    assert re.search(r'<strong id="viewer-names">ann</strong>', bob_page)
    seen = await (await ann.api("/api/drafts/1/viewing")).json()
    assert seen["viewers"] == ["bob"] and seen["status"] == "pending"

    site.clock.advance(seconds=30)  # bob's page stopped polling: he is gone
    assert (await (await ann.api("/api/drafts/1/viewing")).json())["viewers"] == []

    assert (await ann.form("/drafts/1/approve", {})).status == 303
    state = await (await bob.api("/api/drafts/1/viewing")).json()
    assert state["status"] == "approved" and state["decided_by"] == "ann"
    late = await bob.form("/drafts/1/reject", {"reason": "too slow"})
    assert late.status == 409
    assert "draft 1 is already approved by ann at 2026-11-18T08:00" in await late.text()


async def test_approving_from_the_draft_page_moves_on_to_the_next_draft(site: Site) -> None:
    bob = await site.login("bob")
    page = await (await bob.get("/drafts/1?team=care")).text()
    assert 'id="next-draft"' in page
    done = await bob.form("/drafts/1/approve?team=care", {})
    assert done.status == 303
    following = done.headers["Location"]
    assert following.startswith("/drafts/") and following.endswith("?team=care")
    landed = await (await bob.get(following)).text()
    assert "Draft #1 approved." in landed

    flagged = draft_id_of(site, "x:3")
    refused = await bob.form(f"/drafts/{flagged}/approve", {"text": "x" * 281})
    assert refused.status == 422
    html = await refused.text()
    assert "too_long: 281 characters, x allows 280" in html
    assert "x" * 281 in html  # the edit is kept for fixing, not lost
    assert 'class="count over"' in html


async def test_admins_add_users_from_the_users_page(site: Site) -> None:
    ann = await site.login("ann")
    added = await ann.form("/users", {"name": "cat", "role": "approver",
                                      "password": "cat's long password"})
    assert added.status == 303
    page = await (await ann.get("/users")).text()
    assert "Added cat as approver." in page and "<strong>cat</strong>" in page
    short = await ann.form("/users", {"name": "dan", "role": "viewer", "password": "short"})
    assert short.status == 303
    assert "at least 8 characters" in await (await ann.get("/users")).text()
    assert await site.store.read(lambda s: s.get_user("dan")) is None
    user = await site.store.read(lambda s: s.get_user("cat"))
    assert user is not None and user["role"] == "approver"
    cases = await (await ann.get("/cases")).text()
    assert cases.count('<span class="status status-open">') == 5


async def test_the_digest_page_shows_the_digest_with_a_policy_that_allows_no_script(
        site: Site) -> None:
    anonymous = await site.browser().get("/digest")
    assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/login")
    vic = await site.login("vic")
    page = await vic.get("/digest?since=3650d")
    assert page.status == 200
    html = await page.text()
    assert "brand digest" in html and 'src="data:image/svg+xml;base64,' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "<script>" not in html  # post text inside is escaped like everywhere else
    assert (await vic.get("/digest?since=banana")).status == 400


async def test_metrics_are_served_in_prometheus_format_without_login(site: Site) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    response = await site.browser().get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(await response.text())
        for s in family.samples
    }
    pending = await site.store.read(lambda s: s.count("drafts", "status = 'pending'"))
    assert samples[("brandbot_queue_depth", ())] == pending > 0
    assert samples[("brandbot_drafts", (("status", "pending"),))] == pending
    assert samples[("brandbot_source_state", (("source", "demo"), ("state", "rate_limited")))] \
        == 1.0
    assert samples[("brandbot_source_state", (("source", "demo"), ("state", "ok")))] == 0.0
    # the drafts were made at T0; the app's clock says an hour later
    assert samples[("brandbot_oldest_pending_draft_age_seconds", ())] == 3600
    assert samples[("brandbot_store_up", ())] == 1
    assert samples[("brandbot_store_errors_total", ())] == 0
    assert any(name == "brandbot_build_info" for name, _ in samples)
    assert samples[("process_open_fds", ())] > 0
    # the web app alone (brandbot serve) has no daemon counters
    assert ("brandbot_config_reload_failures_total", ()) not in samples
    # every case here is unanswered; an hour after T0 the urgent and high ones are past due
    now = site.clock()
    due = [c["sla_due_at"] for c in await site.store.read(lambda s: s.list_cases())]
    breached = samples[("brandbot_cases_first_response_sla", (("state", "breached"),))]
    assert breached == sum(parse_iso(d) <= now for d in due) > 0

    # items held in the quarantine are counted here and on /healthz
    from monitor.models import Rejected

    assert samples[("brandbot_quarantined_items", ())] == 0
    await site.store.write(lambda s: s.ingest(
        "demo", None, [], lambda new, ctx: None, now=now,  # type: ignore[arg-type,return-value]
        advance_cursor=False, rejected=[Rejected("ValueError: bad", '{"raw": "x"}')]))
    again = await (await site.browser().get("/metrics")).text()
    assert "brandbot_quarantined_items 1.0" in again
    assert (await (await site.browser().get("/healthz")).json())["quarantined"] == 1


async def test_healthz_answers_503_naming_what_fails_and_livez_only_the_loop(site: Site) -> None:
    from responders.web.state import HEALTH_KEY

    demo = site.server.app[HEALTH_KEY]["demo"]
    anon = site.browser()
    demo.state, demo.last_error = SourceState.BACKING_OFF, "Unavailable: 503"
    demo.failing_since = site.clock() - timedelta(minutes=9)  # [web] health_grace is 10m
    response = await anon.get("/healthz")
    body = await response.json()
    assert response.status == 200 and body["ok"] is True and body["failed"] == []
    site.clock.advance(minutes=2)
    response = await anon.get("/healthz")
    body = await response.json()
    assert response.status == 503 and body["ok"] is False and body["failed"] == ["sources"]
    assert body["checks"]["sources"]["failing"] == ["demo"]
    assert "demo failing since" in body["checks"]["sources"]["detail"]
    assert body["checks"]["store"] == {"ok": True, "detail": "reads and writes go through"}
    assert body["queue_depth"] == 5  # the rest of the answer is all there
    demo.state, demo.last_error = SourceState.PARKED, "AuthFailed: 401"
    response = await anon.get("/healthz")
    assert response.status == 503
    assert "demo parked: AuthFailed: 401" in (await response.json())["checks"]["sources"]["detail"]
    live = await anon.get("/livez")
    assert live.status == 200 and await live.json() == {"alive": True}
    demo.state = SourceState.RATE_LIMITED  # waiting as the platform asked is doing its job
    assert (await anon.get("/healthz")).status == 200


# --- saved replies ----------------------------------------------------------------------------


async def test_an_approver_saves_a_reply_and_manages_saved_replies(site: Site) -> None:
    bob = await site.login("bob")
    draft_id = draft_id_of(site, "reddit:2")
    text = "Hi eli, sorry for the double charge. We've refunded it today. ^Sam"
    done = await bob.form(f"/drafts/{draft_id}/approve", {"text": text, "save": "1"})
    assert done.status == 303, await done.text()
    (saved,) = await site.store.read(lambda s: s.saved_replies())
    # the customer's name became a placeholder, ready for the next customer
    assert saved["text"] == "Hi {{ name }}, sorry for the double charge. We've refunded it " \
                            "today. ^Sam"
    assert saved["intent"] == "billing" and saved["created_by"] == "bob"
    page = await (await bob.get("/saved")).text()
    assert "sorry for the double charge" in page and "{{ name }}" in page

    vic = await site.login("vic")
    assert (await vic.get("/saved")).status == 403
    assert (await vic.api(f"/api/saved-replies/{saved['id']}/retire")).status == 403

    edited = await bob.api(f"/api/saved-replies/{saved['id']}",
                           {"text": "Hi {{ name }}, the double charge is refunded. ^Sam"})
    assert edited.status == 200 and "is refunded" in (await edited.json())["text"]
    retired = await bob.form(f"/saved/{saved['id']}/retire", {})
    assert retired.status == 303
    assert await site.store.read(lambda s: s.saved_replies()) == []
    actions = [a["action"] for a in await site.audit(f"saved_reply:{saved['id']}")]
    assert actions == ["saved_reply_add", "saved_reply_edit", "saved_reply_retire"]
