"""The docs' pages as ``docs/make_outputs.py`` reads them (their python blocks, marked
commands and shown outputs), for the tests of the docs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location("make_outputs", ROOT / "docs" / "make_outputs.py")
make_outputs = importlib.util.module_from_spec(_spec)
sys.modules["make_outputs"] = make_outputs  # dataclasses look their module up by name
_spec.loader.exec_module(make_outputs)

PAGES = [make_outputs.parse(path) for path in make_outputs.PAGES]


def session_pages(slow: bool = False) -> list:
    """The pages run as sessions (their python blocks with their marked commands) by
    tests/test_docs_outputs.py."""
    return [page for page in PAGES if page.has_checks(slow)]
