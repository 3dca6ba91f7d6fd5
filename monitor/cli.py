"""The `brandbot` command: parses arguments, loads the config, runs the command asked for.

Exit codes: 0 success, 2 bad usage or bad config (the message names the key), 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pydantic_core import PydanticCustomError

from monitor import logs
from monitor.commands.analyze import main_stream
from monitor.commands.care import cmd_cases, cmd_customers, cmd_queue
from monitor.commands.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CannotUseFile, UsageError
from monitor.commands.operations import (
    cmd_backfill,
    cmd_db,
    cmd_digest,
    cmd_export,
    cmd_store_copy,
)
from monitor.commands.quarantine import add_parser as quarantine_parser
from monitor.commands.quarantine import cmd_quarantine
from monitor.commands.service import add_parser as service_parser
from monitor.commands.service import cmd_health, cmd_reload
from monitor.commands.users import cmd_users
from monitor.daemon import run_daemon, serve_web
from monitor.models import Role, parse_iso
from monitor.settings import (
    ConfigError,
    Settings,
    load_settings,
    parse_duration,
    resolve_config_path,
    summary,
)
from monitor.store import CannotOpen, SchemaTooNew, StoreError

# --- run, serve, check-config, analyze (the other commands: monitor/commands/) --------------


def cmd_check_config(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.platforms import build_platform

    problems = []  # what only an adapter knows (its constructor reads no network)
    for source in settings.sources:
        if source.enabled:
            try:
                build_platform(source, settings)
            except ConfigError as exc:
                problems += exc.problems
    if problems:
        raise ConfigError(problems)
    for line in summary(settings):
        print(line)
    print("config OK")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace, settings: Settings | None) -> int:
    main_stream(settings, args.file)
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(run_daemon(settings, once=args.once, web=not args.no_web,
                                  config_path=resolve_config_path(getattr(args, "config", None)),
                                  host=args.host, port=args.port))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(serve_web(settings, host=args.host, port=args.port))


# --- argument parsing -----------------------------------------------------------------------


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


def _listen_options(parser: argparse.ArgumentParser) -> None:
    """--host and --port, overriding [web] host and port (run and serve)."""
    parser.add_argument("--host", help="address the web app listens on (default: [web] host, "
                                       "127.0.0.1)")
    parser.add_argument("--port", type=int, help="port the web app listens on (default: [web] "
                                                 "port, 8080; 0 picks a free one)")


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
    _listen_options(run)

    serve = sub.add_parser("serve", parents=[common],
                           help="serve the web queue alone (default: [web] host and port)")
    _listen_options(serve)

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
    qundo = queue_sub.add_parser("undo", parents=[common],
                                 help="take back an approval within [publisher] undo_window")
    qundo.add_argument("id", type=int)
    qundo.add_argument("--as", dest="as_user", required=True, metavar="USER")

    cases = sub.add_parser("cases", parents=[common], help="customer-service cases")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    clist = cases_sub.add_parser("list", parents=[common], help="list cases")
    clist.add_argument("--status", choices=("open", "waiting", "escalated", "resolved",
                                            "closed"))
    clist.add_argument("--team")
    who = clist.add_mutually_exclusive_group()
    who.add_argument("--assignee", metavar="USER", help="the cases assigned to USER")
    who.add_argument("--unassigned", action="store_true", help="the cases assigned to nobody")
    clist.add_argument("--escalation", choices=("any", "safety", "legal", "security",
                                                "vulnerable"),
                       help="escalated cases (of one kind)")
    clist.add_argument("--sla", choices=("ok", "at_risk", "breached", "met"),
                       help="the cases in one SLA state now")
    clist.add_argument("--search", metavar="WORDS",
                       help="a case number, or words of the customer's handle or posts")
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
    creopen = cases_sub.add_parser("reopen", parents=[common], help="open a resolved case again")
    creopen.add_argument("id", type=int)
    creopen.add_argument("--as", dest="as_user", required=True, metavar="USER")
    cassign = cases_sub.add_parser("assign", parents=[common],
                                   help="give a case to a team, a person, or both")
    cassign.add_argument("id", type=int)
    cassign.add_argument("--team")
    person = cassign.add_mutually_exclusive_group()
    person.add_argument("--to", metavar="USER", help="the person who takes the case")
    person.add_argument("--nobody", action="store_true", help="take the case off its person")
    cassign.add_argument("--as", dest="as_user", metavar="USER")
    cescalate = cases_sub.add_parser("escalate", parents=[common],
                                     help="escalate a case: urgent, to the kind's team")
    cescalate.add_argument("id", type=int)
    cescalate.add_argument("--kind", choices=("safety", "legal", "security", "vulnerable"))
    cescalate.add_argument("--reason", help="why, for the audit log")
    cescalate.add_argument("--as", dest="as_user", required=True, metavar="USER")
    cnote = cases_sub.add_parser("note", parents=[common], help="add an internal note to a case")
    cnote.add_argument("id", type=int)
    cnote.add_argument("--text", required=True)
    cnote.add_argument("--as", dest="as_user", required=True, metavar="USER")

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
    users_sub.add_parser(
        "first-admin", parents=[common],
        help="while there is no user yet, add this admin with a random password (printed "
             "once); `make demo` does this").add_argument("name")
    utoken = users_sub.add_parser("token", parents=[common],
                                  help="create an API token for a user (printed once)")
    utoken.add_argument("name")
    utoken.add_argument("--expires", type=_duration_arg, metavar="DURATION",
                        help="the token stops working after this long (e.g. 90d)")
    ulist = users_sub.add_parser("list", parents=[common], help="every user")
    ulist.add_argument("--json", action="store_true")
    for action, text in (("disable", "disable a user: their sessions and tokens stop at once"),
                         ("enable", "enable a disabled user")):
        users_sub.add_parser(action, parents=[common], help=text).add_argument("name")
    urole = users_sub.add_parser("role", parents=[common], help="change a user's role")
    urole.add_argument("name")
    urole.add_argument("role", choices=[r.value for r in Role])
    users_sub.add_parser("password", parents=[common],
                         help="set a user's password (read from stdin)").add_argument("name")
    utokens = users_sub.add_parser("tokens", parents=[common], help="a user's API tokens")
    utokens.add_argument("name")
    utokens.add_argument("--json", action="store_true")
    users_sub.add_parser("revoke", parents=[common],
                         help="revoke an API token (its id from `users tokens`)"
                         ).add_argument("token_id")
    quarantine_parser(sub, common)
    service_parser(sub, common)
    return parser


COMMANDS = {
    "run": cmd_run, "serve": cmd_serve, "check-config": cmd_check_config, "queue": cmd_queue,
    "cases": cmd_cases, "customers": cmd_customers, "users": cmd_users, "digest": cmd_digest,
    "export": cmd_export, "db": cmd_db, "backfill": cmd_backfill, "quarantine": cmd_quarantine,
    "health": cmd_health,
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
        if args.command == "reload":  # the daemon reads the config, not this command
            return cmd_reload(args)
        if args.command == "store":
            return cmd_store_copy(args)
        settings = load_settings(config_path)
        return COMMANDS[args.command](args, settings)
    except ConfigError as exc:
        if logs.json_mode():  # one JSON line, every problem in it
            logs.report("config error: " + "; ".join(exc.problems), event="config_error",
                        problems=exc.problems)
        else:
            for problem in exc.problems:
                logs.report(f"config error: {problem}")
        return EXIT_USAGE
    except (UsageError, SchemaTooNew) as exc:
        logs.report(f"error: {exc}", event="schema_too_new" if isinstance(exc, SchemaTooNew)
                    else "refused")
        return EXIT_USAGE
    except StoreError as exc:
        logs.report(f"error: {exc}", event="store_cannot_open" if isinstance(exc, CannotOpen)
                    else "failed")
        return EXIT_ERROR
    except CannotUseFile as exc:
        logs.report(f"error: {exc}", event="failed")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C before a command's own handling (the daemon's) is in place
        logs.report("interrupted", event="interrupted")
        return EXIT_ERROR


def _wants_config(args: argparse.Namespace, path: Path) -> bool:
    """`analyze` works without a config; it uses one when named or present."""
    return hasattr(args, "config") or path.exists()


if __name__ == "__main__":
    raise SystemExit(main())
