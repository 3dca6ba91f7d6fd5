"""Platform adapters, one module per platform, all behind the Platform protocol."""

from __future__ import annotations

import os
from collections.abc import Mapping

from monitor.platforms.base import Platform
from monitor.settings import (
    BlueskySource,
    ConfigError,
    HackerNewsSource,
    MastodonSource,
    RedditSource,
    ReplaySource,
    Settings,
    SourceBase,
    ThreadsSource,
    XSource,
)


def build_platform(source: SourceBase, settings: Settings, *,
                   environ: Mapping[str, str] = os.environ, live: bool = True) -> Platform:
    """The adapter for one configured source; ConfigError if the config cannot work for it.

    `live` is false for one cycle (`run --once`) and for `backfill`: a replay source then
    serves its whole file at once rather than pacing its last posts in."""
    try:
        return _build(source, settings, environ, live=live)
    except ValueError as exc:
        index = settings.sources.index(source)  # type: ignore[arg-type]
        raise ConfigError([f"sources[{index}] ({source.key}): {exc}"]) from None


def _build(source: SourceBase, settings: Settings, environ: Mapping[str, str], *,
           live: bool) -> Platform:
    """Construct the adapter (imported lazily: each pulls in its own client library)."""
    brand = settings.brand
    if isinstance(source, ReplaySource):
        from monitor.platforms.replay import ReplayPlatform

        return ReplayPlatform(source.path, page_size=source.page_size,
                              shift_to_now=source.shift_to_now,
                              pace_last=source.pace_last if live else 0,
                              pace_over=source.pace_over)
    if isinstance(source, XSource):
        from monitor.platforms.x import XPlatform

        return XPlatform(source, brand, environ=environ)
    if isinstance(source, RedditSource):
        from monitor.platforms.reddit import RedditPlatform

        return RedditPlatform(source, brand, environ=environ)
    if isinstance(source, MastodonSource):
        from monitor.platforms.mastodon import MastodonPlatform

        return MastodonPlatform(source, brand, environ=environ)
    if isinstance(source, BlueskySource) and source.mode == "jetstream":
        from monitor.platforms.jetstream import JetstreamPlatform

        return JetstreamPlatform(source, brand, environ=environ)
    if isinstance(source, BlueskySource):
        from monitor.platforms.bluesky import BlueskyPlatform

        return BlueskyPlatform(source, brand, environ=environ)
    if isinstance(source, HackerNewsSource):
        from monitor.platforms.hackernews import HackerNewsPlatform

        return HackerNewsPlatform(source, brand, environ=environ)
    if isinstance(source, ThreadsSource):
        from monitor.platforms.threads import ThreadsPlatform

        return ThreadsPlatform(source, brand, environ=environ)
    raise TypeError(f"no adapter for {type(source).__name__}")
