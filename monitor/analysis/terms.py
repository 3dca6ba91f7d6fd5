"""Term lists as people write them, compiled once: the brand's own terms and the lexicons of
packs and escalation kinds.

A term is a word or phrase matched case-insensitively on word boundaries; `*` at the end of a
word matches any ending ("refund*" finds "refunded"), and spaces match any run of spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


def term_regex(term: str) -> str:
    """The regular expression for one term (see the module docstring)."""
    words = []
    for word in term.strip().split():
        wild = word.endswith("*")
        body = re.escape(word.rstrip("*"))
        words.append(body + (r"\w*" if wild else ""))
    return r"\s+".join(words)


class Lexicon:
    """Finds which of a list of terms a text contains, and reports them as written."""

    def __init__(self, terms: Iterable[str]) -> None:
        # Longest first: at one position the regex takes the first alternative that matches,
        # so "bag never arrived" must be tried before "bag".
        self.terms = tuple(sorted(dict.fromkeys(t for t in terms if t.strip()),
                                  key=lambda t: -len(t)))
        if self.terms:
            self._re: re.Pattern[str] | None = re.compile(
                "|".join(f"(?P<t{i}>(?<![\\w@#]){term_regex(t)}(?!\\w))"
                         for i, t in enumerate(self.terms)), re.IGNORECASE)
        else:
            self._re = None

    def __bool__(self) -> bool:
        return self._re is not None

    def find(self, text: str) -> list[str]:
        """The words of the text that matched, one per distinct term, in the order they
        first appear (lower-cased: "Solicitors" for the term "solicitor*" is "solicitors")."""
        if self._re is None:
            return []
        found: dict[str, str] = {}
        for match in self._re.finditer(text):
            found.setdefault(match.lastgroup, " ".join(match[0].lower().split()))  # type: ignore[arg-type]
        return list(found.values())

    def search(self, text: str) -> str | None:
        """The first term present, or None."""
        if self._re is None:
            return None
        match = self._re.search(text)
        return self.terms[int(match.lastgroup[1:])] if match else None  # type: ignore[index]


@dataclass(frozen=True, slots=True)
class BrandTerms:
    """The brand's vocabulary, compiled once: what we listen for and what addresses us."""

    name: str = ""
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    competitors: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def matcher(self) -> TermMatcher:
        """Compile these terms into a matcher."""
        return TermMatcher(self)


def _term_pattern(term: str) -> str:
    escaped = re.escape(term.lstrip("@#"))
    if term.startswith("#"):
        return r"#" + escaped
    if term.startswith("@"):
        return r"@" + escaped
    return escaped


class TermMatcher:
    """Finds the brand's keywords, hashtags, handles, competitors and exclusions in text."""

    def __init__(self, terms: BrandTerms) -> None:
        self.terms = terms
        labelled: list[tuple[str, str]] = []
        labelled += [(k.lower(), _term_pattern(k)) for k in terms.keywords]
        labelled += [("#" + h.lower(), "#" + re.escape(h)) for h in terms.hashtags]
        labelled += [("@" + h.lower(), "@" + re.escape(h)) for h in terms.handles]
        for name, words in terms.competitors:
            labelled += [(f"competitor:{name}", _term_pattern(w)) for w in words]
        self._labels = [label for label, _ in labelled]
        self._re = re.compile(
            "|".join(f"(?P<t{i}>(?<![\\w]){p}(?!\\w))" for i, (_, p) in enumerate(labelled))
            or r"(?!x)x",
            re.IGNORECASE,
        )
        self._handles = re.compile(
            "|".join(r"@" + re.escape(h) + r"(?![\w.])" for h in terms.handles) or r"(?!x)x",
            re.IGNORECASE,
        )
        self._exclude = re.compile(
            "|".join(r"(?<!\w)" + re.escape(e) + r"(?!\w)" for e in terms.exclude)
            or r"(?!x)x",
            re.IGNORECASE,
        )
        self.own_handles = frozenset(h.lower().lstrip("@") for h in terms.handles)

    def matched(self, text: str) -> tuple[str, ...]:
        """The distinct labels of the terms present, in first-seen order."""
        found: dict[str, None] = {}
        for match in self._re.finditer(text):
            found[self._labels[int(match.lastgroup[1:])]] = None  # type: ignore[index]
        return tuple(found)

    def addresses_brand(self, text: str) -> bool:
        """Whether the post @-mentions one of the brand's handles."""
        return self._handles.search(text) is not None

    def excluded(self, text: str) -> bool:
        """Whether the post matches an exclusion (e.g. an unrelated namesake)."""
        return self._exclude.search(text) is not None

    def is_own(self, handle: str | None) -> bool:
        """Whether a handle is one of the brand's own accounts."""
        return handle is not None and handle.lower().lstrip("@") in self.own_handles
