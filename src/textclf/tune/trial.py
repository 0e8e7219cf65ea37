"""One trial of the search: its record, and training it within the clock."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from textclf.features.featurizer import Featurizer
from textclf.models.base import Model
from textclf.training.loop import Trainer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import InMemoryRows
from textclf.tune.budget import Budget


def table_header(score: str) -> str:
    """The header of the table of trials; ``score`` names the score column (dev or CV)."""
    return (f"{'trial':>5}  {'model':<8} {'ngrams':>6} {'chars':>5}  {'weighting':<9} "
            f"{'eta':>9} {'l2':>8} {'epochs':>7} {'other':<9} {score:>8} {'seconds':>8}  "
            "status")


@dataclass
class Trial:
    """What one trial tried and how it did on the dev set."""

    number: int
    model: str
    ngrams: int
    weighting: str
    eta: float
    l2: float
    max_epochs: int
    epochs: int = 0  # the best epoch: the model kept is the one after this epoch
    epochs_run: int = 0
    score: float = float("nan")
    started: float = 0.0  # seconds into the search when the trial began
    seconds: float = 0.0
    status: str = "ok"  # ok | out of time | failed: reason
    char_ngrams: tuple[int, int] | None = None
    fold_scores: list[float] | None = None  # cross-validation: the score on each fold
    still_improving: bool = False  # the score rose at the last epoch: more might help
    optimizer: str = "default"  # the model kind's own, or lbfgs
    alpha: float | None = None  # naive Bayes's smoothing
    beta: float | None = None  # Wang and Manning's interpolation (None: none)

    def other(self) -> str:
        """What the columns do not show: L-BFGS, naive Bayes's α, the interpolation β."""
        parts = ["lbfgs"] if self.optimizer == "lbfgs" else []
        if self.alpha is not None:
            parts.append(f"α={self.alpha:g}")
        if self.beta is not None:
            parts.append(f"β={self.beta:g}")
        return ",".join(parts) or "-"

    def as_dict(self) -> dict:
        record = asdict(self)
        if math.isnan(record["score"]):
            record["score"] = None  # JSON has no NaN
        return record

    def format(self, mark: str = "") -> str:
        """One row of the table of trials (see :func:`table_header`), with ``mark`` after
        its status (``*kept`` on the row of the model the search keeps). The epochs column
        is the epochs the kept model of these settings trains, of the most tried."""
        score_text = "-" if math.isnan(self.score) else f"{self.score:.4f}"
        epochs = f"{self.epochs}/{self.max_epochs}"
        chars = "-" if self.char_ngrams is None else "{}-{}".format(*self.char_ngrams)
        return (f"{self.number:>5}  {self.model:<8} {self.ngrams:>6} {chars:>5}  "
                f"{self.weighting:<9} "
                f"{self.eta:>9.3g} {self.l2:>8.2g} {epochs:>7} {self.other():<9} {score_text:>8} "
                f"{self.seconds:>8.1f}  {self.status}{'  ' + mark if mark else ''}")


@dataclass
class CachedFeatures:
    """A featuriser fitted for some trial, and the matrices it made."""

    featurizer: Featurizer
    X: sp.csr_matrix
    X_dev: sp.csr_matrix
    mean_squared_norm: float  # mean ‖x‖² of the training rows, dummy feature included


class OutOfTimeError(Exception):
    """Raised in a trial when the next epoch (or mini-batch) would not fit the budget."""


class NoProgressError(Exception):
    """Raised in a trial's epoch loop when the dev score stopped improving."""


class TrialCappedError(Exception):
    """Raised in a trial when it would run past its share of the budget."""


class ClockGuard:
    """Checks the clock after every mini-batch of a trial (the loop's progress report).

    So a trial stops within one mini-batch of the deadline, or of its own time cap
    (``cap_until``), even in the middle of an epoch; its parameters then go back to its
    best finished epoch, if any. ``enforce`` is False only during the first trial's first
    epoch, which must finish so that there is a model.
    """

    def __init__(self, model: Model, budget: Budget, enforce: bool, cap_until: float):
        self.model, self.budget, self.enforce, self.cap_until = model, budget, enforce, cap_until

    def __call__(self, rows: int) -> None:
        if self.enforce:
            if self.budget.left() <= 0:
                raise OutOfTimeError
            if self.budget.clock() > self.cap_until:
                raise TrialCappedError


def train(model: Model, X: sp.csr_matrix, y: np.ndarray, settings: TrainingSettings,
          on_epoch_end: Callable[[int, dict], None], guard: ClockGuard) -> list[dict]:
    """One trial's training, the guard called after every mini-batch."""
    trainer = Trainer(model, settings, on_epoch_end=on_epoch_end, on_progress=guard,
                      report_every=1)
    return trainer.fit(InMemoryRows(X, y))
