"""Multi-label logistic regression: one sigmoid output per label, trained together.

A document may carry any number of the L labels. Each label l is the lecture's binary
logistic regression with its own column θ[:, l] of weights (the last row the biases,
matching the dummy feature 1 in X's last column). For a mini-batch X with the 0/1 label
matrix Y (m × L):

    Z = Xθ                           (m × L logits)
    Ŷ = σ(Z)                         (each entry on its own: labels do not compete)
    L = Σᵢ Σₗ −[Yᵢₗ log Ŷᵢₗ + (1−Yᵢₗ) log(1−Ŷᵢₗ)]     (the sum of the per-label cross-entropies)
    ∇L = Xᵀ(Ŷ − Y)                   (the trainer divides by m: ∇ = (1/m)·Xᵀ(Ŷ − Y))

With sample weights sᵢ, L = Σᵢ sᵢ Σₗ Lᵢₗ and ∇L = Xᵀ diag(s)(Ŷ − Y). Column l of the
gradient is exactly binary logistic regression's gradient for label l, so the L models
learn in one pass over the data what L separate one-vs-rest fits would.

θ has softmax regression's shape, (|F|+1) × L, and its parameters, penalties, biases and
configuration are handled the same way (this class extends it); only the output differs:
a sigmoid per column instead of one softmax over the row.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.base import initial_parameters
from textclf.models.functional import binary_cross_entropy_from_logits, row_weighted, sigmoid
from textclf.models.softmax import SoftmaxRegression
from textclf.models.sparse_gradient import RowSparse, transpose_product


class MultiLabelLogisticRegression(SoftmaxRegression):
    """Ŷ = σ(Xθ): an independent probability per label, θ of shape (|F|+1, L), biases last.

    Targets are 0/1 matrices (n × L); :meth:`predict` gives the labels whose probability
    exceeds 0.5 (z > 0). Decisions by other thresholds or the top k labels are made on
    :meth:`predict_proba` (:mod:`textclf.evaluation.decisions`). ``n_classes`` is L.
    """

    kind = "multilabel"
    multi_label = True
    min_classes = 1

    def reset(self, n_features: int, n_classes: int) -> None:
        """θ of shape (n_features, L) for L = ``n_classes`` labels: zeros or small values."""
        if n_classes < 1:
            raise SettingsError(f"a multi-label model needs at least one label, got {n_classes}")
        self.theta = initial_parameters((n_features, n_classes), self.init, self.seed)

    def forward(self, X: sp.csr_matrix) -> np.ndarray:
        """Ŷ = σ(Xθ), entry by entry."""
        return sigmoid(self.decision_function(X))

    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, Y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[float, dict[str, RowSparse]]:
        """Σᵢ sᵢ Σₗ L_CE⁽ⁱˡ⁾ and Xᵀ diag(s)(Ŷ − Y), the latter only on the rows of the
        features present in X."""
        Z = self.decision_function(X)
        Y = np.asarray(Y, dtype=np.float64)
        losses = binary_cross_entropy_from_logits(Z, Y).sum(axis=1)
        delta = row_weighted(sigmoid(Z) - Y, sample_weight)  # ∂L/∂Z = diag(s)(Ŷ − Y)
        return float(row_weighted(losses, sample_weight).sum()), \
            {"theta": transpose_product(X, delta)}

    def loss_sum(self, X: sp.csr_matrix, Y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
        losses = binary_cross_entropy_from_logits(self.decision_function(X),
                                                  np.asarray(Y, dtype=np.float64))
        return float(row_weighted(losses.sum(axis=1), sample_weight).sum())

    def probabilities(self, Z: np.ndarray) -> np.ndarray:
        """P(label l | x) = σ(zₗ), shape (n, L): each label on its own (rows need not sum
        to 1)."""
        return sigmoid(Z)

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """The 0/1 matrix of the labels with σ(z) > 0.5, i.e. z > 0."""
        return (self.decision_function(X) > 0).astype(np.int64)
