"""The model's outputs seen uniformly as C score columns, and what each term alone does.

A sigmoid output has one score z (toward ``labels[1]``; negative values point to
``labels[0]``), a softmax output one score per class. For logistic and softmax regression
the score is exactly Σⱼ θⱼₖxⱼ + b_k; a network's is not.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.models.base import Model
from textclf.models.settings import LINEAR_KINDS

MODEL_NAMES = {
    "logistic": "binary logistic regression",
    "softmax": "softmax regression",
    "multilabel": "multi-label logistic regression (a sigmoid per label)",
    "mlp": "feedforward network (MLP)",
    "nb": "multinomial naive Bayes",
}
METHOD_LINEAR = "weight × value"
METHOD_GRADIENT = "gradient × input"


def is_linear(model: Model) -> bool:
    """True where the score is exactly Σⱼ θⱼₖxⱼ + b_k (logistic and softmax regression)."""
    return getattr(model, "kind", None) in LINEAR_KINDS


def scores(model: Model, X: sp.csr_matrix) -> np.ndarray:
    """The logits as an (n, C) array: C = 1 for a sigmoid output, C = K for softmax."""
    z = np.asarray(model.decision_function(X), dtype=np.float64)
    return z.reshape(X.shape[0], -1)


def output_labels(labels: list[str], n_outputs: int, multi_label: bool = False) -> list[str]:
    """The class each score column points to: ``labels[1]`` for one sigmoid score (of a
    single-label model)."""
    return [labels[1]] if n_outputs == 1 and not multi_label else list(labels)


def linear_theta(model: Model) -> np.ndarray:
    """θ of a linear model as an (|F|+1, C) matrix, bias in the last row."""
    theta = np.asarray(model.theta, dtype=np.float64)
    return theta.reshape(theta.shape[0], -1)


def empty_documents(n_columns: int, n: int = 1) -> sp.csr_matrix:
    """n rows [0 … 0 | 1]: documents without any known feature."""
    return sp.csr_matrix(
        (np.ones(n), np.full(n, n_columns - 1), np.arange(n + 1)), shape=(n, n_columns)
    )


def term_effects(model: Model, n_terms: int, batch: int = 4096,
                 values: np.ndarray | None = None,
                 scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each term's weight toward each score: an (|F|, C) matrix, and the (C,) baseline.

    A term's weight is its effect per unit of its count / binary / tf-idf value, before any
    label-dependent scaling (docs/explain.md). ``scale[j]`` is that scaling sⱼ (the nb
    weightings' rⱼ; default 1) and ``values[j]`` the value xⱼ a document made of term j
    alone has (``Featurizer.lone_values``; default 1). For a linear model the weight is
    θⱼ·sⱼ exactly, and the baseline the bias b. For a network it is the measured effect of
    the lone-term document, z_k(xⱼeⱼ) − z_k(0) (:func:`measured_term_effects`), per unit of
    the term's value in it, xⱼ/sⱼ; this matches ``TextClassifier.top_features`` and
    ``textclf inspect``.
    """
    scale = np.ones(n_terms) if scale is None else np.asarray(scale, dtype=np.float64)
    if is_linear(model):
        theta = linear_theta(model)
        return theta[:-1] * scale[:, None], theta[-1]
    values = np.ones(n_terms) if values is None else np.asarray(values, dtype=np.float64)
    effects, baseline = measured_term_effects(model, n_terms, batch, values)
    unscaled = np.divide(values, scale, out=np.zeros(n_terms), where=scale != 0)
    per_unit = np.divide(1.0, unscaled, out=np.zeros(n_terms), where=unscaled != 0)
    return effects * per_unit[:, None], baseline


def measured_term_effects(model: Model, n_terms: int, batch: int = 4096,
                          values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """z_k(eⱼ) − z_k(0) for every term j, and z(0): the score of a document made of term j
    alone (value ``values[j]``, default 1, which is what a one-word document gets under
    tf-idf; sign(rⱼ) under the nb weightings) minus the
    score of an empty document. With K > 2 softmax outputs the effects are centred over the
    classes (each row minus its mean), since softmax only sees differences between logits;
    a multi-label network's sigmoids each see their own logit, so they are not. The
    documents go through the model ``batch`` at a time."""
    n_columns = n_terms + 1
    baseline = scores(model, empty_documents(n_columns))[0]
    effects = []
    for start in range(0, n_terms, batch):
        rows = np.arange(start, min(start + batch, n_terms))
        m = len(rows)
        indices = np.column_stack([rows, np.full(m, n_terms)]).ravel()
        data = np.ones(2 * m)
        if values is not None:
            data[0::2] = values[rows]
        X = sp.csr_matrix((data, indices, np.arange(0, 2 * m + 1, 2)), shape=(m, n_columns))
        effects.append(scores(model, X) - baseline)
    if not effects:
        return np.zeros((0, len(baseline))), baseline
    effects = np.vstack(effects)
    if effects.shape[1] > 1 and not model.multi_label:
        effects -= effects.mean(axis=1, keepdims=True)
    return effects, baseline
