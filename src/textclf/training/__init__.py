"""The training layer: settings, optimisers, schedules, regularisation and the one loop.

``loop.train`` / ``loop.Trainer`` run every model, from memory or from a stream
(``sources``), through a step strategy (``step``: ``plain_step`` is the lecture's
θ ← θ − η∇ for any model and optimiser; ``sparse_step`` makes the same SGD steps in O(nnz)
for linear models, in numpy or compiled). ``estimators`` gives the models a ``fit``;
``sources`` also gives each row its weight sᵢ in the objective Σᵢ sᵢ L⁽ⁱ⁾ / Σᵢ sᵢ.
``lbfgs`` minimises the full-batch objective from partial sums over any split of the rows
(``optimizer="lbfgs"``); ``history`` is what every way of training records.
"""
from textclf.core.exports import lazy_exports

# (names imported when first used: a command imports only the modules it needs)
__getattr__, __dir__ = lazy_exports(__name__, {
    "FeedForwardNetwork": "textclf.training.estimators",
    "LogisticRegression": "textclf.training.estimators",
    "SoftmaxRegression": "textclf.training.estimators",
    "best_epoch": "textclf.training.history",
    "format_epoch": "textclf.training.history",
    "FullBatchLBFGS": "textclf.training.lbfgs",
    "Objective": "textclf.training.lbfgs",
    "PartialSums": "textclf.training.lbfgs",
    "partial_sums": "textclf.training.lbfgs",
    "ENGINES": "textclf.training.loop",
    "Trainer": "textclf.training.loop",
    "choose_step": "textclf.training.loop",
    "train": "textclf.training.loop",
    "OPTIMIZERS": "textclf.training.settings",
    "SCHEDULES": "textclf.training.settings",
    "SGD": "textclf.training.optimizers",
    "Adam": "textclf.training.optimizers",
    "Momentum": "textclf.training.optimizers",
    "Regularizer": "textclf.training.optimizers",
    "Schedule": "textclf.training.optimizers",
    "make_optimizer": "textclf.training.optimizers",
    "scale_biases": "textclf.training.optimizers",
    "LBFGS_ITERATIONS": "textclf.training.settings",
    "LBFGS_L2": "textclf.training.settings",
    "LINEAR_ADAM_ETA": "textclf.training.settings",
    "MODEL_DEFAULTS": "textclf.training.settings",
    "TrainingSettings": "textclf.training.settings",
    "default_settings": "textclf.training.settings",
    "InMemoryRows": "textclf.training.sources",
    "ShardedRows": "textclf.training.sources",
    "StreamedRows": "textclf.training.sources",
})

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
