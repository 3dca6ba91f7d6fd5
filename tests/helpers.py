"""Helpers shared by the tests: config snippets and running the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
