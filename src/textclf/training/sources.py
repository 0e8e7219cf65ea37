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
  :class:`InMemoryRows` over the same rows in the same order;
* :class:`ShardedRows`: several matrices (a cluster worker's shards) taken as one,
  shuffled as a whole: the batches of :class:`InMemoryRows` over the stacked rows,
  without stacking them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

from textclf.core.sparse import stack_rows


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


class ShardedRows:
    """The rows of several matrices ``shards`` = [(X, y), ...], one under the other.

    Each epoch draws one permutation of all N rows, as :class:`InMemoryRows` draws it over
    the stacked matrix, and yields them ``block_rows`` at a time in that order, each block
    gathered from the shards it draws on. With ``block_rows`` a multiple of the batch size
    m, the mini-batches and so the steps are exactly those of :class:`InMemoryRows` over
    the stacked rows; the memory is the shards and one block, not a second copy of X.
    """

    def __init__(self, shards: Sequence[tuple[sp.csr_matrix, np.ndarray]], block_rows: int):
        self.shards = [X for X, _ in shards]
        self.y = np.concatenate([y for _, y in shards]) if shards else np.zeros(0, np.int64)
        self.starts = np.cumsum([0, *(X.shape[0] for X in self.shards)])
        self.n_rows = int(self.starts[-1])
        self.block_rows = block_rows
        self.n_columns = self.shards[0].shape[1] if shards else 0
        self.dtype = self.shards[0].dtype if shards else np.float64

    def rows(self, wanted: np.ndarray) -> sp.csr_matrix:
        """The rows ``wanted`` (indices into the stacked rows), in that order."""
        shard = np.searchsorted(self.starts, wanted, side="right") - 1
        by_shard = np.argsort(shard, kind="stable")
        parts = [self.shards[s][wanted[by_shard][shard[by_shard] == s] - self.starts[s]]
                 for s in np.unique(shard)]
        stacked = stack_rows(parts, self.n_columns, self.dtype)
        back = np.empty(len(wanted), np.int64)
        back[by_shard] = np.arange(len(wanted))  # where each wanted row is in `stacked`
        return stacked[back]

    def blocks(self, rng: np.random.Generator | None) -> Iterator[Block]:
        order = rng.permutation(self.n_rows) if rng is not None else np.arange(self.n_rows)
        for start in range(0, self.n_rows, self.block_rows):
            wanted = order[start : start + self.block_rows]
            yield Block(self.rows(wanted), self.y[wanted], None, None)
