"""What every task on a worker does first."""

from __future__ import annotations

from textclf.core.memory import large_blocks_mapped

HEAP_BLOCKS = 32 << 20  # blocks under this many bytes come from the heap


def roomy_heap() -> None:
    """Blocks under 32 MiB from the heap, as in one process after it has featurised
    (:mod:`textclf.core.memory`). Dask's nanny starts its workers with
    ``MALLOC_TRIM_THRESHOLD_`` set, which fixes glibc's mapping threshold at 128 KiB: every
    larger temporary array is then mapped anew and its zeroed pages faulted in one by one
    (hashing a shard took up to 3 times as long)."""
    with large_blocks_mapped(HEAP_BLOCKS, HEAP_BLOCKS):
        pass
