"""Undo an approval within `[publisher] undo_window` (form and JSON), and say when, or
whether, an approved reply will be posted.

The store decides (one conditional update, see `monitor/store/publishing.py`); these
handlers check the role, and the app's CSRF middleware has checked the token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from monitor.models import Draft, DraftStatus, iso, parse_iso
from monitor.sla import SlaPolicy
from monitor.store import AlreadyDecided, NotFound, Store, StoreError, draft_fields
from responders.publisher import replying_platforms, stranded_reason
from responders.queue import NotPermitted, undo
from responders.web import params
from responders.web.sessions import error_page, json_error, redirect
from responders.web.state import (
    PUBLISHED_KEY,
    SETTINGS_KEY,
    flash,
    identity,
    intents,
    now,
    store,
    teams,
)


def window(request: web.Request) -> timedelta:
    """How long an approval can be undone (`[publisher] undo_window`)."""
    return request.app[SETTINGS_KEY].publisher.undo_window


def replying(request: web.Request) -> list[str]:
    """The platforms replies are posted on: the running publisher's, else the config's
    enabled sources' (`brandbot serve` beside a daemon with the same config)."""
    publisher = request.app[PUBLISHED_KEY]
    if publisher is not None:
        return sorted(publisher.repliers)
    return sorted(replying_platforms(request.app[SETTINGS_KEY]))


def stranded(request: web.Request, platform: str) -> str | None:
    """Why an approved reply for `platform` will not be posted; None when it will be."""
    return None if platform in replying(request) else stranded_reason(platform)


def seconds_left(until: datetime | None, at: datetime) -> int:
    """Whole seconds left to undo (rounded up), 0 when none."""
    if until is None or until <= at:
        return 0
    return int(-(-(until - at).total_seconds() // 1))


def row_fields(request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
    """For a draft row just approved: until when it can be undone, and whether it will be
    posted (`undo_until`, `undo_seconds`, `not_posted`)."""
    until = None
    if row.get("status") == DraftStatus.APPROVED.value and row.get("decided_at"):
        until = parse_iso(str(row["decided_at"])) + window(request)
    left = seconds_left(until, now(request))
    return {"undo_until": iso(until) if left else None, "undo_seconds": left,
            "not_posted": stranded(request, str(row["platform"]))
            if row.get("status") == DraftStatus.APPROVED.value else None}


def approval_flash(request: web.Request, drafts: Sequence[Draft], *,
                   back: str = "") -> dict[str, str]:
    """What the page after an approval offers beside its message: an Undo for the drafts
    still inside their window, and a warning for those no source will post."""
    approved = [d for d in drafts if d.status is DraftStatus.APPROVED and d.decided_at]
    extra: dict[str, str] = {}
    if not approved:
        return extra
    at = now(request)
    until = min(d.decided_at + window(request) for d in approved if d.decided_at)
    left = seconds_left(until, at)
    if left:
        extra.update(undo=",".join(str(d.id) for d in approved), undo_seconds=str(left),
                     back=back)
    platforms = sorted({d.platform for d in approved if stranded(request, d.platform)})
    if platforms:
        note = "; ".join(stranded_reason(p) for p in platforms)
        extra["note"] = note[:1].upper() + note[1:]
    return extra


def _undo_many(s: Store, ids: Sequence[int], *, user: str, at: datetime,
               span: timedelta) -> tuple[list[int], list[str]]:
    done, refused = [], []
    for draft_id in ids:
        try:
            undo(s, draft_id, user=user, now=at, window=span)
        except NotPermitted:
            raise
        except (AlreadyDecided, NotFound) as exc:
            refused.append(str(exc))
        else:
            done.append(draft_id)
    return done, refused


async def undo_form(request: web.Request) -> web.StreamResponse:
    """`POST /queue/undo` with `ids` (and `back`, the queue view): take the approvals back.
    One draft opens again to be edited; several return to the queue."""
    who = identity(request)
    form = await request.post()
    back = str(form.get("back", ""))[:2000]
    f = params.queue_filter(dict(parse_qsl(back)), teams=teams(request.app[SETTINGS_KEY]),
                            intents=intents(request.app[SETTINGS_KEY]))
    query = params.filter_query(f)
    if not who.can_decide:
        return await error_page(request, 403, f"{who.username} is a {who.role.value} and "
                                              "cannot undo approvals.")
    ids = list(dict.fromkeys(int(v) for v in form.getall("ids", [])
                             if isinstance(v, str) and v.isdigit() and len(v) < 16))[:500]
    if not ids:
        return await error_page(request, 400, "Say which approval to undo.")
    at, span = now(request), window(request)
    try:
        done, refused = await store(request).write(
            lambda s: _undo_many(s, ids, user=who.username, at=at, span=span))
    except NotPermitted as exc:
        return await error_page(request, 403, str(exc))
    if len(ids) == 1:
        text = (f"Approval of draft #{ids[0]} undone: it is back in the queue." if done
                else f"Not undone: {refused[0]}.")
    else:
        text = f"Undid {len(done)} of {len(ids)} approvals; those drafts are back in the queue."
        if refused:
            text += " Not undone: " + " · ".join(refused)
    await flash(request, "ok" if not refused else "warn", text)
    if len(ids) == 1:
        return redirect(f"/drafts/{ids[0]}" + (f"?{query}" if query else ""))
    return redirect("/" + (f"?{query}" if query else ""))


async def undo_api(request: web.Request) -> web.Response:
    """`POST /api/drafts/{id}/undo`: 200 with the draft, pending again; 409 when it is too
    late (window passed, claimed or posted) or there is no approval to undo."""
    who = identity(request)
    draft_id = int(request.match_info["id"])
    if not who.can_decide:
        return json_error(403, f"{who.username} is a {who.role.value} and cannot undo "
                               "approvals")
    at, span = now(request), window(request)

    def run(s: Store) -> dict[str, Any]:
        undo(s, draft_id, user=who.username, now=at, window=span)
        return s.draft_row(draft_id)

    try:
        row = await store(request).write(run)
    except NotPermitted as exc:
        return json_error(403, str(exc))
    except NotFound as exc:
        return json_error(404, str(exc))
    except AlreadyDecided as exc:
        return json_error(409, str(exc))
    except StoreError as exc:
        return json_error(422, str(exc))
    policy = SlaPolicy.from_settings(request.app[SETTINGS_KEY])
    return web.json_response(draft_fields({**row, **policy.of_row(row, at, prefix="case_")}))
