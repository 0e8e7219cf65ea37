"""From text to the feature matrix X of the lecture.

Each document becomes a row x of a sparse CSR matrix: one column per vocabulary term
(word n-gram) and, last, the dummy feature x_{|F|} = 1 that multiplies the bias b. The
value of a term's column is its count, 1 if present (binary), or its tf-idf weight:

    tfidf(t, d) = tf(t, d) · idf(t),   tf = 1 + ln(count) (sublinear),
    idf(t) = ln((1 + N) / (1 + df(t))) + 1,

with each row's term part scaled to unit Euclidean length (the bias column stays 1).

Two ways to the same counts live here. :func:`naive_count_matrix` is the lecture's: tokens
by regular expression, n-grams as joined strings, a dict from string to column. The
:class:`Featurizer` gets identical counts much faster, with integer ids for tokens and
n-grams (:mod:`textclf.tokenids`, :mod:`textclf.ngrams`), in chunks of bounded size,
optionally on several workers (``jobs``); tests hold the two equal. With ``hash_bits``
the columns are hashed n-grams instead of a vocabulary (:mod:`textclf.hashing`).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from textclf import jit
from textclf.errors import SettingsError
from textclf.memory import large_blocks_mapped, release_free_memory
from textclf.ngrams import (
    GramIndex,
    TermNames,
    alphabetical_order,
    chunks_of,
    count_chunk,
    count_matrix,
    merge_chunks,
    reorder_rows,
)
from textclf.tokenids import DEFAULT_TOKEN_PATTERN, Splitter, encode
from textclf.weight_kernels import fill_rows

WEIGHTINGS = ("count", "binary", "tfidf")
DTYPES = {"float64": np.float64, "float32": np.float32}
MAX_HASH_BITS = 28

__all__ = ["DEFAULT_TOKEN_PATTERN", "FeatureSettings", "Featurizer", "Tokenizer",
           "make_featurizer", "featurizer_from_state", "naive_count_matrix"]


@dataclass
class FeatureSettings:
    """How text becomes features; stored in the model file.

    ``hash_bits`` = b switches the vocabulary off: each n-gram goes to one of 2^b columns
    chosen by a hash of its tokens (no pass over the data to learn a vocabulary).
    """

    ngrams: int = 2
    weighting: str = "tfidf"
    min_df: int = 2
    max_features: int | None = None
    lowercase: bool = True
    token_pattern: str = DEFAULT_TOKEN_PATTERN
    sublinear_tf: bool = True
    hash_bits: int | None = None

    def validate(self) -> None:
        if self.ngrams < 1:
            raise SettingsError(f"ngrams must be at least 1, got {self.ngrams}")
        if self.weighting not in WEIGHTINGS:
            raise SettingsError(
                f"features must be one of {', '.join(WEIGHTINGS)}, got {self.weighting!r}"
            )
        if self.min_df < 1:
            raise SettingsError(f"min_df must be at least 1, got {self.min_df}")
        if self.max_features is not None and self.max_features < 1:
            raise SettingsError(f"max_features must be at least 1, got {self.max_features}")
        if self.hash_bits is not None and not (
            isinstance(self.hash_bits, int) and 1 <= self.hash_bits <= MAX_HASH_BITS
        ):
            raise SettingsError(
                f"hash_bits must be an integer from 1 to {MAX_HASH_BITS}, got {self.hash_bits}"
            )
        try:
            re.compile(self.token_pattern)
        except re.error as err:
            raise SettingsError(f"token_pattern is not a valid regex: {err}") from err


class Tokenizer:
    """Splits text into tokens and joins neighbouring tokens into n-grams (the lecture's)."""

    def __init__(self, settings: FeatureSettings):
        self.ngrams = settings.ngrams
        self.lowercase = settings.lowercase
        self._findall = re.compile(settings.token_pattern).findall

    def tokens(self, text: str) -> list[str]:
        return self._findall(text.lower() if self.lowercase else text)

    def grams(self, text: str) -> list[str]:
        """All n-grams for n = 1..ngrams, each n-gram's tokens joined by one space."""
        tokens = self.tokens(text)
        grams = list(tokens)
        for n in range(2, self.ngrams + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams


def naive_count_matrix(
    texts: Iterable[str], tokenizer: Tokenizer, vocabulary: dict[str, int], grow: bool
) -> sp.csr_matrix:
    """Counts of vocabulary terms per document, the straightforward way.

    Every n-gram string is looked up in ``vocabulary``; with ``grow``, unseen ones are
    added. The reference that the fast :class:`Featurizer` is tested against.
    """
    indices: list[int] = []
    indptr = [0]
    lookup = vocabulary.get
    for text in texts:
        grams = tokenizer.grams(text)
        if grow:
            setdefault, size = vocabulary.setdefault, len
            indices.extend(setdefault(g, size(vocabulary)) for g in grams)
        else:
            ids = map(lookup, grams)
            indices.extend(i for i in ids if i is not None)
        indptr.append(len(indices))
    index_array = np.asarray(indices, dtype=np.int32)
    X = sp.csr_matrix(
        (np.ones(len(index_array)), index_array, np.asarray(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, len(vocabulary)),
    )
    X.sum_duplicates()  # repeated terms of a row add up to their count
    return X


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


def _normalize_rows(X: sp.csr_matrix) -> None:
    """Scale every row of X to unit L2 norm in place (empty rows stay empty)."""
    row_nnz = np.diff(X.indptr)
    row_of = np.repeat(np.arange(X.shape[0]), row_nnz)
    norms = np.sqrt(np.bincount(row_of, weights=np.square(X.data, dtype=np.float64),
                                minlength=X.shape[0]))
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, row_nnz).astype(X.dtype)


LARGEST_TABLE_COUNT = 1 << 16  # beyond this, the table covers only the counts that occur


def count_values(counts: np.ndarray, settings: FeatureSettings,
                 dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """``(index, value)``: X's value (before idf and scaling) of each count is
    ``value[index]``, in ``dtype``: the count itself, 1 (binary), or tf = 1 + ln(count)
    (sublinear tf-idf).

    A table, because counts are small integers: the numpy and compiled paths look the
    values up in the same table, so they agree bit for bit. It covers 0..max(counts), or,
    where a count is huge (a token repeated 65,536 times or more in one document), only
    the distinct counts, so that its size stays below the number of counts.
    """
    counts = np.asarray(counts)
    largest = int(counts.max(initial=0))
    if largest < LARGEST_TABLE_COUNT:
        index, table = counts, np.arange(largest + 1).astype(dtype)
    else:
        distinct, index = np.unique(counts, return_inverse=True)
        table = distinct.astype(dtype)
    if settings.weighting == "binary":
        return index, np.ones_like(table)
    if settings.weighting == "tfidf" and settings.sublinear_tf:
        table[table == 0] = 1.0  # no document has a count of 0 (ln 0 would warn)
        return index, (1.0 + np.log(table)).astype(dtype)
    return index, table


def weight_counts(
    counts: sp.csr_matrix, settings: FeatureSettings, idf: np.ndarray, dtype=np.float64
) -> sp.csr_matrix:
    """Feature values from counts (see the module docstring), then the bias column: [X | 1]."""
    if not counts.has_sorted_indices:
        counts = reorder_rows(counts)
    index, value = count_values(counts.data, settings, dtype)
    X = sp.csr_matrix((value[index], counts.indices, counts.indptr), shape=counts.shape)
    if settings.weighting == "tfidf":
        X.data *= idf[X.indices].astype(dtype)
        _normalize_rows(X)
    return add_bias_column(X)


def stack_rows(parts: Sequence[sp.csr_matrix], n_columns: int, dtype=np.float64) -> sp.csr_matrix:
    """The rows of several CSR matrices one under the other (``sp.vstack`` for CSR)."""
    if len(parts) == 1:
        return parts[0]
    nnz = sum(p.nnz for p in parts)
    indptr = np.zeros(sum(p.shape[0] for p in parts) + 1, np.int64)
    indices = np.empty(nnz, np.int32)
    data = np.empty(nnz, dtype)
    row = at = 0
    for p in parts:
        indptr[row + 1 : row + p.shape[0] + 1] = p.indptr[1:] + at
        indices[at : at + p.nnz] = p.indices
        data[at : at + p.nnz] = p.data
        row, at = row + p.shape[0], at + p.nnz
    return sp.csr_matrix((data, indices, indptr), shape=(row, n_columns))


_CONTEXT: dict = {}  # what a worker process needs besides its chunk (set once per pool)


def _set_context(context: dict) -> None:
    _CONTEXT.clear()
    _CONTEXT.update(context)


def _count_chunk(texts: list[str]):
    return count_chunk(texts, _CONTEXT["splitter"], _CONTEXT["ngrams"])


def _transform_chunk(texts: list[str]) -> sp.csr_matrix:
    return _CONTEXT["featurizer"]._transform_chunk(texts)


def map_chunks(function: Callable, context: dict, chunks: Iterable, jobs: int = 1,
               threads: bool = False) -> Iterator:
    """``map(function, chunks)`` with ``context`` set, on ``jobs`` workers when jobs > 1.

    Results come in the order of the chunks. With ``threads`` (for work done mostly by the
    compiled kernels of :mod:`textclf.jit`, which run without Python's GIL) the workers
    are threads: they share the context and hand back their results without copying.
    Otherwise they are processes; each gets ``context`` once, inherited through fork where
    the system has it, else pickled into the worker at its start.
    """
    _set_context(context)
    try:
        if jobs <= 1:
            yield from map(function, chunks)
        elif threads:
            yield from thread_map(function, chunks, jobs)
        else:
            if "fork" in multiprocessing.get_all_start_methods():
                pool = multiprocessing.get_context("fork").Pool(jobs)
            else:
                pool = multiprocessing.get_context().Pool(jobs, _set_context, (context,))
            with pool:
                yield from pool.imap(function, chunks)
    finally:
        _CONTEXT.clear()


def thread_map(function: Callable, chunks: Iterable, jobs: int, ahead: int = 2) -> Iterator:
    """``map`` on ``jobs`` threads, in order, with at most ``ahead``·jobs chunks in flight
    (so a stream is never read into memory as a whole); plain ``map`` for one."""
    if jobs <= 1:
        yield from map(function, chunks)
        return
    with ThreadPoolExecutor(jobs) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(function, chunk))
            if len(pending) >= ahead * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class Featurizer:
    """Vocabulary of n-grams and their weighting; ``transform`` gives [X | 1] as CSR.

    ``fit`` learns the vocabulary (terms in at least ``min_df`` documents, the
    ``max_features`` most frequent if set, sorted alphabetically), the document
    frequency df(t) of each term and, for tf-idf, idf(t).

    ``jobs`` workers featurise chunks of the corpus in parallel (same result as one; None:
    see :func:`workers`);
    ``dtype`` (float64 or float32) is the type of X's values. Neither is stored.
    """

    def __init__(self, settings: FeatureSettings | None = None, *, jobs: int | None = None,
                 dtype=np.float64, **kwargs):
        self.settings = settings or FeatureSettings(**kwargs)
        self.settings.validate()
        if self.settings.hash_bits is not None and type(self) is Featurizer:
            raise SettingsError("hashed features need HashingFeaturizer (make_featurizer)")
        self.jobs = _check_jobs(jobs)
        self.dtype = np.dtype(dtype)
        self.tokenizer = Tokenizer(self.settings)
        self.splitter = Splitter(self.settings.token_pattern, self.settings.lowercase)
        self.vocabulary: dict[str, int] = {}
        self.terms: Sequence[str] = []  # a TermNames after fit, a list after load
        self.document_frequency = np.zeros(0, dtype=np.int64)
        self.idf = np.zeros(0)
        self.n_documents = 0
        self._index: GramIndex | None = None
        self._index_arrays: tuple | None = None

    @property
    def n_features(self) -> int:
        """|F| + 1: the vocabulary and the bias column."""
        return len(self.terms) + 1

    @property
    def bias_index(self) -> int:
        return len(self.terms)

    def fit(self, texts: Sequence[str]) -> Featurizer:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Learn the vocabulary from ``texts`` and return their feature matrix [X | 1]."""
        with large_blocks_mapped():  # every large temporary freed goes back to the system
            return self._learn(texts)

    def _learn(self, texts: Iterable[str]) -> sp.csr_matrix:
        context = {"splitter": self.splitter, "ngrams": self.settings.ngrams}
        chunks = list(map_chunks(_count_chunk, context, chunks_of(texts), workers(self.jobs),
                                 threads=jit.enabled()))
        if not chunks:
            raise SettingsError("cannot fit the featurizer on zero documents")
        release_free_memory()  # the counting's temporaries, before the merge's
        threads = workers(self.jobs) if jit.enabled() else 1  # numpy, scipy: no GIL either
        merged = merge_chunks(chunks, threads)
        spaced = next((t for t in merged.tokens if " " in t), None)
        if spaced is not None:
            raise SettingsError(
                f"token_pattern made the token {spaced!r} with a space in it; n-gram terms "
                "are tokens joined by spaces, so tokens must not contain spaces"
            )
        F = merged.n_columns
        n_documents = sum(chunk.X.shape[0] for chunk in chunks)
        df = np.zeros(F, np.int32 if n_documents < 2**31 else np.int64)  # F can be millions
        # a chunk's document frequencies over its own columns, added where they map to
        # (a chunk's columns map to distinct global columns, so += adds each once)
        chunk_df = [np.bincount(chunk.X.indices, minlength=chunk.X.shape[1]).astype(np.int32)
                    for chunk in chunks]
        for counts, column_map in zip(chunk_df, merged.column_maps, strict=True):
            df[column_map] += counts
        candidates = np.flatnonzero(df >= self.settings.min_df)
        release_free_memory()  # the merge's temporaries
        T, length = merged.token_matrix(candidates)
        order = alphabetical_order(merged.tokens, T)
        limit = self.settings.max_features
        if limit is not None and len(order) > limit:
            # most frequent first; ties broken by term so the choice is deterministic
            alphabetical = np.empty(len(order), np.int64)
            alphabetical[order] = np.arange(len(order))
            top = np.lexsort((alphabetical, -df[candidates]))[:limit]
            order = top[np.argsort(alphabetical[top])]
        kept = candidates[order]
        T, length = T[order], length[order]
        self.vocabulary = {}
        self._index = None
        tokens = merged.tokens
        self._index_arrays = (tokens, T, length)  # GramIndex built when first needed
        merged.levels = []  # the n-gram tables are spelled out in T now
        final = np.full(F + 1, -1, np.int32)
        final[kept] = np.arange(len(kept))
        self.document_frequency = df[kept].astype(np.int64)
        self.n_documents = n_documents
        self.idf = np.log((1.0 + self.n_documents) / (1.0 + self.document_frequency)) + 1.0
        del df, candidates, order
        # [X | 1] written chunk by chunk into arrays of its final size
        kept_nnz = [int(counts[final[cmap] >= 0].sum())  # each chunk's kept entries
                    for counts, cmap in zip(chunk_df, merged.column_maps, strict=True)]
        del chunk_df
        out = _Rows(sum(kept_nnz) + self.n_documents, self.n_documents, len(kept) + 1,
                    self.dtype)
        if jit.enabled():  # each chunk's rows written in place, on all threads
            self._fill_compiled(out, chunks, merged.column_maps, final, kept_nnz, threads)
        else:
            def weighted(c: int) -> sp.csr_matrix:  # chunk c's rows of X, its counts freed
                chunk, column_map = chunks[c], merged.column_maps[c]
                chunks[c] = merged.column_maps[c] = None  # type: ignore[call-overload]
                return self._weight(_select_columns(chunk.X, final[column_map], len(kept)))

            for part in thread_map(weighted, range(len(chunks)), threads, ahead=1):
                out.append(part)
                del part
                release_free_memory()  # so the chunk's pages do not add to X's
        self.terms = TermNames(tokens, T, length)  # spelled out only when asked for
        return out.matrix()

    def _fill_compiled(self, out: _Rows, chunks: list, column_maps: list, final: np.ndarray,
                       kept_nnz: list[int], threads: int) -> None:
        """Fill ``out`` with every chunk's rows of [X | 1] by
        :func:`textclf.weight_kernels.fill_rows`: chunk c's rows and entries go where the
        chunks before it end (known from ``kept_nnz``), so the chunks fill in parallel."""
        n_rows = [chunk.X.shape[0] for chunk in chunks]
        first_row = np.cumsum([0, *n_rows])
        first_entry = np.cumsum([0, *(k + n for k, n in zip(kept_nnz, n_rows, strict=True))])
        n_columns = out.n_columns - 1
        idf = self.idf.astype(self.dtype)
        tfidf = self.settings.weighting == "tfidf"

        def fill(c: int) -> None:  # chunk c's rows of X, its counts freed
            counts, column_of = chunks[c].X, final[column_maps[c]]
            chunks[c] = column_maps[c] = None
            index, value = count_values(counts.data, self.settings, self.dtype)
            end = fill_rows(counts.indptr.astype(np.int64), counts.indices,
                            index.astype(np.int32), column_of, n_columns, value, idf,
                            tfidf, out.indptr, out.indices, out.data, first_row[c],
                            first_entry[c])
            if end != first_entry[c + 1]:
                raise RuntimeError(f"chunk {c} filled {end - first_entry[c]} entries of X, "
                                   f"expected {first_entry[c + 1] - first_entry[c]}")

        for _ in thread_map(fill, range(len(chunks)), threads, ahead=1):
            release_free_memory()  # so the chunk's pages do not add to X's
        out.row, out.at = int(first_row[-1]), int(first_entry[-1])

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Feature matrix [X | 1] of ``texts``; terms outside the vocabulary are dropped."""
        if self.n_documents == 0:
            raise SettingsError("the featurizer is not fitted: call fit first")
        self.index()  # built once here, not in every worker
        parts = list(map_chunks(_transform_chunk, {"featurizer": self}, chunks_of(texts),
                                workers(self.jobs), threads=jit.enabled()))
        if not parts:
            return sp.csr_matrix((0, self.n_features), dtype=self.dtype)
        return stack_rows(parts, self.n_features, self.dtype)

    def index(self) -> GramIndex:
        """The lookup from token ids to columns (built from the terms on first use)."""
        if self._index is None:
            if self._index_arrays is not None:
                self._index = GramIndex(*self._index_arrays)
            else:
                self._index = GramIndex.from_terms(self.terms, self.settings.ngrams)
            self._index_arrays = None
        return self._index

    def _transform_chunk(self, texts: list[str]) -> sp.csr_matrix:
        index = self.index()
        tok, doc = encode(texts, self.splitter, index.token_vocabulary())
        rows, columns = index.columns_of(tok, doc)
        return self._weight(count_matrix(rows, columns, (len(texts), len(self.terms))))

    def naive_counts(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Counts of the vocabulary's terms by :func:`naive_count_matrix` (for checking)."""
        if not self.vocabulary:
            self.vocabulary = {t: i for i, t in enumerate(self.terms)}
        return naive_count_matrix(texts, self.tokenizer, self.vocabulary, grow=False)

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        return weight_counts(counts, self.settings, self.idf, self.dtype)

    def feature_names(self) -> list[str]:
        """Names of the columns of X: the terms, then ``<bias>``."""
        return [*self.terms, "<bias>"]

    # persistence --------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able settings and vocabulary, and the arrays, for the model file."""
        meta = {"settings": asdict(self.settings), "terms": list(self.terms),
                "n_documents": self.n_documents}
        arrays = {"document_frequency": self.document_frequency, "idf": self.idf}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> Featurizer:
        featurizer = cls(FeatureSettings(**meta["settings"]))
        featurizer.terms = list(meta["terms"])
        featurizer.n_documents = int(meta["n_documents"])
        featurizer.document_frequency = arrays["document_frequency"]
        featurizer.idf = arrays["idf"]
        return featurizer


class _Rows:
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

    def matrix(self) -> sp.csr_matrix:
        X = sp.csr_matrix((self.data[: self.at], self.indices[: self.at], self.indptr),
                          shape=(self.row, self.n_columns))
        X.has_sorted_indices = True
        return X


def _select_columns(X: sp.csr_matrix, new_column: np.ndarray, n_columns: int) -> sp.csr_matrix:
    """X's entries moved to ``new_column[old]``; entries mapped to −1 are dropped."""
    columns = new_column.astype(np.int32)[X.indices]
    keep = columns >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    indptr = kept_before[X.indptr]  # kept entries before each row's start
    out = sp.csr_matrix((X.data[keep], columns[keep], indptr), shape=(X.shape[0], n_columns))
    out.has_sorted_indices = False
    return out


def _check_jobs(jobs: int | None) -> int | None:
    if jobs is not None and not (isinstance(jobs, int) and jobs >= 1):
        raise SettingsError(f"jobs must be a positive integer, got {jobs!r}")
    return jobs


MAX_AUTO_WORKERS = 4  # the serial merge limits what more threads could add


def workers(jobs: int | None) -> int:
    """How many workers featurise: ``jobs``, or for None the number that pays.

    That is one thread per core (at most :data:`MAX_AUTO_WORKERS`) where the compiled
    kernels do the work without the GIL, and one otherwise: for a corpus that fits in
    memory, handing chunk results between processes costs about what a second process
    saves.
    """
    if jobs is not None:
        return jobs
    return min(os.cpu_count() or 1, MAX_AUTO_WORKERS) if jit.enabled() else 1


def make_featurizer(settings: FeatureSettings, *, jobs: int | None = None,
                    dtype=np.float64):
    """A :class:`Featurizer`, or a :class:`~textclf.hashing.HashingFeaturizer` when the
    settings ask for ``hash_bits``."""
    if settings.hash_bits is not None:
        from textclf.hashing import HashingFeaturizer

        return HashingFeaturizer(settings, jobs=jobs, dtype=dtype)
    return Featurizer(settings, jobs=jobs, dtype=dtype)


def featurizer_from_state(meta: dict, arrays: dict[str, np.ndarray]):
    """Rebuild whichever featurizer wrote ``meta`` (see ``state()``)."""
    if meta.get("settings", {}).get("hash_bits") is not None:
        from textclf.hashing import HashingFeaturizer

        return HashingFeaturizer.from_state(meta, arrays)
    return Featurizer.from_state(meta, arrays)
