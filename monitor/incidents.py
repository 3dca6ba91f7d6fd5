"""Outages told by customers and by us: the words that say an incident is going on, over, or
not over for someone, and the cluster of reports that opens one. The planner (`cases.py`)
decides with these which posts an incident gathers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_FIX = re.compile(
    # (not a "Fixed Rate ISA", a "fixed-to-variable" roll-off)
    r"\b(?:fixed(?![- ](?:rate|term|income|price|fee|deposit|to\b))|resolved|restored|back up|"
    r"back online|working again|working normally|"
    r"up and running|back to normal|service is back|services are back|has been fixed|"
    r"now working|all clear)\b", re.IGNORECASE)


# One of our posts about an outage going on ("we're aware some customers can't log in").
STATUS = re.compile(
    r"\b(?:aware|investigating|working on|looking into|some customers|issue|problem|disruption|"
    r"outage|can't|cannot|unable|down|not working)\b", re.IGNORECASE)
# The service back for them, whatever else is still wrong: "works now, but my payment shows
# twice", "app's back and the $1,200 STILL isn't there" (not the outage going on for them).
# (our words quoted back are not theirs: "your 'working again' tweet is lying"; nor is what
# works for everyone else: "still declining my card, everything else works again")
BACK_FOR_THEM = re.compile(r"(?<!['‘\"“])(?<!else )\b(?:(?:works|working) (?:now|again)|"
                           r"(?:app|site|card|it|everything)(?:'s| is) back|back (?:up|online))\b",
                           re.IGNORECASE)
# What an outage left behind, once it is over: money taken, charged twice, a fee, a payment
# pending ("back up but my failed payment shows as taken?", "me cobraron dos veces").
AFTER_EFFECT = re.compile(
    # (compensation for the outage itself is the outage's: "no compensation?")
    r"\b(?:charg\w*|fees?|pending|twice|double|taken|debited|came out|refund\w*|"
    r"cobr\w*|factur\w*|abgebucht|gebühr\w*|cobran\w*|pobra\w*|opłat\w*)\b", re.IGNORECASE)
# A customer saying the outage is not over after all ("still declined", "your tweet is lying").
NOT_OVER = re.compile(r"\b(?:still|again|lying|not fixed|isn't fixed|not working|toujours|"
                       r"todav[ií]a|sigue|immer noch|noch immer|ainda|nadal|wciąż|znowu)\b",
                       re.IGNORECASE)


def still_out(text: str) -> bool:
    """Whether a customer says the outage is not over for them, after our fix ("still
    declined", "your tweet is lying"), and not that it is back with something else wrong."""
    head = text[:4_000]
    return NOT_OVER.search(head) is not None and BACK_FOR_THEM.search(head) is None


# One of our posts saying the outage is going on: its "cards are working normally" speaks of
# what is unaffected, not a fix.
_ONGOING = re.compile(
    r"\b(?:we know|we're aware|we are aware|investigating|working on (?:it|this|a fix)|"
    r"we're on it|we are on it|looking into (?:it|this)|next update|we'll update|"
    r"we will update|update (?:you )?(?:here|soon|shortly)|"
    # a fix on its way is not one made: "cards should start working again in a few minutes"
    r"should (?:start |be )?(?:working|back)|will (?:start |be )?(?:working|back)|"
    r"rolling out|in the next few minutes)\b", re.IGNORECASE)


def announces_fix(text: str) -> bool:
    """Whether one of our posts says an outage is over ("all services restored"), and not that
    it goes on ("we know you can't log in; cards are working normally")."""
    return _FIX.search(text) is not None and _ONGOING.search(text) is None


@dataclass(slots=True)
class OutagePost:
    """A customer's post about an outage, remembered while incidents are decided."""

    mention_id: str
    author_id: str
    at: datetime
    case_id: int
    stored: bool
    # it says the service is down (it counts towards an incident); else a symptom ("card
    # declined") that an incident opening takes in with the rest
    counts: bool = True


def outage_cluster(
    times: Sequence[datetime],
    *,
    now: datetime,
    window: timedelta,
    size: int,
) -> bool:
    """Whether at least `size` outage complaints (by distinct authors) fall in the window."""
    return sum(1 for t in times if now - window <= t <= now) >= size
