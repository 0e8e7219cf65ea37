"""JSON responses that can always be sent.

JSON may carry a lone surrogate (``"\\ud800"``), which Python reads into a ``str`` that has
no UTF-8 form; echoed back (an explained text, a request id) it would fail to encode. Such
a response is written with ASCII escapes instead, which is the same JSON.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")
