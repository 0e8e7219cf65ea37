"""Feature values from counts: count, binary, tf-idf and the naive Bayes ratios, then the
bias column.

    tfidf(t, d) = tf(t, d) · idf(t),   tf = 1 + ln(count) (sublinear),
    idf(t) = ln((1 + N) / (1 + df(t))) + 1,

with each row's term part scaled to unit Euclidean length (the bias column stays 1).

**Naive Bayes** (Wang and Manning 2012, "NBSVM"): the log-count ratio r.
With binary features x̂ⱼ = 1{feature j in the document} and the documents of class c
apart from the rest (one-vs-rest),

    p = α + Σ_{i: yᵢ = c} x̂⁽ⁱ⁾,   q = α + Σ_{i: yᵢ ≠ c} x̂⁽ⁱ⁾,
    r_c = log( (p / ‖p‖₁) / (q / ‖q‖₁) ),

so r_cⱼ > 0 where feature j is more frequent in class c than elsewhere (α smooths features
seen in one class only). With two classes r = r_{labels[1]} (and r_{labels[0]} = −r); a
document's features are then x = r ⊙ x̂ (weighting ``nb``; ``tfidf-nb`` scales the tf-idf
values instead, x = r ⊙ tfidf), scaled to unit length, and logistic regression is trained
on x.

A softmax model shares one x among its K classes, so with K > 2 each feature is scaled by
its strongest one-vs-rest ratio, sⱼ = max_c |r_cⱼ|: the feature that singles out some class
gets the larger value (for a linear model trained from θ = 0 by gradient steps, scaling a
feature by s is a learning rate s² of its weights; the sign is learned anyway).

Multi-label data (a 0/1 matrix Y, a sigmoid per label) is one-vs-rest per label: for label
c, p counts the documents having c and q those not having it, q = α + (T − S_c) with T the
column totals over all documents (a document of several labels, or none, is in several
q's); the model has an output per label, so the scale is sⱼ = max_c |r_cⱼ| as for K > 2.
With sample (and class) weights a document of weight s counts s times in S and T.

Wang and Manning's interpolation (two classes) moves the trained weights toward the scaled
naive Bayes model: w' = (1 − β)·w̄ + β·w with w̄ = ‖w‖₁/|F|, so that w'ⱼrⱼ adds
(1 − β)·w̄·rⱼ, naive Bayes's own weight, to each feature (:func:`interpolate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.core.memory import release_free_memory
from textclf.core.parallel import ordered_map
from textclf.core.sparse import RowFiller, add_bias_column, normalize_rows, reorder_rows
from textclf.errors import DataError, SettingsError
from textclf.features.settings import FeatureSettings
from textclf.kernels import rows as row_kernels
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

# naive bayes --------------------------------------------------------------------------
def class_totals(X: sp.csr_matrix, y: np.ndarray, n_classes: int,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """S[j, c] = Σ_{i: yᵢ = c} sᵢ·X[i, j]: the (|F|, K) column sums of each class's rows
    (sᵢ = 1 without sample weights, so that a weight of 2 is a document counted twice)."""
    n = X.shape[0]
    s = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    Y = sp.csr_matrix((s, (np.asarray(y), np.arange(n))), shape=(n_classes, n))
    return np.asarray((Y @ X).T.todense(), dtype=np.float64)


def present_totals(X: sp.csr_matrix, y: np.ndarray, n_classes: int,
                   weights: np.ndarray | None = None,
                   n_columns: int | None = None) -> np.ndarray:
    """:func:`class_totals` of the binary x̂ of [X | 1] (a feature counts where X has a
    value), bias excluded (X's first ``n_columns`` columns): one bincount over (class,
    column) of the stored entries."""
    n_columns = X.shape[1] - 1 if n_columns is None else n_columns
    if jit.worth(X.nnz):  # one compiled pass over X's entries, in the same order
        s = np.zeros(0) if weights is None else np.asarray(weights, dtype=np.float64)
        return row_kernels.present_totals(X.indptr.astype(np.int64, copy=False),
                                          X.indices.astype(np.int32, copy=False),
                                          np.asarray(y, np.int64), s, n_columns, n_classes)
    row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    keep = X.indices < n_columns
    cell = np.asarray(y)[row_of[keep]] * n_columns + X.indices[keep]
    s = None if weights is None else np.asarray(weights, dtype=np.float64)[row_of[keep]]
    counts = np.bincount(cell, weights=s, minlength=n_classes * n_columns)
    return counts.reshape(n_classes, n_columns).T.astype(np.float64)


def log_count_ratios(X_binary: sp.csr_matrix, y: np.ndarray, n_classes: int,
                     alpha: float, weights: np.ndarray | None = None) -> np.ndarray:
    """R[j, c] = r_cⱼ (see the module docstring) from binary features (no bias column)."""
    return ratios_from_totals(class_totals(X_binary, y, n_classes, weights), alpha)


def ratios_from_totals(S: np.ndarray, alpha: float,
                       totals: np.ndarray | None = None) -> np.ndarray:
    """R[j, c] from S[j, c], the (weighted) number of documents of class or label c with
    feature j, and ``totals`` T[j], that of all documents (default Σ_c S[j, c]: single-label
    data, where every document has one class).

    The features are those seen in training (a hashed column no n-gram fell in is none):
    ‖p‖₁ and ‖q‖₁ sum over them, and an unseen one gets r = 0, as a vocabulary drops it."""
    T = S.sum(axis=1) if totals is None else np.asarray(totals, dtype=np.float64)
    seen = T > 0
    p = alpha + S
    q = alpha + np.maximum(T[:, None] - S, 0.0)  # (rounding of weighted sums: never < 0)
    R = np.log(p / p[seen].sum(axis=0)) - np.log(q / q[seen].sum(axis=0))
    R[~seen] = 0.0
    return R


def feature_scale(R: np.ndarray, multi_label: bool = False) -> np.ndarray:
    """The one value per feature that multiplies x̂ⱼ: rⱼ of labels[1] for two classes,
    max_c |r_cⱼ| for more, and for multi-label data (an output per label)."""
    if R.shape[1] == 2 and not multi_label:
        return R[:, 1].copy()
    return np.abs(R).max(axis=1)


@dataclass(frozen=True)
class Targets:
    """What the ratios learn from: class indices ``y`` (n,) of ``n_outputs`` classes, or for
    multi-label data the 0/1 matrix ``y`` (n, L) of the documents' labels. A classifier
    passes these (every class it knows counted, present in the documents or not)."""

    y: np.ndarray
    n_outputs: int
    multi_label: bool = False


def as_targets(labels) -> Targets:
    """``labels`` as :class:`Targets`: as they are, a 2-D 0/1 array as multi-label data, or
    a sequence of labels (classes in sorted order of their names; at least two)."""
    if isinstance(labels, Targets):
        return labels
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        return Targets((labels != 0).astype(np.float64), labels.shape[1], True)
    y, names = class_indices(labels)
    if len(names) < 2:
        raise DataError("nb weighting needs at least two classes in the labels")
    return Targets(y, len(names))


def label_totals(X: sp.csr_matrix, targets: Targets, weights: np.ndarray | None = None,
                 n_columns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(S, T): S[j, c] the (weighted) documents of class or label c in which feature j has
    a value, T[j] that of all documents; the features are X's first ``n_columns`` columns
    (default: all but the last, the bias of [X | 1])."""
    n_columns = X.shape[1] - 1 if n_columns is None else n_columns
    if not targets.multi_label:
        S = present_totals(X, targets.y, targets.n_outputs, weights, n_columns)
        return S, S.sum(axis=1)
    keep = X.indices < n_columns
    row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
    binary = sp.csr_matrix((np.ones(len(row_of)), (X.indices[keep], row_of)),
                           shape=(n_columns, X.shape[0]))  # x̂ᵀ (duplicates summed: ≥ 1)
    binary.data[:] = 1.0
    s = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    Y = sp.csr_matrix(np.asarray(targets.y, dtype=np.float64) * s[:, None])
    return np.asarray((binary @ Y).todense(), dtype=np.float64), binary @ s


def class_indices(labels, names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Class indices of ``labels`` in sorted order of the names (as the classifier has them)."""
    names = names if names is not None else sorted(set(map(str, labels)))
    index = {name: k for k, name in enumerate(names)}
    try:
        y = np.fromiter((index[str(label)] for label in labels), np.int64, len(labels))
    except KeyError as err:
        raise DataError(f"label {err.args[0]!r} is not among the classes") from None
    return y, names


class NaiveBayesScale:
    """The learned scale s (|F|,) and applying it to [X | 1] (binary or tf-idf values, bias
    last)."""

    def __init__(self, scale: np.ndarray, alpha: float):
        self.scale = np.asarray(scale, dtype=np.float64)
        self.alpha = alpha

    @classmethod
    def fit(cls, X: sp.csr_matrix, labels, alpha: float,
            weights: np.ndarray | None = None) -> NaiveBayesScale:
        """Learn s from [X | 1] of the training documents (x̂ⱼ = 1 where X has a value) and
        their labels (:func:`as_targets`), each document counted ``weights`` times."""
        if labels is None:
            raise SettingsError("nb weighting learns from the labels: give the training "
                                "labels to fit (fit_transform(texts, labels))")
        targets = as_targets(labels)
        if len(targets.y) != X.shape[0]:
            raise DataError(f"{X.shape[0]} documents but {len(targets.y)} labels")
        return cls.from_totals(*label_totals(X, targets, weights), alpha, targets.multi_label)

    @classmethod
    def from_totals(cls, S: np.ndarray, T: np.ndarray | None, alpha: float,
                    multi_label: bool = False) -> NaiveBayesScale:
        """The scale from the totals of :func:`label_totals` (or summed chunk by chunk)."""
        return cls(feature_scale(ratios_from_totals(S, alpha, T), multi_label), alpha)

    def apply(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """x ← s ⊙ x scaled to unit length, the bias column left at 1 (in place)."""
        scale = np.append(self.scale, 1.0).astype(X.dtype)
        if jit.worth(X.nnz) and X.data.flags.c_contiguous:  # X.data scaled in place
            row_kernels.scale_rows(X.indptr.astype(np.int64, copy=False),
                                   X.indices.astype(np.int32, copy=False), X.data, scale,
                                   X.shape[1] - 1, 0, X.shape[0])
            return X
        bias_at = np.flatnonzero(X.indices == X.shape[1] - 1)
        X.data *= scale[X.indices]
        X.data[bias_at] = 0.0  # out of the norms (and of the rows' scaling) ...
        normalize_rows(X)
        X.data[bias_at] = 1.0  # ... and back
        return X


class LabelTotals:
    """S and T of :func:`label_totals` summed chunk by chunk, in float64 (streaming
    training's first pass, before the labels are all known): per label a vector over the
    columns, and the totals over all documents."""

    def __init__(self, n_columns: int):
        self.n_columns = n_columns
        self.by_label: dict[str, np.ndarray] = {}
        self.total = np.zeros(n_columns)

    def add(self, X: sp.csr_matrix, label_sets: Sequence[Sequence[str]],
            weights: np.ndarray | None = None) -> None:
        """Add one chunk: its counts X (columns < ``n_columns`` are features), each
        document's labels and its own weight. Only the columns the chunk has are summed."""
        X = X.tocsr()
        keep = X.indices < self.n_columns
        used, column = np.unique(X.indices[keep], return_inverse=True)
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
        local = sp.csr_matrix((np.ones(len(rows)), (rows, column)),
                              shape=(X.shape[0], len(used) + 1))
        names = sorted({label for labels in label_sets for label in labels})
        index = {name: c for c, name in enumerate(names)}
        Y = np.zeros((len(label_sets), len(names)))
        for i, labels in enumerate(label_sets):
            Y[i, [index[label] for label in labels]] = 1.0
        S, T = label_totals(local, Targets(Y, len(names), True), weights)
        for name, c in index.items():
            column_sums = self.by_label.setdefault(name, np.zeros(self.n_columns))
            column_sums[used] += S[:, c]
        self.total[used] += T

    def scale(self, labels: Sequence[str], alpha: float, multi_label: bool,
              by_class: np.ndarray | None = None) -> NaiveBayesScale:
        """The scale for the classifier's ``labels`` (in its order); ``by_class``: the
        class weights c_k of single-label data (class k's documents count c_k times)."""
        S = np.column_stack([self.by_label.get(label, np.zeros(self.n_columns))
                             for label in labels])
        if multi_label:
            return NaiveBayesScale.from_totals(S, self.total, alpha, True)
        return NaiveBayesScale.from_totals(S if by_class is None else S * by_class, None,
                                           alpha)


def interpolate(weights: np.ndarray, beta: float) -> np.ndarray:
    """w' = (1 − β)·w̄ + β·w, w̄ = ‖w‖₁/|F| (Wang and Manning's interpolation), for the
    weights of binary logistic regression (bias excluded)."""
    mean_magnitude = float(np.abs(weights).mean()) if len(weights) else 0.0
    return (1.0 - beta) * mean_magnitude + beta * weights


def check_interpolation(settings, model_kind: str) -> None:
    """Refuse ``nb_beta`` for a model other than binary logistic regression, before any
    work (:func:`interpolate_trained` interpolates its weights)."""
    if settings.nb_beta is not None and model_kind != "logistic":
        raise SettingsError("nb_beta interpolates binary logistic regression's weights: it "
                            f"does not apply to model {model_kind!r}")


def interpolate_trained(model, settings) -> None:
    """Apply ``settings.nb_beta`` (if any, with an nb weighting) to a trained model's θ, in
    place: :func:`interpolate` of the weights, the bias kept. Binary logistic regression
    only (one weight per feature, signed like r)."""
    beta = settings.nb_beta
    if beta is None or not settings.uses_labels:
        return
    check_interpolation(settings, model.kind)
    model.theta[:-1] = interpolate(model.theta[:-1], beta)
