"""Fake Jetstream: Bluesky's firehose as JSON over a websocket (`GET /subscribe`).

Events are kept in order, each with a rising `time_us`; `version=2` (the 2026 rewrite) adds
`cursor`, an opaque sequence number of this instance (starting at `first_seq`). A subscription
with `?cursor=` replays from there, inclusive, as the real server does: under 10^15 the value
is a v2 sequence number, else a time_us; without one it follows the live stream only.
`wantedCollections` filters commits (identity and account events come whatever the filter),
`wantedDids` filters everything, `maxMessageSizeBytes` skips larger events. Delivery is
at-least-once: nothing here promises more. `drop_after(n)` cuts the connection (no close
frame) after n more events; `drop_connections()` cuts them all now.

With a linked FakeBluesky, each post's author (and the post) is known there, so getProfiles,
getPostThread and replies work on firehose posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from .bluesky import POST, FakeBluesky, cid_for, did_for, tid
from .common import FakeServer, iso_ms, json_response, main, to_datetime

TIME_CURSOR_FLOOR = 10**15  # v2: a ?cursor= at or above this is a time_us


@dataclass(frozen=True, slots=True)
class Event:
    """One event as the server keeps it: what filters look at, and the message itself."""

    time_us: int
    seq: int
    did: str
    collection: str | None
    raw: str


class FakeJetstream(FakeServer):
    """A Jetstream instance; `version` 1 (time_us cursors) or 2 (opaque cursors)."""

    name = "jetstream"

    def __init__(self, *, version: int = 1, first_seq: int = 7_340_000,
                 bluesky: FakeBluesky | None = None, filter_collections: bool = True) -> None:
        super().__init__()
        self.version = version
        self.bluesky = bluesky
        # False: an instance that ignores wantedCollections and sends every commit
        self.filter_collections = filter_collections
        self.events: list[Event] = []
        self.subscriptions: list[dict[str, list[str]]] = []  # each subscription's query
        self.connections: list[web.WebSocketResponse] = []
        self.sent = 0  # messages sent, over every connection
        self._seq = itertools.count(first_seq)
        self._last_us = 0
        self._clock = itertools.count()
        self._added = asyncio.Event()
        self._drop_after: int | None = None
        self._transports: dict[int, Any] = {}

    @property
    def ws_url(self) -> str:
        """The subscribe URL (ws://127.0.0.1:PORT/subscribe)."""
        return self.base_url.replace("http://", "ws://", 1) + "/subscribe"

    # -- the event log

    def add_event(self, did: str, kind: str, body: dict[str, Any], *,
                  collection: str | None = None) -> dict[str, Any]:
        """Append one event (`kind` names the body's key) and wake the subscribers."""
        self._last_us = max(self._last_us + 1, int(time.time() * 1_000_000))
        seq = next(self._seq)
        payload: dict[str, Any] = {"did": did, "time_us": self._last_us}
        if self.version == 2:
            payload["cursor"] = seq
        payload.update({"kind": kind, kind: body})
        raw = json.dumps(payload, ensure_ascii=False)
        if not raw.isascii():
            try:
                raw.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
                raw = json.dumps(payload)
        self.events.append(Event(self._last_us, seq, did, collection, raw))
        self._wake()
        return payload

    def add_raw(self, raw: str, *, did: str = "did:plc:raw") -> None:
        """A message sent as is (not JSON, or JSON no decoder should be asked to read)."""
        self._last_us = max(self._last_us + 1, int(time.time() * 1_000_000))
        self.events.append(Event(self._last_us, next(self._seq), did, None, raw))
        self._wake()

    def add_post(self, native_id: str | None, author: str, text: str,
                 created_at: datetime | str | float | None = None, **extra: Any
                 ) -> dict[str, Any]:
        """A new post by `author` (a handle); `followers=N` and `langs=[...]` as on Bluesky,
        `record={...}` adds to the record, `reply_to=<uri>` makes it a reply."""
        created = to_datetime(created_at)
        did = did_for(author)
        rkey = native_id or tid(created, next(self._clock))
        uri = f"at://{did}/{POST}/{rkey}"
        record: dict[str, Any] = {"$type": POST, "createdAt": iso_ms(created),
                                  "langs": extra.pop("langs", ["en"]), "text": text}
        parent = extra.pop("reply_to", None)
        if parent is not None:
            ref = {"uri": parent, "cid": cid_for(parent, "")}
            if self.bluesky is not None and parent in self.bluesky.posts:
                ref["cid"] = self.bluesky.posts[parent]["cid"]
            record["reply"] = {"root": ref, "parent": ref}
        record.update(extra.pop("record", {}))
        if self.bluesky is not None:
            self.bluesky.add_post(uri, author, text, created, followers=extra.pop("followers",
                                                                                  None),
                                  record={k: v for k, v in record.items() if k != "text"})
        return self.add_event(did, "commit", {
            "rev": tid(created, 1), "operation": "create", "collection": POST, "rkey": rkey,
            "record": record, "cid": cid_for(uri, text),
        }, collection=POST)

    def add_burst(self, count: int, text: str = "lunch was great, the sun is out") -> None:
        """`count` posts by `count` different people, quickly (no linked accounts)."""
        for i in range(count):
            self.add_event(f"did:plc:burst{i:019d}", "commit", {
                "rev": "3l3qo2vutsw2b", "operation": "create", "collection": POST,
                "rkey": f"3lburst{i:07d}", "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kol",
                "record": {"$type": POST, "createdAt": "2026-01-05T10:00:00.000Z",
                           "langs": ["en"], "text": f"{text} {i}"},
            }, collection=POST)

    def add_commit(self, author: str, operation: str, collection: str, rkey: str,
                   record: dict[str, Any] | None = None) -> dict[str, Any]:
        """Any other commit: an update or delete, or a record of another collection."""
        did = did_for(author)
        body: dict[str, Any] = {"rev": tid(to_datetime(None), 2), "operation": operation,
                                "collection": collection, "rkey": rkey}
        if record is not None:
            body.update(record=record, cid=cid_for(collection, rkey, json.dumps(record)))
        return self.add_event(did, "commit", body, collection=collection)

    def add_identity(self, handle: str) -> dict[str, Any]:
        """An identity event (a handle change), as subscribeRepos' #identity."""
        did = did_for(handle)
        return self.add_event(did, "identity", {"did": did, "handle": handle,
                                                "seq": next(self._seq),
                                                "time": iso_ms(to_datetime(None))})

    def add_account(self, handle: str, *, active: bool = False,
                    status: str = "deactivated") -> dict[str, Any]:
        """An account event (activation or deactivation), as subscribeRepos' #account."""
        did = did_for(handle)
        body: dict[str, Any] = {"active": active, "did": did, "seq": next(self._seq),
                                "time": iso_ms(to_datetime(None))}
        if not active:
            body["status"] = status
        return self.add_event(did, "account", body)

    @staticmethod
    def uri(event: dict[str, Any]) -> str:
        """The at:// URI of a commit event's record."""
        commit = event["commit"]
        return f"at://{event['did']}/{commit['collection']}/{commit['rkey']}"

    # -- connections

    def drop_after(self, events: int) -> None:
        """Cut the connection sending the next events after `events` more (no close frame)."""
        self._drop_after = events

    def drop_connections(self) -> None:
        """Cut every open connection now, as a network failure would."""
        for transport in list(self._transports.values()):
            transport.close()
        self._wake()

    def _wake(self) -> None:
        added, self._added = self._added, asyncio.Event()
        added.set()

    def on_stop(self) -> None:
        self.drop_connections()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/subscribe", self.subscribe)

    def _start(self, cursor: str | None) -> int | web.Response:
        """The index of the first event to send, or the 400 a bad cursor gets."""
        if cursor is None:
            return len(self.events)
        try:
            value = int(cursor)
        except ValueError:
            return json_response({"error": "InvalidRequest",
                                  "message": "cursor must be an integer"}, 400)
        if self.version == 2 and value < TIME_CURSOR_FLOOR:
            keys = [e.seq for e in self.events]
        else:
            keys = [e.time_us for e in self.events]
        return next((i for i, key in enumerate(keys) if key >= value), len(self.events))

    async def subscribe(self, request: web.Request) -> web.StreamResponse:
        """GET /subscribe: the websocket stream."""
        query = request.query
        self.subscriptions.append({k: query.getall(k) for k in dict.fromkeys(query.keys())})
        start = self._start(query.get("cursor"))
        if isinstance(start, web.Response):
            return start
        wanted = set(query.getall("wantedCollections", []))
        dids = set(query.getall("wantedDids", []))
        limit = int(query.get("maxMessageSizeBytes", "0") or 0)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        key = id(ws)
        self.connections.append(ws)
        self._transports[key] = request.transport
        try:
            await self._send_from(ws, start, wanted=wanted, dids=dids, limit=limit)
        except (ConnectionError, RuntimeError):
            pass  # the client went away
        finally:
            self._transports.pop(key, None)
            self.connections.remove(ws)
        return ws

    async def _send_from(self, ws: web.WebSocketResponse, index: int, *, wanted: set[str],
                         dids: set[str], limit: int) -> None:
        while not ws.closed and key_open(self._transports, ws):
            while index < len(self.events):
                event = self.events[index]
                index += 1
                if not self._wanted(event, wanted, dids, limit):
                    continue
                if self._drop_after is not None:
                    if self._drop_after <= 0:
                        self._drop_after = None
                        self._transports[id(ws)].close()
                        return
                    self._drop_after -= 1
                await ws.send_str(event.raw)
                self.sent += 1
            added = self._added
            if index >= len(self.events):
                await added.wait()
            with contextlib.suppress(KeyError):
                if self._transports[id(ws)].is_closing():
                    return

    def _wanted(self, event: Event, wanted: set[str], dids: set[str], limit: int) -> bool:
        if dids and event.did not in dids:
            return False
        if (self.filter_collections and wanted and event.collection is not None
                and event.collection not in wanted):
            return False
        return not (limit and len(event.raw.encode()) > limit)


def key_open(transports: dict[int, Any], ws: web.WebSocketResponse) -> bool:
    """Whether the connection behind `ws` is still open."""
    transport = transports.get(id(ws))
    return transport is not None and not transport.is_closing()


if __name__ == "__main__":
    main(FakeJetstream)
