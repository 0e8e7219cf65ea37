"""A package's names imported when first used, so that importing one of its modules does
not import them all (PEP 562: a module's ``__getattr__``)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``, whose names ``exports`` maps to the
    modules they come from: a name is imported from its module when first asked for, then
    kept as an ordinary attribute of the package."""

    def attribute(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def names() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return attribute, names
