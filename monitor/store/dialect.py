"""SQLite and PostgreSQL from one SQL text.

brandbot's SQL is written once, in SQLite's dialect; a `PgConnection` gives psycopg sqlite3's
calling conventions and rewrites the few differences (placeholders, `INSERT OR IGNORE`, index
hints) as it runs a statement, and `pg_ddl` maps SQLite's column types in migrations.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.store.errors import CannotOpen


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


def pg_ddl(sql: str) -> str:
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


def unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot take work now (locked, full, away), as
    opposed to a bug: sqlite3's and psycopg's OperationalError (also when it kept a store
    from opening)."""
    if isinstance(exc, CannotOpen) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)
