"""The training layer: settings, optimisers, schedules, regularisation and the one loop.

``loop.train`` / ``loop.Trainer`` run every model, from memory or from a stream
(``sources``), through a step strategy (``step``: ``plain_step`` is the lecture's
θ ← θ − η∇ for any model and optimiser; ``sparse_step`` makes the same SGD steps in O(nnz)
for linear models, in numpy or compiled). ``estimators`` gives the models a ``fit``;
``weights`` the objective Σᵢ sᵢ L⁽ⁱ⁾ with sample weights. ``lbfgs`` minimises the
full-batch objective from partial sums over any split of the rows (``optimizer="lbfgs"``);
``history`` is what every way of training records.
"""

from textclf.training.estimators import FeedForwardNetwork, LogisticRegression, SoftmaxRegression
from textclf.training.history import best_epoch, format_epoch
from textclf.training.lbfgs import FullBatchLBFGS, Objective, PartialSums, partial_sums
from textclf.training.loop import ENGINES, Trainer, choose_step, train
from textclf.training.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    Momentum,
    Regularizer,
    Schedule,
    make_optimizer,
    scale_biases,
)
from textclf.training.settings import (
    LBFGS_ITERATIONS,
    LBFGS_L2,
    LINEAR_ADAM_ETA,
    MODEL_DEFAULTS,
    TrainingSettings,
    default_settings,
)
from textclf.training.sources import InMemoryRows, ShardedRows, StreamedRows

__all__ = [
    "ENGINES",
    "LBFGS_ITERATIONS",
    "LBFGS_L2",
    "LINEAR_ADAM_ETA",
    "MODEL_DEFAULTS",
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "FeedForwardNetwork",
    "FullBatchLBFGS",
    "InMemoryRows",
    "LogisticRegression",
    "Momentum",
    "Objective",
    "PartialSums",
    "Regularizer",
    "Schedule",
    "ShardedRows",
    "SoftmaxRegression",
    "StreamedRows",
    "Trainer",
    "TrainingSettings",
    "best_epoch",
    "choose_step",
    "default_settings",
    "format_epoch",
    "make_optimizer",
    "partial_sums",
    "scale_biases",
    "train",
]
