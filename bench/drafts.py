"""How well the drafts answer, measured as a person would: a labelled stream goes through the
real `brandbot run --once`, and the drafts come back from `queue list --json`.

    python -m bench.drafts                 every labelled stream, and the demo's rubric
    python -m bench.drafts --show 20       and 20 drafts to read
    python -m bench.drafts --holdout       the held-out bank stream (figures only)

Figures (each the share of drafts or posts it names):
- draft_for_reply: posts needing a reply that got a pending draft or a reply-by-hand case;
- draft_for_spam, draft_for_monitor: spam and monitor posts that got a draft;
- praise_apology: drafts to praise or thanks that apologise;
- dmed_asked_again: drafts to customers who say they already DMed that ask them to DM again;
- protect_step: drafts to fraud or account-security posts that give a protect-yourself step;
- language_match: drafts to Spanish, French, German, Portuguese and Polish posts written in
  the post's language;
- same_text_max: within each intent, the largest share of drafts sharing one text once the
  customer's name is removed (the worst intent with 4 or more drafts).

And the case figures of the judgment issue, from the same run:
- case_for_reply, case_for_monitor_spam: posts needing a reply, and monitor or spam posts
  (other than our own, which join the case they answer), that are on a case;
- incident_share: of the customers' posts labelled as part of the outage that need a reply,
  the share on its largest incident; incident_strays: customers' posts on that incident that
  are not labelled part of it, or need no reply (our_posts_on_incident: our own posts on it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.labelled import dev_streams

ROOT = Path(__file__).resolve().parents[1]
STREAMS = ROOT / "tests" / "data" / "streams"
BRANDBOT = Path(sys.executable).parent / "brandbot"

_APOLOGY = re.compile(r"\b(?:sorry|apolog\w*|lo siento|sentimos|perdón|désolé|navrés|excus\w*|"
                      r"entschuldig\w*|tut uns leid|desculp\w*|lamentamos|przepraszam\w*|"
                      r"przykro)\b", re.IGNORECASE)
_ASKS_DM = re.compile(
    r"\b(?:dm|message|pm|inbox|mp|md|direktnachricht|mensagem|wiadomoś\w*)\s+(?:us|me)\b|"
    r"\b(?:send|drop)\s+us\s+(?:a\s+)?(?:dm|direct message|message|pm)\b|"
    r"\benv[ií]a\w*\s+(?:un\s+)?(?:md|mensaje)|\bécri\w*-nous en (?:mp|message)|"
    r"\bschreib\w* uns (?:eine )?(?:dm|direktnachricht)|\bmand\w* (?:uma )?(?:dm|mensagem)|"
    r"\bnapisz\w* (?:do nas )?(?:dm|wiadomość)", re.IGNORECASE)
_PROTECT = re.compile(
    r"\b(?:freeze|block|lock|change your password|never share|don't share|do not share|"
    r"never ask|congela|bloquea|nunca compart|bloque[zr]|ne partagez|sperr|teile niemals|"
    r"bloqueie|nunca partilh|nunca compartilh|zablokuj|nie udostępniaj|zmień hasło)\w*",
    re.IGNORECASE)
_WORDS = {
    "es": re.compile(r"\b(?:hola|gracias|lo sentimos|sentimos|te|tu|con|para|por)\b", re.I),
    "fr": re.compile(r"\b(?:bonjour|merci|désolés?|nous|vous|votre|pour|avec)\b", re.I),
    "de": re.compile(r"\b(?:hallo|danke|leid|wir|uns|dir|dich|ihnen|deine?n?|für|mit)\b", re.I),
    "pt": re.compile(r"\b(?:olá|oi|obrigad[oa]|desculp\w*|você|seu|sua|para|com|nos)\b", re.I),
    "pl": re.compile(r"\b(?:cześć|dzień dobry|dziękujemy|przepraszamy|nam|nas|twoj\w*|prosimy)\b",
                     re.I),
}
SECURITY_INTENTS = {"fraud", "account_access", "data_privacy"}


def _cli(config: Path, env: dict[str, str], *args: str) -> str:
    """The real `brandbot` command's output; RuntimeError when it fails."""
    done = subprocess.run([str(BRANDBOT), "--config", str(config), *args],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"brandbot {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


def run_stream(folder: Path, *, acknowledge: str = "none") -> tuple[list[dict[str, Any]],
                                                                    list[dict[str, Any]],
                                                                    list[dict[str, Any]],
                                                                    list[dict[str, Any]],
                                                                    list[dict[str, Any]]]:
    """The stream's posts and labels, and the drafts, cases and stored mentions `run --once`
    made of them."""
    brand_toml = (folder / "brand.toml").read_text(encoding="utf-8")
    posts = [json.loads(line) for line in (folder / "stream.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line) for line in (folder / "labels.jsonl").open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "brand.toml"
        config.write_text(
            brand_toml + f'\n[[sources]]\nname = "stream"\nplatform = "replay"\n'
            f'path = "{folder / "stream.jsonl"}"\npage_size = 50\n\n'
            f'[voice]\ntone = "friendly"\nsign_off = "^Sam"\n\n'
            f'[triage]\nacknowledge = "{acknowledge}"\n\n'
            f'[storage]\nurl = "sqlite:///{Path(tmp) / "b.db"}"\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "BRANDBOT_STORAGE_URL"}
        _cli(config, env, "run", "--once", "--no-web")
        drafts = json.loads(_cli(config, env, "queue", "list", "--json", "--limit", "100000"))
        cases = json.loads(_cli(config, env, "cases", "list", "--json", "--limit", "100000"))
        mentions = [json.loads(line) for line in
                    _cli(config, env, "export", "--what", "mentions", "--format", "jsonl")
                    .splitlines() if line.strip()]
    return posts, labels, drafts, cases, mentions


def own_handles(folder: Path) -> frozenset[str]:
    """The brand's own handles in a labelled stream's brand.toml, lower case."""
    brand = tomllib.loads((folder / "brand.toml").read_text(encoding="utf-8"))["brand"]
    return frozenset(h.lower().lstrip("@") for hs in brand.get("handles", {}).values()
                     for h in hs)


def case_figures(posts: Sequence[dict[str, Any]], labels: Sequence[dict[str, Any]],
                 cases: Sequence[dict[str, Any]], mentions: Sequence[dict[str, Any]], *,
                 own: frozenset[str] = frozenset()) -> dict[str, float]:
    """Which posts are on a case, and how well the outage incident gathered its own (`own`:
    the brand's handles, whose posts are counted apart)."""
    case_of = {f"{m['platform']}:{m['native_id']}": m.get("case_id") for m in mentions}
    kind_of = {c["id"]: c["kind"] for c in cases}
    ours = {f"{p['platform']}:{p['id']}" for p in posts
            if p["author"].lower().lstrip("@") in own}
    keyed = [(f"{p['platform']}:{p['id']}", lab) for p, lab in zip(posts, labels, strict=True)
             if f"{p['platform']}:{p['id']}" not in ours]
    need = [k for k, lab in keyed if lab["action"] == "reply"]
    quiet = [k for k, lab in keyed if lab["action"] in ("monitor", "spam")]
    affected = [k for k, lab in keyed if lab.get("incident") and lab["action"] == "reply"]
    on_incident = Counter(case_of.get(k) for k in affected
                          if kind_of.get(case_of.get(k)) == "incident")
    largest, share = None, 0.0
    if on_incident:
        largest, count = on_incident.most_common(1)[0]
        share = count / len(affected)
    strays = sum(1 for k, lab in keyed if largest is not None and case_of.get(k) == largest
                 and not (lab.get("incident") and lab["action"] == "reply"))
    our_posts = sum(1 for k in ours if largest is not None and case_of.get(k) == largest)
    return {
        "case_for_reply": sum(case_of.get(k) is not None for k in need) / max(1, len(need)),
        "case_for_monitor_spam": sum(case_of.get(k) is not None for k in quiet)
        / max(1, len(quiet)),
        "incident_share": share,
        "incident_strays": float(strays),
        "our_posts_on_incident": float(our_posts),
    }


_SAFETY_STEP = re.compile(r"\b(?:999|112|911|emergenc\w*|secours|notruf|keep (?:everyone |yourself "
                          r"|others )?(?:clear|away)|stop using|don't (?:touch|use)|switch it off)",
                          re.IGNORECASE)


def rubric(label: dict[str, Any], draft: dict[str, Any]) -> list[str]:
    """The rules of a good draft this one breaks, for a post labelled `label`: no draft for
    monitor or spam, no apology to praise, no request to DM for someone who already did, the
    safety step first for a safety risk, and the post's language."""
    text = draft["text"]
    broken = []
    if label["action"] in ("monitor", "spam"):
        broken.append(f"a draft for a {label['action']} post")
    if label["action"] == "acknowledge" and _APOLOGY.search(text):
        broken.append("apologises to praise")
    if label.get("already_dmed") and _ASKS_DM.search(text):
        broken.append("asks someone who DMed to DM again")
    if "safety" in label.get("escalation", []):
        step = _SAFETY_STEP.search(text)
        dm = _ASKS_DM.search(text)
        if step is None or (dm is not None and dm.start() < step.start()):
            broken.append("the safety step is not first")
    lang = label.get("lang")
    if lang in _WORDS and (draft.get("language") != lang or not _WORDS[lang].search(text)):
        broken.append(f"not in the post's language ({lang})")
    return broken


def run_demo() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The demo's posts and annotations, and the drafts `run --once` makes of them."""
    samples = ROOT / "config" / "samples"
    posts = [json.loads(line) for line in (samples / "demo-mentions.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line)
              for line in (samples / "demo-annotations.jsonl").open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "BRANDBOT_STORAGE_URL": f"sqlite:///{Path(tmp) / 'demo.db'}"}
        config = ROOT / "config" / "demo.toml"
        _cli(config, env, "run", "--once", "--no-web")
        drafts = json.loads(_cli(config, env, "queue", "list", "--json", "--limit", "100000"))
    return posts, labels, drafts


def demo_rubric() -> tuple[int, list[tuple[dict[str, Any], dict[str, Any], list[str]]]]:
    """How many demo drafts there are, and those that break a rule of the rubric."""
    posts, labels, drafts = run_demo()
    label_of = {f"{p['platform']}:{p['id']}": (p, lab)
                for p, lab in zip(posts, labels, strict=True)}
    failing = []
    for d in drafts:
        post, lab = label_of[d["mention_id"]]
        broken = rubric(lab, d)
        if broken:
            failing.append((post, d, broken))
    return len(drafts), failing


def figures(posts: Sequence[dict[str, Any]], labels: Sequence[dict[str, Any]],
            drafts: Sequence[dict[str, Any]], cases: Sequence[dict[str, Any]]
            ) -> tuple[dict[str, float], list[tuple[dict[str, Any], dict[str, Any], str]]]:
    """The figures (see the module docstring) and each draft with its post and label."""
    label_of = {f"{p['platform']}:{p['id']}": (p, lab)
                for p, lab in zip(posts, labels, strict=True)}
    by_hand_authors = {c["author"] for c in cases if c.get("reply_by_hand")}
    drafted: dict[str, dict[str, Any]] = {}
    for d in drafts:
        drafted[d["mention_id"]] = d
    # a case's pending draft answers its author's newest post, so every post of theirs that
    # needs a reply is answered by it
    drafted_authors = {d["author"] for d in drafts}
    rows = []
    for d in drafts:
        if d["mention_id"] in label_of:
            post, lab = label_of[d["mention_id"]]
            rows.append((post, lab, d))

    def answered(key: str, post: dict[str, Any]) -> bool:
        if key in drafted or post["author"] in drafted_authors:
            return True
        return post["platform"] == "hackernews" and post["author"] in by_hand_authors

    need = [(k, p) for k, (p, lab) in label_of.items() if lab["action"] == "reply"]
    spam = [k for k, (p, lab) in label_of.items() if lab["action"] == "spam"]
    monitor = [k for k, (p, lab) in label_of.items() if lab["action"] == "monitor"]
    praise = [d for p, lab, d in rows if lab["action"] == "acknowledge"]
    dmed = [d for p, lab, d in rows if lab.get("already_dmed")]
    security = [d for p, lab, d in rows
                if lab.get("intent") in SECURITY_INTENTS or "security" in lab.get("escalation", [])]
    foreign = [(lab["lang"], d) for p, lab, d in rows if lab.get("lang") in _WORDS]
    same = 0.0
    by_intent: dict[str, list[str]] = defaultdict(list)
    for _, _, d in rows:
        name = (d.get("author_name") or d["author"] or "").split()[0] if (
            d.get("author_name") or d["author"]) else ""
        by_intent[d["intent"]].append(d["text"].replace(name, "NAME") if name else d["text"])
    for texts in by_intent.values():
        if len(texts) >= 4:
            same = max(same, Counter(texts).most_common(1)[0][1] / len(texts))
    out = {
        "drafts": float(len(drafts)),
        "draft_for_reply": sum(answered(k, p) for k, p in need) / max(1, len(need)),
        "draft_for_spam": sum(k in drafted for k in spam) / max(1, len(spam)),
        "draft_for_monitor": sum(k in drafted for k in monitor) / max(1, len(monitor)),
        "praise_apology": sum(bool(_APOLOGY.search(d["text"])) for d in praise)
        / max(1, len(praise)),
        "dmed_asked_again": sum(bool(_ASKS_DM.search(d["text"])) for d in dmed)
        / max(1, len(dmed)),
        "protect_step": sum(bool(_PROTECT.search(d["text"])) for d in security)
        / max(1, len(security)),
        "language_match": sum(bool(_WORDS[lang].search(d["text"])) and d.get("language") == lang
                              for lang, d in foreign) / max(1, len(foreign)),
        "same_text_max": same,
    }
    return out, [(p, d, lab["action"]) for p, lab, d in rows]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures per stream, and with --show some drafts to read."""
    parser = argparse.ArgumentParser(prog="python -m bench.drafts", description=__doc__)
    parser.add_argument("--show", type=int, default=0, help="print this many drafts per set")
    parser.add_argument("--holdout", action="store_true",
                        help="the held-out bank stream (figures only)")
    args = parser.parse_args(argv)
    names = ["banking-holdout"] if args.holdout else [f.name for f in dev_streams()]
    if not args.holdout:
        total, failing = demo_rubric()
        print(f"demo: drafts {total}, pass the rubric {1 - len(failing) / max(1, total):.3f}")
        for post, draft, broken in failing[:args.show]:
            print("   ", "; ".join(broken), "|", post["text"][:120].replace("\n", " "))
            print("    DRAFT", draft["text"])
    for name in names:
        posts, labels, drafts, cases, mentions = run_stream(STREAMS / name)
        got, rows = figures(posts, labels, drafts, cases)
        got.update(case_figures(posts, labels, cases, mentions, own=own_handles(STREAMS / name)))
        print(f"stream:{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in got.items()))
        if args.show and not args.holdout:
            for post, draft, _ in rows[:args.show]:
                print("   POST ", post["text"][:160].replace("\n", " "))
                print("   DRAFT", draft["text"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
