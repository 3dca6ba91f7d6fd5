"""Train and evaluate the escalation model (`monitor/analysis/escalation_model.py`).

    python -m bench.escalation_model train       writes monitor/data/escalation_model.json
    python -m bench.escalation_model evaluate    leave-one-set-out: for each labelled set, a
                                                 model trained on the others, and what it
                                                 finds there on its own (tp, fp, fn)

Trained on every labelled set in `tests/data` that says which posts escalate (the phrasings,
the packs, the dev streams, the spam set as negatives, the demo's annotations) and on the
complaint corpus's development half as ordinary customers' posts. Never on
`tests/data/streams/banking-holdout`, which is kept for measuring.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench.labelled import DATA, corpus_rows, demo_pairs, dev_streams, jsonl, stream_pairs
from monitor.analysis.escalation import EscalationRules
from monitor.analysis.escalation_model import KINDS, MODEL_PATH, EscalationModel, train


def labelled_sets() -> dict[str, list[tuple[str, list[str]]]]:
    """Every labelled set in the repository that says which posts escalate, by name, except
    the bank stream kept for measuring (`banking-holdout`), which nothing is trained on."""
    sets: dict[str, list[tuple[str, list[str]]]] = {}
    for path in sorted((DATA / "escalation").glob("*.jsonl")):
        sets[path.stem] = [(str(r["text"]), list(r["escalation"])) for r in jsonl(path)]
    for path in sorted((DATA / "packs").glob("*.jsonl")):
        sets[f"pack:{path.stem}"] = [(str(r["text"]), list(r.get("escalation", [])))
                                     for r in jsonl(path)]
    for folder in dev_streams(training=True):
        sets[f"stream:{folder.name}"] = [
            (str(p["text"]), [] if lab["action"] == "spam" else list(lab.get("escalation", [])))
            for p, lab in stream_pairs(folder)]
    sets["spam"] = [(str(r["text"]), []) for r in jsonl(DATA / "spam" / "posts.jsonl")
                    if r.get("spam")]
    # ordinary customers' tweets to companies: what an escalation is not, bar the few the
    # lists flag
    corpus = corpus_rows()
    if corpus:
        rules = EscalationRules(model=False)
        sets["complaints-dev"] = [(r["text"], []) for r in corpus
                                  if not rules.detect(r["text"], voice=True)]
    sets["demo"] = [(str(p["text"]), list(lab.get("escalation", [])))
                    for p, lab in demo_pairs()]
    return sets


def _scores(model: EscalationModel, rows: Sequence[tuple[str, Sequence[str]]]
            ) -> dict[str, float]:
    tp = fp = fn = 0
    for text, gold in rows:
        got = {k.value for k, _, _ in model.confident(text)}
        tp += bool(got & set(gold))
        fp += bool(got and not got & set(gold))
        fn += bool(gold and not got & set(gold))
    return {"tp": tp, "fp": fp, "fn": fn}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.analysis.escalation_model")
    parser.add_argument("command", choices=("train", "evaluate"))
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args(argv)
    sets = labelled_sets()
    thresholds = dict.fromkeys(KINDS, args.threshold)
    if args.command == "train":
        rows = [r for rows in sets.values() for r in rows]
        train(rows, thresholds).save()
        print(f"trained on {len(rows)} posts from {len(sets)} sets -> {MODEL_PATH}")
        return 0
    for name in sets:
        model = train([r for n, rows in sets.items() if n != name for r in rows], thresholds)
        print(name, _scores(model, sets[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
