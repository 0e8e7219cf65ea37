"""Naive Bayes feature weighting (Wang and Manning 2012, "NBSVM"): the log-count ratio r.

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

Wang and Manning's interpolation (two classes) moves the trained weights toward the scaled
naive Bayes model: w' = (1 − β)·w̄ + β·w with w̄ = ‖w‖₁/|F|, so that w'ⱼrⱼ adds
(1 − β)·w̄·rⱼ, naive Bayes's own weight, to each feature (:func:`interpolate`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.core.sparse import normalize_rows
from textclf.errors import DataError, SettingsError


def class_totals(X: sp.csr_matrix, y: np.ndarray, n_classes: int,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """S[j, c] = Σ_{i: yᵢ = c} sᵢ·X[i, j]: the (|F|, K) column sums of each class's rows
    (sᵢ = 1 without sample weights, so that a weight of 2 is a document counted twice)."""
    n = X.shape[0]
    s = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    Y = sp.csr_matrix((s, (np.asarray(y), np.arange(n))), shape=(n_classes, n))
    return np.asarray((Y @ X).T.todense(), dtype=np.float64)


def present_totals(X: sp.csr_matrix, y: np.ndarray, n_classes: int,
                   weights: np.ndarray | None = None) -> np.ndarray:
    """:func:`class_totals` of the binary x̂ of [X | 1] (a feature counts where X has a
    value), bias excluded: one bincount over (class, column) of the stored entries."""
    n_columns = X.shape[1] - 1
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


def ratios_from_totals(S: np.ndarray, alpha: float) -> np.ndarray:
    """R[j, c] from S[j, c], the number of class-c documents with feature j.

    The features are those seen in training (a hashed column no n-gram fell in is none):
    ‖p‖₁ and ‖q‖₁ sum over them, and an unseen one gets r = 0, as a vocabulary drops it."""
    seen = S.sum(axis=1) > 0
    p = alpha + S
    q = alpha + (S.sum(axis=1, keepdims=True) - S)
    R = np.log(p / p[seen].sum(axis=0)) - np.log(q / q[seen].sum(axis=0))
    R[~seen] = 0.0
    return R


def feature_scale(R: np.ndarray) -> np.ndarray:
    """The one value per feature that multiplies x̂ⱼ: rⱼ of labels[1] for two classes,
    max_c |r_cⱼ| for more."""
    if R.shape[1] == 2:
        return R[:, 1].copy()
    return np.abs(R).max(axis=1)


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
        their labels."""
        if labels is None:
            raise SettingsError("nb weighting learns from the labels: give the training "
                                "labels to fit (fit_transform(texts, labels))")
        if len(labels) != X.shape[0]:
            raise DataError(f"{X.shape[0]} documents but {len(labels)} labels")
        y, names = class_indices(labels)
        if len(names) < 2:
            raise DataError("nb weighting needs at least two classes in the labels")
        R = ratios_from_totals(present_totals(X, y, len(names), weights), alpha)
        return cls(feature_scale(R), alpha)

    def apply(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """x ← s ⊙ x scaled to unit length, the bias column left at 1 (in place)."""
        bias_at = np.flatnonzero(X.indices == X.shape[1] - 1)
        scale = np.append(self.scale, 1.0).astype(X.dtype)
        X.data *= scale[X.indices]
        X.data[bias_at] = 0.0  # out of the norms (and of the rows' scaling) ...
        normalize_rows(X)
        X.data[bias_at] = 1.0  # ... and back
        return X


def interpolate(weights: np.ndarray, beta: float) -> np.ndarray:
    """w' = (1 − β)·w̄ + β·w, w̄ = ‖w‖₁/|F| (Wang and Manning's interpolation), for the
    weights of binary logistic regression (bias excluded)."""
    mean_magnitude = float(np.abs(weights).mean()) if len(weights) else 0.0
    return (1.0 - beta) * mean_magnitude + beta * weights


def interpolate_trained(model, settings) -> None:
    """Apply ``settings.nb_beta`` (if any, with an nb weighting) to a trained model's θ, in
    place: :func:`interpolate` of the weights, the bias kept. Binary logistic regression
    only (one weight per feature, signed like r)."""
    beta = settings.nb_beta
    if beta is None or not settings.uses_labels:
        return
    if model.kind != "logistic":
        raise SettingsError("nb_beta interpolates binary logistic regression's weights: it "
                            f"does not apply to model {model.kind!r}")
    model.theta[:-1] = interpolate(model.theta[:-1], beta)
