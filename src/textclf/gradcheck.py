"""Deprecated module path: gradient checks live in :mod:`textclf.models.gradcheck`."""

import warnings

from textclf.models.gradcheck import (  # noqa: F401  (names this path used to offer)
    TOLERANCE,
    BlockCheck,
    gradient_check,
    layer_gradient_check,
    numeric_gradient,
    random_problem,
    relative_error,
)

warnings.warn("textclf.gradcheck is deprecated: import from textclf.models.gradcheck",
              DeprecationWarning, stacklevel=2)
