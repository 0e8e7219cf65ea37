"""Compiling the kernels ahead, in other processes, on the first run after installing.

numba compiles a kernel when it is first called and keeps its machine code on disk, so only
the first run compiles: about 4 s of CPU for the kernels of a default fit, most of it numba's
own Python work, which one process can only do one kernel after another. So when the first
kernel a process calls is not in numba's cache, the other kernels (:func:`~textclf.core.jit.
kernel`'s ``ahead`` ones) are handed to other processes (one per free core, at most
:data:`MAX_PROCESSES`: cores beyond this process's that other jobs do not keep busy, by the
load average), which compile them from their declared signatures and write them to
the cache while this process goes on; a kernel another process compiles is waited for
(each process reports the kernels it is done with, one line each), then loaded from the
cache. With one free core, this process keeps the kernels of its own stage and the next;
the other process takes the later stages, in order. Processes still running when
this one exits are stopped (the cache keeps what they finished). A warm run starts none.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from collections.abc import Iterable

ENV = "TEXTCLF_COMPILING_AHEAD"  # set in the processes that compile ahead: they start none
MAX_PROCESSES = 8
_CHILD = "import sys\nfrom textclf.core import jit\njit.compile_named(sys.argv[1:])"

_started = False
_lock = threading.Lock()
_handed: dict[str, Worker] = {}  # kernel name → the process compiling it


class Worker:
    """A process compiling some kernels ahead; :meth:`wait_for` one of them."""

    def __init__(self, names: list[str]):
        path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *names], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
            env={**os.environ, ENV: "1", "PYTHONPATH": path})
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
        if not _started and ENV not in os.environ and is_cold(kernel):
            _started = True
            # (the others taken as cold too: one found cached is loaded, quickly, instead)
            start([k for k in kernels if k.ahead and k.signatures and k is not kernel],
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


def start(cold: list, stage: int) -> None:
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
            worker = Worker(names)
            _handed.update(dict.fromkeys(names, worker))
    atexit.register(stop_all)


def stop_all() -> None:
    """Stop the processes still compiling (the cache keeps what they finished)."""
    for worker in set(_handed.values()):
        worker.stop()
