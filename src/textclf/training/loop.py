"""The training loop: epochs of shuffled mini-batches, history, progress, early stopping.

One loop trains every model, from memory or from a stream (``optimizer="lbfgs"`` hands the
whole fit to full-batch L-BFGS, :mod:`textclf.training.lbfgs`; naive Bayes counts its θ in
one pass, :mod:`textclf.training.counted`). Each epoch the rows are
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
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from textclf.core import jit
from textclf.errors import SettingsError, TrainingError
from textclf.models.base import Model
from textclf.training.counted import count_fit
from textclf.training.history import (
    EarlyStopping,
    EpochCallback,
    best_epoch,
    dev_record,
    format_epoch,
    log,
)
from textclf.training.lbfgs import FullBatchLBFGS, block_sums
from textclf.training.optimizers import Regularizer, Schedule
from textclf.training.plain_step import PlainStep
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


@dataclass
class TrainingState:
    """Where a run stands after an epoch, for a checkpoint: enough to go on and end with
    exactly the θ of a run that was never interrupted. ``meta`` is JSON-able (epoch, step,
    the shuffling generator's state, the history, the best epoch so far); ``arrays`` hold
    the optimiser's averages and the best epoch's parameters."""

    meta: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class Trainer:
    """Trains ``model`` in place with ``settings``; :meth:`fit` returns the history."""

    def __init__(self, model: Model, settings: TrainingSettings, *, engine: str = "auto",
                 quiet: bool = True, on_epoch_end: EpochCallback | None = None,
                 on_progress: Callable[[int], None] | None = None,
                 report_every: int = BATCHES_PER_CALL):
        settings.validate()
        self.model, self.settings, self.engine = model, settings, engine
        self.quiet, self.on_epoch_end, self.on_progress = quiet, on_epoch_end, on_progress
        self.report_every = report_every  # batches between progress reports, at most
        self.history: list[dict] = []
        self.stopping = EarlyStopping(model, settings.patience, quiet)
        self.step, self.epoch = 0, 0
        self.rng = np.random.default_rng(settings.seed)
        self.stepper: Step | None = None
        self.step_state: tuple[dict, dict] | None = None  # optimiser state to start from

    def log(self, message: str) -> None:
        log(message, self.quiet)

    @property
    def best(self) -> tuple[float, int, dict[str, np.ndarray]] | None:
        """(dev loss, epoch, parameters) of the best epoch so far, with early stopping."""
        return self.stopping.best

    def start(self, n_rows: int) -> None:
        """Get ready for epochs of ``n_rows`` rows: the schedule over all the epochs' steps
        and the step strategy."""
        settings = self.settings
        self.steps_per_epoch = math.ceil(n_rows / settings.batch_size)
        schedule = Schedule(settings.schedule, settings.eta, self.steps_per_epoch,
                            self.steps_per_epoch * settings.epochs, settings.decay)
        self.stepper = choose_step(self.model, settings, schedule, self.engine,
                                   self.report_every)

    def fit(self, source: RowSource, dev: tuple | None = None, shuffle: bool = True,
            resume: TrainingState | None = None) -> list[dict]:
        """Run the epochs (from where ``resume`` stood, if given) and return the history.
        ``dev``: (X, y), or (X, y, weights) for a weighted dev loss."""
        model, settings = self.model, self.settings
        n = source.n_rows
        if n == 0:
            raise SettingsError("cannot train on zero documents")
        if settings.patience is not None and dev is None:
            raise SettingsError("early stopping (patience) needs a dev set to watch")
        if getattr(model, "closed_form", False):  # naive Bayes: θ counted in one pass
            if resume is not None:
                raise SettingsError("naive Bayes counts its θ in one pass: there is nothing "
                                    "to resume (train without --resume)")
            self.history = count_fit(model, source, dev, self.quiet, self.on_epoch_end)
            self.epoch = 1
            return self.history
        if settings.optimizer == "lbfgs":
            if resume is not None:
                raise SettingsError("--resume goes on with mini-batch epochs; the lbfgs "
                                    "optimizer starts again (train without --resume)")
            def after_iteration(iteration: int, record: dict) -> None:
                self.history.append(record)  # what a checkpoint written now holds
                self.epoch = iteration
                if self.on_epoch_end is not None:
                    self.on_epoch_end(iteration, record)

            lbfgs = FullBatchLBFGS(model, settings, quiet=self.quiet,
                                   on_epoch_end=after_iteration)
            self.history = lbfgs.fit(lambda: block_sums(model, source.blocks(None)), dev)
            return self.history
        self.start(n)
        if self.step_state is not None and resume is None:  # an optimiser's saved averages
            self.stepper.load_state(*self.step_state)
        if resume is not None:
            self.restore_state(resume)
        penalty = Regularizer(settings.l2, settings.l1, model.regularized())
        eta = self.history[-1]["eta"] if self.history else settings.eta
        for epoch in range(self.epoch + 1, settings.epochs + 1):
            if self.stopped_early():  # a run resumed after its early stop
                break
            started = time.perf_counter()
            loss_sum, correct, seen, eta = self.run_epoch(
                source, epoch, self.rng if shuffle else None, eta)
            record = {"epoch": epoch, "train_loss": loss_sum / max(seen, 1),
                      "train_accuracy": correct / max(seen, 1), "eta": eta}
            check_finite(self.model, self.settings, epoch, record["train_loss"])
            if penalty.active:
                record["penalty"] = penalty.penalty(model.parameters())
            if dev is not None:
                record |= dev_record(model, dev)
            record["train_seconds"] = time.perf_counter() - started
            self.history.append(record)
            self.epoch = epoch
            self.log(format_epoch(record, settings.epochs))
            stop = self.stopping.should_stop(record)  # (the best epoch noted before a checkpoint)
            if self.on_epoch_end is not None:
                self.on_epoch_end(epoch, record)
            if stop:
                break
        self.stopping.finish(self.history)
        return self.history

    def partial_fit(self, source: RowSource, shuffle: bool = True) -> dict:
        """One more pass over ``source``, as scikit-learn's ``partial_fit``: mini-batch steps
        at a constant η (a stream has no known end for a schedule to decay to), the
        optimiser's state, the step count and the shuffling generator carried over from the
        passes before. Returns the pass's record (also appended to the history)."""
        if source.n_rows == 0:
            raise SettingsError("partial_fit needs at least one document")
        if getattr(self.model, "closed_form", False):
            raise SettingsError("partial_fit takes mini-batch steps; naive Bayes counts all "
                                "its documents at once (train it with fit)")
        if self.settings.optimizer == "lbfgs":
            raise SettingsError("partial_fit takes mini-batch steps: the lbfgs optimizer "
                                "minimises over all the data at once (choose sgd, momentum "
                                "or adam)")
        if self.stepper is None:
            schedule = Schedule("constant", self.settings.eta, 1, 1)
            self.stepper = choose_step(self.model, self.settings, schedule, self.engine,
                                       self.report_every)
            if self.step_state is not None:
                self.stepper.load_state(*self.step_state)
        started = time.perf_counter()
        loss_sum, correct, seen, eta = self.run_epoch(
            source, self.epoch + 1, self.rng if shuffle else None, self.settings.eta)
        self.epoch += 1
        record = {"epoch": self.epoch, "train_loss": loss_sum / max(seen, 1),
                  "train_accuracy": correct / max(seen, 1), "eta": eta, "documents": seen,
                  "train_seconds": time.perf_counter() - started}
        check_finite(self.model, self.settings, self.epoch, record["train_loss"])
        self.history.append(record)
        return record

    def stopped_early(self) -> bool:
        """``patience`` epochs have passed without a lower dev loss."""
        patience = self.settings.patience
        return patience is not None and self.best is not None \
            and self.epoch - self.best[1] >= patience

    def epoch_sums(self, source: RowSource, epoch: int,
                   rng: np.random.Generator | None) -> dict:
        """One epoch on a cluster's worker (after :meth:`start`, from step :attr:`step`):
        the sums its record is made of, ``loss_sum``, ``correct``, ``rows``, and the last
        ``eta``."""
        loss_sum, correct, seen, eta = self.run_epoch(source, epoch, rng, self.settings.eta)
        return {"loss_sum": loss_sum, "correct": correct, "rows": seen, "eta": eta}

    def run_epoch(self, source: RowSource, epoch: int, rng: np.random.Generator | None,
                  eta: float) -> tuple[float, int, int, float]:
        """One pass over the source's blocks, shuffled by ``rng`` (None: in order):
        (Σ loss, rows right, rows seen, last η)."""
        n = source.n_rows
        show_bar = not self.quiet and sys.stderr.isatty()
        loss_sum, correct, seen = 0.0, 0, 0
        self.model.training_mode = True
        with tqdm(total=n, desc=f"epoch {epoch}/{self.settings.epochs}", unit="doc",
                  disable=not show_bar, leave=False, file=sys.stderr) as bar:
            def progress(rows: int) -> None:
                bar.update(rows)
                if self.on_progress is not None:
                    self.on_progress(rows)

            try:
                for block in source.blocks(rng):
                    X, y, weights, order = block
                    result = self.stepper.run(X, y, order, self.step, progress, weights)
                    loss_sum, correct = loss_sum + result.loss_sum, correct + result.correct
                    self.step, eta, seen = result.step, result.eta, seen + len(y)
            finally:
                self.model.training_mode = False
        return loss_sum, correct, seen, eta

    # checkpoints ------------------------------------------------------------------------------
    def state(self) -> TrainingState:
        """Where the run stands after the last finished epoch (see :class:`TrainingState`)."""
        step_meta, step_arrays = self.stepper.state() if self.stepper else ({}, {})
        meta = {"epoch": self.epoch, "step": self.step, "history": self.history,
                "rng": self.rng.bit_generator.state, "step_state": step_meta,
                "model_rng": self.model.random_state(),
                "best": None if self.best is None else [self.best[0], self.best[1]]}
        arrays = {f"step.{name}": array for name, array in step_arrays.items()}
        if self.best is not None:
            arrays |= {f"best.{name}": array for name, array in self.best[2].items()}
        return TrainingState(meta, arrays)

    def restore_state(self, state: TrainingState) -> None:
        """Go on from a checkpoint's state, every part of it checked: a file is untrusted
        input, and a state that does not fit this run is refused in one line."""
        meta = state.meta
        try:
            epoch, step = meta["epoch"], meta["step"]
            if not (type(epoch) is int and 0 <= epoch <= self.settings.epochs
                    and type(step) is int and 0 <= step <= epoch * self.steps_per_epoch):
                raise ValueError(f"epoch {epoch!r} and step {step!r} do not fit this run")
            if not isinstance(meta.get("step_state", {}), dict):
                raise ValueError("the optimiser's state is not a mapping")
            arrays = {k: np.asarray(v) for k, v in state.arrays.items()}
            bad = next((k for k, v in arrays.items() if v.dtype.kind != "f"
                        or not np.all(np.isfinite(v))), None)
            if bad is not None:
                raise ValueError(f"{bad} holds values that are not finite floats")
            shapes = {name: array.shape for name, array in self.model.parameters().items()}
            for key, array in arrays.items():  # step.velocity.θ, step.m.θ, best.θ: θ's shape
                parameter = key.removeprefix("best.") if key.startswith("best.") \
                    else key.split(".", 2)[-1]
                if shapes.get(parameter) != array.shape:
                    raise ValueError(f"{key} has shape {array.shape}, its parameter "
                                     f"{shapes.get(parameter, 'none')}")
            if not all(isinstance(value, int | float) and not isinstance(value, bool)
                       and value >= 0 for value in meta.get("step_state", {}).values()):
                raise ValueError("the optimiser's counters are not numbers ≥ 0")
            self.epoch, self.step = epoch, step
            self.history = [dict(record) for record in meta["history"]]
            self.rng.bit_generator.state = meta["rng"]
            self.model.set_random_state(meta.get("model_rng"))
            self.stepper.load_state(meta.get("step_state", {}), {
                k.removeprefix("step."): v for k, v in arrays.items() if k.startswith("step.")})
            if meta.get("best") is not None:
                loss, best_epoch = meta["best"]
                best = {k.removeprefix("best."): np.array(v) for k, v in arrays.items()
                        if k.startswith("best.")}
                if set(best) != set(shapes):
                    raise ValueError("the best epoch's parameters do not fit the model")
                self.stopping.best = (float(loss), int(best_epoch), best)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise SettingsError(f"the checkpoint's training state cannot be used ({err})") \
                from err


def check_finite(model: Model, settings: TrainingSettings, epoch: int, loss: float) -> None:
    """Stop, saying what to change, when the loss or θ is no longer finite (after an epoch
    of any way of training by steps: here, or averaged over a cluster's workers)."""
    if math.isfinite(loss) and all(np.all(np.isfinite(array))
                                   for array in model.parameters().values()):
        return
    raise TrainingError(
        f"training diverged in epoch {epoch}: the training loss is {loss}; lower the "
        f"learning rate (eta is {settings.eta:g}), or take --schedule linear or --optimizer "
        "adam; no model was written for this epoch"
    )


def train(
    model: Model,
    X: sp.csr_matrix,
    y: np.ndarray,
    settings: TrainingSettings,
    dev: tuple | None = None,
    quiet: bool = True,
    on_epoch_end: EpochCallback | None = None,
    engine: str = "auto",
    shuffle: bool = True,
    weights: np.ndarray | None = None,
) -> list[dict]:
    """Train ``model`` in place on the rows of X with targets y (and sample weights, each
    row's loss and gradient term times its weight); return the history, one dict per epoch.
    ``shuffle=False`` keeps the rows in their order (as a stream read from disk would
    come); ``engine`` picks the step strategy (:func:`choose_step`)."""
    X = sp.csr_matrix(X)
    y = np.asarray(y)
    if len(y) != X.shape[0]:
        raise SettingsError(f"X has {X.shape[0]} rows but y has {len(y)} targets")
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
    trainer = Trainer(model, settings, engine=engine, quiet=quiet, on_epoch_end=on_epoch_end)
    return trainer.fit(InMemoryRows(X, y, weights), dev, shuffle=shuffle)


__all__ = ["ENGINES", "Trainer", "TrainingState", "best_epoch", "choose_step",
           "format_epoch", "train"]
