"""Local fake servers speaking the real API shapes of each social platform (tests only).

Classes are imported lazily so `python -m tests.fakes.<platform>` runs its module only once.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_CLASSES = {
    "FakeBluesky": "bluesky",
    "FakeHackerNews": "hackernews",
    "FakeJetstream": "jetstream",
    "FakeMastodon": "mastodon",
    "FakeReddit": "reddit",
    "FakeServer": "common",
    "FakeThreads": "threads",
    "FakeX": "x",
    "LoggedRequest": "common",
}
__all__ = sorted(_CLASSES)


def __getattr__(name: str) -> Any:
    """Import a fake's module on first use of its class."""
    if name not in _CLASSES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_CLASSES[name]}", __name__), name)
