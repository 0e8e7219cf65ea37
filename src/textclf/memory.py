"""Hand memory that the process has freed back to the operating system.

Featurising a corpus frees many temporary arrays of a few MB. glibc's allocator keeps such
freed blocks inside the process's heap for reuse, so the resident size keeps counting them
while the final matrix is built. :func:`release_free_memory` asks glibc to return whole
free pages (``malloc_trim(0)``); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return None


def release_free_memory() -> None:
    """Return the heap's free pages to the system, where the C library allows it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
