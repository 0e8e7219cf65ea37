"""Compiled filling of [X | 1] from a chunk's counts (numba; see :mod:`textclf.core.jit`).

:func:`textclf.features.weighting.weight_counts` makes a chunk's rows of X from its counts in
a dozen numpy passes: move the entries to their vocabulary columns (dropping the rest), sort each
row's columns, look up the values, multiply by idf, scale each row to unit length, append
the bias column, then copy the rows into X. :func:`fill_rows` does the same in four passes
over the chunk's entries and writes straight into X's arrays, so the chunks can be filled
on several threads at once. For row i and kept entry (j, count):

    x_ij = value[count]                         (count, 1, or 1 + ln count, in X's dtype)
    x_ij ← x_ij · idf_j,   then x_ij ← x_ij / ‖x_i‖₂    (tf-idf only; ‖·‖ summed in float64)
    x_i,|F| = 1                                  (the bias column)

with the columns of each row in increasing order: a counting sort by column (the
transposition CSR → CSC → CSR that :func:`textclf.core.sparse.reorder_rows` does with scipy;
over the ranks of the chunk's columns where X's columns are many for it, as 2^b hashed ones
are).
The arithmetic and its order are the numpy path's, so the two give the same matrix bit for
bit (tests/test_fast_features.py).
"""

from __future__ import annotations

import math

import numpy as np

from textclf.core import jit


@jit.kernel(*jit.floats("(int64[::1], int32[::1], int32[::1], int32[::1], int32[::1], int64, "
                        "F[::1], F[::1], boolean, int64[::1], int32[::1], F[::1], int64, int64)"),
            stage=2)
def fill_rows(indptr, indices, counts, column_of, rank_column, n_columns, value, idf, tfidf,
              out_indptr, out_indices, out_data, row0, at0):
    """Rows ``row0 ..`` of [X | 1] from a chunk's counts, written from entry ``at0`` on.

    (indptr, indices, counts): the chunk's count matrix over its own columns, each count
    given as its index into ``value`` (the count itself unless it is huge: see
    :func:`textclf.features.weighting.count_values`);
    ``column_of[j]``: column j's vocabulary column, −1 to drop it (empty: the counts'
    columns are X's already); ``rank_column`` (empty, or where X's columns are many for
    the chunk, as 2^b hashed ones are): the counts' columns are ranks among the chunk's
    columns, rank r X's column ``rank_column[r]`` (increasing); ``n_columns`` = |F| (the
    bias column's index); ``value``: X's value of each count (X's dtype); ``idf`` in X's
    dtype; ``tfidf``: multiply by idf and scale rows to unit length. Writes
    ``out_indptr[row0 + 1 : row0 + n + 1]`` and the rows' entries; returns the entry after
    the last one written.
    """
    n = len(indptr) - 1
    if n == 0:
        return at0
    mapped, ranked = len(column_of) > 0, len(rank_column) > 0
    n_sort = len(rank_column) if ranked else n_columns  # the counting sort's buckets
    # 1. kept entries per bucket and per row
    column_start = np.empty(n_sort + 1, np.int64)
    column_start[:] = 0
    row_end = np.empty(n, np.int64)
    at = at0
    for i in range(n):
        kept = 0
        for p in range(indptr[i], indptr[i + 1]):
            j = column_of[indices[p]] if mapped else indices[p]
            if j >= 0:
                column_start[j + 1] += 1
                kept += 1
        at += kept + 1  # + the bias
        row_end[i] = at
        out_indptr[row0 + i + 1] = at
    for j in range(n_sort):
        column_start[j + 1] += column_start[j]
    # 2. the entries by bucket, each bucket's rows in increasing order (CSR → CSC)
    by_column_row = np.empty(column_start[n_sort], np.int64)
    by_column_count = np.empty(column_start[n_sort], counts.dtype)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            j = column_of[indices[p]] if mapped else indices[p]
            if j >= 0:
                q = column_start[j]
                by_column_row[q] = i
                by_column_count[q] = counts[p]
                column_start[j] = q + 1
    # column_start[j] now ends bucket j: bucket j is [column_start[j-1], column_start[j])
    # 3. back to rows, each row's columns in increasing order (CSC → CSR), with values
    cursor = np.empty(n, np.int64)
    cursor[0] = at0
    for i in range(1, n):
        cursor[i] = row_end[i - 1]
    first = 0
    for b in range(n_sort):
        j = rank_column[b] if ranked else b
        for q in range(first, column_start[b]):
            i = by_column_row[q]
            out_indices[cursor[i]] = j
            x = value[by_column_count[q]]
            if tfidf:
                x = x * idf[j]
            out_data[cursor[i]] = x
            cursor[i] += 1
        first = column_start[b]
    # 4. unit length (tf-idf), then the bias column
    norm_x = np.empty(1, out_data.dtype)  # the norm in X's dtype, as numpy divides by it
    start = at0
    for i in range(n):
        stop = row_end[i] - 1  # the bias's entry
        if tfidf:
            squares = 0.0
            for q in range(start, stop):
                squares += np.float64(out_data[q]) * np.float64(out_data[q])
            norm = math.sqrt(squares)
            if norm == 0.0:
                norm = 1.0
            norm_x[0] = norm
            for q in range(start, stop):
                out_data[q] = out_data[q] / norm_x[0]
        out_indices[stop] = n_columns
        out_data[stop] = 1.0
        start = stop + 1
    return at


@jit.kernel("(int64[::1], int32[::1], int64[::1], float64[::1], int64, int64)", stage=3)
def present_totals(indptr, indices, y, weights, n_columns, n_classes):
    """S (n_columns × n_classes, float64): S[j, c] = Σ_{i: yᵢ = c} sᵢ over the rows i where
    column j < ``n_columns`` has an entry (sᵢ = ``weights[i]``, or 1 where ``weights`` is
    empty): the naive Bayes totals of :func:`textclf.features.weighting.present_totals`,
    summed in the same order (row by row), so the two agree exactly."""
    S = np.empty((n_columns, n_classes), np.float64)
    S[:] = 0
    weighted = weights.shape[0] > 0
    for i in range(len(indptr) - 1):
        s = weights[i] if weighted else 1.0
        c = y[i]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j < n_columns:
                S[j, c] += s
    return S


@jit.kernel(*jit.floats("(int64[::1], int32[::1], F[::1], F[::1], int64, int64, int64)"), stage=3)
def scale_rows(indptr, indices, data, scale, bias, first, stop):
    """Rows ``first .. stop − 1`` of [X | 1] in place: x ← s ⊙ x, then the terms (not the
    bias column ``bias``) scaled to unit length, the bias left at 1; ‖·‖ summed in float64,
    the division in X's dtype, as :meth:`textclf.features.weighting.NaiveBayesScale.apply`
    does it."""
    norm_x = np.empty(1, data.dtype)  # the norm in X's dtype, as numpy divides by it
    for i in range(first, stop):
        squares = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j != bias:
                data[p] = data[p] * scale[j]
                squares += np.float64(data[p]) * np.float64(data[p])
        norm = math.sqrt(squares)
        norm_x[0] = norm if norm != 0.0 else 1.0
        for p in range(indptr[i], indptr[i + 1]):
            data[p] = data[p] / norm_x[0] if indices[p] != bias else 1.0
