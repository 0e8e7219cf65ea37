"""Every answer to a bad request is a 4xx with a JSON body ``{"error": "one line"}``.

The Open Inference Protocol asks for exactly that body (with 400 for a request it cannot
use). A body that is not JSON is a 400 everywhere; the simple API (/v1) answers JSON that
does not match its schema with FastAPI's usual 422, whose ``detail`` lists each problem,
and adds the same one-line ``error``.
Nothing a client sends may end in a 500: an unexpected exception is logged with its
traceback and answered with a JSON 500, and the property tests look for any such case.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from textclf.errors import TextclfError
from textclf.serve.predictions import ShuttingDownError
from textclf.serve.registry import UnknownModelError
from textclf.serve.responses import SafeJSONResponse

log = logging.getLogger("textclf.serve")
PROTOCOL_PREFIX = "/v2"  # the Open Inference Protocol's paths: errors are 400s


class ServeError(Exception):
    """A request the server refuses, with its status and a message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   **extra) -> SafeJSONResponse:
    return SafeJSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def where(location: tuple) -> str:
    """``("body", "texts", 3)`` → ``texts[3]``."""
    path = ""
    for part in location[1:] if location and location[0] == "body" else location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "the body"


def validation_message(errors: list[dict]) -> str:
    """One line naming the first problem (and how many more there are)."""
    first = errors[0]
    if first.get("type") == "json_invalid":
        reason = first.get("ctx", {}).get("error", "JSON decode error")
        position = first.get("loc", ("body", "?"))[-1]
        return f"the body is not valid JSON: {reason} (at character {position})"
    message = f"{where(tuple(first.get('loc', ())))}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServeError)
    async def refused(request: Request, err: ServeError) -> SafeJSONResponse:
        return error_response(err.status, str(err), err.headers)

    @app.exception_handler(UnknownModelError)
    async def unknown_model(request: Request, err: UnknownModelError) -> SafeJSONResponse:
        return error_response(404, str(err))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> SafeJSONResponse:
        errors = list(err.errors())
        message = validation_message(errors) if errors else "the request is not valid"
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        if malformed or request.url.path.startswith(PROTOCOL_PREFIX):
            return error_response(400, message)
        detail = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in errors]
        return error_response(422, message, detail=detail)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> SafeJSONResponse:
        return error_response(err.status_code, str(err.detail), err.headers)

    @app.exception_handler(ShuttingDownError)
    async def shutting_down(request: Request, err: ShuttingDownError) -> SafeJSONResponse:
        return error_response(503, str(err), {"retry-after": "1"})

    @app.exception_handler(TextclfError)
    async def classifier_refused(request: Request, err: TextclfError) -> SafeJSONResponse:
        return error_response(400, str(err))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> SafeJSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error ({type(err).__name__}); see the "
                              "server's log")
