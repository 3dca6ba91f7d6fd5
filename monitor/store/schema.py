"""The schema: numbered, append-only migrations, each written once for both databases.

A migration is a sequence of parts. A plain string is run by both SQLite and PostgreSQL (with
SQLite's column types mapped by `pg_ddl`); where the two really differ (triggers are functions
in PostgreSQL, FTS5 is a tsvector there, a virtual generated column is stored), a `Dialects`
part holds the two texts side by side. Each migration runs once, in its own transaction, and
is recorded in the `migrations` table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from monitor.store.dialect import pg_ddl


@dataclass(frozen=True, slots=True)
class Dialects:
    """One step of a migration that SQLite and PostgreSQL write differently."""

    sqlite: str
    postgres: str


@dataclass(frozen=True, slots=True)
class Migration:
    """A numbered schema change: its name and its parts (see the module docstring)."""

    name: str
    parts: tuple[str | Dialects, ...]

    def sql(self, *, postgres: bool) -> str:
        """The migration's text for one kind of database."""
        text = "".join(p if isinstance(p, str) else p.postgres if postgres else p.sqlite
                       for p in self.parts)
        return pg_ddl(text) if postgres else text


def _priority_rank(priority: str) -> str:
    """SQL for the queue's sort key of a case priority (see `queue.PRIORITY_RANK`)."""
    return (f"CASE {priority} WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'normal' THEN 2 ELSE 3 END")


# Migration 3's queue keys on drafts: the queue's sort and filter keys are copied onto drafts
# (kept in step by triggers, so every writer keeps them right) so that partial indexes over
# pending drafts can serve every filter in queue order: a page is an index range scan,
# however long the queue.
_QUEUE_COLUMNS = """
        ALTER TABLE drafts ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 3;
        ALTER TABLE drafts ADD COLUMN sla_due_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE drafts ADD COLUMN intent TEXT;
        ALTER TABLE drafts ADD COLUMN team TEXT;
        ALTER TABLE drafts ADD COLUMN sentiment TEXT;
"""
_QUEUE_FLAGGED = Dialects(
    sqlite="""
        ALTER TABLE drafts ADD COLUMN flagged INTEGER GENERATED ALWAYS AS (flags <> '[]') VIRTUAL;
""",
    postgres="""
        ALTER TABLE drafts ADD COLUMN flagged INTEGER
            GENERATED ALWAYS AS (CASE WHEN flags <> '[]' THEN 1 ELSE 0 END) STORED;
""")
_QUEUE_FILL = f"""
        UPDATE drafts SET
            priority_rank = {_priority_rank('c.priority')},
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
# A new draft's queue keys, copied from its case and post (SQLite: an AFTER INSERT trigger's
# UPDATE; PostgreSQL: a BEFORE INSERT trigger filling NEW).
_SQLITE_DRAFT_KEYS = f"""
            UPDATE drafts SET
                priority_rank = {_priority_rank('c.priority')},
                sla_due_at = coalesce(c.sla_due_at, ''), intent = c.intent, team = c.team,
                sentiment = (SELECT m.sentiment FROM mentions m WHERE m.id = NEW.mention_id)
                FROM cases c WHERE c.id = NEW.case_id AND drafts.id = NEW.id;
"""
_PG_DRAFT_KEYS = f"""
            SELECT {_priority_rank('c.priority')}, coalesce(c.sla_due_at, ''), c.intent, c.team
              INTO NEW.priority_rank, NEW.sla_due_at, NEW.intent, NEW.team
              FROM cases c WHERE c.id = NEW.case_id;
            SELECT m.sentiment INTO NEW.sentiment FROM mentions m WHERE m.id = NEW.mention_id;
"""
_CASE_KEYS_TO_DRAFTS = f"""
            UPDATE drafts SET
                priority_rank = {_priority_rank('NEW.priority')},
                sla_due_at = coalesce(NEW.sla_due_at, ''), intent = NEW.intent, team = NEW.team
                WHERE case_id = NEW.id;
"""
_QUEUE_TRIGGERS = Dialects(
    sqlite="""
        CREATE TRIGGER drafts_queue_keys AFTER INSERT ON drafts BEGIN
        """ + _SQLITE_DRAFT_KEYS + """
        END;
        CREATE TRIGGER cases_queue_keys AFTER UPDATE OF priority, sla_due_at, intent, team
            ON cases
            WHEN NEW.priority IS NOT OLD.priority OR NEW.sla_due_at IS NOT OLD.sla_due_at
              OR NEW.intent IS NOT OLD.intent OR NEW.team IS NOT OLD.team
        BEGIN""" + _CASE_KEYS_TO_DRAFTS + """        END;
""",
    postgres="""
        CREATE FUNCTION drafts_queue_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN""" + _PG_DRAFT_KEYS + """            RETURN NEW;
        END $$;
        CREATE TRIGGER drafts_queue_keys BEFORE INSERT ON drafts
            FOR EACH ROW EXECUTE FUNCTION drafts_queue_keys();
        CREATE FUNCTION cases_queue_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN""" + _CASE_KEYS_TO_DRAFTS + """            RETURN NULL;
        END $$;
        CREATE TRIGGER cases_queue_keys AFTER UPDATE OF priority, sla_due_at, intent, team
            ON cases FOR EACH ROW
            WHEN (NEW.priority IS DISTINCT FROM OLD.priority
                  OR NEW.sla_due_at IS DISTINCT FROM OLD.sla_due_at
                  OR NEW.intent IS DISTINCT FROM OLD.intent OR NEW.team IS DISTINCT FROM OLD.team)
            EXECUTE FUNCTION cases_queue_keys();
""")
# Queue search: FTS5 on SQLite; on PostgreSQL a tsvector with a GIN index, where words are
# runs of letters and digits, as FTS5's unicode61 splits them (PostgreSQL's own parser would
# skip anything that looks like an HTML tag), over the first 100,000 characters of a post (a
# tsvector holds at most 1 MB). Triggers keep it in step with the drafts.
_DRAFT_SEARCH = Dialects(
    sqlite="""
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
""",
    postgres="""
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
""")
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

MIGRATIONS: list[Migration] = [
    Migration("initial schema", ("""
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
        """,)),
    Migration("publishing state", ("""
        ALTER TABLE drafts ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE drafts ADD COLUMN posting_started_at TEXT;
        """,)),
    Migration("web workspace", (
        _QUEUE_COLUMNS, _QUEUE_FLAGGED, _QUEUE_FILL, _QUEUE_TRIGGERS, _DRAFT_SEARCH, _WEB_TABLES,
    )),
    # Customers linked across platforms, incidents (an outage cluster as one case),
    # escalation, first-contact resolution (replies_posted: our replies, not follow-ups,
    # counted by a trigger whoever posts them), CSAT, follow-up drafts, and an outbox of
    # webhook notifications: one row per case and reason, sent once, across restarts.
    Migration("case practice", ("""
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
""", Dialects(
        sqlite="""
        CREATE TRIGGER drafts_replies_posted AFTER UPDATE OF status ON drafts
            WHEN NEW.status = 'posted' AND OLD.status IS NOT 'posted' AND NEW.kind = 'reply'
        BEGIN
            UPDATE cases SET replies_posted = replies_posted + 1 WHERE id = NEW.case_id;
        END;
""",
        postgres="""
        CREATE FUNCTION drafts_replies_posted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE cases SET replies_posted = replies_posted + 1 WHERE id = NEW.case_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER drafts_replies_posted AFTER UPDATE OF status ON drafts FOR EACH ROW
            WHEN (NEW.status = 'posted' AND OLD.status IS DISTINCT FROM 'posted'
                  AND NEW.kind = 'reply')
            EXECUTE FUNCTION drafts_replies_posted();
"""), """
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
""")),
    # A covering index: every count a digest needs comes from one scan of it, without
    # touching the (wide) mention rows. Authors by reach let the digest find its top posts
    # from the most-followed authors down instead of sorting a whole period.
    Migration("digest indexes", ("""
        CREATE INDEX mentions_digest ON mentions(created_at, sentiment, platform, intent,
            is_complaint, matched_terms);
        CREATE INDEX authors_followers ON authors(followers);
        """,)),
    # Replicas on one database share the sources: a source is polled only by the replica
    # holding its lease, which it renews while alive; a dead replica's lease expires and
    # another takes the source over.
    Migration("source leases", ("""
        CREATE TABLE leases (
            source TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at TEXT NOT NULL,
            renewed_at TEXT NOT NULL, expires_at TEXT NOT NULL
        );
        """,)),
    # Each page looks up the cases of its posts' conversations, and which of its cases have
    # a reply draft waiting: without these, both read every case or every draft a long-lived
    # incident ever had, so ingest slowed down as the store grew.
    Migration("ingest indexes", ("""
        CREATE INDEX cases_conversation ON cases(platform, conversation_id);
        CREATE INDEX drafts_pending_reply ON drafts(case_id)
            WHERE status = 'pending' AND kind = 'reply';
        """,)),
    # Ingest now inserts each draft with its queue keys (`IngestStore._write_drafts`); the
    # trigger stays for any other writer, which inserts without a team. Its UPDATE rewrote
    # the row in six partial indexes it had just been added to: with the trigger dropped,
    # 10,000 posts into a 100,000-post store took 244 us a post instead of 269 (inserting the
    # keys gives some of that back; not measured apart).
    Migration("queue keys written with the draft", (Dialects(
        sqlite="""
        DROP TRIGGER drafts_queue_keys;
        CREATE TRIGGER drafts_queue_keys AFTER INSERT ON drafts WHEN NEW.team IS NULL BEGIN
        """ + _SQLITE_DRAFT_KEYS + """
        END;
        """,
        postgres="""
        CREATE OR REPLACE FUNCTION drafts_queue_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.team IS NULL THEN""" + _PG_DRAFT_KEYS + """            END IF;
            RETURN NEW;
        END $$;
    """),)),
    # FTS5 merges its segments four at a time by default, and each page's transaction adds
    # one: at a million posts that merging was a fifth of the cost of storing a post (442 ->
    # 353 us, profiled on 10,000 posts into a store of 1,000,000). Sixteen at a time does a
    # fraction of the rewriting for a few more segments to search. A GIN index has nothing
    # like it.
    Migration("fewer search index merges", (Dialects(
        sqlite="""
        INSERT INTO draft_search (draft_search, rank) VALUES ('automerge', 16);
        """,
        postgres="SELECT 1;"),)),
    # The digest's care figures read the cases opened in a period; without an index that was
    # every case ever opened (a third of its time over a million-post store).
    Migration("digest case index", ("""
        CREATE INDEX cases_opened ON cases(opened_at) WHERE merged_into IS NULL;
        """,)),
    # Triage and escalation: what the team should do with each post (reply, acknowledge,
    # monitor, spam), its escalation kinds (a JSON list), whether its author imitates the
    # brand, and VADER's own label beside the brand-aware `sentiment`. Rows stored before
    # have no action and VADER's label as their sentiment (read back as their vader_label).
    # The digest's covering index takes the action and escalation, so its counts by them
    # come from the same one scan.
    Migration("triage", ("""
        ALTER TABLE mentions ADD COLUMN action TEXT;
        ALTER TABLE mentions ADD COLUMN escalation TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE mentions ADD COLUMN impersonation INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE mentions ADD COLUMN vader_label TEXT;
        DROP INDEX mentions_digest;
        CREATE INDEX mentions_digest ON mentions(created_at, sentiment, platform, intent,
            is_complaint, matched_terms, action, escalation);
        """,)),
    # Drafts from the composer: the other wordings of the same reply a person can pick
    # (a JSON list, the first being the draft's own text), and the language it is written in.
    Migration("draft candidates", ("""
        ALTER TABLE drafts ADD COLUMN candidates TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE drafts ADD COLUMN language TEXT;
        CREATE INDEX drafts_wording ON drafts(platform, (substr(text, 1, 200)));
        """,)),
    # `[drafting] backend = "openai"`: what the model made of each pending reply draft
    # (NULL: not asked yet; "used"; "fallback: why" when the template draft stayed).
    Migration("model drafting", ("""
        ALTER TABLE drafts ADD COLUMN llm_state TEXT;
        CREATE INDEX drafts_llm_todo ON drafts(id) WHERE status = 'pending' AND llm_state IS NULL
            AND kind = 'reply';
        """,)),
    # Saved replies: a person's approved wording kept for an intent and language, with the
    # customer's name and the post's facts as placeholders, and the words of the post it
    # answered (to offer it for similar posts). Retired ones stay for the record.
    Migration("saved replies", ("""
        CREATE TABLE saved_replies (
            id INTEGER PRIMARY KEY AUTOINCREMENT, intent TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'en', text TEXT NOT NULL,
            words TEXT NOT NULL DEFAULT '[]', source_draft INTEGER, created_by TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, retired_at TEXT,
            retired_by TEXT, uses INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX saved_replies_active ON saved_replies(intent, language)
            WHERE retired_at IS NULL;
        """,)),
    # Outages in any industry: "down" when a post says the brand's service is down or failing
    # for many ("is it just me?", "503"), "failing" for a symptom ("card declined"), so that an
    # incident forms in a pack with no outage intent and takes in the symptoms just before it.
    Migration("outage words", ("""
        ALTER TABLE mentions ADD COLUMN outage TEXT;
        """,)),
    # The quarantine: items a source sent that could not be parsed or stored (a lone
    # surrogate, a year 9999, 10^30 followers), held with the error and the payload so that
    # their page still goes in and the cursor moves on; `quarantine retry|drop` settles them.
    Migration("quarantine", ("""
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, item_id TEXT,
            error TEXT NOT NULL, payload TEXT NOT NULL, held_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'held', attempts INTEGER NOT NULL DEFAULT 1,
            settled_at TEXT, settled_by TEXT);
        CREATE INDEX quarantine_status ON quarantine(status, id);
        """,)),
    # Accounts an admin can manage: a disabled user's sessions and tokens stop at once, and
    # an API token may expire.
    Migration("account management", ("""
        ALTER TABLE users ADD COLUMN disabled_at TEXT;
        ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
        """,)),
    # Replies a platform will not take from us (X below Enterprise answers an app only on
    # posts that mention or quote its account): a person posts them by hand, and approving
    # one records that answer without calling the platform.
    Migration("reply by hand", ("""
        ALTER TABLE drafts ADD COLUMN by_hand INTEGER NOT NULL DEFAULT 0;
        """,)),
    # Replicas share the sources out: each says it is alive here at every lease renewal
    # (until `expires_at`), so each knows how many replicas there are and holds only its
    # share of the sources. A replica holding no lease at all is counted too.
    Migration("replica heartbeats", ("""
        CREATE TABLE replicas (
            name TEXT PRIMARY KEY, started_at TEXT NOT NULL, seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        """,)),
    # Which build (brandbot's package version) applied each migration, so that an older build
    # meeting this database can say which one to run. Migrations applied before this one
    # keep an empty build, unless the build that applies this one applied them too.
    Migration("builds recorded", ("""
        ALTER TABLE migrations ADD COLUMN build TEXT;
        """,)),
    # The case page: internal notes on a case (who wrote what, when; never posted); the
    # person a case is assigned to, for "my cases"; a case's posts by time, so that the cases
    # list finds each case's latest post in the index.
    Migration("case notes", ("""
        CREATE TABLE case_notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id INTEGER NOT NULL REFERENCES cases(id), author TEXT NOT NULL,
            created_at TEXT NOT NULL, text TEXT NOT NULL
        );
        CREATE INDEX case_notes_case ON case_notes(case_id, id);
        CREATE INDEX cases_assignee ON cases(assignee, id) WHERE assignee IS NOT NULL;
        DROP INDEX mentions_case;
        CREATE INDEX mentions_case ON mentions(case_id, created_at);
        """,)),
    # SQLite's search rows are written once a transaction (`SearchStore.index_search`), not by
    # a trigger per draft: the triggers only note the drafts written. FTS5 took 129 us to
    # UPDATE a row's reply, against 56 to delete and insert it (a store of 100,000 posts).
    # PostgreSQL keeps its triggers: its GIN index gathers new entries and merges in bulk.
    # On both, a draft written again for the customer's newer post is found by that post.
    # A page's check for wordings used in the last day seeks the day in the index, instead of
    # reading every draft that ever had a common wording, oldest first.
    Migration("search rows once a transaction", ("""
        DROP INDEX drafts_wording;
        CREATE INDEX drafts_wording ON drafts(platform, (substr(text, 1, 200)), created_at);
        """, Dialects(
        sqlite="""
        CREATE TABLE draft_search_todo (draft_id INTEGER PRIMARY KEY);
        DROP TRIGGER drafts_search_insert;
        DROP TRIGGER drafts_search_update;
        CREATE TRIGGER drafts_search_insert AFTER INSERT ON drafts BEGIN
            INSERT OR IGNORE INTO draft_search_todo (draft_id) VALUES (NEW.id);
        END;
        CREATE TRIGGER drafts_search_update AFTER UPDATE OF text, mention_id ON drafts
            WHEN NEW.text IS NOT OLD.text OR NEW.mention_id IS NOT OLD.mention_id
        BEGIN
            INSERT OR IGNORE INTO draft_search_todo (draft_id) VALUES (NEW.id);
        END;
        """,
        postgres="""
        CREATE OR REPLACE FUNCTION drafts_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE draft_search SET reply = NEW.text, post = m.text FROM mentions m
                WHERE draft_search.id = NEW.id AND m.id = NEW.mention_id;
            RETURN NULL;
        END $$;
        DROP TRIGGER drafts_search_update ON drafts;
        CREATE TRIGGER drafts_search_update AFTER UPDATE OF text, mention_id ON drafts
            FOR EACH ROW WHEN (NEW.text IS DISTINCT FROM OLD.text
                               OR NEW.mention_id IS DISTINCT FROM OLD.mention_id)
            EXECUTE FUNCTION drafts_search_update();
        """),)),
    # A customer who said they already messaged us is remembered on the case, so a reply
    # written for their later chaser ("hello?? anyone?") does not ask them to DM again.
    Migration("customer already messaged us", ("""
        ALTER TABLE cases ADD COLUMN dmed_at TEXT;
        """,)),
]


def migration_sql(version: int, *, postgres: bool) -> str:
    """The text of migration `version` (1-based) for one kind of database."""
    return MIGRATIONS[version - 1].sql(postgres=postgres)


def statements(script: str) -> Iterator[str]:
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
