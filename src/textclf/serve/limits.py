"""Limits enforced before a request reaches an endpoint, as plain ASGI middleware.

In order:

1. a request with a body must say it is JSON: ``Content-Type: application/json`` (or
   ``...+json``); another type, or none, is answered 415 (so a page on another origin
   cannot send one without the browser asking the server first, a CORS preflight);
2. a body over ``max_body`` bytes is answered 413 without reading the rest: at once when
   ``Content-Length`` says so, else as soon as the bytes received pass the limit;
3. a body must arrive whole within ``body_timeout`` seconds of its request's headers, else
   408 (a client that sends a byte and goes quiet holds no slot for long);
4. the bodies being received or in progress hold at most ``max_pending_bytes`` in all, as
   they arrive; one that would pass the budget is answered 503 at once;
5. a body that is not UTF-8 is answered 400, naming the first bad byte;
6. at most ``max_concurrency`` requests are in progress (their body received, their answer
   being computed); one more is answered 503 at once.

A slow body is counted only in bytes while it arrives, never among the requests in
progress: slow clients cannot take the slots that fast ones need. The health probes are
exempt from every limit (they cost nothing) and say whether the service can take requests
(:class:`Load`). A body that passes is handed to the app in one piece (also as
``scope[BODY]``, for :mod:`textclf.serve.bodies`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from textclf.serve.config import ServeLimits
from textclf.serve.errors import ServeError

EXEMPT = ("/v2/health/live", "/v2/health/ready")
BODY = "textclf.body"  # where the body, received whole, waits for the endpoint (bodies.py)
BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_TYPES = ("application/json",)


@dataclass
class Load:
    """What the service holds now (touched on the event loop only: no lock needed)."""

    limits: ServeLimits
    in_progress: int = 0  # requests whose answer is being computed
    pending_bytes: int = 0  # bytes of the bodies received or in progress

    def busy(self) -> str | None:
        """Why one more request would be refused now (None: it would be taken)."""
        if self.in_progress >= self.limits.max_concurrency:
            return f"{self.limits.max_concurrency} requests in progress, --max-concurrency"
        if self.pending_bytes >= self.limits.max_pending_bytes:
            return (f"{self.limits.max_pending_bytes} bytes of requests in progress, "
                    "--max-pending-bytes")
        return None


async def refuse(send: Send, status: int, message: str,
                 headers: list[tuple[bytes, bytes]] = (), close: bool = True) -> None:
    """Answer with ``{"error": message}``; ``close`` the connection afterwards when the
    body may be unread."""
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *headers]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def busy(send: Send, why: str) -> None:
    await refuse(send, 503, f"the server is busy ({why}); try again shortly",
                 [(b"retry-after", b"1")])


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or media.endswith("+json")


class LimitsMiddleware:
    """Content type, body size, body time, byte budget, encoding and concurrency checks
    (see the module doc); ``load`` is what the readiness probe reads."""

    def __init__(self, app: ASGIApp, limits: ServeLimits, load: Load | None = None):
        self.app = app
        self.limits = limits
        self.load = load if load is not None else Load(limits)

    @property
    def in_progress(self) -> int:
        return self.load.in_progress

    @property
    def pending_bytes(self) -> int:
        return self.load.pending_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        held = [0]  # bytes of this request's body counted in pending_bytes
        try:
            if scope["method"] in BODY_METHODS:
                body = await self.read_body(scope, receive, send, held)
                if body is None:
                    return
                scope[BODY] = body
                receive = replay(body, receive)
            if self.load.in_progress >= self.limits.max_concurrency:
                await busy(send, f"{self.limits.max_concurrency} requests in progress, "
                           "--max-concurrency")
                return
            self.load.in_progress += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.load.in_progress -= 1
        finally:
            self.load.pending_bytes -= held[0]

    def hold(self, held: list[int], size: int) -> bool:
        """Count this body as ``size`` bytes, if the budget allows."""
        extra = size - held[0]
        if extra > 0 and self.load.pending_bytes + extra > self.limits.max_pending_bytes:
            return False
        self.load.pending_bytes += max(extra, 0)
        held[0] = max(held[0], size)
        return True

    async def read_body(self, scope: Scope, receive: Receive, send: Send,
                        held: list[int]) -> bytes | None:
        """The whole body, or None after refusing the request."""
        content_type = header(scope, b"content-type")
        if content_type is None or not is_json(content_type):
            shown = "without a Content-Type" if content_type is None \
                else f"{content_type.split(';')[0]!r}"
            await refuse(send, 415, f"the body is {shown}: send it as JSON, with the header "
                         "Content-Type: application/json")
            return None
        length = header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limits.max_body:
            await self.too_large(send)
            return None
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                body = await self.receive_whole(receive, send, held)
        except TimeoutError:
            await refuse(send, 408, f"the body did not arrive within "
                         f"{self.limits.body_timeout:g} s (--body-timeout)")
            return None
        if body is None:
            return None
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as err:
            await refuse(send, 400, f"the body is not valid UTF-8 (byte 0x{body[err.start]:02x} "
                         f"at position {err.start})", close=False)
            return None
        return body

    async def too_large(self, send: Send) -> None:
        await refuse(send, 413, f"the body is larger than {self.limits.max_body} bytes "
                     "(--max-body); send fewer or shorter texts per request")

    async def receive_whole(self, receive: Receive, send: Send,
                            held: list[int]) -> bytes | None:
        """The body's chunks joined, each counted as it arrives; None after refusing."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body:
                await self.too_large(send)
                return None
            if not self.hold(held, size):
                await busy(send, f"over {self.limits.max_pending_bytes} bytes of requests "
                           "in progress, --max-pending-bytes")
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def replay(body: bytes, original: Receive) -> Receive:
    """A ``receive`` that gives ``body`` in one message, then what the client does next
    (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


class HeadAsGet:
    """``HEAD`` answered as ``GET`` without the body (the headers are GET's, its
    Content-Length included), for every GET route: the health probes, the page, the API."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def check_texts(texts: list[str], limits: ServeLimits, field: str = "texts") -> None:
    """At most ``max_batch`` texts, each of at most ``max_chars`` characters (else 413)."""
    if len(texts) > limits.max_batch:
        raise ServeError(413, f"{field}: {len(texts)} texts, more than the "
                         f"{limits.max_batch} allowed in one request (--max-batch)")
    for i, text in enumerate(texts):
        check_length(text, limits, f"{field}[{i}]")


def check_length(text: str, limits: ServeLimits, where: str = "text") -> None:
    """At most ``max_chars`` characters (else 413)."""
    if len(text) > limits.max_chars:
        raise ServeError(413, f"{where}: {len(text)} characters, more than the "
                         f"{limits.max_chars} allowed (--max-chars)")
