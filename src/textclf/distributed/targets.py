"""How a shard's documents become rows to train on: their targets and weights, decided once
for the corpus on the client (the problem's labels, the class weights, the factor that
scales the weights to mean 1) and applied by each worker to its own documents.

A document's weight is its class's weight times its own (:mod:`textclf.training.sources`):
sᵢ = c_{yᵢ}·wᵢ. Documents of weight 0 take no step; the others' weights are scaled to mean
1 over all the rows kept, sᵢ·n/Σⱼsⱼ, as one process scales them (``weighted_rows``): the
client knows n and Σⱼsⱼ from the shards' label counts and weight sums, so every worker
scales its rows by the same factor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowPlan:
    """``encode``: label sets → targets (class indices, or the 0/1 label matrix), the
    problem's own; ``by_class``: c_k per class (None: no class weights); ``scale``: n/Σⱼsⱼ
    over the rows kept."""

    encode: Callable[[Sequence[tuple[str, ...]]], np.ndarray]
    n_outputs: int
    multi_label: bool = False
    by_class: np.ndarray | None = None
    scale: float = 1.0

    def targets(self, label_sets: Sequence[tuple[str, ...]],
                own: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray | None]:
        """The documents' targets y and weights sᵢ = c_{yᵢ}·wᵢ (None: all 1), not yet
        scaled."""
        y = self.encode(label_sets)
        weights = None if own is None else np.asarray(own, dtype=np.float64)
        if self.by_class is not None:
            weights = self.by_class[y] if weights is None else self.by_class[y] * weights
        return y, weights
