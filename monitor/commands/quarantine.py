"""`brandbot quarantine list|retry|drop`: the items a source sent that could not be parsed or
stored, held so their page went in without them."""

from __future__ import annotations

import argparse
import asyncio
import json

from monitor.commands.common import EXIT_ERROR, EXIT_OK, open_store, print_table
from monitor.models import Page, utcnow
from monitor.pipeline import Pipeline
from monitor.quarantine import describe, mention_from_payload
from monitor.settings import Settings
from monitor.store import AsyncStore, NotFound, StoreUnavailable

ACTOR = "cli"


def cmd_quarantine(args: argparse.Namespace, settings: Settings) -> int:
    if args.quarantine_command == "list":
        store = open_store(settings)
        try:
            rows = store.quarantined(status=None if args.all else "held")
        finally:
            store.close()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            print_table(rows, ("id", "source", "item_id", "held_at", "attempts", "status",
                               "error"))
        return EXIT_OK
    if args.quarantine_command == "drop":
        store = open_store(settings)
        try:
            for item in args.ids:
                store.settle_quarantined(item, status="dropped", actor=ACTOR, now=utcnow())
                print(f"dropped {item}")
        finally:
            store.close()
        return EXIT_OK
    return asyncio.run(_retry(settings, args.ids))


async def _retry(settings: Settings, ids: list[int]) -> int:
    """Put each held item through the pipeline again: stored, it is released; failing, it
    stays held with the new error."""
    from monitor.daemon import build_pipeline

    store = await AsyncStore(settings.storage_url).open()
    pipeline = build_pipeline(settings, store)
    try:
        results = [await _retry_one(store, pipeline, item) for item in ids]
    finally:
        pipeline.close()
        await store.close()
    return EXIT_OK if all(results) else EXIT_ERROR


async def _retry_one(store: AsyncStore, pipeline: Pipeline, item: int) -> bool:
    row = await store.read(lambda s: s.quarantined_item(item))
    if row["status"] != "held":
        raise NotFound(f"item {item} is {row['status']}, not held")
    try:
        mention = mention_from_payload(row["payload"])
    except (ValueError, OverflowError, KeyError, TypeError) as exc:
        error = describe(exc)
        await store.write(lambda s: s.failed_again(item, error=error))
        print(f"{item}: still cannot be a post: {error}")
        return False
    if mention is None:
        print(f"{item}: never became a post ({row['error']}); fix it at the source, or drop it")
        return False
    prepared = await pipeline.prepare(Page(mentions=(mention,), next_cursor=None))
    failure = prepared.rejected[0].error if prepared.rejected else None
    if failure is None:
        now = utcnow()
        try:
            await store.write(lambda s: s.ingest(
                row["source"], None, prepared.analysed, pipeline.planner, now=now,
                advance_cursor=False, cluster_window=pipeline.rules.outage_cluster_window,
                fixed_window=pipeline.rules.incident_quiet))
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - still poison
            failure = describe(exc)
    if failure is not None:
        message = failure
        await store.write(lambda s: s.failed_again(item, error=message))
        print(f"{item}: failed again: {failure}")
        return False
    await store.write(lambda s: s.settle_quarantined(item, status="released", actor=ACTOR,
                                                     now=utcnow()))
    print(f"{item}: stored ({mention.id})")
    return True


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The `quarantine` command's arguments."""
    quarantine = sub.add_parser("quarantine", parents=[common],
                                help="items a source sent that could not be parsed or stored")
    actions = quarantine.add_subparsers(dest="quarantine_command", required=True,
                                        metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="held items (oldest first)")
    listing.add_argument("--all", action="store_true", help="and those released or dropped")
    listing.add_argument("--json", action="store_true")
    retry = actions.add_parser("retry", parents=[common],
                               help="put held items through the pipeline again")
    retry.add_argument("ids", nargs="+", type=int, metavar="ID")
    drop = actions.add_parser("drop", parents=[common], help="give up on held items")
    drop.add_argument("ids", nargs="+", type=int, metavar="ID")
