"""What every way of training records: one record per epoch (or L-BFGS iteration), its
line on the terminal, the dev set's loss and accuracy, and early stopping on the dev loss.

The mini-batch loop (:mod:`textclf.training.loop`), full-batch L-BFGS
(:mod:`textclf.training.lbfgs`) and the cluster's modes (:mod:`textclf.distributed`) all
keep their history with these, so a record means the same whichever trained the model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from textclf.models.base import Model

EpochCallback = Callable[[int, dict], None]
DevSet = tuple  # (X, y) or (X, y, weights)


def count_correct(predicted: np.ndarray, y: np.ndarray) -> int:
    """Rows predicted right: the class, or for multi-label rows every label (exact match)."""
    right = predicted == y
    return int(np.count_nonzero(right if right.ndim == 1 else right.all(axis=1)))


def accuracy_of(model: Model, X: sp.csr_matrix, y: np.ndarray) -> float:
    """The share of rows predicted right (multi-label: every label right)."""
    return count_correct(model.predict(X), y) / len(y) if len(y) else float("nan")


def dev_record(model: Model, dev: DevSet | None) -> dict:
    """``dev_loss`` and ``dev_accuracy`` on the dev set, if any: the mean cross-entropy,
    or the weighted mean Σᵢ sᵢLᵢ / Σᵢ sᵢ when ``dev`` is (X, y, weights)."""
    if dev is None:
        return {}
    X_dev, y_dev, *weights = dev
    s = weights[0] if weights else None
    total = len(y_dev) if s is None else float(np.sum(s))
    return {"dev_loss": model.loss_sum(X_dev, y_dev, s) / total if total > 0 else float("nan"),
            "dev_accuracy": accuracy_of(model, X_dev, y_dev)}


def snapshot(model: Model) -> dict[str, np.ndarray]:
    """Copies of the model's parameter arrays."""
    return {name: array.copy() for name, array in model.parameters().items()}


def restore(model: Model, saved: dict[str, np.ndarray]) -> None:
    """Put saved parameters back, in place (layers keep referring to the same arrays)."""
    for name, array in model.parameters().items():
        array[...] = saved[name]


def best_epoch(history: list[dict]) -> int | None:
    """The epoch whose parameters the model holds after early stopping, else None."""
    return next((record["epoch"] for record in history if record.get("best")), None)


def format_epoch(record: dict, epochs: int) -> str:
    """One line per epoch (or L-BFGS iteration): training loss (and accuracy, where
    recorded), and dev loss and accuracy if any."""
    noun = "iteration" if "objective" in record else "epoch"
    line = f"{noun} {record['epoch']:>3}/{epochs}  train loss {record['train_loss']:.4f}"
    if "train_accuracy" in record:
        line += f"  acc {record['train_accuracy']:.4f}"
    if "dev_loss" in record:
        line += f"  dev loss {record['dev_loss']:.4f}  dev acc {record['dev_accuracy']:.4f}"
    return line + f"  ({record['train_seconds']:.1f}s)"


def log(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


class EarlyStopping:
    """Patience on the dev loss: after each record, :meth:`should_stop` says whether
    ``patience`` epochs passed without a lower dev loss; :meth:`finish` puts back the
    parameters of the best epoch and marks it in the history. ``patience`` None: never
    stops, changes nothing."""

    def __init__(self, model: Model, patience: int | None, quiet: bool = True):
        self.model, self.patience, self.quiet = model, patience, quiet
        self.best: tuple[float, int, dict[str, np.ndarray]] | None = None

    def should_stop(self, record: dict) -> bool:
        if self.patience is None:
            return False
        if self.best is None or record["dev_loss"] < self.best[0]:
            self.best = (record["dev_loss"], record["epoch"], snapshot(self.model))
            return False
        if record["epoch"] - self.best[1] >= self.patience:
            log(f"early stop: no lower dev loss for {self.patience} epoch(s)", self.quiet)
            return True
        return False

    def finish(self, history: list[dict]) -> None:
        if self.best is None:
            return
        dev_loss, epoch, saved = self.best
        restore(self.model, saved)
        for record in history:
            record["best"] = record["epoch"] == epoch
        if epoch != history[-1]["epoch"]:
            log(f"restored the parameters of epoch {epoch} (dev loss {dev_loss:.4f})",
                self.quiet)
