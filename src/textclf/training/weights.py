"""Class weights and sample weights: each document's loss and gradient term times sᵢ.

With a weight sᵢ ≥ 0 per document, training minimises the weighted mean loss

    J(θ) = Σᵢ sᵢ L⁽ⁱ⁾(θ) / Σᵢ sᵢ,          ∇J = Σᵢ sᵢ ∇L⁽ⁱ⁾ / Σᵢ sᵢ,

so a document of weight 2 counts exactly as the same document twice. For the models,
row i's loss and its row of D = ∂L/∂Z are multiplied by sᵢ: ∇θ = Xᵀ diag(s)(Ŷ − Y) for the
linear models, diag(s)·D sent back through a network (``Model.loss_and_gradient_sum``).

A document's weight is its class's weight times its own (a weight field of the corpus, or
scikit-learn's ``sample_weight``):

    sᵢ = c_{yᵢ} · wᵢ,        balanced:  c_k = n / (K · n_k)

(scikit-learn's definition: n documents, K classes, n_k of them in class k; every class
then carries the same total weight n/K). ``spam=5,ham=1`` gives the classes' c_k directly;
classes not named weigh 1.

Mini-batches: the weights are scaled to mean 1 over the training rows, sᵢ·n/Σⱼsⱼ
(:func:`mean_one`), and each step divides its batch's weighted sum by m, so
(1/m)·Σ_{i∈B} sᵢ∇L⁽ⁱ⁾ is an unbiased estimate of ∇J and η keeps its meaning whatever the
scale of the weights. Rows of weight 0 are left out of the steps: they would only take
places in the batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from textclf.errors import SettingsError
from textclf.training.settings import BALANCED


def class_weights(spec: str | Mapping[str, float], labels: Sequence[str],
                  counts: np.ndarray) -> np.ndarray:
    """c_k for each class k of ``labels`` (in their order), ``counts`` holding n_k (the
    documents of each class): balanced n/(K·n_k), or the weights named in ``spec`` (1 for a
    class not named)."""
    K = len(labels)
    if spec == BALANCED:
        counts = np.asarray(counts, dtype=np.float64)
        if not counts.all():
            missing = ", ".join(labels[k] for k in np.flatnonzero(counts == 0))
            raise SettingsError(f"class_weight 'balanced' needs documents of every class; "
                                f"none of: {missing}")
        return counts.sum() / (K * counts)
    unknown = sorted(set(spec) - set(map(str, labels)))
    if unknown:
        raise SettingsError(f"class_weight names label(s) {', '.join(map(repr, unknown))} that "
                            f"the data does not have (labels: {', '.join(map(str, labels))})")
    return np.array([spec.get(str(label), 1.0) for label in labels])


def checked_sample_weights(sample_weight: Any, n: int,
                           name: str = "sample_weight") -> np.ndarray | None:
    """Validated weights: shape (n,), finite, ≥ 0, not all zero (None stays None)."""
    if sample_weight is None:
        return None
    try:
        weights = np.array(sample_weight, dtype=np.float64)  # a copy: the caller's stays
    except (TypeError, ValueError) as err:
        raise SettingsError(f"{name} must be numbers ({err})") from err
    if weights.shape != (n,):
        raise SettingsError(f"{name} has shape {weights.shape}, expected ({n},): one weight "
                            "per sample")
    if not np.isfinite(weights).all():
        raise SettingsError(f"{name} must be finite (no NaN or infinity)")
    if (weights < 0).any():
        raise SettingsError(f"{name} must be non-negative")
    if not weights.any():
        raise SettingsError(f"{name} is zero for every sample; at least one weight must be "
                            "positive")
    return weights


def document_weights(targets: np.ndarray, labels: Sequence[str],
                     class_weight: str | Mapping[str, float] | None,
                     sample_weight: np.ndarray | None) -> np.ndarray | None:
    """sᵢ = c_{yᵢ}·wᵢ for each row (None when neither weight is given: all 1)."""
    if class_weight is None:
        return sample_weight
    if np.ndim(targets) != 1:
        raise SettingsError("class weights need single-label data (one class per document); "
                            "weigh multi-label documents with sample weights instead")
    counts = np.bincount(targets, minlength=len(labels))
    by_class = class_weights(class_weight, labels, counts)[targets]
    weights = by_class if sample_weight is None else by_class * sample_weight
    if not weights.any():
        raise SettingsError("every document has weight 0 (its class weight times its own)")
    return weights


def mean_one(weights: np.ndarray) -> np.ndarray:
    """sᵢ·n/Σⱼsⱼ: the weights scaled to mean 1 (J and its optimum are unchanged)."""
    return weights * (len(weights) / weights.sum())


def weighted_rows(weights: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(the rows to train on, their weights scaled to mean 1): rows of weight 0 are left
    out. (None, None) without weights: every row, each of weight 1."""
    if weights is None:
        return None, None
    rows = np.flatnonzero(weights > 0)
    return rows, mean_one(weights[rows])
