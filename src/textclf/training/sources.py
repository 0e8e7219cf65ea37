"""Where the loop's rows come from, epoch after epoch: memory, or a stream read from disk.

A source gives, for each epoch, :class:`Block` s: a CSR matrix of rows, their targets (class
indices, or a 0/1 row per document for multi-label data), their sample weights (None: every
row weighs 1) and the order to step through them (a permutation drawn from the loop's
seeded generator, or None for the rows' own order). The weights travel with their rows:
every step strategy multiplies each row's loss and gradient term by its weight
(below).

* :class:`InMemoryRows`: all of X at once, shuffled as a whole every epoch;
* :class:`StreamedRows`: chunks read anew every epoch (a corpus larger than memory),
  shuffled within each chunk. With chunks of whole mini-batches, the batches are those of
  :class:`InMemoryRows` over the same rows in the same order;
* :class:`ShardedRows`: several matrices (a cluster worker's shards) taken as one,
  shuffled as a whole: the batches of :class:`InMemoryRows` over the stacked rows,
  without stacking them.

Each row's weight sᵢ ≥ 0 is also made here (:func:`document_weights`): training
minimises the weighted mean loss J(θ) = Σᵢ sᵢ L⁽ⁱ⁾(θ) / Σᵢ sᵢ, so a document of weight 2
counts exactly as the same document twice; sᵢ = c_{yᵢ} · wᵢ, its class's weight times its
own (a weight field, or scikit-learn's ``sample_weight``), with balanced c_k = n / (K · n_k)
(scikit-learn's definition: every class then carries the same total weight n/K).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

from textclf.core.sparse import stack_rows
from textclf.errors import SettingsError
from textclf.training.settings import BALANCED


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

# weights ------------------------------------------------------------------------------
def class_weights(spec: str | Mapping[str, float], labels: Sequence[str],
                  counts: np.ndarray) -> np.ndarray:
    """c_k for each class k of ``labels`` (in their order), ``counts`` holding n_k (the
    documents of each class): balanced n/(K·n_k), or the weights named in ``spec`` (1 for a
    class not named)."""
    K = len(labels)
    if spec == BALANCED:
        counts = np.asarray(counts, dtype=np.float64)
        if not counts.all():
            missing = ", ".join(labels[k] for k in np.flatnonzero(counts == 0))
            raise SettingsError(f"class_weight 'balanced' needs documents of every class; "
                                f"none of: {missing}")
        return counts.sum() / (K * counts)
    unknown = sorted(set(spec) - set(map(str, labels)))
    if unknown:
        raise SettingsError(f"class_weight names label(s) {', '.join(map(repr, unknown))} that "
                            f"the data does not have (labels: {', '.join(map(str, labels))})")
    return np.array([spec.get(str(label), 1.0) for label in labels])


def checked_sample_weights(sample_weight: Any, n: int,
                           name: str = "sample_weight") -> np.ndarray | None:
    """Validated weights: shape (n,), finite, ≥ 0, not all zero (None stays None)."""
    if sample_weight is None:
        return None
    try:
        weights = np.array(sample_weight, dtype=np.float64)  # a copy: the caller's stays
    except (TypeError, ValueError) as err:
        raise SettingsError(f"{name} must be numbers ({err})") from err
    if weights.shape != (n,):
        raise SettingsError(f"{name} has shape {weights.shape}, expected ({n},): one weight "
                            "per sample")
    if not np.isfinite(weights).all():
        raise SettingsError(f"{name} must be finite (no NaN or infinity)")
    if (weights < 0).any():
        raise SettingsError(f"{name} must be non-negative")
    if not weights.any():
        raise SettingsError(f"{name} is zero for every sample; at least one weight must be "
                            "positive")
    return weights


def document_weights(targets: np.ndarray, labels: Sequence[str],
                     class_weight: str | Mapping[str, float] | None,
                     sample_weight: np.ndarray | None) -> np.ndarray | None:
    """sᵢ = c_{yᵢ}·wᵢ for each row (None when neither weight is given: all 1)."""
    if class_weight is None:
        return sample_weight
    if np.ndim(targets) != 1:
        raise SettingsError("class weights need single-label data (one class per document); "
                            "weigh multi-label documents with sample weights instead")
    counts = np.bincount(targets, minlength=len(labels))
    by_class = class_weights(class_weight, labels, counts)[targets]
    weights = by_class if sample_weight is None else by_class * sample_weight
    if not weights.any():
        raise SettingsError("every document has weight 0 (its class weight times its own)")
    return weights


def mean_one(weights: np.ndarray) -> np.ndarray:
    """sᵢ·n/Σⱼsⱼ: the weights scaled to mean 1 (J and its optimum are unchanged)."""
    return weights * (len(weights) / weights.sum())


def weighted_rows(weights: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(the rows to train on, their weights scaled to mean 1): rows of weight 0 are left
    out. (None, None) without weights: every row, each of weight 1."""
    if weights is None:
        return None, None
    rows = np.flatnonzero(weights > 0)
    return rows, mean_one(weights[rows])
