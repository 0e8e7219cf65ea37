"""Adding up the shards' results on the cluster: a tree reduction, and what it costs.

Partial results (gradient sums, corpus summaries, averaged parameters) are combined in
adjacent pairs, level by level: ((r₀ + r₁) + (r₂ + r₃)) + ..., by tasks on the workers,
so the client receives one result instead of one per shard, and the adds run in
parallel. The pairing depends only on the order of the shards, never on which worker
holds what, so the arithmetic (and so the result, to the last bit) is the same on any
number of workers. Neighbouring shards mostly live on the same worker (they are given
out in contiguous runs), so most adds move no data.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any


def tree_reduce(client: Any, futures: Sequence[Any],
                combine: Callable[[Any, Any], Any] = operator.add) -> Any:
    """One future holding ``combine`` over all ``futures``, in their order."""
    level = list(futures)
    if not level:
        raise ValueError("nothing to reduce")
    while len(level) > 1:
        pairs = [level[i : i + 2] for i in range(0, len(level), 2)]
        level = [client.submit(combine, *pair, pure=False) if len(pair) == 2 else pair[0]
                 for pair in pairs]
    return level[0]


@dataclass
class Traffic:
    """Bytes sent per epoch or iteration: θ from the client to the workers, and what the
    workers sent (θ passed on to the others, partial results up the reduction, the total
    to the client), by the workers' own counters."""

    to_workers: int = 0
    from_workers: int = 0

    def record(self) -> dict[str, int]:
        return {"bytes_to_workers": self.to_workers, "bytes_from_workers": self.from_workers}


def worker_transfer_bytes(client: Any) -> int:
    """Bytes the workers have sent so far, to each other and to the client (their own
    counters, of the sizes ``sys.getsizeof`` gives)."""
    counts = client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
    return int(sum(counts.values()))


# What Dask raises while it recovers from a lost worker: a connection to it closed (an
# OSError), or results it held cancelled. Work that depends only on its inputs can start
# again; the scheduler computes lost shards again from their files.
RECOVERABLE = (OSError, CancelledError)
RETRY_PAUSE = 0.5  # seconds between tries


def retried(client: Any, action: Callable[[], Any], timeout: float) -> Any:
    """``action()``, started again while a lost worker is being replaced, for at most
    ``timeout`` seconds; a lost scheduler (the client no longer running) is not waited
    for."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except RECOVERABLE:
            comm = client.scheduler_comm
            if client.status != "running" or comm is None or comm.comm is None \
                    or comm.comm.closed() or time.monotonic() > deadline:
                raise  # the scheduler is gone, or no worker came back in time
            time.sleep(RETRY_PAUSE)
