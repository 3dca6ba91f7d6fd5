"""The only module that speaks SQL: schema, migrations, and every read and write of brandbot.

`Store` is synchronous and owns one connection: SQLite (the embedded default) or PostgreSQL
(several replicas on one database). The SQL is written once, in SQLite's dialect; a PostgreSQL
connection rewrites the few differences (placeholders, `INSERT OR IGNORE`, index hints) as it
runs it, and the places where the two really differ (full-text search, triggers, locking) say
so inline. `AsyncStore` gives the event loop a single writer thread (every write runs there, in
one serialised write transaction) and a small pool of reader threads with their own
connections, so async code never holds a connection or blocks on the database.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from monitor.models import (
    AnalysedMention,
    Author,
    Case,
    CaseKind,
    CaseStatus,
    Draft,
    DraftSpec,
    DraftStatus,
    Intent,
    Mention,
    Priority,
    Role,
    iso,
    parse_iso,
    utcnow,
)

T = TypeVar("T")

# The only extra conditions digest_posts accepts (it builds SQL from them).
_DIGEST_FILTERS = frozenset({
    "1 = 1", "m.is_complaint = 1 AND m.intent = ?", "m.sentiment = 'negative' "
    "AND substr(m.created_at, 1, 13) = ?",
})

# Migration 3's queue keys on drafts (the `flagged` column and the triggers differ), and
# their partial indexes.
_QUEUE_COLUMNS = """
        ALTER TABLE drafts ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 3;
        ALTER TABLE drafts ADD COLUMN sla_due_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE drafts ADD COLUMN intent TEXT;
        ALTER TABLE drafts ADD COLUMN team TEXT;
        ALTER TABLE drafts ADD COLUMN sentiment TEXT;
"""
# The insert trigger's body: a new draft's queue keys, copied from its case and post.
_DRAFT_KEYS_FROM_CASE = """
            UPDATE drafts SET
                priority_rank = CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                                WHEN 'normal' THEN 2 ELSE 3 END,
                sla_due_at = coalesce(c.sla_due_at, ''), intent = c.intent, team = c.team,
                sentiment = (SELECT m.sentiment FROM mentions m WHERE m.id = NEW.mention_id)
                FROM cases c WHERE c.id = NEW.case_id AND drafts.id = NEW.id;
"""
_QUEUE_FILL = """
        UPDATE drafts SET
            priority_rank = CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                            WHEN 'normal' THEN 2 ELSE 3 END,
            sla_due_at = coalesce(c.sla_due_at, ''), intent = c.intent, team = c.team
            FROM cases c WHERE c.id = drafts.case_id;
        UPDATE drafts SET sentiment = m.sentiment FROM mentions m WHERE m.id = drafts.mention_id;
        CREATE INDEX drafts_queue ON drafts(priority_rank, sla_due_at, id)
            WHERE status = 'pending';
        CREATE INDEX drafts_queue_platform ON drafts(platform, priority_rank, sla_due_at, id)
            WHERE status = 'pending';
        CREATE INDEX drafts_queue_intent ON drafts(intent, priority_rank, sla_due_at, id)
            WHERE status = 'pending';
        CREATE INDEX drafts_queue_team ON drafts(team, priority_rank, sla_due_at, id)
            WHERE status = 'pending';
        CREATE INDEX drafts_queue_sentiment ON drafts(sentiment, priority_rank, sla_due_at, id)
            WHERE status = 'pending';
        CREATE INDEX drafts_queue_flagged ON drafts(flagged, priority_rank, sla_due_at, id)
            WHERE status = 'pending';
"""

# Migration 3's tables, the same text on both databases (`_pg_ddl` maps the types).
_WEB_TABLES = """
        CREATE INDEX audit_subject ON audit(subject, id);
        CREATE INDEX audit_actor ON audit(actor, id);
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL, ip TEXT, user_agent TEXT, flash TEXT
        );
        CREATE INDEX sessions_user ON sessions(username);
        CREATE INDEX sessions_expires ON sessions(expires_at);
        CREATE TABLE api_tokens (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            created_at TEXT NOT NULL, last_used_at TEXT
        );
        CREATE INDEX api_tokens_user ON api_tokens(username);
        CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, username TEXT NOT NULL, ip TEXT NOT NULL,
            ok INTEGER NOT NULL
        );
        CREATE INDEX login_attempts_user ON login_attempts(username, at);
        CREATE INDEX login_attempts_ip ON login_attempts(ip, at);
        CREATE TABLE draft_viewers (
            draft_id INTEGER NOT NULL REFERENCES drafts(id), username TEXT NOT NULL,
            seen_at TEXT NOT NULL, PRIMARY KEY (draft_id, username)
        ) WITHOUT ROWID;
"""

# Migration 4 on both databases, but for its trigger.
_CASE_PRACTICE_HEAD = """
        ALTER TABLE authors ADD COLUMN customer_id TEXT;
        CREATE INDEX authors_customer ON authors(customer_id);
        ALTER TABLE cases ADD COLUMN kind TEXT NOT NULL DEFAULT 'customer';
        ALTER TABLE cases ADD COLUMN escalation TEXT;
        ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases(id);
        ALTER TABLE cases ADD COLUMN replies_posted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE cases ADD COLUMN csat_at TEXT;
        UPDATE cases SET replies_posted = (SELECT count(*) FROM drafts d
            WHERE d.case_id = cases.id AND d.status = 'posted');
        CREATE INDEX cases_kind ON cases(kind, status);
        CREATE INDEX cases_follow_up ON cases(follow_up_due_at) WHERE status = 'resolved';
        ALTER TABLE drafts ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply';
        CREATE INDEX drafts_mention ON drafts(mention_id);
"""
_CASE_PRACTICE_TAIL = """
        CREATE INDEX mentions_outage ON mentions(created_at)
            WHERE is_complaint = 1 AND intent = 'outage';
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id INTEGER NOT NULL REFERENCES cases(id), reason TEXT NOT NULL,
            text TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, error TEXT,
            UNIQUE (case_id, reason)
        );
        CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE sent_at IS NULL;
"""

# Numbered, append-only. Each entry runs once, in its own transaction, recorded in `migrations`.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "initial schema",
        """
        CREATE TABLE authors (
            id TEXT PRIMARY KEY, platform TEXT NOT NULL, native_id TEXT NOT NULL,
            handle TEXT NOT NULL, display_name TEXT, followers INTEGER,
            first_seen_at TEXT NOT NULL, last_seen_at TEXT NOT NULL
        );
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY, author_id TEXT NOT NULL REFERENCES authors(id),
            platform TEXT NOT NULL, status TEXT NOT NULL, intent TEXT NOT NULL,
            priority TEXT NOT NULL, team TEXT, assignee TEXT, conversation_id TEXT,
            opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, first_response_at TEXT,
            resolved_at TEXT, sla_due_at TEXT, follow_up_due_at TEXT, csat INTEGER,
            mention_count INTEGER NOT NULL DEFAULT 0, customer_effort INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX cases_author ON cases(author_id, updated_at);
        CREATE INDEX cases_status ON cases(status, priority);
        CREATE TABLE mentions (
            id TEXT PRIMARY KEY, platform TEXT NOT NULL, native_id TEXT NOT NULL,
            source TEXT, url TEXT, author_id TEXT NOT NULL REFERENCES authors(id),
            text TEXT NOT NULL, lang TEXT, created_at TEXT NOT NULL, fetched_at TEXT NOT NULL,
            matched_terms TEXT NOT NULL DEFAULT '[]', in_reply_to TEXT, conversation_id TEXT,
            metrics TEXT NOT NULL DEFAULT '{}', compound REAL, pos REAL, neu REAL, neg REAL,
            sentiment TEXT, is_complaint INTEGER NOT NULL DEFAULT 0, complaint_probability REAL,
            intent TEXT, priority TEXT, reasons TEXT NOT NULL DEFAULT '[]',
            case_id INTEGER REFERENCES cases(id), raw TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX mentions_created ON mentions(created_at);
        CREATE INDEX mentions_author ON mentions(author_id, created_at);
        CREATE INDEX mentions_case ON mentions(case_id);
        CREATE INDEX mentions_conversation ON mentions(platform, conversation_id);
        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id),
            mention_id TEXT NOT NULL REFERENCES mentions(id), platform TEXT NOT NULL,
            text TEXT NOT NULL, original_text TEXT NOT NULL, template TEXT NOT NULL,
            status TEXT NOT NULL, flags TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL,
            decided_by TEXT, decided_at TEXT, reason TEXT, posted_id TEXT, posted_url TEXT,
            posted_at TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX drafts_status ON drafts(status, created_at);
        CREATE INDEX drafts_case ON drafts(case_id);
        CREATE TABLE cursors (
            source TEXT PRIMARY KEY, cursor TEXT, updated_at TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, subject TEXT, before TEXT, after TEXT, detail TEXT
        );
        CREATE INDEX audit_at ON audit(at);
        CREATE TABLE users (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
    (
        "publishing state",
        """
        ALTER TABLE drafts ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE drafts ADD COLUMN posting_started_at TEXT;
        """,
    ),
    (
        "web workspace",
        # The queue's sort and filter keys are copied onto drafts (kept in step by triggers, so
        # every writer keeps them right) so that partial indexes over pending drafts can serve
        # every filter in queue order: a page is an index range scan, however long the queue.
        _QUEUE_COLUMNS + """
        ALTER TABLE drafts ADD COLUMN flagged INTEGER GENERATED ALWAYS AS (flags <> '[]') VIRTUAL;
        """ + _QUEUE_FILL + """
        CREATE TRIGGER drafts_queue_keys AFTER INSERT ON drafts BEGIN
        """ + _DRAFT_KEYS_FROM_CASE + """
        END;
        CREATE TRIGGER cases_queue_keys AFTER UPDATE OF priority, sla_due_at, intent, team
            ON cases
            WHEN NEW.priority IS NOT OLD.priority OR NEW.sla_due_at IS NOT OLD.sla_due_at
              OR NEW.intent IS NOT OLD.intent OR NEW.team IS NOT OLD.team
        BEGIN
            UPDATE drafts SET
                priority_rank = CASE NEW.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                                WHEN 'normal' THEN 2 ELSE 3 END,
                sla_due_at = coalesce(NEW.sla_due_at, ''), intent = NEW.intent, team = NEW.team
                WHERE case_id = NEW.id;
        END;
        CREATE VIRTUAL TABLE draft_search USING fts5(
            post, reply, author, tokenize = 'unicode61 remove_diacritics 2'
        );
        INSERT INTO draft_search (rowid, post, reply, author)
            SELECT d.id, m.text, d.text, a.handle FROM drafts d
            JOIN mentions m ON m.id = d.mention_id JOIN authors a ON a.id = m.author_id;
        CREATE TRIGGER drafts_search_insert AFTER INSERT ON drafts BEGIN
            INSERT INTO draft_search (rowid, post, reply, author)
                SELECT NEW.id, m.text, NEW.text, a.handle FROM mentions m
                JOIN authors a ON a.id = m.author_id WHERE m.id = NEW.mention_id;
        END;
        CREATE TRIGGER drafts_search_update AFTER UPDATE OF text ON drafts
            WHEN NEW.text IS NOT OLD.text
        BEGIN
            UPDATE draft_search SET reply = NEW.text WHERE rowid = NEW.id;
        END;
        CREATE TRIGGER drafts_search_delete AFTER DELETE ON drafts BEGIN
            DELETE FROM draft_search WHERE rowid = OLD.id;
        END;
        """ + _WEB_TABLES,
    ),
    (
        "case practice",
        # Customers linked across platforms, incidents (an outage cluster as one case),
        # escalation, first-contact resolution (replies_posted: our replies, not follow-ups,
        # counted by a trigger whoever posts them), CSAT, follow-up drafts, and an outbox of
        # webhook notifications: one row per case and reason, sent once, across restarts.
        _CASE_PRACTICE_HEAD + """
        CREATE TRIGGER drafts_replies_posted AFTER UPDATE OF status ON drafts
            WHEN NEW.status = 'posted' AND OLD.status IS NOT 'posted' AND NEW.kind = 'reply'
        BEGIN
            UPDATE cases SET replies_posted = replies_posted + 1 WHERE id = NEW.case_id;
        END;
        """ + _CASE_PRACTICE_TAIL,
    ),
    (
        "digest indexes",
        # A covering index: every count a digest needs comes from one scan of it, without
        # touching the (wide) mention rows. Authors by reach let the digest find its top
        # posts from the most-followed authors down instead of sorting a whole period.
        """
        CREATE INDEX mentions_digest ON mentions(created_at, sentiment, platform, intent,
            is_complaint, matched_terms);
        CREATE INDEX authors_followers ON authors(followers);
        """,
    ),
    (
        "source leases",
        # Replicas on one database share the sources: a source is polled only by the replica
        # holding its lease, which it renews while alive; a dead replica's lease expires and
        # another takes the source over.
        """
        CREATE TABLE leases (
            source TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at TEXT NOT NULL,
            renewed_at TEXT NOT NULL, expires_at TEXT NOT NULL
        );
        """,
    ),
    (
        "ingest indexes",
        # Each page looks up the cases of its posts' conversations, and which of its cases
        # have a reply draft waiting: without these, both read every case or every draft a
        # long-lived incident ever had, so ingest slowed down as the store grew.
        """
        CREATE INDEX cases_conversation ON cases(platform, conversation_id);
        CREATE INDEX drafts_pending_reply ON drafts(case_id)
            WHERE status = 'pending' AND kind = 'reply';
        """,
    ),
    (
        "queue keys written with the draft",
        # Ingest now inserts each draft with its queue keys (`Store._write_drafts`); the
        # trigger stays for any other writer, which inserts without a team. Its UPDATE
        # rewrote the row in six partial indexes it had just been added to: with the trigger
        # dropped, 10,000 posts into a 100,000-post store took 244 us a post instead of 269
        # (inserting the keys gives some of that back; not measured apart).
        """
        DROP TRIGGER drafts_queue_keys;
        CREATE TRIGGER drafts_queue_keys AFTER INSERT ON drafts WHEN NEW.team IS NULL BEGIN
        """ + _DRAFT_KEYS_FROM_CASE + """
        END;
        """,
    ),
    (
        "fewer search index merges",
        # FTS5 merges its segments four at a time by default, and each page's transaction
        # adds one: at a million posts that merging was a fifth of the cost of storing a
        # post (442 -> 353 us, profiled on 10,000 posts into a store of 1,000,000). Sixteen
        # at a time does a fraction of the rewriting for a few more segments to search.
        """
        INSERT INTO draft_search (draft_search, rank) VALUES ('automerge', 16);
        """,
    ),
    (
        "digest case index",
        # The digest's care figures read the cases opened in a period; without an index that
        # was every case ever opened (a third of its time over a million-post store).
        """
        CREATE INDEX cases_opened ON cases(opened_at) WHERE merged_into IS NULL;
        """,
    ),
]

# PostgreSQL's own text of the migrations whose SQLite text it cannot run: triggers are
# functions there, FTS5 becomes a tsvector with a GIN index, and the virtual generated
# column is stored. Every other migration is SQLite's text with its types mapped (`_pg_ddl`).
PG_MIGRATIONS: dict[int, str] = {
    3: _QUEUE_COLUMNS + """
        ALTER TABLE drafts ADD COLUMN flagged INTEGER
            GENERATED ALWAYS AS (CASE WHEN flags <> '[]' THEN 1 ELSE 0 END) STORED;
    """ + _QUEUE_FILL + """
        CREATE FUNCTION drafts_queue_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                   WHEN 'normal' THEN 2 ELSE 3 END, coalesce(c.sla_due_at, ''), c.intent, c.team
              INTO NEW.priority_rank, NEW.sla_due_at, NEW.intent, NEW.team
              FROM cases c WHERE c.id = NEW.case_id;
            SELECT m.sentiment INTO NEW.sentiment FROM mentions m WHERE m.id = NEW.mention_id;
            RETURN NEW;
        END $$;
        CREATE TRIGGER drafts_queue_keys BEFORE INSERT ON drafts
            FOR EACH ROW EXECUTE FUNCTION drafts_queue_keys();
        CREATE FUNCTION cases_queue_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE drafts SET
                priority_rank = CASE NEW.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                                WHEN 'normal' THEN 2 ELSE 3 END,
                sla_due_at = coalesce(NEW.sla_due_at, ''), intent = NEW.intent, team = NEW.team
                WHERE case_id = NEW.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER cases_queue_keys AFTER UPDATE OF priority, sla_due_at, intent, team
            ON cases FOR EACH ROW
            WHEN (NEW.priority IS DISTINCT FROM OLD.priority
                  OR NEW.sla_due_at IS DISTINCT FROM OLD.sla_due_at
                  OR NEW.intent IS DISTINCT FROM OLD.intent OR NEW.team IS DISTINCT FROM OLD.team)
            EXECUTE FUNCTION cases_queue_keys();
        -- Words are runs of letters and digits, as FTS5's unicode61 splits them (PostgreSQL's
        -- own parser would skip anything that looks like an HTML tag). Search covers the first
        -- 100,000 characters of a post: a tsvector holds at most 1 MB.
        CREATE TABLE draft_search (
            id INTEGER PRIMARY KEY, post TEXT, reply TEXT, author TEXT,
            doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(
                left(coalesce(post, ''), 100000) || ' ' || left(coalesce(reply, ''), 100000)
                || ' ' || coalesce(author, ''), '[^[:alnum:]]+', ' ', 'g'))) STORED
        );
        CREATE INDEX draft_search_doc ON draft_search USING gin (doc);
        INSERT INTO draft_search (id, post, reply, author)
            SELECT d.id, m.text, d.text, a.handle FROM drafts d
            JOIN mentions m ON m.id = d.mention_id JOIN authors a ON a.id = m.author_id;
        CREATE FUNCTION drafts_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO draft_search (id, post, reply, author)
                SELECT NEW.id, m.text, NEW.text, a.handle FROM mentions m
                JOIN authors a ON a.id = m.author_id WHERE m.id = NEW.mention_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER drafts_search_insert AFTER INSERT ON drafts
            FOR EACH ROW EXECUTE FUNCTION drafts_search_insert();
        CREATE FUNCTION drafts_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE draft_search SET reply = NEW.text WHERE id = NEW.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER drafts_search_update AFTER UPDATE OF text ON drafts
            FOR EACH ROW WHEN (NEW.text IS DISTINCT FROM OLD.text)
            EXECUTE FUNCTION drafts_search_update();
        CREATE FUNCTION drafts_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM draft_search WHERE id = OLD.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER drafts_search_delete AFTER DELETE ON drafts
            FOR EACH ROW EXECUTE FUNCTION drafts_search_delete();
    """ + _WEB_TABLES,
    4: _CASE_PRACTICE_HEAD + """
        CREATE FUNCTION drafts_replies_posted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE cases SET replies_posted = replies_posted + 1 WHERE id = NEW.case_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER drafts_replies_posted AFTER UPDATE OF status ON drafts FOR EACH ROW
            WHEN (NEW.status = 'posted' AND OLD.status IS DISTINCT FROM 'posted'
                  AND NEW.kind = 'reply')
            EXECUTE FUNCTION drafts_replies_posted();
    """ + _CASE_PRACTICE_TAIL,
    8: """
        CREATE OR REPLACE FUNCTION drafts_queue_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.team IS NULL THEN
                SELECT CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                       WHEN 'normal' THEN 2 ELSE 3 END, coalesce(c.sla_due_at, ''), c.intent,
                       c.team
                  INTO NEW.priority_rank, NEW.sla_due_at, NEW.intent, NEW.team
                  FROM cases c WHERE c.id = NEW.case_id;
                SELECT m.sentiment INTO NEW.sentiment FROM mentions m WHERE m.id = NEW.mention_id;
            END IF;
            RETURN NEW;
        END $$;
    """,
    # FTS5's merge setting: a GIN index has nothing like it
    9: "SELECT 1;",
}


def _pg_ddl(sql: str) -> str:
    """SQLite DDL in PostgreSQL's types: integer keys become identities (explicit ids still
    insert), integers 64-bit, REAL double precision, WITHOUT ROWID dropped, and text compares
    byte-wise (COLLATE "C", as SQLite's BINARY does) so ISO times and handles order alike."""
    identity = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    sql = re.sub(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", identity, sql)
    sql = re.sub(r"\bid INTEGER PRIMARY KEY\b", "id " + identity, sql)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    sql = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', sql)
    return sql.replace("WITHOUT ROWID", "")


def migration_sql(version: int, *, postgres: bool) -> str:
    """The text of migration `version` (1-based) for one kind of database."""
    if postgres:
        return _pg_ddl(PG_MIGRATIONS.get(version, MIGRATIONS[version - 1][1]))
    return MIGRATIONS[version - 1][1]


class StoreError(Exception):
    """A request the store refuses for a reason a person can act on."""


class NotFound(StoreError):
    """No such row."""


class StoreUnavailable(Exception):
    """The database cannot take a write now (locked past the busy timeout, disk full, I/O
    error); nothing of that write was kept, and the same write may succeed later."""


@dataclass(slots=True)
class StoreHealth:
    """Whether writes are getting through, for /healthz."""

    failing_since: datetime | None = None
    last_error: str | None = None
    failures: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for /healthz."""
        return {"state": "failing" if self.failing_since else "ok",
                "failing_since": iso(self.failing_since), "last_error": self.last_error,
                "failures": self.failures}


class AlreadyDecided(StoreError):
    """The draft was decided before this request arrived."""


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the case planner may know about the store, read inside the ingest transaction."""

    next_case_id: int
    # every case the page may touch, by id
    cases: dict[int, Case]
    # author id -> id of that author's most recent case
    latest_case_by_author: dict[str, int]
    # mention id -> case id, for the posts that new mentions reply to
    case_of_mention: dict[str, int]
    # (platform, conversation id) -> case id
    case_of_conversation: dict[tuple[str, str], int]
    # case ids with a reply draft awaiting a decision
    pending_draft: frozenset[int]
    # outage complaints stored in the cluster window before the page, in customer cases:
    # (mention id, author id, created at, case id), oldest first
    recent_outage: tuple[tuple[str, str, datetime, int], ...] = ()
    # the open incident that new outage complaints join, if any (its Case is in `cases`)
    incident_id: int | None = None
    # the page's authors with a reply draft awaiting a decision in that incident
    incident_pending_authors: frozenset[str] = frozenset()


@dataclass(slots=True)
class Plan:
    """What the planner decided for a page of new mentions; the store writes it as one unit."""

    case_of: dict[str, int | None] = field(default_factory=dict)  # mention id -> case id
    new_cases: list[Case] = field(default_factory=list)
    updated_cases: list[Case] = field(default_factory=list)
    drafts: list[tuple[int, Mention, DraftSpec]] = field(default_factory=list)
    # stored mentions (and their drafts) the plan moves to another case: an incident's posts
    moved: dict[str, int] = field(default_factory=dict)
    # (case id, reason, text): webhook notifications, queued at most once per case and reason
    notifications: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest transaction wrote."""

    received: int
    stored: int
    cases_opened: int
    drafts_created: int


Planner = Callable[[Sequence[AnalysedMention], CaseContext], Plan]

# The fields of a draft in `brandbot queue list --json` and `GET /api/drafts`.
DRAFT_FIELDS = ("id", "case_id", "platform", "status", "text", "mention_id", "mention_text",
                "mention_url", "author", "intent", "priority", "created_at", "flags", "team",
                "sla_due_at", "decided_by", "decided_at", "reason", "posted_id", "kind",
                "sla_state", "sla_due")

# A draft's place in the queue: (priority rank, SLA due time, draft id), most pressing first.
QueueKey = tuple[int, str, int]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which pending drafts a queue view shows; None means any."""

    platform: str | None = None
    intent: str | None = None
    priority: str | None = None
    team: str | None = None
    sentiment: str | None = None
    flagged: bool | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue and the keys that lead to its neighbours."""

    rows: list[dict[str, Any]]
    total: int
    next_key: QueueKey | None  # pass as `after` for the next page
    prev_key: QueueKey | None  # pass as `before` for the previous page


def draft_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The public JSON shape of a draft row (see DRAFT_FIELDS)."""
    return {k: row.get(k) for k in DRAFT_FIELDS}


def queue_key(row: dict[str, Any]) -> QueueKey:
    """Where a draft row sits in the queue."""
    return (int(row["priority_rank"]), str(row["queue_due_at"]), int(row["id"]))


# One encoder for every JSON column (json.dumps with options builds a new one per call).
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


def _case_from_row(row: sqlite3.Row) -> Case:
    return Case(
        id=row["id"], author_id=row["author_id"], platform=row["platform"],
        status=CaseStatus(row["status"]), intent=Intent(row["intent"]),
        priority=Priority(row["priority"]), opened_at=parse_iso(row["opened_at"]),
        updated_at=parse_iso(row["updated_at"]), team=row["team"], assignee=row["assignee"],
        conversation_id=row["conversation_id"],
        first_response_at=_dt(row["first_response_at"]), resolved_at=_dt(row["resolved_at"]),
        sla_due_at=_dt(row["sla_due_at"]), follow_up_due_at=_dt(row["follow_up_due_at"]),
        csat=row["csat"], mention_count=row["mention_count"],
        customer_effort=row["customer_effort"], kind=CaseKind(row["kind"]),
        escalation=row["escalation"], merged_into=row["merged_into"],
        replies_posted=row["replies_posted"], csat_at=_dt(row["csat_at"]),
    )


# the queue's sort key for a case priority, as the queue-key triggers compute it
_PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "id": case.id, "author_id": case.author_id, "platform": case.platform,
        "status": case.status.value, "intent": case.intent.value,
        "priority": case.priority.value, "team": case.team, "assignee": case.assignee,
        "conversation_id": case.conversation_id, "opened_at": iso(case.opened_at),
        "updated_at": iso(case.updated_at), "first_response_at": iso(case.first_response_at),
        "resolved_at": iso(case.resolved_at), "sla_due_at": iso(case.sla_due_at),
        "follow_up_due_at": iso(case.follow_up_due_at), "csat": case.csat,
        "mention_count": case.mention_count, "customer_effort": case.customer_effort,
        # replies_posted is kept by a trigger on drafts, never written from a plan
        "kind": case.kind.value, "escalation": case.escalation,
        "merged_into": case.merged_into, "csat_at": iso(case.csat_at),
    }


def draft_from_row(row: sqlite3.Row) -> Draft:
    """Build a Draft from a `drafts` row."""
    return Draft(
        id=row["id"], case_id=row["case_id"], mention_id=row["mention_id"],
        platform=row["platform"], text=row["text"], template=row["template"],
        status=DraftStatus(row["status"]), flags=tuple(json.loads(row["flags"])),
        created_at=parse_iso(row["created_at"]), decided_by=row["decided_by"],
        decided_at=_dt(row["decided_at"]), posted_id=row["posted_id"],
        posted_at=_dt(row["posted_at"]), error=row["error"], attempts=row["attempts"],
    )


def _chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements, keeping a trigger's `BEGIN ... END;` body whole."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending.strip()
            pending = ""
    if pending.strip(" \n;"):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]}")


# What `copy_to` copies, in an order that respects the foreign keys, with each table's key
# for keyset paging (None: read whole). Leases and migrations belong to each database.
COPY_TABLES: dict[str, str | None] = {
    "users": "name", "authors": "id", "cases": "id", "mentions": "id", "drafts": "id",
    "cursors": "source", "audit": "id", "sessions": "token_hash", "api_tokens": "token_hash",
    "login_attempts": "id", "draft_viewers": None, "notifications": "id",
}

_IDENTITY_TABLES = frozenset({"cases", "drafts", "audit", "login_attempts", "notifications"})

_PRIORITY_RANK = {p.value: p.rank for p in Priority}

# The columns of a draft with its post, author and case. `{post}` is the post text expression,
# so lists can send a bounded excerpt while the JSON API sends it whole; `{extra}` adds columns.
_DRAFT_SELECT = (
    "SELECT {extra}d.id, d.case_id, d.platform, d.status, d.text, d.template, d.flags, "
    "d.created_at, d.decided_by, d.decided_at, d.reason, d.posted_id, d.posted_url, "
    "d.posted_at, d.error, d.kind, "
    "d.priority_rank, d.sla_due_at AS queue_due_at, d.sentiment, "
    "m.id AS mention_id, {post} AS mention_text, length(m.text) AS mention_length, "
    "m.url AS mention_url, m.created_at AS mention_created_at, "
    "a.id AS author_id, a.handle AS author, a.display_name AS author_name, "
    "a.followers AS author_followers, c.intent, c.priority, c.team, c.sla_due_at, "
    "c.status AS case_status, c.opened_at AS case_opened_at, "
    "c.first_response_at AS case_first_response_at "
    "FROM drafts d {hint} JOIN mentions m ON m.id = d.mention_id "
    "JOIN cases c ON c.id = d.case_id JOIN authors a ON a.id = m.author_id "
)
_QUEUE_ORDER = "d.priority_rank, d.sla_due_at, d.id"
_QUEUE_ORDER_DESC = "d.priority_rank DESC, d.sla_due_at DESC, d.id DESC"
# Post excerpt length on list pages; the draft page shows the whole post.
EXCERPT = 600


def _draft_dict(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["flags"] = json.loads(item["flags"])
    return item


def search_query(text: str, *, postgres: bool = False) -> str | None:
    """A full-text query matching every word of `text` as a prefix; None when it has no words.

    Each word is quoted, so nothing a person types is read as query syntax: FTS5's `"w"*`
    on SQLite, a tsquery's `'w':*` joined by `&` on PostgreSQL.
    """
    if postgres:  # the words as the index splits them: letters and digits only
        words = re.findall(r"[^\W_]+", text)
        return " & ".join(f"'{w}':*" for w in words[:12]) or None
    words = [w.replace('"', '""') for w in text.split() if w.strip('"')]
    return " ".join(f'"{w}"*' for w in words[:12]) or None


def _queue_conditions(f: QueueFilter, *, postgres: bool = False
                      ) -> tuple[list[str], list[Any], str]:
    """WHERE terms for a queue filter, their parameters, and the index that serves them."""
    clauses: list[str] = ["d.status = 'pending'"]
    params: list[Any] = []
    index = "drafts_queue"
    if f.priority is not None:
        clauses.append("d.priority_rank = ?")
        params.append(_PRIORITY_RANK.get(f.priority, -1))
    # Later entries are usually more selective, so their index wins when several apply.
    for column, value in (("flagged", None if f.flagged is None else int(f.flagged)),
                          ("sentiment", f.sentiment), ("intent", f.intent),
                          ("platform", f.platform), ("team", f.team)):
        if value is not None:
            clauses.append(f"d.{column} = ?")
            params.append(value)
            index = f"drafts_queue_{column}"
    if f.search is not None:
        query = search_query(f.search, postgres=postgres)
        if query is None:
            pass
        elif postgres:
            clauses.append("d.id IN (SELECT id FROM draft_search "
                           "WHERE doc @@ to_tsquery('simple', ?))")
            params.append(query)
        else:
            clauses.append("d.id IN (SELECT rowid FROM draft_search WHERE draft_search MATCH ?)")
            params.append(query)
    return clauses, params, index


def _decided_message(draft: Draft) -> str:
    by = f" by {draft.decided_by}" if draft.decided_by else ""
    at = f" at {iso(draft.decided_at)}" if draft.decided_at else ""
    return f"draft {draft.id} is already {draft.status.value}{by}{at}"


def is_postgres(target: str | Path) -> bool:
    """Whether a storage URL names a PostgreSQL database."""
    return str(target).startswith(("postgresql://", "postgres://"))


def sqlite_path(target: str | Path) -> Path:
    """The file a `sqlite:///` URL (or a plain path) names."""
    return Path(str(target).removeprefix("sqlite:///"))


class PgRow(tuple):  # type: ignore[type-arg]
    """A PostgreSQL row that reads like sqlite3.Row: by position, by column name, dict()."""

    _names: tuple[str, ...]
    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _pg_rows(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    names = tuple(c.name for c in cursor.description or ())
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)

    def make(values: Sequence[Any]) -> PgRow:
        row = PgRow(values)
        row._names, row._index = names, index
        return row
    return make


_SQLITE_ONLY = re.compile(r"\s+INDEXED BY \w+")
_STRING_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?|%")


@lru_cache(maxsize=1024)
def pg_sql(sql: str) -> str:
    """brandbot's SQLite SQL as PostgreSQL runs it: `?` marks become `%s` (outside string
    literals), `%` doubles, index hints go, `CROSS JOIN ... ON` (SQLite's hint to keep join
    order) is a plain join, and `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`."""
    sql = _SQLITE_ONLY.sub("", sql).replace("CROSS JOIN", "JOIN")
    if sql.startswith("INSERT OR IGNORE INTO"):
        sql = "INSERT INTO" + sql.removeprefix("INSERT OR IGNORE INTO") + " ON CONFLICT DO NOTHING"
    # psycopg reads % everywhere, string literals included (LIKE 'draft:%'), so every one
    # doubles; a ? is a mark only outside literals.
    return _STRING_OR_MARK.sub(
        lambda m: {"?": "%s", "%": "%%"}.get(m.group(0), m.group(0).replace("%", "%%")), sql)


# PostgreSQL's text cannot hold NUL, which hostile posts may carry; SQLite stores it as-is.
# So text travels escaped: U+FFFF (a noncharacter) doubles, NUL becomes U+FFFF "0", and every
# text value read back is unescaped. What goes in comes back out, byte for byte.
_ESC = "\uffff"
_UNESCAPE = re.compile(_ESC + "(.)", re.S)


def _pg_escape(text: str) -> str:
    if "\x00" in text or _ESC in text:
        return text.replace(_ESC, _ESC * 2).replace("\x00", _ESC + "0")
    return text


def _pg_unescape(text: str) -> str:
    if _ESC in text:
        return _UNESCAPE.sub(lambda m: "\x00" if m.group(1) == "0" else _ESC, text)
    return text


def _pg_text_adapters(raw: Any) -> None:
    from psycopg.types.string import StrDumperUnknown, TextLoader

    class NulSafeDumper(StrDumperUnknown):
        def dump(self, obj: str) -> Any:
            return super().dump(_pg_escape(obj))

    class NulSafeLoader(TextLoader):
        def load(self, data: Any) -> Any:
            return _pg_unescape(str(data, "utf-8"))

    raw.adapters.register_dumper(str, NulSafeDumper)
    raw.adapters.register_loader("text", NulSafeLoader)


class PgConnection:
    """A psycopg connection with sqlite3's calling conventions, so `Store` runs one SQL text
    on both databases: execute/executemany with `?` marks, rows like sqlite3.Row, autocommit
    outside explicit transactions. NUMERIC results (averages) come back as floats."""

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.types.numeric import FloatLoader

        self.raw = psycopg.connect(url, autocommit=True, row_factory=_pg_rows,
                                   connect_timeout=10)
        self.raw.adapters.register_loader("numeric", FloatLoader)
        _pg_text_adapters(self.raw)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement (SQLite dialect); returns the cursor."""
        return self.raw.execute(pg_sql(sql), params)  # type: ignore[call-overload]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        """Run one statement for each row, pipelined."""
        cursor = self.raw.cursor()
        cursor.executemany(pg_sql(sql), rows)  # type: ignore[call-overload]
        return cursor

    def script(self, sql: str) -> None:
        """Run several statements (PostgreSQL's own text: no marks, no rewriting)."""
        self.raw.execute(sql.encode())

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (as sqlite3's attribute of that name)."""
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


class Store:
    """brandbot's database (SQLite or PostgreSQL): one connection, one thread at a time."""

    def __init__(self, target: str | Path, *, migrate: bool = True,
                 busy_timeout: float = 30.0) -> None:
        """Open `target`: a `postgresql://` URL, or a `sqlite:///` URL or SQLite file path.
        `busy_timeout`: how long a write waits for another's lock before it fails."""
        self.url = str(target)
        self.postgres = is_postgres(target)
        self.conn: Any
        if self.postgres:
            self.path = None
            self.conn = PgConnection(self.url)
            self.conn.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
        else:
            self.path = sqlite_path(target)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
            self.conn.row_factory = sqlite3.Row
            self.db = sqlite_utils.Database(self.conn)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB: ingest commits
            # a page at a time, and the default made a checkpoint every few pages its largest
            # cost.
            self.conn.execute("PRAGMA wal_autocheckpoint=10000")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if migrate:
            self.migrate()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self, *, exclusive: bool = True) -> Iterator[Any]:
        """One write transaction. Writers queue rather than deadlock: SQLite's BEGIN IMMEDIATE
        takes its one write lock, and on PostgreSQL a transaction-scoped advisory lock (one per
        schema) does the same across every replica. `exclusive=False` (PostgreSQL only) skips
        it, for work that locks its own rows (publisher claims, with SKIP LOCKED)."""
        if not self.postgres:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute("BEGIN")
        try:
            if self.postgres and exclusive:
                self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (disk full, I/O error) can leave the transaction open; close it
            # so the connection's next write starts clean.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    # --- schema -------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The number of migrations applied."""
        if self.postgres:
            exists = self.conn.execute("SELECT to_regclass('migrations')").fetchone()[0]
        else:
            exists = "migrations" in self.db.table_names()
        if not exists:
            return 0
        row = self.conn.execute("SELECT max(version) FROM migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> list[int]:
        """Apply every migration not yet applied; return their numbers. Safe when several
        replicas start at once: each migration runs in the write transaction."""
        applied = []
        for version, (name, _) in enumerate(MIGRATIONS, start=1):
            with self.transaction() as conn:
                if version == 1:
                    create = ("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY "
                              "KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
                    conn.execute(_pg_ddl(create) if self.postgres else create)
                if version <= self.schema_version():
                    continue
                sql = migration_sql(version, postgres=self.postgres)
                if self.postgres:
                    conn.script(sql)
                else:
                    for statement in _statements(sql):
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, iso(datetime.now().astimezone())),
                )
            applied.append(version)
        return applied

    # --- ingest -------------------------------------------------------------------------

    def known_mention_ids(self, ids: Iterable[str]) -> set[str]:
        """The subset of `ids` already stored."""
        ids = list(ids)
        found: set[str] = set()
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                f"SELECT id FROM mentions WHERE id IN ({_marks(len(chunk))})", chunk
            )
            found.update(r[0] for r in rows)
        return found

    def mentions_by_author(self, author_ids: Iterable[str], *,
                           excluding: Iterable[str] = ()) -> dict[str, int]:
        """How many mentions each author already has stored (repeat contact), not counting
        the mentions `excluding` names (a page that may or may not be stored yet: one
        statement, so the answer is the same either way)."""
        author_ids = list(author_ids)
        excluded = list(excluding)
        counts: dict[str, int] = {}
        for chunk in _chunks(author_ids):
            marks = _marks(len(chunk))
            # Counted from the author index alone, less those of `excluding` that are stored
            # (`id NOT IN` would read every one of the authors' rows from the table).
            rows = self.conn.execute(
                f"SELECT author_id, count(*) FROM mentions WHERE author_id IN ({marks}) "
                "GROUP BY author_id" + (
                    " UNION ALL SELECT author_id, -count(*) FROM mentions "
                    f"WHERE id IN ({_marks(len(excluded))}) AND author_id IN ({marks}) "
                    "GROUP BY author_id" if excluded else ""),
                [*chunk, *excluded, *chunk] if excluded else chunk,
            )
            for author, n in rows:
                counts[author] = counts.get(author, 0) + n
        return counts

    def get_cursor(self, source: str) -> str | None:
        """Where `source` should resume, or None to start from the beginning."""
        row = self.conn.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, source: str, cursor: str, *, now: datetime) -> None:
        """Record where a job that is not a platform source got to (digests, alerts)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO cursors (source, cursor, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                (source, cursor, iso(now)),
            )

    def ingest(
        self,
        source: str,
        cursor: str | None,
        items: Sequence[AnalysedMention],
        planner: Planner,
        *,
        now: datetime,
        advance_cursor: bool = True,
        cluster_window: timedelta = timedelta(minutes=10),
    ) -> IngestResult:
        """Store a page of mentions, their cases and drafts, and the source's cursor, atomically.

        A mention already stored is skipped (however often it is fetched), so replaying a page
        after a crash repeats nothing. The cursor moves in the same transaction as the data it
        covers, so a crash between pages loses nothing either. `cluster_window` is how far
        back the planner needs to see outage complaints (`[cases] outage_cluster_window`).
        """
        unique = list({item.mention.id: item for item in items}.values())
        with self.transaction() as conn:
            known = self.known_mention_ids(i.mention.id for i in unique)
            new = [i for i in unique if i.mention.id not in known]
            context = self._case_practice_context(
                new, self._case_context(new), cluster_window=cluster_window) if new else None
            plan = planner(new, context) if context is not None else Plan()
            self._write_authors(new, now)
            # One statement per page, not per case: on PostgreSQL each is a round trip, and
            # executemany pipelines them.
            rows = [_case_values(case) for case in plan.new_cases]
            if rows:
                conn.executemany(f"INSERT INTO cases ({','.join(rows[0])}) "
                                 f"VALUES ({_marks(len(rows[0]))})",
                                 [list(r.values()) for r in rows])
            self._write_mentions(source, new, plan, now)
            # Only the columns the plan changed (every index on another column stays put),
            # one executemany per set of columns rather than a statement per case: on
            # PostgreSQL each statement is a round trip, and executemany pipelines them.
            updates: dict[tuple[str, ...], list[list[Any]]] = {}
            for case in plan.updated_cases:
                stored = context.cases.get(case.id) if context else None
                values = {k: v for k, v in _case_values(case).items() if stored is None
                          or getattr(case, k) != getattr(stored, k)}
                values.pop("id", None)
                if values:
                    updates.setdefault(tuple(values), []).append([*values.values(), case.id])
            for columns, batch in updates.items():
                conn.executemany(
                    f"UPDATE cases SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                    batch)
            if plan.drafts:
                cases = dict(context.cases) if context else {}
                cases.update((c.id, c) for c in (*plan.new_cases, *plan.updated_cases))
                self._write_drafts(plan.drafts, now, cases=cases, sentiment={
                    i.mention.id: i.analysis.sentiment.label for i in new})
            self._write_case_practice(plan, now)
            if advance_cursor:
                conn.execute(
                    "INSERT INTO cursors (source, cursor, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                    "updated_at = excluded.updated_at",
                    (source, cursor, iso(now)),
                )
        return IngestResult(
            received=len(items), stored=len(new), cases_opened=len(plan.new_cases),
            drafts_created=len(plan.drafts),
        )

    def _case_context(self, new: Sequence[AnalysedMention]) -> CaseContext:
        conn = self.conn
        authors = sorted({i.mention.author.id for i in new})
        latest: dict[str, int] = {}
        for chunk in _chunks(authors):
            rows = conn.execute(
                "SELECT author_id, max(id) FROM cases "
                f"WHERE author_id IN ({_marks(len(chunk))}) GROUP BY author_id",
                chunk,
            )
            latest.update({r[0]: r[1] for r in rows})
        parents = sorted({
            f"{i.mention.platform}:{i.mention.in_reply_to}" for i in new if i.mention.in_reply_to
        })
        case_of_mention: dict[str, int] = {}
        for chunk in _chunks(parents):
            rows = conn.execute(
                "SELECT id, case_id FROM mentions "
                f"WHERE case_id IS NOT NULL AND id IN ({_marks(len(chunk))})",
                chunk,
            )
            case_of_mention.update({r[0]: r[1] for r in rows})
        conversations = sorted({
            (i.mention.platform, i.mention.conversation_id)
            for i in new if i.mention.conversation_id
        })
        case_of_conversation: dict[tuple[str, str], int] = {}
        for platform, conversation in conversations:
            row = conn.execute(
                "SELECT max(id) FROM cases WHERE platform = ? AND conversation_id = ?",
                (platform, conversation),
            ).fetchone()
            if row[0] is not None:
                case_of_conversation[(platform, conversation)] = row[0]
        case_ids = sorted(set(latest.values()) | set(case_of_mention.values())
                          | set(case_of_conversation.values()))
        cases: dict[int, Case] = {}
        pending: set[int] = set()
        for ids in _chunks(case_ids):
            marks = _marks(len(ids))
            rows = conn.execute(f"SELECT * FROM cases WHERE id IN ({marks})", ids)
            cases.update({r["id"]: _case_from_row(r) for r in rows})
            pending.update(self._awaiting_reply(ids))
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM cases").fetchone()[0]
        return CaseContext(
            next_case_id=next_id, cases=cases, latest_case_by_author=latest,
            case_of_mention=case_of_mention, case_of_conversation=case_of_conversation,
            pending_draft=frozenset(pending),
        )

    def _awaiting_reply(self, case_ids: Sequence[int]) -> list[int]:
        """Which of these cases have a reply draft pending. EXISTS stops at the first: an
        outage incident can hold a hundred thousand pending drafts, and reading them all
        (as SELECT DISTINCT case_id did) made every page slower as the incident grew."""
        return [r[0] for r in self.conn.execute(
            f"SELECT id FROM cases WHERE id IN ({_marks(len(case_ids))}) AND EXISTS ("
            "SELECT 1 FROM drafts INDEXED BY drafts_pending_reply WHERE drafts.case_id = "
            "cases.id AND drafts.status = 'pending' AND drafts.kind = 'reply')",
            list(case_ids))]

    def _write_authors(self, new: Sequence[AnalysedMention], now: datetime) -> None:
        stamp = iso(now)
        rows = {
            i.mention.author.id: (
                i.mention.author.id, i.mention.author.platform, i.mention.author.native_id,
                i.mention.author.handle, i.mention.author.display_name,
                i.mention.author.followers, stamp, stamp,
            )
            for i in new
        }
        self.conn.executemany(
            "INSERT INTO authors (id, platform, native_id, handle, display_name, followers, "
            "first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET handle = excluded.handle, "
            "display_name = coalesce(excluded.display_name, authors.display_name), "
            "followers = coalesce(excluded.followers, authors.followers), "
            "last_seen_at = excluded.last_seen_at",
            list(rows.values()),
        )

    def _write_mentions(
        self, source: str, new: Sequence[AnalysedMention], plan: Plan, now: datetime
    ) -> None:
        fetched = iso(now)
        rows = []
        for item in new:
            m, a = item.mention, item.analysis
            rows.append((
                m.id, m.platform, m.native_id, source, m.url, m.author.id, m.text, m.lang,
                iso(m.created_at), fetched, _dumps(list(a.matched_terms)), m.in_reply_to,
                m.conversation_id, _dumps(m.metrics), a.sentiment.compound, a.sentiment.pos,
                a.sentiment.neu, a.sentiment.neg, a.sentiment.label, int(a.complaint),
                a.complaint_probability, a.intent.value, a.priority.value,
                _dumps(list(a.reasons)), plan.case_of.get(m.id), _dumps(m.raw),
            ))
        self.conn.executemany(
            "INSERT INTO mentions (id, platform, native_id, source, url, author_id, text, lang, "
            "created_at, fetched_at, matched_terms, in_reply_to, conversation_id, metrics, "
            "compound, pos, neu, neg, sentiment, is_complaint, complaint_probability, intent, "
            "priority, reasons, case_id, raw) VALUES "
            f"({_marks(26)})",
            rows,
        )

    def _write_drafts(self, drafts: Sequence[tuple[int, Mention, DraftSpec]],
                      now: datetime, *, cases: Mapping[int, Case] | None = None,
                      sentiment: Mapping[str, str] | None = None) -> None:
        """Insert pending drafts. With their cases (as the plan left them) and their posts'
        sentiment, each row carries its queue keys from the start; SQLite's insert trigger
        then has nothing to do (it fills them only for rows inserted without a team), which
        spares every new draft an UPDATE through six partial indexes."""
        cases, sentiment = cases or {}, sentiment or {}
        rows = []
        stamp = iso(now)
        for case_id, m, spec in drafts:
            case = cases.get(case_id)
            keys = ((_PRIORITY_RANK.get(case.priority.value, 3), iso(case.sla_due_at) or "",
                     case.intent.value, case.team) if case is not None
                    else (3, "", None, None))
            rows.append((case_id, m.id, m.platform, spec.text, spec.text, spec.template,
                         _dumps(list(spec.flags)), stamp, *keys, sentiment.get(m.id)))
        self.conn.executemany(
            "INSERT INTO drafts (case_id, mention_id, platform, text, original_text, template, "
            "status, flags, created_at, priority_rank, sla_due_at, intent, team, sentiment) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    # --- reads --------------------------------------------------------------------------

    def get_mention(self, mention_id: str) -> dict[str, Any] | None:
        """One stored mention as a dict (JSON columns decoded), or None."""
        row = self.conn.execute("SELECT * FROM mentions WHERE id = ?", (mention_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        for key in ("matched_terms", "metrics", "reasons", "raw"):
            out[key] = json.loads(out[key])
        return out

    def load_mention(self, mention_id: str) -> Mention:
        """A stored mention rebuilt as a Mention (for replying to it); NotFound if absent."""
        row = self.conn.execute(
            "SELECT m.*, a.native_id AS author_native_id, a.handle, a.display_name, a.followers "
            "FROM mentions m JOIN authors a ON a.id = m.author_id WHERE m.id = ?",
            (mention_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no mention with id {mention_id}")
        return Mention(
            platform=row["platform"], native_id=row["native_id"],
            author=Author(platform=row["platform"], native_id=row["author_native_id"],
                          handle=row["handle"], display_name=row["display_name"],
                          followers=row["followers"]),
            text=row["text"], created_at=parse_iso(row["created_at"]), url=row["url"],
            lang=row["lang"], in_reply_to=row["in_reply_to"],
            conversation_id=row["conversation_id"], metrics=json.loads(row["metrics"]),
            raw=json.loads(row["raw"]),
        )

    def status_counts(self) -> dict[str, Any]:
        """Drafts and cases by status, unsent notifications, and the unanswered active cases'
        (priority, opened_at, sla_due_at) for SLA gauges: what /metrics reports."""
        return {
            "drafts": dict(self.conn.execute(
                "SELECT status, count(*) FROM drafts GROUP BY 1").fetchall()),
            "cases": dict(self.conn.execute(
                "SELECT status, count(*) FROM cases GROUP BY 1").fetchall()),
            "notifications_pending": self.conn.execute(
                "SELECT count(*) FROM notifications WHERE sent_at IS NULL").fetchone()[0],
            "unanswered": self.conn.execute(
                "SELECT priority, sla_due_at FROM cases WHERE first_response_at IS NULL "
                "AND status IN ('open', 'waiting', 'escalated') AND sla_due_at IS NOT NULL"
            ).fetchall(),
        }

    def backup(self, target: str | Path) -> None:
        """Copy the live database to `target` with SQLite's online backup API (safe while
        the daemon writes); the copy is a complete database file."""
        if self.postgres:
            raise StoreError("db backup copies SQLite files; back PostgreSQL up with its own "
                             "tools (pg_dump, or continuous archiving)")
        destination = sqlite3.connect(target)
        try:
            self.conn.backup(destination)
        finally:
            destination.close()

    def export_rows(self, what: str) -> Iterator[dict[str, Any]]:
        """Every stored mention or case, oldest first, for analysts (JSON columns decoded)."""
        queries = {
            "mentions": "SELECT m.id, m.platform, m.native_id, m.url, a.handle AS author, "
            "m.created_at, m.lang, m.text, m.sentiment, m.compound, m.is_complaint, m.intent, "
            "m.priority, m.case_id, m.matched_terms, m.in_reply_to, m.conversation_id "
            "FROM mentions m JOIN authors a ON a.id = m.author_id ORDER BY m.created_at, m.id",
            "cases": "SELECT c.id, c.kind, c.status, a.handle AS author, c.platform, c.intent, "
            "c.priority, c.team, c.opened_at, c.first_response_at, c.resolved_at, "
            "c.sla_due_at, c.mention_count, c.customer_effort, c.replies_posted, c.csat, "
            "c.escalation FROM cases c JOIN authors a ON a.id = c.author_id ORDER BY c.id",
        }
        if what not in queries:
            raise ValueError(f"cannot export {what!r}")
        for row in self.conn.execute(queries[what]):
            item = dict(row)
            if "matched_terms" in item:
                item["matched_terms"] = json.loads(item["matched_terms"])
            yield item

    def load_rows(self, table: str, columns: Sequence[str],
                  rows: Iterable[Sequence[Any]]) -> int:
        """Insert raw rows into one of brandbot's tables in one transaction (bulk loads:
        benchmarks and copying a store); rows already present are skipped."""
        if table not in COPY_TABLES:
            raise ValueError(f"unknown table {table!r}")
        known = set(self.columns(table))
        if not set(columns) <= known:
            raise ValueError(f"unknown columns for {table}: {sorted(set(columns) - known)}")
        with self.transaction() as conn:
            cursor = conn.executemany(
                f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                f"VALUES ({_marks(len(columns))})", rows)
            if self.postgres and table in _IDENTITY_TABLES:
                # explicit ids do not move an identity: start new ones after the loaded rows
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        return int(cursor.rowcount)

    def read_rows(self, table: str, *, batch: int = 2000
                  ) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        """Every row of one of brandbot's tables in key order, `batch` rows at a time (keyset
        pages, so a million rows never sit in memory at once): (columns, rows) pairs."""
        key = COPY_TABLES[table]
        columns = self.columns(table)
        select = f"SELECT {', '.join(columns)} FROM {table}"
        if key is None:  # small tables without a one-column key
            yield columns, [tuple(r) for r in self.conn.execute(select).fetchall()]
            return
        at = columns.index(key)
        last: Any = None
        while True:
            where = "" if last is None else f" WHERE {key} > ?"
            rows = [tuple(r) for r in self.conn.execute(
                f"{select}{where} ORDER BY {key} LIMIT ?",
                (() if last is None else (last,)) + (batch,)).fetchall()]
            if not rows:
                return
            yield columns, rows
            last = rows[-1][at]

    def copy_to(self, target: Store, *, batch: int = 2000,
                progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
        """Copy every row of this store into `target` (another store, empty or partly copied:
        rows already there are skipped, so an interrupted copy can simply run again). Calls
        `progress(rows)` after each batch; returns rows copied per table."""
        copied: dict[str, int] = {}
        merged: list[tuple[int, int]] = []
        for table in COPY_TABLES:
            copied[table] = 0
            for columns, rows in self.read_rows(table, batch=batch):
                if table == "cases":  # an incident may come after the cases merged into it
                    at = columns.index("merged_into")
                    merged += [(r[at], r[columns.index("id")]) for r in rows
                               if r[at] is not None]
                    rows = [(*r[:at], None, *r[at + 1:]) for r in rows]
                copied[table] += target.load_rows(table, columns, rows)
                progress(len(rows))
        with target.transaction() as conn:
            conn.executemany("UPDATE cases SET merged_into = ? WHERE id = ?", merged)
        return copied

    def total_rows(self) -> int:
        """How many rows `copy_to` would copy."""
        return sum(self.count(table) for table in COPY_TABLES)

    def columns(self, table: str) -> list[str]:
        """The columns of one of brandbot's tables, in order (stored ones only)."""
        if self.postgres:
            rows = self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = current_schema() AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position", (table,))
            return [r[0] for r in rows]
        return [r[1] for r in self.conn.execute(f"PRAGMA table_xinfo({table})")
                if r[6] == 0]

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        """Row count of one of brandbot's tables."""
        if table not in COPY_TABLES:
            raise ValueError(f"unknown table {table!r}")
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, params).fetchone()[0])

    def list_drafts(
        self, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Drafts with their post, author and case, most pressing first."""
        where, params = ("WHERE d.status = ?", [status]) if status else ("", [])
        hint = ""
        if status == "pending":  # the partial index needs the literal term
            where, params, hint = "WHERE d.status = 'pending'", [], "INDEXED BY drafts_queue"
        rows = self.conn.execute(
            _DRAFT_SELECT.format(extra="", post="m.text", hint=hint)
            + f"{where} ORDER BY {_QUEUE_ORDER} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_draft_dict(r) for r in rows]

    def draft_row(self, draft_id: int) -> dict[str, Any]:
        """One draft with its post, author and case (as in list_drafts); NotFound if absent."""
        row = self.conn.execute(
            _DRAFT_SELECT.format(extra="", post="m.text", hint="") + "WHERE d.id = ?", (draft_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        return _draft_dict(row)

    # --- the approval queue -------------------------------------------------------------

    def queue(self, filters: QueueFilter = QueueFilter(), *, after: QueueKey | None = None,
              before: QueueKey | None = None, limit: int = 50) -> QueuePage:
        """One page of pending drafts in queue order, with keys for the pages around it.

        Keyset paging over a partial index: every page costs the same, however deep.
        """
        clauses, params, index = _queue_conditions(filters, postgres=self.postgres)
        backwards = before is not None and after is None
        if after is not None:
            clauses.append("(d.priority_rank, d.sla_due_at, d.id) > (?, ?, ?)")
            params.extend(after)
        elif before is not None:
            clauses.append("(d.priority_rank, d.sla_due_at, d.id) < (?, ?, ?)")
            params.extend(before)
        sql = (_DRAFT_SELECT.format(extra="", post=f"substr(m.text, 1, {EXCERPT})",
                                    hint=f"INDEXED BY {index}")
               + f"WHERE {' AND '.join(clauses)} "
               + f"ORDER BY {_QUEUE_ORDER_DESC if backwards else _QUEUE_ORDER} LIMIT ?")
        rows = [_draft_dict(r) for r in self.conn.execute(sql, [*params, limit + 1])]
        more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
            if not more:  # reached the start: show the first page, full
                return self.queue(filters, limit=limit)
            next_key = queue_key(rows[-1]) if rows else None
            prev_key = queue_key(rows[0]) if rows else None
        else:
            next_key = queue_key(rows[-1]) if rows and more else None
            prev_key = queue_key(rows[0]) if rows and after is not None else None
        return QueuePage(rows=rows, total=self.queue_count(filters), next_key=next_key,
                         prev_key=prev_key)

    def queue_count(self, filters: QueueFilter = QueueFilter()) -> int:
        """How many pending drafts match the filter."""
        clauses, params, index = _queue_conditions(filters, postgres=self.postgres)
        return int(self.conn.execute(
            f"SELECT count(*) FROM drafts d INDEXED BY {index} WHERE {' AND '.join(clauses)}",
            params,
        ).fetchone()[0])

    def queue_neighbours(self, draft_id: int, filters: QueueFilter = QueueFilter()
                         ) -> tuple[int | None, int | None]:
        """The pending drafts just before and just after a draft, in queue order."""
        row = self.conn.execute(
            "SELECT priority_rank, sla_due_at, id FROM drafts WHERE id = ?", (draft_id,)
        ).fetchone()
        if row is None:
            return None, None
        key = tuple(row)
        clauses, params, index = _queue_conditions(filters, postgres=self.postgres)
        found: list[int | None] = []
        for op, order in (("<", _QUEUE_ORDER_DESC), (">", _QUEUE_ORDER)):
            hit = self.conn.execute(
                f"SELECT d.id FROM drafts d INDEXED BY {index} WHERE {' AND '.join(clauses)} "
                f"AND (d.priority_rank, d.sla_due_at, d.id) {op} (?, ?, ?) "
                f"ORDER BY {order} LIMIT 1",
                [*params, *key],
            ).fetchone()
            found.append(hit[0] if hit else None)
        return found[0], found[1]

    def queue_marks(self) -> dict[str, int]:
        """The newest draft and audit event: between them they change whenever the queue does
        (a draft arrives, or is decided or handed off), so a view polls these to refresh."""
        newest = self.conn.execute("SELECT coalesce(max(id), 0) FROM drafts").fetchone()[0]
        changed = self.conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
        return {"newest_draft": int(newest), "last_event": int(changed)}

    def queue_state(self) -> dict[str, int]:
        """The queue's marks and how many drafts are pending."""
        return {"pending": self.queue_count(), **self.queue_marks()}

    def draft_detail(self, draft_id: int) -> dict[str, Any]:
        """Everything the draft page shows about a draft itself; NotFound if absent."""
        extra = ("d.original_text, m.lang, m.metrics, m.native_id AS mention_native_id, "
                 "m.in_reply_to, m.conversation_id, m.compound, m.complaint_probability, "
                 "m.is_complaint, m.intent AS mention_intent, m.priority AS mention_priority, "
                 "c.opened_at, c.mention_count, c.assignee, ")
        row = self.conn.execute(
            _DRAFT_SELECT.format(extra=extra, post="m.text", hint="") + "WHERE d.id = ?",
            (draft_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        item = _draft_dict(row)
        item["metrics"] = json.loads(item["metrics"])
        return item

    def thread(self, *, platform: str, conversation_id: str | None, case_id: int,
               in_reply_to: str | None, limit: int = 100) -> list[dict[str, Any]]:
        """The stored posts around a draft's post: its conversation, its case, its parent."""
        clauses: list[str] = ["m.case_id = ?"]
        params: list[Any] = [case_id]
        if conversation_id:
            clauses.append("(m.platform = ? AND m.conversation_id = ?)")
            params.extend([platform, conversation_id])
        if in_reply_to:
            clauses.append("m.id = ?")
            params.append(f"{platform}:{in_reply_to}")
        rows = self.conn.execute(
            f"SELECT m.id, substr(m.text, 1, {EXCERPT * 4}) AS text, length(m.text) AS length, "
            "m.url, m.created_at, m.sentiment, m.intent, m.case_id, m.in_reply_to, "
            "a.handle AS author, a.display_name AS author_name FROM mentions m "
            f"JOIN authors a ON a.id = m.author_id WHERE {' OR '.join(clauses)} "
            "ORDER BY m.created_at, m.id LIMIT ?",
            [*params, limit],
        )
        return [dict(r) for r in rows]

    def customer_history(self, author_id: str, *, limit: int = 20) -> dict[str, Any]:
        """A customer's cases, posts, and the replies we approved or posted for them (across
        linked authors; see `customer_view`)."""
        return self.customer_view(author_id, limit=limit)

    def view_draft(self, draft_id: int, *, username: str, now: datetime,
                   since: datetime) -> dict[str, Any]:
        """Record that `username` has a draft open; return its state and who else has it open."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO draft_viewers (draft_id, username, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT(draft_id, username) DO UPDATE SET seen_at = excluded.seen_at",
                (draft_id, username, iso(now)),
            )
            conn.execute("DELETE FROM draft_viewers WHERE seen_at < ?",
                         (iso(now - timedelta(hours=1)),))
            others = conn.execute(
                "SELECT username FROM draft_viewers WHERE draft_id = ? AND seen_at >= ? "
                "AND username <> ? ORDER BY username",
                (draft_id, iso(since), username),
            ).fetchall()
            row = conn.execute(
                "SELECT status, decided_by, decided_at, reason FROM drafts WHERE id = ?",
                (draft_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        return {**dict(row), "viewers": [r[0] for r in others]}

    def hand_off(self, draft_id: int, *, team: str, actor: str, now: datetime) -> Draft:
        """Give a pending draft's case to another team, audited with the old and new team."""
        with self.transaction() as conn:
            draft = self.get_draft(draft_id)
            if draft.status is not DraftStatus.PENDING:
                raise AlreadyDecided(_decided_message(draft))
            (old,) = conn.execute("SELECT team FROM cases WHERE id = ?",
                                  (draft.case_id,)).fetchone()
            if old == team:
                raise StoreError(f"case {draft.case_id} is already with team {team}")
            conn.execute("UPDATE cases SET team = ?, updated_at = ? WHERE id = ?",
                         (team, iso(now), draft.case_id))
            self._audit(actor, "hand_off", f"draft:{draft_id}", old, team,
                        {"case_id": draft.case_id}, now)
        return draft

    def get_draft(self, draft_id: int) -> Draft:
        """One draft; NotFound if there is none with that id."""
        row = self.conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            raise NotFound(f"no draft with id {draft_id}")
        return draft_from_row(row)

    def list_cases(self, *, status: str | None = None, team: str | None = None,
                   limit: int = 1000, before_id: int | None = None) -> list[dict[str, Any]]:
        """Cases with their author handle and pending draft (if any), newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if status:
            clauses.append("c.status = ?")
            params.append(status)
        if team:
            clauses.append("c.team = ?")
            params.append(team)
        if before_id is not None:
            clauses.append("c.id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(
            "SELECT c.*, a.handle AS author, (SELECT min(d.id) FROM drafts d "
            "WHERE d.case_id = c.id AND d.status = 'pending') AS pending_draft_id "
            "FROM cases c JOIN authors a ON a.id = c.author_id "
            f"{where} ORDER BY c.id DESC LIMIT ?",
            [*params, limit],
        )
        return [dict(r) for r in rows]

    # --- decisions ----------------------------------------------------------------------

    def decide_draft(
        self,
        draft_id: int,
        *,
        approve: bool,
        actor: str,
        now: datetime,
        text: str | None = None,
        reason: str | None = None,
        flags: Sequence[str] | None = None,
    ) -> Draft:
        """Approve (optionally with edited text) or reject a pending draft, with an audit row.

        Raises AlreadyDecided when someone decided it first: a draft is decided exactly once.
        """
        with self.transaction() as conn:
            before = self.get_draft(draft_id)
            if before.status is not DraftStatus.PENDING:
                raise AlreadyDecided(_decided_message(before))
            status = DraftStatus.APPROVED if approve else DraftStatus.REJECTED
            new_text = text if text is not None else before.text
            new_flags = list(flags) if flags is not None else list(before.flags)
            conn.execute(
                "UPDATE drafts SET status = ?, text = ?, flags = ?, decided_by = ?, "
                "decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'",
                (status.value, new_text, _dumps(new_flags), actor, iso(now), reason, draft_id),
            )
            action = "approve" if approve else "reject"
            if approve and new_text != before.text:
                action = "edit_approve"
            self._audit(actor, action, f"draft:{draft_id}", before.text, new_text,
                        {"reason": reason} if reason else None, now)
            return self.get_draft(draft_id)

    def _audit(self, actor: str, action: str, subject: str | None, before: str | None,
               after: str | None, detail: dict[str, Any] | None, now: datetime) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, actor, action, subject, before, after, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (iso(now), actor, action, subject, before, after,
             _dumps(detail) if detail else None),
        )

    def list_audit(self, *, limit: int = 200, before_id: int | None = None,
                   actor: str | None = None, action: str | None = None,
                   subject: str | None = None) -> list[dict[str, Any]]:
        """The newest audit rows first, optionally only one actor's, action's or subject's."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("actor", actor), ("action", action), ("subject", subject)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?",
                                 [*params, limit])
        return [dict(r) for r in rows]

    # --- digests ------------------------------------------------------------------------

    _PERIOD = "created_at >= ? AND created_at < ?"

    def mention_aggregates(self, start: datetime, end: datetime) -> dict[str, Any]:
        """One period's counts, the digest's raw material, from one covering-index scan.

        A mention counts once for the brand (whichever of its terms matched) and once for
        each competitor it names.
        """
        by_day: dict[str, dict[str, int]] = {}
        sentiment: dict[str, int] = {}
        platforms: dict[str, int] = {}
        complaints: dict[str, int] = {}
        hourly_negative: dict[str, int] = {}
        labels: dict[str, dict[str, int]] = {}
        names: dict[str, set[str]] = {}
        for hour, label, platform, intent, complaint, terms, n in self.conn.execute(
            "SELECT substr(created_at, 1, 13), sentiment, platform, intent, is_complaint, "
            "matched_terms, count(*) FROM mentions INDEXED BY mentions_digest "
            f"WHERE {self._PERIOD} GROUP BY 1, 2, 3, 4, 5, 6", (iso(start), iso(end)),
        ):
            label = label or "neutral"
            row = by_day.setdefault(hour[:10], {"total": 0, "positive": 0, "neutral": 0,
                                                "negative": 0})
            row["total"] += n
            row[label] += n
            sentiment[label] = sentiment.get(label, 0) + n
            platforms[platform] = platforms.get(platform, 0) + n
            if complaint:
                complaints[intent] = complaints.get(intent, 0) + n
            if label == "negative":
                hourly_negative[hour] = hourly_negative.get(hour, 0) + n
            if terms not in names:
                names[terms] = {t if t.startswith("competitor:") else "brand"
                                for t in json.loads(terms or "[]")}
            for name in names[terms]:
                counts = labels.setdefault(name, {})
                counts[label] = counts.get(label, 0) + n
        return {
            "total": sum(sentiment.values()), "by_day": by_day, "sentiment": sentiment,
            "labels": labels, "by_platform": platforms, "complaints_by_intent": complaints,
            "hourly_negative": hourly_negative,
        }

    def digest_posts(self, start: datetime, end: datetime, *, where: str = "1 = 1",
                     params: Sequence[Any] = (), limit: int = 5
                     ) -> list[dict[str, Any]]:
        """Posts of a period for a digest, by the author's reach (followers)."""
        if where not in _DIGEST_FILTERS:
            raise ValueError("unsupported digest query")
        # From the most-followed authors down (authors_followers), probing each one's posts
        # in the period (mentions_author): stops after `limit` hits instead of sorting the
        # period. CROSS JOIN keeps SQLite from reordering the loops.
        rows = self.conn.execute(
            "SELECT m.id, m.platform, m.text, m.url, m.created_at, m.sentiment, m.intent, "
            "a.handle AS author, coalesce(a.followers, 0) AS followers, m.metrics "
            "FROM authors a INDEXED BY authors_followers CROSS JOIN mentions m "
            "ON m.author_id = a.id "
            f"WHERE m.created_at >= ? AND m.created_at < ? AND {where} "
            "ORDER BY a.followers DESC, m.id LIMIT ?",
            (iso(start), iso(end), *params, limit),
        )
        out = []
        for row in rows:
            item = dict(row)
            metrics = json.loads(item.pop("metrics") or "{}")
            engagement = sum(v for v in metrics.values() if isinstance(v, int))
            item["reach"] = item["followers"] + engagement
            out.append(item)
        return out

    def negative_per_hour(self, start: datetime, end: datetime) -> dict[str, int]:
        """Negative mentions per hour (YYYY-MM-DDTHH) posted in a period."""
        return dict(self.conn.execute(
            f"SELECT substr(created_at, 1, 13), count(*) FROM mentions WHERE {self._PERIOD} "
            "AND sentiment = 'negative' GROUP BY 1", (iso(start), iso(end))).fetchall())

    def count_negative(self, start: datetime, end: datetime) -> int:
        """Negative mentions posted in a period."""
        return int(self.conn.execute(
            f"SELECT count(*) FROM mentions WHERE {self._PERIOD} AND sentiment = 'negative'",
            (iso(start), iso(end))).fetchone()[0])

    def digest_texts(self, start: datetime, end: datetime, *, limit: int) -> list[str]:
        """Up to `limit` post texts of a period, spread evenly across it (a fixed sample)."""
        span = (iso(start), iso(end))
        total = self.conn.execute(
            "SELECT count(*) FROM mentions INDEXED BY mentions_digest "
            f"WHERE {self._PERIOD}", span).fetchone()[0]
        step = max(1, -(-total // limit))
        if self.postgres:  # no rowid: number the period's rows instead
            return [r[0][:2000] for r in self.conn.execute(
                "SELECT text FROM (SELECT text, row_number() OVER (ORDER BY created_at, id) "
                f"AS n FROM mentions WHERE {self._PERIOD}) numbered WHERE n % ? = 0 "
                "ORDER BY n LIMIT ?", (*span, step, limit))]
        return [r[0][:2000] for r in self.conn.execute(
            "SELECT text FROM mentions WHERE rowid IN (SELECT rowid FROM mentions "
            f"INDEXED BY mentions_digest WHERE {self._PERIOD} AND rowid % ? = 0 LIMIT ?)",
            (*span, step, limit))]

    def digest_cases(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Cases opened in a period, with what care metrics need."""
        columns = ("opened_at", "first_response_at", "resolved_at", "sla_due_at", "priority",
                   "customer_effort", "replies_posted", "csat")
        rows = self.conn.execute(
            f"SELECT {', '.join(columns)} FROM cases INDEXED BY cases_opened "
            "WHERE opened_at >= ? AND opened_at < ? AND merged_into IS NULL",
            (iso(start), iso(end)),
        )
        return [dict(zip(columns, r, strict=True)) for r in rows]

    # --- publishing ---------------------------------------------------------------------

    def claim_for_posting(self, platforms: Sequence[str], *, now: datetime,
                          limit: int = 10) -> list[Draft]:
        """Move due, human-approved drafts for these platforms to `posting` and return them.

        A draft is only ever claimed when its approval is recorded twice over: `decided_by`
        on the draft and an approve row in the audit log.
        """
        if not platforms:
            return []
        # PostgreSQL: each replica's publisher locks the drafts it claims and skips the ones
        # another has locked, so two never claim one draft (and never wait on each other).
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.postgres else ""
        with self.transaction(exclusive=False) as conn:
            rows = conn.execute(
                f"SELECT d.id FROM drafts d WHERE d.status = 'approved' "
                f"AND d.platform IN ({_marks(len(platforms))}) AND d.decided_by IS NOT NULL "
                "AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) "
                "AND EXISTS (SELECT 1 FROM audit a WHERE a.subject = 'draft:' || d.id "
                "AND a.action IN ('approve', 'edit_approve') AND a.actor = d.decided_by) "
                "ORDER BY d.decided_at, d.id LIMIT ?" + lock,
                [*platforms, iso(now), limit],
            ).fetchall()
            ids = [r[0] for r in rows]
            for draft_id in ids:
                conn.execute(
                    "UPDATE drafts SET status = 'posting', posting_started_at = ?, "
                    "attempts = attempts + 1 WHERE id = ? AND status = 'approved'",
                    (iso(now), draft_id),
                )
        return [self.get_draft(i) for i in ids]

    def drafts_in_posting(self, platforms: Sequence[str], *, started_before: datetime
                          ) -> list[Draft]:
        """Drafts whose outcome is unknown (a crash or an ambiguous error while posting)."""
        if not platforms:
            return []
        rows = self.conn.execute(
            f"SELECT * FROM drafts WHERE status = 'posting' AND platform IN "
            f"({_marks(len(platforms))}) AND posting_started_at <= ? ORDER BY id",
            [*platforms, iso(started_before)],
        )
        return [draft_from_row(r) for r in rows]

    def mark_posted(self, draft_id: int, *, posted_id: str, url: str | None,
                    now: datetime) -> None:
        """Record a reply the platform accepted, and the case's first response."""
        with self.transaction() as conn:
            draft = self.get_draft(draft_id)
            conn.execute(
                "UPDATE drafts SET status = 'posted', posted_id = ?, posted_url = ?, "
                "posted_at = ?, error = NULL, next_attempt_at = NULL WHERE id = ?",
                (posted_id, url, iso(now), draft_id),
            )
            conn.execute(
                "UPDATE cases SET first_response_at = coalesce(first_response_at, ?), "
                "status = CASE WHEN status = 'open' THEN 'waiting' ELSE status END, "
                "updated_at = ? WHERE id = ?",
                (iso(now), iso(now), draft.case_id),
            )
            self._audit("publisher", "post", f"draft:{draft_id}", None, draft.text,
                        {"posted_id": posted_id, "url": url}, now)

    def mark_retry(self, draft_id: int, *, error: str, next_attempt_at: datetime,
                   now: datetime) -> None:
        """Put a draft that certainly was not posted back in line for a later attempt."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE drafts SET status = 'approved', error = ?, next_attempt_at = ?, "
                "posting_started_at = NULL WHERE id = ? AND status = 'posting'",
                (error, iso(next_attempt_at), draft_id),
            )

    def mark_failed(self, draft_id: int, *, error: str, now: datetime) -> None:
        """Give up on a draft: it needs a person (a permanent refusal, or too many tries)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE drafts SET status = 'failed', error = ?, next_attempt_at = NULL "
                "WHERE id = ? AND status = 'posting'",
                (error, draft_id),
            )
            self._audit("publisher", "post_failed", f"draft:{draft_id}", None, None,
                        {"error": error}, now)

    # --- case service -------------------------------------------------------------------
    # Incidents, escalation notifications, resolution, follow-ups, SLA watching, customers.

    def _case_practice_context(self, new: Sequence[AnalysedMention], base: CaseContext, *,
                               cluster_window: timedelta) -> CaseContext:
        """Add what case practice needs to the planner's context: the authors' cases by their
        posts too (an incident holds other authors' posts), recent outage complaints, the open
        incident, and the cases merged into it."""
        conn = self.conn
        latest = dict(base.latest_case_by_author)
        authors = sorted({i.mention.author.id for i in new})
        for chunk in _chunks(authors):
            rows = conn.execute(
                "SELECT author_id, max(case_id) FROM mentions WHERE case_id IS NOT NULL "
                f"AND author_id IN ({_marks(len(chunk))}) GROUP BY author_id",
                chunk,
            )
            for author, case_id in rows:
                latest[author] = max(case_id, latest.get(author, 0))
        times = [i.mention.created_at for i in new]
        recent = tuple(
            (r[0], r[1], parse_iso(r[2]), r[3]) for r in conn.execute(
                "SELECT m.id, m.author_id, m.created_at, m.case_id FROM mentions m "
                "CROSS JOIN cases c ON c.id = m.case_id WHERE m.is_complaint = 1 "
                "AND m.intent = 'outage' AND m.created_at >= ? AND m.created_at <= ? "
                "AND c.kind = 'customer' ORDER BY m.created_at, m.id",
                (iso(min(times) - cluster_window), iso(max(times))),
            )
        )
        row = conn.execute(
            "SELECT id FROM cases WHERE kind = 'incident' "
            "AND status IN ('open', 'waiting', 'escalated') ORDER BY id DESC LIMIT 1"
        ).fetchone()
        incident_id = row[0] if row else None
        cases = dict(base.cases)
        wanted = set(latest.values()) | {r[3] for r in recent}
        if incident_id is not None:
            wanted.add(incident_id)
        while wanted - set(cases):  # and the incidents that merged cases point at
            ids = sorted(wanted - set(cases))
            for id_chunk in _chunks(ids):
                rows = conn.execute(
                    f"SELECT * FROM cases WHERE id IN ({_marks(len(id_chunk))})", id_chunk)
                cases.update({r["id"]: _case_from_row(r) for r in rows})
            wanted = {c.merged_into for c in cases.values() if c.merged_into is not None}
        pending = set(base.pending_draft)
        extra = sorted(set(cases) - set(base.cases))
        for id_chunk in _chunks(extra):
            pending.update(self._awaiting_reply(id_chunk))
        incident_pending: set[str] = set()
        for chunk in _chunks(authors if incident_id is not None else []):
            incident_pending.update(r[0] for r in conn.execute(
                "SELECT DISTINCT m.author_id FROM mentions m "
                "CROSS JOIN drafts d INDEXED BY drafts_mention ON d.mention_id = m.id "
                "WHERE d.case_id = ? AND d.status = 'pending' AND d.kind = 'reply' "
                f"AND m.author_id IN ({_marks(len(chunk))})",
                (incident_id, *chunk),
            ))
        return replace(
            base, cases=cases, latest_case_by_author=latest, pending_draft=frozenset(pending),
            recent_outage=recent, incident_id=incident_id,
            incident_pending_authors=frozenset(incident_pending),
        )

    def _write_case_practice(self, plan: Plan, now: datetime) -> None:
        """Move stored posts (and their drafts) an incident took over; queue notifications."""
        conn = self.conn
        for mention_id, case_id in plan.moved.items():
            conn.execute("UPDATE mentions SET case_id = ? WHERE id = ?", (case_id, mention_id))
            # the queue keys are copied from the case, as the insert trigger does
            conn.execute(
                "UPDATE drafts SET case_id = c.id, priority_rank = CASE c.priority "
                "WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, "
                "sla_due_at = coalesce(c.sla_due_at, ''), intent = c.intent, team = c.team "
                "FROM cases c WHERE c.id = ? AND drafts.mention_id = ?",
                (case_id, mention_id),
            )
        for case_id, reason, text in plan.notifications:
            self.queue_notification(case_id, reason, text, now=now)

    def get_case(self, case_id: int) -> Case:
        """One case; NotFound if there is none with that id."""
        row = self.conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise NotFound(f"no case with id {case_id} (see `brandbot cases list`)")
        return _case_from_row(row)

    def case_row(self, case_id: int) -> dict[str, Any]:
        """One case as `list_cases` shows it; NotFound if absent."""
        row = self.conn.execute(
            "SELECT c.*, a.handle AS author, (SELECT min(d.id) FROM drafts d "
            "WHERE d.case_id = c.id AND d.status = 'pending') AS pending_draft_id "
            "FROM cases c JOIN authors a ON a.id = c.author_id WHERE c.id = ?",
            (case_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no case with id {case_id} (see `brandbot cases list`)")
        return dict(row)

    def case_detail(self, case_id: int, *, limit: int = 200) -> dict[str, Any]:
        """A case with its posts, its drafts and its audit trail (the case's and its drafts')."""
        case = self.case_row(case_id)
        mentions = [dict(r) for r in self.conn.execute(
            f"SELECT m.id, m.platform, a.handle AS author, substr(m.text, 1, {EXCERPT}) AS text, "
            "length(m.text) AS length, m.url, m.created_at, m.sentiment, m.intent, "
            "m.is_complaint, m.priority, m.in_reply_to FROM mentions m "
            "JOIN authors a ON a.id = m.author_id WHERE m.case_id = ? "
            "ORDER BY m.created_at, m.id LIMIT ?",
            (case_id, limit),
        )]
        drafts = [dict(r) for r in self.conn.execute(
            "SELECT id, kind, mention_id, platform, status, text, template, created_at, "
            "decided_by, decided_at, reason, posted_id, posted_at, error FROM drafts "
            "WHERE case_id = ? ORDER BY id LIMIT ?",
            (case_id, limit),
        )]
        subjects = [f"case:{case_id}", *(f"draft:{d['id']}" for d in drafts)]
        audit = [dict(r) for r in self.conn.execute(
            f"SELECT id, at, actor, action, subject, before, after, detail FROM audit "
            f"WHERE subject IN ({_marks(len(subjects))}) ORDER BY id LIMIT ?",
            [*subjects, limit],
        )]
        notifications = [dict(r) for r in self.conn.execute(
            "SELECT reason, created_at, sent_at, attempts, error FROM notifications "
            "WHERE case_id = ? ORDER BY id", (case_id,),
        )]
        return {"case": case, "mentions": mentions, "drafts": drafts, "audit": audit,
                "notifications": notifications}

    def resolve_case(self, case_id: int, *, actor: str, now: datetime,
                     follow_up: timedelta) -> Case:
        """Resolve a case, audited; its follow-up falls due `follow_up` later."""
        with self.transaction():
            case = self.get_case(case_id)
            if case.merged_into is not None:
                raise StoreError(f"case {case_id} was merged into incident {case.merged_into}; "
                                 f"resolve that instead")
            if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                at = f" at {iso(case.resolved_at)}" if case.resolved_at else ""
                raise StoreError(f"case {case_id} is already {case.status.value}{at}")
            self.conn.execute(
                "UPDATE cases SET status = 'resolved', resolved_at = ?, follow_up_due_at = ?, "
                "updated_at = ? WHERE id = ?",
                (iso(now), iso(now + follow_up), iso(now), case_id),
            )
            self._audit(actor, "case_resolve", f"case:{case_id}", case.status.value,
                        CaseStatus.RESOLVED.value,
                        {"follow_up_due_at": iso(now + follow_up)}, now)
            return self.get_case(case_id)

    def assign_case(self, case_id: int, *, team: str, actor: str, now: datetime) -> Case:
        """Give a case to a team, audited with the old and new team."""
        with self.transaction():
            case = self.get_case(case_id)
            if case.team == team:
                raise StoreError(f"case {case_id} is already with team {team}")
            self.conn.execute("UPDATE cases SET team = ?, updated_at = ? WHERE id = ?",
                              (team, iso(now), case_id))
            self._audit(actor, "case_assign", f"case:{case_id}", case.team, team, None, now)
            return self.get_case(case_id)

    # notifications: an outbox the case clock drains, one row per case and reason

    def queue_notification(self, case_id: int, reason: str, text: str, *,
                           now: datetime) -> bool:
        """Queue a webhook notification unless one was queued for this case and reason."""
        cursor = self.conn.execute(
            "INSERT INTO notifications (case_id, reason, text, created_at, next_attempt_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_id, reason) DO NOTHING",
            (case_id, reason, text, iso(now), iso(now)),
        )
        return cursor.rowcount > 0

    def due_notifications(self, now: datetime, *, limit: int = 50) -> list[dict[str, Any]]:
        """Unsent notifications whose (next) attempt is due, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY id LIMIT ?",
            (iso(now), limit),
        )
        return [dict(r) for r in rows]

    def mark_notification_sent(self, notification_id: int, *, now: datetime) -> None:
        """Record that the webhook accepted a notification."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE notifications SET sent_at = ?, attempts = attempts + 1, error = NULL "
                "WHERE id = ? AND sent_at IS NULL",
                (iso(now), notification_id),
            )

    def mark_notification_failed(self, notification_id: int, *, error: str,
                                 retry_at: datetime) -> None:
        """Record a failed attempt; the notification is tried again at `retry_at`."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE notifications SET attempts = attempts + 1, error = ?, "
                "next_attempt_at = ? WHERE id = ? AND sent_at IS NULL",
                (error[:500], iso(retry_at), notification_id),
            )

    def cases_to_watch(self, *, now: datetime, due_before: datetime, opened_after: datetime,
                       opened_before: datetime) -> list[tuple[Case, str]]:
        """Active cases (with the author's handle) that may be near an SLA target and were not
        yet notified for the target now applying: unanswered ones due in (now, due_before],
        answered ones opened in (opened_after, opened_before]."""
        rows = self.conn.execute(
            "SELECT c.*, a.handle FROM cases c JOIN authors a ON a.id = c.author_id "
            "WHERE c.status IN ('open', 'waiting', 'escalated') AND ("
            "(c.first_response_at IS NULL AND c.sla_due_at > ? AND c.sla_due_at <= ?) OR "
            "(c.first_response_at IS NOT NULL AND c.opened_at > ? AND c.opened_at <= ?)) "
            "AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id "
            "AND n.reason = CASE WHEN c.first_response_at IS NULL "
            "THEN 'sla_at_risk:first_response' ELSE 'sla_at_risk:resolution' END)",
            (iso(now), iso(due_before), iso(opened_after), iso(opened_before)),
        )
        return [(_case_from_row(r), r["handle"]) for r in rows]

    def create_follow_ups(self, now: datetime,
                          drafter: Callable[[Case, Mention], DraftSpec]) -> list[int]:
        """Write the follow-up drafts that are due, at most one round per resolution.

        A resolved case whose `follow_up_due_at` has passed gets a draft (kind `follow_up`) on
        the customer's latest post; an incident gets one for each customer in it.
        """
        created: list[int] = []
        with self.transaction() as conn:
            due = conn.execute(
                "SELECT * FROM cases c WHERE c.status = 'resolved' AND c.follow_up_due_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.case_id = c.id "
                "AND d.kind = 'follow_up' AND d.created_at >= c.resolved_at) ORDER BY c.id",
                (iso(now),),
            ).fetchall()
            for row in due:
                case = _case_from_row(row)
                if case.kind is CaseKind.INCIDENT:
                    authors = [r[0] for r in conn.execute(
                        "SELECT DISTINCT m.author_id FROM drafts d JOIN mentions m "
                        "ON m.id = d.mention_id WHERE d.case_id = ? AND d.kind = 'reply'",
                        (case.id,),
                    )]
                else:
                    authors = [case.author_id]
                for author in sorted(authors):
                    last = conn.execute(
                        "SELECT id FROM mentions WHERE case_id = ? AND author_id = ? "
                        "ORDER BY created_at DESC, id DESC LIMIT 1",
                        (case.id, author),
                    ).fetchone()
                    if last is None:
                        continue
                    mention = self.load_mention(last[0])
                    spec = drafter(case, mention)
                    cursor = conn.execute(
                        "INSERT INTO drafts (case_id, mention_id, platform, text, original_text, "
                        "template, status, flags, created_at, kind) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, 'follow_up') RETURNING id",
                        (case.id, mention.id, mention.platform, spec.text, spec.text,
                         spec.template, _dumps(list(spec.flags)), iso(now)),
                    )
                    created.append(int(cursor.fetchone()[0]))
        return created

    # customers: one person's authors on several platforms

    def author_id_for(self, ref: str) -> str:
        """The author id for `platform:id` or `platform:handle` (with or without @)."""
        if self.conn.execute("SELECT 1 FROM authors WHERE id = ?", (ref,)).fetchone():
            return ref
        platform, _, handle = ref.partition(":")
        row = self.conn.execute(
            "SELECT id FROM authors WHERE platform = ? AND lower(handle) = lower(?) "
            "ORDER BY last_seen_at DESC LIMIT 1",
            (platform, handle.lstrip("@")),
        ).fetchone()
        if row is None:
            raise NotFound(f"no author {ref!r}: name one as platform:handle, e.g. x:dana or "
                           "reddit:dana_k")
        return str(row[0])

    def customer_authors(self, author_id: str) -> list[str]:
        """The author and every author linked to them (NotFound for an unknown author)."""
        row = self.conn.execute("SELECT id, customer_id FROM authors WHERE id = ?",
                                (author_id,)).fetchone()
        if row is None:
            raise NotFound(f"no author {author_id!r}: author ids are platform:handle, "
                           "e.g. x:dana or reddit:dana_k")
        if row["customer_id"] is None:
            return [author_id]
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM authors WHERE customer_id = ? ORDER BY id", (row["customer_id"],))]

    def link_customers(self, first: str, second: str, *, actor: str, now: datetime) -> list[str]:
        """Record that two authors are one customer (and so everyone linked to either is);
        returns every author of that customer."""
        with self.transaction() as conn:
            found = {r[0]: r[1] for r in conn.execute(
                "SELECT id, customer_id FROM authors WHERE id IN (?, ?)", (first, second))}
            for author in (first, second):
                if author not in found:
                    raise NotFound(f"no author {author!r}: author ids are platform:handle, "
                                   "e.g. x:dana or reddit:dana_k")
            customer = found[first] or first
            other = found[second] or second
            conn.execute(
                "UPDATE authors SET customer_id = ? WHERE id IN (?, ?) OR customer_id IN (?, ?)",
                (customer, first, second, customer, other),
            )
            self._audit(actor, "customer_link", f"customer:{customer}", None,
                        f"{first} = {second}", None, now)
        return self.customer_authors(first)

    def customer_view(self, author_id: str, *, limit: int = 20) -> dict[str, Any]:
        """Everything about one customer across their linked authors: cases (their own and the
        incidents their posts joined), posts, our approved or posted replies, and a summary of
        earlier complaints and how their cases ended."""
        ids = self.customer_authors(author_id)
        marks = _marks(len(ids))
        authors = [dict(r) for r in self.conn.execute(
            "SELECT id, platform, handle, display_name, followers, first_seen_at, last_seen_at "
            f"FROM authors WHERE id IN ({marks}) ORDER BY id", ids)]
        theirs = (f"(c.author_id IN ({marks}) OR c.id IN (SELECT case_id FROM mentions "
                  f"WHERE author_id IN ({marks}) AND case_id IS NOT NULL)) "
                  "AND c.merged_into IS NULL")
        cases = [dict(r) for r in self.conn.execute(
            "SELECT c.id, c.kind, c.platform, c.status, c.intent, c.priority, c.team, "
            "c.opened_at, c.first_response_at, c.resolved_at, c.csat, c.mention_count, "
            "c.escalation, c.replies_posted FROM cases c "
            f"WHERE {theirs} ORDER BY c.id DESC LIMIT ?", [*ids, *ids, limit])]
        outcomes = dict(self.conn.execute(
            f"SELECT c.status, count(*) FROM cases c WHERE {theirs} GROUP BY c.status",
            [*ids, *ids]).fetchall())
        csat = self.conn.execute(
            f"SELECT avg(c.csat), count(c.csat) FROM cases c WHERE {theirs}",
            [*ids, *ids]).fetchone()
        mentions = [dict(r) for r in self.conn.execute(
            f"SELECT m.id, m.platform, a.handle AS author, substr(m.text, 1, {EXCERPT}) AS text, "
            "length(m.text) AS length, m.url, m.created_at, m.sentiment, m.intent, "
            "m.is_complaint, m.case_id FROM mentions m JOIN authors a ON a.id = m.author_id "
            f"WHERE m.author_id IN ({marks}) ORDER BY m.created_at DESC LIMIT ?",
            [*ids, limit])]
        totals = self.conn.execute(
            "SELECT count(*), coalesce(sum(is_complaint), 0), min(created_at), max(created_at) "
            f"FROM mentions WHERE author_id IN ({marks})", ids).fetchone()
        answers = [dict(r) for r in self.conn.execute(
            "SELECT d.id, d.case_id, d.kind, d.text, d.status, d.decided_by, d.decided_at, "
            "d.posted_at, d.posted_url FROM drafts d JOIN mentions m ON m.id = d.mention_id "
            f"WHERE m.author_id IN ({marks}) AND d.status IN ('approved', 'posting', 'posted') "
            "ORDER BY d.id DESC LIMIT ?", [*ids, limit])]
        return {
            "author_id": author_id, "authors": authors, "cases": cases, "mentions": mentions,
            "answers": answers,
            "summary": {
                "posts": totals[0], "complaints": totals[1], "cases": sum(outcomes.values()),
                "outcomes": outcomes, "csat_avg": round(csat[0], 2) if csat[1] else None,
                "csat_responses": csat[1], "first_post_at": totals[2], "last_post_at": totals[3],
            },
        }

    # --- users --------------------------------------------------------------------------

    def add_user(self, name: str, role: Role, password_hash: str, *, actor: str,
                 now: datetime) -> None:
        """Create a user; StoreError if the name is taken."""
        with self.transaction() as conn:
            exists = conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if exists:
                raise StoreError(f"user {name!r} already exists")
            conn.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role.value, password_hash, iso(now)),
            )
            self._audit(actor, "user_add", f"user:{name}", None, role.value, None, now)

    def get_user(self, name: str) -> dict[str, Any] | None:
        """A user row (name, role, password_hash, created_at) or None."""
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def list_users(self) -> list[dict[str, Any]]:
        """Every user (without password hashes) with their last sign-in, by name."""
        rows = self.conn.execute(
            "SELECT u.name, u.role, u.created_at, (SELECT max(a.at) FROM audit a "
            "WHERE a.actor = u.name AND a.action = 'login') AS last_login_at, "
            "(SELECT count(*) FROM api_tokens t WHERE t.username = u.name) AS api_tokens "
            "FROM users u ORDER BY u.name"
        )
        return [dict(r) for r in rows]

    # --- sessions, API tokens, sign-in attempts ------------------------------------------

    def create_session(self, token_hash: str, *, username: str, csrf_token: str,
                       now: datetime, expires_at: datetime, ip: str | None,
                       user_agent: str | None) -> None:
        """Store a signed-in session (by the hash of its token) and audit the sign-in."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (iso(now),))
            conn.execute(
                "INSERT INTO sessions (token_hash, username, csrf_token, created_at, "
                "last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token_hash, username, csrf_token, iso(now), iso(now), iso(expires_at), ip,
                 (user_agent or "")[:200]),
            )
            self._audit(username, "login", f"user:{username}", None, None,
                        {"ip": ip} if ip else None, now)

    def session(self, token_hash: str, *, now: datetime) -> dict[str, Any] | None:
        """The live session with that token hash (with the user's current role), or None."""
        row = self.conn.execute(
            "SELECT s.username, u.role, s.csrf_token, s.last_seen_at, s.expires_at, s.flash "
            "FROM sessions s JOIN users u ON u.name = s.username "
            "WHERE s.token_hash = ? AND s.expires_at > ?",
            (token_hash, iso(now)),
        ).fetchone()
        return dict(row) if row else None

    def touch_session(self, token_hash: str, *, now: datetime, expires_at: datetime) -> None:
        """Push a live session's idle expiry forward."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET last_seen_at = ?, expires_at = ? "
                "WHERE token_hash = ? AND expires_at > ?",
                (iso(now), iso(expires_at), token_hash, iso(now)),
            )

    def end_session(self, token_hash: str, *, now: datetime) -> None:
        """Sign a session out."""
        with self.transaction() as conn:
            row = conn.execute("SELECT username FROM sessions WHERE token_hash = ?",
                               (token_hash,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
                self._audit(row[0], "logout", f"user:{row[0]}", None, None, None, now)

    def set_flash(self, token_hash: str, message: dict[str, str] | None) -> None:
        """Leave a one-off message for the session's next page (None clears it)."""
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET flash = ? WHERE token_hash = ?",
                         (_dumps(message) if message else None, token_hash))

    def add_api_token(self, token_hash: str, *, username: str, actor: str,
                      now: datetime) -> None:
        """Store a user's API token by its hash; NotFound for an unknown user."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (username,)).fetchone() is None:
                raise NotFound(f"no user called {username!r}: add one with "
                               f"`brandbot users add {username} --role approver`")
            conn.execute(
                "INSERT INTO api_tokens (token_hash, username, created_at) VALUES (?, ?, ?)",
                (token_hash, username, iso(now)),
            )
            self._audit(actor, "api_token_add", f"user:{username}", None, None, None, now)

    def api_token_user(self, token_hash: str) -> dict[str, Any] | None:
        """The user (name, role) an API token belongs to, or None."""
        row = self.conn.execute(
            "SELECT u.name AS username, u.role, t.last_used_at FROM api_tokens t "
            "JOIN users u ON u.name = t.username WHERE t.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return dict(row) if row else None

    def touch_api_token(self, token_hash: str, *, now: datetime) -> None:
        """Record when an API token was last used."""
        with self.transaction() as conn:
            conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?",
                         (iso(now), token_hash))

    def record_login_attempt(self, username: str, *, ip: str, ok: bool, now: datetime,
                             keep: timedelta = timedelta(days=1)) -> None:
        """Remember one sign-in attempt (for rate limiting); forget those older than `keep`."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM login_attempts WHERE at < ?", (iso(now - keep),))
            conn.execute(
                "INSERT INTO login_attempts (at, username, ip, ok) VALUES (?, ?, ?, ?)",
                (iso(now), username, ip, int(ok)),
            )

    def login_failures(self, username: str, *, ip: str, since: datetime
                       ) -> tuple[list[str], list[str]]:
        """Times of failed sign-ins since `since`: for the username (after its last success)
        and from the address, oldest first."""
        by_user = self.conn.execute(
            "SELECT at FROM login_attempts WHERE username = ? AND ok = 0 AND at > ? "
            "AND at > coalesce((SELECT max(at) FROM login_attempts "
            "WHERE username = ? AND ok = 1), '') ORDER BY at",
            (username, iso(since), username),
        ).fetchall()
        by_ip = self.conn.execute(
            "SELECT at FROM login_attempts WHERE ip = ? AND ok = 0 AND at > ? ORDER BY at",
            (ip, iso(since)),
        ).fetchall()
        return [r[0] for r in by_user], [r[0] for r in by_ip]

    # --- leases: which replica polls which source ----------------------------------------

    def acquire_lease(self, source: str, holder: str, *, now: datetime, ttl: timedelta,
                      take_over: Callable[[str], bool] | None = None) -> bool:
        """Take or renew `holder`'s lease on `source`; False while another holder's lease
        has not expired, unless `take_over(that holder)` says it is gone. A lease that
        expires moves to whoever asks next."""
        with self.transaction() as conn:
            row = conn.execute("SELECT holder, expires_at FROM leases WHERE source = ?",
                               (source,)).fetchone()
            if (row is not None and row[0] != holder and row[1] > iso(now)
                    and not (take_over is not None and take_over(row[0]))):
                return False
            conn.execute(
                "INSERT INTO leases (source, holder, acquired_at, renewed_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                "holder = excluded.holder, renewed_at = excluded.renewed_at, "
                "expires_at = excluded.expires_at, acquired_at = CASE WHEN leases.holder = "
                "excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END",
                (source, holder, iso(now), iso(now), iso(now + ttl)),
            )
        return True

    def release_leases(self, holder: str) -> None:
        """Give up every lease `holder` has (a clean stop hands its sources over at once)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM leases WHERE holder = ?", (holder,))

    def leases(self) -> list[dict[str, Any]]:
        """Every source's lease: who holds it and until when."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM leases ORDER BY source")]


def _unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot take work now (locked, full, away), as
    opposed to a bug: sqlite3's and psycopg's OperationalError."""
    if isinstance(exc, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


class AsyncStore:
    """The store for async code: one writer thread, a few reader threads, each its own conn."""

    def __init__(self, target: str | Path, *, readers: int = 2,
                 busy_timeout: float = 30.0) -> None:
        self.target = target
        self.postgres = is_postgres(target)
        self.busy_timeout = busy_timeout
        self.health = StoreHealth()
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._reader_pool = ThreadPoolExecutor(readers, thread_name_prefix="store-reader")
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self._writer: Store | None = None

    async def open(self) -> AsyncStore:
        """Open the writer connection (running migrations) on the writer thread."""
        loop = asyncio.get_running_loop()
        self._writer = await loop.run_in_executor(
            self._writer_pool, lambda: Store(self.target, busy_timeout=self.busy_timeout))
        return self

    def _reader(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.target, migrate=False, busy_timeout=self.busy_timeout)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    async def write(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on the writer thread; StoreUnavailable when the database cannot
        take it now (the transaction was rolled back, so nothing of it was kept)."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("AsyncStore.open() was not awaited")
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._writer_pool, fn, writer
            )
        except Exception as exc:
            if not _unavailable(exc):
                raise
            if writer.postgres and writer.conn.raw.closed:  # the server went away: reconnect
                await asyncio.get_running_loop().run_in_executor(
                    self._writer_pool, self._reopen_writer)
            if self.health.failing_since is None:
                self.health.failing_since = utcnow()
            self.health.failures += 1
            self.health.last_error = str(exc)
            raise StoreUnavailable(f"the database refused a write: {exc}") from exc
        self.health.failing_since = None
        return result

    def _reopen_writer(self) -> None:
        try:
            self._writer = Store(self.target, migrate=False, busy_timeout=self.busy_timeout)
        except Exception as exc:  # still away: the next write tries again
            if not _unavailable(exc):
                raise

    async def read(self, fn: Callable[[Store], T]) -> T:
        """Run `fn(store)` on a reader thread with its own connection."""
        return await asyncio.get_running_loop().run_in_executor(
            self._reader_pool, lambda: self._read(fn)
        )

    def _read(self, fn: Callable[[Store], T]) -> T:
        store = self._reader()
        try:
            return fn(store)
        except Exception as exc:
            if not _unavailable(exc):
                raise
            if store.postgres and store.conn.raw.closed:
                self._local.store = None  # this thread reconnects on its next read
            raise StoreUnavailable(f"the database refused a read: {exc}") from exc

    async def close(self) -> None:
        """Finish queued work and close every connection."""
        if self._writer is not None:
            await self.write(lambda s: s.close())
            self._writer = None
        self._writer_pool.shutdown(wait=True)
        self._reader_pool.shutdown(wait=True)
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()
