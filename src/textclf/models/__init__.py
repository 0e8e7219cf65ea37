"""Models: each maps feature rows to class probabilities and owns its gradient.

``MODEL_KINDS`` maps the name used in settings, on the command line and in the model file
to the class: logistic (binary, sigmoid), softmax (K classes) and mlp (a feedforward
network).
"""

from textclf.models.base import Model, RowSparse
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.models.softmax import SoftmaxRegression

MODEL_KINDS: dict[str, type[Model]] = {
    LogisticRegression.kind: LogisticRegression,
    SoftmaxRegression.kind: SoftmaxRegression,
    FeedForwardNetwork.kind: FeedForwardNetwork,
}

__all__ = [
    "MODEL_KINDS",
    "FeedForwardNetwork",
    "LogisticRegression",
    "Model",
    "RowSparse",
    "SoftmaxRegression",
]
