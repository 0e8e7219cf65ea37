"""How a gradient becomes a step: the optimiser, the learning rate η_t over the steps, the
penalties on the weights and the bias's own rate.

Every optimiser updates the parameter arrays in place from the mini-batch mean gradient ∇:

    SGD        θ ← θ − η∇                                  (the lecture's step)
    momentum   v ← μv + ∇,   θ ← θ − ηv
    Adam       m ← β₁m + (1−β₁)∇,  s ← β₂s + (1−β₂)∇²,
               θ ← θ − η · m̂ / (√ŝ + ε),   m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ)

A :class:`~textclf.models.sparse_gradient.RowSparse` gradient (zero outside the rows of the
features in the batch) updates only those rows. For SGD that is exact; momentum and Adam then keep
their moving averages "lazily", for the rows present (as PyTorch's SparseAdam does),
which saves touching every row of a |F| × H matrix at every step.

The learning rate of step t comes from a schedule (:class:`Schedule`); L2 and L1 penalties
and the bias's rate act around the optimiser's step (:class:`Regularizer`,
:func:`scale_biases`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from textclf.models.sparse_gradient import RowSparse

Gradient = np.ndarray | RowSparse


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




class Schedule:
    """η_t, the learning rate of step t = 0, 1, ..., T−1 (t counts mini-batches).

        constant   η_t = η
        invtime    η_t = η / (1 + d·t/B)      (B steps per epoch: η/(1+d) after one epoch,
                                               η/(1+2d) after two: inverse-time decay)
        linear     η_t = η · (1 − t/T)        (from η down to η/T at the last step)
    """

    def __init__(self, kind: str, eta: float, steps_per_epoch: int, total_steps: int,
                 decay: float = 1.0):
        self.kind, self.eta, self.decay = kind, eta, decay
        self.steps_per_epoch, self.total_steps = steps_per_epoch, total_steps

    def __call__(self, t: int) -> float:
        if self.kind == "invtime":
            return self.eta / (1.0 + self.decay * t / self.steps_per_epoch)
        if self.kind == "linear":
            return self.eta * (1.0 - t / self.total_steps)
        return self.eta


def scale_biases(gradients: dict[str, Gradient], biases: dict[str, Any],
                 rate: float) -> dict[str, Gradient]:
    """The gradients with the biases' entries times ``rate``: with SGD (and momentum) the
    bias then moves at η·rate while the weights move at η.

    Why: the dummy feature 1 is in every document while a term is in few, and a tf-idf
    value is about 0.1. The loss curves thousands of times more steeply along b than along
    a term's weight, so an η large enough for the terms makes b jump from one extreme to
    the other (the whole batch's mean error, times η, in one step) and the accuracy swing
    from epoch to epoch. scikit-learn's SGDClassifier slows its intercept on sparse data in
    the same way. Adam divides each parameter's step by its own gradient scale, so there
    ``rate`` has (almost) no effect.
    """
    if rate == 1.0 or not biases:
        return gradients
    gradients = dict(gradients)
    for name, index in biases.items():
        gradient = gradients[name]
        if isinstance(gradient, RowSparse):
            values = gradient.values.copy()
            if index == -1:  # θ's last row: present in every batch (the dummy feature)
                last = np.flatnonzero(gradient.rows == gradient.shape[0] - 1)
                values[last] *= rate
            else:
                values[:] *= rate
            gradients[name] = RowSparse(gradient.rows, values, gradient.shape)
        else:
            gradient = np.array(gradient, dtype=np.float64)
            gradient[index] *= rate
            gradients[name] = gradient
    return gradients


class Regularizer:
    """Penalties on the weights w (biases excluded) added to the mean data loss:

        J(θ) = (1/N) Σᵢ L⁽ⁱ⁾ + (λ₂/2)‖w‖² + λ₁‖w‖₁

    L1 is applied after the optimiser's step as its proximal map, the soft threshold
    w ← sign(w)·max(|w| − ηλ₁, 0), which sets small weights exactly to 0. L2, with plain
    SGD (``implicit_l2``), is its implicit step w ← w / (1 + ηλ₂) after the data step: the
    same optimum as the explicit w ← (1 − ηλ₂)w − η∇, but stable for any ηλ₂, where the
    explicit step flips the weights' sign and diverges once ηλ₂ > 1. With momentum and
    Adam, λ₂w joins the gradient (their moving averages then see the whole objective, so
    they converge to its optimum). ``masks`` gives, per parameter name, the index of its
    weights (see :meth:`Model.regularized`).
    """

    def __init__(self, l2: float, l1: float, masks: dict[str, Any], implicit_l2: bool = True):
        self.l2, self.l1, self.masks, self.implicit_l2 = l2, l1, masks, implicit_l2

    @property
    def active(self) -> bool:
        return self.l2 > 0 or self.l1 > 0

    def penalty(self, parameters: dict[str, np.ndarray]) -> float:
        """(λ₂/2)‖w‖² + λ₁‖w‖₁."""
        total = 0.0
        for name, index in self.masks.items():
            w = parameters[name][index]
            if self.l2:
                total += 0.5 * self.l2 * float(np.sum(w * w))
            if self.l1:
                total += self.l1 * float(np.sum(np.abs(w)))
        return total

    def add_gradient(self, parameters: dict[str, np.ndarray],
                     gradients: dict[str, Gradient]) -> dict[str, Gradient]:
        """∇ + λ₂w on the weights when L2 is not implicit (a new dict; the model's arrays
        are untouched). A row-sparse gradient becomes dense: λ₂w reaches every weight."""
        if not self.l2 or self.implicit_l2:
            return gradients
        gradients = dict(gradients)
        for name, index in self.masks.items():
            gradient = np.array(gradients[name], dtype=np.float64)  # dense copy
            gradient[index] += self.l2 * parameters[name][index]
            gradients[name] = gradient
        return gradients

    def shrink(self, parameters: dict[str, np.ndarray], eta: float) -> None:
        """After the step, in place: w ← sign(w)·max(|w| − ηλ₁, 0), then (implicit L2)
        w ← w / (1 + ηλ₂)."""
        for name, index in self.masks.items():
            w = parameters[name][index]
            if self.l1:
                np.copyto(w, np.sign(w) * np.maximum(np.abs(w) - eta * self.l1, 0.0))
            if self.l2 and self.implicit_l2:
                w /= 1.0 + eta * self.l2
