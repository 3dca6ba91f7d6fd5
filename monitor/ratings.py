"""A customer's satisfaction rating, read from their reply to our CSAT question."""

from __future__ import annotations

import re

_RATING_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_RATING = re.compile(
    # (not an ordinal: "went through on the 3rd try")
    r"(?<![\d.,£$€])\b([1-5])\s*(?:/\s*5|out of (?:5|five)|stars?|\*)?(?![\d.,:%])(?![^\W\d_])"
    r"(?!\s*(?:min|minute|hour|hr|day|week|month|year|time|x|gb|mb|mbps|am|pm)s?\b)",
    re.IGNORECASE,
)
_RATING_WORD = re.compile(r"\b(one|two|three|four|five)\s*(?:/\s*5|out of (?:5|five)|stars?)",
                          re.IGNORECASE)


def parse_rating(text: str) -> int | None:
    """A 1-5 satisfaction rating in a customer's reply ("5", "4/5", "3 stars", "★★★★"), if any.

    Numbers that are clearly something else (times, money, speeds) are not ratings; a reply
    with two different candidate numbers is ambiguous and gives None.
    """
    stars = text.count("★") or text.count("⭐")
    if 1 <= stars <= 5:
        return stars
    body = re.sub(r"@\S+", " ", text)
    # a bare number is a rating only in a short answer ("5", "100 Mbps now, 5"); in a longer
    # post it is a count ("5 working days and still no refund")
    short = len(body.strip()) <= 60
    found = {int(m[1]) for m in _RATING.finditer(body)
             if short or re.search(r"/|out of|star|\*", m[0], re.IGNORECASE)}
    found |= {_RATING_WORDS[m[1].lower()] for m in _RATING_WORD.finditer(body)}
    return found.pop() if len(found) == 1 else None
