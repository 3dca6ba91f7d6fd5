"""Posts approved drafts exactly once: approved -> posting -> posted (or failed), audited.

A draft is claimed (moved to `posting`) before the request goes out. If the answer is lost
(a crash, a timeout, a 5xx after the platform may have acted), the draft stays in `posting`
and is reconciled before anything else happens to it: the platform is asked whether our
reply is on the thread. Only a draft we know was not posted is tried again.

Claims are fenced (the store's docstring): while a post is in flight its publisher shows
signs of life every `reconcile_after / 3`, so a reconciler on any replica only settles a
claim whose owner has gone quiet, and only that claim.

An approval waits `undo_window` before anything is posted, so that a person can take it
back; the store decides what is due. An approved draft whose platform no enabled source
replies on is never claimed: that is logged once per draft, not once per cycle.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.models import Draft, Mention
from monitor.platforms.base import (
    AuthFailed,
    Platform,
    PlatformError,
    PostedReply,
    RateLimited,
    Refused,
    Unavailable,
)
from monitor.settings import Settings
from monitor.sleep import Sleeper, interruptible_sleep
from monitor.store import AsyncStore, Store, StoreUnavailable

log = logging.getLogger("brandbot.publisher")


@dataclass(frozen=True, slots=True)
class PublishPolicy:
    """How hard to try: retry spacing, give-up point, and the wait before reconciling."""

    max_attempts: int = 8
    base_delay: float = 5.0
    max_delay: float = 900.0
    auth_retry: float = 600.0
    reconcile_after: float = 45.0
    interval: float = 2.0
    # how often a post in flight shows a sign of life on its claim (None: reconcile_after / 3)
    heartbeat: float | None = None
    # seconds after an approval during which it can be undone, and nothing is posted
    undo_window: float = 10.0
    # how often to look for approved drafts that no source here can post (seconds)
    stranded_every: float = 60.0

    def delay(self, attempts: int) -> float:
        """Exponential backoff with full jitter for the nth attempt."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1)))


# Platforms brandbot listens on but never replies through.
LISTEN_ONLY = frozenset({"replay", "hackernews"})


def replying_platforms(settings: Settings) -> set[str]:
    """The platforms an enabled source of the config replies on (the daemon's publisher
    posts through exactly these; see `monitor.daemon._repliers`)."""
    return {s.platform for s in settings.sources if s.enabled and s.platform not in LISTEN_ONLY}


def stranded_reason(platform: str) -> str:
    """Why an approved draft for `platform` will not be posted, for pages and logs."""
    return (f"won't be posted: no enabled {platform} source can reply (enable one with "
            f"credentials, or reply on {platform} by hand)")


def idempotency_key(draft: Draft) -> str:
    """The same key for every attempt at one draft, for platforms that honour one."""
    return f"brandbot-draft-{draft.id}"


class Publisher:
    """Posts approved drafts through the adapter of each draft's platform."""

    def __init__(
        self,
        store: AsyncStore,
        repliers: Mapping[str, Platform],
        *,
        clock: Callable[[], datetime],
        policy: PublishPolicy | None = None,
        sleep: Sleeper = interruptible_sleep,
    ) -> None:
        self.store = store
        self.repliers = dict(repliers)
        self.clock = clock
        self.policy = policy or PublishPolicy()
        self.sleep = sleep
        self.posted = 0
        self.failed = 0
        self._stranded: set[int] = set()  # approved drafts already logged as never posted
        self._stranded_checked: datetime | None = None

    async def reconcile(self) -> int:
        """Settle drafts left in `posting`: posted if our reply is there, else retry later."""
        cutoff = self.clock() - timedelta(seconds=self.policy.reconcile_after)
        platforms = sorted(self.repliers)
        stuck = await self.store.read(
            lambda s: s.drafts_in_posting(platforms, started_before=cutoff)
        )
        settled = 0
        for draft in stuck:
            mention = await self._mention(draft)
            try:
                found = await self.repliers[draft.platform].find_reply(mention, draft.text)
            except PlatformError as exc:
                log.warning("draft %d: cannot check the thread yet (%s)", draft.id, exc,
                            extra={"event": "reconcile_deferred", "draft": draft.id})
                continue
            if found is not None:
                await self._posted(draft, found)
                log.info("draft %d was posted before the interruption (%s)", draft.id,
                         found.native_id, extra={"event": "reconciled_posted",
                                                 "draft": draft.id})
            elif not await self._retry_or_fail(
                    draft, "not on the thread after an interrupted post", self.clock(),
                    silent_since=cutoff):
                # its publisher showed a sign of life since we looked: not ours to settle
                continue
            settled += 1
        return settled

    async def publish_due(self) -> int:
        """Post every due approved draft once; returns how many were claimed."""
        now = self.clock()
        window = timedelta(seconds=self.policy.undo_window)
        drafts = await self.store.write(
            lambda s: s.claim_for_posting(sorted(self.repliers), now=now, undo_window=window)
        )
        for draft in drafts:
            await self._post(draft)
        return len(drafts)

    async def _post(self, draft: Draft) -> None:
        platform = self.repliers[draft.platform]
        mention = await self._mention(draft)
        now = self.clock()
        try:
            posted = await self._reply_alive(platform, mention, draft)
        except Refused as exc:
            # After an earlier attempt with an unknown outcome, a refusal ("duplicate
            # content") may mean that attempt landed and search had not indexed it yet.
            found = await self._find(platform, mention, draft) if draft.attempts > 1 else None
            if found is not None:
                await self._posted(draft, found)
            else:
                await self._fail(draft, f"refused by {draft.platform}: {exc}")
        except RateLimited as exc:
            # A 429 means the platform did not act: safe to try again after its reset.
            backoff = now + timedelta(seconds=self.policy.delay(draft.attempts))
            when = exc.reset_at if exc.reset_at and exc.reset_at > now else backoff
            await self._retry_or_fail(draft, str(exc), when)
        except AuthFailed as exc:
            log.error("cannot post to %s: credentials refused (%s)", draft.platform, exc,
                      extra={"event": "post_auth_failed", "draft": draft.id})
            await self._retry_or_fail(draft, f"credentials refused: {exc}",
                                      now + timedelta(seconds=self.policy.auth_retry))
        except Unavailable as exc:
            # The outcome is unknown: leave it in `posting`; reconcile() decides later.
            log.warning("draft %d: outcome unknown (%s); will check the thread", draft.id, exc,
                        extra={"event": "post_uncertain", "draft": draft.id})
        else:
            await self._posted(draft, posted)
            log.info("draft %d posted to %s as %s", draft.id, draft.platform, posted.native_id,
                     extra={"event": "posted", "draft": draft.id,
                            "posted_id": posted.native_id})

    async def _reply_alive(self, platform: Platform, mention: Mention,
                           draft: Draft) -> PostedReply:
        """The platform's reply call, with a sign of life on the claim while it runs, so that
        a slow post (Bluesky's chained calls) is not taken for an interrupted one."""
        beat = self.policy.heartbeat or max(0.05, self.policy.reconcile_after / 3)

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(beat)
                try:
                    await self.store.write(self._touch(draft))
                except StoreUnavailable:
                    continue

        task = asyncio.ensure_future(heartbeat())
        try:
            return await platform.reply(mention, draft.text,
                                        idempotency_key=idempotency_key(draft))
        finally:
            task.cancel()

    def _touch(self, draft: Draft) -> Callable[[Store], bool]:
        at = self.clock()
        return lambda s: s.touch_claim(draft.id, attempt=draft.attempts, now=at)

    async def _find(self, platform: Platform, mention: Mention,
                    draft: Draft) -> PostedReply | None:
        try:
            return await platform.find_reply(mention, draft.text)
        except PlatformError:
            return None

    async def _mention(self, draft: Draft) -> Mention:
        def load(store: Store) -> Mention:
            return store.load_mention(draft.mention_id)

        return await self.store.read(load)

    async def _posted(self, draft: Draft, reply: PostedReply) -> None:
        now = self.clock()

        def record(store: Store) -> bool:
            return store.mark_posted(draft.id, posted_id=reply.native_id, url=reply.url,
                                     now=now)

        if not await self.store.write(record):
            log.error("draft %d was already posted: reply %s may be a duplicate", draft.id,
                      reply.native_id, extra={"event": "post_duplicate", "draft": draft.id})
            return
        self.posted += 1

    async def _fail(self, draft: Draft, error: str, *,
                    silent_since: datetime | None = None) -> bool:
        now = self.clock()
        if not await self.store.write(lambda s: s.mark_failed(
                draft.id, attempt=draft.attempts, error=error, now=now,
                silent_since=silent_since)):
            return False  # the claim is not ours any more: its owner decides
        self.failed += 1
        log.error("draft %d needs a person: %s", draft.id, error,
                  extra={"event": "post_failed", "draft": draft.id})
        return True

    async def _retry_or_fail(self, draft: Draft, reason: str, when: datetime, *,
                             silent_since: datetime | None = None) -> bool:
        """Back in line for `when`, or given up on after too many attempts: only the claim
        in hand (a reconciler's, only if it stayed silent since `silent_since`). False when
        that claim was not there to settle."""
        if draft.attempts >= self.policy.max_attempts:
            return await self._fail(draft, f"gave up after {draft.attempts} attempts: {reason}",
                                    silent_since=silent_since)
        now = self.clock()
        return bool(await self.store.write(lambda s: s.mark_retry(
            draft.id, attempt=draft.attempts, error=reason, next_attempt_at=when, now=now,
            silent_since=silent_since)))

    async def report_stranded(self) -> list[int]:
        """Log, once each, approved drafts that no source here can post; returns the ids
        logged now. Looks at most every `stranded_every` seconds."""
        now = self.clock()
        last = self._stranded_checked
        if last is not None and now - last < timedelta(seconds=self.policy.stranded_every):
            return []
        self._stranded_checked = now
        platforms = sorted(self.repliers)
        found = await self.store.read(lambda s: s.stranded_drafts(platforms))
        new = [(i, p) for i, p in found if i not in self._stranded]
        self._stranded = {i for i, _ in found}  # forget drafts decided or posted since
        by_platform: dict[str, list[int]] = {}
        for draft_id, platform in new:
            by_platform.setdefault(platform, []).append(draft_id)
        for platform, ids in sorted(by_platform.items()):
            shown = ", ".join(map(str, ids[:20])) + (", ..." if len(ids) > 20 else "")
            log.warning("approved %s %s %s", "draft" if len(ids) == 1 else "drafts", shown,
                        stranded_reason(platform),
                        extra={"event": "post_stranded", "platform": platform, "drafts": ids})
        return [i for i, _ in new]

    async def run_once(self) -> None:
        """One publishing cycle: reconcile the uncertain, then post what is due."""
        await self.reconcile()
        while await self.publish_due():
            pass
        await self.report_stranded()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until stop is set."""
        store_failing = False
        while not stop.is_set():
            try:
                await self.run_once()
                store_failing = False
            except StoreUnavailable as exc:
                # Safe to retry: a claim that did not commit claimed nothing, and a reply whose
                # `posted` did not commit stays in `posting`, to be reconciled, not re-sent.
                if not store_failing:  # the store logs the outage itself, once
                    log.debug("publisher paused: %s", exc, extra={"event": "store_failing"})
                store_failing = True
            except Exception:  # a bug must not end publishing for good
                log.exception("publisher cycle failed", extra={"event": "error"})
            await self.sleep(self.policy.interval, stop)
