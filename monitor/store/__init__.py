"""The only package that speaks SQL: one module per domain, composed into one `Store`.

    base.py           the connection, write transactions, migrations runner, SQL helpers
    dialect.py        SQLite and PostgreSQL from one SQL text (psycopg with sqlite3's ways)
    schema.py         the numbered migrations, dialect differences side by side
    ingest.py         a page of mentions, cases, drafts and the cursor, in one transaction
    mentions.py       stored posts and their threads
    queue.py          the approval queue: pending drafts in order, filters, search
    search.py         the queue's full-text index, written once a transaction
    drafts.py         one draft, its decision (exactly once), viewers, hand-offs
    cases.py          cases: reads, filters, resolve, reopen, assign, escalate, SLA watch,
                      follow-ups
    customers.py      linked accounts and a customer's history
    notes.py          internal notes on a case
    notifications.py  the webhook outbox
    publishing.py     approved -> posting -> posted
    digest.py         the digest's queries
    metrics.py        what /metrics counts
    accounts.py       users, sessions, API tokens, sign-in attempts
    audit.py          the audit log
    leases.py         which replica polls which source
    quarantine.py     items that could not be parsed or stored, held for an operator
    transfer.py       backups, exports, bulk loads, store-to-store copies
    database.py       `Store`, every domain on one connection
    asyncstore.py     `AsyncStore`: one writer thread and reader threads for async code
"""

from monitor.store.asyncstore import AsyncStore, StoreHealth
from monitor.store.base import build_version
from monitor.store.database import Store
from monitor.store.dialect import is_postgres, sqlite_path
from monitor.store.drafts import draft_from_row
from monitor.store.errors import (
    AlreadyDecided,
    CannotOpen,
    NotFound,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
)
from monitor.store.ingest import CaseContext, IngestResult, Plan, Planner
from monitor.store.queue import (
    DRAFT_FIELDS,
    EXCERPT,
    QueueFilter,
    QueueKey,
    QueuePage,
    draft_fields,
    queue_key,
    search_query,
)
from monitor.store.schema import MIGRATIONS, migration_sql
from monitor.store.transfer import COPY_TABLES

__all__ = [
    "COPY_TABLES", "DRAFT_FIELDS", "EXCERPT", "MIGRATIONS", "AlreadyDecided", "AsyncStore",
    "CannotOpen", "CaseContext", "IngestResult", "NotFound", "Plan", "Planner", "QueueFilter",
    "QueueKey", "QueuePage", "SchemaTooNew", "Store", "StoreError", "StoreHealth",
    "StoreUnavailable", "build_version", "draft_fields", "draft_from_row", "is_postgres",
    "migration_sql", "queue_key", "search_query", "sqlite_path",
]
