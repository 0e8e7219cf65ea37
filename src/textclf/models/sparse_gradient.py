"""A gradient that is zero outside a few rows, and the product XᵀD that makes it.

The gradient of Xθ over a mini-batch is XᵀD (D = ∂L/∂Z), and row j of XᵀD is zero unless
feature j occurs in one of the batch's documents. Keeping only those rows is what makes an
epoch cost O(nnz) instead of O(|F|) per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


class RowSparse:
    """A gradient that is zero outside a few rows: G[rows] = values, G = 0 elsewhere.

    The gradient of Xθ over a mini-batch is XᵀD, and row j of XᵀD is zero unless feature j
    occurs in one of the batch's documents. A batch of 32 reviews touches a few thousand of
    several hundred thousand rows, so the optimiser updates only those (an embedding bag's
    gradient). ``np.asarray(g)`` gives the dense array when one is needed.
    """

    __slots__ = ("rows", "values", "shape")

    def __init__(self, rows: np.ndarray, values: np.ndarray, shape: tuple[int, ...]):
        self.rows = np.asarray(rows, dtype=np.int64)
        self.values = np.asarray(values, dtype=np.float64)
        self.shape = tuple(shape)
        if self.values.shape != (len(self.rows), *self.shape[1:]):
            raise ValueError(f"values {self.values.shape} do not fit rows {len(self.rows)} "
                             f"of a {self.shape} gradient")

    def to_dense(self) -> np.ndarray:
        dense = np.zeros(self.shape)
        np.add.at(dense, self.rows, self.values)
        return dense

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        dense = self.to_dense()
        return dense if dtype is None else dense.astype(dtype)

    def __mul__(self, factor: float) -> RowSparse:
        return RowSparse(self.rows, self.values * factor, self.shape)

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> RowSparse:
        return RowSparse(self.rows, self.values / divisor, self.shape)

    def __add__(self, other: Any) -> RowSparse | np.ndarray:
        """Sums of gradients (e.g. over shards) stay row-sparse; with a dense one, dense."""
        if isinstance(other, RowSparse):
            rows, inverse = np.unique(np.concatenate([self.rows, other.rows]),
                                      return_inverse=True)
            values = np.zeros((len(rows), *self.shape[1:]))
            np.add.at(values, inverse, np.concatenate([self.values, other.values]))
            return RowSparse(rows, values, self.shape)
        return self.to_dense() + np.asarray(other)

    __radd__ = __add__


def transpose_product(X: sp.csr_matrix, D: np.ndarray) -> RowSparse:
    """XᵀD kept row-sparse: only the rows of the features that occur in X.

    The columns present are renumbered 0..r−1, so the product is an r × K matrix instead of
    a |F| × K one; the result never holds the |F| × K zeros.
    """
    rows, local = np.unique(X.indices, return_inverse=True)
    X_local = sp.csr_matrix((X.data, local.ravel(), X.indptr), shape=(X.shape[0], len(rows)))
    values = np.asarray(X_local.T @ D)
    return RowSparse(rows, values.reshape(len(rows), *D.shape[1:]), (X.shape[1], *D.shape[1:]))
