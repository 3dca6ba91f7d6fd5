"""What the store refuses, and why."""

from __future__ import annotations


class StoreError(Exception):
    """A request the store refuses for a reason a person can act on."""


class NotFound(StoreError):
    """No such row."""


class AlreadyDecided(StoreError):
    """The draft was decided before this request arrived."""


class CannotOpen(StoreError):
    """The database cannot be opened: a file or folder that cannot be created or written, a
    server that does not answer or refuses us. The message names the file or the server."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer build than this one, which must neither read nor
    write it: it would ignore (or break) columns and rules it does not know."""


class StoreUnavailable(Exception):
    """The database cannot take a write now (locked past the busy timeout, disk full, I/O
    error); nothing of that write was kept, and the same write may succeed later."""
