"""Train and evaluate the complaint model with the project's own labelled posts beside the
complaint corpus.

    python -m bench.complaint_train evaluate   10-fold CV on the corpus's development half,
                                               with and without our posts in each training
                                               fold (they are never in a test fold)
    python -m bench.complaint_train train      writes monitor/data/complaint_model.json

The corpus (Preotiuc-Pietro, Gaman and Aletras, ACL 2019; its development half, read from
`../shared/eval/`, never copied) is tweets to companies in 2017. Our labelled sets
(`tests/data/packs`, the dev streams, the demo's annotations; never the holdout stream) add
what it has little of: praise and shout-outs, plain questions, and complaints in 2026's
words; `tests/data/complaints/tweets.csv` (written apart from the model, not trained on)
measures the known failure modes. From our sets, in English: a post a person should answer
that is negative about the brand is a complaint; praise and thanks, and neutral information
questions, are not. The complaints are sampled down to as many as the others, so the corpus
keeps the base rate, and 600 of them at most (see `our_posts`).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
from collections.abc import Sequence
from typing import Any

from bench.labelled import (
    CORPUS,
    DATA,
    ROOT,
    demo_pairs,
    dev_streams,
    jsonl,
    stream_pairs,
)
from monitor import complaint_model as cm


def our_posts() -> list[tuple[str, int]]:
    """Our labelled English posts as (text, complaint 1 / not 0), balanced."""
    pairs: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((DATA / "packs").glob("*.jsonl")):
        pairs += [(r["text"], r) for r in jsonl(path)]
    for folder_pairs in [*(stream_pairs(f) for f in dev_streams(training=True)), demo_pairs()]:
        pairs += [(p["text"], lab) for p, lab in folder_pairs]
    yes, no = [], []
    for text, lab in pairs:
        if lab.get("lang") not in (None, "en"):
            continue
        action, sentiment = lab["action"], lab.get("sentiment")
        if action == "reply" and sentiment == "negative":
            yes.append((text, 1))
        elif action == "acknowledge" or (action == "reply" and sentiment != "negative"
                                         and lab.get("intent") == "question"):
            no.append((text, 0))
    # 300 of each: with more, the corpus's own CV falls (0.7826 with all 702 balanced
    # posts), with fewer the known failure modes are learnt less (0.716 on the tweets with
    # 200); with 600 the CV is 0.7928-0.7993 (the corpus alone 0.7935, depending on which
    # 600) and the tweets go 0.679 -> 0.754-0.768
    random.Random(5).shuffle(yes)
    random.Random(5).shuffle(no)
    return yes[:OURS // 2] + no[:OURS // 2]


OURS = 600


def failure_mode_tweets() -> tuple[list[str], list[int]]:
    """500 tweets written for measuring, in the corpus's style and rich in its known failure
    modes (information questions, negated praise, agents' replies, complaints as questions,
    sarcastic thanks, polite chasers): `tests/data/complaints/tweets.csv`. Not trained on:
    in every training fold they cost the corpus's own CV 0.005."""
    with (ROOT / "tests" / "data" / "complaints" / "tweets.csv").open(
            encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.complaint_train")
    parser.add_argument("command", choices=("train", "evaluate"))
    args = parser.parse_args(argv)
    texts, labels = cm.read_dataset(str(CORPUS))
    sentiments = cm.vader_sentiments(texts)
    extra = our_posts()
    e_texts, e_labels = [t for t, _ in extra], [y for _, y in extra]
    e_sentiments = cm.vader_sentiments(e_texts)
    if args.command == "train":
        model = cm.train([*texts, *e_texts], [*labels, *e_labels], [*sentiments, *e_sentiments])
        cm.DEFAULT_MODEL_PATH.write_text(model.to_json() + "\n", encoding="utf-8")
        print(f"trained on {len(texts)} corpus tweets and {len(extra)} of our posts: "
              f"{len(model.weights)} weights -> {cm.DEFAULT_MODEL_PATH}")
        return 0
    t_texts, t_labels = failure_mode_tweets()
    t_sentiments = cm.vader_sentiments(t_texts)
    shipped = cm.ComplaintModel.load()
    got = [int(shipped.probability(t, s) >= shipped.threshold)
           for t, s in zip(t_texts, t_sentiments, strict=True)]
    print(f"the shipped model on the failure-mode tweets: macro-F1 "
          f"{cm._metrics(t_labels, got)['macro_f1']:.4f}")
    for with_ours in (False, True):
        scores = []
        for seed in (0, 1, 2):
            folds = []
            for test in cm.stratified_folds(labels, 10, seed):
                held = set(test)
                train = [i for i in range(len(texts)) if i not in held]
                model = cm.train(
                    [texts[i] for i in train] + (e_texts if with_ours else []),
                    [labels[i] for i in train] + (e_labels if with_ours else []),
                    [sentiments[i] for i in train] + (e_sentiments if with_ours else []),
                    seed=seed)
                got = [int(model.probability(texts[i], sentiments[i]) >= model.threshold)
                       for i in test]
                folds.append(cm._metrics([labels[i] for i in test], got)["macro_f1"])
            scores.append(statistics.fmean(folds))
        print(f"{'with' if with_ours else 'without'} our {len(extra)} posts: macro-F1 "
              f"{statistics.fmean(scores):.4f} (seeds 0-2: "
              + ", ".join(f"{s:.4f}" for s in scores) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
