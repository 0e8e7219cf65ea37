"""Gradient checks: backpropagation against finite differences, block by block.

For a parameter entry θⱼ the central difference

    ∂L/∂θⱼ ≈ (L(θ + εeⱼ) − L(θ − εeⱼ)) / 2ε        (error O(ε²))

needs nothing but the forward pass, so it checks the backward pass independently: if a
derivative in the code is wrong, the two disagree. Each parameter block is reported with
the largest absolute difference and the relative error ‖a − n‖ / (‖a‖ + ‖n‖) over the
entries checked (a: backprop, n: numeric); in float64 a correct gradient gives ~1e-8 or
less, a wrong one ~1e-1.

Example::

    from textclf.models.gradcheck import gradient_check, random_problem
    from textclf.models import FeedForwardNetwork
    X, y = random_problem(n_docs=20, n_features=30, n_classes=3)
    model = FeedForwardNetwork(X.shape[1], 3, hidden=(8, 4), activation="tanh")
    for block in gradient_check(model, X, y):
        print(block.format())
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf.models.base import Model
from textclf.models.layers import Layer, SparseLinear

TOLERANCE = 1e-6


@dataclass
class BlockCheck:
    """The comparison for one parameter block (or a layer's input)."""

    name: str
    shape: tuple[int, ...]
    checked: int
    max_abs_error: float
    relative_error: float

    @property
    def ok(self) -> bool:
        return self.relative_error < TOLERANCE

    def format(self) -> str:
        size = int(np.prod(self.shape)) if self.shape else 1
        return (f"{self.name:<16}{str(self.shape):>14}{f'{self.checked} of {size}':>16}"
                f"{self.max_abs_error:>14.2e}{self.relative_error:>14.2e}  "
                + ("ok" if self.ok else "FAIL"))

    @staticmethod
    def header() -> str:
        return (f"{'block':<16}{'shape':>14}{'entries':>16}{'max |a − n|':>14}"
                f"{'rel. error':>14}")


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖), 0 when both are 0."""
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / denominator) if denominator else 0.0


def _entries_to_check(analytic: np.ndarray, max_checks: int | None,
                      rng: np.random.Generator) -> np.ndarray:
    """Flat indices: all of them, or a sample that favours entries with a non-zero gradient
    (a sparse first layer has many rows no document touches: their 0 is checked too, but
    less often)."""
    size = analytic.size
    if max_checks is None or size <= max_checks:
        return np.arange(size)
    nonzero = np.flatnonzero(analytic)
    take = rng.choice(nonzero, size=min(len(nonzero), (3 * max_checks) // 4), replace=False)
    rest = np.setdiff1d(np.arange(size), take)
    more = rng.choice(rest, size=min(len(rest), max_checks - len(take)), replace=False)
    return np.sort(np.concatenate([take, more]))


def numeric_gradient(f: Callable[[], float], array: np.ndarray, entries: np.ndarray,
                     epsilon: float) -> np.ndarray:
    """Central differences of f() with respect to ``array.flat[entries]`` (changed in place
    and put back)."""
    flat = array.reshape(-1)  # a view: changing it changes what f sees
    numeric = np.empty(len(entries))
    for i, j in enumerate(entries):
        saved = flat[j]
        flat[j] = saved + epsilon
        plus = f()
        flat[j] = saved - epsilon
        minus = f()
        flat[j] = saved
        numeric[i] = (plus - minus) / (2.0 * epsilon)
    return numeric


def gradient_check(
    model: Model,
    X: sp.csr_matrix,
    y: np.ndarray,
    epsilon: float = 1e-6,
    max_checks: int | None = 200,
    seed: int = 0,
) -> list[BlockCheck]:
    """Compare ``model.loss_and_gradient_sum`` with central differences of its loss.

    The loss is Σᵢ L⁽ⁱ⁾ over the rows of X (regularisation not included). At most
    ``max_checks`` entries per block are perturbed (None: all). Dropout stays off unless
    ``model.training`` is True, in which case every evaluation draws the same masks.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    dropout_rng = getattr(model, "dropout_rng", None)
    state = dropout_rng.bit_generator.state if dropout_rng is not None else None

    def loss_and_gradient():
        if state is not None:
            dropout_rng.bit_generator.state = state  # the same dropout masks every time
        return model.loss_and_gradient_sum(X, y)

    _, gradients = loss_and_gradient()
    rng = np.random.default_rng(seed)
    results = []
    for name, array in model.parameters().items():
        analytic = np.asarray(gradients[name], dtype=np.float64)
        entries = _entries_to_check(analytic, max_checks, rng)
        numeric = numeric_gradient(lambda: loss_and_gradient()[0], array, entries, epsilon)
        chosen = analytic.reshape(-1)[entries]
        results.append(BlockCheck(name, tuple(array.shape), len(entries),
                                  float(np.max(np.abs(chosen - numeric), initial=0.0)),
                                  relative_error(chosen, numeric)))
    return results


def layer_gradient_check(layer: Layer, inputs, epsilon: float = 1e-6, seed: int = 0,
                         training: bool = False) -> list[BlockCheck]:
    """Check one layer's backward step on its own.

    The layer is made into a scalar function f = Σ G ⊙ forward(inputs) with a fixed random
    G, so ∂f/∂output = G and ``backward(G)`` must return ∂f/∂input and leave ∂f/∂params in
    ``layer.grads``. Dropout with ``training=True`` uses the same mask in every evaluation.
    """
    rng = np.random.default_rng(seed)
    dropout_rng = getattr(layer, "rng", None)
    state = dropout_rng.bit_generator.state if dropout_rng is not None else None
    sparse_input = sp.issparse(inputs)
    x = sp.csr_matrix(inputs, dtype=np.float64) if sparse_input \
        else np.array(inputs, dtype=np.float64)

    def forward():
        if state is not None:
            dropout_rng.bit_generator.state = state
        return layer.forward(x, training=training)

    G = rng.normal(size=forward().shape)

    def f() -> float:
        return float(np.sum(G * forward()))

    forward()
    input_gradient = layer.backward(G)
    if isinstance(layer, SparseLinear):
        input_gradient = layer.input_gradient(G)
    results = []
    for name, array in layer.params.items():
        analytic = np.asarray(layer.grads[name], dtype=np.float64).reshape(-1)
        entries = np.arange(array.size)
        numeric = numeric_gradient(f, array, entries, epsilon)
        results.append(BlockCheck(name, tuple(array.shape), array.size,
                                  float(np.max(np.abs(analytic - numeric), initial=0.0)),
                                  relative_error(analytic, numeric)))
    target = x.data if sparse_input else x  # for sparse input: its stored entries
    analytic_input = np.asarray(input_gradient)
    if sparse_input:
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        analytic_input = analytic_input[rows, x.indices]  # in the order of x.data
    numeric = numeric_gradient(f, target, np.arange(target.size), epsilon)
    results.append(BlockCheck("input", tuple(np.shape(inputs)), target.size,
                              float(np.max(np.abs(analytic_input.reshape(-1) - numeric),
                                           initial=0.0)),
                              relative_error(analytic_input.reshape(-1), numeric)))
    return results


def random_problem(n_docs: int = 20, n_features: int = 30, n_classes: int = 3,
                   density: float = 0.2, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """Small random sparse data [X | 1] with positive, tf-idf-like values and class indices."""
    rng = np.random.default_rng(seed)
    X = sp.random(n_docs, n_features, density=density, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.uniform(0.1, 1.0, size=k))
    X = sp.hstack([X, np.ones((n_docs, 1))], format="csr")
    y = np.arange(n_docs) % n_classes  # every class occurs
    rng.shuffle(y)
    return X, y
