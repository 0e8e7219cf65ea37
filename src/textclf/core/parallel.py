"""The ordered worker pool: ``map`` on several threads or processes, results in order.

Featurising a corpus and reading a stream both hand chunks to workers and need the results
back in the order of the chunks, with only a few chunks in flight so that a stream is never
read into memory as a whole. :func:`ordered_map` does that for both.

The function goes to the workers with its own state (a bound method, a ``functools.partial``):
no module-level state is set in the calling process, so any number of threads may call
:func:`ordered_map` at once. Worker processes receive the function once, when they start
(inherited through fork where the system has it, else pickled).
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

_worker_function: Callable | None = None  # set only inside worker processes


def _install(function: Callable) -> None:
    global _worker_function
    _worker_function = function


def _call_installed(item):
    return _worker_function(item)


def ordered_map(function: Callable, items: Iterable, jobs: int = 1, *, threads: bool = True,
                ahead: int = 2) -> Iterator:
    """``map(function, items)`` on ``jobs`` workers, in order, with at most ``ahead``·jobs
    items in flight; plain ``map`` for one worker or a single item.

    ``threads``: threads (they share memory and suit work that releases the GIL: numpy,
    compiled kernels) or else processes (for pure Python work on large inputs).
    """
    items = iter(items)
    head = list(itertools.islice(items, 2))
    items = itertools.chain(head, items)
    if jobs <= 1 or len(head) < 2:  # a single item (one short document): no pool to start
        yield from map(function, items)
        return
    executor: Executor
    if threads:
        executor, call = ThreadPoolExecutor(jobs), function
    else:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                                       initializer=_install, initargs=(function,))
        call = _call_installed
    with executor:
        pending: deque = deque()
        for item in items:
            pending.append(executor.submit(call, item))
            if len(pending) >= ahead * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
