"""Deprecated module path: ``inspect_model`` lives in :mod:`textclf.explain`."""

import warnings

from textclf.explain import FeatureWeight, ModelSummary, inspect_model  # noqa: F401

warnings.warn("textclf.inspection is deprecated: import from textclf.explain "
              "(or call TextClassifier.inspect)", DeprecationWarning, stacklevel=2)
