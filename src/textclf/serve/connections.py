"""Connections that cannot hold the server: bounded in number, in header size and in the
time a client takes to send its request line and headers.

uvicorn bounds neither the size of a request's headers nor the time they take to arrive:
a client that opens a connection and sends a header byte now and then keeps it (and its
file descriptor) for as long as it likes, and one that sends an endless header value
makes the parser hold all of it. :class:`GuardedHttpProtocol` is uvicorn's HTTP protocol
(httptools) with three more rules, from the :class:`~textclf.serve.config.ServeLimits`:

* at most ``max_connections`` open connections; one more is answered 503 and closed at once;
* a request's line and headers must arrive within ``header_timeout`` seconds of their
  first byte (or of the connection's opening), else 408 and the connection is closed;
* they may take at most :data:`MAX_HEAD_BYTES`, else 431 and the connection is closed.

An idle connection between requests is uvicorn's keep-alive timeout's to close, and a
request's body is the application's to time (:mod:`textclf.serve.limits`).
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from textclf.serve.config import ServeLimits

MAX_HEAD_BYTES = 64 * 1024  # a request line and its headers (nginx allows 4 × 8 KiB)
LINGER_SECONDS = 1.0  # a refused client still sending is read (and ignored) this long


def refusal(status: int, message: str) -> bytes:
    """A whole HTTP response ``{"error": message}`` that closes the connection."""
    body = json.dumps({"error": message}).encode()
    return (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json"
            f"\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a connection limit, a header timeout and a header
    size limit (see the module doc); made by ``functools.partial(GuardedHttpProtocol,
    limits=...)``, which uvicorn calls once per connection."""

    def __init__(self, *args: Any, limits: ServeLimits, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.in_head = True  # waiting for a request's line and headers
        self.head_bytes = 0  # bytes received of them so far
        self.head_timer: asyncio.TimerHandle | None = None
        self.draining = False  # refused, and dropping what still arrives

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.refuse(503, f"the server is busy ({self.limits.max_connections} open "
                        "connections, --max-connections); try again shortly")
            return
        self.start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.draining:  # refused: what still arrives is dropped unread
            return
        if self.in_head:
            self.head_bytes += len(data)
            if self.head_timer is None:
                self.start_head_timer()
        super().data_received(data)
        if self.in_head and self.head_bytes > MAX_HEAD_BYTES:
            self.refuse(431, f"the request line and headers are larger than {MAX_HEAD_BYTES} "
                        "bytes", linger=True)

    def on_headers_complete(self) -> None:
        self.in_head, self.head_bytes = False, 0
        self.stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head, self.head_bytes = True, 0  # what comes next is another request

    def on_response_complete(self) -> None:
        super().on_response_complete()  # an idle connection: the keep-alive timeout's
        self.stop_head_timer()

    def start_head_timer(self) -> None:
        self.stop_head_timer()
        self.head_timer = self.loop.call_later(self.limits.header_timeout, self.head_too_slow)

    def stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_too_slow(self) -> None:
        self.head_timer = None
        if self.in_head:
            self.refuse(408, f"the request's headers did not arrive within "
                        f"{self.limits.header_timeout:g} s")

    def refuse(self, status: int, message: str, linger: bool = False) -> None:
        """Answer ``status`` and close, unless the connection is closing already. With
        ``linger``, for a client still sending: the answer first, then what it sends is
        dropped for :data:`LINGER_SECONDS` before closing (closing on unread data resets
        the connection, and the client could lose the answer)."""
        self.stop_head_timer()
        if self.transport.is_closing():
            return
        self.transport.write(refusal(status, message))
        if linger and self.transport.can_write_eof():
            self.draining = True
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
