"""JSON responses that can always be sent.

JSON may carry a lone surrogate (``"\\ud800"``), which Python reads into a ``str`` that has
no UTF-8 form; echoed back (an explained text, a request id) it would fail to encode. Such
a response is written with ASCII escapes instead, which is the same JSON. JSON has no NaN
or infinity either: a number that is not finite (a NaN a model file's history holds, say)
is written as ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse


def finite(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None (JSON's null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def compact(content: Any, ascii_only: bool = False) -> str:
    return json.dumps(content, ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":"))


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            text = compact(content)
        except ValueError:  # a NaN or an infinity
            content = finite(content)
            text = compact(content)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return compact(content, ascii_only=True).encode("ascii")
