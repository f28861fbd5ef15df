"""Statements and round trips counted on the wire: a proxy between the line and PostgreSQL that
reads the protocol's message types as they pass.

The engine's own counters miss what the driver or the pool sends by itself (a pre-ping, a
COMMIT issued by the connection); the wire misses nothing. A statement is a simple Query ('Q')
or an extended-protocol Execute ('E') from the client; a round trip is a ReadyForQuery ('Z')
from the server, which ends every exchange the client waits on (minus the one that ends each
connection's start-up). The proxy adds a hop, so it counts; it does not time.

    counter = WireCounter(); url = counter.start(url)  # route the line's URL through it
    before = counter.snapshot(); ... ; counter.snapshot() - before
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Counts:
    statements: int = 0
    round_trips: int = 0
    connections: int = 0

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.statements - other.statements,
            self.round_trips - other.round_trips,
            self.connections - other.connections,
        )


class WireCounter:
    """A PostgreSQL proxy on a free loopback port, in a thread of its own."""

    def __init__(self) -> None:
        self._statements = 0
        self._ready = 0
        self._connections = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._upstream: tuple[str, int] = ("127.0.0.1", 5432)

    def start(self, url: str) -> str:
        """Serve, and return `url` pointed at the proxy (TLS off, so the messages can be read)."""
        parts = urlsplit(url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)

            async def main() -> None:
                server = await asyncio.start_server(self._client, sock=listener)
                started.set()
                async with server:
                    await server.serve_forever()

            self._loop.run_until_complete(main())

        threading.Thread(target=serve, name="wire-counter", daemon=True).start()
        started.wait()
        user = f"{parts.username}@" if parts.username else ""
        query = "&".join(filter(None, [parts.query, "sslmode=disable"]))
        return urlunsplit((parts.scheme, f"{user}127.0.0.1:{port}", parts.path, query, ""))

    def snapshot(self) -> Counts:
        with self._lock:
            return Counts(self._statements, self._ready - self._connections, self._connections)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        with self._lock:
            self._connections += 1
        await asyncio.gather(
            self._pipe(reader, up_writer, self._from_client, startup=True),
            self._pipe(up_reader, writer, self._from_server, startup=False),
            return_exceptions=True,
        )

    async def _pipe(self, reader, writer, seen, startup: bool) -> None:  # type: ignore[no-untyped-def]
        """Pass every chunk on as it arrives; read the message types out of a copy."""
        pending = b""
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                pending += chunk
                while len(pending) >= 5:
                    if startup:
                        # The start-up message has a length and no type byte.
                        size = int.from_bytes(pending[:4], "big")
                        if len(pending) < size:
                            break
                        pending, startup = pending[size:], False
                        continue
                    size = 1 + int.from_bytes(pending[1:5], "big")
                    if len(pending) < size:
                        break
                    seen(pending[:1])
                    pending = pending[size:]
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _from_client(self, kind: bytes) -> None:
        if kind in (b"Q", b"E"):
            with self._lock:
                self._statements += 1

    def _from_server(self, kind: bytes) -> None:
        if kind == b"Z":
            with self._lock:
                self._ready += 1
