"""The data that crosses module borders: mentions, analysis, cases, drafts. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

PLATFORMS = ("x", "reddit", "mastodon", "bluesky", "threads", "hackernews", "replay")

# Reply length limits per platform, in characters (X counts differently for URLs; we are strict).
REPLY_LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "threads": 500, "reddit": 10_000,
                "hackernews": 0}


# Intent names come from the brand's industry pack (`monitor/analysis/packs/`); these three
# are in every pack. Intents are configuration, not an enum.
QUESTION, PRAISE, OTHER = "question", "praise", "other"


class Action(StrEnum):
    """What the team should do with a post (triage)."""

    REPLY = "reply"  # a person answers: complaint, question, request, safety or fraud report
    ACKNOWLEDGE = "acknowledge"  # praise or thanks: at most a short thank-you
    MONITOR = "monitor"  # no reply: news, commentary, our own posts, not about the brand
    SPAM = "spam"  # spam, scams, phishing, bots, impersonators of the brand


class Escalation(StrEnum):
    """Kinds of danger that go to a person at once, whatever the complaint verdict."""

    SAFETY = "safety"
    LEGAL = "legal"
    SECURITY = "security"
    VULNERABLE = "vulnerable"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most pressing, 3 for the least."""
        return _PRIORITY_ORDER.index(self)


_PRIORITY_ORDER = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]


class CaseStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.ESCALATED)


class CaseKind(StrEnum):
    """A customer's own case, or an incident that gathers many customers' posts (an outage)."""

    CUSTOMER = "customer"
    INCIDENT = "incident"


class DraftKind(StrEnum):
    """A reply to a customer's post, or a check-in after the case was resolved."""

    REPLY = "reply"
    FOLLOW_UP = "follow_up"


class DraftStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"


class Role(StrEnum):
    VIEWER = "viewer"
    APPROVER = "approver"
    ADMIN = "admin"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def web_link(value: str | None) -> str | None:
    """The URL if it is an http(s) link we may put in an href, else None (never javascript:)."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def redact_url(url: str) -> str:
    """A storage URL fit for logs and messages: any password replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def iso(dt: datetime | None) -> str | None:
    """Render a datetime as UTC ISO-8601 with a Z suffix (the store's format)."""
    if dt is None:
        return None
    # isoformat is twice as fast as strftime, and ingest renders several per post
    return dt.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_iso(value: str) -> datetime:
    """Parse ISO-8601 (with Z or an offset; naive means UTC) into an aware UTC datetime."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Author:
    """A person on one platform."""

    platform: str
    native_id: str
    handle: str
    display_name: str | None = None
    followers: int | None = None

    @property
    def id(self) -> str:
        return f"{self.platform}:{self.native_id}"


@dataclass(frozen=True, slots=True)
class Mention:
    """One post, normalised from whatever platform it came from."""

    platform: str
    native_id: str
    author: Author
    text: str
    created_at: datetime
    url: str | None = None
    lang: str | None = None
    in_reply_to: str | None = None
    conversation_id: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.platform}:{self.native_id}"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Rate-limit facts read from one response's headers."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item that could not be used (it would not parse, or storing it failed): held in
    the quarantine with why and what it was, so its page still goes in and the source moves
    on. `payload` is JSON: {"mention": ...} when the item was a post (it can be retried),
    else {"raw": "..."}, the text the source sent."""

    error: str
    payload: str
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One call's worth of posts from a source, oldest first, and where to resume."""

    mentions: tuple[Mention, ...]
    next_cursor: str | None
    has_more: bool = False
    rate_limit: RateLimit | None = None
    problems: tuple[str, ...] = ()  # items the adapter skipped, and why
    rejected: tuple[Rejected, ...] = ()  # the skipped items worth keeping, for the quarantine


@dataclass(frozen=True, slots=True)
class Sentiment:
    """VADER scores and the label from the conventional +-0.05 thresholds."""

    compound: float
    pos: float
    neu: float
    neg: float

    @property
    def label(self) -> str:
        if self.compound >= 0.05:
            return "positive"
        if self.compound <= -0.05:
            return "negative"
        return "neutral"


@dataclass(frozen=True, slots=True)
class Analysis:
    """What analysis concluded about one post, with the reasons a reviewer can read."""

    sentiment: Sentiment  # VADER's scores; `label` below is the brand-aware label
    complaint: bool
    complaint_probability: float
    intent: str
    priority: Priority
    matched_terms: tuple[str, ...]
    addressed: bool
    reasons: tuple[str, ...]
    action: Action = Action.REPLY
    escalation: tuple[Escalation, ...] = ()
    impersonation: bool = False
    # how the author feels about the brand (negative, neutral, positive); None: VADER's label
    brand_label: str | None = None
    lang: str | None = None  # the platform's language, else the detected one
    # an outage in the author's words: "down" (the service is down or failing for many: "is
    # it just me?", "503"), "failing" (a symptom: "card declined", "how long will this be?"),
    # else None. Incidents are formed of the first and gather both (cases.py).
    outage: str | None = None

    @property
    def label(self) -> str:
        """How the author feels about the brand: a complaint is negative in neutral words,
        sarcastic thanks too."""
        return self.brand_label or self.sentiment.label

    @property
    def vader_label(self) -> str:
        """VADER's own label for the text."""
        return self.sentiment.label

    @property
    def needs_case(self) -> bool:
        """Posts that need a reply, and every escalation, become customer-service cases."""
        return self.action is Action.REPLY or (
            bool(self.escalation) and self.action is not Action.SPAM)


@dataclass(frozen=True, slots=True)
class AnalysedMention:
    """A mention with its analysis, ready for the store."""

    mention: Mention
    analysis: Analysis


@dataclass(slots=True)
class Case:
    """One customer problem, however many posts it spans."""

    id: int
    author_id: str
    platform: str
    status: CaseStatus
    intent: str
    priority: Priority
    opened_at: datetime
    updated_at: datetime
    team: str | None = None
    assignee: str | None = None
    conversation_id: str | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    sla_due_at: datetime | None = None
    follow_up_due_at: datetime | None = None
    csat: int | None = None
    mention_count: int = 0
    customer_effort: int = 0
    kind: CaseKind = CaseKind.CUSTOMER
    escalation: str | None = None  # why it was escalated, for people and the webhook
    merged_into: int | None = None  # the incident that took over this case's posts
    replies_posted: int = 0  # our replies posted (not follow-ups): first-contact resolution
    csat_at: datetime | None = None
    # when the customer said they had already messaged us (a DM, their details, a call): no
    # reply on this case asks them to DM again
    dmed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DraftSpec:
    """A reply the voice produced for a case, before it is stored."""

    text: str
    template: str
    flags: tuple[str, ...] = ()
    # other wordings of the same reply (the first is `text`), and the reply's language
    candidates: tuple[str, ...] = ()
    language: str | None = None
    # the platform will not take this reply from us (X below Enterprise, a post that neither
    # mentions nor quotes our account): a person posts it by hand
    by_hand: bool = False


@dataclass(frozen=True, slots=True)
class Draft:
    """A stored reply draft awaiting (or past) a human decision."""

    id: int
    case_id: int
    mention_id: str
    platform: str
    text: str
    template: str
    status: DraftStatus
    flags: tuple[str, ...]
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    posted_id: str | None = None
    posted_at: datetime | None = None
    error: str | None = None
    attempts: int = 0
    by_hand: bool = False  # a person posts it on the platform; approving records that
