"""What a reply may say about a post and its case: facts taken out of the text, never the text.

A template sees short, checked values: an amount of money ("£25"), a date ("26 October",
"Monday"), a reference the customer gave (an order or booking number, masked when it looks
like a card or account number), a place ("the Leeds branch"), a product ("Hub 3") and the
issue, a phrase chosen from the reply language's list for the intent ("the double payment")
with the words that chose it. Each is found by a strict pattern, so nothing the customer
wrote reaches a reply except these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.analysis.contacted import already_dmed
from monitor.analysis.terms import Lexicon

_AMOUNT = re.compile(r"(?<![\w.])([£$€])\s?(\d{1,3}(?:,\d{3})+|\d{1,7})(?:\.(\d{2}))?(?![\d,])"
                     r"|(?<![\w.])(\d{1,7})(?:[.,](\d{2}))?\s?(€|euros?|zł|pln|eur)\b",
                     re.IGNORECASE)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DATE = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MONTH + r")\b"
    r"|\b(" + _MONTH + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(?:since|on|last)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE)
# An order, booking, case or ticket reference as people write them: "order MC-4479011",
# "ref ABC123", "booking XK4P2Q", "#48213".
_REFERENCE = re.compile(
    r"\b(?:order|booking|ref(?:erence)?|case|ticket|claim|complaint|tracking|pnr|confirmation)"
    r"(?:\s+(?:no\.?|number|num|#|ref|code))?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{4,19})\b"
    r"|(?<![\w#])#([0-9]{4,12})\b"
    r"|\b([A-Z]{2,4}-\d{4,12})\b"
    # a service request or complaint number written as letters and digits: "SR88410273"
    r"|\b((?-i:[A-Z]{2,4}\d{6,12}))\b",
    re.IGNORECASE)
_LONG_DIGITS = re.compile(r"^\d[\d -]{7,}\d$")
_PLACE = re.compile(
    r"\b(?:in|at|from|outside)\s+(?:the\s+|your\s+|our\s+)?([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)\s+"
    r"(branch|store|shop|office|airport|station|depot|exchange)\b"
    r"|\b(?:your|the)\s+(branch|store|shop)\s+(?:in|on|at)\s+([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)\b")
# A product as brands name them: a capitalised name with a model number ("Hub 3",
# "Fibre 500", "Pixel 8 Pro").
_PRODUCT = re.compile(r"\b([A-Z][a-zA-Z]{1,15}(?:\s[A-Z][a-zA-Z]{1,15})?\s\d{1,4}"
                      r"(?:\s?(?:Pro|Plus|Max|Mini|Lite|GB|Mbps|Ultra))?)\b")
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten")


@dataclass(frozen=True, slots=True)
class IssueRule:
    """The issue phrase for an intent when the post has one of `terms`."""

    terms: Lexicon
    phrase: str


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What one post says that a reply may repeat."""

    amount: str = ""
    date: str = ""
    reference: str = ""
    place: str = ""
    product: str = ""
    already_dmed: bool = False
    issue: str = ""
    issue_terms: tuple[str, ...] = field(default_factory=tuple)


def mask(reference: str) -> str:
    """A reference safe to repeat: a long run of digits (a card or account number) keeps
    only its last four."""
    if _LONG_DIGITS.match(reference) and sum(ch.isdigit() for ch in reference) >= 8:
        return "••••" + "".join(ch for ch in reference if ch.isdigit())[-4:]
    return reference


def find_amount(text: str) -> str:
    """The first amount of money, as "£25", "£1,200.50" or "40 €"."""
    match = _AMOUNT.search(text)
    if match is None:
        return ""
    if match.group(1):
        pence = f".{match.group(3)}" if match.group(3) else ""
        return f"{match.group(1)}{match.group(2)}{pence}"
    cents = f",{match.group(5)}" if match.group(5) else ""
    unit = match.group(6).lower()
    unit = {"euro": "€", "euros": "€", "eur": "€", "pln": "zł"}.get(unit, unit)
    return f"{match.group(4)}{cents} {unit}"


def find_date(text: str) -> str:
    """The first date: "26 October", "Monday"."""
    match = _DATE.search(text)
    if match is None:
        return ""
    if match.group(1):
        return f"{int(match.group(1))} {_month(match.group(2))}"
    if match.group(3):
        return f"{int(match.group(4))} {_month(match.group(3))}"
    return match.group(5).capitalize()


def _month(word: str) -> str:
    prefix = word.lower()[:3]
    return next((m.capitalize() for m in _MONTHS if m.startswith(prefix)), word)


def find_reference(text: str) -> str:
    """The first order, booking or case reference, masked if it looks like a card or
    account number."""
    for match in _REFERENCE.finditer(text):
        value = next(g for g in match.groups() if g)
        if any(ch.isdigit() for ch in value):
            return mask(value.upper() if not value.isdigit() else value)
    return ""


def find_place(text: str) -> str:
    """A named branch, store or airport: "the Leeds branch"."""
    match = _PLACE.search(text)
    if match is None:
        return ""
    if match.group(1):
        return f"the {match.group(1)} {match.group(2).lower()}"
    return f"the {match.group(4)} {match.group(3).lower()}"


def find_product(text: str) -> str:
    """A product named with its model number: "Hub 3", "Fibre 500"."""
    match = _PRODUCT.search(text)
    return match.group(1) if match else ""


def by_direct_message(text: str) -> bool:
    """Whether the post speaks of a direct message (else they reached us another way: a
    call, an email, a form)."""
    return _DM_WORDS.search(text) is not None


_DM_WORDS = re.compile(r"\b(?:dm\w*|pm'?e?d|pms?|direct messag\w*|private messag\w*|inbox\w*|"
                       r"messag\w*|md|mp|mensaje|mensagem|nachricht|wiadomoś\w*)\b",
                       re.IGNORECASE)


def choose_issue(text: str, rules: tuple[IssueRule, ...],
                 default: str) -> tuple[str, tuple[str, ...]]:
    """The issue phrase of the first rule whose terms the post has (and those words), else
    the intent's default phrase."""
    for rule in rules:
        found = rule.terms.find(text)
        if found:
            return rule.phrase, tuple(found)
    return default, ()


# they thank us for our DM: the conversation is in DMs already, so a reply never asks for one
# ("thanks for the DM yesterday but the card's still declining"); triage does not count it as
# their contact (it is ours)
_IN_OUR_DMS = re.compile(r"\b(?:thanks|thank you|thx|cheers|ta)\s+for\s+(?:the|your|ur)\s+"
                         r"(?:dms?|direct message)\b", re.IGNORECASE)


def post_facts(text: str, *, rules: tuple[IssueRule, ...] = (), default_issue: str = "",
               analysed_chars: int = 4_000) -> PostFacts:
    """Everything a reply may repeat from one post (read from its first `analysed_chars`)."""
    head = text[:analysed_chars]
    issue, terms = choose_issue(head, rules, default_issue)
    return PostFacts(amount=find_amount(head), date=find_date(head),
                     reference=find_reference(head), place=find_place(head),
                     product=find_product(head),
                     already_dmed=already_dmed(head) or _IN_OUR_DMS.search(head) is not None,
                     issue=issue, issue_terms=terms)


def waited(since: datetime, now: datetime) -> str:
    """How long someone has waited, in words a reply can use: "3 days", "5 hours", ""."""
    gap = now - since
    if gap < timedelta(hours=1):
        return ""
    if gap < timedelta(days=1):
        hours = int(gap.total_seconds() // 3600)
        return "an hour" if hours == 1 else f"{hours} hours"
    days = gap.days
    if days < 14:
        return "a day" if days == 1 else f"{days} days"
    weeks = days // 7
    return f"{weeks} weeks"


def count_word(n: int) -> str:
    """A small count in words ("three"), a larger one in digits."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
