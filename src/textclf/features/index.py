"""Looking up the columns of a fitted vocabulary from token ids, vectorised."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from textclf.core import jit
from textclf.core.hashing import fibonacci_slots
from textclf.core.sparse import ranks_within
from textclf.errors import SettingsError
from textclf.features.counting import level_positions
from textclf.features.splitter import Vocabulary
from textclf.kernels.ngrams import int_table


class IntTable:
    """A hash table from non-negative int64 keys to int64 values, looked up vectorised.

    Open addressing with linear probing in a table of 2^b ≥ 2·n slots: a key starts at
    slot h(key) = (key · φ mod 2^64) >> (64 − b) and moves one slot on while it finds
    another key (the keys are distinct; a compiled loop inserts them where that pays). A
    lookup follows the same path for all queries at once, round by round; with the table
    at most half full a round settles most of the queries that remain. For random codes
    this is several times faster than a binary search (``searchsorted``).
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        keys = np.asarray(keys, np.int64)
        self.bits = max(int(2 * len(keys)).bit_length(), 4)
        if jit.worth(len(keys)):  # the same table, filled by one compiled pass
            self.keys, self.values = int_table(np.ascontiguousarray(keys),
                                               np.ascontiguousarray(values, np.int64),
                                               self.bits)
            return
        size = 1 << self.bits
        self.keys = np.full(size, -1, np.int64)
        self.values = np.full(size, -1, np.int64)
        slot = fibonacci_slots(keys, self.bits)
        pending = np.arange(len(keys))
        while len(pending):
            # among keys aiming at the same free slot, the first one takes it
            target = slot[pending]
            free = self.keys[target] == -1
            target, pending_free = target[free], pending[free]
            taken, first = np.unique(target, return_index=True)
            self.keys[taken] = keys[pending_free[first]]
            self.values[taken] = values[pending_free[first]]
            placed = np.zeros(len(keys), bool)
            placed[pending_free[first]] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) & (size - 1)

    def get(self, queries: np.ndarray) -> np.ndarray:
        """The value of each query key, −1 for a key not in the table."""
        out = np.full(len(queries), -1, np.int64)
        slot = fibonacci_slots(queries, self.bits)
        pending = np.arange(len(queries))
        mask = len(self.keys) - 1
        while len(pending):
            found = self.keys[slot[pending]]
            hit = found == queries[pending]
            out[pending[hit]] = self.values[slot[pending[hit]]]
            pending = pending[~hit & (found != -1)]
            slot[pending] = (slot[pending] + 1) & mask
        return out


def checked_lengths(terms: Sequence[str], longest: int, joiner: str = " ") -> np.ndarray:
    """The number of tokens of each term (tokens joined by ``joiner``; with "", each
    character a token); a :class:`SettingsError` unless each has 1 to ``longest``."""
    if joiner:
        length = np.fromiter(map(str.count, terms, itertools.repeat(joiner)), np.int64,
                             len(terms)) + 1
    else:
        length = np.fromiter(map(len, terms), np.int64, len(terms))
    if len(terms) and (length.max() > longest or length.min() < 1):
        bad = terms[int(np.argmax((length > longest) | (length < 1)))]
        raise SettingsError(f"term {bad!r} does not have 1 to {longest} tokens")
    return length


class GramIndex:
    """Looks up the kept terms' columns from token ids, for :meth:`Featurizer.transform`.

    ``T`` holds each term's token ids (−1 padded), ``length`` its number of tokens. The
    level-k table numbers the distinct k-token prefixes of all terms (the k-grams that
    are terms, and the beginnings of longer terms); an n-gram's id at level k is found
    from its code (prefix id · V + last token) in that level's :class:`IntTable`.
    """

    def __init__(self, tokens: Sequence[str], T: np.ndarray, length: np.ndarray):
        self.vocabulary = dict(zip(tokens, range(len(tokens)), strict=True))
        self.V = V = len(tokens)
        T = np.asarray(T, np.int64)  # codes p · V + t need 64 bits
        n = T.shape[1] if T.ndim == 2 else 1
        self.unigram_column = np.full(V + 1, -1, np.int64)  # slot V answers token id −1
        unigrams = np.flatnonzero(length == 1)
        self.unigram_column[T[unigrams, 0]] = unigrams
        self.tables: list[IntTable] = []
        self.columns: list[np.ndarray] = []
        self._flat: tuple[np.ndarray, ...] | None = None
        prefix_id = T[:, 0].copy()
        for k in range(2, n + 1):
            longer = np.flatnonzero(length >= k)
            codes = prefix_id[longer] * V + T[longer, k - 1]
            distinct, inverse = np.unique(codes, return_inverse=True)
            self.tables.append(IntTable(distinct, np.arange(len(distinct))))
            column = np.full(len(distinct) + 1, -1, np.int64)  # last slot answers id −1
            exact = length[longer] == k
            column[inverse[exact]] = longer[exact]
            self.columns.append(column)
            prefix_id = np.full(len(T), -1, np.int64)
            prefix_id[longer] = inverse

    @classmethod
    def from_terms(cls, terms: Sequence[str], ngrams: int, joiner: str = " ") -> GramIndex:
        """Rebuild the index from the term strings (tokens joined by single spaces; with
        ``joiner`` "", character n-grams: each character a token)."""
        length = checked_lengths(terms, ngrams, joiner)
        words = (joiner.join(terms).split(joiner) if terms else []) if joiner \
            else list("".join(terms))
        tokens = list(dict.fromkeys(words))
        ids = dict(zip(tokens, range(len(tokens)), strict=True))
        flat = np.fromiter(map(ids.__getitem__, words), np.int64, len(words))
        T = np.full((len(terms), ngrams), -1, np.int64)
        rows = np.repeat(np.arange(len(terms)), length)
        T[rows, ranks_within(length)] = flat
        return cls(tokens, T, length)

    def flat_tables(self) -> tuple[np.ndarray, ...]:
        """The level tables side by side, for :func:`textclf.kernels.ngrams.term_counts`:
        ``(keys, values, bits, starts, level_column, column_starts)``, table L's slots
        ``keys[starts[L]:]`` (2^bits[L] of them), its prefixes' columns
        ``level_column[column_starts[L]:]``."""
        if self._flat is None:
            sizes = [len(table.keys) for table in self.tables]
            column_sizes = [len(column) for column in self.columns]
            self._flat = (side_by_side([t.keys for t in self.tables], np.int64),
                          side_by_side([t.values for t in self.tables], np.int64),
                          np.array([t.bits for t in self.tables], np.int64),
                          np.cumsum([0, *sizes[:-1]], dtype=np.int64),
                          side_by_side(self.columns, np.int32),
                          np.cumsum([0, *column_sizes[:-1]], dtype=np.int64))
        return self._flat

    def token_vocabulary(self) -> Vocabulary:
        vocabulary = Vocabulary(grow=False)
        vocabulary.ids = self.vocabulary
        return vocabulary

    def columns_of(self, tok: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every occurrence of a term in the encoded documents."""
        column = self.unigram_column[tok]
        rows, columns = [doc[column >= 0]], [column[column >= 0]]
        prev = tok
        for k in range(2, len(self.tables) + 2):
            starts = level_positions(prev, tok, doc, k)
            ids = self.tables[k - 2].get(prev[starts] * self.V + tok[starts + k - 1])
            current = np.full(max(len(tok) - k + 1, 0), -1, np.int64)
            current[starts] = ids
            column = self.columns[k - 2][ids]  # id −1 (not found) hits the last slot
            hit = column >= 0
            rows.append(doc[starts[hit]])
            columns.append(column[hit])
            prev = current
        return np.concatenate(rows), np.concatenate(columns)


def side_by_side(arrays: list[np.ndarray], dtype) -> np.ndarray:
    """The arrays one after the other, in ``dtype`` (empty for none)."""
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)
