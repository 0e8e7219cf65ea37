"""What every model offers the trainer, the pipeline, explanations and the model file."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError


class RowSparse:
    """A gradient that is zero outside a few rows: G[rows] = values, G = 0 elsewhere.

    The gradient of Xθ over a mini-batch is XᵀD, and row j of XᵀD is zero unless feature j
    occurs in one of the batch's documents. A batch of 32 reviews touches a few thousand of
    several hundred thousand rows, so the optimiser updates only those (an embedding bag's
    gradient). ``np.asarray(g)`` gives the dense array when one is needed.
    """

    __slots__ = ("rows", "values", "shape")

    def __init__(self, rows: np.ndarray, values: np.ndarray, shape: tuple[int, ...]):
        self.rows = np.asarray(rows, dtype=np.int64)
        self.values = np.asarray(values, dtype=np.float64)
        self.shape = tuple(shape)
        if self.values.shape != (len(self.rows), *self.shape[1:]):
            raise ValueError(f"values {self.values.shape} do not fit rows {len(self.rows)} "
                             f"of a {self.shape} gradient")

    def to_dense(self) -> np.ndarray:
        dense = np.zeros(self.shape)
        np.add.at(dense, self.rows, self.values)
        return dense

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        dense = self.to_dense()
        return dense if dtype is None else dense.astype(dtype)

    def __mul__(self, factor: float) -> RowSparse:
        return RowSparse(self.rows, self.values * factor, self.shape)

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> RowSparse:
        return RowSparse(self.rows, self.values / divisor, self.shape)

    def __add__(self, other: Any) -> RowSparse | np.ndarray:
        """Sums of gradients (e.g. over shards) stay row-sparse; with a dense one, dense."""
        if isinstance(other, RowSparse):
            rows, inverse = np.unique(np.concatenate([self.rows, other.rows]),
                                      return_inverse=True)
            values = np.zeros((len(rows), *self.shape[1:]))
            np.add.at(values, inverse, np.concatenate([self.values, other.values]))
            return RowSparse(rows, values, self.shape)
        return self.to_dense() + np.asarray(other)

    __radd__ = __add__


def transpose_product(X: sp.csr_matrix, D: np.ndarray) -> RowSparse:
    """XᵀD kept row-sparse: only the rows of the features that occur in X.

    The columns present are renumbered 0..r−1, so the product is an r × K matrix instead of
    a |F| × K one; the result never holds the |F| × K zeros.
    """
    rows, local = np.unique(X.indices, return_inverse=True)
    X_local = sp.csr_matrix((X.data, local.ravel(), X.indptr), shape=(X.shape[0], len(rows)))
    values = np.asarray(X_local.T @ D)
    return RowSparse(rows, values.reshape(len(rows), *D.shape[1:]), (X.shape[1], *D.shape[1:]))


class Model(ABC):
    """A classifier over feature rows x (CSR, dummy feature 1 last) into K classes.

    Targets are class indices 0..K−1. Subclasses own their parameters as named arrays that
    the optimiser updates in place. ``training`` is True while the trainer runs an epoch
    (dropout is active only then); predictions and dev losses are computed with it False.
    """

    kind: ClassVar[str]
    training: bool = False

    @abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """Named parameter arrays, updated in place by the optimiser."""

    def regularized(self) -> dict[str, Any]:
        """For each penalised parameter, the index of its weights (biases are left out).

        The default penalises every parameter in full; linear models leave out θ's last
        row (the bias), networks their bias vectors.
        """
        return {name: slice(None) for name in self.parameters()}

    def biases(self) -> dict[str, Any]:
        """For each parameter holding biases, their index: -1 for θ's last row (the dummy
        feature's weights), ``slice(None)`` for a bias vector. The default: none."""
        return {}

    @abstractmethod
    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, y: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray | RowSparse]]:
        """Σᵢ L⁽ⁱ⁾ and Σᵢ ∇L⁽ⁱ⁾ over the rows of X (sums, not means).

        Sums add up across shards, so a cluster can compute them per shard and a driver can
        add them; the trainer divides by m for the mini-batch mean. A gradient may be a
        :class:`RowSparse` (rows of features absent from X are zero).
        """

    @abstractmethod
    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """Logits: (n,) for a sigmoid output, (n, K) for a softmax output."""

    @abstractmethod
    def input_gradient(self, X: sp.csr_matrix, k: int = 1) -> np.ndarray:
        """∂(logit of class k)/∂x per row: dense (n, |F|+1); gradient × input attributions.

        For a sigmoid output there is one logit and ``k`` is ignored.
        """

    @abstractmethod
    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """Class probabilities, shape (n, K)."""

    def loss_sum(self, X: sp.csr_matrix, y: np.ndarray) -> float:
        """Σᵢ L⁽ⁱ⁾ without the gradient (the default computes both)."""
        return self.loss_and_gradient_sum(X, y)[0]

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """The most probable class index of each row."""
        return np.argmax(self.predict_proba(X), axis=1)

    @property
    @abstractmethod
    def n_features(self) -> int:
        """Columns of X the model expects (terms + the dummy feature)."""

    def _check_columns(self, X: sp.csr_matrix) -> None:
        if X.shape[1] != self.n_features:
            raise SettingsError(
                f"X has {X.shape[1]} columns but the {self.kind} model expects "
                f"{self.n_features} (features + bias); was it fitted on other features?"
            )

    @abstractmethod
    def config(self) -> dict:
        """JSON-able architecture (kind and shapes), for the model file."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> Model:
        """Rebuild a model from :meth:`config` and its parameter arrays."""


def check_arrays(kind: str, expected: dict[str, tuple[int, ...]],
                 arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Refuse arrays that do not match the architecture: missing, extra, or other shapes."""
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise SettingsError(
            f"{kind} model arrays do not match its architecture"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unexpected: {', '.join(extra)}" if extra else "")
        )
    checked = {}
    for name, shape in expected.items():
        array = np.asarray(arrays[name])
        if array.shape != tuple(shape):
            raise SettingsError(
                f"{kind} model array {name!r} has shape {array.shape}, "
                f"the architecture says {tuple(shape)}"
            )
        if array.dtype != np.float64:
            raise SettingsError(f"{kind} model array {name!r} is {array.dtype}, not float64")
        checked[name] = np.array(array, dtype=np.float64)  # a writable copy
    return checked
