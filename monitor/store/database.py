"""`Store`: every domain's reads and writes on one connection.

Each domain module of this package holds one mixin over `StoreBase` (the connection, its
transactions and migrations); `Store` composes them. One object, because one transaction
often spans domains: ingest writes mentions, authors, cases, drafts, notifications and the
cursor together, and a decision writes a draft and its audit row.
"""

from __future__ import annotations

from monitor.store.accounts import AccountsStore
from monitor.store.cases import CasesStore
from monitor.store.customers import CustomersStore
from monitor.store.digest import DigestStore
from monitor.store.drafting import DraftingStore
from monitor.store.ingest import IngestStore
from monitor.store.leases import LeasesStore
from monitor.store.metrics import MetricsStore
from monitor.store.notes import CaseNotesStore
from monitor.store.publishing import PublishingStore
from monitor.store.quarantine import QuarantineStore
from monitor.store.queue import QueueStore
from monitor.store.saved import SavedRepliesStore
from monitor.store.search import SearchStore
from monitor.store.transfer import TransferStore


class Store(IngestStore, QueueStore, PublishingStore, CasesStore, CustomersStore, DigestStore,
            MetricsStore, AccountsStore, LeasesStore, TransferStore, DraftingStore,
            SavedRepliesStore, QuarantineStore, CaseNotesStore, SearchStore):
    """brandbot's database (SQLite or PostgreSQL): one connection, one thread at a time."""
