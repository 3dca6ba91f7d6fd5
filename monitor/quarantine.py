"""Poison items: what a bad item becomes (a `Rejected` for the quarantine), and back again.

A post is kept in our own normalised form beside what the platform sent, as ASCII JSON (a lone
surrogate becomes an escape, not an error), so `brandbot quarantine retry` can rebuild it and
put it through the pipeline once the cause is fixed.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.models import Author, Mention, Rejected, iso, parse_iso

# What the source sent for an item that never became a post is kept to this many characters.
RAW_CHARS = 65_536


def describe(exc: BaseException) -> str:
    """An error as one line an operator can read, safe to store (no lone surrogates)."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:2_000]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def raw_rejected(error: str, raw: str, item_id: str | None = None) -> Rejected:
    """An item that never became a post (it would not parse): its text, capped."""
    return Rejected(error=error, item_id=item_id,
                    payload=json.dumps({"raw": raw[:RAW_CHARS]}, ensure_ascii=True))


def mention_rejected(mention: Mention, exc: BaseException) -> Rejected:
    """A post that could not be analysed or stored, with everything needed to retry it."""
    author = mention.author
    form: dict[str, Any] = {
        "platform": mention.platform, "native_id": mention.native_id,
        "author": {"platform": author.platform, "native_id": author.native_id,
                   "handle": author.handle, "display_name": author.display_name,
                   "followers": author.followers},
        "text": mention.text, "created_at": _when(mention), "url": mention.url,
        "lang": mention.lang, "in_reply_to": mention.in_reply_to,
        "conversation_id": mention.conversation_id, "metrics": mention.metrics,
    }
    payload = json.dumps({"mention": form, "raw": mention.raw}, ensure_ascii=True, default=str)
    return Rejected(error=describe(exc), payload=payload, item_id=mention.id)


def _when(mention: Mention) -> str:
    try:
        return iso(mention.created_at) or ""
    except (OverflowError, ValueError):
        return str(mention.created_at)


def mention_from_payload(payload: str) -> Mention | None:
    """The post a quarantined payload holds (None: the item never became one). Raises
    ValueError (or OverflowError) when it still cannot be a post."""
    data = json.loads(payload)
    form = data.get("mention") if isinstance(data, dict) else None
    if not isinstance(form, dict):
        return None
    who = form["author"]
    return Mention(
        platform=form["platform"], native_id=form["native_id"],
        author=Author(platform=who["platform"], native_id=who["native_id"],
                      handle=who["handle"], display_name=who.get("display_name"),
                      followers=who.get("followers")),
        text=form["text"], created_at=parse_iso(form["created_at"]), url=form.get("url"),
        lang=form.get("lang"), in_reply_to=form.get("in_reply_to"),
        conversation_id=form.get("conversation_id"), metrics=form.get("metrics") or {},
        raw=data.get("raw") or {},
    )
