"""One log line per request: client, method, path, status and time taken.

The query string is left out: a link to the page carries a whole document in it (``?text=``),
and documents do not belong in logs. What is logged has its control characters escaped
(:func:`~textclf.core.escape.escape_controls`): a path with ``%0a`` in it cannot forge a
line of its own.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from textclf.core.escape import escape_controls

log = logging.getLogger("textclf.serve.access")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            where = f"{client[0]}:{client[1]}" if client else "-"
            log.info('%s "%s %s" %d %.1f ms', escape_controls(where),
                     escape_controls(scope["method"]), escape_controls(scope["path"]),
                     status or 500, (time.perf_counter() - start) * 1000)
