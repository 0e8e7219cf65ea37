"""CSR matrix helpers: the bias column, row scaling, stacking, counting, reordering.

Every matrix of features in textclf is CSR with int32 column indices; the last column is the
dummy feature 1 that multiplies the bias b (the lecture's x_{|F|} = 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


def add_bias_column(X: sp.csr_matrix) -> sp.csr_matrix:
    """Append the dummy feature 1 as a last column: [X | 1]."""
    n_rows, n_cols = X.shape
    X = X.tocsr()
    X.sum_duplicates()
    new_indptr = X.indptr + np.arange(n_rows + 1)
    bias_at = new_indptr[1:] - 1
    keep = np.ones(X.nnz + n_rows, dtype=bool)
    keep[bias_at] = False
    indices = np.empty(X.nnz + n_rows, dtype=np.int32)
    data = np.empty(X.nnz + n_rows, dtype=X.dtype)
    indices[keep], data[keep] = X.indices, X.data
    indices[bias_at], data[bias_at] = n_cols, 1.0
    return sp.csr_matrix((data, indices, new_indptr), shape=(n_rows, n_cols + 1))


def normalize_rows(X: sp.csr_matrix) -> None:
    """Scale every row x of X to unit length, x / ‖x‖₂, in place (empty rows stay empty).

    The norms are summed in float64 whatever X's dtype.
    """
    row_nnz = np.diff(X.indptr)
    row_of = np.repeat(np.arange(X.shape[0]), row_nnz)
    norms = np.sqrt(np.bincount(row_of, weights=np.square(X.data, dtype=np.float64),
                                minlength=X.shape[0]))
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, row_nnz).astype(X.dtype)


def stack_rows(parts: Sequence[sp.csr_matrix], n_columns: int, dtype=np.float64) -> sp.csr_matrix:
    """The rows of several CSR matrices one under the other (``sp.vstack`` for CSR)."""
    if len(parts) == 1:
        return parts[0]
    filler = RowFiller(sum(p.nnz for p in parts), sum(p.shape[0] for p in parts), n_columns,
                       dtype)
    for part in parts:
        filler.append(part)
    return filler.matrix(sorted_indices=all(p.has_sorted_indices for p in parts))


class RowFiller:
    """A CSR matrix of known size filled part by part (no second copy of the parts)."""

    def __init__(self, nnz: int, n_rows: int, n_columns: int, dtype):
        self.indptr = np.zeros(n_rows + 1, np.int64)
        self.indices = np.empty(nnz, np.int32)
        self.data = np.empty(nnz, dtype)
        self.row = self.at = 0
        self.n_columns = n_columns

    def append(self, part: sp.csr_matrix) -> None:
        rows, nnz = part.shape[0], part.nnz
        self.indptr[self.row + 1 : self.row + rows + 1] = part.indptr[1:] + self.at
        self.indices[self.at : self.at + nnz] = part.indices
        self.data[self.at : self.at + nnz] = part.data
        self.row, self.at = self.row + rows, self.at + nnz

    def matrix(self, sorted_indices: bool = True) -> sp.csr_matrix:
        X = sp.csr_matrix((self.data[: self.at], self.indices[: self.at],
                           self.indptr[: self.row + 1]), shape=(self.row, self.n_columns))
        X.has_sorted_indices = sorted_indices
        return X


def select_columns(X: sp.csr_matrix, new_column: np.ndarray, n_columns: int) -> sp.csr_matrix:
    """X's entries moved to ``new_column[old]``; entries mapped to −1 are dropped."""
    columns = new_column.astype(np.int32)[X.indices]
    keep = columns >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    indptr = kept_before[X.indptr]  # kept entries before each row's start
    out = sp.csr_matrix((X.data[keep], columns[keep], indptr), shape=(X.shape[0], n_columns))
    out.has_sorted_indices = False
    return out


def count_matrix(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR matrix of how often each (row, column) pair occurs, int32, indices sorted.

    Needs ``rows`` non-decreasing within each column (true when the pairs come level by
    level in text order). Two counting sorts (:func:`count_by_columns`) cost O(nnz + |F|);
    for a few documents against a large vocabulary (one served request) sorting the pairs
    themselves (:func:`count_pairs`), O(nnz log nnz), is far cheaper. Both give the same
    matrix.
    """
    if len(rows) * np.log2(len(rows) + 2) < shape[1]:
        return count_pairs(rows, columns, shape)
    return count_by_columns(rows, columns, shape)


def count_by_columns(rows: np.ndarray, columns: np.ndarray,
                     shape: tuple[int, int]) -> sp.csr_matrix:
    """:func:`count_matrix` by two counting sorts, O(nnz + |F|): to CSC (stable: each
    column's rows stay in order, repeats side by side, summed), and back to CSR, which leaves
    every row's columns in increasing order."""
    X = sp.csc_matrix(
        (np.ones(len(rows), np.int32), (rows.astype(np.int32), columns.astype(np.int32))),
        shape=shape,
    )
    X.has_sorted_indices = True  # rows ascending within each column, as required
    X.sum_duplicates()
    X = X.tocsr()  # a counting sort by row: columns ascending within each row
    X.has_sorted_indices = True
    return X


def count_pairs(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """:func:`count_matrix` by sorting the (row, column) pairs: O(nnz log nnz), any order."""
    n_rows, n_columns = shape
    keys, counts = np.unique(rows.astype(np.int64) * n_columns + columns, return_counts=True)
    row_of = keys // n_columns
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(row_of, minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix((counts.astype(np.int32), (keys % n_columns).astype(np.int32), indptr),
                      shape=shape)
    X.has_sorted_indices = True
    return X


def reorder_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with the column indices of each row in increasing order.

    Transposing by counting sort (CSR → CSC → CSR) is O(nnz + shape) where
    ``sort_indices`` sorts every row; both give the same matrix.
    """
    if X.nnz == 0:
        return X
    X = X.tocsc().tocsr()
    X.has_sorted_indices = True
    return X


def ranks_within(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., l−1 for each l in ``lengths``, concatenated (positions inside runs)."""
    total = int(lengths.sum())
    return np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
