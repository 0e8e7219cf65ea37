"""A small HTTP/1.1 client for load tests: keep-alive connections over asyncio streams.

httpx costs several milliseconds of CPU per request with 50 connections in its pool (its
pool is searched on every request), more than the server's own work, so on a small machine
it measured the load generator, not the server. This client sends prepared bytes and reads
the status line, the headers and a body of ``Content-Length`` bytes: tens of microseconds
per request. It handles exactly what ``textclf serve`` answers (no chunked responses).
"""

from __future__ import annotations

import asyncio

CRLF2 = b"\r\n\r\n"


def request_bytes(method: str, path: str, body: bytes = b"",
                  content_type: str = "application/json") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body or method == "POST":
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


class ClosedEarlyError(ConnectionError):
    """The server closed the connection before a whole answer arrived."""


class Connection:
    """One keep-alive connection; reopened after the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 60):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """(status, body) of one request; raises on a transport failure or timeout."""
        return await asyncio.wait_for(self.exchange(request), self.timeout)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 22)
        writing = asyncio.ensure_future(self.write(request))
        try:  # read while writing: a refusal may come before the body is sent
            status, body, close = await self.read()
        except (asyncio.IncompleteReadError, ConnectionError) as err:
            self.close()
            raise ClosedEarlyError(str(err) or type(err).__name__) from err
        finally:
            if not writing.done():
                writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
        if close:
            self.close()
        return status, body

    async def write(self, request: bytes) -> None:
        self.writer.write(request)
        await self.writer.drain()

    async def read(self) -> tuple[int, bytes, bool]:
        head = await self.reader.readuntil(CRLF2)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, body, headers.get("connection", "").lower() == "close"

    def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()
        self.reader = self.writer = None
