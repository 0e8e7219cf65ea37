"""Where the loop's rows come from, epoch after epoch: memory, or a stream read from disk.

A source gives, for each epoch, :class:`Block` s: a CSR matrix of rows, their targets (class
indices, or a 0/1 row per document for multi-label data), their sample weights (None: every
row weighs 1) and the order to step through them (a permutation drawn from the loop's
seeded generator, or None for the rows' own order). The weights travel with their rows:
every step strategy multiplies each row's loss and gradient term by its weight
(:mod:`textclf.training.weights`).

* :class:`InMemoryRows`: all of X at once, shuffled as a whole every epoch;
* :class:`StreamedRows`: chunks read anew every epoch (a corpus larger than memory),
  shuffled within each chunk. With chunks of whole mini-batches, the batches are those of
  :class:`InMemoryRows` over the same rows in the same order.

(A source written before weights, whose blocks are ``(X, y, order)``, is read as rows of
weight 1.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp


class Block(NamedTuple):
    X: sp.csr_matrix
    y: np.ndarray
    weights: np.ndarray | None  # sᵢ per row, None: all 1
    order: np.ndarray | None  # the order to step through the rows, None: their own


class RowSource(Protocol):
    n_rows: int  # rows per epoch (the learning-rate schedule counts the steps from it)

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        """One epoch's blocks; ``rng`` None: no shuffling."""
        ...


class InMemoryRows:
    """The rows of X, their targets y and (optionally) their weights, held in memory."""

    def __init__(self, X: sp.csr_matrix, y: np.ndarray, weights: np.ndarray | None = None):
        if weights is not None and len(weights) != X.shape[0]:
            raise ValueError(f"{X.shape[0]} rows but {len(weights)} weights")
        self.X, self.y, self.weights = X, y, weights
        self.n_rows = X.shape[0]

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        order = rng.permutation(self.n_rows) if rng is not None else None
        yield Block(self.X, self.y, self.weights, order)


class StreamedRows:
    """Chunks of rows from ``open_chunks()``, called once per epoch (e.g. reading a file
    and featurising it chunk by chunk): ``(X, y)`` or ``(X, y, weights)`` each; ``n_rows``
    is their total, known beforehand."""

    def __init__(self, open_chunks: Callable[[], Iterable[tuple]], n_rows: int):
        self.open_chunks, self.n_rows = open_chunks, n_rows

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        for X, y, *weights in self.open_chunks():
            order = rng.permutation(len(y)) if rng is not None else None
            yield Block(X, y, weights[0] if weights else None, order)
