"""The training loop: shuffle, mini-batches, epochs, history, early stopping.

Each epoch the rows are shuffled by a seeded generator and cut into mini-batches of m rows.
For each batch the model returns the summed loss and gradient over its rows; the mean
gradient ∇ = (1/m)·Σᵢ∇L⁽ⁱ⁾ (its bias entries times ``bias_rate``, plus the regularisation
term) goes to the optimiser with the step's learning rate η_t from the schedule (plain SGD:
θ ← θ − η_t∇). The epoch's training
loss and accuracy are progressive: each document is scored with the θ its batch's step
starts from, and the sums over the epoch are divided by N. They come with the steps, where
a second pass over the training set after each epoch would cost about a third of an
epoch again (the streaming trainer reports them the same way).

With a dev set, each epoch also records the dev loss and accuracy. Early stopping
(``patience``) stops when the dev loss has not improved for that many epochs and puts back
the parameters of the best epoch.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from textclf import fast_train
from textclf.errors import SettingsError
from textclf.fast_train import SparseSGD
from textclf.models.base import Model
from textclf.optim import (
    OPTIMIZERS,
    SCHEDULES,
    Regularizer,
    Schedule,
    make_optimizer,
    scale_biases,
)


@dataclass
class TrainingSettings:
    """Settings of mini-batch training; stored in the model file.

    The field defaults are the lecture's plain loop: SGD at a constant η, no penalty, no
    early stopping. :data:`MODEL_DEFAULTS` holds the settings each model kind gets out of
    the box in :class:`~textclf.pipeline.TextClassifier` and on the command line (chosen
    on dev data: docs/models.md).
    """

    eta: float = 10.0
    epochs: int = 10
    batch_size: int = 32
    init: str = "zeros"
    seed: int = 0
    optimizer: str = "sgd"
    momentum: float = 0.9
    schedule: str = "constant"
    decay: float = 1.0
    l2: float = 0.0
    l1: float = 0.0
    patience: int | None = None
    bias_rate: float = 1.0

    def validate(self) -> None:
        def number(value) -> bool:
            return isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value)

        if not (number(self.eta) and self.eta > 0):
            raise SettingsError(f"eta (the learning rate η) must be > 0, got {self.eta}")
        if not (isinstance(self.epochs, int) and self.epochs > 0):
            raise SettingsError(f"epochs must be a positive integer, got {self.epochs}")
        if not (isinstance(self.batch_size, int) and self.batch_size > 0):
            raise SettingsError(f"batch_size must be a positive integer, got {self.batch_size}")
        if self.init not in ("zeros", "random"):
            raise SettingsError(f"init must be zeros or random, got {self.init!r}")
        if self.optimizer not in OPTIMIZERS:
            raise SettingsError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}"
            )
        if not (number(self.momentum) and 0 <= self.momentum < 1):
            raise SettingsError(f"momentum must be in [0, 1), got {self.momentum}")
        if self.schedule not in SCHEDULES:
            raise SettingsError(
                f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}"
            )
        if not (number(self.decay) and self.decay >= 0):
            raise SettingsError(f"decay must be ≥ 0, got {self.decay}")
        for name in ("l2", "l1"):
            value = getattr(self, name)
            if not (number(value) and value >= 0):
                raise SettingsError(f"{name} (regularisation strength) must be ≥ 0, got {value}")
        if not (number(self.bias_rate) and self.bias_rate > 0):
            raise SettingsError(f"bias_rate must be > 0, got {self.bias_rate}")
        if self.patience is not None and not (
            isinstance(self.patience, int) and not isinstance(self.patience, bool)
            and self.patience > 0
        ):
            raise SettingsError(f"patience must be a positive integer, got {self.patience}")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainingSettings:
        """Settings from a model file; keys of other versions are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


# Out-of-the-box settings per model kind, chosen on dev splits only (docs/models.md).
MODEL_DEFAULTS: dict[str, dict] = {
    "logistic": {"optimizer": "sgd", "eta": 40.0, "schedule": "linear", "epochs": 10,
                 "batch_size": 32, "bias_rate": 0.01},
    "softmax": {"optimizer": "sgd", "eta": 160.0, "schedule": "linear", "epochs": 10,
                "batch_size": 32, "bias_rate": 0.01},
    "mlp": {"optimizer": "adam", "eta": 0.002, "schedule": "constant", "epochs": 5,
            "batch_size": 32},
}

# η for logistic or softmax regression when another optimizer than SGD is chosen but no η
# (dev data: docs/models.md). Momentum's velocity adds up past steps to about η/(1 − μ)
# per step, so η·(1 − μ) keeps SGD's effective step; Adam sizes each weight's step itself.
LINEAR_ADAM_ETA = 0.01


def default_settings(kind: str, overrides: Mapping[str, Any] | None = None) -> TrainingSettings:
    """The settings of model ``kind``: :data:`MODEL_DEFAULTS` with ``overrides`` on top.

    The default η belongs to the default optimizer. For logistic and softmax regression
    (plain SGD by default), choosing ``optimizer="momentum"`` without an η gives
    η_SGD·(1 − μ), and ``optimizer="adam"`` gives :data:`LINEAR_ADAM_ETA`.
    """
    overrides = dict(overrides or {})
    defaults = MODEL_DEFAULTS[kind]
    values = {**defaults, **overrides}
    if "eta" not in overrides and defaults["optimizer"] == "sgd":
        momentum = values.get("momentum", TrainingSettings.momentum)
        if values["optimizer"] == "momentum" and isinstance(momentum, int | float) \
                and 0.0 <= momentum < 1.0:  # else validate() refuses μ, naming it
            values["eta"] = defaults["eta"] * (1.0 - momentum)
        elif values["optimizer"] == "adam":
            values["eta"] = LINEAR_ADAM_ETA
    return TrainingSettings(**values)


EpochCallback = Callable[[int, dict], None]


def _log(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def accuracy_of(model: Model, X: sp.csr_matrix, y: np.ndarray) -> float:
    return float(np.mean(model.predict(X) == y)) if len(y) else float("nan")


def _snapshot(model: Model) -> dict[str, np.ndarray]:
    return {name: array.copy() for name, array in model.parameters().items()}


def _restore(model: Model, snapshot: dict[str, np.ndarray]) -> None:
    for name, array in model.parameters().items():
        array[...] = snapshot[name]  # in place: layers keep referring to the same arrays


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
    """Train ``model`` in place; return the history, one dict per epoch.

    ``engine="plain"`` runs the loop below, step by step as the lecture writes it;
    ``"auto"`` lets :mod:`textclf.fast_train` make the same steps in O(nnz) where it can
    (linear models with SGD), with the same results up to rounding. ``shuffle=False``
    keeps the rows in their order (as a stream read from disk would come).

    ``on_epoch_end(epoch, record)`` is called after each epoch (e.g. to write a checkpoint).
    With ``settings.patience``, training needs ``dev``; it stops after ``patience`` epochs
    without a lower dev loss and restores the best epoch's parameters before returning.
    """
    settings.validate()
    X = sp.csr_matrix(X)
    y = np.asarray(y)
    n = X.shape[0]
    if n == 0:
        raise SettingsError("cannot train on zero documents")
    if len(y) != n:
        raise SettingsError(f"X has {n} rows but y has {len(y)} targets")
    if settings.patience is not None and dev is None:
        raise SettingsError("early stopping (patience) needs a dev set to watch")
    rng = np.random.default_rng(settings.seed)
    m = settings.batch_size
    steps_per_epoch = math.ceil(n / m)
    optimizer = make_optimizer(settings.optimizer, settings.eta, settings.momentum)
    schedule = Schedule(settings.schedule, settings.eta, steps_per_epoch,
                        steps_per_epoch * settings.epochs, settings.decay)
    regularizer = Regularizer(settings.l2, settings.l1, model.regularized())
    parameters = model.parameters()
    biases = model.biases()
    if engine not in ("auto", "plain"):
        raise SettingsError(f"engine must be auto or plain, got {engine!r}")
    fast = SparseSGD(model, schedule, settings.l2, settings.bias_rate) \
        if engine == "auto" and fast_train.supports(model, settings) else None
    show_bar = not quiet and sys.stderr.isatty()
    history: list[dict] = []
    best: tuple[float, int, dict[str, np.ndarray]] | None = None
    step = 0
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        order = rng.permutation(n) if shuffle else np.arange(n)
        if fast is None:
            X_shuffled, y_shuffled = X[order], y[order]  # contiguous pre-shuffled batches
        running_loss, correct = 0.0, 0
        model.training = True
        with tqdm(total=n, desc=f"epoch {epoch}/{settings.epochs}", unit="doc",
                  disable=not show_bar, leave=False, file=sys.stderr) as bar:
            if fast is not None:  # the same steps in O(nnz): textclf.fast_train
                running_loss, step, eta = fast.epoch(X, y, m, step, bar.update, order)
                correct = fast.correct
            else:
                for start in range(0, n, m):
                    X_batch = X_shuffled[start : start + m]
                    y_batch = y_shuffled[start : start + m]
                    # progressive accuracy: the batch scored with the θ its step starts from
                    correct += int(np.count_nonzero(model.predict(X_batch) == y_batch))
                    loss_sum, gradient_sum = model.loss_and_gradient_sum(X_batch, y_batch)
                    running_loss += loss_sum
                    batch_size = len(y_batch)
                    gradient = {name: g / batch_size for name, g in gradient_sum.items()}
                    gradient = scale_biases(gradient, biases, settings.bias_rate)
                    gradient = regularizer.add_gradient(parameters, gradient)
                    eta = schedule(step)
                    optimizer.step(parameters, gradient, eta)
                    regularizer.shrink(parameters, eta)
                    step += 1
                    bar.update(batch_size)
        model.training = False
        record = {"epoch": epoch, "train_loss": running_loss / n,
                  "train_accuracy": correct / n, "eta": eta}
        if regularizer.active:
            record["penalty"] = regularizer.penalty(parameters)
        if dev is not None:
            X_dev, y_dev = dev
            record["dev_loss"] = model.loss_sum(X_dev, y_dev) / max(len(y_dev), 1)
            record["dev_accuracy"] = accuracy_of(model, X_dev, y_dev)
        record["train_seconds"] = time.perf_counter() - started
        history.append(record)
        _log(format_epoch(record, settings.epochs), quiet)
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
        if settings.patience is not None:
            if best is None or record["dev_loss"] < best[0]:
                best = (record["dev_loss"], epoch, _snapshot(model))
            elif epoch - best[1] >= settings.patience:
                _log(f"early stop: no lower dev loss for {settings.patience} epoch(s)", quiet)
                break
    if best is not None:
        _restore(model, best[2])
        for record in history:
            record["best"] = record["epoch"] == best[1]
        if best[1] != history[-1]["epoch"]:
            _log(f"restored the parameters of epoch {best[1]} "
                 f"(dev loss {best[0]:.4f})", quiet)
    return history


def fit_model(model: Model, X: sp.csr_matrix, y: np.ndarray, options: dict) -> list[dict]:
    """Train an already initialised model with keyword ``options``: the fields of
    :class:`TrainingSettings` plus ``dev``, ``quiet`` and ``on_epoch_end``."""
    options = dict(options)
    dev = options.pop("dev", None)
    quiet = options.pop("quiet", True)
    on_epoch_end = options.pop("on_epoch_end", None)
    known = {f.name for f in fields(TrainingSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise SettingsError(f"unknown training setting(s): {', '.join(unknown)}")
    settings = TrainingSettings(**options)
    return train(model, X, y, settings, dev=dev, quiet=quiet, on_epoch_end=on_epoch_end)


def best_epoch(history: list[dict]) -> int | None:
    """The epoch whose parameters the model holds after early stopping, else None."""
    return next((record["epoch"] for record in history if record.get("best")), None)


def format_epoch(record: dict, epochs: int) -> str:
    """One line per epoch: training loss and accuracy, and dev loss and accuracy if any."""
    line = (f"epoch {record['epoch']:>3}/{epochs}  train loss {record['train_loss']:.4f}"
            f"  acc {record['train_accuracy']:.4f}")
    if "dev_loss" in record:
        line += f"  dev loss {record['dev_loss']:.4f}  dev acc {record['dev_accuracy']:.4f}"
    return line + f"  ({record['train_seconds']:.1f}s)"
