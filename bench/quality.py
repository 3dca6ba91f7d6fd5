"""How well analysis judges posts, on the hand-labelled sets in the repository.

    python -m bench.quality            figures per labelled set (action, intent, escalation,
                                       spam, brand-aware sentiment, language)
    python -m bench.quality --errors   and the posts it got wrong

The sets: `tests/data/packs/<pack>.jsonl` (120 posts per industry pack; `boundary.jsonl`,
300 posts not addressed to three brands, to answer or to leave alone),
`tests/data/streams/banking-dev` (a 260-post bank stream), and the demo's annotations
(`config/samples/demo-annotations.jsonl`). `tests/data/streams/banking-holdout` is kept for
measuring: tune nothing on it.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.labelled import dev_streams
from monitor.analysis import Analyzer, BrandTerms, Post
from monitor.analysis.escalation import EscalationRules
from monitor.models import Analysis
from monitor.packs import load_pack

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "tests" / "data" / "packs"
STREAMS = ROOT / "tests" / "data" / "streams"
DEMO = ROOT / "config" / "samples"


@dataclass(frozen=True, slots=True)
class Labelled:
    """A post and what a person decided about it."""

    text: str
    handle: str | None
    display_name: str | None
    followers: int | None
    lang: str | None
    label: dict[str, Any]


def analyzer_for(brand: dict[str, Any], industry: str) -> Analyzer:
    """An analyzer for a brand described as in a `[brand]` table."""
    handles = [h for hs in brand.get("handles", {}).values() for h in hs]
    competitors = brand.get("competitors", {})
    if isinstance(competitors, list):  # the pack sets name competitors only
        competitors = {c: [c.lower()] for c in competitors}
    terms = BrandTerms(name=brand["name"], keywords=tuple(brand.get("keywords", ())),
                       hashtags=tuple(brand.get("hashtags", ())), handles=tuple(handles),
                       exclude=tuple(brand.get("exclude", ())),
                       competitors=tuple((n, tuple(w)) for n, w in competitors.items()))
    pack = load_pack(industry)
    return Analyzer(terms, pack=pack, escalation=EscalationRules(regulators=pack.regulators))


def pack_set(pack: str) -> tuple[Analyzer, list[Labelled]]:
    """A pack's labelled posts and an analyzer for its brand."""
    brands = tomllib.loads((PACKS / "brands.toml").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (PACKS / f"{pack}.jsonl").open(encoding="utf-8")]
    posts = [Labelled(r["text"], r.get("author"), r.get("author_name"), None, None, r)
             for r in rows]
    return analyzer_for(brands[pack], pack), posts


def stream_set(name: str) -> tuple[Analyzer, list[Labelled]]:
    """A labelled stream (replay JSONL, labels beside it) and an analyzer for its brand."""
    folder = STREAMS / name
    brand = tomllib.loads((folder / "brand.toml").read_text(encoding="utf-8"))["brand"]
    posts = [json.loads(line) for line in (folder / "stream.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line) for line in (folder / "labels.jsonl").open(encoding="utf-8")]
    return analyzer_for(brand, brand.get("industry", "telecom")), [
        Labelled(p["text"], p["author"], p.get("author_name"), p.get("author_followers"),
                 p.get("lang"), lab) for p, lab in zip(posts, labels, strict=True)]


# The reply-or-leave-it set (`tests/data/packs/boundary.jsonl`): three brands, one file.
BOUNDARY_BRANDS = {
    "banking": {"name": "Tern Bank", "keywords": ["tern bank", "ternbank"],
                "handles": {"x": ["TernBank", "TernBankHelp"]}},
    "telecom": {"name": "Coralnet", "keywords": ["coralnet"],
                "handles": {"x": ["Coralnet", "CoralnetCare"]}},
    "retail": {"name": "Larkspur", "keywords": ["larkspur"],
               "handles": {"x": ["LarkspurStores", "LarkspurHelp"]}},
}


def boundary_set() -> list[tuple[Analyzer, list[Labelled]]]:
    """Posts not addressed to the brand that a care lead would answer, or leave alone (300,
    written apart from the rules), per brand with its analyzer."""
    rows = [json.loads(line) for line in (PACKS / "boundary.jsonl").open(encoding="utf-8")]
    return [(analyzer_for(brand, industry),
             [Labelled(r["text"], r.get("author"), r.get("author_name"), None, None, r)
              for r in rows if r["industry"] == industry])
            for industry, brand in BOUNDARY_BRANDS.items()]


def demo_set() -> tuple[Analyzer, list[Labelled]]:
    """The demo's posts with their annotations, and the demo brand's analyzer."""
    config = tomllib.loads((ROOT / "config" / "demo.toml").read_text(encoding="utf-8"))
    posts = [json.loads(line) for line in (DEMO / "demo-mentions.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line)
              for line in (DEMO / "demo-annotations.jsonl").open(encoding="utf-8")]
    return analyzer_for(config["brand"], config["brand"].get("industry", "telecom")), [
        Labelled(p["text"], p["author"], p.get("author_name"), p.get("author_followers"),
                 p.get("lang"), lab) for p, lab in zip(posts, labels, strict=True)]


def _by_industry(path: Path, handles: Callable[[str], list[str]], spam_model: Any = True
                 ) -> list[tuple[dict[str, Any], Analysis]]:
    """A JSONL set of posts for five industries' brands, each with its verdict from an
    analyzer for its row's brand (our handles: `handles(the row's handle)`)."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    analyzers: dict[str, Analyzer] = {}
    out = []
    for row in rows:
        if row["industry"] not in analyzers:
            brand = {"name": row["brand"], "keywords": [row["brand"].lower()],
                     "handles": {"x": handles(row["handle"].lstrip("@"))}}
            analyzers[row["industry"]] = analyzer_for(brand, row["industry"])
            analyzers[row["industry"]].spam_model = (
                analyzers[row["industry"]].spam_model if spam_model is True else spam_model)
        out.append((row, analyzers[row["industry"]].analyze_post(Post(
            row["text"], None, 0, row.get("author"), row.get("author_name"), None))))
    return out


def phrasings(name: str = "phrasings") -> list[tuple[dict[str, Any], Analysis]]:
    """The escalation phrasings (`tests/data/escalation/phrasings.jsonl`, and a second set
    written later, `phrasings-2.jsonl`: five industries, written apart from the term lists,
    hard negatives included), each with its verdict."""
    return _by_industry(ROOT / "tests" / "data" / "escalation" / f"{name}.jsonl",
                        lambda handle: [handle])


def spam_posts() -> list[tuple[dict[str, Any], Analysis]]:
    """The spam set (`tests/data/spam/posts.jsonl`: 300 posts in five industries, 170 spam in
    every style and 130 hard negatives), each with its verdict."""
    return _by_industry(ROOT / "tests" / "data" / "spam" / "posts.jsonl",
                        lambda handle: [handle, handle.replace("Help", "")
                                        .replace("Support", "")])


def spam_by_set(name: str, model: Any) -> dict[str, float]:
    """Spam recall and precision of the whole analysis on one labelled set (as named in
    `bench.spam_model`), with `model` as its spam model (None: the signals alone)."""
    if name.startswith("spam:"):
        path = ROOT / "tests" / "data" / "spam" / f"{name[5:]}.jsonl"
        found = _by_industry(path, lambda handle: [handle, handle.replace("Help", "")
                                                   .replace("Support", "")
                                                   .replace("Care", "")],
                             spam_model=model)
        return spam_figures(found)
    if name == "pack:boundary":
        pairs = [(an, posts) for an, posts in boundary_set()]
    elif name.startswith("stream:"):
        pairs = [stream_set(name[7:])]
    else:
        pairs = [pack_set(name[5:])]
    gold: list[bool] = []
    got: list[bool] = []
    for analyzer, posts in pairs:
        analyzer.spam_model = model
        gold += [p.label["action"] == "spam" for p in posts]
        got += [a.action.value == "spam" for a in analyse(analyzer, posts)]
    tp = sum(g and f for g, f in zip(gold, got, strict=True))
    return {"posts": len(gold), "spam_recall": tp / max(1, sum(gold)),
            "spam_precision": tp / max(1, sum(got))}


def spam_figures(found: Sequence[tuple[dict[str, Any], Analysis]]) -> dict[str, float]:
    """Spam recall and precision on the spam set."""
    gold = [bool(row["spam"]) for row, _ in found]
    got = [a.action.value == "spam" for _, a in found]
    tp = sum(g and f for g, f in zip(gold, got, strict=True))
    return {"posts": len(found), "spam_recall": tp / max(1, sum(gold)),
            "spam_precision": tp / max(1, sum(got))}


def escalation_figures(found: Sequence[tuple[dict[str, Any], Analysis]]) -> dict[str, float]:
    """Precision and recall of each escalation kind, and post-level (any kind right)."""
    out: dict[str, float] = {"posts": len(found)}
    for kind in ("safety", "legal", "security", "vulnerable"):
        gold = [kind in row["escalation"] for row, _ in found]
        got = [any(k.value == kind for k in a.escalation) for _, a in found]
        tp = sum(g and f for g, f in zip(gold, got, strict=True))
        out[f"{kind}_precision"] = tp / sum(got) if any(got) else 1.0
        out[f"{kind}_recall"] = tp / sum(gold) if any(gold) else 1.0
    hit = sum(1 for row, a in found
              if set(row["escalation"]) & {k.value for k in a.escalation})
    out["precision"] = hit / max(1, sum(1 for _, a in found if a.escalation))
    out["recall"] = hit / max(1, sum(1 for row, _ in found if row["escalation"]))
    return out


def analyse(analyzer: Analyzer, posts: Iterable[Labelled]) -> list[Analysis]:
    """The analyzer's verdict on each post."""
    return [analyzer.analyze_post(Post(p.text, p.followers, 0, p.handle, p.display_name,
                                       p.lang)) for p in posts]


def macro_f1(gold: Sequence[str], predicted: Sequence[str],
             classes: Iterable[str] | None = None) -> float:
    """The mean F1 over `classes` (default: every gold class)."""
    scores = []
    for c in sorted(set(classes) if classes is not None else set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p != c)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def figures(posts: Sequence[Labelled], found: Sequence[Analysis]) -> dict[str, float]:
    """Action macro-F1, spam recall, escalation precision and recall (post level, any kind
    right), intent macro-F1 on posts needing a reply, sentiment macro-F1, language accuracy."""
    gold_action = [p.label["action"] for p in posts]
    action = [a.action.value for a in found]
    esc_gold = [set(p.label.get("escalation", [])) for p in posts]
    esc = [{k.value for k in a.escalation} for a in found]
    tp = sum(1 for g, f in zip(esc_gold, esc, strict=True) if g and g & f)
    predicted = sum(1 for f in esc if f)
    actual = sum(1 for g in esc_gold if g)
    reply = [i for i, p in enumerate(posts) if p.label["action"] == "reply"]
    spam = [i for i, g in enumerate(gold_action) if g == "spam"]
    langs = [(p.label.get("lang"), a.lang or "en") for p, a in zip(posts, found, strict=True)
             if p.label.get("lang") not in (None, "und")]
    needs = [i for i, g in enumerate(gold_action) if g == "reply"]
    other = [i for i, g in enumerate(gold_action) if g in ("monitor", "spam")]
    return {
        "posts": len(posts),
        # the share of posts needing a reply that open a case, and of the rest that do
        "case_for_reply": sum(found[i].needs_case for i in needs) / len(needs) if needs else 1.0,
        "case_for_monitor_spam": (sum(found[i].needs_case for i in other) / len(other)
                                  if other else 0.0),
        "action_macro_f1": macro_f1(gold_action, action),
        "action_accuracy": sum(g == a for g, a in zip(gold_action, action, strict=True))
        / len(posts),
        "spam_recall": sum(action[i] == "spam" for i in spam) / len(spam) if spam else 1.0,
        "escalation_precision": tp / predicted if predicted else 1.0,
        "escalation_recall": tp / actual if actual else 1.0,
        "intent_macro_f1": macro_f1([posts[i].label["intent"] for i in reply],
                                    [found[i].intent for i in reply]),
        "sentiment_macro_f1": macro_f1([p.label["sentiment"] for p in posts],
                                       [a.label for a in found]),
        "language_accuracy": sum(g == f for g, f in langs) / len(langs) if langs else 1.0,
    }


def sets() -> dict[str, tuple[Analyzer, list[Labelled]]]:
    """Every labelled set but the held-out stream."""
    out = {f"pack:{name}": pack_set(name) for name in
           ("telecom", "airline", "banking", "retail", "software")}
    for folder in dev_streams():
        out[f"stream:{folder.name}"] = stream_set(folder.name)
    out["demo"] = demo_set()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures per set (and, with --errors, the posts judged wrong)."""
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list the posts judged wrong")
    parser.add_argument("--only", help="one set, e.g. pack:airline or demo")
    parser.add_argument("--holdout", action="store_true",
                        help="measure the held-out bank stream (figures only, never --errors)")
    args = parser.parse_args(argv)
    chosen = sets()
    if args.holdout:
        chosen = {"stream:banking-holdout": stream_set("banking-holdout")}
        args.errors = False
    if not args.holdout and args.only in (None, "escalation"):
        for set_name in ("phrasings", "phrasings-2", "phrasings-3", "phrasings-4", "phrasings-5"):
            found_phrasings = phrasings(set_name)
            print(f"escalation {set_name}: " + ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                for k, v in escalation_figures(found_phrasings).items()))
            if args.errors:
                for row, a in found_phrasings:
                    if set(row["escalation"]) != {k.value for k in a.escalation}:
                        print("   ", f"esc {row['escalation']}->"
                              f"{[k.value for k in a.escalation]}", "|", row["text"][:140])
    if not args.holdout and args.only in (None, "spam"):
        found_spam2 = _by_industry(ROOT / "tests" / "data" / "spam" / "posts-2.jsonl",
                                   lambda handle: [handle, handle.replace("Help", "")
                                                   .replace("Care", "")])
        print("spam set 2: " + ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in spam_figures(found_spam2).items()))
        found_spam = spam_posts()
        print("spam set: " + ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in spam_figures(found_spam).items()))
        if args.errors:
            for row, a in found_spam:
                if row["spam"] != (a.action.value == "spam"):
                    print("   ", f"spam {row['spam']}->{a.action.value}", "|", row["text"][:140])
    if not args.holdout and args.only in (None, "boundary"):
        posts_b: list[Labelled] = []
        found_b: list[Analysis] = []
        for analyzer_b, rows_b in boundary_set():
            posts_b += rows_b
            found_b += analyse(analyzer_b, rows_b)
        print("boundary: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in figures(posts_b, found_b).items()))
        if args.errors:
            for post, a in zip(posts_b, found_b, strict=True):
                if post.label["action"] != a.action.value:
                    print("   ", f"action {post.label['action']}->{a.action.value}", "|",
                          post.text[:140])
    for name, (analyzer, posts) in chosen.items():
        if args.only and name != args.only:
            continue
        found = analyse(analyzer, posts)
        print(name + ": " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                      for k, v in figures(posts, found).items()))
        if args.errors:
            for post, a in zip(posts, found, strict=True):
                lab = post.label
                wrong = [f"action {lab['action']}->{a.action.value}"
                         if lab["action"] != a.action.value else "",
                         f"intent {lab['intent']}->{a.intent}"
                         if lab["action"] == "reply" and lab["intent"] != a.intent else "",
                         f"esc {lab.get('escalation')}->{[k.value for k in a.escalation]}"
                         if set(lab.get("escalation", [])) != {k.value for k in a.escalation}
                         else ""]
                if any(wrong):
                    print("   ", "; ".join(w for w in wrong if w), "|", post.text[:140])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
