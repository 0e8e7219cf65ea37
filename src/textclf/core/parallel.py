"""The ordered worker pool: ``map`` on several threads or processes, results in order.

Featurising a corpus and reading a stream both hand chunks to workers and need the results
back in the order of the chunks, with only a few chunks in flight so that a stream is never
read into memory as a whole. :func:`ordered_map` does that for both.

The function goes to the workers with its own state (a bound method, a ``functools.partial``):
no module-level state is set in the calling process, so any number of threads may call
:func:`ordered_map` at once. Worker processes receive the function once, when they start
(inherited through fork where the system has it, else pickled).

What goes to the workers is cut here too: texts into chunks of bounded size
(:func:`text_chunks`), items into lists (:func:`batches`), to bound memory.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

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

# chunking -----------------------------------------------------------------------------
CHUNK_CHARACTERS = 2_000_000  # characters of text per chunk: bounds the temporary memory


def batches(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def text_chunks(texts: Iterable[str], characters: int | None = None) -> Iterator[list[str]]:
    """Consecutive lists of texts holding about ``characters`` characters each
    (default :data:`CHUNK_CHARACTERS`)."""
    characters = characters or CHUNK_CHARACTERS
    if isinstance(texts, list | tuple):
        try:
            ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)
        except TypeError:  # not all strings: the tokenizer names the bad document
            ends = np.arange(1, len(texts) + 1)
        start = 0
        while start < len(texts):
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + characters, side="left")) + 1
            yield list(texts[start:stop])
            start = stop
        return
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text) + 1 if isinstance(text, str) else 1
        if size >= characters:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
