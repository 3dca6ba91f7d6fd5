"""What every command shares: exit codes, the usage error, the store, a plain-text table."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.settings import Settings
from monitor.store import Store

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command was asked for something it cannot do as given (exit 2)."""


class CannotUseFile(Exception):
    """A file a command reads or writes cannot be used (exit 1): one line naming the path."""

    def __init__(self, path: str | os.PathLike[str], exc: OSError, *, doing: str) -> None:
        where = Path(path)
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileNotFoundError) and not where.parent.exists():
            reason = f"the folder {where.parent} does not exist"
        elif isinstance(exc, NotADirectoryError):
            reason = "a part of the path is a file, not a folder"
        super().__init__(f"cannot {doing} {where}: {reason}")


def open_store(settings: Settings) -> Store:
    return Store(settings.storage_url)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        print("(none)")
        return
    print("\t".join(columns))
    for row in rows:
        cells = []
        for column in columns:
            value = "" if row.get(column) is None else str(row[column])
            value = " ".join(value.split())
            cells.append(value[:60] + "…" if len(value) > 61 else value)
        print("\t".join(cells))
