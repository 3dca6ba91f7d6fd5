"""The approval queue: a person approves (maybe after editing), rejects or hands off a draft,
audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.models import Author, Draft, DraftStatus
from monitor.store import AlreadyDecided, NotFound, Store, StoreError
from responders.auth import can_decide
from responders.compose.facts import post_facts
from responders.saved import template_from, words_of
from responders.voice import Voice, first_name


class DecisionRefused(StoreError):
    """The decision cannot be recorded as asked (unknown user, wrong role, broken voice rule)."""


class NotPermitted(DecisionRefused):
    """The user may not decide drafts (unknown, or not an approver or admin)."""


class RuleBroken(DecisionRefused):
    """The decision itself is invalid: the text breaks a voice rule, or a reason is missing."""

    def __init__(self, message: str, *, flags: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.flags = tuple(flags)


def _decider(store: Store, user: str) -> None:
    record = store.get_user(user)
    if record is None:
        raise NotPermitted(
            f"unknown user {user!r}: create one with `brandbot users add {user} --role approver`"
        )
    if not can_decide(record["role"]):
        raise NotPermitted(f"user {user!r} is a {record['role']} and cannot decide drafts")


def approve(store: Store, draft_id: int, *, user: str, voice: Voice, now: datetime,
            text: str | None = None, save: bool = False) -> Draft:
    """Approve a pending draft as `user`, optionally with edited text; with `save`, keep the
    approved wording as a saved reply for the case's intent (see `responders/saved.py`).

    The text that will be posted must keep every voice rule: a flagged draft has to be edited
    before it can be approved, so nothing over a platform's limit or off-voice goes out.
    """
    _decider(store, user)
    draft = store.get_draft(draft_id)
    final = text if text is not None else draft.text
    flags = voice.check(final, draft.platform)
    if flags and draft.status is DraftStatus.PENDING:
        raise RuleBroken(
            f"draft {draft_id} breaks voice rules: {'; '.join(flags)}; edit the text first "
            "(--text on the command line)",
            flags=flags,
        )
    decided = store.decide_draft(draft_id, approve=True, actor=user, now=now, text=final,
                                 flags=list(flags))
    if save:
        save_reply(store, draft_id, user=user, now=now)
    return decided


def save_reply(store: Store, draft_id: int, *, user: str, now: datetime) -> int:
    """Keep a decided draft's wording as a saved reply for its intent and language."""
    row = store.draft_detail(draft_id)
    language = str(row.get("language") or "en")
    author = Author(row["platform"], str(row["author_id"]), str(row["author"]),
                    display_name=row.get("author_name"))
    facts = post_facts(str(row["mention_text"]))
    template = template_from(str(row["text"]), name=first_name(author),
                             facts={"amount": facts.amount, "reference": facts.reference,
                                    "date": facts.date, "place": facts.place,
                                    "product": facts.product})
    return store.save_reply(intent=str(row["intent"]), language=language, text=template,
                            words=words_of(str(row["mention_text"])), source_draft=draft_id,
                            actor=user, now=now)


def reject(store: Store, draft_id: int, *, user: str, reason: str, now: datetime) -> Draft:
    """Reject a pending draft as `user`, with the reason recorded in the audit log."""
    _decider(store, user)
    if not reason.strip():
        raise RuleBroken("a rejection needs a reason")
    return store.decide_draft(draft_id, approve=False, actor=user, now=now,
                              reason=reason.strip())


def undo(store: Store, draft_id: int, *, user: str, now: datetime,
         window: timedelta) -> Draft:
    """Take back an approval made less than `window` ago (`[publisher] undo_window`): the
    draft is pending again, audited. Any approver may undo, not only the one who approved;
    AlreadyDecided once the window has passed or the publisher has claimed it."""
    _decider(store, user)
    return store.undo_approval(draft_id, actor=user, now=now, undo_window=window)


def hand_off(store: Store, draft_id: int, *, team: str, user: str, now: datetime) -> Draft:
    """Give a pending draft's case to another team as `user`, audited (old and new team)."""
    _decider(store, user)
    if not team.strip():
        raise RuleBroken("a hand-off needs a team")
    return store.hand_off(draft_id, team=team.strip(), actor=user, now=now)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one draft of a bulk decision."""

    draft_id: int
    ok: bool
    message: str


def decide_many(store: Store, draft_ids: Sequence[int], *, approve_them: bool, user: str,
                voice: Voice, now: datetime, reason: str = "") -> list[Outcome]:
    """Approve or reject several drafts, each through the same checks as one at a time.

    One draft's refusal (already decided, a broken voice rule) does not stop the others.
    """
    outcomes = []
    for draft_id in dict.fromkeys(draft_ids):
        try:
            if approve_them and store.get_draft(draft_id).by_hand:
                # approving one records that a person posted it: that is done one at a time
                outcomes.append(Outcome(draft_id, False, f"draft {draft_id} is a reply by hand: "
                                        "post it on the platform, then approve it on its own"))
                continue
            if approve_them:
                draft = approve(store, draft_id, user=user, voice=voice, now=now)
            else:
                draft = reject(store, draft_id, user=user, reason=reason, now=now)
        except NotPermitted:
            raise
        except (AlreadyDecided, NotFound, DecisionRefused) as exc:
            outcomes.append(Outcome(draft_id, False, str(exc)))
        else:
            outcomes.append(Outcome(draft_id, True, f"draft {draft_id} {draft.status.value}"))
    return outcomes
