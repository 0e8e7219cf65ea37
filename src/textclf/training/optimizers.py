"""Optimisers: how a gradient becomes a step.

Every optimiser updates the parameter arrays in place from the mini-batch mean gradient ∇:

    SGD        θ ← θ − η∇                                  (the lecture's step)
    momentum   v ← μv + ∇,   θ ← θ − ηv
    Adam       m ← β₁m + (1−β₁)∇,  s ← β₂s + (1−β₂)∇²,
               θ ← θ − η · m̂ / (√ŝ + ε),   m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ)

A :class:`~textclf.models.sparse_gradient.RowSparse` gradient (zero outside the rows of the
features in the batch) updates only those rows. For SGD that is exact; momentum and Adam then keep
their moving averages "lazily", for the rows present (as PyTorch's SparseAdam does),
which saves touching every row of a |F| × H matrix at every step.
"""

from __future__ import annotations

import math

import numpy as np

from textclf.models.sparse_gradient import RowSparse

Gradient = np.ndarray | RowSparse
OPTIMIZERS = ("sgd", "momentum", "adam")


class SGD:
    """The lecture's gradient descent step: θ ← θ − η∇L."""

    def __init__(self, eta: float = 0.1):
        self.eta = eta  # the default step size (checked with the other settings)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What a checkpoint needs to go on exactly where this optimiser stopped: numbers,
        and arrays by name (SGD keeps nothing between steps)."""
        return {}, {}

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Go on from :meth:`state`."""

    def step(self, parameters: dict[str, np.ndarray], gradients: dict[str, Gradient],
             eta: float | None = None) -> None:
        """Update every parameter array in place (η from the schedule, else ``self.eta``)."""
        eta = self.eta if eta is None else eta
        for name, theta in parameters.items():
            gradient = gradients[name]
            if isinstance(gradient, RowSparse):
                theta[gradient.rows] -= eta * gradient.values
            else:
                theta -= eta * gradient


class Momentum(SGD):
    """SGD with momentum: v ← μv + ∇, θ ← θ − ηv (v starts at 0).

    v is a running sum of past gradients decaying by μ per step; steps along directions
    the gradient keeps pointing to grow up to 1/(1 − μ) times, oscillations cancel.
    """

    def __init__(self, eta: float = 0.1, momentum: float = 0.9):
        super().__init__(eta)
        self.mu = momentum
        self.velocity: dict[str, np.ndarray] = {}

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        return {}, {f"velocity.{name}": v for name, v in self.velocity.items()}

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        self.velocity = {name.removeprefix("velocity."): np.array(v)
                         for name, v in arrays.items() if name.startswith("velocity.")}

    def step(self, parameters: dict[str, np.ndarray], gradients: dict[str, Gradient],
             eta: float | None = None) -> None:
        eta = self.eta if eta is None else eta
        for name, theta in parameters.items():
            gradient = gradients[name]
            if name not in self.velocity:
                self.velocity[name] = np.zeros_like(theta)
            v = self.velocity[name]
            if isinstance(gradient, RowSparse):
                rows = gradient.rows
                v[rows] = self.mu * v[rows] + gradient.values
                theta[rows] -= eta * v[rows]
            else:
                v *= self.mu
                v += gradient
                theta -= eta * v


class Adam(SGD):
    """Adam (Kingma & Ba, 2015): a step per parameter scaled by its gradient's history.

    m and s are moving averages of ∇ and ∇²; dividing by √ŝ gives every parameter a step of
    about η whatever the scale of its gradient. m̂, ŝ undo the bias of starting at 0.
    """

    def __init__(self, eta: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8):
        super().__init__(eta)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.m: dict[str, np.ndarray] = {}
        self.s: dict[str, np.ndarray] = {}
        self.t = 0

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        arrays = {f"m.{name}": m for name, m in self.m.items()}
        return {"t": self.t}, arrays | {f"s.{name}": s for name, s in self.s.items()}

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        self.t = int(meta.get("t", 0))
        self.m = {k.removeprefix("m."): np.array(v) for k, v in arrays.items()
                  if k.startswith("m.")}
        self.s = {k.removeprefix("s."): np.array(v) for k, v in arrays.items()
                  if k.startswith("s.")}

    def step(self, parameters: dict[str, np.ndarray], gradients: dict[str, Gradient],
             eta: float | None = None) -> None:
        eta = self.eta if eta is None else eta
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # η·m̂/(√ŝ + ε) with the bias corrections folded into the step size
        step_size = eta * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        epsilon = self.epsilon * math.sqrt(1.0 - b2**self.t)
        for name, theta in parameters.items():
            gradient = gradients[name]
            if name not in self.m:
                self.m[name], self.s[name] = np.zeros_like(theta), np.zeros_like(theta)
            m, s = self.m[name], self.s[name]
            if isinstance(gradient, RowSparse):
                # gather the rows once, update them, scatter them back
                rows, g = gradient.rows, gradient.values
                m_rows = m.take(rows, axis=0)
                m_rows *= b1
                m_rows += (1.0 - b1) * g
                s_rows = s.take(rows, axis=0)
                s_rows *= b2
                s_rows += (1.0 - b2) * (g * g)
                m[rows], s[rows] = m_rows, s_rows
                theta[rows] = theta.take(rows, axis=0) - step_size * m_rows / (
                    np.sqrt(s_rows) + epsilon)
            else:
                m *= b1
                m += (1.0 - b1) * gradient
                s *= b2
                s += (1.0 - b2) * gradient * gradient
                theta -= step_size * m / (np.sqrt(s) + epsilon)


def make_optimizer(name: str, eta: float, momentum: float = 0.9) -> SGD:
    """The optimiser called ``name``: sgd, momentum or adam."""
    if name == "sgd":
        return SGD(eta)
    if name == "momentum":
        return Momentum(eta, momentum)
    if name == "adam":
        return Adam(eta)
    raise ValueError(f"unknown optimizer {name!r}")  # TrainingSettings allows only OPTIMIZERS
