"""Where the loop's rows come from, epoch after epoch: memory, or a stream read from disk.

A source gives, for each epoch, blocks ``(X, y, order)``: a CSR matrix of rows, their class
indices, and the order to step through them (a permutation drawn from the loop's seeded
generator, or None for the rows' own order).

* :class:`InMemoryRows`: all of X at once, shuffled as a whole every epoch;
* :class:`StreamedRows`: chunks read anew every epoch (a corpus larger than memory),
  shuffled within each chunk. With chunks of whole mini-batches, the batches are those of
  :class:`InMemoryRows` over the same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np
import scipy.sparse as sp

Block = tuple[sp.csr_matrix, np.ndarray, np.ndarray | None]


class RowSource(Protocol):
    n_rows: int  # rows per epoch (the learning-rate schedule counts the steps from it)

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        """One epoch's blocks; ``rng`` None: no shuffling."""
        ...


class InMemoryRows:
    """The rows of X (and targets y) held in memory."""

    def __init__(self, X: sp.csr_matrix, y: np.ndarray):
        self.X, self.y = X, y
        self.n_rows = X.shape[0]

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        yield self.X, self.y, (rng.permutation(self.n_rows) if rng is not None else None)


class StreamedRows:
    """Chunks of rows from ``open_chunks()``, called once per epoch (e.g. reading a file
    and featurising it chunk by chunk); ``n_rows`` is their total, known beforehand."""

    def __init__(self, open_chunks: Callable[[], Iterable[tuple[sp.csr_matrix, np.ndarray]]],
                 n_rows: int):
        self.open_chunks, self.n_rows = open_chunks, n_rows

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        for X, y in self.open_chunks():
            yield X, y, (rng.permutation(len(y)) if rng is not None else None)
