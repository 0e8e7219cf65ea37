"""Softmax (multinomial logistic) regression: the lecture's model for K ≥ 2 classes.

Parameters θ form one (|F|+1) × K matrix, a column θ[:, k] of weights per class, its last
row the biases (matching the dummy feature 1 in X's last column). For a mini-batch X:

    Z = Xθ                        (m × K logits)
    Ŷ = softmax(Z),  Ŷᵢₖ = e^(Zᵢₖ) / Σⱼ e^(Zᵢⱼ)
    L = Σᵢ −log Ŷᵢ,yᵢ = Σᵢ [log Σⱼ e^(Zᵢⱼ) − Zᵢ,yᵢ]      (through log-sum-exp)
    ∇L = Xᵀ(Ŷ − Y)                (Y one-hot; the trainer divides by m)

With sample weights sᵢ: L = Σᵢ sᵢLᵢ and ∇L = Xᵀ diag(s)(Ŷ − Y).

With K = 2 this is binary logistic regression over the difference z₁ − z₀ of two logits.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.base import Model, check_arrays, check_init, initial_parameters, linear_bound
from textclf.models.functional import (
    log_softmax,
    one_hot,
    row_weighted,
    softmax_cross_entropy_from_logits,
)
from textclf.models.sparse_gradient import RowSparse, transpose_product


class SoftmaxRegression(Model):
    """Ŷ = softmax(Xθ): a probability per class, θ of shape (|F|+1, K), biases last row."""

    kind = "softmax"
    min_classes = 2  # (a model file's n_classes is checked against it)

    def __init__(
        self,
        n_features: int | None = None,
        n_classes: int | None = None,
        *,
        init: str = "zeros",
        seed: int = 0,
    ):
        self.init = check_init(init)
        self.seed = seed
        self.theta = np.zeros((0, 0))
        if n_features is not None and n_classes is not None:
            self.reset(n_features, n_classes)

    def reset(self, n_features: int, n_classes: int) -> None:
        """θ = 0, or small seeded values N(0, 0.01²), of shape (n_features, n_classes)."""
        if n_classes < 2:
            raise SettingsError(f"softmax regression needs at least 2 classes, got {n_classes}")
        self.theta = initial_parameters((n_features, n_classes), self.init, self.seed)

    # forward and backward ---------------------------------------------------------------
    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """The logits Z = Xθ, shape (n, K)."""
        self._check_columns(X)
        return np.asarray(X @ self.theta)

    def forward(self, X: sp.csr_matrix) -> np.ndarray:
        """Ŷ = softmax(Xθ)."""
        return np.exp(log_softmax(self.decision_function(X)))

    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[float, dict[str, RowSparse]]:
        """Σᵢ sᵢL_CE⁽ⁱ⁾ and Xᵀ diag(s)(Ŷ − Y), the latter only on the rows of features
        present in X."""
        Z = self.decision_function(X)
        log_Y_hat = log_softmax(Z)
        y = np.asarray(y, dtype=np.int64)
        losses = row_weighted(-log_Y_hat[np.arange(len(y)), y], sample_weight)
        delta = row_weighted(np.exp(log_Y_hat) - one_hot(y, self.n_classes),
                             sample_weight)  # ∂L/∂Z = diag(s)(Ŷ − Y)
        return float(losses.sum()), {"theta": transpose_product(X, delta)}

    def loss_sum(self, X: sp.csr_matrix, y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
        losses = softmax_cross_entropy_from_logits(self.decision_function(X), y)
        return float(row_weighted(losses, sample_weight).sum())

    def probabilities(self, Z: np.ndarray) -> np.ndarray:
        """softmax(Z), row by row (through log-sum-exp)."""
        return np.exp(log_softmax(Z))

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """argmaxₖ zₖ (the largest logit is the largest probability)."""
        return np.argmax(self.decision_function(X), axis=1)

    def input_gradient(self, X: sp.csr_matrix, k: int = 1) -> np.ndarray:
        """∂zₖ/∂x = θ[:, k] for every row (zₖ = xθ[:, k] is linear in x)."""
        self._check_columns(X)
        if not 0 <= k < self.n_classes:
            raise SettingsError(f"class index {k} out of range 0..{self.n_classes - 1}")
        return np.broadcast_to(self.theta[:, k], (X.shape[0], self.n_features)).copy()

    # parameters -------------------------------------------------------------------------
    def parameters(self) -> dict[str, np.ndarray]:
        return {"theta": self.theta}

    def regularized(self) -> dict[str, slice]:
        """The weights θ[:-1, :]; the biases θ[-1, :] are not penalised."""
        return {"theta": slice(0, -1)}

    def biases(self) -> dict[str, int]:
        """b = θ[-1, :], one per class."""
        return {"theta": -1}

    @property
    def n_features(self) -> int:
        return int(self.theta.shape[0])

    @property
    def n_classes(self) -> int:
        return int(self.theta.shape[1])

    def value_bound(self, mass: float) -> float:
        """|z_k| = |Σⱼ θⱼₖxⱼ + b_k| ≤ mass·maxⱼ|θⱼₖ| + |b_k|, the largest over k."""
        return linear_bound(self.theta, mass)

    @property
    def weights(self) -> np.ndarray:
        """W: θ without the bias row, shape (|F|, K)."""
        return self.theta[:-1]

    @property
    def bias(self) -> np.ndarray:
        """b: the last row of θ, one bias per class."""
        return self.theta[-1]

    # persistence ------------------------------------------------------------------------
    def config(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "n_classes": self.n_classes,
                "init": self.init, "seed": self.seed, **self.temperature_config()}

    @classmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> SoftmaxRegression:
        """The model of ``config`` (this class's, or a subclass's of the same shape)."""
        model = cls(init=config.get("init", "zeros"), seed=config.get("seed", 0))
        shape = (int(config["n_features"]), int(config["n_classes"]))
        if shape[1] < cls.min_classes:
            raise SettingsError(f"a {cls.kind} model of {shape[1]} classes (it needs at least "
                                f"{cls.min_classes})")
        model.theta = check_arrays(cls.kind, {"theta": shape}, arrays)["theta"]
        model.set_temperature(config)
        model.check_finite_scores()
        return model
