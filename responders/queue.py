"""The approval queue: a person approves (maybe after editing) or rejects a draft, audited."""

from __future__ import annotations

from datetime import datetime

from monitor.models import Draft, DraftStatus
from monitor.store import Store, StoreError
from responders.auth import can_decide
from responders.voice import Voice


class DecisionRefused(StoreError):
    """The decision cannot be recorded as asked (unknown user, wrong role, broken voice rule)."""


def _decider(store: Store, user: str) -> None:
    record = store.get_user(user)
    if record is None:
        raise DecisionRefused(
            f"unknown user {user!r}: create one with `brandbot users add {user} --role approver`"
        )
    if not can_decide(record["role"]):
        raise DecisionRefused(f"user {user!r} is a {record['role']} and cannot decide drafts")


def approve(store: Store, draft_id: int, *, user: str, voice: Voice, now: datetime,
            text: str | None = None) -> Draft:
    """Approve a pending draft as `user`, optionally with edited text.

    The text that will be posted must keep every voice rule: a flagged draft has to be edited
    before it can be approved, so nothing over a platform's limit or off-voice goes out.
    """
    _decider(store, user)
    draft = store.get_draft(draft_id)
    final = text if text is not None else draft.text
    flags = voice.check(final, draft.platform)
    if flags and draft.status is DraftStatus.PENDING:
        raise DecisionRefused(
            f"draft {draft_id} breaks voice rules: {'; '.join(flags)}; edit it with --text"
        )
    return store.decide_draft(draft_id, approve=True, actor=user, now=now, text=final,
                              flags=list(flags))


def reject(store: Store, draft_id: int, *, user: str, reason: str, now: datetime) -> Draft:
    """Reject a pending draft as `user`, with the reason recorded in the audit log."""
    _decider(store, user)
    if not reason.strip():
        raise DecisionRefused("a rejection needs a reason")
    return store.decide_draft(draft_id, approve=False, actor=user, now=now, reason=reason)
