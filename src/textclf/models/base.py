"""What every model offers the trainer, the pipeline, explanations and the model file."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.sparse_gradient import RowSparse


class Model(ABC):
    """A classifier over feature rows x (CSR, dummy feature 1 last) into K classes.

    Targets are class indices 0..K−1. Subclasses own their parameters as named arrays that
    the optimiser updates in place. ``training_mode`` is True while the trainer runs an
    epoch (dropout is active only then); predictions and dev losses are computed with it
    False.
    """

    kind: ClassVar[str]
    training_mode: bool = False

    @abstractmethod
    def reset(self, n_features: int, n_classes: int) -> None:
        """Fresh initial parameters for X with ``n_features`` columns and ``n_classes``."""

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

    def __sizeof__(self) -> int:
        """The bytes of the parameters (``sys.getsizeof``: e.g. what a Dask scheduler
        weighs when it sends the model to the data)."""
        return object.__sizeof__(self) + sum(a.nbytes for a in self.parameters().values())

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
