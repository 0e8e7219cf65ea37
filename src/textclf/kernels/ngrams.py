"""Compiled kernels for :mod:`textclf.features.counting`: n-gram ids and counts, without sorting.

The numpy path numbers the k-grams of a chunk with ``np.unique`` on their codes
``p · V + t`` (p: id of the first k−1 tokens, t: the last token) and counts them with two
sparse conversions. :func:`count_ngrams` makes the same table of k-grams and the same
counts with a hash table from code to id (:func:`number_codes`, which also serves
:func:`textclf.features.counting.merge_chunks`):

* level k: the k-gram starting at position i has code ``prev[i] · V + tok[i+k−1]`` when
  both parts are known and it lies in one document; ids are given in the order of first
  occurrence (a permutation of ``np.unique``'s, which
  :func:`~textclf.features.counting.count_chunk` puts back in code order);
* row d of the count matrix: the columns of document d's tokens and n-grams (token t is
  column t; level k's id j is column offset_k + j), each with its count, in the order of
  first occurrence in the document (the indices of a row are not sorted).
"""

from __future__ import annotations

import numpy as np

from textclf.core import jit
from textclf.core.hashing import GOLDEN_GAMMA  # Fibonacci hashing of the codes


@jit.kernel("(int64[::1], int64[::1], int64, int64, int64)", stage=1)
def count_ngrams(tok: np.ndarray, doc: np.ndarray, V: int, ngrams: int, n_docs: int):
    """``(codes, sizes, indptr, indices, counts)`` for the tokens ``tok`` (ids in [0, V),
    −1 unknown) of documents ``doc`` (non-decreasing, < n_docs).

    The level-k n-gram with id j has code ``codes[o + j]``, o the sizes of the levels
    below it added up (``sizes[k−2]`` n-grams at level k). The count matrix is CSR with
    int64 ``indptr``, int32 ``indices`` (unsorted within a row) and int32 ``counts``.
    """
    n = len(tok)
    n_levels = max(ngrams - 1, 0)
    ids = np.empty((n_levels, n), np.int64)  # ids[k−2, i]: the k-gram starting at i
    ids[:] = -1
    all_codes = np.empty(n * n_levels, np.int64)
    sizes = np.empty(n_levels, np.int64)
    sizes[:] = 0
    total = 0
    prev = tok
    for level in range(n_levels):
        k = level + 2
        # the codes of the k-grams that lie in one document and are made of known tokens
        starts = np.empty(max(n - k + 1, 0), np.int64)
        codes = np.empty(max(n - k + 1, 0), np.int64)
        m = 0
        for i in range(n - k + 1):
            t = tok[i + k - 1]
            if prev[i] >= 0 and t >= 0 and doc[i + k - 1] == doc[i]:
                starts[m] = i
                codes[m] = prev[i] * V + t
                m += 1
        level_ids, distinct = number_codes(codes[:m])
        for r in range(m):
            ids[level, starts[r]] = level_ids[r]
        for j in range(len(distinct)):
            all_codes[total + j] = distinct[j]
        total += len(distinct)
        sizes[level] = len(distinct)
        prev = ids[level]
    n_columns = V
    offsets = np.empty(n_levels + 1, np.int64)
    offsets[:] = 0
    offsets[0] = V
    for level in range(n_levels):
        n_columns += sizes[level]
        offsets[level + 1] = n_columns
    columns = np.empty((n_levels + 1, n), np.int32)  # the column of each gram, −1: none
    for i in range(n):
        columns[0, i] = tok[i]
        for level in range(n_levels):
            j = ids[level, i]
            columns[level + 1, i] = -1 if j < 0 else offsets[level] + j
    indptr, indices, counts = document_counts(columns, doc, n_docs, n_columns)
    return all_codes[:total].copy(), sizes, indptr, indices, counts


@jit.kernel("(int64[::1],)", stage=1)
def number_codes(codes: np.ndarray):
    """``(ids, distinct)``: ``distinct`` lists each value of ``codes`` once, in the order of
    first occurrence, and ``codes[i] == distinct[ids[i]]`` (int32 ids).

    An open-addressing table: slot -> id, the id's code in ``distinct`` (4 bytes a slot
    keep the table in cache); Fibonacci hashing of the codes, linear probing, at most half
    full (sized for n/2 distinct codes, about what text has, and doubled beyond). It
    numbers a chunk's n-grams (:func:`count_ngrams`) and, in
    :func:`textclf.features.counting.merge_chunks`, all chunks' n-gram codes in one pass, where
    sorting them and a binary search per code took about twice as long.
    """
    n = len(codes)
    bits = 12
    while (1 << bits) < n:
        bits += 1
    mask = (1 << bits) - 1
    table = np.empty(mask + 1, np.int32)
    table[:] = -1
    distinct = np.empty(n, np.int64)
    ids = np.empty(n, np.int32)
    n_distinct = 0
    for i in range(n):
        code = codes[i]
        slot = np.int64((np.uint64(code) * GOLDEN_GAMMA) >> np.uint64(64 - bits))
        j = table[slot]
        while j >= 0 and distinct[j] != code:
            slot = (slot + 1) & mask
            j = table[slot]
        if j < 0:  # a new code
            j = n_distinct
            table[slot] = j
            distinct[j] = code
            n_distinct += 1
            if 2 * n_distinct > mask:  # more than half full: double the table
                bits += 1
                mask = (1 << bits) - 1
                table = np.empty(mask + 1, np.int32)
                table[:] = -1
                for e in range(n_distinct):
                    s = np.int64((np.uint64(distinct[e]) * GOLDEN_GAMMA) >> np.uint64(64 - bits))
                    while table[s] >= 0:
                        s = (s + 1) & mask
                    table[s] = e
        ids[i] = j
    return ids, distinct[:n_distinct].copy()


@jit.kernel("(int64[::1], int64[::1], int64, int64, int64[::1], int64[::1], int64[::1], "
            "int64[::1], int64[::1], int32[::1], int64[::1], int64)", stage=4)
def term_counts(tok, doc, n_docs, n_terms, unigram_column, keys, values, bits, starts,
                level_column, column_starts, V):
    """``(indptr, indices, counts)``: each document's counts of the vocabulary's terms, the
    compiled form of :meth:`textclf.features.terms.GramIndex.columns_of` and the counting
    after it (CSR, int64 ``indptr``, int32 ``indices`` in order of first occurrence in the
    document, int32 ``counts``).

    ``tok``: token ids in the vocabulary's token numbering (−1 unknown), ``doc`` their
    documents (non-decreasing, < n_docs); columns are < ``n_terms``. A token t is column
    ``unigram_column[t]`` (−1: no term).
    Level k ≥ 2 (table ``L = k − 2``) numbers the k-token prefixes of the terms: an
    open-addressing table of 2^bits[L] slots, ``keys[starts[L]:]`` and ``values[starts[L]:]``
    (−1 empty), the code ``p · V + t`` of (prefix id p, last token t) sought from its
    Fibonacci slot on; the prefix with id q is column ``level_column[column_starts[L] + q]``
    (−1: a prefix that is not itself a term).
    """
    n = len(tok)
    n_levels = len(bits)
    prev = tok.copy()  # ids of the (k−1)-grams starting at each position
    ids = np.empty(n, np.int64)
    columns = np.empty((n_levels + 1, n), np.int32)
    columns[:] = -1
    for i in range(n):
        if tok[i] >= 0:
            columns[0, i] = unigram_column[tok[i]]
    for level in range(n_levels):
        k = level + 2
        shift = np.uint64(64 - bits[level])
        mask = (1 << bits[level]) - 1
        base = starts[level]
        for i in range(n):
            ids[i] = -1
            if i + k - 1 < n and prev[i] >= 0 and tok[i + k - 1] >= 0 \
                    and doc[i + k - 1] == doc[i]:
                code = prev[i] * V + tok[i + k - 1]
                slot = np.int64((np.uint64(code) * GOLDEN_GAMMA) >> shift)
                while keys[base + slot] != -1 and keys[base + slot] != code:
                    slot = (slot + 1) & mask
                if keys[base + slot] == code:
                    ids[i] = values[base + slot]
                    columns[level + 1, i] = level_column[column_starts[level] + ids[i]]
        prev, ids = ids, prev
    return document_counts(columns, doc, n_docs, n_terms)


@jit.kernel("(int32[:, ::1], int64[::1], int64, int64)", ahead=False)
def document_counts(columns, doc, n_docs, n_columns):
    """``(indptr, indices, counts)``: each document's count of each column (< n_columns)
    in ``columns[level, i]`` (the gram of each level starting at position i; −1: none), the
    positions' documents ``doc`` non-decreasing (CSR: int64 ``indptr``, int32 ``indices`` in
    order of first occurrence in the document, int32 ``counts``).

    One pass, no sort: while ``state[column, 0] == d``, the column's count in document d
    sits at entry ``state[column, 1]`` (the pair side by side: one cache line a look-up).
    """
    n_levels, n = columns.shape
    state = np.empty((n_columns, 2), np.int32)
    state[:] = -1
    indptr = np.empty(n_docs + 1, np.int64)
    indptr[:] = 0
    indices = np.empty(n * n_levels, np.int32)
    counts = np.empty(n * n_levels, np.int32)
    counts[:] = 0
    nnz = 0
    last_doc = 0
    for i in range(n):
        d = doc[i]
        while last_doc < d:  # rows up to d−1 are complete
            last_doc += 1
            indptr[last_doc] = nnz
        for level in range(n_levels):
            column = columns[level, i]
            if column < 0:
                continue
            if state[column, 0] != d:
                state[column, 0] = d
                state[column, 1] = nnz
                indices[nnz] = column
                nnz += 1
            counts[state[column, 1]] += 1
    while last_doc < n_docs:
        last_doc += 1
        indptr[last_doc] = nnz
    return indptr, indices[:nnz].copy(), counts[:nnz].copy()


@jit.kernel("(int64[::1], int64[::1], int64)", stage=4)
def int_table(keys, values, bits):
    """``(slots_keys, slots_values)``: the open-addressing table of
    :class:`textclf.features.terms.IntTable` (2^bits slots, −1 empty; Fibonacci hashing,
    linear probing), filled by inserting the distinct ``keys`` one after another."""
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    table_keys = np.empty(mask + 1, np.int64)
    table_keys[:] = -1
    table_values = np.empty(mask + 1, np.int64)
    table_values[:] = -1
    for i in range(len(keys)):
        slot = np.int64((np.uint64(keys[i]) * GOLDEN_GAMMA) >> shift)
        while table_keys[slot] != -1:
            slot = (slot + 1) & mask
        table_keys[slot] = keys[i]
        table_values[slot] = values[i]
    return table_keys, table_values
