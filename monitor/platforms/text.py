"""HTML post bodies (Mastodon statuses, Hacker News comments) turned into plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({
    "p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
})
_HIDDEN = frozenset({"script", "style"})
_EXTRA_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


class _TextExtractor(HTMLParser):
    """Collects text: block elements become paragraphs, <br> a line break, links their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pending = 0
        self._hidden = 0

    def _newlines(self, count: int) -> None:
        self._pending = max(self._pending, count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n" * (self._pending + 1) if self.parts else "\n")
            self._pending = 0
        elif tag in _BLOCKS:
            self._newlines(2)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._newlines(2)

    def handle_data(self, data: str) -> None:
        if self._hidden or not data:
            return
        if self._pending and self.parts:
            self.parts.append("\n" * self._pending)
        self._pending = 0
        self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Plain text of an HTML fragment: paragraphs split by a blank line, entities unescaped."""
    if not markup:
        return ""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = _TRAILING_SPACE.sub("\n", "".join(parser.parts))
    return _EXTRA_BLANK_LINES.sub("\n\n", text).strip()
