"""Layers of a feedforward network, each with its own forward and backward step.

The lecture draws a network as a graph: inputs → weights → sum → activation → output. Each
class below is one kind of node. ``forward`` computes the node's output from its input and
remembers what the backward step needs; ``backward`` receives ∂L/∂output (the upstream
gradient G), stores ∂L/∂parameters in ``grads`` and returns ∂L/∂input, which the previous
layer receives as its G. That is the chain rule, one layer at a time (micrograd's idea,
with matrices instead of scalars: each row of a matrix is one document of the batch).

At inference the same steps run without remembering anything: ``output`` is ``forward``
and ``propagate`` is ``backward`` with the layer's input and output passed in, so a trained
network can be asked for predictions and input gradients (explanations) from many
threads at once.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.functional import (
    binary_cross_entropy_from_logits,
    log_softmax,
    one_hot,
    row_weighted,
    sigmoid,
)
from textclf.models.sparse_gradient import RowSparse, transpose_product


# initialisation --------------------------------------------------------------------------
def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot & Bengio (2010): W ~ U(−a, a), a = √(6/(fan_in + fan_out)).

    Var(W) = 2/(fan_in + fan_out) keeps the variance of activations and of gradients about
    equal from layer to layer for activations that are linear near 0 (tanh, sigmoid).
    """
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """He et al. (2015): W ~ N(0, 2/fan_in); the 2 makes up for ReLU zeroing half its inputs."""
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def initial_weights(activation: str, fan_in: int, fan_out: int,
                    rng: np.random.Generator) -> np.ndarray:
    """He initialisation before a ReLU, Xavier/Glorot before tanh, sigmoid or the output."""
    if activation == "relu":
        return he_normal(fan_in, fan_out, rng)
    return xavier_uniform(fan_in, fan_out, rng)


# layers ----------------------------------------------------------------------------------
class Layer:
    """A node of the graph. Subclasses set ``params`` (name → array) in ``__init__``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray | RowSparse] = {}

    def output(self, x) -> np.ndarray:
        """The layer's output at inference (no dropout), remembering nothing."""
        raise NotImplementedError

    def forward(self, x, training: bool = False) -> np.ndarray:
        """The output, remembering what :meth:`backward` needs."""
        self.x = x
        self.y = self.output(x)
        return self.y

    def propagate(self, G: np.ndarray, x, y: np.ndarray) -> np.ndarray:
        """∂L/∂input from G = ∂L/∂output at the input ``x`` whose output was ``y``."""
        raise NotImplementedError

    def backward(self, G: np.ndarray) -> np.ndarray | None:
        return self.propagate(G, self.x, self.y)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


class SparseLinear(Layer):
    """The first layer over sparse x: Z = XW, W of shape (|F|+1) × H, its last row the bias.

    Over bag-of-words input this is an embedding bag: row j of W is the embedding of term j,
    and a document's Z is the x-weighted sum of the rows of its terms (plus the bias row,
    through the dummy feature 1). X is never densified:

        forward   Z = XW                       (sparse × dense: O(nnz · H))
        backward  ∂L/∂W = XᵀG                  (non-zero only on the rows of terms present)
                  ∂L/∂X = GWᵀ                  (only for explanations: ``input_gradient``)
    """

    def __init__(self, W: np.ndarray):
        super().__init__()
        self.params = {"W": W}

    def output(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ self.params["W"])

    def forward(self, X: sp.csr_matrix, training: bool = False) -> np.ndarray:
        self.X = X
        return self.output(X)

    def backward(self, G: np.ndarray) -> None:
        self.grads = {"W": transpose_product(self.X, G)}
        return None  # nothing below the input to send a gradient to

    def input_gradient(self, G: np.ndarray) -> np.ndarray:
        """∂L/∂X = GWᵀ, dense (n, |F|+1)."""
        return G @ self.params["W"].T


class Linear(Layer):
    """A dense layer: Z = AW + b, W of shape (in, out), b of shape (out,).

        ∂L/∂W = AᵀG,   ∂L/∂b = Σᵢ Gᵢ (sum over the batch's rows),   ∂L/∂A = GWᵀ
    """

    def __init__(self, W: np.ndarray, b: np.ndarray):
        super().__init__()
        self.params = {"W": W, "b": b}

    def output(self, A: np.ndarray) -> np.ndarray:
        return A @ self.params["W"] + self.params["b"]

    def forward(self, A: np.ndarray, training: bool = False) -> np.ndarray:
        self.A = A
        return self.output(A)

    def propagate(self, G: np.ndarray, A: np.ndarray, Z: np.ndarray) -> np.ndarray:
        return G @ self.params["W"].T

    def backward(self, G: np.ndarray) -> np.ndarray:
        self.grads = {"W": self.A.T @ G, "b": G.sum(axis=0)}
        return self.propagate(G, self.A, None)


class ReLU(Layer):
    """a = max(0, z);  ∂a/∂z = 1 where z > 0, else 0."""

    def output(self, Z: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, Z, 0.0)

    def propagate(self, G: np.ndarray, Z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return G * (Z > 0)


class Tanh(Layer):
    """a = tanh(z);  ∂a/∂z = 1 − a²."""

    def output(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z)

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        self.a = super().forward(Z, training)
        return self.a

    def propagate(self, G: np.ndarray, Z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return G * (1.0 - a**2)


class Sigmoid(Layer):
    """a = σ(z);  ∂a/∂z = σ(z)(1 − σ(z)) = a(1 − a)."""

    def output(self, Z: np.ndarray) -> np.ndarray:
        return sigmoid(Z)

    def propagate(self, G: np.ndarray, Z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return G * a * (1.0 - a)


ACTIVATION_LAYERS: dict[str, type[Layer]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class Dropout(Layer):
    """Inverted dropout: while training, a = z ⊙ mask/(1 − p), mask ~ Bernoulli(1 − p).

    Each unit is zeroed with probability p; the survivors are scaled by 1/(1 − p) so that
    the expected activation is unchanged, and at inference the layer is the identity
    (predictions are deterministic). ∂a/∂z = mask/(1 − p).
    """

    def __init__(self, p: float, rng: np.random.Generator):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise SettingsError(f"dropout must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng
        self.scale: np.ndarray | float = 1.0

    def output(self, Z: np.ndarray) -> np.ndarray:
        return Z  # the identity at inference

    def propagate(self, G: np.ndarray, Z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return G

    def forward(self, Z: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.p == 0.0:
            self.scale = 1.0
            return Z
        self.scale = (self.rng.random(Z.shape) >= self.p) / (1.0 - self.p)
        return Z * self.scale

    def backward(self, G: np.ndarray) -> np.ndarray:
        return G * self.scale


# losses: the output node -----------------------------------------------------------------
class SigmoidCrossEntropy:
    """Binary output: ŷ = σ(z) of one logit per row, L = Σᵢ sᵢ[log(1 + e^(zᵢ)) − yᵢzᵢ].

    ∂L/∂z = s ⊙ (ŷ − y): the same (ŷ − y) as in logistic regression (sᵢ = 1 without
    sample weights).
    """

    def forward(self, Z: np.ndarray, y: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        self.z = Z.reshape(-1)
        self.y = np.asarray(y, dtype=np.float64)
        self.sample_weight = sample_weight
        losses = binary_cross_entropy_from_logits(self.z, self.y)
        return float(row_weighted(losses, sample_weight).sum())

    def backward(self) -> np.ndarray:
        return row_weighted(sigmoid(self.z) - self.y, self.sample_weight).reshape(-1, 1)


class SoftmaxCrossEntropy:
    """K-class output: Ŷ = softmax(Z), L = Σᵢ sᵢ[log Σⱼ e^(Zᵢⱼ) − Zᵢ,yᵢ] (log-sum-exp).

    ∂L/∂Z = diag(s)(Ŷ − Y), Y one-hot.
    """

    def forward(self, Z: np.ndarray, y: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        self.log_Y_hat = log_softmax(Z)
        self.y = np.asarray(y, dtype=np.int64)
        self.sample_weight = sample_weight
        losses = -self.log_Y_hat[np.arange(len(self.y)), self.y]  # (softmax_cross_entropy's)
        return float(row_weighted(losses, sample_weight).sum())

    def backward(self) -> np.ndarray:
        D = np.exp(self.log_Y_hat) - one_hot(self.y, self.log_Y_hat.shape[1])
        return row_weighted(D, self.sample_weight)


class MultiLabelCrossEntropy:
    """Multi-label output: one sigmoid per label, Ŷ = σ(Z) entry by entry,
    L = Σᵢ sᵢ Σₗ [log(1 + e^(Zᵢₗ)) − YᵢₗZᵢₗ] (the per-label cross-entropies added up).

    ∂L/∂Z = diag(s)(Ŷ − Y), Y the 0/1 label matrix.
    """

    def forward(self, Z: np.ndarray, Y: np.ndarray,
                sample_weight: np.ndarray | None = None) -> float:
        self.Z = Z
        self.Y = np.asarray(Y, dtype=np.float64)
        self.sample_weight = sample_weight
        losses = binary_cross_entropy_from_logits(Z, self.Y).sum(axis=1)
        return float(row_weighted(losses, sample_weight).sum())

    def backward(self) -> np.ndarray:
        return row_weighted(sigmoid(self.Z) - self.Y, self.sample_weight)
