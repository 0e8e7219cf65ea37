"""Numerically stable building blocks: sigmoid and the losses computed from logits."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), evaluated without overflow for any z.

    For z ≥ 0 use 1/(1 + e^(−z)); for z < 0 the equal form e^z/(1 + e^z), so that the
    exponential is never of a large positive number.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def binary_cross_entropy_from_logits(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-document L_CE = −[y log σ(z) + (1−y) log(1−σ(z))], from the logits z.

    Since log σ(z) = −log(1+e^(−z)) and log(1−σ(z)) = −log(1+e^z), the loss equals
    log(1 + e^z) − y·z, computed as ``logaddexp(0, z) − y z``: finite for any z.
    """
    return np.logaddexp(0.0, z) - y * z


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """log softmax(z)ₖ = zₖ − log Σⱼ e^(zⱼ), row by row, through log-sum-exp.

    Subtracting the row maximum first (log Σ e^(zⱼ) = max z + log Σ e^(zⱼ − max z)) keeps
    every exponent ≤ 0, so nothing overflows for any logits.
    """
    Z = np.asarray(Z, dtype=np.float64)
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(Z: np.ndarray) -> np.ndarray:
    """ŷₖ = e^(zₖ) / Σⱼ e^(zⱼ) per row; rows sum to 1 (computed as exp(log softmax))."""
    return np.exp(log_softmax(Z))


def softmax_cross_entropy_from_logits(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-document L_CE = −log ŷ_y = log Σⱼ e^(zⱼ) − z_y, for class indices ``y``."""
    y = np.asarray(y, dtype=np.int64)
    return -log_softmax(Z)[np.arange(len(y)), y]


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Y with Yᵢₖ = 1 where yᵢ = k, else 0: the targets of softmax regression."""
    y = np.asarray(y, dtype=np.int64)
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def row_weighted(values: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """Row i of ``values`` times sᵢ: the weighted losses sᵢℓᵢ, or diag(s)·D for the rows of
    ∂L/∂Z. Without weights (None), ``values`` unchanged."""
    if sample_weight is None:
        return values
    s = np.asarray(sample_weight, dtype=np.float64)
    return values * (s if values.ndim == 1 else s[:, None])
