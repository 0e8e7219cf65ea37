"""What a training step strategy is: one pass of mini-batch steps over a block of rows.

The loop (:mod:`textclf.training.loop`) owns epochs, shuffling, records, progress,
checkpoints and early stopping; a step strategy only takes the mini-batch steps over the
rows it is given, in the order it is given, each row's loss and gradient term times its
sample weight sᵢ (when the rows carry weights):

* :class:`~textclf.training.plain_step.PlainStep`: the lecture's step, for any model and
  optimiser: ∇ = (1/m)·Σᵢ∇L⁽ⁱ⁾, θ ← θ − η∇;
* :class:`~textclf.training.sparse_step.SparseStep`: the same SGD steps for linear models,
  touching only the batch's features (numpy);
* :class:`~textclf.training.sparse_step.CompiledStep`: those steps compiled (numba).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

Progress = Callable[[int], None]  # called with the number of rows just stepped over


class StepResult(NamedTuple):
    loss_sum: float  # Σ sᵢ·loss over the rows, each taken before its batch's step
    correct: int  # rows predicted right before their batch's step
    step: int  # the step count after the pass
    eta: float  # the last step's η


class Step(Protocol):
    def run(self, X: sp.csr_matrix, y: np.ndarray, order: np.ndarray | None, step: int,
            progress: Progress | None = None, weights: np.ndarray | None = None) -> StepResult:
        """Mini-batch steps over rows ``order[0:m]``, ``order[m:2m]``, ... of X (``order``
        None: X's own order), starting at step number ``step`` (for the schedule); row i's
        loss and gradient term times ``weights[i]`` (None: 1)."""
        ...

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What carries over from one run to the next besides θ (an optimiser's averages)."""
        ...

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Go on from :meth:`state`."""
        ...
