"""The training layer: settings, optimisers, schedules, regularisation and the one loop.

``loop.train`` / ``loop.Trainer`` run every model, from memory or from a stream
(``sources``), through a step strategy (``step``: ``plain_step`` is the lecture's
θ ← θ − η∇ for any model and optimiser; ``sparse_step`` makes the same SGD steps in O(nnz)
for linear models, in numpy or compiled). ``estimators`` gives the models a ``fit``;
``weights`` the objective Σᵢ sᵢ L⁽ⁱ⁾ with sample weights.
"""

from textclf.training.estimators import FeedForwardNetwork, LogisticRegression, SoftmaxRegression
from textclf.training.loop import ENGINES, Trainer, best_epoch, choose_step, format_epoch, train
from textclf.training.optimizers import OPTIMIZERS, SGD, Adam, Momentum, make_optimizer
from textclf.training.regularization import Regularizer, scale_biases
from textclf.training.schedules import SCHEDULES, Schedule
from textclf.training.settings import (
    LINEAR_ADAM_ETA,
    MODEL_DEFAULTS,
    TrainingSettings,
    default_settings,
)
from textclf.training.sources import InMemoryRows, StreamedRows

__all__ = [
    "ENGINES",
    "LINEAR_ADAM_ETA",
    "MODEL_DEFAULTS",
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "FeedForwardNetwork",
    "InMemoryRows",
    "LogisticRegression",
    "Momentum",
    "Regularizer",
    "Schedule",
    "SoftmaxRegression",
    "StreamedRows",
    "Trainer",
    "TrainingSettings",
    "best_epoch",
    "choose_step",
    "default_settings",
    "format_epoch",
    "make_optimizer",
    "scale_biases",
    "train",
]
