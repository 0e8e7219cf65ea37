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

**Compiling ahead.** numba keeps a kernel's machine code on disk, so only the first run
compiles: about 4 s of CPU for the kernels of a default fit, most of it numba's own Python
work, which one process can only do one kernel after another. So when the first kernel a
process calls is not in numba's cache, the other kernels (those declared ``ahead``) are
handed to other processes (one per free core, at most :data:`MAX_PROCESSES`: cores beyond
this process's that other jobs do not keep busy, by the load average), which compile them
from their declared signatures and write them to the cache while this process goes on; a
kernel another process compiles is waited for (each process reports the kernels it is done
with, one line each), then loaded from the cache. With one free core, this process keeps
the kernels of its own stage and the next; the other process takes the later stages, in
order. Processes still running when this one exits are stopped (the cache keeps what they
finished). A warm run starts none.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import importlib.util
import os
import subprocess
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator

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
    cache; the first is compiled ahead, in another process, on a first run (*compiling
    ahead*, in the module's docstring). ``stage``: when a fit first calls it (0 first), the order
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
        before_first_call(self, list(KERNELS.values()))
        self._ready = dispatcher
        return dispatcher


def compile_named(names: list[str]) -> None:
    """Compile the kernels ``names`` ("module:function") for their first declared
    signature, into numba's cache, reporting each on a line of its own when done (what
    the processes compiling ahead run)."""
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


# compiling ahead ----------------------------------------------------------------------
# set in the processes that compile ahead: they start none
COMPILING_AHEAD_ENV = "TEXTCLF_COMPILING_AHEAD"
MAX_PROCESSES = 8
_CHILD = "import sys\nfrom textclf.core import jit\njit.compile_named(sys.argv[1:])"

_started = False
_lock = threading.Lock()
_handed: dict[str, CompilingProcess] = {}  # kernel name → the process compiling it


class CompilingProcess:
    """A process compiling some kernels ahead; :meth:`wait_for` one of them."""

    def __init__(self, names: list[str]):
        path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *names], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
            env={**os.environ, COMPILING_AHEAD_ENV: "1", "PYTHONPATH": path})
        self.done: set[str] = set()
        self.lock = threading.Lock()

    def wait_for(self, name: str) -> None:
        """Until the process reports ``name`` compiled (or ends)."""
        with self.lock:
            while name not in self.done:
                line = self.process.stdout.readline()
                if not line:  # it ended (or failed): the caller compiles the kernel itself
                    return
                self.done.add(line.strip())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.stdout.close()


def is_cold(kernel) -> bool:
    """Whether numba's cache holds nothing for ``kernel`` (or nothing current). Read from
    numba's cache index (an attribute numba does not document: where it is missing, or the
    kernel cannot be cached, the kernel counts as warm, and nothing is compiled ahead)."""
    try:  # numba's cache object, its index file, the index it holds: numba's own
        cache = getattr(kernel.compiled(), "_cache")  # noqa: B009 (internals, named)
        index = getattr(getattr(cache, "_cache_file"), "_load_index")()  # noqa: B009
    except Exception:  # noqa: BLE001 (numba's internals moved: compile as usual)
        return False
    return not index


def before_first_call(kernel, kernels: Iterable) -> None:
    """Called as ``kernel`` is first used in this process: if it is cold (a first run),
    hand the other cold ``kernels`` to processes that compile them ahead; if another
    process compiles ``kernel``, wait for it."""
    global _started
    with _lock:
        if not _started and COMPILING_AHEAD_ENV not in os.environ and is_cold(kernel):
            _started = True
            # (the others taken as cold too: one found cached is loaded, quickly, instead)
            start_workers([k for k in kernels if k.ahead and k.signatures and k is not kernel],
                          kernel.stage)
        worker = _handed.get(kernel.name)
    if worker is not None:
        worker.wait_for(kernel.name)


def free_cores() -> int:
    """Cores beyond this process's, less the system's load (its 1-minute average): a
    process compiling ahead on a core others keep busy only takes time from this one."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # not on this system: count every core free
        load = 0.0
    return int((os.cpu_count() or 1) - 1 - load)


def start_workers(cold: list, stage: int) -> None:
    """Hand the ``cold`` kernels to processes (one per free core, at most
    :data:`MAX_PROCESSES`), in the order of their stages (with one process, only those two
    stages or more after ``stage``: the caller compiles the kernels it needs next itself,
    while the other process starts)."""
    n = min(free_cores(), MAX_PROCESSES, len(cold))
    if n < 1:
        return
    cold = sorted(cold, key=lambda k: k.stage)
    if n == 1:
        cold = [k for k in cold if k.stage > stage + 1]
    if not cold:
        return
    for i in range(n):
        names = [k.name for k in cold[i::n]]
        if names:
            worker = CompilingProcess(names)
            _handed.update(dict.fromkeys(names, worker))
    atexit.register(stop_workers)


def stop_workers() -> None:
    """Stop the processes still compiling (the cache keeps what they finished)."""
    for worker in set(_handed.values()):
        worker.stop()
