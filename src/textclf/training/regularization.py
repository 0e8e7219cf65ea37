"""Regularisation: penalties on the weights, and the bias's own learning rate."""

from __future__ import annotations

from typing import Any

import numpy as np

from textclf.models.sparse_gradient import RowSparse

Gradient = np.ndarray | RowSparse


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
