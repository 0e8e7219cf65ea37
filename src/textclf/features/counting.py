"""Word n-grams as integers: counting them per document without building their strings.

Tokens are integer ids t ∈ [0, V). An n-gram of length k ≥ 2 is identified by the id p of its
first k−1 tokens (an n-gram of length k−1) and its last token t, through one integer

    code = p · V + t,

so bigrams come from pairs of token ids with one vectorised multiply-add, trigrams from
(bigram id, token id) pairs, and so on; ``np.unique`` numbers the distinct codes of a level.
No n-gram string is made while counting; strings are made once, for the terms that are kept.

A corpus is counted in chunks (bounded memory, and one chunk per worker in parallel). Each
chunk numbers its tokens and n-grams on its own (:func:`count_chunk`);
:func:`textclf.features.merging.merge_chunks` then maps every chunk's local ids to global
ones, so the result does not depend on how the corpus was cut into chunks or on which
worker counted which chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.core.sparse import count_matrix
from textclf.features.splitter import Splitter, Vocabulary
from textclf.kernels.ngrams import count_ngrams

TOKEN_SEPARATOR = "\x00"  # joins a chunk's tokens into one string (one object, not many)


@dataclass
class LevelTable:
    """The distinct n-grams of one length k ≥ 2, as (prefix id, last token id) pairs."""

    prefix: np.ndarray  # int64: id of the first k−1 tokens at level k−1
    last: np.ndarray  # int64: id of the last token

    def __len__(self) -> int:
        return len(self.prefix)


def level_positions(prev: np.ndarray, tok: np.ndarray, doc: np.ndarray, k: int) -> np.ndarray:
    """Start positions i of the k-grams that lie in one document and are made of known
    tokens: the (k−1)-gram at i has an id (``prev[i] ≥ 0``) and so does token i+k−1."""
    m = len(tok) - k + 1
    if m <= 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero((prev[:m] >= 0) & (tok[k - 1 :] >= 0) & (doc[k - 1 :] == doc[:m]))


@dataclass
class ChunkCounts:
    """Counts of one chunk of documents over the chunk's own token and n-gram ids.

    Columns of ``X`` are the V tokens, then the level-2 n-grams, then level 3, ...
    """

    packed_tokens: str | list[str]  # the tokens, joined by TOKEN_SEPARATOR where possible
    levels: list[LevelTable]
    X: sp.csr_matrix  # counts (the smallest unsigned dtype that holds them), docs × columns

    @property
    def tokens(self) -> list[str]:
        if isinstance(self.packed_tokens, list):
            return self.packed_tokens
        return self.packed_tokens.split(TOKEN_SEPARATOR) if self.packed_tokens else []


def count_chunk(texts: Sequence[str], splitter: Splitter, ngrams: int) -> ChunkCounts:
    """Count every token and n-gram (n ≤ ``ngrams``) of each text, with local ids (the
    tokens are those of ``splitter.encode``: words, or the characters of
    :class:`~textclf.features.chars.CharSplitter`)."""
    vocabulary = Vocabulary(grow=True)
    tok, doc = splitter.encode(texts, vocabulary)  # word tokens, or characters
    V = len(vocabulary)
    if jit.enabled() and len(tok) * max(ngrams, 1) < 2**31:  # (the kernels count in int32)
        # the same counts, compiled (textclf.kernels.ngrams): each level's n-grams numbered
        # in the order of their first occurrence, not of their codes (the merge numbers
        # them anew, and the vocabulary's alphabetical order makes X's columns the same)
        flat, sizes, indptr, indices, counts = count_ngrams(tok, doc, V, ngrams, len(texts))
        codes = np.split(flat, np.cumsum(sizes)[:-1]) if len(sizes) else []
        del tok, doc, flat
        offset = V + int(sum(len(c) for c in codes))
        levels = [LevelTable((c // max(V, 1)).astype(np.int32), (c % max(V, 1)).astype(np.int32))
                  for c in codes]
        X = sp.csr_matrix((counts, indices, indptr), shape=(len(texts), offset))
        X.has_sorted_indices = False  # columns in order of first occurrence
        return packed_counts(vocabulary, levels, X)
    known = tok >= 0  # −1: a break between character runs, or a token a fixed vocabulary lacks
    columns, rows = [tok[known]], [doc[known]]
    levels: list[LevelTable] = []
    offset, prev = V, tok
    for k in range(2, ngrams + 1):
        starts = level_positions(prev, tok, doc, k)
        code = prev[starts] * V + tok[starts + k - 1]
        distinct, inverse = np.unique(code, return_inverse=True)
        levels.append(LevelTable((distinct // max(V, 1)).astype(np.int32),
                                 (distinct % max(V, 1)).astype(np.int32)))
        columns.append(inverse + offset)
        rows.append(doc[starts])
        current = np.full(max(len(tok) - k + 1, 0), -1, np.int64)
        current[starts] = inverse
        offset, prev = offset + len(distinct), current
    X = count_matrix(np.concatenate(rows), np.concatenate(columns), (len(texts), offset))
    del rows, columns, tok, doc, prev
    return packed_counts(vocabulary, levels, X)


def packed_counts(vocabulary: Vocabulary, levels: list[LevelTable],
                  X: sp.csr_matrix) -> ChunkCounts:
    """The chunk's counts in the smallest unsigned dtype, its tokens packed in a string."""
    top = X.data.max(initial=0)
    X.data = X.data.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32)
    tokens = vocabulary.tokens()
    packed = TOKEN_SEPARATOR.join(tokens)
    if packed.count(TOKEN_SEPARATOR) != max(len(tokens) - 1, 0) or (tokens and not packed):
        packed = tokens  # a token holds the separator, or "" is the only token: the list
    return ChunkCounts(packed_tokens=packed, levels=levels, X=X)
