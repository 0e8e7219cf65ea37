"""Compiled kernels for :mod:`textclf.features.hashing`: n-gram keys, their columns and each
document's counts, in loops over the tokens with hash tables instead of sorts.

The numpy path (:func:`textclf.features.hashing.hash_chunk`) makes every key with array
operations, sorts the (document, column) pairs and counts them with two sparse conversions,
and finds the distinct keys (for the collision count) with ``np.unique``: sorts of the whole
chunk. Here, with the same keys and columns,

    key(t₁) = H(t₁),   key(t₁…t_k) = mix(key(t₁…t_{k−1}) · P + H(t_k)),
    column = mix(key) >> (64 − b)

:func:`word_keys` and :func:`char_keys` make the keys in one pass per level,
:func:`hashed_counts` counts each document's columns in an open-addressing table (the
document's entries in order of first occurrence), :func:`distinct_keys` collects the
chunk's distinct keys in another, :func:`add_collisions` adds those to the corpus's
collision count and :func:`add_document_frequencies` the chunk's columns to its document
frequencies. Nothing holds the GIL, so the chunks of a corpus run on all threads at once.
"""

from __future__ import annotations

import numpy as np

from textclf.core import jit
from textclf.core.hashing import GOLDEN_GAMMA, mix64

mix = jit.kernel("(uint64,)", ahead=False)(mix64)  # SplitMix64's finaliser, compiled (per key)


@jit.kernel("(int64[::1], int64[::1], uint64[::1], int64)", ahead=False)
def word_keys(tok, doc, H, ngrams):
    """``(keys, docs)``: the key of every word n-gram, n = 1..``ngrams``, within one
    document, level by level (the order of :func:`textclf.features.hashing.ngram_keys`),
    from the token hashes ``H[tok]``."""
    n = len(tok)
    keys = np.empty(n * max(ngrams, 1), np.uint64)
    docs = np.empty(n * max(ngrams, 1), np.int64)
    key = np.empty(n, np.uint64)  # level k's keys, made in place from level k − 1's
    for i in range(n):
        key[i] = H[tok[i]]
        keys[i] = key[i]
        docs[i] = doc[i]
    m = n
    for k in range(2, ngrams + 1):
        for i in range(n - k + 1):
            key[i] = mix(key[i] * GOLDEN_GAMMA + H[tok[i + k - 1]])
            if doc[i + k - 1] == doc[i]:
                keys[m] = key[i]
                docs[m] = doc[i]
                m += 1
    return keys[:m].copy(), docs[:m].copy()


@jit.kernel("(int64[::1], int64[::1], uint64[::1], int64, int64)", ahead=False)
def char_keys(tok, doc, H, low, high):
    """``(keys, docs)``: the key of every character n-gram, ``low`` ≤ n ≤ ``high``, of the
    characters ``tok`` (−1 between runs: no n-gram crosses it), level by level (the order
    of :func:`textclf.features.hashing.char_ngram_keys`)."""
    n = len(tok)
    run = np.empty(n, np.int64)  # runs begun so far: an n-gram lies in one run
    breaks = 0
    for i in range(n):
        if tok[i] < 0:
            breaks += 1
        run[i] = breaks
    levels = max(high - low + 1, 0)
    keys = np.empty(n * levels, np.uint64)
    docs = np.empty(n * levels, np.int64)
    key = np.empty(n, np.uint64)
    for i in range(n):
        key[i] = H[max(tok[i], 0)]
    m = 0
    for k in range(1, high + 1):
        for i in range(n - k + 1):
            if k > 1:
                key[i] = mix(key[i] * GOLDEN_GAMMA + H[max(tok[i + k - 1], 0)])
            if k >= low and tok[i] >= 0 and run[i + k - 1] == run[i]:
                keys[m] = key[i]
                docs[m] = doc[i]
                m += 1
    return keys[:m].copy(), docs[:m].copy()


@jit.kernel("(uint64[::1], int64[::1], int64, int64)", ahead=False)
def hashed_counts(keys, docs, bits, n_docs):
    """``(indptr, indices, counts)``: the count of each (document, column) of the keys
    (columns = the top ``bits`` bits of mix(key); CSR, int64 ``indptr``, int32 ``indices``
    in order of first occurrence in the document, int32 ``counts``).

    The keys are put in document order by a counting sort; each document's columns are
    numbered in a table of twice its entries or more (open addressing, linear probing, the
    slot from the top bits of column · P; the slots reused from one document to the next).
    """
    n = len(keys)
    shift = np.uint64(64 - bits)
    # counting sort by document (stable: each document's keys stay in their order)
    indptr = np.empty(n_docs + 1, np.int64)
    indptr[:] = 0
    for p in range(n):
        indptr[docs[p] + 1] += 1
    for d in range(n_docs):
        indptr[d + 1] += indptr[d]
    at = indptr[:-1].copy()
    column = np.empty(n, np.int32)
    for p in range(n):
        d = docs[p]
        column[at[d]] = np.int32(mix(keys[p]) >> shift)
        at[d] += 1
    # each document's distinct columns and their counts
    longest = 0
    for d in range(n_docs):
        longest = max(longest, indptr[d + 1] - indptr[d])
    slots = np.empty(4 * longest + 2, np.int64)  # slot -> entry; emptied per document
    slots[:] = -1
    # (a document's table: the least power of 2 ≥ twice its entries, < 4 × longest + 2)
    indices = np.empty(n, np.int32)
    counts = np.empty(n, np.int32)
    counts[:] = 0
    out_indptr = np.empty(n_docs + 1, np.int64)
    out_indptr[:] = 0
    nnz = 0
    for d in range(n_docs):
        table_bits = 1
        while (1 << table_bits) < 2 * (indptr[d + 1] - indptr[d]):
            table_bits += 1
        mask = (1 << table_bits) - 1
        table_shift = np.uint64(64 - table_bits)
        first = nnz
        for p in range(indptr[d], indptr[d + 1]):
            c = column[p]
            slot = np.int64((np.uint64(c) * GOLDEN_GAMMA) >> table_shift) & mask
            while slots[slot] >= 0 and indices[slots[slot]] != c:
                slot = (slot + 1) & mask
            if slots[slot] < 0:
                slots[slot] = nnz
                indices[nnz] = c
                nnz += 1
            counts[slots[slot]] += 1
        for e in range(first, nnz):  # empty the slots used, for the next document
            slot = np.int64((np.uint64(indices[e]) * GOLDEN_GAMMA) >> table_shift) & mask
            while slots[slot] != -1:
                slots[slot] = -1
                slot = (slot + 1) & mask
        out_indptr[d + 1] = nnz
    return out_indptr, indices[:nnz].copy(), counts[:nnz].copy()


@jit.kernel("(uint64[::1],)", ahead=False)
def distinct_keys(keys):
    """Each value of ``keys`` once (in the order of first occurrence), by a table of twice
    their number or more."""
    n = len(keys)
    table_bits = 4
    while (1 << table_bits) < 2 * n:
        table_bits += 1
    mask = (1 << table_bits) - 1
    shift = np.uint64(64 - table_bits)
    used = np.empty(mask + 1, np.bool_)
    used[:] = 0
    table = np.empty(mask + 1, np.uint64)
    out = np.empty(n, np.uint64)
    m = 0
    for p in range(n):
        key = keys[p]
        slot = np.int64((key * GOLDEN_GAMMA) >> shift)
        while used[slot] and table[slot] != key:
            slot = (slot + 1) & mask
        if not used[slot]:
            used[slot] = True
            table[slot] = key
            out[m] = key
            m += 1
    return out[:m].copy()


@jit.kernel("(uint64[::1], boolean[::1], boolean[::1], uint64[::1], int64)", ahead=False)
def add_collisions(first, seen, shared, keys, bits):
    """Add distinct n-gram ``keys`` to the collision count in place: a column keeps the
    first key seen in it (``first``, ``seen``), and is ``shared`` once another arrives.
    Whatever the order keys come in, a column ends shared exactly when two or more distinct
    keys reach it."""
    shift = np.uint64(64 - bits)
    for p in range(len(keys)):
        c = np.int64(mix(keys[p]) >> shift)
        if not seen[c]:
            seen[c] = True
            first[c] = keys[p]
        elif first[c] != keys[p]:
            shared[c] = True


@jit.kernel("(int64[::1], int32[::1])", ahead=False)
def add_document_frequencies(df, indices):
    """df[j] += 1 for every entry's column j (a row holds each column once)."""
    for p in range(len(indices)):
        df[indices[p]] += 1
