"""The labelled sets in `tests/data` and the demo's annotations, read the same way by every
bench script that trains on or measures with them. `dev_streams` never includes the stream
kept for measuring (`banking-holdout`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
STREAMS = DATA / "streams"
DEMO = ROOT / "config" / "samples"
# the complaint corpus's development half, read where it lies, never copied
CORPUS = ROOT.parent / "shared" / "eval" / "complaints-dev.csv"
HOLDOUT = "banking-holdout"
# Streams the rules may be tuned on but the models never learn from, so that the models have a
# second set they have not seen (the first is the holdout, which nothing is tuned on).
UNSEEN_BY_MODELS = frozenset({"banking-dev-5", "banking-dev-6", "banking-dev-7",
                              "banking-dev-8", "banking-dev-9", "banking-dev-10",
                              "banking-dev-11", "banking-dev-12", "banking-dev-13",
                              "banking-dev-14", "banking-dev-15", "banking-dev-16",
                              "banking-dev-17", "banking-dev-18", "banking-dev-19",
                              "banking-dev-20", "banking-dev-21", "banking-dev-22",
                              "banking-dev-23", "banking-dev-24",
                              "banking-dev-25", "banking-dev-26",
                              "banking-dev-27", "banking-dev-28",
                              "banking-dev-29", "banking-dev-30",
                              "airline-dev",
                              "airline-dev-2", "airline-dev-3", "telecom-dev"})

Pair = tuple[dict[str, Any], dict[str, Any]]


def jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, blank lines skipped."""
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def dev_streams(*, training: bool = False) -> list[Path]:
    """Every labelled stream's folder, in name order, but the held-out one (and, for training
    a model, but those kept unseen by the models)."""
    return [folder for folder in sorted(STREAMS.iterdir())
            if folder.name != HOLDOUT and (folder / "brand.toml").exists()
            and not (training and folder.name in UNSEEN_BY_MODELS)]


def stream_pairs(folder: Path) -> list[Pair]:
    """A stream's posts, each with its label."""
    return list(zip(jsonl(folder / "stream.jsonl"), jsonl(folder / "labels.jsonl"),
                    strict=True))


def demo_pairs() -> list[Pair]:
    """The demo's posts, each with its annotation."""
    return list(zip(jsonl(DEMO / "demo-mentions.jsonl"), jsonl(DEMO / "demo-annotations.jsonl"),
                    strict=True))


def corpus_rows() -> list[dict[str, str]]:
    """The complaint corpus's rows, or none on a machine without it."""
    if not CORPUS.exists():
        return []
    with CORPUS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
