"""Hashed n-gram features: 2^b columns and no vocabulary to learn or to hold.

The n-gram with tokens t₁…t_k goes to column h(t₁…t_k) mod 2^b, where

    key(t₁)       = H(t₁)                       H: 64-bit BLAKE2b of the token's UTF-8
    key(t₁…t_k)   = mix(key(t₁…t_{k−1}) · P + H(t_k))
    column        = mix(key) >> (64 − b)          (the top b bits)

with mix the SplitMix64 finaliser (:func:`textclf.core.hashing.mix64`) and P the golden-ratio
constant, all in wrapping uint64 arithmetic, so that columns are
the same on every machine and in every process (Python's own ``hash`` of a string is not).
H is computed once per distinct token of a chunk; n-gram keys are numpy operations over
the token positions. No pass over the corpus is needed to know the columns, so a corpus can
be featurised as it streams from disk.

Distinct n-grams can share a column (a collision). They do not break anything (their
counts add up in that column) and they are counted: :attr:`HashingFeaturizer.collisions` is
the number of columns that received two or more distinct n-grams in the data fitted on.
tf-idf needs the document frequency of each column, so ``fit`` still reads the data once.

With the compiled kernels (:mod:`textclf.kernels.hashing`) a chunk's keys, columns and
counts are made without sorting and without the GIL, so ``fit_transform`` and
``transform`` count the chunks on ``jobs`` threads; the chunks' document frequencies and
collisions are then added in chunk order, and the rows filled on the threads again. X is
the same for any ``jobs`` and either path.

Character n-grams (``char_ngrams``) go to the same 2^b columns, by the same recurrence over
their characters with H(c) = mix(code point of c ⊕ S) (S a fixed salt, so that a character
n-gram and a word of the same letters fall apart): one feature space for words and
characters. (The vocabulary featuriser keeps them in two blocks, each normalised on its
own; hashed, the row is normalised as a whole.)
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.core.hashing import GOLDEN_GAMMA, mix64
from textclf.core.parallel import ordered_map, text_chunks
from textclf.core.sparse import count_matrix, stack_rows
from textclf.errors import SettingsError
from textclf.features.counting import PIECE_CHARACTERS, counts_with_long_texts, longest
from textclf.features.featurizer import Featurizer, workers
from textclf.features.settings import FeatureSettings
from textclf.features.tokens import (
    CharSplitter,
    Splitter,
    Vocabulary,
    char_term_name,
    character_count,
    encode,
    token_ranges,
)
from textclf.features.weighting import (
    check_document_counts,
    fill_chunks,
    inverse_document_frequency,
    weight_counts,
)
from textclf.kernels import hashing as kernels

TOKEN_HASH_CACHE = 1_000_000  # distinct tokens whose H is kept between chunks
CHAR_SALT = np.uint64(0x243F6A8885A308D3)  # π's first 64 fraction bits: characters' H apart


def token_hash(token: str) -> int:
    """H(token): the first 8 bytes of BLAKE2b of its UTF-8, as an unsigned integer."""
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def ngram_keys(H: np.ndarray, tok: np.ndarray, doc: np.ndarray,
               ngrams: int) -> tuple[np.ndarray, np.ndarray]:
    """(key, document) of every n-gram, n = 1..ngrams, from the token hashes ``H[tok]``:
    key(t₁) = H(t₁), key(t₁…t_k) = mix(key(t₁…t_{k−1}) · P + H(t_k))."""
    key = H[tok]
    keys, rows = [key], [doc]
    for k in range(2, ngrams + 1):
        m = len(tok) - k + 1
        if m <= 0:
            break
        same = doc[k - 1 :] == doc[:m]
        key = mix64(key[:m] * GOLDEN_GAMMA + H[tok[k - 1 :]])
        keys.append(key[same])
        rows.append(doc[:m][same])
    return np.concatenate(keys), np.concatenate(rows)


def char_hashes(code_points: np.ndarray) -> np.ndarray:
    """H(c) = mix(code point ⊕ S) of characters given by their code points."""
    return mix64(np.asarray(code_points, np.uint64) ^ CHAR_SALT)


def char_ngram_keys(tok: np.ndarray, doc: np.ndarray, H: np.ndarray, low: int, high: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(key, document) of every character n-gram, low ≤ n ≤ high, of the characters
    ``tok`` (−1 between runs: no n-gram crosses it) with hashes ``H[tok]``."""
    if len(H) == 0:  # no character at all (empty texts): every id is −1, no n-gram
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    run = np.cumsum(tok < 0)  # an n-gram lies in one run: no −1 among its characters
    key = H[np.maximum(tok, 0)]
    keys, rows = [], []
    for k in range(1, high + 1):
        m = len(tok) - k + 1
        if m <= 0:
            break
        if k > 1:
            key = mix64(key[:m] * GOLDEN_GAMMA + H[np.maximum(tok[k - 1 :], 0)])
        if k >= low:
            inside = (tok[:m] >= 0) & (run[k - 1 :] == run[:m])
            keys.append(key[inside])
            rows.append(doc[:m][inside])
    if not keys:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(keys), np.concatenate(rows)


def char_gram_keys(grams: Sequence[str]) -> np.ndarray:
    """The key of each character n-gram given as a string (for explanations)."""
    keys = np.zeros(len(grams), np.uint64)
    lengths = np.fromiter(map(len, grams), np.int64, len(grams))
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        points = np.array([[ord(c) for c in grams[r]] for r in rows], np.uint64)
        H = char_hashes(points)
        key = H[:, 0]
        for k in range(1, int(n)):
            key = mix64(key * GOLDEN_GAMMA + H[:, k])
        keys[rows] = key
    return keys


def hashed_column(keys: np.ndarray, bits: int) -> np.ndarray:
    """The column of each n-gram key: the top ``bits`` bits of mix(key)."""
    return (mix64(keys) >> np.uint64(64 - bits)).astype(np.int32)


def token_hashes(tokens: list[str], cache: dict) -> np.ndarray:
    """H of each token (uint64), from ``cache`` where it holds them (looked up by a C-level
    map; emptied beyond :data:`TOKEN_HASH_CACHE` tokens; several threads may share it),
    hashed for the others."""
    if len(cache) > TOKEN_HASH_CACHE:
        cache.clear()
    H = np.fromiter(map(cache.get, tokens, itertools.repeat(0)), np.uint64, len(tokens))
    for i in np.flatnonzero(H == 0).tolist():  # not cached (or a hash that is 0: rehashed)
        H[i] = cache.setdefault(tokens[i], token_hash(tokens[i]))
    return H


def hash_chunk(texts: list[str], splitter: Splitter, ngrams: int, bits: int,
               cache: dict | None = None, with_keys: bool = True,
               chars: tuple[CharSplitter, int, int] | None = None
               ) -> tuple[sp.csr_matrix, np.ndarray | None, np.ndarray | None]:
    """Counts per (document, hashed column) of one chunk, and the n-gram keys seen with
    their columns (None, None without ``with_keys``: a worker need not send them).
    ``chars`` = (splitter, low, high) adds the character n-grams.

    Compiled where that pays: the same counts (each row's columns in order of first
    occurrence rather than sorted) and the distinct keys only."""
    compiled = jit.worth(character_count(texts))
    keys, rows = [], []
    if ngrams >= 1:
        vocabulary = Vocabulary(grow=True)
        tok, doc = encode(texts, splitter, vocabulary)
        H = token_hashes(vocabulary.tokens(), {} if cache is None else cache)
        made = (kernels.word_keys(tok, doc, H, ngrams) if compiled
                else ngram_keys(H, tok, doc, ngrams))
        keys.append(made[0])
        rows.append(made[1])
        del tok
    if chars is not None:
        char_splitter, low, high = chars
        seen = Vocabulary(grow=True)
        tok, doc = char_splitter.encode(texts, seen)
        H = char_hashes(np.fromiter(map(ord, seen.tokens()), np.uint64, len(seen)))
        made = (kernels.char_keys(tok, doc, H, low, high) if compiled
                else char_ngram_keys(tok, doc, H, low, high))
        keys.append(made[0])
        rows.append(made[1])
    all_keys, all_rows = np.concatenate(keys), np.concatenate(rows)
    if compiled:
        indptr, indices, counts = kernels.hashed_counts(all_keys, all_rows.astype(np.int64),
                                                        bits, len(texts))
        X = sp.csr_matrix((counts, indices, indptr), shape=(len(texts), 1 << bits))
        X.has_sorted_indices = False
        if not with_keys:
            return X, None, None
        distinct = kernels.distinct_keys(all_keys)
        return X, distinct, hashed_column(distinct, bits)
    columns = hashed_column(all_keys, bits)
    all_rows = all_rows.astype(np.int32)
    order = np.argsort(all_rows, kind="stable")  # a few sorted runs: timsort merges them
    X = count_matrix(all_rows[order], columns[order], (len(texts), 1 << bits))
    return (X, all_keys, columns) if with_keys else (X, None, None)


class BucketNames(Sequence):
    """Names of the hashed columns, ``#0`` … ``#(2^b − 1)``, made when asked for."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [f"#{i}" for i in range(*j.indices(self.n))]
        if not -self.n <= j < self.n:
            raise IndexError(j)
        return f"#{j % self.n}"


class CollisionCounter:
    """Counts the columns that received two or more distinct n-gram keys.

    For each column it keeps the first key seen; a column is marked once a different key
    arrives. Memory: 2^b keys and flags, whatever the size of the corpus.
    """

    def __init__(self, n_columns: int):
        self.first = np.zeros(n_columns, np.uint64)
        self.seen = np.zeros(n_columns, bool)
        self.shared = np.zeros(n_columns, bool)

    def add(self, keys: np.ndarray, columns: np.ndarray) -> None:
        if jit.worth(len(keys)):  # one pass, no sort (the same count)
            kernels.add_collisions(self.first, self.seen, self.shared,
                                   np.asarray(keys, np.uint64), len(self.seen).bit_length() - 1)
            return
        keys, where = np.unique(keys, return_index=True)
        columns = columns[where]
        new = ~self.seen[columns]
        fresh_columns, first_at = np.unique(columns[new], return_index=True)
        self.first[fresh_columns] = keys[new][first_at]
        self.seen[fresh_columns] = True
        self.shared[columns[self.first[columns] != keys]] = True

    def merge(self, other: CollisionCounter) -> None:
        """Add what ``other`` saw (another part of the corpus): a column is shared if it
        was in either part, or if the two parts' first keys there differ."""
        both = self.seen & other.seen
        self.shared |= other.shared | (both & (self.first != other.first))
        only_other = other.seen & ~self.seen
        self.first[only_other] = other.first[only_other]
        self.seen |= other.seen

    @property
    def count(self) -> int:
        return int(self.shared.sum())


class HashingFeaturizer(Featurizer):
    """[X | 1] with X's columns the hashed n-grams (see the module docstring).

    ``terms`` are the column names ``#j`` (a hashed column has no single readable term; an
    explanation names the n-grams of its document that fell in the column). ``min_df`` and
    ``max_features`` do not apply.
    """

    kind = "hashing"

    def __init__(self, settings: FeatureSettings | None = None, *, jobs: int | None = None,
                 dtype=np.float64, **kwargs: Any):
        super().__init__(settings, jobs=jobs, dtype=dtype, **kwargs)
        if self.settings.hash_bits is None:
            raise SettingsError("HashingFeaturizer needs hash_bits")
        self.bits = int(self.settings.hash_bits)
        self.terms = BucketNames(1 << self.bits)
        self.document_frequency = np.zeros(1 << self.bits, np.int64)
        self.collisions = CollisionCounter(1 << self.bits)
        self.token_hashes: dict = {}  # H of tokens seen, kept between chunks of one thread
        self.chars = None
        self.settle(None)
        self._lock = threading.Lock()

    @property
    def jobs(self) -> int:
        """The workers that hash: as asked, else one per core (at most
        :data:`~textclf.features.featurizer.MAX_AUTO_WORKERS`) with the compiled kernels,
        which hash without the GIL, and one without them (Python work)."""
        return workers(self._jobs)

    @jobs.setter
    def jobs(self, jobs: int | None) -> None:
        self._jobs = jobs

    def settle(self, texts: Sequence[str] | None) -> None:
        """Decide char_ngrams "auto" from ``texts`` (the first chunk when streaming), and
        set up the character n-grams."""
        if self.settings.char_ngrams == "auto" and texts is not None:
            self.settings = self.settings.resolved(texts)
        if self.settings.char_ngrams not in (None, "auto"):
            self.chars = (CharSplitter(self.settings.lowercase, self.settings.char_mode),
                          *self.settings.char_ngrams)

    def __getstate__(self) -> dict:  # for worker processes: locks do not pickle
        return {k: v for k, v in vars(self).items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, _lock=threading.Lock())

    @property
    def idf(self) -> np.ndarray:
        return inverse_document_frequency(self.document_frequency, self.n_documents)

    @property
    def fitted(self) -> bool:
        # counts and binary features need nothing learned; tf-idf needs df, nb its ratios
        return self.n_documents > 0 or not (self.settings.uses_idf or self.settings.uses_labels)

    def hash_counts(self, texts: list[str], with_keys: bool = True, cache: dict | None = None):
        """(counts, n-gram keys, their columns) of one chunk (see :func:`hash_chunk`);
        ``cache`` keeps token hashes between the chunks of one reader."""
        return hash_chunk(texts, self.splitter, self.settings.ngrams, self.bits, cache,
                          with_keys=with_keys, chars=self.chars)

    def partial_fit_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Add the chunk's documents to df and the collision count; return its counts."""
        with self._lock:  # the token-hash cache and the counts belong to one caller at a time
            self.settle(texts)
            X, keys, columns = hash_chunk(list(texts), self.splitter, self.settings.ngrams,
                                          self.bits, self.token_hashes, chars=self.chars)
            self.add_counts(X, keys, columns)
        return X

    def add_counts(self, X: sp.csr_matrix, keys: np.ndarray, columns: np.ndarray) -> None:
        """Add one chunk's counts (and its n-gram keys) to df, N and the collisions."""
        self.collisions.add(keys, columns)
        if jit.worth(X.nnz):  # one pass over the chunk's entries, not 2^b
            kernels.add_document_frequencies(self.document_frequency, X.indices)
        else:
            self.document_frequency += np.bincount(X.indices, minlength=1 << self.bits)
        self.n_documents += X.shape[0]

    def reset(self) -> None:
        """Forget the documents counted so far."""
        self.document_frequency = np.zeros(1 << self.bits, np.int64)
        self.n_documents = 0
        self.collisions = CollisionCounter(1 << self.bits)

    def fit(self, texts: Iterable[str], labels: Sequence | None = None,
            sample_weight: np.ndarray | None = None) -> HashingFeaturizer:
        """Document frequencies and collisions from ``texts`` (no matrix is kept)."""
        if self.settings.uses_labels:  # the ratios need the matrix
            self.fit_transform(texts, labels, sample_weight)
            return self
        self.reset()
        for chunk in text_chunks(texts):
            self.partial_fit_counts(chunk)
        return self

    def fit_transform(self, texts: Iterable[str], labels: Sequence | None = None,
                      sample_weight: np.ndarray | None = None) -> sp.csr_matrix:
        """Document frequencies and collisions from ``texts`` (nb's ratios from ``labels``),
        and their [X | 1]. The chunks are counted on ``jobs`` workers, their counts added
        to df and the collisions in chunk order."""
        self.reset()
        chunks = iter(text_chunks(texts))
        first = next(chunks, None)
        if first is None:
            raise SettingsError("cannot fit the featurizer on zero documents")
        with self._lock:
            self.settle(first)  # char_ngrams "auto", decided before the workers start
        count = partial(self.hash_counts, cache=self.token_hashes)
        counts = []
        for X, keys, columns in ordered_map(count, itertools.chain([first], chunks),
                                            self.jobs, threads=jit.enabled()):
            self.add_counts(X, keys, columns)
            counts.append(X)
        return self.learn_label_weights(self.weighted(counts), labels, sample_weight)

    def weighted(self, counts: list[sp.csr_matrix]) -> sp.csr_matrix:
        """[X | 1] of the chunks' counts (emptied as they are used): written in place on
        the workers by the compiled kernels, or chunk by chunk with numpy."""
        idf = self.idf if self.settings.uses_idf else np.ones(len(self.terms))
        if not counts:
            return sp.csr_matrix((0, self.n_features), dtype=self.dtype)
        if jit.worth(sum(c.nnz for c in counts)):
            return fill_chunks(counts, None, None, [c.nnz for c in counts], len(self.terms),
                               self.settings, idf, self.dtype, self.jobs)
        parts = [weight_counts(counts.pop(0), self.settings, idf, self.dtype)
                 for _ in range(len(counts))]
        return stack_rows(parts, self.n_features, self.dtype)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """[X | 1] of ``texts`` (columns by hash: nothing is unknown)."""
        self.check_fitted()
        counts = list(ordered_map(self.counts, text_chunks(texts), self.jobs,
                                  threads=jit.enabled()))
        return self.apply_label_weights(self.weighted(counts))

    def longest_char_gram(self) -> int:
        return self.chars[2] if self.chars else 0

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """How often an n-gram of each bucket occurs in each text (texts longer than
        :data:`~textclf.features.counting.PIECE_CHARACTERS` counted in pieces)."""
        whole_counts = partial(self.hash_counts, with_keys=False)
        if longest(texts) > PIECE_CHARACTERS:
            return counts_with_long_texts(texts, lambda run: whole_counts(run)[0],
                                          self.context_holds, PIECE_CHARACTERS)
        return whole_counts(texts)[0]

    def named_occurrences(self, text: str) -> list[tuple[int, int, int, str]]:
        found = super().named_occurrences(text)
        if self.chars is None:
            return found
        splitter, low, high = self.chars
        spans = splitter.spans(text, low, high)
        columns = hashed_column(char_gram_keys([gram for gram, _, _ in spans]), self.bits)
        ranges = token_ranges(self.token_spans(text)[1], spans)
        return found + [(j, first, n, char_term_name(gram)) for (gram, _, _), j, (first, n)
                        in zip(spans, columns.tolist(), ranges, strict=True)]

    def ngram_columns(self, tokens: list[str]) -> list[tuple[int, int, int]]:
        if not tokens or self.settings.ngrams < 1:
            return []
        H = np.fromiter(map(token_hash, tokens), np.uint64, len(tokens))
        n_tokens = len(tokens)
        positions = np.arange(n_tokens)
        keys, _ = ngram_keys(H, positions, np.zeros(n_tokens, np.int64), self.settings.ngrams)
        columns = hashed_column(keys, self.bits).tolist()
        found, at = [], 0
        for n in range(1, self.settings.ngrams + 1):
            for i in range(max(n_tokens - n + 1, 0)):
                found.append((columns[at], i, n))
                at += 1
        return found

    # the model file -----------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"settings": self.settings.as_dict(), "n_documents": self.n_documents,
                "collisions": self.collisions.count}
        arrays = self.label_weight_arrays()
        if self.settings.uses_idf:
            arrays["document_frequency"] = self.document_frequency
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> HashingFeaturizer:
        featurizer = cls(FeatureSettings.from_dict(meta["settings"]))
        if featurizer.settings.char_ngrams == "auto":
            raise SettingsError("char_ngrams 'auto' is decided at training: a model file "
                                "holds what was decided")
        df = arrays.get("document_frequency")
        featurizer.n_documents = check_document_counts(meta["n_documents"], df)
        if df is not None:
            if df.shape != (1 << featurizer.bits,):
                raise SettingsError(f"document_frequency has shape {df.shape}, expected "
                                    f"({1 << featurizer.bits},)")
            featurizer.document_frequency = df.astype(np.int64)
        elif featurizer.settings.uses_idf:
            raise SettingsError("tf-idf values need the document frequencies, which the "
                                "file does not hold")
        featurizer.restore_label_weights(arrays)
        return featurizer
