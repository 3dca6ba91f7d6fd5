"""Bluesky profiles by DID (app.bsky.actor.getProfiles): handles, names and follower counts.

A post's author in a postView is a profileViewBasic, which has no followersCount; a Jetstream
event has no handle at all. getProfiles answers profileViewDetailed for up to 25 actors a call.
`Profiles` asks in batches and keeps a bounded, expiring cache; a failed lookup never raises:
the caller carries on with the DID (and no reach), and lookups pause for a while.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from monitor.platforms.base import HttpResult, PlatformError, clean_text

GET_PROFILES = "app.bsky.actor.getProfiles"
BATCH = 25  # the lexicon's maxLength for `actors`
CACHE_SIZE = 20_000
TTL = 3600.0  # seconds a profile is trusted (handles and follower counts change)
GONE_TTL = 300.0  # seconds an account the AppView did not know stays unknown (it may be new)
PAUSE = 60.0  # seconds without lookups after a failure (longer when a rate limit says so)
MAX_PAUSE = 900.0
MAX_FOLLOWERS = 2**53  # beyond any real account: an absurd number is no number
MAX_HANDLE = 253  # the handle syntax's length limit

# One getProfiles call: the actors to ask about -> the platform's answer.
Fetch = Callable[[list[str]], Awaitable[HttpResult]]


@dataclass(frozen=True, slots=True)
class Profile:
    """What a profile tells us about its account; None where it did not say (or is gone)."""

    did: str
    handle: str | None = None
    display_name: str | None = None
    followers: int | None = None


def read_profile(view: Any) -> Profile | None:
    """A profileViewDetailed as a Profile; None when it has no DID."""
    if not isinstance(view, dict) or not isinstance(view.get("did"), str):
        return None
    handle = view.get("handle")
    if not isinstance(handle, str) or not 0 < len(handle) <= MAX_HANDLE \
            or handle == "handle.invalid":
        handle = None
    name = view.get("displayName")
    followers = view.get("followersCount")
    return Profile(
        did=view["did"], handle=handle,
        display_name=clean_text(name[:640]) if isinstance(name, str) and name.strip() else None,
        followers=followers if isinstance(followers, int) and not isinstance(followers, bool)
        and 0 <= followers < MAX_FOLLOWERS else None,
    )


class Profiles:
    """Profiles by DID, fetched `BATCH` at a time through `fetch` and cached (LRU, with TTL)."""

    def __init__(self, fetch: Fetch, *, size: int = CACHE_SIZE, ttl: float = TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fetch = fetch
        self.size, self.ttl, self.clock = size, ttl, clock
        self._cache: OrderedDict[str, tuple[float, Profile]] = OrderedDict()
        self._paused_until = 0.0
        self.failures = 0

    def cached(self, did: str, *, stale: bool = False) -> Profile | None:
        """The cached profile of `did`, if it is still fresh (or at all, with `stale`)."""
        entry = self._cache.get(did)
        if entry is None or (entry[0] < self.clock() and not stale):
            return None
        self._cache.move_to_end(did)
        return entry[1]

    async def get(self, dids: Iterable[str]) -> dict[str, Profile]:
        """The profiles of `dids` that are cached or could be fetched now; never raises."""
        found: dict[str, Profile] = {}
        missing: list[str] = []
        for did in dict.fromkeys(dids):
            profile = self.cached(did)
            if profile is not None:
                found[did] = profile
            else:
                missing.append(did)
        for start in range(0, len(missing), BATCH):
            if self.clock() < self._paused_until:
                break
            found.update(await self._lookup(missing[start:start + BATCH]))
        for did in missing:
            # what we knew before beats nothing while lookups fail (a stored handle would
            # otherwise be overwritten with the DID)
            if did not in found and (profile := self.cached(did, stale=True)) is not None:
                found[did] = profile
        return found

    async def _lookup(self, actors: list[str]) -> dict[str, Profile]:
        try:
            result = await self.fetch(actors)
        except PlatformError:
            return self._failed(None)
        body = result.body
        if result.status != 200 or not isinstance(body, dict) \
                or not isinstance(body.get("profiles"), list):
            return self._failed(result)
        answered = {p.did: p for p in map(read_profile, body["profiles"]) if p is not None}
        # an actor left out of the answer is gone (deleted, taken down): remember that too
        got = {did: answered.get(did) or Profile(did) for did in actors}
        now = self.clock()
        for did, profile in got.items():
            self._cache[did] = (now + (self.ttl if did in answered else min(self.ttl, GONE_TTL)),
                                profile)
            self._cache.move_to_end(did)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return got

    def _failed(self, result: HttpResult | None) -> dict[str, Profile]:
        self.failures += 1
        pause = PAUSE
        if result is not None and result.status == 429:
            try:
                pause = float(result.headers.get("RateLimit-Reset", "")) - time.time()
            except ValueError:
                pause = PAUSE
        self._paused_until = self.clock() + min(max(pause, PAUSE), MAX_PAUSE)
        return {}
