"""Initial parameters of the linear models: the lecture's zeros, or small random values."""

from __future__ import annotations

import numpy as np

from textclf.errors import SettingsError
from textclf.models.settings import INITS


def check_init(init: str) -> str:
    if init not in INITS:
        raise SettingsError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return init


def initial_parameters(shape: int | tuple[int, ...], init: str, seed: int,
                       scale: float = 0.01) -> np.ndarray:
    """θ of ``shape``: all zeros, or seeded values drawn from N(0, scale²).

    Cross-entropy of a linear model is convex, so zeros reach the same optimum; random
    values only change the path (they matter for networks, whose hidden units must differ).
    """
    if check_init(init) == "zeros":
        return np.zeros(shape)
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)
