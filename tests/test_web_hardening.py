"""The web app behind a reverse proxy: sign-in limits per real client, and cookies that stay
Secure when TLS ends at the proxy."""

from __future__ import annotations

from collections.abc import Callable

from responders.web.state import WebPolicy
from tests.test_web import PASSWORDS, Site, close, serve


async def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(
        db_url: Callable[..., str]) -> None:
    # every request comes from the proxy (127.0.0.1 here); X-Forwarded-For names the client
    s = await serve(db_url(), policy=WebPolicy(max_failures_per_user=50, max_failures_per_ip=3,
                                               trusted_proxies=("127.0.0.1",)))
    try:
        guesser, customer = s.browser(), s.browser()
        for i in range(3):
            answer = await guesser.form("/login", {"username": f"nobody{i}", "password": "x"},
                                        headers={"X-Forwarded-For": "203.0.113.9"})
            assert answer.status == 401
        locked = await guesser.form("/login", {"username": "ann", "password": PASSWORDS["ann"]},
                                    headers={"X-Forwarded-For": "203.0.113.9"})
        assert locked.status == 429
        # another client behind the same proxy is not locked out with them
        fine = await customer.form("/login", {"username": "ann", "password": PASSWORDS["ann"]},
                                   headers={"X-Forwarded-For": "198.51.100.7"})
        assert fine.status == 303
        # a client cannot dodge its lock by writing its own X-Forwarded-For in front
        spoofed = await guesser.form(
            "/login", {"username": "bob", "password": PASSWORDS["bob"]},
            headers={"X-Forwarded-For": "192.0.2.1, 203.0.113.9"})
        assert spoofed.status == 429
    finally:
        await close(s)


async def test_without_trusted_proxies_the_header_is_ignored(db_url: Callable[..., str]) -> None:
    s = await serve(db_url(), policy=WebPolicy(max_failures_per_user=50, max_failures_per_ip=3))
    try:
        browser = s.browser()
        for i in range(3):  # each claims another address; all come from 127.0.0.1
            await browser.form("/login", {"username": f"nobody{i}", "password": "x"},
                               headers={"X-Forwarded-For": f"203.0.113.{i}"})
        locked = await browser.form("/login", {"username": "ann", "password": PASSWORDS["ann"]},
                                    headers={"X-Forwarded-For": "198.51.100.7"})
        assert locked.status == 429
    finally:
        await close(s)


async def test_someone_signed_in_here_is_not_held_up_by_a_lock_on_the_address(
        db_url: Callable[..., str]) -> None:
    s = await serve(db_url(), policy=WebPolicy(max_failures_per_user=50, max_failures_per_ip=3))
    try:
        ann = await s.login("ann")
        stranger = s.browser()
        for i in range(3):  # the shared address is locked by someone else's guesses
            await stranger.form("/login", {"username": f"nobody{i}", "password": "x"})
        assert (await stranger.form("/login", {"username": "ann",
                                               "password": PASSWORDS["ann"]})).status == 429
        again = await ann.form("/login", {"username": "ann", "password": PASSWORDS["ann"]})
        assert again.status == 303
    finally:
        await close(s)


async def test_the_session_cookie_is_secure_when_tls_ends_at_the_proxy(
        db_url: Callable[..., str]) -> None:
    s = await serve(db_url(), policy=WebPolicy(secure_cookies=True))
    try:
        answer = await s.browser().form("/login", {"username": "ann",
                                                   "password": PASSWORDS["ann"]})
        assert answer.status == 303
        assert "Secure" in answer.headers["Set-Cookie"]
    finally:
        await close(s)


async def test_a_password_hashed_at_the_old_cost_is_rehashed_at_sign_in(
        site: Site) -> None:
    import base64
    import hashlib
    import os

    from responders.auth import needs_rehash, verify_password

    salt = os.urandom(16)
    digest = hashlib.scrypt(PASSWORDS["bob"].encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    old = "$".join(["scrypt", "16384", "8", "1", base64.b64encode(salt).decode(),
                    base64.b64encode(digest).decode()])
    await site.store.write(lambda st: st.set_password_hash("bob", old, actor=None,
                                                           now=site.clock()))
    assert needs_rehash(old)
    assert (await site.login("bob")).csrf
    stored = (await site.store.read(lambda st: st.get_user("bob")))["password_hash"]
    assert stored.startswith("scrypt$131072$8$1$") and not needs_rehash(stored)
    assert verify_password(PASSWORDS["bob"], stored)


async def test_input_no_handler_expected_gets_a_clear_4xx_with_the_usual_headers(
        site: Site) -> None:
    import aiohttp

    ann = await site.login("ann")
    csrf = {"X-CSRF-Token": ann.csrf}
    json_type = {**csrf, "Content-Type": "application/json"}
    probes = [
        ("POST", "/login", b"\xff\xfe", {"Content-Type": "application/x-www-form-urlencoded"},
         True, 400),
        ("POST", "/api/drafts/1/reject", b'{"reason": "\xff"}', json_type, False, 400),
        ("POST", "/api/drafts/1/reject", b"[" * 100_000, json_type, False, 400),
        ("POST", "/api/drafts/1/reject", b'{"reason": "\\ud800"}', json_type, False, 400),
        ("GET", "/api/drafts?offset=9223372036854775808", None, {}, False, 200),
        ("GET", "/api/cases?before=9223372036854775808", None, {}, False, 200),
        ("GET", "/?after=9223372036854775808", None, {}, False, 200),
        ("GET", "/?q=%00", None, {}, False, 200),
        ("GET", "/digest?since=999999d", None, {}, False, 400),
        ("POST", "/api/drafts/999999999/viewing", None, csrf, False, 404),
    ]
    async with aiohttp.ClientSession() as anonymous:
        for method, path, data, headers, anon, expected in probes:
            client = anonymous if anon else ann.session
            answer = await client.request(method, site.base + path, data=data,
                                          headers=headers, allow_redirects=False)
            assert answer.status == expected, (path, answer.status, await answer.text())
            assert "Content-Security-Policy" in answer.headers, path
            assert "Traceback" not in await answer.text()
    # the draft those requests tried to reject is untouched
    assert (await site.draft(1))["status"] == "pending"


async def test_a_rejection_reason_is_capped_in_the_api_as_in_the_form(
        site: Site) -> None:
    ann = await site.login("ann")
    answer = await ann.api("/api/drafts/1/reject", {"reason": "spam " * 2_000})
    assert answer.status == 200
    assert 990 <= len((await site.draft(1))["reason"]) <= 1_000
