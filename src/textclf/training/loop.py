"""The training loop: epochs of shuffled mini-batches, history, progress, early stopping.

One loop trains every model, from memory or from a stream. Each epoch the rows are
shuffled by a seeded generator and cut into mini-batches of m rows; a step strategy
(:mod:`textclf.training.step`) takes the steps: the lecture's plain step
θ ← θ − η∇ for any model and optimiser, or the same SGD steps in O(nnz) for linear models
(numpy or compiled). The epoch's training loss and accuracy are progressive: each document
is scored with the θ its batch's step starts from, and the sums over the epoch are divided
by N (a second pass over the training set would cost about a third of an epoch again).

With a dev set, each epoch also records the dev loss and accuracy. Early stopping
(``patience``) stops when the dev loss has not improved for that many epochs and puts back
the parameters of the best epoch. ``on_epoch_end(epoch, record)`` runs after each epoch (a
checkpoint, a tuner's bookkeeping); ``on_progress(rows)`` after each batch or block of
batches (it may raise to stop training, as the tuner's clock does).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from textclf.core import jit
from textclf.errors import SettingsError
from textclf.models.base import Model
from textclf.training.history import (
    DevSet,
    EarlyStopping,
    EpochCallback,
    best_epoch,
    dev_record,
    format_epoch,
    log,
)
from textclf.training.lbfgs import FullBatchLBFGS, block_sums
from textclf.training.plain_step import PlainStep
from textclf.training.regularization import Regularizer
from textclf.training.schedules import Schedule
from textclf.training.settings import TrainingSettings
from textclf.training.sources import InMemoryRows, RowSource
from textclf.training.sparse_step import BATCHES_PER_CALL, CompiledStep, SparseStep, supports
from textclf.training.step import Step

ENGINES = ("auto", "plain", "sparse", "compiled")


def choose_step(model: Model, settings: TrainingSettings, schedule: Schedule,
                engine: str = "auto", report_every: int = BATCHES_PER_CALL) -> Step:
    """The step strategy: ``auto`` takes the compiled sparse steps where the model and
    settings allow and numba is there, the numpy sparse steps without numba, else the plain
    step; ``plain``, ``sparse`` and ``compiled`` ask for one. The compiled step reports
    progress every ``report_every`` batches (the others after each batch)."""
    if engine not in ENGINES:
        raise SettingsError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    sparse_ok = supports(model, settings)
    if engine in ("sparse", "compiled") and not sparse_ok:
        raise SettingsError(f"the {engine} step trains logistic or softmax regression with "
                            "the sgd optimiser and no L1")
    if engine == "compiled" and not jit.enabled():
        raise SettingsError("the compiled step needs numba: pip install 'textclf[fast]'")
    if engine == "plain" or not sparse_ok:
        return PlainStep(model, settings, schedule)
    if engine == "compiled" or (engine == "auto" and jit.enabled()):
        return CompiledStep(model, settings, schedule, report_every)
    return SparseStep(model, settings, schedule)


class Trainer:
    """Trains ``model`` in place with ``settings``; :meth:`fit` returns the history.

    ``optimizer="lbfgs"`` hands the whole fit to full-batch L-BFGS
    (:mod:`textclf.training.lbfgs`). A cluster's workers run single epochs of this loop:
    :meth:`start`, then :meth:`run_epoch` from the step count and generator of that epoch.
    """

    def __init__(self, model: Model, settings: TrainingSettings, *, engine: str = "auto",
                 quiet: bool = True, on_epoch_end: EpochCallback | None = None,
                 on_progress: Callable[[int], None] | None = None,
                 report_every: int = BATCHES_PER_CALL):
        settings.validate()
        self.model, self.settings, self.engine = model, settings, engine
        self.quiet, self.on_epoch_end, self.on_progress = quiet, on_epoch_end, on_progress
        self.report_every = report_every  # batches between progress reports, at most
        self.step = 0  # mini-batch steps taken: the schedule's t

    def log(self, message: str) -> None:
        log(message, self.quiet)

    def start(self, n_rows: int) -> None:
        """Get ready for epochs of ``n_rows`` rows: the schedule over all the epochs'
        steps, the step strategy, step 0."""
        settings = self.settings
        self.steps_per_epoch = math.ceil(n_rows / settings.batch_size)
        schedule = Schedule(settings.schedule, settings.eta, self.steps_per_epoch,
                            self.steps_per_epoch * settings.epochs, settings.decay)
        self.stepper = choose_step(self.model, settings, schedule, self.engine,
                                   self.report_every)
        self.penalty = Regularizer(settings.l2, settings.l1, self.model.regularized())
        self.step = 0

    def run_epoch(self, source: RowSource, epoch: int,
                  rng: np.random.Generator | None) -> dict:
        """One epoch of mini-batch steps over ``source``, shuffled by ``rng`` (None: in
        order), from step :attr:`step` on. Returns the epoch's record (without the dev
        set), with the sums it was made of: ``loss_sum``, ``correct``, ``rows``."""
        model, settings, n = self.model, self.settings, source.n_rows
        started = time.perf_counter()
        loss_sum, correct, seen, eta = 0.0, 0, 0, settings.eta
        show_bar = not self.quiet and sys.stderr.isatty()
        model.training_mode = True
        with tqdm(total=n, desc=f"epoch {epoch}/{settings.epochs}", unit="doc",
                  disable=not show_bar, leave=False, file=sys.stderr) as bar:
            def progress(rows: int) -> None:
                bar.update(rows)
                if self.on_progress is not None:
                    self.on_progress(rows)

            try:
                for X, y, order in source.blocks(rng):
                    result = self.stepper.run(X, y, order, self.step, progress)
                    loss_sum, correct = loss_sum + result.loss_sum, correct + result.correct
                    self.step, eta, seen = result.step, result.eta, seen + len(y)
            finally:
                model.training_mode = False
        record = {"epoch": epoch, "train_loss": loss_sum / max(seen, 1),
                  "train_accuracy": correct / max(seen, 1), "eta": eta}
        if self.penalty.active:
            record["penalty"] = self.penalty.penalty(model.parameters())
        record["train_seconds"] = time.perf_counter() - started
        record.update(loss_sum=loss_sum, correct=correct, rows=seen)
        return record

    def fit(self, source: RowSource, dev: DevSet | None = None,
            shuffle: bool = True) -> list[dict]:
        model, settings = self.model, self.settings
        n = source.n_rows
        if n == 0:
            raise SettingsError("cannot train on zero documents")
        if settings.patience is not None and dev is None:
            raise SettingsError("early stopping (patience) needs a dev set to watch")
        if settings.optimizer == "lbfgs":
            lbfgs = FullBatchLBFGS(model, settings, quiet=self.quiet,
                                   on_epoch_end=self.on_epoch_end)
            return lbfgs.fit(lambda: block_sums(model, source.blocks(None)), dev)
        self.start(n)
        rng = np.random.default_rng(settings.seed)
        stopping = EarlyStopping(model, settings.patience, self.quiet)
        history: list[dict] = []
        for epoch in range(1, settings.epochs + 1):
            record = self.run_epoch(source, epoch, rng if shuffle else None)
            for key in ("loss_sum", "correct", "rows"):  # sums, not part of the history
                del record[key]
            seconds = record.pop("train_seconds")  # the dev set's columns come before it
            record.update(dev_record(model, dev), train_seconds=seconds)
            history.append(record)
            self.log(format_epoch(record, settings.epochs))
            if self.on_epoch_end is not None:
                self.on_epoch_end(epoch, record)
            if stopping.should_stop(record):
                break
        stopping.finish(history)
        return history


def train(
    model: Model,
    X: sp.csr_matrix,
    y: np.ndarray,
    settings: TrainingSettings,
    dev: tuple[sp.csr_matrix, np.ndarray] | None = None,
    quiet: bool = True,
    on_epoch_end: EpochCallback | None = None,
    engine: str = "auto",
    shuffle: bool = True,
) -> list[dict]:
    """Train ``model`` in place on the rows of X with targets y; return the history, one
    dict per epoch. ``shuffle=False`` keeps the rows in their order (as a stream read from
    disk would come); ``engine`` picks the step strategy (:func:`choose_step`)."""
    X = sp.csr_matrix(X)
    y = np.asarray(y)
    if len(y) != X.shape[0]:
        raise SettingsError(f"X has {X.shape[0]} rows but y has {len(y)} targets")
    trainer = Trainer(model, settings, engine=engine, quiet=quiet, on_epoch_end=on_epoch_end)
    return trainer.fit(InMemoryRows(X, y), dev, shuffle=shuffle)


__all__ = ["ENGINES", "Trainer", "best_epoch", "choose_step", "format_epoch", "train"]
