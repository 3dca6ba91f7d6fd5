"""The JSON API: list drafts, decide or hand off one, poll the queue, share who is viewing;
cases and customers.

Errors are `{"error": "..."}` with 401 (not signed in), 403 (role, CSRF), 404, 409 (already
decided) or 422 (a broken voice rule, a missing reason, an unknown team).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from monitor.cases import case_facts
from monitor.models import CaseStatus, DraftStatus
from monitor.sla import SlaPolicy
from monitor.store import AlreadyDecided, NotFound, Store, StoreError, draft_fields
from responders.queue import NotPermitted, RuleBroken, approve, hand_off, reject
from responders.web import undo
from responders.web.case_page import NOBODY, act, case_id_of, cases_view, list_filters
from responders.web.sessions import json_error
from responders.web.state import POLICY_KEY, SETTINGS_KEY, VOICE_KEY, identity, now, store, teams


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent (empty when there is no body); HTTPBadRequest when malformed."""
    try:
        raw = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise web.HTTPBadRequest(text="the body is not UTF-8") from None
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
        # a lone surrogate ("\ud800") parses, then cannot be stored: refuse it here
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # (a ValueError: first)
        raise web.HTTPBadRequest(text="the body holds text that is not valid Unicode") from None
    except (ValueError, RecursionError):
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def _string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def _draft_json(request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
    """A draft's public fields, its kind, and its case's SLA state now."""
    policy = SlaPolicy.from_settings(request.app[SETTINGS_KEY])
    return draft_fields({**row, **policy.of_row(row, now(request), prefix="case_")})


def _refused(exc: StoreError) -> web.Response:
    if isinstance(exc, NotPermitted):
        return json_error(403, str(exc))
    if isinstance(exc, NotFound):
        return json_error(404, str(exc))
    if isinstance(exc, AlreadyDecided):
        return json_error(409, str(exc))
    if isinstance(exc, RuleBroken):
        return json_error(422, str(exc), flags=list(exc.flags))
    return json_error(422, str(exc))


async def list_drafts(request: web.Request) -> web.Response:
    """`GET /api/drafts?status=pending&limit=100&offset=0`: drafts, most pressing first."""
    status = request.query.get("status")
    if status is not None and status not in [s.value for s in DraftStatus]:
        return json_error(400, f"unknown status {status!r}")
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
        offset = min(max(int(request.query.get("offset", "0")), 0), 2**62)
    except ValueError:
        return json_error(400, "limit and offset are whole numbers")
    rows = await store(request).read(
        lambda s: s.list_drafts(status=status, limit=limit, offset=offset))
    return web.json_response([_draft_json(request, r) for r in rows])


async def get_draft(request: web.Request) -> web.Response:
    """`GET /api/drafts/{id}`."""
    draft_id = int(request.match_info["id"])
    try:
        row = await store(request).read(lambda s: s.draft_row(draft_id))
    except NotFound as exc:
        return json_error(404, str(exc))
    return web.json_response(_draft_json(request, row))


Action = Callable[[Store, int, str, datetime], object]


async def _act(request: web.Request, action: Action, *, verb: str,
               extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None
               ) -> web.Response:
    """Run one decision on a draft for the caller, answering with the draft (and `extra`'s
    fields) or the refusal."""
    who = identity(request)
    draft_id = int(request.match_info["id"])
    if not who.can_decide:
        return json_error(403, f"{who.username} is a {who.role.value} and cannot {verb}")
    at = now(request)

    def run(s: Store) -> dict[str, Any]:
        action(s, draft_id, who.username, at)
        return s.draft_row(draft_id)

    try:
        row = await store(request).write(run)
    except StoreError as exc:
        return _refused(exc)
    return web.json_response({**_draft_json(request, row), **(extra(row) if extra else {})})


async def approve_draft(request: web.Request) -> web.Response:
    """`POST /api/drafts/{id}/approve`, optionally `{"text": "...", "save": true}` (keep the
    approved wording as a saved reply): 200 with the draft, and `undo_until`/`undo_seconds`
    (when `POST /api/drafts/{id}/undo` can take it back) and `not_posted` (why no source will
    post it, or null)."""
    body = await _body(request)
    text = _string(body, "text")
    keep = body.get("save") is True
    voice = request.app[VOICE_KEY]
    return await _act(request, lambda s, d, user, at: approve(
        s, d, user=user, voice=voice, now=at, text=text, save=keep), verb="decide drafts",
        extra=lambda row: undo.row_fields(request, row))


async def reject_draft(request: web.Request) -> web.Response:
    """`POST /api/drafts/{id}/reject` with `{"reason": "..."}`: 200 with the draft."""
    reason = (_string(await _body(request), "reason") or "")[:1000]
    return await _act(request, lambda s, d, user, at: reject(
        s, d, user=user, reason=reason, now=at), verb="decide drafts")


async def hand_off_draft(request: web.Request) -> web.Response:
    """`POST /api/drafts/{id}/hand-off` with `{"team": "..."}`: 200 with the draft."""
    team = _string(await _body(request), "team") or ""
    known = teams(request.app[SETTINGS_KEY])
    if identity(request).can_decide and team not in known:
        return json_error(422, f"unknown team {team!r}", teams=known)
    return await _act(request, lambda s, d, user, at: hand_off(
        s, d, team=team, user=user, now=at), verb="hand off")


async def viewing(request: web.Request) -> web.Response:
    """`POST /api/drafts/{id}/viewing`: I have it open; who else has, and is it decided?"""
    who = identity(request)
    draft_id = int(request.match_info["id"])
    at = now(request)
    since = at - request.app[POLICY_KEY].presence_ttl
    try:
        state = await store(request).write(
            lambda s: s.view_draft(draft_id, username=who.username, now=at, since=since))
    except NotFound as exc:
        return json_error(404, str(exc))
    return web.json_response(state)


async def queue_state(request: web.Request) -> web.Response:
    """`GET /api/queue`: pending count and the marks that change when the queue does."""
    return web.json_response(await store(request).read(lambda s: s.queue_state()))


# --- cases and customers ----------------------------------------------------------------------

# The fields of a case in `GET /api/cases` (those of `brandbot cases list --json`).
CASE_FIELDS = ("id", "kind", "status", "author", "author_id", "platform", "intent", "priority",
               "team", "assignee", "opened_at", "first_response_at", "resolved_at", "sla_due_at",
               "sla_state", "sla_due", "mention_count", "customer_effort", "replies_posted",
               "csat", "escalation", "escalation_reasons", "action", "reply_by_hand",
               "follow_up_due_at", "merged_into", "pending_draft_id", "latest_text")


def _case_json(request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
    policy = SlaPolicy.from_settings(request.app[SETTINGS_KEY])
    item = {**row, **policy.of_row(row, now(request)), **case_facts(row)}
    return {k: item.get(k) for k in CASE_FIELDS}


async def list_cases(request: web.Request) -> web.Response:
    """`GET /api/cases?status=open&team=billing&limit=100&before=ID`: newest first; also
    `assignee=USER` (`~none`: nobody), `mine=1`, `sla=ok|at_risk|breached|met`,
    `escalation=KIND|any` and `q=WORDS`, as on the cases page."""
    status = request.query.get("status")
    if status is not None and status not in [s.value for s in CaseStatus]:
        return json_error(400, f"unknown status {status!r}")
    team = request.query.get("team") or None
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
        before = (min(int(request.query["before"]), 2**62) if "before" in request.query
                  else None)
    except ValueError:
        return json_error(400, "limit and before are whole numbers")
    wanted = list_filters(request, cases_view(request.query, teams=[],
                                              me=identity(request).username))
    rows = await store(request).read(
        lambda s: s.list_cases(status=status, team=team, limit=limit, before_id=before,
                               **wanted))
    return web.json_response([_case_json(request, r) for r in rows])


async def get_case(request: web.Request) -> web.Response:
    """`GET /api/cases/{id}`: the case, its posts, drafts, audit trail, notifications and
    internal notes."""
    case_id = int(request.match_info["id"])
    try:
        detail = await store(request).read(
            lambda s: {**s.case_detail(case_id), "notes": s.case_notes(case_id)})
    except NotFound as exc:
        return json_error(404, str(exc))
    detail["case"] = _case_json(request, detail["case"])
    return web.json_response(detail)


async def change_case(request: web.Request) -> web.Response:
    """`POST /api/cases/{id}/{action}`, the case page's actions: `resolve`, `reopen`,
    `assign` (`{"team": "billing", "assignee": "bob"}`; `"assignee": null` for nobody),
    `escalate` (`{"kind": "legal", "reason": "..."}`, both optional), `link`
    (`{"account": "reddit:dana_k"}`) and `note` (`{"text": "..."}`): 200 with what was done
    and the case; 409 when the case is not in a state for it (already resolved, say)."""
    body = await _body(request)
    fields = {k: v for k, v in body.items() if isinstance(v, str)}
    if "assignee" in body and body["assignee"] is None:
        fields["assignee"] = NOBODY
    try:
        case_id = case_id_of(request)
        message = await act(request, case_id, request.match_info["action"], fields)
        row = await store(request).read(lambda s: s.case_row(case_id))
    except (NotPermitted, NotFound, RuleBroken) as exc:
        return _refused(exc)
    except StoreError as exc:
        return json_error(409, str(exc))
    return web.json_response({"message": message, "case": _case_json(request, row)})


async def get_customer(request: web.Request) -> web.Response:
    """`GET /api/customers/{author_id}`: every case and post of a customer, across the
    accounts linked to them, with a summary of their earlier complaints and how they ended."""
    ref = request.match_info["author_id"]
    try:
        view = await store(request).read(lambda s: s.customer_view(s.author_id_for(ref)))
    except NotFound as exc:
        return json_error(404, str(exc))
    return web.json_response(view)
