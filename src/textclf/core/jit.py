"""Optional compiled kernels: numba when it is installed, the numpy code paths otherwise.

The numpy paths are the reference: they read like the math and every test runs them. Where
numba is installed (``pip install textclf[fast]``), a few inner loops that numpy can only
run as many small array operations (a mini-batch SGD step, cutting text into pieces) are
compiled instead; tests hold both paths to the same results.

``TEXTCLF_NO_JIT=1`` in the environment, or :func:`disabled` in code, switches the compiled
kernels off. numba is imported when a kernel is first called, so ``import textclf`` stays
light; and since importing it and loading its first kernel costs about 0.3 s, work on a
little text (one prediction) takes the numpy path unless numba is loaded already
(:func:`worth`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator

_switched_off = os.environ.get("TEXTCLF_NO_JIT", "") not in ("", "0")
_forced = False  # the compiled kernels on any text, however short (tests)
WORTH_CHARACTERS = 1 << 20  # text from which loading numba pays for itself (about 0.3 s)


@functools.cache
def _installed() -> bool:
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _numba():
    import numba

    return numba


def enabled() -> bool:
    """Whether the compiled kernels are used (numba installed and not switched off); numba
    itself is imported when a kernel is first called."""
    return not _switched_off and _installed()


def worth(work: int) -> bool:
    """Whether to run the compiled kernels on ``work`` characters of text (or entries of a
    matrix): where they are :func:`enabled` and numba is loaded already, or the work is
    large enough (:data:`WORTH_CHARACTERS`) to pay for loading it. Both paths give the same
    results."""
    return enabled() and (_forced or "numba" in sys.modules or work >= WORTH_CHARACTERS)


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the numpy code paths inside this block (for tests and comparisons)."""
    global _switched_off
    before, _switched_off = _switched_off, True
    try:
        yield
    finally:
        _switched_off = before


@contextlib.contextmanager
def forced() -> Iterator[None]:
    """Run the compiled kernels inside this block (where :func:`enabled`) on any text,
    however short (for tests and comparisons)."""
    global _forced
    before, _forced = _forced, True
    try:
        yield
    finally:
        _forced = before


def kernel(function: Callable) -> Callable:
    """Compile ``function`` with numba (nopython, cached on disk) when it is first called.

    Call the result only when :func:`enabled` is true. A kernel may call other kernels of
    its module: they are compiled first and called compiled (numba would otherwise see
    only their Python wrappers). Such a call costs far more than an inlined loop, so it
    suits a step per array, not per element.
    """
    compiled = None
    lock = threading.Lock()  # threads featurising at once compile it once

    def compile_once():
        nonlocal compiled
        with lock:
            if compiled is None:
                compiled = compile_kernel(_with_compiled_kernels(function))
        return compiled

    @functools.wraps(function)
    def call(*args):
        return (compiled or compile_once())(*args)

    call.python = function  # the plain Python function (slow; for debugging)
    call.compiled = compile_once
    _kernels.append(lambda: compiled)
    return call


_kernels: list[Callable] = []  # each kernel's compiled form, None until first called


def compilations() -> int:
    """How many machine-code versions of the kernels this process compiled rather than
    loaded from numba's cache (0 in a warm run: every kernel it calls cached)."""
    total = 0
    for dispatcher in filter(None, (compiled() for compiled in _kernels)):
        total += len(dispatcher.signatures) - sum(dispatcher.stats.cache_hits.values())
    return total


def compile_kernel(function: Callable) -> Callable:
    """numba's nopython compilation, cached on disk where numba finds a writable place
    (beside the module, or its user cache folder); where it finds none (a read-only install,
    a user without a writable home), compiled anew in each process instead of failing."""
    njit = _numba().njit
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError as err:
        if "cannot cache" not in str(err):
            raise
        return njit(cache=False, nogil=True)(function)


def _with_compiled_kernels(function: Callable) -> Callable:
    """``function`` with the kernels it names bound to their compiled forms."""
    called = {name: value.compiled() for name in function.__code__.co_names
              if callable(getattr(value := function.__globals__.get(name), "compiled", None))}
    if not called:
        return function
    rebound = types.FunctionType(function.__code__, {**function.__globals__, **called},
                                 function.__name__, function.__defaults__, function.__closure__)
    rebound.__qualname__ = function.__qualname__
    return rebound
