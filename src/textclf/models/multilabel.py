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
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.base import Model, check_arrays
from textclf.models.functional import binary_cross_entropy_from_logits, row_weighted, sigmoid
from textclf.models.init import check_init, initial_parameters
from textclf.models.sparse_gradient import RowSparse, transpose_product


class MultiLabelLogisticRegression(Model):
    """Ŷ = σ(Xθ): an independent probability per label, θ of shape (|F|+1, L), biases last.

    Targets are 0/1 matrices (n × L); :meth:`predict` gives the labels whose probability
    exceeds 0.5 (z > 0). Decisions by other thresholds or the top k labels are made on
    :meth:`predict_proba` (:mod:`textclf.evaluation.decisions`).
    """

    kind = "multilabel"
    multi_label = True

    def __init__(self, n_features: int | None = None, n_labels: int | None = None, *,
                 init: str = "zeros", seed: int = 0):
        self.init = check_init(init)
        self.seed = seed
        self.theta = np.zeros((0, 0))
        if n_features is not None and n_labels is not None:
            self.reset(n_features, n_labels)

    def reset(self, n_features: int, n_classes: int) -> None:
        """θ of shape (n_features, L) for L = ``n_classes`` labels: zeros or small values."""
        if n_classes < 1:
            raise SettingsError(f"a multi-label model needs at least one label, got {n_classes}")
        self.theta = initial_parameters((n_features, n_classes), self.init, self.seed)

    # forward and backward ---------------------------------------------------------------
    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """The logits Z = Xθ, shape (n, L)."""
        self._check_columns(X)
        return np.asarray(X @ self.theta)

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

    def input_gradient(self, X: sp.csr_matrix, k: int = 0) -> np.ndarray:
        """∂zₖ/∂x = θ[:, k] for every row (zₖ = xθ[:, k] is linear in x)."""
        self._check_columns(X)
        if not 0 <= k < self.n_classes:
            raise SettingsError(f"label index {k} out of range 0..{self.n_classes - 1}")
        return np.broadcast_to(self.theta[:, k], (X.shape[0], self.n_features)).copy()

    # parameters -------------------------------------------------------------------------
    def parameters(self) -> dict[str, np.ndarray]:
        return {"theta": self.theta}

    def regularized(self) -> dict[str, slice]:
        """The weights θ[:-1, :]; the biases θ[-1, :] are not penalised."""
        return {"theta": slice(0, -1)}

    def biases(self) -> dict[str, int]:
        """b = θ[-1, :], one per label."""
        return {"theta": -1}

    @property
    def n_features(self) -> int:
        return int(self.theta.shape[0])

    @property
    def n_classes(self) -> int:
        """L, the number of labels (one output each)."""
        return int(self.theta.shape[1])

    @property
    def weights(self) -> np.ndarray:
        """W: θ without the bias row, shape (|F|, L)."""
        return self.theta[:-1]

    @property
    def bias(self) -> np.ndarray:
        """b: the last row of θ, one bias per label."""
        return self.theta[-1]

    # persistence ------------------------------------------------------------------------
    def config(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "n_classes": self.n_classes,
                "init": self.init, "seed": self.seed, **self.temperature_config()}

    @classmethod
    def from_config(cls, config: dict,
                    arrays: dict[str, np.ndarray]) -> MultiLabelLogisticRegression:
        model = cls(init=config.get("init", "zeros"), seed=config.get("seed", 0))
        shape = (int(config["n_features"]), int(config["n_classes"]))
        model.theta = check_arrays(cls.kind, {"theta": shape}, arrays)["theta"]
        model.set_temperature(config)
        return model
