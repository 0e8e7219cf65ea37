"""The classifier: a featuriser, a model and the label names, trained and used together.

``classifier`` (:class:`TextClassifier`: fit, fit_stream, predict, evaluate, explain,
save, load), ``settings`` (every argument, from the layers that declare them),
``streaming`` (reading a corpus chunk by chunk for ``fit_stream``), ``persistence`` (the
classifier in the model file).
"""

from textclf.classifier.classifier import TextClassifier
from textclf.classifier.settings import ARGUMENTS, GROUPS, RunSettings

__all__ = ["ARGUMENTS", "GROUPS", "RunSettings", "TextClassifier"]
