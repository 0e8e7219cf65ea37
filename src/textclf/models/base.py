"""What every model offers the trainer, the pipeline and the model file."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import scipy.sparse as sp


class Model(ABC):
    """A classifier over feature rows x (CSR, dummy feature 1 last) into K classes.

    Targets are class indices 0..K−1. Subclasses own their parameters as named arrays that
    the optimiser updates in place.
    """

    kind: ClassVar[str]

    @abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """Named parameter arrays, updated in place by the optimiser."""

    @abstractmethod
    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, y: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray]]:
        """Σᵢ L⁽ⁱ⁾ and Σᵢ ∇L⁽ⁱ⁾ over the rows of X (sums, not means).

        Sums add up across shards, so a cluster can compute them per shard and a driver can
        add them; the trainer divides by m for the mini-batch mean.
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

    @abstractmethod
    def config(self) -> dict:
        """JSON-able architecture (kind and shapes), for the model file."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> Model:
        """Rebuild a model from :meth:`config` and its parameter arrays."""
