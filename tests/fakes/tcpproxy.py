"""A TCP proxy in front of a real server (the test PostgreSQL) that can cut it off.

A daemon whose storage URL points here reaches the database through it. `cut()` closes every
connection and stops listening, so new connections are refused: a database outage as the
daemon sees one (a server that went away, a network that failed). `restore()` listens on the
same port again.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

LOOPBACK = "127.0.0.1"


class TcpProxy:
    """Forwards connections from a loopback port to `host:port`, until cut."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.connections = 0  # accepted since start
        self._server: asyncio.Server | None = None
        self._cuts = 0  # a connection begun before a cut must not outlive it
        self._pipes: set[asyncio.StreamWriter] = set()

    @classmethod
    def before(cls, url: str) -> TcpProxy:
        """A proxy for the server a `postgresql://` URL names (start it, then `url_for`)."""
        parts = urlsplit(url)
        return cls(parts.hostname or LOOPBACK, parts.port or 5432)

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(parts._replace(netloc=f"{user}{LOOPBACK}:{self.port}"))

    async def start(self) -> int:
        """Listen (on a free port the first time, the same one after a cut); the port."""
        self._server = await asyncio.start_server(self._serve, LOOPBACK, self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        """Stop listening and drop every open connection: the database is gone."""
        self._cuts += 1
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for pipe in list(self._pipes):
            pipe.transport.abort()
        self._pipes.clear()

    async def restore(self) -> None:
        """Listen again on the same port: the database is back."""
        await self.start()

    async def stop(self) -> None:
        await self.cut()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        cuts = self._cuts
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        if cuts != self._cuts:  # cut while connecting upstream
            up_writer.transport.abort()
            writer.transport.abort()
            return
        self._pipes |= {writer, up_writer}
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        except asyncio.CancelledError:  # the proxy stopped: its connections go with it
            pass
        finally:
            for end in (writer, up_writer):
                self._pipes.discard(end)
                end.transport.abort()

    @staticmethod
    async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.transport.abort()  # one side closed: so does the other
