"""Hand memory that the process has freed back to the operating system.

Featurising a corpus frees many temporary arrays of a few MB. glibc's allocator keeps such
freed blocks inside the process's heap for reuse (it maps a block of its own only above a
threshold, and raises that threshold each time such a block is freed), so the resident size
keeps counting them while the final matrix is built. Two remedies, both glibc only and
no-ops elsewhere:

* :func:`release_free_memory` asks glibc to return whole free pages (``malloc_trim(0)``);
* :func:`large_blocks_mapped` maps every block of 4 MiB or more on its own while a corpus
  is featurised, so a freed temporary goes straight back to the system. Afterwards the
  threshold stays at 32 MiB, the top of glibc's own range for it. A lower threshold saves
  more (256 KiB: another 1–30 MiB off a fit's peak) but every newly mapped block starts as
  zeroed pages, faulted in one by one: on IMDB that cost 0.4 s of system time per fit.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
from collections.abc import Iterator

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


@functools.cache
def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") \
            and hasattr(libc, "mallopt") else None
    except OSError:  # no C library by that name
        return None


def release_free_memory() -> None:
    """Return the heap's free pages to the system, where the C library allows it."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@contextlib.contextmanager
def large_blocks_mapped(threshold: int = 4 << 20, after: int = 32 << 20) -> Iterator[None]:
    """Inside: blocks of ``threshold`` bytes or more are mapped (and unmapped) one by one.
    After: the mapping threshold is ``after``."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, threshold)
    try:
        yield
    finally:
        if libc is not None:
            libc.mallopt(_M_MMAP_THRESHOLD, after)


def physical_memory() -> int | None:
    """Bytes of memory the machine has (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
