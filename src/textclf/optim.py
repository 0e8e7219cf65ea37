"""Optimisers: how a gradient becomes a step on the parameters."""

from __future__ import annotations

import numpy as np

from textclf.errors import SettingsError


class SGD:
    """The lecture's gradient descent step: θ ← θ − η∇L."""

    def __init__(self, eta: float):
        if not eta > 0:
            raise SettingsError(f"the learning rate eta must be > 0, got {eta}")
        self.eta = eta

    def step(self, parameters: dict[str, np.ndarray], gradients: dict[str, np.ndarray]) -> None:
        """Update every parameter array in place."""
        for name, theta in parameters.items():
            theta -= self.eta * gradients[name]
