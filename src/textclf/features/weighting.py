"""Feature values from counts: count, binary or tf-idf, then the bias column (the nb
weighting starts from binary values: :mod:`textclf.features.naive_bayes`).

    tfidf(t, d) = tf(t, d) · idf(t),   tf = 1 + ln(count) (sublinear),
    idf(t) = ln((1 + N) / (1 + df(t))) + 1,

with each row's term part scaled to unit Euclidean length (the bias column stays 1).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.core.memory import release_free_memory
from textclf.core.parallel import ordered_map
from textclf.core.sparse import RowFiller, add_bias_column, normalize_rows, reorder_rows
from textclf.errors import SettingsError
from textclf.features.settings import FeatureSettings
from textclf.kernels.rows import fill_rows

LARGEST_TABLE_COUNT = 1 << 16  # beyond this, the table covers only the counts that occur
MAX_DOCUMENTS = 2**53  # training documents counted: integers float64 holds exactly


def inverse_document_frequency(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """idf(t) = ln((1 + N) / (1 + df(t))) + 1: rarer terms weigh more; a term in every
    document keeps weight 1 (the smoothing counts one extra document holding every term)."""
    return np.log((1.0 + n_documents) / (1.0 + np.asarray(document_frequency))) + 1.0


def check_document_counts(n_documents: object, document_frequency: np.ndarray | None = None,
                          idf: np.ndarray | None = None) -> int:
    """N and df(t) from a model file, checked: 1 ≤ N ≤ 2⁵³ training documents, each df(t)
    an integer from 0 to N, and idf(t) the value the formula gives for them (up to
    rounding), so that every tf-idf value is finite and between 0 and ln(1 + N) + 1.
    Returns N."""
    if isinstance(n_documents, bool) or not isinstance(n_documents, int | np.integer) \
            or not 1 <= n_documents <= MAX_DOCUMENTS:
        raise SettingsError(f"n_documents must be an integer from 1 to {MAX_DOCUMENTS}, got "
                            f"{n_documents!r}")
    n_documents = int(n_documents)
    if document_frequency is None:
        return n_documents
    df = np.asarray(document_frequency)
    if df.dtype.kind not in "iu":
        raise SettingsError(f"the document frequencies are {df.dtype}, not integers")
    if df.size and not (df.min() >= 0 and df.max() <= n_documents):
        raise SettingsError(f"a document frequency is below 0 or above the {n_documents} "
                            "training documents")
    if idf is not None:
        expected = inverse_document_frequency(df, n_documents)
        if idf.shape != expected.shape or not np.allclose(idf, expected, rtol=1e-6, atol=0):
            raise SettingsError("the idf values are not ln((1 + N)/(1 + df)) + 1 of the "
                                "file's document frequencies")
    return n_documents


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
    if settings.weighting in ("binary", "nb"):  # nb: binary, scaled later by r
        return index, np.ones_like(table)
    if settings.uses_idf and settings.sublinear_tf:
        table[table == 0] = 1.0  # no document has a count of 0 (ln 0 would warn)
        return index, (1.0 + np.log(table)).astype(dtype)
    return index, table


def weight_counts(counts: sp.csr_matrix, settings: FeatureSettings, idf: np.ndarray | None,
                  dtype=np.float64) -> sp.csr_matrix:
    """Feature values from counts (see the module docstring), then the bias column: [X | 1]."""
    if not counts.has_sorted_indices:
        counts = reorder_rows(counts)
    index, value = count_values(counts.data, settings, dtype)
    X = sp.csr_matrix((value[index], counts.indices, counts.indptr), shape=counts.shape)
    if settings.uses_idf:
        X.data *= idf[X.indices].astype(dtype)
        normalize_rows(X)
    return add_bias_column(X)


def fill_weighted(out: RowFiller, counts: sp.csr_matrix, column_of: np.ndarray | None,
                  settings: FeatureSettings, idf: np.ndarray, row0: int, at0: int) -> int:
    """Write the rows of [X | 1] that :func:`weight_counts` makes of ``counts`` (over their
    own columns; ``column_of[j]``: column j's column of X, −1 to drop it; None: the counts'
    columns are X's) into ``out`` from row ``row0`` and entry ``at0`` on, compiled
    (:func:`textclf.kernels.rows.fill_rows`: the same values bit for bit, on any thread).
    ``idf`` in X's dtype. Returns the entry after the last one written.

    Where X's columns are many for the chunk (hashed ones), each row's columns are put in
    order by their ranks among the chunk's columns (a sort of those), not by X's columns.
    """
    index, value = count_values(counts.data, settings, out.data.dtype)
    indices = counts.indices.astype(np.int32, copy=False)
    ranked = np.zeros(0, np.int32)
    if column_of is None and out.n_columns > 4 * counts.nnz + 1024:
        ranked = np.unique(indices)
        indices = np.searchsorted(ranked, indices).astype(np.int32)
    return fill_rows(counts.indptr.astype(np.int64, copy=False), indices, index.astype(np.int32),
                     np.zeros(0, np.int32) if column_of is None
                     else column_of.astype(np.int32, copy=False), ranked,
                     out.n_columns - 1, value, idf, settings.uses_idf, out.indptr,
                     out.indices, out.data, row0, at0)


def fill_chunks(counts: list[sp.csr_matrix], column_maps: list[np.ndarray] | None,
                final: np.ndarray | None, kept: list[int], n_columns: int,
                settings: FeatureSettings, idf: np.ndarray, dtype,
                threads: int) -> sp.csr_matrix:
    """[X | 1] (|F| = ``n_columns``) of the chunks' counts, each chunk's rows written in
    place by :func:`fill_weighted` on ``threads`` threads: chunk c's rows and entries go
    where the chunks before it end, known from ``kept[c]``, its entries that have a column.
    Chunk c's column j is X's column ``final[column_maps[c][j]]`` (None: the counts'
    columns are X's). Each chunk's counts and map are dropped from the lists once
    written."""
    n_rows = [c.shape[0] for c in counts]
    first_row = np.cumsum([0, *n_rows])
    first_entry = np.cumsum([0, *(k + n for k, n in zip(kept, n_rows, strict=True))])
    out = RowFiller(int(first_entry[-1]), int(first_row[-1]), n_columns + 1, dtype)
    idf = idf.astype(dtype)

    def fill(c: int) -> None:
        chunk, columns = counts[c], None if column_maps is None else final[column_maps[c]]
        counts[c] = None  # type: ignore[call-overload]
        if column_maps is not None:
            column_maps[c] = None  # type: ignore[call-overload]
        end = fill_weighted(out, chunk, columns, settings, idf, first_row[c], first_entry[c])
        if end != first_entry[c + 1]:
            raise RuntimeError(f"chunk {c} filled {end - first_entry[c]} entries of X, "
                               f"expected {first_entry[c + 1] - first_entry[c]}")

    for _ in ordered_map(fill, range(len(counts)), threads, ahead=1):
        release_free_memory()  # so the chunk's pages do not add to X's
    out.row, out.at = int(first_row[-1]), int(first_entry[-1])
    return out.matrix()
