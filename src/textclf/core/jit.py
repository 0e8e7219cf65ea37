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
import importlib
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator

from textclf.core import ahead

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


def kernel(*signatures: str, stage: int = 0, ahead: bool = True) -> Callable:
    """Declare a compiled kernel: ``@kernel(signature, ...)`` above a function, which numba
    compiles (nopython, cached on disk) when it is first called, for the types of that call.

    ``signatures``: numba's argument types of the ways it is called (``"(int64[::1],
    int64)"``; :func:`floats` writes a float64 and a float32 version): callers pass exactly
    these types, so a kernel compiles once per way and a warm run loads every one from the
    cache; the first is compiled ahead, in another process, on a first run
    (:mod:`textclf.core.ahead`). ``stage``: when a fit first calls it (0 first), the order
    in which kernels are compiled ahead; ``ahead``: False for a kernel that only other
    kernels call (compiled with them), or that a default fit does not use.

    Call a kernel only when :func:`enabled` is true. A kernel may call other kernels of
    its module: they are compiled first and called compiled (numba would otherwise see
    only their Python wrappers). Such a call costs more than an inlined loop, so it suits
    a step per array, not per element.
    """
    return lambda function: Kernel(function, signatures, stage, ahead)


def floats(signature: str) -> tuple[str, str]:
    """``signature`` with ``F`` as float64, then as float32 (X's and θ's two dtypes)."""
    return signature.replace("F", "float64"), signature.replace("F", "float32")


KERNELS: dict[str, Kernel] = {}  # every kernel declared, by "module:function"


class Kernel:
    """A compiled kernel (see :func:`kernel`): called like the function it compiles."""

    def __init__(self, function: Callable, signatures: tuple[str, ...], stage: int,
                 ahead: bool):
        functools.update_wrapper(self, function)
        self.python = function  # the plain Python function (slow; for debugging)
        self.signatures, self.stage, self.ahead = signatures, stage, ahead
        self.name = f"{function.__module__}:{function.__qualname__}"
        self._dispatcher = None  # numba's, made on first use
        self._ready = None  # the dispatcher, once this process may call it
        self._lock = threading.Lock()  # threads featurising at once make it once
        KERNELS[self.name] = self

    def __call__(self, *args):
        return (self._ready or self._first_call())(*args)

    @property
    def made(self):
        """numba's dispatcher of this kernel if it was made (see :meth:`compiled`), or None."""
        return self._dispatcher

    def compiled(self):
        """numba's dispatcher of this kernel (made once; it compiles on its first call)."""
        with self._lock:
            if self._dispatcher is None:
                self._dispatcher = compile_kernel(_with_compiled_kernels(self.python))
        return self._dispatcher

    def _first_call(self):
        dispatcher = self.compiled()
        # on a first run, the other kernels compiled ahead by other processes
        ahead.before_first_call(self, list(KERNELS.values()))
        self._ready = dispatcher
        return dispatcher


def compile_named(names: list[str]) -> None:
    """Compile the kernels ``names`` ("module:function") for their first declared
    signature, into numba's cache, reporting each on a line of its own when done (what
    :mod:`textclf.core.ahead` runs in its processes)."""
    from numba.core import sigutils

    for name in names:
        importlib.import_module(name.split(":")[0])
        kernel = KERNELS[name]
        kernel.compiled().compile(sigutils.normalize_signature(kernel.signatures[0])[0])
        print(name, flush=True)


def compilations() -> int:
    """How many machine-code versions of the kernels this process compiled rather than
    loaded from numba's cache (0 in a warm run: every kernel it calls cached)."""
    made = [k.made for k in KERNELS.values() if k.made is not None]
    return sum(len(d.signatures) - sum(d.stats.cache_hits.values()) for d in made)


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
