"""Sample weights: the objective Σᵢ sᵢ L⁽ⁱ⁾ for any textclf model, with the plain trainer.

Every textclf model's loss is a sum over rows of a loss of that row's logits zᵢ,
L = Σᵢ ℓ(zᵢ, yᵢ), and backpropagation starts from D = ∂L/∂Z, whose row i is ∂ℓ/∂zᵢ:

    sigmoid output   ℓ = log(1 + e^z) − y·z,        ∂ℓ/∂z = σ(z) − y
    softmax output   ℓ = log Σⱼ e^(zⱼ) − z_y,       ∂ℓ/∂z = ŷ − one_hot(y)

With weights, Σᵢ sᵢ ℓ(zᵢ, yᵢ) has ∂/∂Z = diag(s)·D: each row of D is scaled by its weight
and the rest of the backward pass is unchanged (∇θ = Xᵀ diag(s) D for the linear models;
the network sends diag(s) D back through its layers).

The training loop (:mod:`textclf.training.loop`) shuffles and slices rows of X together with y and
knows nothing of weights. So the weights ride along as one more column of X, the last:
[X | 1 | s]. :class:`WeightedModel` strips that column off before the model sees X.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.core.sparse import add_bias_column
from textclf.models import FeedForwardNetwork, LogisticRegression, Model, SoftmaxRegression
from textclf.models.functional import log_softmax, sigmoid
from textclf.models.proxy import ModelProxy
from textclf.models.sparse_gradient import transpose_product


def append_weight_column(X: sp.csr_matrix, weights: np.ndarray) -> sp.csr_matrix:
    """[X | s]: the weights sᵢ > 0 as a last column, stored as the last entry of each row."""
    if not (weights > 0).all():
        raise ValueError("rows of weight 0 must be removed before the weights join X")
    with_column = add_bias_column(X)
    with_column.data[with_column.indptr[1:] - 1] = weights
    return with_column


def split_weight_column(Xs: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """(X, s) from [X | s] built by :func:`append_weight_column` (and rows taken from it)."""
    last = Xs.indptr[1:] - 1
    weights = Xs.data[last]
    keep = np.ones(Xs.nnz, dtype=bool)
    keep[last] = False
    indptr = Xs.indptr - np.arange(Xs.shape[0] + 1)
    X = sp.csr_matrix((Xs.data[keep], Xs.indices[keep], indptr),
                      shape=(Xs.shape[0], Xs.shape[1] - 1))
    return X, weights


def row_losses_and_deltas(Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ℓ(zᵢ, yᵢ) per row and D = ∂ℓ/∂Z (same shape as Z), for either output.

    Z of shape (n,) or (n, 1) is one logit per row (sigmoid output); (n, K) with K ≥ 2 is
    a softmax output.
    """
    if Z.ndim == 1 or Z.shape[1] == 1:
        z = Z.reshape(-1)
        t = np.asarray(y, dtype=np.float64)
        losses = np.logaddexp(0.0, z) - t * z
        return losses, (sigmoid(z) - t).reshape(Z.shape)
    y = np.asarray(y, dtype=np.int64)
    log_Y_hat = log_softmax(Z)
    rows = np.arange(len(y))
    losses = -log_Y_hat[rows, y]
    D = np.exp(log_Y_hat)
    D[rows, y] -= 1.0
    return losses, D


class _WeightedLossLayer:
    """Stands in for a network's loss layer: Σᵢ sᵢ ℓᵢ forward, diag(s)·D backward."""

    def __init__(self, inner, weights: np.ndarray):
        self.inner, self.weights = inner, weights

    def forward(self, Z: np.ndarray, y: np.ndarray) -> float:
        self.inner.forward(Z, y)  # keeps what its backward needs
        losses, _ = row_losses_and_deltas(Z, y)
        return float(self.weights @ losses)

    def backward(self) -> np.ndarray:
        return self.inner.backward() * self.weights[:, None]


def weighted_loss_and_gradient_sum(model: Model, X: sp.csr_matrix, y: np.ndarray,
                                   weights: np.ndarray) -> tuple[float, dict]:
    """Σᵢ sᵢ L⁽ⁱ⁾ and Σᵢ sᵢ ∇L⁽ⁱ⁾ over the rows of X."""
    if isinstance(model, LogisticRegression | SoftmaxRegression):
        losses, D = row_losses_and_deltas(model.decision_function(X), y)
        D = D * (weights if D.ndim == 1 else weights[:, None])
        return float(weights @ losses), {"theta": transpose_product(X, D)}
    if isinstance(model, FeedForwardNetwork):
        plain = model.loss_layer
        model.loss_layer = _WeightedLossLayer(plain, weights)
        try:
            return model.loss_and_gradient_sum(X, y)
        finally:
            model.loss_layer = plain
    raise TypeError(f"sample weights are not implemented for {type(model).__name__}")


class WeightedModel(ModelProxy):
    """A model as the trainer sees it when X carries the weights as its last column.

    Parameters, penalties, biases, the training mode (dropout) and everything else the
    trainer asks for are the model's own; the loss, its gradient and predictions take the
    weight column off X first.
    """

    def loss_and_gradient_sum(self, Xs: sp.csr_matrix, y: np.ndarray) -> tuple[float, dict]:
        X, weights = split_weight_column(Xs)
        return weighted_loss_and_gradient_sum(self.model, X, y, weights)

    def loss_sum(self, Xs: sp.csr_matrix, y: np.ndarray) -> float:
        X, weights = split_weight_column(Xs)
        losses, _ = row_losses_and_deltas(self.model.decision_function(X), y)
        return float(weights @ losses)

    def predict(self, Xs: sp.csr_matrix) -> np.ndarray:
        return self.model.predict(split_weight_column(Xs)[0])
