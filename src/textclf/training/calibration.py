"""Temperature scaling: one scalar T that divides the scores, fitted on the dev set.

A model trained to minimise the training loss is often over-confident on new documents:
it says 0.99 where it is right 90% of the time. Temperature scaling (Guo et al., 2017)
keeps θ and divides every logit by one number T > 0:

    P(y | x) = σ(z/T)  or  softmax(z/T)     (multi-label: σ(zₗ/T) for every label)

T > 1 softens the probabilities, T < 1 sharpens them; T changes no arg max and no sign of
z, so no prediction at the 0.5 threshold changes. T minimises the dev set's log-loss

    NLL(T) = Σᵢ sᵢ ℓ(zᵢ/T, yᵢ)               (ℓ the model's cross-entropy, sᵢ the weights)

Written with β = 1/T the logits βz are linear in β, and the cross-entropy of linear logits
is convex, so NLL is convex in β and its derivative

    dNLL/dβ = Σᵢ sᵢ (ŷᵢ − yᵢ)·zᵢ            (ŷ = σ(βz) or softmax(βz), summed over the outputs)

rises from negative to positive: its root is the one minimum, found by Brent's method on
β ∈ [1/T_MAX, 1/T_MIN]. Where the derivative keeps its sign over the whole range (a dev
set the model separates perfectly wants T → 0), the nearer end of the range is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from textclf.errors import SettingsError
from textclf.models.base import Model
from textclf.models.functional import (
    binary_cross_entropy_from_logits,
    log_softmax,
    row_weighted,
    sigmoid,
    softmax_cross_entropy_from_logits,
)

T_MIN, T_MAX = 0.05, 20.0


@dataclass
class Calibration:
    """A fitted temperature and the dev log-loss (mean per document) before and after."""

    temperature: float
    dev_loss_before: float
    dev_loss_after: float


def output_of(model: Model, Z: np.ndarray) -> str:
    """How logits become probabilities: "sigmoid" (one score, or one per label of a
    multi-label model) or "softmax"."""
    return "sigmoid" if Z.ndim == 1 or model.multi_label else "softmax"


def mean_loss(Z: np.ndarray, y: np.ndarray, output: str, beta: float = 1.0,
              sample_weight: np.ndarray | None = None) -> float:
    """Σᵢ sᵢ ℓ(βzᵢ, yᵢ) / Σᵢ sᵢ."""
    if output == "sigmoid":
        losses = binary_cross_entropy_from_logits(beta * Z, np.asarray(y, np.float64))
        losses = losses if losses.ndim == 1 else losses.sum(axis=1)
    else:
        losses = softmax_cross_entropy_from_logits(beta * Z, y)
    total = len(losses) if sample_weight is None else float(np.sum(sample_weight))
    return float(row_weighted(losses, sample_weight).sum() / total)


def slope(Z: np.ndarray, y: np.ndarray, output: str, beta: float,
          sample_weight: np.ndarray | None) -> float:
    """dNLL/dβ = Σᵢ sᵢ (ŷᵢ − yᵢ)·zᵢ at β."""
    if output == "sigmoid":
        D = sigmoid(beta * Z) - np.asarray(y, np.float64)
    else:
        D = np.exp(log_softmax(beta * Z))
        D[np.arange(len(y)), np.asarray(y, np.int64)] -= 1.0
    per_row = D * Z if D.ndim == 1 else (D * Z).sum(axis=1)
    return float(row_weighted(per_row, sample_weight).sum())


def fit_temperature(model: Model, dev: tuple) -> Calibration:
    """T minimising the log-loss of ``model`` on ``dev`` = (X, y) or (X, y, weights)."""
    X, y, *weights = dev
    sample_weight = weights[0] if weights else None
    if X.shape[0] == 0:
        raise SettingsError("calibration needs dev documents; the dev set is empty")
    Z = np.asarray(model.decision_function(X), dtype=np.float64)
    output = output_of(model, Z)
    low, high = 1.0 / T_MAX, 1.0 / T_MIN
    if slope(Z, y, output, low, sample_weight) >= 0:
        beta = low
    elif slope(Z, y, output, high, sample_weight) <= 0:
        beta = high
    else:
        from scipy.optimize import brentq  # (imported when used: commands start fast)

        beta = brentq(lambda b: slope(Z, y, output, b, sample_weight), low, high, xtol=1e-10)
    return Calibration(1.0 / beta, mean_loss(Z, y, output, 1.0, sample_weight),
                       mean_loss(Z, y, output, beta, sample_weight))
