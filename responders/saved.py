"""Saved replies that learn: a person's approved wording, kept for an intent, and offered again
as a candidate for similar posts with the new customer's name and facts filled in.

When a reply is approved with "save", its text becomes a template: the customer's first name
becomes `{{ name }}`, and the amount, reference, date, place and product the post gave become
`{{ amount }}` and so on. Only those placeholders are ever filled (plain replacement, no
template language), and a saved reply is offered only for a post of the same intent and
language that has every fact it needs, nearest first by the words the posts share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PLACEHOLDERS = ("name", "issue", "amount", "reference", "date", "place", "product")
_PLACEHOLDER = re.compile(r"\{\{\s*(" + "|".join(PLACEHOLDERS) + r")\s*\}\}")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOP = frozenset("""the and for you your our are was were have has had this that with from
not but can will would just about what when why how who all any been being did does don't
dont its it's i'm ive i've im they them their there here then than too very really still
again please thanks thank hi hey hello""".split())
# how alike two posts' words must be for a saved reply to be offered
NEAR_ENOUGH = 0.12


def words_of(text: str) -> list[str]:
    """A post's content words, lower-cased, once each, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text[:4_000].lower()):
        if word not in _STOP and not word.startswith(("http", "www")):
            seen.setdefault(word, None)
    return list(seen)


def template_from(text: str, *, name: str, facts: Mapping[str, Any]) -> str:
    """An approved reply as a saved reply: the name and the post's facts as placeholders."""
    out = text
    for key in ("reference", "amount", "date", "place", "product"):
        value = str(facts.get(key) or "")
        if len(value) >= 2 and value in out:
            out = out.replace(value, "{{ " + key + " }}")
    if name and len(name) >= 2:
        out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "{{ name }}", out)
    return out


def fill(template: str, values: Mapping[str, Any]) -> str | None:
    """A saved reply for this post, or None when it needs a fact the post does not give."""
    needed = set(_PLACEHOLDER.findall(template))
    if any(not str(values.get(key) or "").strip() for key in needed):
        return None
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """How many words two posts share, over all their words (Jaccard)."""
    left, right = set(a), set(b)
    return len(left & right) / len(left | right) if left and right else 0.0


def nearest(saved: Sequence[Mapping[str, Any]], *, intent: str, language: str,
            words: Sequence[str]) -> list[tuple[float, Mapping[str, Any]]]:
    """The saved replies for this intent and language, nearest first, near enough only."""
    scored = [(similarity(words, s.get("words") or ()), s) for s in saved
              if s["intent"] == intent and (s.get("language") or "en") == language]
    return sorted(((score, s) for score, s in scored if score >= NEAR_ENOUGH),
                  key=lambda pair: (-pair[0], -int(pair[1]["id"])))
