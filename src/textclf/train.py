"""Deprecated module path: the training loop and its settings live in :mod:`textclf.training`."""

import warnings

from textclf.training import (  # noqa: F401  (names this path used to offer)
    LINEAR_ADAM_ETA,
    MODEL_DEFAULTS,
    TrainingSettings,
    best_epoch,
    default_settings,
    format_epoch,
    train,
)

warnings.warn("textclf.train is deprecated: import from textclf.training",
              DeprecationWarning, stacklevel=2)
