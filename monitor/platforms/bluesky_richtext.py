"""Rich text for a Bluesky post: the @mentions, links and #tags of its text as facets.

Bluesky shows a post's text as plain text except where a facet (app.bsky.richtext.facet) says
otherwise; a facet's index counts UTF-8 bytes, start inclusive, end exclusive. Detection
follows the official client's (@atproto/api `detectFacets`): a mention or tag starts the text
or follows a space (a mention also an opening bracket), trailing punctuation is not part of a
link or tag, and a tag has at most 64 characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FACET = "app.bsky.richtext.facet"
MAX_TAG = 64

_MENTION = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)\b")
_HANDLE = re.compile(r"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
                     r"[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
_URL = re.compile(r"(?:^|(?<=[\s(]))(https?://\S+|[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+\S*)",
                  re.IGNORECASE)
_TAG = re.compile(r"(?:^|(?<=\s))[#\uff03](\S+)")
_INVISIBLE = re.compile("[\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2].*", re.DOTALL)
# bare domains are links only under these top-level domains ("e.g." and "v1.2" are not)
_BARE_TLDS = frozenset(
    "com net org io co uk us ca au de fr es it nl be ch at se no dk fi ie eu pl pt br in jp "
    "app dev info biz me tv ly gg ai social help support".split())


@dataclass(frozen=True, slots=True)
class Span:
    """One stretch of the text to decorate: character offsets and what it is."""

    kind: Literal["mention", "link", "tag"]
    start: int
    end: int
    value: str  # the handle (no @), the full URL, or the tag (no #)


def _strip_punctuation(text: str) -> str:
    end = len(text)
    while end and unicodedata.category(text[end - 1]).startswith("P"):
        end -= 1
    return text[:end]


def _links(text: str) -> list[Span]:
    found = []
    for match in _URL.finditer(text):
        url = match.group(1)
        # ".,;:!?" ending a sentence, or the closing bracket of "(see x.com)"
        url = re.sub(r"[.,;:!?\"']+$", "", url)
        if url.endswith(")") and "(" not in url:
            url = re.sub(r"[.,;:!?\"']+$", "", url[:-1])
        if not url.lower().startswith(("http://", "https://")):
            host = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            if host.rsplit(".", 1)[-1].lower() not in _BARE_TLDS:
                continue
            uri = "https://" + url
        else:
            uri = url
            if len(url) <= len("https://"):
                continue
        found.append(Span("link", match.start(1), match.start(1) + len(url), uri))
    return found


def _mentions(text: str) -> list[Span]:
    found = []
    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".-")
        if len(handle) <= 253 and _HANDLE.fullmatch(handle):
            start = match.start()
            found.append(Span("mention", start, start + 1 + len(handle), handle.lower()))
    return found


def _tags(text: str) -> list[Span]:
    found = []
    for match in _TAG.finditer(text):
        tag = _strip_punctuation(_INVISIBLE.sub("", match.group(1)))
        if (not tag or tag.startswith("\ufe0f") or len(tag) > MAX_TAG
                or all(c.isdigit() or unicodedata.category(c).startswith("P") for c in tag)):
            continue
        start = match.start()
        found.append(Span("tag", start, start + 1 + len(tag), tag))
    return found


def detect(text: str) -> list[Span]:
    """The mentions, links and tags of `text`, in text order, none overlapping (links win:
    an @ or # inside a URL is part of the URL)."""
    chosen: list[Span] = []
    for span in [*_links(text), *_mentions(text), *_tags(text)]:
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def facets(text: str, spans: list[Span], dids: Mapping[str, str]) -> list[dict[str, Any]]:
    """The post record's `facets` for `spans` of `text`; a mention whose handle has no DID in
    `dids` (it did not resolve) gets none, and stays plain text."""
    out = []
    for span in spans:
        if span.kind == "mention":
            did = dids.get(span.value)
            if did is None:
                continue
            feature: dict[str, str] = {"$type": f"{FACET}#mention", "did": did}
        elif span.kind == "link":
            feature = {"$type": f"{FACET}#link", "uri": span.value}
        else:
            feature = {"$type": f"{FACET}#tag", "tag": span.value}
        out.append({
            "index": {"byteStart": _byte_offset(text, span.start),
                      "byteEnd": _byte_offset(text, span.end)},
            "features": [feature],
        })
    return out
