"""The HTML pages: queue (with bulk decisions), draft (decide, edit, hand off), audit, digest
(cases: case_page.py). Every page reads through the store's reader threads and writes through
its writer."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from markupsafe import Markup
from pydantic_core import PydanticCustomError

from monitor.digest import Period, digest_for, render_body, span_words
from monitor.models import REPLY_LIMITS, DraftStatus, Escalation, Priority
from monitor.settings import parse_duration
from monitor.sla import SlaPolicy
from monitor.store import AlreadyDecided, NotFound, QueueFilter, StoreError
from responders.queue import NotPermitted, RuleBroken, approve, decide_many, hand_off, reject
from responders.web import params, undo
from responders.web.sessions import error_page, redirect
from responders.web.state import (
    POLICY_KEY,
    SETTINGS_KEY,
    VOICE_KEY,
    flash,
    identity,
    intents,
    now,
    render,
    store,
    teams,
)


def _filters(request: web.Request) -> QueueFilter:
    return params.queue_filter(request.query, teams=teams(request.app[SETTINGS_KEY]),
                               intents=intents(request.app[SETTINGS_KEY]))


def _queue_url(f: QueueFilter) -> str:
    query = params.filter_query(f)
    return "/" + (f"?{query}" if query else "")


def _draft_url(draft_id: int, f: QueueFilter) -> str:
    query = params.filter_query(f)
    return f"/drafts/{draft_id}" + (f"?{query}" if query else "")


def _options(request: web.Request) -> dict[str, Any]:
    settings = request.app[SETTINGS_KEY]
    return {"platforms": params.FILTER_PLATFORMS, "intents": intents(settings),
            "escalations": [k.value for k in Escalation],
            "priorities": [p.value for p in Priority], "sentiments": params.SENTIMENTS,
            "teams": teams(settings)}


async def _text(request: web.Request, name: str, *, limit: int = 20_000) -> str:
    form = await request.post()
    value = form.get(name, "")
    return value.replace("\r\n", "\n")[:limit] if isinstance(value, str) else ""


# --- the queue ------------------------------------------------------------------------------


async def queue_page(request: web.Request) -> web.Response:
    """Pending drafts, most pressing first, filtered and paged by key."""
    f = _filters(request)
    after = params.page_key(request.query.get("after"))
    before = params.page_key(request.query.get("before"))
    size = request.app[POLICY_KEY].page_size
    replying = undo.replying(request)
    page, marks, stranded = await store(request).read(
        lambda s: (s.queue(f, after=after, before=before, limit=size), s.queue_marks(),
                   s.stranded_counts(replying)))
    _with_sla(request, page.rows, prefix="case_")
    query = params.filter_query(f)
    return await render(
        request, "queue.html", page=page, filters=f, filter_query=query,
        filter_values=params.filter_params(f), options=_options(request), now=now(request),
        next_url="/?" + urlencode({**params.filter_params(f),
                                   "after": params.format_key(page.next_key)})
        if page.next_key else None,
        prev_url="/?" + urlencode({**params.filter_params(f),
                                   "before": params.format_key(page.prev_key)})
        if page.prev_key else None,
        marks=marks, limits=REPLY_LIMITS, stranded=stranded,
    )


async def bulk_decide(request: web.Request) -> web.StreamResponse:
    """Approve or reject the checked drafts; each goes through the usual checks."""
    who = identity(request)
    form = await request.post()
    back = str(form.get("back", ""))
    f = params.queue_filter(dict(parse_qsl(back)), teams=teams(request.app[SETTINGS_KEY]),
                            intents=intents(request.app[SETTINGS_KEY]))
    if not who.can_decide:
        return await error_page(request, 403, f"{who.username} is a {who.role.value} and "
                                              "cannot decide drafts.")
    ids = [int(v) for v in form.getall("ids", []) if isinstance(v, str) and v.isdigit()][:500]
    action = form.get("action")
    reason = str(form.get("reason", "")).strip()[:1000]
    if action not in ("approve", "reject"):
        return await error_page(request, 400, "Choose approve or reject.")
    if not ids:
        await flash(request, "error", "Tick the drafts to decide first.")
        return redirect(_queue_url(f))
    if action == "reject" and not reason:
        await flash(request, "error", "A bulk rejection needs a reason.")
        return redirect(_queue_url(f))
    voice, at = request.app[VOICE_KEY], now(request)
    outcomes = await store(request).write(lambda s: decide_many(
        s, ids, approve_them=action == "approve", user=who.username, voice=voice, now=at,
        reason=reason))
    done = sum(o.ok for o in outcomes)
    verb = "Approved" if action == "approve" else "Rejected"
    failed = [o.message for o in outcomes if not o.ok]
    text = f"{verb} {done} of {len(outcomes)} drafts."
    if failed:
        text += " Not decided: " + " · ".join(failed)
    extra: dict[str, str] = {}
    if action == "approve":
        approved = [o.draft_id for o in outcomes if o.ok]
        drafts = await store(request).read(lambda s: [s.get_draft(i) for i in approved])
        extra = undo.approval_flash(request, drafts, back=params.filter_query(f))
    await flash(request, "ok" if not failed else "warn", text, **extra)
    return redirect(_queue_url(f))


# --- one draft ------------------------------------------------------------------------------


async def draft_page(request: web.Request) -> web.Response:
    """A draft with its post, thread, customer history, editor and actions."""
    return await _draft_view(request, int(request.match_info["id"]))


async def _draft_view(request: web.Request, draft_id: int, *, status: int = 200,
                      error: str | None = None, text: str | None = None,
                      reason: str = "") -> web.Response:
    who = identity(request)
    f = _filters(request)
    at = now(request)
    since = at - request.app[POLICY_KEY].presence_ttl

    def load(s: Any) -> dict[str, Any]:
        draft = s.draft_detail(draft_id)
        return {
            "draft": draft,
            "thread": s.thread(platform=draft["platform"],
                               conversation_id=draft["conversation_id"],
                               case_id=draft["case_id"], in_reply_to=draft["in_reply_to"]),
            "history": s.customer_history(draft["author_id"]),
            "trail": s.list_audit(subject=f"draft:{draft_id}", limit=50),
            "neighbours": s.queue_neighbours(draft_id, f),
        }

    db = store(request)
    data = await db.read(load)
    presence = await db.write(lambda s: s.view_draft(draft_id, username=who.username, now=at,
                                                     since=since))
    draft = data["draft"]
    _with_sla(request, [draft], prefix="case_")
    shown = draft["text"] if text is None else text
    voice = request.app[VOICE_KEY]
    pending = draft["status"] == DraftStatus.PENDING.value
    prev_id, next_id = data["neighbours"]
    return await render(
        request, "draft.html", status=status, error=error, d=draft, text=shown,
        reason=reason, warnings=voice.check(shown, draft["platform"]) if pending else (),
        limit=REPLY_LIMITS.get(draft["platform"]) or 0, banned=list(voice.banned_phrases),
        thread=data["thread"], history=data["history"], trail=data["trail"],
        viewers=presence["viewers"], pending=pending, teams=teams(request.app[SETTINGS_KEY]),
        filter_query=params.filter_query(f), queue_url=_queue_url(f),
        prev_url=_draft_url(prev_id, f) if prev_id else None,
        next_url=_draft_url(next_id, f) if next_id else None, now=at,
        ours=_our_posts(data["thread"], request.app[SETTINGS_KEY].brand.all_handles()),
        notes=[f for f in draft["flags"] if not f.startswith(("too_long", "banned_phrase",
                                                               "empty"))],
        posting=undo.row_fields(request, draft),
    )


def _our_posts(thread: list[dict[str, Any]], handles: Any) -> list[dict[str, Any]]:
    """The brand's own posts in a thread (replies made here or on the platform itself)."""
    own = {str(h).lower().lstrip("@") for h in handles}
    return [m for m in thread if str(m["author"]).lower() in own]


async def _after_decision(request: web.Request, draft_id: int, message: str,
                          **extra: str) -> web.Response:
    """Flash what happened and move on to the next draft of the same view."""
    f = _filters(request)
    prev_id, next_id = await store(request).read(lambda s: s.queue_neighbours(draft_id, f))
    await flash(request, "ok", message, **extra)
    following = next_id or prev_id
    return redirect(_draft_url(following, f) if following else _queue_url(f))


async def _refused(request: web.Request, draft_id: int, exc: StoreError, *,
                   text: str | None = None, reason: str = "") -> web.Response:
    if isinstance(exc, NotPermitted):
        return await error_page(request, 403, str(exc))
    if isinstance(exc, NotFound):
        return await error_page(request, 404, str(exc))
    status = 409 if isinstance(exc, AlreadyDecided) else 422
    return await _draft_view(request, draft_id, status=status, error=str(exc), text=text,
                             reason=reason)


async def approve_draft(request: web.Request) -> web.Response:
    """Approve a draft, with the editor's text (an edit when it differs)."""
    draft_id = int(request.match_info["id"])
    who = identity(request)
    form = await request.post()
    edited = form.get("text")
    # Browsers send a textarea's line breaks as CRLF; the draft was stored with LF.
    text = edited.replace("\r\n", "\n")[:20_000] if isinstance(edited, str) else None
    keep = form.get("save") == "1"
    voice, at = request.app[VOICE_KEY], now(request)
    try:
        draft = await store(request).write(
            lambda s: approve(s, draft_id, user=who.username, voice=voice, now=at, text=text,
                              save=keep))
    except StoreError as exc:
        return await _refused(request, draft_id, exc, text=text)
    if draft.by_hand:
        return await _after_decision(request, draft_id, f"Draft #{draft.id} recorded as "
                                     f"answered by hand on {draft.platform}.")
    return await _after_decision(request, draft_id, f"Draft #{draft.id} approved.",
                                 **undo.approval_flash(request, [draft],
                                                       back=params.filter_query(_filters(request))))


async def reject_draft(request: web.Request) -> web.Response:
    """Reject a draft with a reason."""
    draft_id = int(request.match_info["id"])
    who = identity(request)
    reason = (await _text(request, "reason", limit=1000)).strip()
    at = now(request)
    try:
        draft = await store(request).write(
            lambda s: reject(s, draft_id, user=who.username, reason=reason, now=at))
    except StoreError as exc:
        return await _refused(request, draft_id, exc, reason=reason)
    return await _after_decision(request, draft_id, f"Draft #{draft.id} rejected.")


async def hand_off_draft(request: web.Request) -> web.Response:
    """Hand a draft's case to another team."""
    draft_id = int(request.match_info["id"])
    who = identity(request)
    team = await _text(request, "team", limit=100)
    if team not in teams(request.app[SETTINGS_KEY]):
        return await _refused(request, draft_id, RuleBroken(f"unknown team {team!r}"))
    at = now(request)
    try:
        await store(request).write(
            lambda s: hand_off(s, draft_id, team=team, user=who.username, now=at))
    except StoreError as exc:
        return await _refused(request, draft_id, exc)
    return await _after_decision(request, draft_id, f"Draft #{draft_id} handed to {team}.")


# --- cases, audit, users ------------------------------------------------------------------


def _with_sla(request: web.Request, rows: list[dict[str, Any]], *, prefix: str = "") -> None:
    """Add each row's SLA state now (`sla_state`: ok, at_risk, breached, met; `sla_due`)."""
    policy = SlaPolicy.from_settings(request.app[SETTINGS_KEY])
    at = now(request)
    for row in rows:
        row.update(policy.of_row(row, at, prefix=prefix))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


async def audit_page(request: web.Request) -> web.Response:
    """Every recorded action, newest first (admins only)."""
    if not identity(request).is_admin:
        return await error_page(request, 403, "The audit log is for admins.")
    actor = request.query.get("actor", "").strip()[:100] or None
    action = request.query.get("action", "").strip()[:40] or None
    before = _int(request.query.get("before"))
    size = request.app[POLICY_KEY].page_size
    rows = await store(request).read(
        lambda s: s.list_audit(actor=actor, action=action, before_id=before, limit=size + 1))
    more = len(rows) > size
    rows = rows[:size]
    keep = {k: v for k, v in (("actor", actor), ("action", action)) if v}
    return await render(
        request, "audit.html", rows=rows, actor=actor or "", action=action or "",
        next_url="/audit?" + urlencode({**keep, "before": rows[-1]["id"]}) if more else None,
    )


# The digest page is the app's page (its stylesheet, charts as data: images) with no script:
# it carries a lot of post text, and this policy allows none.
DIGEST_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DIGEST_PERIODS = (("24h", "Day"), ("7d", "Week"), ("30d", "30 days"), ("90d", "90 days"),
                  ("365d", "Year"))


async def digest_page(request: web.Request) -> web.Response:
    """The brand digest for the last `since` (default 7d), as marketing receives it."""
    since = request.query.get("since", "7d")
    try:
        span = parse_duration(since)
    except PydanticCustomError:
        raise web.HTTPBadRequest(text="since: use a duration such as 24h, 7d or 30d") from None
    end = now(request)
    try:
        period = Period(end - span, end)
    except OverflowError:
        raise web.HTTPBadRequest(text="since: that reaches back further than the calendar "
                                      "goes") from None
    settings = request.app[SETTINGS_KEY]
    document = await store(request).read(lambda s: digest_for(settings, s, period, now=end))
    # HTML the digest's own templates rendered with autoescaping on: post text in it is escaped
    body = Markup(await asyncio.to_thread(render_body, document))  # noqa: S704
    response = await render(
        request, "digest.html", body=body, start=period.start, end=period.end,
        span=span_words(period.start, period.end), since=since, periods=DIGEST_PERIODS)
    response.headers["Content-Security-Policy"] = DIGEST_CSP
    return response
