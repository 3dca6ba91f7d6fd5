"""Internal notes on a case: what the team writes for itself, never posted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.models import iso
from monitor.store.audit import AuditStore
from monitor.store.errors import NotFound, StoreError

# A note holds at most this many characters (a pasted log fits; a runaway paste does not).
NOTE_LIMIT = 1_000_000
# The audit row keeps the start of a note, not all of it.
NOTE_AUDIT_EXCERPT = 200


def readable(text: str) -> str:
    """`text` as text any page and database can hold: a lone surrogate (which UTF-8 cannot
    encode) becomes U+FFFD; a surrogate pair becomes the character it stands for."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class CaseNotesStore(AuditStore):
    """Writes and reads the notes on a case."""

    def add_case_note(self, case_id: int, *, author: str, text: str, now: datetime) -> int:
        """Add a note to a case, audited; its id. StoreError for an empty or too long note,
        NotFound for an unknown case."""
        text = readable(text.replace("\r\n", "\n")).strip()
        if not text:
            raise StoreError("a note needs some text")
        if len(text) > NOTE_LIMIT:
            raise StoreError(f"a note holds at most {NOTE_LIMIT:,} characters; this one has "
                             f"{len(text):,}")
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
                raise NotFound(f"no case with id {case_id} (see `brandbot cases list`)")
            note_id = int(conn.execute(
                "INSERT INTO case_notes (case_id, author, created_at, text) VALUES (?, ?, ?, ?) "
                "RETURNING id", (case_id, author, iso(now), text)).fetchone()[0])
            self._audit(author, "case_note", f"case:{case_id}", None,
                        text[:NOTE_AUDIT_EXCERPT], {"note_id": note_id, "length": len(text)},
                        now)
        return note_id

    def case_notes(self, case_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
        """A case's notes, oldest first (id, author, created_at, text)."""
        rows = self.conn.execute(
            "SELECT id, author, created_at, text FROM case_notes WHERE case_id = ? "
            "ORDER BY id LIMIT ?", (case_id, limit))
        return [dict(r) for r in rows]
