"""Limits enforced before a request reaches an endpoint, as plain ASGI middleware.

In order:

1. at most ``max_concurrency`` requests in progress, and at most ``max_pending_bytes`` of
   their bodies; one more is answered 503 at once, before its body is read (or as soon as
   the bytes received pass the budget), so a flood turns into quick refusals instead of a
   growing pile of bodies in memory (the health probes are exempt: they cost nothing);
2. a body must be JSON: ``Content-Type: application/json`` (or ``...+json``) or none
   (then it is read as JSON); another type is answered 415;
3. a body over ``max_body`` bytes is answered 413 without reading the rest: at once when
   ``Content-Length`` says so, else as soon as the bytes received pass the limit;
4. a body that is not UTF-8 is answered 400, naming the first bad byte.

A body that passes is handed to the app in one piece (also as ``scope[BODY]``, for
:mod:`textclf.serve.bodies`), so the bodies in memory are bounded
by ``max_body`` each and ``max_pending_bytes`` in all (and what parsing and featurising
them takes is proportional to them).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from textclf.serve.config import ServeLimits
from textclf.serve.errors import ServeError

EXEMPT = ("/v2/health/live", "/v2/health/ready")
BODY = "textclf.body"  # where the body, received whole, waits for the endpoint (bodies.py)
BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_TYPES = ("application/json",)


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


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or media.endswith("+json")


class LimitsMiddleware:
    """Concurrency, content type, body size and encoding checks (see the module doc)."""

    def __init__(self, app: ASGIApp, limits: ServeLimits):
        self.app = app
        self.limits = limits
        # only touched on the event loop: no lock needed
        self.in_progress = 0  # requests
        self.pending_bytes = 0  # bytes of their bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limits.max_concurrency:
            await self.busy(send, f"{self.limits.max_concurrency} requests in progress, "
                            "--max-concurrency")
            return
        self.in_progress += 1
        held = [0]  # bytes of this request's body counted in pending_bytes
        try:
            if scope["method"] in BODY_METHODS:
                body = await self.read_body(scope, receive, send, held)
                if body is None:
                    return
                scope[BODY] = body
                receive = replay(body, receive)
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
            self.pending_bytes -= held[0]

    async def busy(self, send: Send, why: str) -> None:
        await refuse(send, 503, f"the server is busy ({why}); try again shortly",
                     [(b"retry-after", b"1")])

    def hold(self, held: list[int], size: int) -> bool:
        """Count this body as ``size`` bytes in progress, if the budget allows."""
        extra = size - held[0]
        if extra > 0 and self.pending_bytes + extra > self.limits.max_pending_bytes:
            return False
        self.pending_bytes += max(extra, 0)
        held[0] = max(held[0], size)
        return True

    async def read_body(self, scope: Scope, receive: Receive, send: Send,
                        held: list[int]) -> bytes | None:
        """The whole body, or None after refusing the request."""
        limit = self.limits.max_body
        too_large = (f"the body is larger than {limit} bytes (--max-body); send fewer or "
                     "shorter texts per request")
        over_budget = (f"over {self.limits.max_pending_bytes} bytes of requests in "
                       "progress, --max-pending-bytes")
        length = header(scope, b"content-length")
        has_body = length not in (None, "0") or header(scope, b"transfer-encoding") is not None
        content_type = header(scope, b"content-type")
        if content_type is None:  # some clients send none: read the body as JSON
            scope["headers"] = [*scope["headers"], (b"content-type", b"application/json")]
        elif has_body and not is_json(content_type):
            await refuse(send, 415, f"the body is {content_type.split(';')[0]!r}: send it as "
                         "JSON, with the header Content-Type: application/json")
            return None
        if length is not None and length.isdigit():
            if int(length) > limit:
                await refuse(send, 413, too_large)
                return None
            if not self.hold(held, int(length)):
                await self.busy(send, over_budget)
                return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await refuse(send, 413, too_large)
                return None
            if not self.hold(held, size):
                await self.busy(send, over_budget)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as err:
            await refuse(send, 400, f"the body is not valid UTF-8 (byte 0x{body[err.start]:02x} "
                         f"at position {err.start})", close=False)
            return None
        return body


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
