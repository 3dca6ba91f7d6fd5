"""The queue's full-text index on SQLite, kept in step with the drafts a transaction at a time.

Triggers only note which drafts were written (`draft_search_todo`); before each write
transaction commits, their search rows are replaced in two statements. FTS5 rewrote a row it
was told to UPDATE at twice the cost of a delete and an insert, and a trigger per draft paid
for a statement each. On PostgreSQL the triggers still write the tsvector rows: a GIN index
already gathers new entries in its pending list and merges them in bulk.
"""

from __future__ import annotations

from monitor.store.base import StoreBase, chunks, qmarks


class SearchStore(StoreBase):
    """Brings the queue's search index up to date with the drafts written."""

    _search_todo = False  # whether the store has draft_search_todo (set once it is seen)

    def _before_commit(self) -> None:
        """Called by `transaction` just before it commits: search rows for what it wrote."""
        self.index_search()

    def index_search(self) -> int:
        """Index the drafts written since the last call (inside the caller's transaction);
        how many."""
        if self.postgres or not self._has_search_todo():
            return 0
        conn = self.conn
        ids = [r[0] for r in conn.execute("SELECT draft_id FROM draft_search_todo")]
        for chunk in chunks(ids):
            marks = qmarks(len(chunk))
            # a draft written again (a refresh, an edit) has a row to replace; a new one not
            conn.execute(f"DELETE FROM draft_search WHERE rowid IN ({marks})", chunk)
            conn.execute(
                "INSERT INTO draft_search (rowid, post, reply, author) "
                "SELECT d.id, m.text, d.text, a.handle FROM drafts d "
                "JOIN mentions m ON m.id = d.mention_id JOIN authors a ON a.id = m.author_id "
                f"WHERE d.id IN ({marks})", chunk)
        if ids:
            conn.execute("DELETE FROM draft_search_todo")
        return len(ids)

    def _has_search_todo(self) -> bool:
        if not self._search_todo:  # an older schema, mid-migration: looked up until it is
            row = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'draft_search_todo'").fetchone()
            self._search_todo = row is not None
        return self._search_todo
