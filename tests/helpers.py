"""Helpers shared by the tests: config snippets and running the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from monitor.models import Mention

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "config" / "demo.toml"
DEMO_MENTIONS = ROOT / "config" / "samples" / "demo-mentions.jsonl"
SHARED = ROOT.parent / "shared"


def write_config(folder: Path, body: str, *, name: str = "brandbot.toml") -> Path:
    """Write a config file into `folder` and return its path."""
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


BASE_CONFIG = """
[brand]
name = "Brightwave"
keywords = ["brightwave"]
hashtags = ["brightwavedown"]
exclude = ["brightwave festival"]

[brand.handles]
x = ["BrightwaveHelp"]

[brand.competitors]
Tidalnet = ["tidalnet"]

[voice]
sign_off = "^Sam"
banned_phrases = ["calm down"]

[routing.teams.billing]
intents = ["billing"]
terms = ["refund"]

[storage]
url = "sqlite:///brandbot.db"
"""


def replay_source(path: Path, *, page_size: int = 50, interval: str = "1s") -> str:
    """A [[sources]] table replaying `path`."""
    return (
        f'\n[[sources]]\nname = "replay"\nplatform = "replay"\npath = "{path}"\n'
        f'page_size = {page_size}\ninterval = "{interval}"\n'
    )


def brandbot(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `brandbot` command in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDBOT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args], cwd=cwd or ROOT, env=full_env,
        input=stdin, capture_output=True, text=True, timeout=timeout,
    )


async def drain(platform: Any, cursor: str | None = None, *,
                max_pages: int = 100) -> tuple[list[Mention], str | None]:
    """Call `listen` until the source has nothing more right now: every mention served and
    the last cursor. Each page must come oldest first, as the Platform protocol says."""
    mentions: list[Mention] = []
    for _ in range(max_pages):
        page = await platform.listen(cursor)
        assert list(page.mentions) == sorted(page.mentions, key=lambda m: m.created_at)
        mentions += page.mentions
        cursor = page.next_cursor
        if not page.has_more:
            return mentions, cursor
    raise AssertionError("listen never ran out of pages")


def ids(mentions: Iterable[Mention]) -> list[str]:
    """The native ids of mentions, in order."""
    return [m.native_id for m in mentions]


def sql(url: str | Path, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on a store (SQLite or PostgreSQL) by its URL; its rows as tuples."""
    from monitor.store import Store

    store = Store(url, migrate=False)
    try:
        cursor = store.conn.execute(query, params)
        return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
    finally:
        store.close()


def with_storage(config: str, url: str) -> str:
    """A config text whose [storage] url is `url` (BASE_CONFIG names a relative SQLite file)."""
    assert 'url = "sqlite:///brandbot.db"' in config
    return config.replace('url = "sqlite:///brandbot.db"', f'url = "{url}"')
