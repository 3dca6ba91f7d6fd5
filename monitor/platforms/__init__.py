"""Platform adapters, one module per platform, all behind the Platform protocol."""

from __future__ import annotations

from monitor.platforms.base import Platform
from monitor.platforms.replay import ReplayPlatform
from monitor.settings import ConfigError, ReplaySource, Settings, SourceBase


def build_platform(source: SourceBase, settings: Settings) -> Platform:
    """The adapter for one configured source."""
    if isinstance(source, ReplaySource):
        return ReplayPlatform(source.path, page_size=source.page_size)
    raise ConfigError([
        f"sources: platform {source.platform!r} (source {source.key!r}) "  # type: ignore[attr-defined]
        "has no adapter in this version yet; use platform = \"replay\""
    ])
