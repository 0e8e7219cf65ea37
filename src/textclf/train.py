"""The training loop: shuffle, mini-batches, epochs, history.

Each epoch the rows are shuffled by a seeded generator and cut into mini-batches of m rows.
For each batch the model returns the summed loss and gradient over its rows; the mean
gradient ∇ = (1/m)·Σᵢ∇L⁽ⁱ⁾ goes to the optimiser (θ ← θ − η∇). The epoch's training
loss is the running sum of the per-document losses (each taken before its batch's
step) divided by N.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from textclf.errors import SettingsError
from textclf.models.base import Model
from textclf.optim import SGD


@dataclass
class TrainingSettings:
    """Settings of mini-batch gradient descent; stored in the model file."""

    eta: float = 10.0
    epochs: int = 10
    batch_size: int = 32
    init: str = "zeros"
    seed: int = 0

    def validate(self) -> None:
        if not (isinstance(self.eta, int | float) and math.isfinite(self.eta) and self.eta > 0):
            raise SettingsError(f"eta (the learning rate η) must be > 0, got {self.eta}")
        if not (isinstance(self.epochs, int) and self.epochs > 0):
            raise SettingsError(f"epochs must be a positive integer, got {self.epochs}")
        if not (isinstance(self.batch_size, int) and self.batch_size > 0):
            raise SettingsError(f"batch_size must be a positive integer, got {self.batch_size}")
        if self.init not in ("zeros", "random"):
            raise SettingsError(f"init must be zeros or random, got {self.init!r}")

    def as_dict(self) -> dict:
        return asdict(self)


EpochCallback = Callable[[int, dict], None]


def _log(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def accuracy_of(model: Model, X: sp.csr_matrix, y: np.ndarray) -> float:
    return float(np.mean(model.predict(X) == y)) if len(y) else float("nan")


def train(
    model: Model,
    X: sp.csr_matrix,
    y: np.ndarray,
    settings: TrainingSettings,
    dev: tuple[sp.csr_matrix, np.ndarray] | None = None,
    quiet: bool = True,
    on_epoch_end: EpochCallback | None = None,
) -> list[dict]:
    """Train ``model`` in place; return the history, one dict per epoch.

    ``on_epoch_end(epoch, record)`` is called after each epoch (e.g. to write a checkpoint).
    """
    settings.validate()
    X = sp.csr_matrix(X)
    y = np.asarray(y)
    n = X.shape[0]
    if n == 0:
        raise SettingsError("cannot train on zero documents")
    if len(y) != n:
        raise SettingsError(f"X has {n} rows but y has {len(y)} targets")
    rng = np.random.default_rng(settings.seed)
    optimizer = SGD(settings.eta)
    m = settings.batch_size
    show_bar = not quiet and sys.stderr.isatty()
    history: list[dict] = []
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        order = rng.permutation(n)
        X_shuffled, y_shuffled = X[order], y[order]  # contiguous pre-shuffled batches
        running_loss = 0.0
        with tqdm(total=n, desc=f"epoch {epoch}/{settings.epochs}", unit="doc",
                  disable=not show_bar, leave=False, file=sys.stderr) as bar:
            for start in range(0, n, m):
                X_batch = X_shuffled[start : start + m]
                y_batch = y_shuffled[start : start + m]
                loss_sum, gradient_sum = model.loss_and_gradient_sum(X_batch, y_batch)
                running_loss += loss_sum
                batch_size = len(y_batch)
                optimizer.step(
                    model.parameters(),
                    {name: g / batch_size for name, g in gradient_sum.items()},
                )
                bar.update(batch_size)
        record = {"epoch": epoch, "train_loss": running_loss / n,
                  "train_seconds": time.perf_counter() - started}
        if dev is not None:
            X_dev, y_dev = dev
            record["dev_loss"] = model.loss_sum(X_dev, y_dev) / max(len(y_dev), 1)
            record["dev_accuracy"] = accuracy_of(model, X_dev, y_dev)
        history.append(record)
        _log(format_epoch(record, settings.epochs), quiet)
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
    return history


def format_epoch(record: dict, epochs: int) -> str:
    """One line per epoch: training loss, and dev loss and accuracy when there is a dev set."""
    line = f"epoch {record['epoch']:>3}/{epochs}  train loss {record['train_loss']:.4f}"
    if "dev_loss" in record:
        line += f"  dev loss {record['dev_loss']:.4f}  dev acc {record['dev_accuracy']:.4f}"
    return line + f"  ({record['train_seconds']:.1f}s)"
