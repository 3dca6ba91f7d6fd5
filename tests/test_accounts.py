"""Accounts an admin manages: disable and enable (sessions and tokens stop at once), roles,
password resets, API tokens listed, revoked and expiring; never the last admin locked out.
From the Users page and from `brandbot users ...`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from monitor.models import Role
from responders.auth import new_token, token_hash
from tests.helpers import brandbot, write_config
from tests.test_web import CSRF, PASSWORDS, Site


async def _token(site: Site, name: str) -> str:
    token = new_token()
    await site.store.write(lambda s: s.add_api_token(token_hash(token), username=name,
                                                     actor="test", now=site.clock()))
    return token


async def test_an_admin_disables_someone_and_their_session_and_token_stop_at_once(
        site: Site) -> None:
    ann, bob = await site.login("ann"), await site.login("bob")
    token = await _token(site, "bob")
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await bob.get("/api/drafts")).status == 200
    assert (await site.browser().get("/api/drafts", headers=bearer)).status == 200

    page = await (await ann.get("/users")).text()
    assert 'action="/users/bob/disable"' in page
    done = await ann.form("/users/bob/disable", {})
    assert done.status == 303
    assert "bob is disabled" in await (await ann.get("/users")).text()
    # the open session and the API token stop with the very next request
    assert (await bob.get("/api/drafts")).status == 401
    assert (await site.browser().get("/api/drafts", headers=bearer)).status == 401
    # and bob cannot sign in again, even with the right password
    again = await site.browser().form("/login", {"username": "bob",
                                                 "password": PASSWORDS["bob"]})
    assert again.status == 403 and "disabled" in await again.text()

    assert (await ann.form("/users/bob/enable", {})).status == 303
    assert (await site.browser().get("/api/drafts", headers=bearer)).status == 200
    assert (await site.login("bob")).csrf
    actions = [a["action"] for a in await site.audit("user:bob")]
    assert actions[-3:] == ["user_disable", "user_enable", "login"]


async def test_roles_passwords_and_tokens_from_the_users_page(
        site: Site) -> None:
    ann = await site.login("ann")
    token = await _token(site, "vic")
    (listed,) = await site.store.read(lambda s: s.api_tokens("vic"))
    assert listed["id"] == token_hash(token)[:12]
    assert listed["id"] in await (await ann.get("/users")).text()

    assert (await ann.form("/users/vic/role", {"role": "approver"})).status == 303
    assert (await site.store.read(lambda s: s.get_user("vic")))["role"] == "approver"
    assert (await ann.form("/users/vic/role", {"role": "owner"})).status == 303
    assert (await site.store.read(lambda s: s.get_user("vic")))["role"] == "approver"

    assert (await ann.form("/users/vic/password",
                           {"password": "a brand new password"})).status == 303
    old = await site.browser().form("/login", {"username": "vic",
                                               "password": PASSWORDS["vic"]})
    assert old.status == 401
    fresh = site.browser()
    signed = await fresh.form("/login", {"username": "vic",
                                         "password": "a brand new password"})
    assert signed.status == 303

    revoke = await ann.form(f"/users/vic/tokens/{listed['id']}/revoke", {})
    assert revoke.status == 303
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await site.browser().get("/api/drafts", headers=bearer)).status == 401
    # a viewer cannot manage anyone
    vic_page = await (await fresh.get("/")).text()
    fresh.csrf = CSRF.search(vic_page).group(1)  # type: ignore[union-attr]
    assert (await fresh.form("/users/ann/disable", {})).status == 403


async def test_the_last_admin_cannot_be_disabled_or_demoted(site: Site) -> None:
    ann = await site.login("ann")  # the only admin
    assert (await ann.form("/users/ann/role", {"role": "viewer"})).status == 303
    assert "last admin" in await (await ann.get("/users")).text()
    assert (await site.store.read(lambda s: s.get_user("ann")))["role"] == "admin"
    await site.store.write(lambda s: s.set_role("bob", Role.ADMIN, actor="ann",
                                                now=site.clock()))
    assert (await ann.form("/users/ann/role", {"role": "approver"})).status == 303
    assert (await site.store.read(lambda s: s.get_user("ann")))["role"] == "approver"


def test_the_users_commands(tmp_path: Path, db_url: Callable[..., str]) -> None:
    config = write_config(tmp_path, f'[brand]\nname = "Brightwave"\nkeywords = ["brightwave"]\n'
                                    f'\n[storage]\nurl = "{db_url()}"\n')

    def users(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        done = brandbot("--config", str(config), "users", *args, stdin=stdin)
        return done.returncode, done.stdout, done.stderr

    assert users("add", "ann", "--role", "admin", stdin="ann's long password\n")[0] == 0
    assert users("add", "bob", "--role", "approver", stdin="bob's long password\n")[0] == 0
    code, token, _ = users("token", "bob", "--expires", "30d")
    assert code == 0
    code, out, _ = users("tokens", "bob", "--json")
    (listed,) = json.loads(out)
    assert listed["id"] == token_hash(token.strip())[:12] and listed["expires_at"]

    assert users("disable", "ann")[0] == 1  # the last admin
    assert users("role", "ann", "viewer")[0] == 1
    assert users("role", "bob", "admin")[0] == 0
    assert users("disable", "ann")[0] == 0
    rows = {u["name"]: u for u in json.loads(users("list", "--json")[1])}
    assert rows["ann"]["disabled_at"] and rows["bob"]["role"] == "admin"
    assert users("enable", "ann")[0] == 0
    assert users("password", "ann", stdin="short\n")[0] == 2
    assert users("password", "ann", stdin="another long password\n")[0] == 0
    code, out, _ = users("revoke", listed["id"])
    assert code == 0 and "revoked" in out
    assert json.loads(users("tokens", "bob", "--json")[1]) == []
    assert users("revoke", listed["id"])[0] == 1  # gone
    assert users("disable", "nobody")[0] == 1
