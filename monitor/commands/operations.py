"""Running an installation: digests, exports, backfill, backups, migrations, store copies."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from monitor import logs
from monitor.commands.common import EXIT_ERROR, EXIT_OK, CannotUseFile, UsageError, open_store
from monitor.daemon import backfill
from monitor.digest import Period, digest_for, render_html, render_markdown
from monitor.models import redact_url, utcnow
from monitor.settings import Settings
from monitor.store import MIGRATIONS, Store, StoreError, sqlite_path

log = logging.getLogger("brandbot.store")


def _say(message: str, **fields: object) -> None:
    """An operator command's outcome: a line on stdout, or in JSON mode a log event."""
    if logs.json_mode():
        log.info(message, extra=fields)
    else:
        print(message)


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    now = utcnow()
    if args.start is not None:
        period = Period(args.start, args.end or now)
    else:
        if args.end is not None:
            raise UsageError("--to goes with --from")
        period = Period(now - (args.since or timedelta(days=7)), now)
    if period.end <= period.start:
        raise UsageError("the period is empty: --to must be after --from")
    store = open_store(settings)
    try:
        document = digest_for(settings, store, period, now=now)
    finally:
        store.close()
    renderers = {"md": render_markdown, "html": render_html,
                 "json": lambda d: json.dumps(d, ensure_ascii=False, indent=2)}
    text = renderers[args.format](document)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CannotUseFile(args.output, exc, doing="write") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if args.send:
        from responders.mailer import send_digest

        asyncio.run(send_digest(settings.digest, document, environ=os.environ))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    out: TextIO = sys.stdout
    try:
        if args.output:
            out = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        _write_rows(store, args, out)
        out.flush()
    except OSError as exc:  # no such folder, a full disk; on stdout, a closed pipe
        if not args.output:
            raise
        raise CannotUseFile(args.output, exc, doing="write") from None
    finally:
        store.close()
        if out is not sys.stdout:
            with contextlib.suppress(OSError):  # reported above
                out.close()
    return EXIT_OK


def _write_rows(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    rows = store.export_rows(args.what)
    if args.format == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({k: csv_cell(json.dumps(v) if isinstance(v, list) else v)
                         for k, v in row.items()})


# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)",
# "@SUM(...)"); OWASP's advice for CSV injection is a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value safe to open in a spreadsheet: text that would start a formula is prefixed with
    an apostrophe (shown as text, not run); numbers and other values are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(backfill(settings, since=args.since, only=args.source, out=sys.stderr))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "migrate":
        store = Store(settings.storage_url, migrate=False)
        try:
            applied = store.migrate()
            _say(f"schema at version {store.schema_version()}"
                 + (f" (applied {', '.join(map(str, applied))})" if applied else
                    " (nothing to do)"), event="migrated", applied=applied)
        finally:
            store.close()
        return EXIT_OK
    target = Path(args.file)
    if target.exists():
        raise UsageError(f"{target} exists: back up to a new file")
    store = open_store(settings)
    try:
        store.backup(target)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise CannotUseFile(target, exc, doing="write a backup to") from None
    finally:
        store.close()
    print(f"backed up {redact_url(settings.storage_url)} to {target}")
    return EXIT_OK


def cmd_store_copy(args: argparse.Namespace) -> int:
    """Copy a whole store to another, with a progress bar (stderr; none in JSON mode)."""
    from tqdm import tqdm

    for url in (args.source, args.target):
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise UsageError(f"unsupported storage URL {redact_url(url)!r} (use "
                             "sqlite:///path/to/brandbot.db or postgresql://...)")
    if args.source.startswith("sqlite:///") and not sqlite_path(args.source).exists():
        raise UsageError(f"{args.source} does not exist")
    source = Store(args.source, migrate=False)
    target = None
    done = 0
    try:
        source.refuse_newer_schema()
        if source.schema_version() != len(MIGRATIONS):
            raise UsageError(f"{redact_url(args.source)} is at schema version "
                             f"{source.schema_version()}: run `brandbot db migrate` on it first")
        target = Store(args.target)
        if target.count("mentions") and not args.resume:
            raise UsageError(f"{redact_url(args.target)} already holds mentions: copy into an "
                             "empty store, or pass --resume to finish an interrupted copy")
        total = source.total_rows()
        with tqdm(total=total, unit="rows", unit_scale=True, desc="copying",
                  file=sys.stderr, mininterval=0.5, disable=logs.json_mode()) as bar:
            def progress(rows: int) -> None:
                nonlocal done
                done += rows
                bar.update(rows)

            copied = source.copy_to(target, batch=args.batch, progress=progress)
    except KeyboardInterrupt:  # Ctrl-C: the batch in hand was rolled back, the rest is kept
        logs.report(f"store copy interrupted after {done:,} rows: run the same command with "
                    "--resume to finish", event="copy_interrupted", rows=done)
        return EXIT_ERROR
    finally:
        source.close()
        if target is not None:
            target.close()
    _say(f"copied {sum(copied.values()):,} rows from {redact_url(args.source)} to "
         f"{redact_url(args.target)}: " + ", ".join(f"{t} {n:,}" for t, n in copied.items()
                                                    if n), event="copied", rows=copied)
    return EXIT_OK
