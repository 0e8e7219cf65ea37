"""The models layer: the lecture's math, over feature rows x (CSR, dummy feature 1 last).

Each model maps rows to class probabilities and owns its gradient; none of them sees text.
``MODEL_KINDS`` maps the name used in settings, on the command line and in the model file to
the class: logistic (binary, sigmoid), softmax (K classes), multilabel (a sigmoid per label,
any number of labels per document) and mlp (a feedforward network, with either output),
nb (multinomial naive Bayes) and ensemble (averaged probabilities of models over groups of
the features).
Training them is the job of :mod:`textclf.training` (``textclf.LogisticRegression`` and its
siblings add ``fit`` to these classes).
"""

from textclf.models.base import Model
from textclf.models.catalog import MODEL_KINDS
from textclf.models.ensemble import Ensemble
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.models.multilabel import MultiLabelLogisticRegression
from textclf.models.settings import LINEAR_KINDS, MODEL_CHOICES, ModelSettings
from textclf.models.softmax import SoftmaxRegression
from textclf.models.sparse_gradient import RowSparse

__all__ = [
    "LINEAR_KINDS",
    "MODEL_CHOICES",
    "MODEL_KINDS",
    "Ensemble",
    "FeedForwardNetwork",
    "LogisticRegression",
    "Model",
    "ModelSettings",
    "MultiLabelLogisticRegression",
    "RowSparse",
    "SoftmaxRegression",
]
