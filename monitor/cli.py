"""The `brandbot` command: parses arguments, loads the config, runs the command asked for.

Exit codes: 0 success, 2 bad usage or bad config (the message names the key), 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from pydantic_core import PydanticCustomError

from monitor import logs
from monitor.analysis import make_analyzer
from monitor.cases import SlaPolicy
from monitor.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    open_store,
    print_table,
)
from monitor.daemon import backfill, run_daemon, serve_web
from monitor.digest import Period, digest_for, render_html, render_markdown
from monitor.models import Role, iso, parse_iso, redact_url, utcnow
from monitor.settings import (
    ConfigError,
    Settings,
    load_settings,
    parse_duration,
    resolve_config_path,
    summary,
)
from monitor.store import MIGRATIONS, Store, StoreError, draft_fields, sqlite_path

CASE_FIELDS = ("id", "status", "author", "platform", "intent", "priority", "team",
               "opened_at", "first_response_at", "resolved_at", "sla_due_at", "mention_count",
               "customer_effort", "kind", "sla_state", "sla_due", "csat", "escalation",
               "replies_posted", "follow_up_due_at", "merged_into")


# --- commands -------------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace, settings: Settings) -> int:
    for line in summary(settings):
        print(line)
    print("config OK")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace, settings: Settings | None) -> int:
    analyzer = make_analyzer(settings)
    source: TextIO = open(args.file, encoding="utf-8") if args.file else sys.stdin  # noqa: SIM115
    out = sys.stdout
    try:
        for line in source:
            text = line.rstrip("\n")
            a = analyzer.analyze(text)
            out.write(json.dumps({
                "text": text, "compound": a.sentiment.compound, "pos": a.sentiment.pos,
                "neu": a.sentiment.neu, "neg": a.sentiment.neg, "label": a.sentiment.label,
                "complaint": a.complaint, "complaint_probability": a.complaint_probability,
                "intent": a.intent.value, "priority": a.priority.value,
                "matched_terms": list(a.matched_terms), "reasons": list(a.reasons),
            }, ensure_ascii=False) + "\n")
    finally:
        if args.file:
            source.close()
    return EXIT_OK


def cmd_queue(args: argparse.Namespace, settings: Settings) -> int:
    from responders.drafts import voice_from_settings
    from responders.queue import approve, reject

    store = open_store(settings)
    try:
        if args.queue_command == "list":
            drafts = store.list_drafts(status=args.status, limit=args.limit)
            if args.json:
                policy, now = SlaPolicy.from_settings(settings), utcnow()
                print(json.dumps([draft_fields({**d, **policy.of_row(d, now, prefix="case_")})
                                  for d in drafts], ensure_ascii=False))
            else:
                print_table(drafts, ("id", "status", "priority", "platform", "author",
                                      "intent", "text"))
            return EXIT_OK
        voice = voice_from_settings(settings)
        if args.queue_command == "approve":
            draft = approve(store, args.id, user=args.as_user, voice=voice, now=utcnow(),
                            text=args.text)
        else:
            draft = reject(store, args.id, user=args.as_user, reason=args.reason, now=utcnow())
        print(f"draft {draft.id} {draft.status.value} by {draft.decided_by}")
        return EXIT_OK
    finally:
        store.close()


# --- cases and customers --------------------------------------------------------------------


def _case_item(row: dict[str, Any], policy: SlaPolicy, now: datetime) -> dict[str, Any]:
    """A case row in the `cases list --json` shape, with its SLA state now."""
    item = {**row, **policy.of_row(row, now)}
    return {k: item.get(k) for k in CASE_FIELDS}


def _care_user(store: Store, name: str) -> None:
    """Case decisions need a known approver or admin, as draft decisions do."""
    from responders.auth import can_decide

    record = store.get_user(name)
    if record is None:
        raise StoreError(f"unknown user {name!r}: create one with "
                         f"`brandbot users add {name} --role approver`")
    if not can_decide(record["role"]):
        raise StoreError(f"user {name!r} is a {record['role']} and cannot change cases")


def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    now = utcnow()
    policy = SlaPolicy.from_settings(settings)
    store = open_store(settings)
    try:
        if args.cases_command == "list":
            cases = store.list_cases(status=args.status, team=args.team, limit=args.limit)
            items = [_case_item(c, policy, now) for c in cases]
            if args.json:
                print(json.dumps(items, ensure_ascii=False))
            else:
                print_table(items, ("id", "kind", "status", "priority", "team", "platform",
                                     "author", "intent", "mention_count", "sla_state",
                                     "sla_due_at", "csat"))
        elif args.cases_command == "show":
            detail = store.case_detail(args.id)
            detail["case"] = {**detail["case"], **policy.of_row(detail["case"], now)}
            if args.json:
                print(json.dumps(detail, ensure_ascii=False))
            else:
                _print_case(detail)
        elif args.cases_command == "resolve":
            _care_user(store, args.as_user)
            case = store.resolve_case(args.id, actor=args.as_user, now=now,
                                      follow_up=settings.sla.follow_up)
            print(f"case {case.id} resolved by {args.as_user}; follow-up due "
                  f"{iso(case.follow_up_due_at)}")
        else:
            known = sorted({settings.routing.default_team, *settings.routing.teams})
            if args.team not in known:
                raise UsageError(f"--team: unknown team {args.team!r} (the teams in [routing] "
                                 f"are {', '.join(known)})")
            if args.as_user:
                _care_user(store, args.as_user)
            case = store.assign_case(args.id, team=args.team, actor=args.as_user or "cli",
                                     now=now)
            print(f"case {case.id} assigned to team {case.team}")
    finally:
        store.close()
    return EXIT_OK


def _print_case(detail: dict[str, Any]) -> None:
    c = detail["case"]
    print(f"case {c['id']} ({c['kind']}): {c['status']} · {c['priority']} · team "
          f"{c['team'] or '-'} · {c['platform']} @{c['author']} · {c['intent']}")
    print(f"opened {c['opened_at']} · first response {c['first_response_at'] or '-'} · "
          f"resolved {c['resolved_at'] or '-'} · SLA {c['sla_state']} (due "
          f"{c['sla_due'] or '-'}) · posts {c['mention_count']} · effort {c['customer_effort']}"
          f" · CSAT {c['csat'] if c['csat'] is not None else '-'}")
    if c["escalation"]:
        print(f"escalated: {c['escalation']}")
    if c["merged_into"]:
        print(f"merged into incident {c['merged_into']}")
    if c["follow_up_due_at"]:
        print(f"follow-up due {c['follow_up_due_at']}")
    print("\nposts")
    print_table(detail["mentions"], ("created_at", "platform", "author", "intent", "text"))
    print("\ndrafts")
    print_table(detail["drafts"], ("id", "kind", "status", "decided_by", "posted_at", "text"))
    print("\naudit")
    print_table(detail["audit"], ("at", "actor", "action", "subject", "after"))
    if detail["notifications"]:
        print("\nnotifications")
        print_table(detail["notifications"], ("reason", "created_at", "sent_at", "attempts",
                                               "error"))


def cmd_customers(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    try:
        if args.customers_command == "link":
            if args.as_user:
                _care_user(store, args.as_user)
            first, second = store.author_id_for(args.first), store.author_id_for(args.second)
            linked = store.link_customers(first, second, actor=args.as_user or "cli",
                                          now=utcnow())
            print(f"linked as one customer: {', '.join(linked)}")
            return EXIT_OK
        view = store.customer_view(store.author_id_for(args.author), limit=args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps(view, ensure_ascii=False))
        return EXIT_OK
    summary = view["summary"]
    print("customer: " + ", ".join(f"{a['id']} (@{a['handle']})" for a in view["authors"]))
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(summary["outcomes"].items()))
    print(f"{summary['posts']} posts, {summary['complaints']} complaints, {summary['cases']} "
          f"cases ({outcomes or 'none'}), CSAT "
          f"{summary['csat_avg'] if summary['csat_avg'] is not None else '-'}")
    print("\ncases")
    print_table(view["cases"], ("id", "kind", "status", "intent", "priority", "team",
                                 "opened_at", "resolved_at", "csat"))
    print("\nposts")
    print_table(view["mentions"], ("created_at", "platform", "intent", "case_id", "text"))
    return EXIT_OK


def _duration_arg(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except PydanticCustomError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date_arg(value: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r} (use 2026-11-17 or "
                                         "2026-11-17T08:00)") from None


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
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if args.send:
        from responders.mailer import send_digest

        asyncio.run(send_digest(settings.digest, document, environ=os.environ))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    out: TextIO = open(args.output, "w", encoding="utf-8", newline="") if args.output \
        else sys.stdout  # noqa: SIM115
    try:
        rows = store.export_rows(args.what)
        if args.format == "jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer: csv.DictWriter[str] | None = None
            for row in rows:
                if writer is None:
                    writer = csv.DictWriter(out, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow({k: json.dumps(v) if isinstance(v, list) else v
                                 for k, v in row.items()})
    finally:
        store.close()
        if args.output:
            out.close()
    return EXIT_OK


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(backfill(settings, since=args.since, only=args.source, out=sys.stderr))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "migrate":
        store = Store(settings.storage_url, migrate=False)
        try:
            applied = store.migrate()
            print(f"schema at version {store.schema_version()}"
                  + (f" (applied {', '.join(map(str, applied))})" if applied else
                     " (nothing to do)"))
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
    finally:
        store.close()
    print(f"backed up {redact_url(settings.storage_url)} to {target}")
    return EXIT_OK


def cmd_store_copy(args: argparse.Namespace) -> int:
    """Copy a whole store to another, with a progress bar (stderr)."""
    from tqdm import tqdm

    for url in (args.source, args.target):
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise UsageError(f"unsupported storage URL {redact_url(url)!r} (use "
                             "sqlite:///path/to/brandbot.db or postgresql://...)")
    if args.source.startswith("sqlite:///") and not sqlite_path(args.source).exists():
        raise UsageError(f"{args.source} does not exist")
    source = Store(args.source, migrate=False)
    target = None
    try:
        if source.schema_version() != len(MIGRATIONS):
            raise UsageError(f"{redact_url(args.source)} is at schema version "
                             f"{source.schema_version()}: run `brandbot db migrate` on it first")
        target = Store(args.target)
        if target.count("mentions") and not args.resume:
            raise UsageError(f"{redact_url(args.target)} already holds mentions: copy into an "
                             "empty store, or pass --resume to finish an interrupted copy")
        total = source.total_rows()
        with tqdm(total=total, unit="rows", unit_scale=True, desc="copying",
                  file=sys.stderr, mininterval=0.5) as bar:
            copied = source.copy_to(target, batch=args.batch, progress=bar.update)
    finally:
        source.close()
        if target is not None:
            target.close()
    print(f"copied {sum(copied.values()):,} rows from {redact_url(args.source)} to "
          f"{redact_url(args.target)}: " + ", ".join(f"{t} {n:,}" for t, n in copied.items()
                                                     if n))
    return EXIT_OK


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from responders.auth import hash_password

    if args.users_command == "token":
        return _add_token(args.name, settings)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise UsageError("password: use at least 8 characters")
    store = open_store(settings)
    try:
        store.add_user(args.name, Role(args.role), hash_password(password), actor="cli",
                       now=utcnow())
    finally:
        store.close()
    print(f"user {args.name} added as {args.role}")
    return EXIT_OK


def _add_token(name: str, settings: Settings) -> int:
    """Create an API token for a user and print it: it is shown this once, stored hashed."""
    from responders.auth import new_token, token_hash

    token = new_token()
    store = open_store(settings)
    try:
        store.add_api_token(token_hash(token), username=name, actor="cli", now=utcnow())
    finally:
        store.close()
    print(token)
    print(f"API token for {name}: send it as `Authorization: Bearer <token>`. It is shown only "
          "now; brandbot keeps a hash.", file=sys.stderr)
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(run_daemon(settings, once=args.once, web=not args.no_web,
                                  config_path=resolve_config_path(getattr(args, "config", None))))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(serve_web(settings, host=args.host, port=args.port))


# --- argument parsing -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="config file (default: $BRANDBOT_CONFIG, else ./brandbot.toml)")
    common.add_argument("--log-format", choices=("text", "json"), default=argparse.SUPPRESS)
    common.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                        default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="brandbot", parents=[common],
                                     description="Listen for a brand; queue on-voice replies.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the daemon")
    run.add_argument("--once", action="store_true", help="one full cycle of every source")
    run.add_argument("--no-web", action="store_true", help="do not serve the web queue")

    serve = sub.add_parser("serve", parents=[common],
                           help="serve the web queue alone (default: [web] host and port)")
    serve.add_argument("--host", help="address to listen on (default: [web] host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [web] port, 8080)")

    sub.add_parser("check-config", parents=[common], help="validate the config and summarise it")

    analyze = sub.add_parser("analyze", parents=[common],
                             help="score posts, one per line, as JSON lines")
    analyze.add_argument("--file", help="read posts from this file instead of stdin")

    queue = sub.add_parser("queue", parents=[common], help="the approval queue")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True, metavar="ACTION")
    qlist = queue_sub.add_parser("list", parents=[common], help="list drafts")
    qlist.add_argument("--status", choices=("pending", "approved", "rejected", "posting",
                                            "posted", "failed"))
    qlist.add_argument("--json", action="store_true", help="one JSON array on stdout")
    qlist.add_argument("--limit", type=int, default=1000)
    qapprove = queue_sub.add_parser("approve", parents=[common], help="approve a draft")
    qapprove.add_argument("id", type=int)
    qapprove.add_argument("--text", help="replace the draft's text before approving")
    qapprove.add_argument("--as", dest="as_user", required=True, metavar="USER")
    qreject = queue_sub.add_parser("reject", parents=[common], help="reject a draft")
    qreject.add_argument("id", type=int)
    qreject.add_argument("--reason", required=True)
    qreject.add_argument("--as", dest="as_user", required=True, metavar="USER")

    cases = sub.add_parser("cases", parents=[common], help="customer-service cases")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    clist = cases_sub.add_parser("list", parents=[common], help="list cases")
    clist.add_argument("--status", choices=("open", "waiting", "escalated", "resolved",
                                            "closed"))
    clist.add_argument("--team")
    clist.add_argument("--json", action="store_true", help="one JSON array on stdout")
    clist.add_argument("--limit", type=int, default=1000)
    cshow = cases_sub.add_parser("show", parents=[common],
                                 help="a case with its posts, drafts and audit trail")
    cshow.add_argument("id", type=int)
    cshow.add_argument("--json", action="store_true", help="one JSON document on stdout")
    cresolve = cases_sub.add_parser("resolve", parents=[common],
                                    help="resolve a case; its follow-up falls due later")
    cresolve.add_argument("id", type=int)
    cresolve.add_argument("--as", dest="as_user", required=True, metavar="USER")
    cassign = cases_sub.add_parser("assign", parents=[common], help="give a case to a team")
    cassign.add_argument("id", type=int)
    cassign.add_argument("--team", required=True)
    cassign.add_argument("--as", dest="as_user", metavar="USER")

    customers = sub.add_parser("customers", parents=[common],
                               help="customers: history across their linked accounts")
    customers_sub = customers.add_subparsers(dest="customers_command", required=True,
                                             metavar="ACTION")
    ushow = customers_sub.add_parser("show", parents=[common],
                                     help="every case and post of a customer")
    ushow.add_argument("author", help="platform:id or platform:handle, e.g. x:dana")
    ushow.add_argument("--json", action="store_true", help="one JSON document on stdout")
    ushow.add_argument("--limit", type=int, default=50)
    ulink = customers_sub.add_parser("link", parents=[common],
                                     help="record that two accounts are one customer")
    ulink.add_argument("first", metavar="A", help="platform:id or platform:handle")
    ulink.add_argument("second", metavar="B", help="platform:id or platform:handle")
    ulink.add_argument("--as", dest="as_user", metavar="USER")

    digest = sub.add_parser("digest", parents=[common], help="a brand-mention digest")
    window = digest.add_mutually_exclusive_group()
    window.add_argument("--since", type=_duration_arg, default=None, metavar="DURATION",
                        help="the period ending now, e.g. 7d (default), 24h")
    window.add_argument("--from", dest="start", type=_date_arg, metavar="DATE",
                        help="period start (ISO date or time, UTC); with --to")
    digest.add_argument("--to", dest="end", type=_date_arg, metavar="DATE",
                        help="period end (exclusive; default now)")
    digest.add_argument("--format", choices=("md", "html", "json"), default="md")
    digest.add_argument("-o", "--output", help="write to this file instead of stdout")
    digest.add_argument("--send", action="store_true",
                        help="also e-mail it (HTML with a text part) to [digest] recipients")

    export = sub.add_parser("export", parents=[common], help="stored data for analysts")
    export.add_argument("--what", choices=("mentions", "cases"), required=True)
    export.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")

    backfill = sub.add_parser("backfill", parents=[common],
                              help="fetch older posts (before the live cursor) through the "
                                   "pipeline, with a progress bar")
    backfill.add_argument("--since", type=_duration_arg, required=True, metavar="DURATION",
                          help="how far back, e.g. 7d (X's search reaches 7 days at most)")
    backfill.add_argument("--source", metavar="KEY", help="only this source (its name, or "
                                                          "its platform when unnamed)")

    db = sub.add_parser("db", parents=[common], help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    backup = db_sub.add_parser("backup", parents=[common],
                               help="a consistent copy, safe while the daemon runs")
    backup.add_argument("file")
    db_sub.add_parser("migrate", parents=[common], help="apply pending schema migrations")

    store = sub.add_parser("store", parents=[common], help="move an installation's data")
    store_sub = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    copy = store_sub.add_parser(
        "copy", parents=[common],
        help="copy every row from one store to another (e.g. SQLite to PostgreSQL)")
    copy.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="sqlite:///path/to/brandbot.db or postgresql://...")
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="the store to fill: migrated first, must hold no mentions yet "
                           "unless --resume")
    copy.add_argument("--resume", action="store_true",
                      help="continue an interrupted copy (rows already there are skipped)")
    copy.add_argument("--batch", type=int, default=2000, help=argparse.SUPPRESS)

    users = sub.add_parser("users", parents=[common], help="people who use the queue")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    uadd = users_sub.add_parser("add", parents=[common],
                                help="add a user (password read from stdin)")
    uadd.add_argument("name")
    uadd.add_argument("--role", required=True, choices=[r.value for r in Role])
    utoken = users_sub.add_parser("token", parents=[common],
                                  help="create an API token for a user (printed once)")
    utoken.add_argument("name")
    return parser


COMMANDS = {
    "run": cmd_run, "serve": cmd_serve, "check-config": cmd_check_config, "queue": cmd_queue,
    "cases": cmd_cases, "customers": cmd_customers, "users": cmd_users, "digest": cmd_digest,
    "export": cmd_export, "db": cmd_db, "backfill": cmd_backfill,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `brandbot` console script."""
    args = build_parser().parse_args(argv)
    logs.configure(fmt=getattr(args, "log_format", "text"),
                   level=getattr(args, "log_level", "info"))
    config_path = resolve_config_path(getattr(args, "config", None))
    try:
        if args.command == "analyze":
            settings = load_settings(config_path) if _wants_config(args, config_path) else None
            return cmd_analyze(args, settings)
        if args.command == "store":
            return cmd_store_copy(args)
        settings = load_settings(config_path)
        return COMMANDS[args.command](args, settings)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"config error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK


def _wants_config(args: argparse.Namespace, path: Path) -> bool:
    """`analyze` works without a config; it uses one when named or present."""
    return hasattr(args, "config") or path.exists()


if __name__ == "__main__":
    raise SystemExit(main())
