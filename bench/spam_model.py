"""Train and evaluate the spam model (`monitor/analysis/spam_model.py`).

    python -m bench.spam_model train       writes monitor/data/spam_model.json
    python -m bench.spam_model evaluate    leave-one-set-out: for each labelled set, spam
                                           recall and precision of the whole analysis with a
                                           model trained on the others, and without a model

Trained on every labelled set in `tests/data` that says which posts are spam (the two spam
sets, the packs, the dev streams, the demo's annotations) and on the complaint corpus's
development half as ordinary posts; never on `tests/data/streams/banking-holdout`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench.labelled import DATA, corpus_rows, demo_pairs, dev_streams, jsonl, stream_pairs
from monitor.analysis.escalation_model import KindModel, _fit, features
from monitor.analysis.spam_model import THRESHOLD, SpamModel


def labelled_sets() -> dict[str, list[tuple[str, bool]]]:
    """(text, spam) rows by set name; never the holdout stream."""
    sets: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted((DATA / "spam").glob("*.jsonl")):
        sets[f"spam:{path.stem}"] = [(r["text"], bool(r["spam"])) for r in jsonl(path)]
    for path in sorted((DATA / "packs").glob("*.jsonl")):
        sets[f"pack:{path.stem}"] = [(r["text"], r["action"] == "spam") for r in jsonl(path)]
    for folder in dev_streams(training=True):
        sets[f"stream:{folder.name}"] = [(p["text"], lab["action"] == "spam")
                                         for p, lab in stream_pairs(folder)]
    sets["demo"] = [(p["text"], lab["action"] == "spam") for p, lab in demo_pairs()]
    corpus = corpus_rows()
    if corpus:
        sets["complaints-dev"] = [(r["text"], False) for r in corpus]
    return sets


def train(rows: Sequence[tuple[str, bool]], threshold: float = THRESHOLD) -> SpamModel:
    bias, weights = _fit([(features(t), y) for t, y in rows])
    return SpamModel(KindModel(bias, weights, threshold))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spam_model")
    parser.add_argument("command", choices=("train", "evaluate"))
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args(argv)
    sets = labelled_sets()
    if args.command == "train":
        rows = [r for rows in sets.values() for r in rows]
        train(rows, args.threshold).save()
        print(f"trained on {len(rows)} posts from {len(sets)} sets")
        return 0
    from bench import quality
    for name in ("spam:posts-2", "spam:posts", "stream:banking-dev-2", "stream:software-dev",
                 "pack:boundary"):
        model = train([r for n, rows in sets.items() if n != name for r in rows],
                      args.threshold)
        for label, m in (("without", None), ("with", model)):
            got = quality.spam_by_set(name, m)
            print(name, label, {k: round(v, 3) for k, v in got.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
