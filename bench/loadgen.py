"""The load generator: a small asyncio HTTP/1.1 client with keep-alive connections.

Two ways to drive a server:
- `closed_loop(concurrency, seconds)`: each of N connections sends back to back — a ceiling
  of throughput, never a latency figure (a slow server slows the senders down: coordinated
  omission).
- `open_loop(rate, seconds)`: requests are *scheduled* at a fixed rate, whatever the server
  does; latency is measured from each request's scheduled send time, so queueing in the
  server or in the generator counts against the server (as a bank's burst would).

A request is built by `make_request()` just before it is sent (fresh ids, a fresh signature).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
MAX_CONNECTIONS = 256


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)   # seconds, successes only
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    lateness: list[float] = field(default_factory=list)    # generator's own delay behind schedule
    elapsed: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, request: Request) -> int:
        method, path, headers, body = request
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class _Pool:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: list[_Connection] = []
        self.open = 0

    async def send(self, request: Request) -> int:
        connection = self.idle.pop() if self.idle else _Connection(self.host, self.port)
        try:
            status = await connection.request(request)
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            connection.close()
            raise
        self.idle.append(connection)
        return status

    def close(self) -> None:
        for connection in self.idle:
            connection.close()


def open_loop(url: str, make_request: Callable[[], Request], rate: float, seconds: float,
              on_response: Callable[[int, float], None] | None = None) -> Outcome:
    """Sends `rate` requests per second for `seconds`, on schedule (new connections as needed,
    up to MAX_CONNECTIONS in flight); latency from the scheduled time."""
    return asyncio.run(_open_loop(url, make_request, rate, seconds, on_response))


async def _open_loop(url: str, make_request: Callable[[], Request], rate: float, seconds: float,
                     on_response: Callable[[int, float], None] | None) -> Outcome:
    pool, outcome = _Pool(url), Outcome()
    in_flight = asyncio.Semaphore(MAX_CONNECTIONS)
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(scheduled: float) -> None:
        async with in_flight:
            request = make_request()
            try:
                status = await pool.send(request)
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                outcome.errors += 1
                return
            done = time.perf_counter()
            outcome.count(status)
            if 200 <= status < 300:
                outcome.latencies.append(done - scheduled)
            if on_response:
                on_response(status, done)

    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        outcome.lateness.append(max(0.0, time.perf_counter() - scheduled))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    outcome.elapsed = time.perf_counter() - start
    pool.close()
    return outcome


def closed_loop(url: str, make_request: Callable[[], Request], concurrency: int, seconds: float) -> Outcome:
    """`concurrency` connections, each sending back to back for `seconds`."""
    return asyncio.run(_closed_loop(url, make_request, concurrency, seconds))


async def _closed_loop(url: str, make_request: Callable[[], Request], concurrency: int,
                       seconds: float) -> Outcome:
    outcome = Outcome()
    start = time.perf_counter()
    deadline = start + seconds

    async def sender() -> None:
        pool = _Pool(url)
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                status = await pool.send(make_request())
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                outcome.errors += 1
                continue
            outcome.count(status)
            if 200 <= status < 300:
                outcome.latencies.append(time.perf_counter() - sent)
        pool.close()

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    outcome.elapsed = time.perf_counter() - start
    return outcome


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary(values: list[float]) -> dict[str, float | None]:
    """p50/p90/p99/max in milliseconds."""
    return {f"p{p}": (None if (v := percentile(values, p)) is None else round(v * 1000, 2))
            for p in (50, 90, 99)} | {"max": round(max(values) * 1000, 2) if values else None}


async def _responder(port: int, body: bytes = b'{"accepted": 100}') -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if not line:
                    break
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def serve_null(port: int) -> None:
    """A server that answers 202 at once: what the generator alone can push (its ceiling)."""
    asyncio.run(_responder(port))
