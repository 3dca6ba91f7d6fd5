"""The Users page (admins): add people, change their role, reset a password, disable or
enable them, and revoke their API tokens. The same as `brandbot users ...` on the server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from monitor.models import Role
from monitor.store import NotFound, Store, StoreError
from responders.auth import hash_password
from responders.web.sessions import error_page, redirect
from responders.web.state import flash, identity, now, render, store

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
ADMINS_ONLY = "Managing users is for admins."


async def users_page(request: web.Request) -> web.Response:
    """Who can sign in, their API tokens, and forms to manage them (admins only)."""
    if not identity(request).is_admin:
        return await error_page(request, 403, ADMINS_ONLY)

    def read(s: Store) -> list[dict[str, Any]]:
        return [{**u, "tokens": s.api_tokens(u["name"])} for u in s.list_users()]

    users = await store(request).read(read)
    return await render(request, "users.html", users=users, roles=[r.value for r in Role])


async def add_user(request: web.Request) -> web.Response:
    """Create a user with a role and a password."""
    who = identity(request)
    if not who.is_admin:
        return await error_page(request, 403, ADMINS_ONLY)
    form = await request.post()
    name = str(form.get("name", "")).strip()
    role = str(form.get("role", ""))
    password = str(form.get("password", ""))
    problem = None
    if not USERNAME.match(name):
        problem = "A username is 1-40 letters, digits, dots, dashes or underscores."
    elif role not in [r.value for r in Role]:
        problem = "Choose a role: viewer, approver or admin."
    elif len(password) < 8:
        problem = "Use a password of at least 8 characters."
    if problem:
        await flash(request, "error", problem)
        return redirect("/users")
    hashed = await asyncio.to_thread(hash_password, password)
    at = now(request)
    return await _change(request, lambda s: s.add_user(name, Role(role), hashed,
                                                       actor=who.username, now=at),
                         f"Added {name} as {role}.")


async def manage_user(request: web.Request) -> web.Response:
    """`POST /users/{name}/{action}`: disable, enable, role (`role`), password (`password`)."""
    who = identity(request)
    if not who.is_admin:
        return await error_page(request, 403, ADMINS_ONLY)
    name, action = request.match_info["name"], request.match_info["action"]
    form = await request.post()
    at = now(request)
    if action in ("disable", "enable"):
        if action == "disable" and name == who.username:
            await flash(request, "error", "You cannot disable yourself.")
            return redirect("/users")
        return await _change(request, lambda s: s.set_user_disabled(
            name, disabled=action == "disable", actor=who.username, now=at),
            f"{name} is {action}d" + (": their sessions and API tokens stopped."
                                     if action == "disable" else "."))
    if action == "role":
        role = str(form.get("role", ""))
        if role not in [r.value for r in Role]:
            await flash(request, "error", "Choose a role: viewer, approver or admin.")
            return redirect("/users")
        return await _change(request, lambda s: s.set_role(name, Role(role),
                                                           actor=who.username, now=at),
                             f"{name} is now {role}.")
    if action == "password":
        password = str(form.get("password", ""))[:1024]
        if len(password) < 8:
            await flash(request, "error", "Use a password of at least 8 characters.")
            return redirect("/users")
        hashed = await asyncio.to_thread(hash_password, password)
        return await _change(request, lambda s: s.set_password_hash(
            name, hashed, actor=who.username, now=at), f"{name}'s password is changed.")
    raise web.HTTPNotFound()


async def revoke_token(request: web.Request) -> web.Response:
    """`POST /users/{name}/tokens/{id}/revoke`."""
    who = identity(request)
    if not who.is_admin:
        return await error_page(request, 403, ADMINS_ONLY)
    token_id = request.match_info["id"]
    at = now(request)
    return await _change(request, lambda s: s.revoke_api_token(token_id, actor=who.username,
                                                                now=at),
                         f"API token {token_id} revoked.")


async def _change(request: web.Request, change: Callable[[Store], Any],
                  done: str) -> web.Response:
    try:
        await store(request).write(change)
    except NotFound as exc:
        await flash(request, "error", str(exc))
    except StoreError as exc:
        await flash(request, "error", str(exc))
    else:
        await flash(request, "ok", done)
    return redirect("/users")
