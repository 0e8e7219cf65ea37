"""Checking the shape of JSON data before anything is built from it.

A schema is plain Python: a type (``str``, ``int``, ``float``, ``bool``, ``dict`` for any
object, ``object`` for anything), a list ``[schema]`` of items that each match, or a dict
``{"key": schema, "key?": schema}`` whose keys ending in ``?`` may be missing (other keys
are allowed, for files of later versions). ``int`` refuses ``True``; ``float`` takes an int
but refuses NaN and infinities unless the schema says ``"number"``.
"""

from __future__ import annotations

import math
from typing import Any


class SchemaError(ValueError):
    """A value does not match its schema; the message names where."""


def kind_name(schema: Any) -> str:
    if isinstance(schema, list):
        return f"a list of {kind_name(schema[0])}"
    if isinstance(schema, dict) or schema is dict:
        return "an object"
    if schema == "number":
        return "a number"
    return {str: "a string", int: "an integer", float: "a finite number",
            bool: "true or false", object: "anything"}.get(schema, str(schema))


def check(value: Any, schema: Any, where: str) -> None:
    """Raise :class:`SchemaError` naming ``where`` (a path such as ``model.n_features``) if
    ``value`` does not match ``schema``."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise SchemaError(f"{where} must be {kind_name(schema)}")
        for key, item_schema in schema.items():
            name, optional = key.rstrip("?"), key.endswith("?")
            if name not in value:
                if optional:
                    continue
                raise SchemaError(f"{where}.{name} is missing")
            check(value[name], item_schema, f"{where}.{name}")
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise SchemaError(f"{where} must be {kind_name(schema)}")
        for i, item in enumerate(value):
            check(item, schema[0], f"{where}[{i}]")
        return
    if schema is object:
        return
    if schema is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif schema is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
    elif schema == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, schema)
    if not ok:
        shown = repr(value) if len(repr(value)) < 60 else f"{type(value).__name__} value"
        raise SchemaError(f"{where} must be {kind_name(schema)}, not {shown}")
