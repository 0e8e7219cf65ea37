"""Hashed n-gram features: 2^b columns and no vocabulary to learn or to hold.

The n-gram with tokens t₁…t_k goes to column h(t₁…t_k) mod 2^b, where

    key(t₁)       = H(t₁)                       H: 64-bit BLAKE2b of the token's UTF-8
    key(t₁…t_k)   = mix(key(t₁…t_{k−1}) · P + H(t_k))
    column        = mix(key) >> (64 − b)          (the top b bits)

with mix the SplitMix64 finaliser, all in wrapping uint64 arithmetic, so that columns are
the same on every machine and in every process (Python's own ``hash`` of a string is not).
H is computed once per distinct token of a chunk; n-gram keys are numpy operations over
the token positions. No pass over the corpus is needed to know the columns, so a corpus can
be featurised as it streams from disk (see :mod:`textclf.stream`).

Distinct n-grams can share a column (a collision). They do not break anything (their
counts add up in that column) and they are counted: :attr:`HashingFeaturizer.collisions` is
the number of columns that received two or more distinct n-grams in the data fitted on.
tf-idf needs the document frequency of each column, so ``fit`` still reads the data once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.features import _CONTEXT, FeatureSettings, map_chunks, stack_rows, weight_counts
from textclf.ngrams import chunks_of, count_matrix
from textclf.tokenids import Splitter, Vocabulary, encode

_P = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit moves about half of the output bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def token_hash(token: str) -> int:
    """H(token): the first 8 bytes of BLAKE2b of its UTF-8, as an unsigned integer."""
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


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
        keys, where = np.unique(keys, return_index=True)
        columns = columns[where]
        new = ~self.seen[columns]
        fresh_columns, first_at = np.unique(columns[new], return_index=True)
        self.first[fresh_columns] = keys[new][first_at]
        self.seen[fresh_columns] = True
        self.shared[columns[self.first[columns] != keys]] = True

    @property
    def count(self) -> int:
        return int(self.shared.sum())


def _hash_chunk(texts: list[str], splitter: Splitter, ngrams: int, bits: int,
                cache: dict | None = None) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Counts per (document, hashed column) of one chunk, and the n-gram keys seen."""
    vocabulary = Vocabulary(grow=True)
    tok, doc = encode(texts, splitter, vocabulary)
    tokens = vocabulary.tokens()
    if cache is None:
        cache = {}
    if len(cache) > 1_000_000:
        cache.clear()
    H = np.fromiter((cache[t] if t in cache else cache.setdefault(t, token_hash(t))
                     for t in tokens), np.uint64, len(tokens))
    key = H[tok]
    keys, rows = [key], [doc]
    for k in range(2, ngrams + 1):
        m = len(tok) - k + 1
        if m <= 0:
            break
        same = doc[k - 1 :] == doc[:m]
        key = mix(key[:m] * _P + H[tok[k - 1 :]])
        keys.append(key[same])
        rows.append(doc[:m][same])
    del key, tok
    all_keys = np.concatenate(keys)
    del keys
    columns = (mix(all_keys) >> np.uint64(64 - bits)).astype(np.int32)
    all_rows = np.concatenate(rows).astype(np.int32)
    del rows
    order = np.argsort(all_rows, kind="stable")  # a few sorted runs: timsort merges them
    X = count_matrix(all_rows[order], columns[order], (len(texts), 1 << bits))
    return X, all_keys, columns


def _hash_chunk_in_worker(texts: list[str]):
    """(counts, None, None): the n-gram keys stay in the worker (not needed, not sent)."""
    X = _hash_chunk(texts, _CONTEXT["splitter"], _CONTEXT["ngrams"], _CONTEXT["bits"])[0]
    return X, None, None


def _hash_chunk_with_keys_in_worker(texts: list[str]):
    return _hash_chunk(texts, _CONTEXT["splitter"], _CONTEXT["ngrams"], _CONTEXT["bits"])


class HashingFeaturizer:
    """[X | 1] with X's columns the hashed n-grams (see the module docstring).

    The same interface as :class:`~textclf.features.Featurizer`; ``terms`` are the column
    names ``#j`` (a hashed column has no single readable term). ``min_df`` and
    ``max_features`` do not apply.
    """

    def __init__(self, settings: FeatureSettings | None = None, *, jobs: int | None = None,
                 dtype=np.float64, **kwargs):
        self.settings = settings or FeatureSettings(**kwargs)
        self.settings.validate()
        if self.settings.hash_bits is None:
            raise SettingsError("HashingFeaturizer needs hash_bits")
        self.bits = int(self.settings.hash_bits)
        # hashing is Python work, on processes that pay only on large corpora: 1 unless asked
        self.jobs = 1 if jobs is None else jobs
        self.dtype = np.dtype(dtype)
        self.splitter = Splitter(self.settings.token_pattern, self.settings.lowercase)
        self.terms = BucketNames(1 << self.bits)
        self.document_frequency = np.zeros(1 << self.bits, np.int64)
        self.n_documents = 0
        self.collisions = CollisionCounter(1 << self.bits)
        self._cache: dict = {}

    @property
    def n_features(self) -> int:
        return (1 << self.bits) + 1

    @property
    def bias_index(self) -> int:
        return 1 << self.bits

    @property
    def idf(self) -> np.ndarray:
        """idf(j) = ln((1 + N) / (1 + df(j))) + 1 per column."""
        return np.log((1.0 + self.n_documents) / (1.0 + self.document_frequency)) + 1.0

    def partial_fit_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Add the chunk's documents to df and the collision count; return its counts."""
        X, keys, columns = _hash_chunk(texts, self.splitter, self.settings.ngrams, self.bits,
                                       self._cache)
        self.add_counts(X, keys, columns)
        return X

    def add_counts(self, X: sp.csr_matrix, keys: np.ndarray, columns: np.ndarray) -> None:
        """Add one chunk's counts (and its n-gram keys) to df, N and the collisions."""
        self.collisions.add(keys, columns)
        self.document_frequency += np.bincount(X.indices, minlength=1 << self.bits)
        self.n_documents += X.shape[0]

    def fit(self, texts: Iterable[str]) -> HashingFeaturizer:
        for chunk in chunks_of(texts):
            self.partial_fit_counts(chunk)
        return self

    def fit_transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Document frequencies and collisions from ``texts``, and their [X | 1]."""
        self.document_frequency[:] = 0
        self.n_documents = 0
        self.collisions = CollisionCounter(1 << self.bits)
        counts = [self.partial_fit_counts(chunk) for chunk in chunks_of(texts)]
        if not counts:
            raise SettingsError("cannot fit the featurizer on zero documents")
        idf = self.idf
        parts = [weight_counts(c, self.settings, idf, self.dtype) for c in counts]
        return stack_rows(parts, self.n_features, self.dtype)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """[X | 1] of ``texts`` (columns by hash: nothing is unknown)."""
        if self.n_documents == 0 and self.settings.weighting == "tfidf":
            raise SettingsError("the featurizer is not fitted: call fit first")
        idf = self.idf if self.settings.weighting == "tfidf" else None
        context = {"splitter": self.splitter, "ngrams": self.settings.ngrams, "bits": self.bits}
        parts = [weight_counts(result[0], self.settings, idf, self.dtype)
                 for result in map_chunks(_hash_chunk_in_worker, context, chunks_of(texts),
                                          self.jobs)]
        if not parts:
            return sp.csr_matrix((0, self.n_features), dtype=self.dtype)
        return stack_rows(parts, self.n_features, self.dtype)

    def feature_names(self) -> list[str]:
        return [*self.terms, "<bias>"]

    # persistence --------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"settings": asdict(self.settings), "n_documents": self.n_documents,
                "collisions": self.collisions.count}
        arrays = {}
        if self.settings.weighting == "tfidf":
            arrays["document_frequency"] = self.document_frequency
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> HashingFeaturizer:
        featurizer = cls(FeatureSettings(**meta["settings"]))
        featurizer.n_documents = int(meta["n_documents"])
        featurizer.saved_collisions = int(meta.get("collisions", 0))
        if "document_frequency" in arrays:
            df = arrays["document_frequency"]
            if df.shape != (1 << featurizer.bits,):
                raise SettingsError(f"document_frequency has shape {df.shape}, expected "
                                    f"({1 << featurizer.bits},)")
            featurizer.document_frequency = df.astype(np.int64)
        return featurizer
