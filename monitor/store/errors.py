"""What the store refuses, and why."""

from __future__ import annotations


class StoreError(Exception):
    """A request the store refuses for a reason a person can act on."""


class NotFound(StoreError):
    """No such row."""


class AlreadyDecided(StoreError):
    """The draft was decided before this request arrived."""


class StoreUnavailable(Exception):
    """The database cannot take a write now (locked past the busy timeout, disk full, I/O
    error); nothing of that write was kept, and the same write may succeed later."""
