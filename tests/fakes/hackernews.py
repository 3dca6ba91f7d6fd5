"""Fake Hacker News search (hn.algolia.com/api/v1): search_by_date, search and items."""

from __future__ import annotations

import html
import itertools
import math
import operator
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .common import (
    FakeServer,
    RateSnapshot,
    clamp_int,
    json_response,
    main,
    reason,
    sample,
    to_datetime,
)

PAGINATION_LIMIT = 1000
NUMERIC = re.compile(r"^\s*(\w+)\s*(<=|>=|!=|<|>|=)\s*(-?\d+(?:\.\d+)?)\s*$")
COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}


def hn_escape(text: str) -> str:
    """HN's HTML: escaped entities (&#x27; &#x2F; ...) and <p> between paragraphs."""
    escaped = html.escape(text, quote=True).replace("/", "&#x2F;")
    return "<p>".join(escaped.split("\n\n"))


_QUERY_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_WORD = re.compile(r"\w+")


def algolia_matches(query: str, text: str) -> bool:
    """Algolia's matching as HN's index has it (queryType prefixLast, advanced syntax): each
    query word must be a whole word of the text, except the last, which may begin one ("acme"
    finds "acmeville"); a "quoted phrase" is consecutive words; -word excludes."""
    words = [w.lower() for w in _WORD.findall(text)]
    wanted: list[tuple[list[str], bool]] = []  # (words, prefix last?) to find
    unwanted: list[list[str]] = []
    for raw in _QUERY_TOKEN.findall(query):
        negated = raw.startswith("-") and len(raw) > 1
        body = raw[1:] if negated else raw
        parts = [w.lower() for w in _WORD.findall(body)]
        if not parts:
            continue
        if negated:
            unwanted.append(parts)
        else:
            wanted.append((parts, not body.startswith('"')))
    if wanted:  # only the query's last word is a prefix
        wanted = [(parts, False) for parts, _ in wanted[:-1]] + [wanted[-1]]

    def found(parts: list[str], prefix: bool) -> bool:
        for start in range(len(words) - len(parts) + 1):
            here = words[start:start + len(parts)]
            if here[:-1] == parts[:-1] and (here[-1] == parts[-1] or (
                    prefix and here[-1].startswith(parts[-1]))):
                return True
        return False

    return all(found(parts, prefix) for parts, prefix in wanted) and not any(
        found(parts, False) for parts in unwanted)


def _tag_groups(tags: str) -> list[set[str]]:
    """Algolia tags: commas AND, parenthesised groups OR: `story,(author_a,author_b)`."""
    groups, depth, current = [], 0, ""
    for char in tags + ",":
        if char == "," and depth == 0:
            if current.strip():
                groups.append({t.strip() for t in current.strip("()").split(",") if t.strip()})
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    return groups


class FakeHackerNews(FakeServer):
    """The Algolia HN API: no auth, no writes, no rate-limit headers (10k requests/hour/IP)."""

    name = "hackernews"
    default_rate_limit = 10000
    rate_window_seconds = 3600

    def __init__(self, *, rate_limit: int | None = None) -> None:
        super().__init__(rate_limit=rate_limit)
        self.items: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(40_000_000)

    def add_post(
        self,
        native_id: str | None,
        author: str,
        text: str,
        created_at: datetime | str | float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a comment, or a story when `title=` (or `kind="story"`) is given."""
        kind = extra.pop("kind", "story" if "title" in extra else "comment")
        created = to_datetime(created_at)
        object_id = str(native_id or next(self._ids))
        hit = sample("hackernews_comment_hit.json")
        hit.update(
            {
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "created_at_i": int(created.timestamp()),
                "author": author,
                "objectID": object_id,
                "updated_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        if kind == "story":
            hit.update(
                {
                    "title": extra.pop("title", text[:80]),
                    "url": extra.pop("url", None),
                    "story_text": hn_escape(text) if text else None,
                    "comment_text": None,
                    "points": 1,
                    "num_comments": 0,
                    "story_id": int(object_id),
                    "parent_id": None,
                    "story_title": None,
                    "story_url": None,
                }
            )
        else:
            story_id = int(extra.pop("story_id", 1))
            story = self.items.get(str(story_id), {})
            story = story if story.get("_tags", [""])[0] == "story" else {}
            hit.update(
                {
                    "comment_text": hn_escape(text),
                    "story_id": story_id,
                    "parent_id": int(extra.pop("parent_id", story_id)),
                    "story_title": story.get("title"),
                    "story_url": story.get("url"),
                }
            )
            if story:
                story["num_comments"] += 1
        hit["_tags"] = [kind, f"author_{author}", f"story_{hit['story_id']}"]
        hit["_highlightResult"] = {}
        hit.update(extra)
        self.items[object_id] = hit
        return hit

    def add_routes(self, app: web.Application) -> None:
        """Register the search endpoints."""
        app.router.add_get("/api/v1/search_by_date", self.search_by_date)
        app.router.add_get("/api/v1/search", self.search)
        app.router.add_get("/api/v1/items/{id}", self.item)

    def too_many_requests(self, snap: RateSnapshot) -> web.Response:
        """Algolia's 429 body (HN search sends no rate-limit headers)."""
        return json_response({"message": "Too many requests", "status": 429}, 429)

    def error(self, status: int) -> web.Response:
        """Algolia's {"message", "status"} error body."""
        return json_response({"message": reason(status), "status": status}, status)

    async def search_by_date(self, request: web.Request) -> web.Response:
        """GET /api/v1/search_by_date: newest first."""
        return self._search(request, key=lambda h: (h["created_at_i"], int(h["objectID"])))

    async def search(self, request: web.Request) -> web.Response:
        """GET /api/v1/search: by points, then newest."""
        return self._search(request, key=lambda h: (h.get("points") or 0, h["created_at_i"]))

    def _search(self, request: web.Request, key: Any) -> web.Response:
        params = request.query
        per_page = params.get("hitsPerPage", "20")
        if not per_page.isdigit() or int(per_page) > 1000:
            message = "hitsPerPage must be an integer between 0 and 1000"
            return json_response({"message": message, "status": 400}, 400)
        filters = []
        for condition in filter(None, params.get("numericFilters", "").split(",")):
            match = NUMERIC.match(condition)
            if match is None:
                message = f"Invalid syntax for numeric condition:{condition}"
                return json_response({"message": message, "status": 400}, 400)
            filters.append((match[1], COMPARE[match[2]], float(match[3])))
        hits = self._matching(params, filters)
        hits.sort(key=key, reverse=True)
        size = int(per_page)
        page = clamp_int(params.get("page"), 0, 0, 10**6)
        reachable = min(len(hits), PAGINATION_LIMIT)
        pages = math.ceil(reachable / size) if size else 0
        shown = hits[page * size : min((page + 1) * size, reachable)] if page < pages else []
        envelope = sample("hackernews_envelope.json")
        envelope.update(
            {
                "hits": shown,
                "nbHits": len(hits),
                "page": page,
                "nbPages": pages,
                "hitsPerPage": size,
                "exhaustiveNbHits": True,
                "exhaustiveTypo": True,
                "exhaustive": {"nbHits": True, "typo": True},
                "query": params.get("query", ""),
                "params": urlencode(sorted(params.items())),
                "processingTimeMS": 1,
                "serverTimeMS": 2,
            }
        )
        return json_response(envelope)

    def _matching(self, params: Any, filters: list[tuple[str, Any, float]]) -> list[dict[str, Any]]:
        query = params.get("query", "")
        groups = _tag_groups(params.get("tags", ""))
        found = []
        for hit in self.items.values():
            tags = set(hit["_tags"])
            if not all(group & tags for group in groups):
                continue
            if not all(
                hit.get(name) is not None and compare(hit[name], value)
                for name, compare, value in filters
            ):
                continue
            fields = (
                hit.get(k) or "" for k in ("title", "story_text", "comment_text", "url", "author")
            )
            if algolia_matches(query, html.unescape(" ".join(fields).replace("&#x2F;", "/"))):
                found.append(hit)
        return found

    async def item(self, request: web.Request) -> web.Response:
        """GET /api/v1/items/{id}: the item with nested children."""
        if request.match_info["id"] not in self.items:
            return json_response({"status": 404, "error": "Not Found"}, 404)
        return json_response(self._item(self.items[request.match_info["id"]]))

    def _item(self, hit: dict[str, Any]) -> dict[str, Any]:
        kind = hit["_tags"][0]
        children = sorted(
            (
                h
                for h in self.items.values()
                if h is not hit and h.get("parent_id") == int(hit["objectID"])
            ),
            key=lambda h: h["created_at_i"],
        )
        return {
            "id": int(hit["objectID"]),
            "created_at": hit["created_at"],
            "created_at_i": hit["created_at_i"],
            "type": kind,
            "author": hit["author"],
            "title": hit.get("title"),
            "url": hit.get("url"),
            "text": hit.get("comment_text") if kind == "comment" else hit.get("story_text"),
            "points": hit.get("points"),
            "parent_id": hit.get("parent_id"),
            "story_id": hit.get("story_id"),
            "options": [],
            "children": [self._item(child) for child in children],
        }


if __name__ == "__main__":
    main(FakeHackerNews)
