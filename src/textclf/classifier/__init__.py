"""The classifier: the settings of a fit and what it made, used together.

``classifier`` (:class:`TextClassifier`: fit, fit_stream, predict, evaluate, explain,
save, load; a thin object over :mod:`textclf.fitting`), ``scoring`` (a fitted classifier
scored on labelled texts).
"""

from textclf.classifier.classifier import TextClassifier
from textclf.fitting.settings import ARGUMENTS, GROUPS, RunSettings

__all__ = ["ARGUMENTS", "GROUPS", "RunSettings", "TextClassifier"]
