"""Request bodies read off the event loop.

FastAPI parses a declared JSON body on the event loop, before a plain endpoint moves to
its thread pool; a body of several megabytes would hold up every other connection, the
health probes included, for as long as parsing takes. So the endpoints that take a body
read it here instead, in their worker thread: :class:`~textclf.serve.limits.LimitsMiddleware`
has already received it whole (``scope[BODY]``), and parsing and checking it against the
pydantic model give the same errors FastAPI would. The models still appear in the OpenAPI
schema (:func:`body_schema`, :func:`add_schemas`).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from textclf.serve.limits import BODY

Model = TypeVar("Model", bound=BaseModel)
COMPONENTS = "#/components/schemas/{model}"


def parse(request: Request, model: type[Model]) -> Model:
    """The request's JSON body as ``model``; a RequestValidationError names what is wrong."""
    raw = request.scope.get(BODY, b"")
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",),
                                       "msg": "Field required"}])
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", err.pos),
                                       "msg": "JSON decode error", "ctx": {"error": err.msg}}]
                                     ) from err
    except ValueError as err:  # an integer of more digits than Python converts (4,300)
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", 0),
                                       "msg": "JSON decode error",
                                       "ctx": {"error": "a number too long to read"}}]) from err
    except RecursionError as err:  # nested deeper than the parser goes
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", 0),
                                       "msg": "JSON decode error",
                                       "ctx": {"error": "nested too deeply"}}]) from err
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in err.errors(include_url=False)]) from err


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a route whose JSON body is ``model``."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": COMPONENTS.format(model=model.__name__)}}}}}


def add_schemas(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Put ``models`` (and the models they hold) among the OpenAPI schema's components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                found = model.model_json_schema(ref_template=COMPONENTS)
                components.update(found.pop("$defs", {}))
                components[model.__name__] = found
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
