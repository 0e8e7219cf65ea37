"""The web page at ``/``: pick a model, type a document, see its label, a bar per class and
each term coloured by its contribution. Everything it needs is in the package
(``static/``): it works with no network beyond the server.

The page reads ``?model=NAME&text=...`` and classifies that document at once, so a result
can be shared as a link; it calls the same endpoints as any client (``/v1/models``,
``predict`` for the label and bars, ``explain`` for the colours).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


def install_page(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
