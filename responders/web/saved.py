"""Saved replies, in the browser (`/saved`) and the API (`/api/saved-replies`): approvers list
them, change their wording and retire them; every change is audited."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from monitor.store import NotFound, StoreError
from responders.web.sessions import error_page, json_error, redirect
from responders.web.state import flash, identity, now, render, store

_LIMIT = 2_000


def _allowed(request: web.Request) -> bool:
    return identity(request).can_decide


async def saved_page(request: web.Request) -> web.Response:
    """Every saved reply in use by intent (and, on request, the retired ones)."""
    if not _allowed(request):
        return await error_page(request, 403, "Saved replies are for approvers.")
    retired = request.query.get("retired") == "1"
    rows = await store(request).read(lambda s: s.saved_replies(retired=retired))
    return await render(request, "saved.html", saved=rows, retired=retired)


async def edit_saved(request: web.Request) -> web.Response:
    """Change a saved reply's wording (form: `text`)."""
    form = await request.post()
    text = str(form.get("text", "")).replace("\r\n", "\n").strip()[:_LIMIT]
    who, at = identity(request), now(request)
    return await _page_change(request, "changed", lambda s, i: s.edit_saved_reply(
        i, text=text, actor=who.username, now=at))


async def retire_saved(request: web.Request) -> web.Response:
    """Stop offering a saved reply."""
    who, at = identity(request), now(request)
    return await _page_change(request, "retired", lambda s, i: s.retire_saved_reply(
        i, actor=who.username, now=at))


async def _page_change(request: web.Request, done: str, change: Any) -> web.Response:
    """Apply a change from the page, then back to the list with what happened."""
    if not _allowed(request):
        return await error_page(request, 403, "Saved replies are for approvers.")
    saved_id = int(request.match_info["id"])
    try:
        await store(request).write(lambda s: change(s, saved_id))
    except NotFound as exc:
        return await error_page(request, 404, str(exc))
    except StoreError as exc:
        await flash(request, "error", str(exc))
        return redirect("/saved")
    await flash(request, "info", f"Saved reply #{saved_id} {done}.")
    return redirect("/saved")


async def api_list(request: web.Request) -> web.Response:
    """`GET /api/saved-replies` (`?retired=1` for the retired too)."""
    if not _allowed(request):
        return json_error(403, "saved replies are for approvers")
    retired = request.query.get("retired") == "1"
    return web.json_response(await store(request).read(
        lambda s: s.saved_replies(retired=retired)))


async def _api_change(request: web.Request, change: Any) -> web.Response:
    if not _allowed(request):
        return json_error(403, "saved replies are for approvers")
    saved_id = int(request.match_info["id"])
    try:
        return web.json_response(await store(request).write(lambda s: change(s, saved_id)))
    except NotFound as exc:
        return json_error(404, str(exc))
    except StoreError as exc:
        return json_error(422, str(exc))


async def api_edit(request: web.Request) -> web.Response:
    """`POST /api/saved-replies/{id}` with `{"text": "..."}`: 200 with the saved reply."""
    try:
        body = await request.json()
    except ValueError:
        return json_error(400, "the body is not JSON")
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return json_error(422, "send {\"text\": \"...\"}")
    who, at = identity(request), now(request)
    return await _api_change(request, lambda s, i: s.edit_saved_reply(
        i, text=text.strip()[:_LIMIT], actor=who.username, now=at))


async def api_retire(request: web.Request) -> web.Response:
    """`POST /api/saved-replies/{id}/retire`: 200 with the saved reply."""
    who, at = identity(request), now(request)
    return await _api_change(request, lambda s, i: s.retire_saved_reply(
        i, actor=who.username, now=at))
