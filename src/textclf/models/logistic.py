"""Binary logistic regression, as the lecture defines it.

Parameters θ = (w, b) are one vector of length |F|+1 with the bias last, matching the
dummy feature 1 in the last column of X. For a mini-batch X (m rows):

    z = Xθ,   ŷ = σ(z),
    L = Σᵢ −[yᵢ log ŷᵢ + (1−yᵢ) log(1−ŷᵢ)],
    ∇L = Xᵀ(ŷ − y)          (the trainer divides by m: ∇ = (1/m)·Xᵀ(ŷ − y)),

with sample weights sᵢ: L = Σᵢ sᵢLᵢ and ∇L = Xᵀ diag(s)(ŷ − y),

and each step of gradient descent is θ ← θ − η∇.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.base import Model, check_arrays, check_init, initial_parameters, linear_bound
from textclf.models.functional import binary_cross_entropy_from_logits, row_weighted, sigmoid


class LogisticRegression(Model):
    """ŷ = σ(xθ): the probability that a document belongs to class 1.

    ``theta`` has the bias last. Construct it with the number of columns of X
    (|F|+1), or size it later with :meth:`reset`.
    """

    kind = "logistic"

    def __init__(
        self,
        n_features: int | None = None,
        *,
        init: str = "zeros",
        seed: int = 0,
    ):
        self.init = check_init(init)
        self.seed = seed
        self.theta = np.zeros(0)
        if n_features is not None:
            self.reset(n_features)

    def reset(self, n_features: int, n_classes: int = 2) -> None:
        """θ of length ``n_features``: zeros, or small seeded values (``init``)."""
        if n_classes != 2:
            raise SettingsError(f"binary logistic regression needs exactly two classes, got "
                                f"{n_classes}: use softmax regression for more")
        self.theta = initial_parameters(n_features, self.init, self.seed)

    # the lecture's forward and backward ---------------------------------------------------
    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """The score z = Xθ of each row."""
        self._check_columns(X)
        return np.asarray(X @ self.theta).ravel()

    def forward(self, X: sp.csr_matrix) -> np.ndarray:
        """ŷ = σ(Xθ)."""
        return sigmoid(self.decision_function(X))

    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[float, dict[str, np.ndarray]]:
        """Σᵢ sᵢL_CE⁽ⁱ⁾ (stable, from logits) and Σᵢ sᵢ(ŷ⁽ⁱ⁾ − y⁽ⁱ⁾) x⁽ⁱ⁾ = Xᵀ diag(s)(ŷ − y)."""
        z = self.decision_function(X)
        y = np.asarray(y, dtype=np.float64)
        losses = row_weighted(binary_cross_entropy_from_logits(z, y), sample_weight)
        delta = row_weighted(sigmoid(z) - y, sample_weight)  # ∂L/∂z = s ⊙ (ŷ − y)
        return float(losses.sum()), {"theta": np.asarray(X.T @ delta).ravel()}

    def loss_sum(self, X: sp.csr_matrix, y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
        z = self.decision_function(X)
        losses = binary_cross_entropy_from_logits(z, np.asarray(y, np.float64))
        return float(row_weighted(losses, sample_weight).sum())

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        """Columns [P(y=0|x), P(y=1|x)] = [1 − σ(z), σ(z)]."""
        y_hat = sigmoid(z)
        return np.column_stack([1.0 - y_hat, y_hat])

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """Class 1 where z = xθ > 0 (ŷ > 0.5), else 0."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def input_gradient(self, X: sp.csr_matrix, k: int = 1) -> np.ndarray:
        """∂z/∂x = θ for every row (z = xθ is linear in x); ``k`` is ignored."""
        self._check_columns(X)
        return np.broadcast_to(self.theta, (X.shape[0], self.theta.shape[0])).copy()

    def parameters(self) -> dict[str, np.ndarray]:
        return {"theta": self.theta}

    def regularized(self) -> dict[str, slice]:
        """The weights w = θ[:-1]; the bias θ[-1] is not penalised."""
        return {"theta": slice(0, -1)}

    def biases(self) -> dict[str, int]:
        """b = θ[-1]."""
        return {"theta": -1}

    @property
    def n_features(self) -> int:
        return int(self.theta.shape[0])

    def _check_columns(self, X: sp.csr_matrix) -> None:
        if X.shape[1] != self.theta.shape[0]:
            raise SettingsError(
                f"X has {X.shape[1]} columns but θ has {self.theta.shape[0]} entries "
                "(features + bias); was the model fitted on other features?"
            )

    def value_bound(self, mass: float) -> float:
        """|z| = |Σⱼ θⱼxⱼ + b| ≤ mass·maxⱼ|θⱼ| + |b|."""
        return linear_bound(self.theta, mass)

    @property
    def weights(self) -> np.ndarray:
        """w: θ without the bias."""
        return self.theta[:-1]

    @property
    def bias(self) -> float:
        """b: the last entry of θ."""
        return float(self.theta[-1])

    # persistence ------------------------------------------------------------------------
    def config(self) -> dict:
        return {"kind": self.kind, "n_features": int(self.theta.shape[0]),
                "init": self.init, "seed": self.seed, **self.temperature_config()}

    @classmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> LogisticRegression:
        model = cls(init=config.get("init", "zeros"), seed=config.get("seed", 0))
        model.theta = check_arrays(cls.kind, {"theta": (int(config["n_features"]),)},
                                   arrays)["theta"]
        model.set_temperature(config)
        model.check_finite_scores()
        return model
