"""The `brandbot` command: parses arguments, loads the config, composes the daemon.

Exit codes: 0 success, 2 bad usage or bad config (the message names the key), 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic_core import PydanticCustomError

from monitor import logs
from monitor.analysis import AnalysisPool, make_analyzer
from monitor.cases import CaseKeeper, CaseRules, Notifier, SlaPolicy
from monitor.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    open_store,
    print_table,
)
from monitor.digest import Period, digest_for, render_html, render_markdown
from monitor.leases import CLOCK_LEASE, LeaseKeeper, replica_name
from monitor.models import Page, Role, iso, parse_iso, redact_url, utcnow
from monitor.pipeline import Pipeline
from monitor.platforms import build_platform
from monitor.platforms.base import Platform, can_backfill
from monitor.poller import Poller, SourceHealth, SourceState
from monitor.settings import (
    ConfigError,
    Settings,
    SourceBase,
    load_settings,
    parse_duration,
    resolve_config_path,
    summary,
)
from monitor.store import (
    MIGRATIONS,
    AsyncStore,
    Store,
    StoreError,
    draft_fields,
    sqlite_path,
)

if TYPE_CHECKING:
    from responders.notify import WebhookNotifier
    from responders.publisher import PublishPolicy

log = logging.getLogger("brandbot")

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


async def backfill(settings: Settings, *, since: timedelta, only: str | None,
                   out: TextIO) -> int:
    """Fetch each source's history back to `since` through the pipeline, with a progress bar;
    live cursors stay where they are, and posts already stored are not stored again."""
    from tqdm import tqdm

    sources = [s for s in settings.sources if s.enabled and (only is None or s.key == only)]
    if only is not None and not sources:
        known = ", ".join(s.key for s in settings.sources if s.enabled) or "none"
        raise UsageError(f"--source: no enabled source {only!r} (enabled: {known})")
    platforms = {s.key: build_platform(s, settings) for s in sources}
    store = await AsyncStore(settings.storage_url,
                             busy_timeout=settings.storage.busy_timeout.total_seconds()).open()
    pipeline = build_pipeline(settings, store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    now = utcnow()
    start = now - since
    failed = []
    try:
        for key, platform in platforms.items():
            if not can_backfill(platform):
                print(f"{key}: the {platform.platform} adapter cannot page back in time; "
                      "skipped (the live poller still collects everything new)", file=out)
                continue
            poller = Poller(key=key, platform=platform, pipeline=pipeline, store=store,
                            interval=0, clock=utcnow)
            with tqdm(total=round(since.total_seconds() / 3600, 1), desc=key, unit="h",
                      file=out, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f}"
                                           " h back{postfix}") as bar:
                progress = _Progress(bar, now=now)
                done = await poller.backfill(stop, since=start, on_page=progress)
                if done:
                    bar.update(max(0.0, bar.total - bar.n))
                counts = progress.counts
            if not done:
                failed.append(key)
                print(f"{key}: backfill stopped: {poller.health.last_error or 'interrupted'}",
                      file=out)
            else:
                print(f"{key}: {counts['fetched']} posts fetched, {counts['new']} new", file=out)
    finally:
        for platform in platforms.values():
            await platform.close()
        pipeline.close()
        await store.close()
    return EXIT_ERROR if failed else EXIT_OK


class _Progress:
    """Moves a backfill's bar by how far back in time each page reached."""

    def __init__(self, bar: Any, *, now: datetime) -> None:
        self.bar, self.now = bar, now
        self.counts = {"fetched": 0, "new": 0}

    def __call__(self, page: Page, stored: int) -> None:
        self.counts["fetched"] += len(page.mentions)
        self.counts["new"] += stored
        oldest = min((m.created_at for m in page.mentions), default=None)
        if oldest is not None:
            back = min(self.bar.total, (self.now - oldest).total_seconds() / 3600)
            self.bar.update(max(0.0, round(back, 1) - self.bar.n))
        self.bar.set_postfix(self.counts, refresh=False)


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


# --- the daemon -------------------------------------------------------------------------------


def build_pipeline(settings: Settings, store: AsyncStore, *,
                   clock: Callable[[], datetime] = utcnow) -> Pipeline:
    """The pipeline with the configured analysis, case rules and brand voice."""
    from responders.drafts import Drafter, voice_from_settings

    analyzer = make_analyzer(settings)
    workers = settings.analysis.workers
    return Pipeline(
        store, analyzer=analyzer, rules=CaseRules.from_settings(settings),
        drafter=Drafter(voice_from_settings(settings)),
        languages=settings.brand.languages, clock=clock,
        pool=AnalysisPool(analyzer, workers) if workers else None,
    )


def _notifier(settings: Settings) -> WebhookNotifier | None:
    from responders.notify import notifier_from_settings

    return notifier_from_settings(settings)


def build_case_keeper(settings: Settings, store: AsyncStore, *, notifier: Notifier | None,
                      clock: Callable[[], datetime] = utcnow) -> CaseKeeper:
    """The case clock: SLA warnings, follow-up drafts in the brand voice, webhook outbox."""
    from responders.drafts import Drafter, voice_from_settings

    return CaseKeeper(
        store, sla=SlaPolicy.from_settings(settings),
        follow_up_drafter=Drafter(voice_from_settings(settings)).follow_up,
        notifier=notifier, clock=clock,
        interval=settings.cases.clock_interval.total_seconds(),
    )


def _publish_policy(settings: Settings) -> PublishPolicy:
    from responders.publisher import PublishPolicy

    options = settings.publisher
    return PublishPolicy(max_attempts=options.max_attempts,
                         interval=options.interval.total_seconds(),
                         reconcile_after=options.reconcile_after.total_seconds())


def _repliers(sources: Sequence[SourceBase], platforms: Mapping[str, Platform]
              ) -> dict[str, Platform]:
    """The adapter each platform's replies go through: its first enabled source's."""
    repliers: dict[str, Platform] = {}
    for source in sources:
        platform = platforms[source.key]
        if platform.platform not in ("replay", "hackernews"):
            repliers.setdefault(platform.platform, platform)
    return repliers


# Settings a running daemon cannot take over on reload; each needs a restart.
RESTART_ONLY = ("storage", "web")


@dataclass
class _Running:
    """A background loop with its own stop signal, so it can be stopped alone (on reload)."""

    task: asyncio.Task[Any]
    stop: asyncio.Event

    @classmethod
    def start(cls, run: Callable[[asyncio.Event], Coroutine[Any, Any, Any]]) -> _Running:
        stop = asyncio.Event()
        return cls(asyncio.create_task(run(stop)), stop)

    async def halt(self, grace: float = 4.5) -> None:
        """Let the loop finish what it has in hand, cancelling it after `grace` seconds."""
        self.stop.set()
        await _until_stopped([self.task], self.stop, grace=grace)


class Daemon:
    """Every enabled source, the publisher, the case clock and digests; reloadable on SIGHUP."""

    def __init__(self, settings: Settings, store: AsyncStore, *,
                 config_path: Path | None = None) -> None:
        from responders.publisher import Publisher

        self.settings = settings
        self.store = store
        self.config_path = config_path
        self.health: dict[str, SourceHealth] = {}
        self.platforms: dict[str, Platform] = {}
        self.pollers: dict[str, Poller] = {}
        self.running: dict[str, _Running] = {}
        self.sources = {s.key: s for s in settings.sources if s.enabled}
        for source in self.sources.values():
            self.platforms[source.key] = build_platform(source, settings)
        self.pipeline = build_pipeline(settings, store)
        for key in self.sources:
            self._make_poller(key)
        self.publisher = Publisher(store, _repliers(list(self.sources.values()), self.platforms),
                                   clock=utcnow, policy=_publish_policy(settings))
        self.notifier = _notifier(settings)
        self.keeper = build_case_keeper(settings, store, notifier=self.notifier)
        self.services: dict[str, _Running] = {}
        self._reloading = asyncio.Lock()
        # Replicas may share a PostgreSQL database: each source is polled, and the clock
        # runs, only where this replica holds the lease. Every replica publishes: drafts are
        # claimed with row locks, so each is posted once.
        self.leases: LeaseKeeper | None = None
        if store.postgres:
            _warn_reconcile(settings)
            self.leases = LeaseKeeper(store, [*self.sources, CLOCK_LEASE],
                                      holder=replica_name(), ttl=settings.storage.lease_ttl,
                                      clock=utcnow)

    def _make_poller(self, key: str) -> Poller:
        source = self.sources[key]
        poller = Poller(key=key, platform=self.platforms[key], pipeline=self.pipeline,
                        store=self.store, interval=source.interval.total_seconds(),
                        max_interval=source.idle_interval.total_seconds(), clock=utcnow)
        self.pollers[key] = poller
        self.health[key] = poller.health
        return poller

    def _start_source(self, key: str) -> None:
        poller = self.pollers[key]
        streaming = getattr(self.sources[key], "stream", False)
        work = poller.stream if streaming else poller.run
        leases = self.leases
        if leases is None:
            self.running[key] = _Running.start(work)
            return

        def standby() -> None:
            poller.health.state = SourceState.STANDBY

        self.running[key] = _Running.start(
            lambda stop: leases.run_source(key, stop, work, standby))

    def _start_clock(self) -> None:
        """The case clock and the digest scheduler (one replica's, with leases)."""
        scheduler = _digest_scheduler(self.settings, self.store, self.notifier)
        leases = self.leases
        if leases is None:
            self.services["keeper"] = _Running.start(self.keeper.run)
            self.services["digests"] = _Running.start(scheduler.run)
            return
        keeper = self.keeper

        async def clock(until: asyncio.Event) -> None:
            await asyncio.gather(keeper.run(until), scheduler.run(until))

        self.services["clock"] = _Running.start(
            lambda stop: leases.run_source(CLOCK_LEASE, stop, clock, lambda: None))

    def start(self) -> None:
        """Start every loop."""
        if self.leases is not None:
            self.services["leases"] = _Running.start(self.leases.run)
        for key in self.pollers:
            self._start_source(key)
        self.services["publisher"] = _Running.start(self.publisher.run)
        self._start_clock()

    async def stop(self) -> None:
        """Stop every loop (each finishes the page in hand) and release connections."""
        loops = [*self.running.values(), *self.services.values()]
        for loop in loops:
            loop.stop.set()
        await asyncio.gather(*(loop.halt() for loop in loops))
        for platform in self.platforms.values():
            await platform.close()
        self.pipeline.close()
        if self.notifier is not None:
            await self.notifier.close()

    async def reload(self) -> bool:
        """Read the config file again and apply it; on any problem keep the running config."""
        async with self._reloading:
            return await self._reload()

    async def _reload(self) -> bool:
        path = self.config_path
        try:
            if path is None:
                raise ConfigError(["no config file to reload from"])
            new = await asyncio.to_thread(load_settings, path)
            wanted = {s.key: s for s in new.sources if s.enabled}
            # Adapters build their search queries from [brand]: a new brand changes them all.
            rebrand = new.brand != self.settings.brand
            changed = sorted(k for k, s in wanted.items()
                             if k in self.sources and (rebrand or s != self.sources[k]))
            added = sorted(k for k in wanted if k not in self.sources)
            built: dict[str, Platform] = {}
            try:
                for key in [*changed, *added]:
                    built[key] = build_platform(wanted[key], new)
            except ConfigError:
                for platform in built.values():
                    await platform.close()
                raise
        except ConfigError as exc:
            log.error("config reload refused, still running on the previous config: %s",
                      "; ".join(exc.problems),
                      extra={"event": "reload_failed", "problems": exc.problems})
            return False
        kept_old = [name for name in RESTART_ONLY
                    if getattr(new, name) != getattr(self.settings, name)]
        if kept_old:
            log.warning("reload: %s changed; those take effect at the next restart",
                        ", ".join(f"[{name}]" for name in kept_old),
                        extra={"event": "reload_needs_restart", "sections": kept_old})
            new = new.model_copy(update={name: getattr(self.settings, name)
                                         for name in kept_old})
        removed = sorted(k for k in self.sources if k not in wanted)
        # Parked sources (refused credentials) get another try now: the reload may fix them.
        revived = sorted(k for k, p in self.pollers.items()
                         if p.health.state is SourceState.PARKED and k not in (*changed, *removed))
        # Stop the sources that go, change or revive; each finishes the page in hand first.
        going = [*removed, *changed]
        await asyncio.gather(*(self.running.pop(k).halt() for k in [*going, *revived]
                               if k in self.running))
        for key in going:
            self.pollers.pop(key, None)
            self.health.pop(key, None)
            await self.platforms.pop(key).close()
        self.settings, self.sources = new, wanted
        if self.leases is not None:  # before any source starts: it runs under its lease
            self.leases.set_sources([*wanted, CLOCK_LEASE])
        old_pipeline, self.pipeline = self.pipeline, build_pipeline(new, self.store)
        for poller in self.pollers.values():
            poller.pipeline = self.pipeline  # takes effect with the next page
        old_pipeline.close()  # its workers finish the page in hand, then exit
        self.platforms.update(built)
        for key in [*changed, *added]:
            self._make_poller(key)
        for key in [*changed, *added, *revived]:
            self._start_source(key)
        self.publisher.repliers = _repliers(list(wanted.values()), self.platforms)
        self.publisher.policy = _publish_policy(new)
        await asyncio.gather(*(self.services.pop(k).halt() for k in ("keeper", "digests", "clock")
                               if k in self.services))
        old_notifier = self.notifier
        self.notifier = _notifier(new)
        if old_notifier is not None:
            await old_notifier.close()
        self.keeper = build_case_keeper(new, self.store, notifier=self.notifier)
        self._start_clock()
        log.info("config reloaded from %s: %d sources (added %s, removed %s, restarted %s)",
                 path, len(wanted), ", ".join(added) or "none", ", ".join(removed) or "none",
                 ", ".join([*changed, *revived]) or "none",
                 extra={"event": "reloaded", "sources": sorted(wanted), "added": added,
                        "removed": removed, "restarted": [*changed, *revived]})
        return True


async def run_daemon(settings: Settings, *, once: bool, web: bool,
                     config_path: Path | None = None) -> int:
    """Run every enabled source and the publisher until stopped (or one cycle with once).

    SIGHUP reloads the config file (`config_path`); SIGINT and SIGTERM stop the daemon.
    """
    store = await AsyncStore(settings.storage_url,
                             busy_timeout=settings.storage.busy_timeout.total_seconds()).open()
    try:
        daemon = Daemon(settings, store, config_path=config_path)
    except BaseException:
        await store.close()
        raise
    stop = asyncio.Event()
    reload_wanted = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    loop.add_signal_handler(signal.SIGHUP, _on_hangup, reload_wanted, once)
    runner = None
    if web and not once:
        from responders.web.app import start_web

        runner = await start_web(settings, store, daemon.health, publisher=daemon.publisher)
    log.info("brandbot started: %d sources%s", len(daemon.pollers),
             " (one cycle)" if once else "",
             extra={"event": "started", "sources": list(daemon.pollers),
                    "replying_to": sorted(daemon.publisher.repliers)})
    failed: list[str] = []
    try:
        if once:
            pollers = list(daemon.pollers.values())
            tasks = [asyncio.create_task(p.drain(stop, retry=False)) for p in pollers]
            results = await _until_stopped(tasks, stop)
            failed = [p.key for p, ok in zip(pollers, results, strict=True) if not ok]
            if not stop.is_set():
                await _until_stopped([asyncio.create_task(daemon.keeper.run_once())], stop)
            if not stop.is_set():
                await _until_stopped([asyncio.create_task(daemon.publisher.run_once())], stop)
        else:
            daemon.start()
            while not stop.is_set():
                await _first_of(stop, reload_wanted)
                if reload_wanted.is_set() and not stop.is_set():
                    reload_wanted.clear()
                    await daemon.reload()
    finally:
        if runner is not None:
            await runner.cleanup()
        await daemon.stop()
        await store.close()
    log.info("brandbot stopped", extra={"event": "stopped", "failed_sources": failed,
                                         "posted": daemon.publisher.posted})
    return EXIT_ERROR if failed else EXIT_OK


def _warn_reconcile(settings: Settings) -> None:
    slowest = max((s.timeout for s in settings.sources if s.enabled), default=timedelta(0))
    if settings.publisher.reconcile_after <= slowest:
        log.warning("[publisher] reconcile_after (%ss) is not above the slowest source timeout "
                    "(%ss): with several replicas, one may check a reply another is still "
                    "posting", int(settings.publisher.reconcile_after.total_seconds()),
                    int(slowest.total_seconds()), extra={"event": "config_warning"})


async def _first_of(*events: asyncio.Event) -> None:
    """Wait until any of the events is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _digest_scheduler(settings: Settings, store: AsyncStore,
                      notifier: Notifier | None) -> Any:
    """Scheduled e-mail digests and crisis alerts (composed here: responders sends them)."""
    from responders.mailer import send_digest
    from responders.schedule import DigestScheduler

    send = partial(send_digest, environ=os.environ) if settings.digest.recipients else None
    return DigestScheduler(settings, store, notifier=notifier, send=send, clock=utcnow)


def _on_hangup(reload_wanted: asyncio.Event, once: bool) -> None:
    if once:
        log.info("received SIGHUP: ignored by a one-cycle run", extra={"event": "reload_ignored"})
        return
    log.info("received SIGHUP: reloading the config", extra={"event": "reloading"})
    reload_wanted.set()


def _on_signal(stop: asyncio.Event, signum: int) -> None:
    log.info("received %s: finishing the page in hand, then stopping",
             signal.Signals(signum).name, extra={"event": "stopping"})
    stop.set()


async def _until_stopped(tasks: Sequence[asyncio.Task[Any]], stop: asyncio.Event,
                         grace: float = 4.5) -> list[Any]:
    """Wait for the tasks; once stop is set, give them `grace` seconds, then cancel them.

    Returns each task's result, or None for one that failed or was cancelled.
    """
    stopper = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[Any]] = set(tasks)
    while pending and not stopper.done():
        _, pending = await asyncio.wait(pending | {stopper}, return_when=asyncio.FIRST_COMPLETED)
        pending.discard(stopper)
    stopper.cancel()
    if pending:
        _, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)
    results: list[Any] = []
    for task in tasks:
        if task.cancelled():
            results.append(None)
        elif task.exception() is not None:
            log.error("a source failed", exc_info=task.exception(), extra={"event": "crashed"})
            results.append(None)
        else:
            results.append(task.result())
    return results


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(run_daemon(settings, once=args.once, web=not args.no_web,
                                  config_path=resolve_config_path(getattr(args, "config", None))))


async def serve_web(settings: Settings, *, host: str | None, port: int | None) -> int:
    """Serve the web app alone (no pollers, no publisher) until SIGINT or SIGTERM."""
    from responders.web.app import start_web

    store = await AsyncStore(settings.storage_url).open()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    try:
        runner = await start_web(settings, store, {}, host=host, port=port)
    except OSError as exc:
        await store.close()
        raise UsageError(f"web: cannot listen on {host or settings.web.host}:"
                         f"{settings.web.port if port is None else port}: {exc.strerror}") from None
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await store.close()
    return EXIT_OK


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
