"""Full-batch L-BFGS: the whole training objective at once, minimised by scipy's L-BFGS-B.

The objective over all N training rows, with L2 on the weights w (the bias not penalised):

    J(θ)  = (1/N)·Σᵢ L⁽ⁱ⁾(θ) + (λ₂/2)‖w‖²
    ∇J(θ) = (1/N)·Σᵢ ∇L⁽ⁱ⁾(θ) + λ₂w          (linear models: (1/N)·Xᵀ(Ŷ − Y) + λ₂w)

Both sums run over rows, so they add up from partial sums over any split of the rows:
blocks of one matrix, chunks of a stream, or shards on a cluster's workers
(:class:`PartialSums`, from ``Model.loss_and_gradient_sum``). :class:`Objective` turns the
total into J and ∇J; the one process here and the cluster's exact mode
(:mod:`textclf.distributed`) both use it, so they minimise the same function.

L-BFGS keeps the last few differences of θ and ∇J to approximate the inverse Hessian and
finds each step's length by a line search: there is no learning rate. An iteration
evaluates J and ∇J (a pass over the data) once or a few times. It stops after ``epochs``
iterations, or when max |∂J/∂θⱼ| ≤ ``tolerance``, or when J stops decreasing. For
logistic regression with λ₂ > 0, J is strictly convex: one minimum, reached from any start.
Softmax regression's K biases can all move by the same amount without changing J; every
gradient sums to 0 over them, so L-BFGS keeps their sum where it started (0 from zeros).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from textclf.errors import SettingsError
from textclf.models.base import Model
from textclf.training.history import (
    DevSet,
    EarlyStopping,
    EpochCallback,
    dev_record,
    format_epoch,
    log,
)
from textclf.training.optimizers import Regularizer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import Block

RELATIVE_DECREASE = 64 * np.finfo(np.float64).eps  # stop when J falls by less (as scikit-learn)
LINE_SEARCH_STEPS = 50


@dataclass
class PartialSums:
    """Σᵢ sᵢL⁽ⁱ⁾ and Σᵢ sᵢ∇L⁽ⁱ⁾ (dense, per parameter) over some rows, and their weight Σᵢ sᵢ
    (the number of rows when every sᵢ = 1: a weight of 2 counts a row twice).

    Sums over disjoint sets of rows add up (``a + b``) to the sums over their union."""

    loss: float
    gradient: dict[str, np.ndarray]
    rows: float

    def __add__(self, other: PartialSums) -> PartialSums:
        return PartialSums(self.loss + other.loss,
                           {name: g + other.gradient[name] for name, g in self.gradient.items()},
                           self.rows + other.rows)

    @property
    def nbytes(self) -> int:
        return sum(g.nbytes for g in self.gradient.values())

    def __sizeof__(self) -> int:  # sys.getsizeof: e.g. what a Dask scheduler weighs
        return self.nbytes


def partial_sums(model: Model, X, y: np.ndarray,
                 weights: np.ndarray | None = None) -> PartialSums:
    """The sums over the rows of X with targets y (and weights sᵢ), at the model's current
    parameters."""
    loss, gradient = model.loss_and_gradient_sum(X, y, weights)
    rows = len(y) if weights is None else float(np.sum(weights))
    return PartialSums(float(loss), {name: np.asarray(g, dtype=np.float64)
                                     for name, g in gradient.items()}, rows)


def block_sums(model: Model, blocks: Iterable[Block]) -> PartialSums:
    """The sums over every block of rows (a row source's epoch, unshuffled)."""
    total = None
    for X, y, weights, _ in blocks:
        sums = partial_sums(model, X, y, weights)
        total = sums if total is None else total + sums
    if total is None:
        raise SettingsError("cannot train on zero documents")
    return total


class Objective:
    """J(θ) and ∇J(θ) from the partial sums over all N rows (see the module docstring),
    with the model's parameters seen as one vector θ."""

    def __init__(self, model: Model, l2: float):
        self.model = model
        # explicit: λ₂w is part of ∇J (the implicit step is SGD's)
        self.regularizer = Regularizer(l2, 0.0, model.regularized(), implicit_l2=False)
        parameters = model.parameters()
        self.shapes = {name: array.shape for name, array in parameters.items()}
        self.ends = np.cumsum([array.size for array in parameters.values()])

    def vector(self) -> np.ndarray:
        """θ: every parameter array, flattened and concatenated (float64)."""
        return np.concatenate([np.ravel(a) for a in self.model.parameters().values()]) \
            .astype(np.float64)

    def assign(self, theta: np.ndarray) -> None:
        """Write θ into the model's parameter arrays, in place."""
        for (name, array), end, size in zip(self.model.parameters().items(), self.ends,
                                            (a.size for a in self.model.parameters().values()),
                                            strict=True):
            array[...] = theta[end - size : end].reshape(self.shapes[name])

    def penalty(self) -> float:
        """(λ₂/2)‖w‖² at the model's parameters."""
        return self.regularizer.penalty(self.model.parameters())

    def value_and_gradient(self, sums: PartialSums) -> tuple[float, np.ndarray]:
        """J = (1/N)·Σᵢ L⁽ⁱ⁾ + (λ₂/2)‖w‖² and ∇J = (1/N)·Σᵢ ∇L⁽ⁱ⁾ + λ₂w, at the model's
        parameters (where the sums were taken)."""
        n = sums.rows
        parameters = self.model.parameters()
        value = sums.loss / n + self.regularizer.penalty(parameters)
        gradient = {name: g / n for name, g in sums.gradient.items()}
        gradient = self.regularizer.add_gradient(parameters, gradient)
        return value, np.concatenate([np.ravel(gradient[name]) for name in self.shapes])


def check_lbfgs(model: Model, settings: TrainingSettings) -> None:
    """Refuse what full-batch L-BFGS cannot do: L1 (not differentiable at 0) and dropout
    (a random objective)."""
    if settings.l1 > 0:
        raise SettingsError("the lbfgs optimizer minimises a smooth objective: L1 needs the "
                            "proximal steps of sgd (use l2, or another optimizer)")
    if getattr(model, "dropout", 0.0) > 0:
        raise SettingsError("the lbfgs optimizer minimises a fixed objective: set dropout to "
                            "0 (--dropout 0) or use another optimizer")


class FullBatchLBFGS:
    """Minimises J over all the training rows with L-BFGS; one history record per
    iteration (``epoch`` counts iterations, ``evaluations`` the passes over the data)."""

    def __init__(self, model: Model, settings: TrainingSettings, *, quiet: bool = True,
                 on_epoch_end: EpochCallback | None = None):
        check_lbfgs(model, settings)
        self.model, self.settings = model, settings
        self.quiet, self.on_epoch_end = quiet, on_epoch_end

    def fit(self, sums: Callable[[], PartialSums], dev: DevSet | None = None) -> list[dict]:
        """Minimise J; ``sums()`` gives the partial sums over all rows at the model's
        current parameters (the objective's data part). Returns the history."""
        model, settings = self.model, self.settings
        objective = Objective(model, settings.l2)
        stopping = EarlyStopping(model, settings.patience, self.quiet)
        history: list[dict] = []
        evaluations = 0
        clock = [time.perf_counter()]

        def value_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
            nonlocal evaluations
            objective.assign(theta)
            evaluations += 1
            return objective.value_and_gradient(sums())

        def after_iteration(intermediate_result) -> None:
            objective.assign(intermediate_result.x)
            penalty = objective.penalty()
            record = {"epoch": len(history) + 1,
                      "train_loss": float(intermediate_result.fun) - penalty,
                      "objective": float(intermediate_result.fun), "evaluations": evaluations}
            if penalty:
                record["penalty"] = penalty
            record.update(dev_record(model, dev))
            now = time.perf_counter()
            record["train_seconds"], clock[0] = now - clock[0], now
            history.append(record)
            log(format_epoch(record, settings.epochs), self.quiet)
            if self.on_epoch_end is not None:
                self.on_epoch_end(record["epoch"], record)
            if stopping.should_stop(record):
                raise StopIteration

        from scipy.optimize import minimize  # (imported when L-BFGS runs: commands start fast)

        result = minimize(value_and_gradient, objective.vector(), jac=True, method="L-BFGS-B",
                          callback=after_iteration,
                          options={"maxiter": settings.epochs, "gtol": settings.tolerance,
                                   "ftol": RELATIVE_DECREASE, "maxls": LINE_SEARCH_STEPS})
        objective.assign(result.x)
        if not history:  # θ was optimal from the start: no iteration
            value, _ = value_and_gradient(result.x)
            history.append({"epoch": 0, "train_loss": value - objective.penalty(),
                            "objective": value, "evaluations": evaluations,
                            **dev_record(model, dev), "train_seconds": 0.0})
        history[-1]["converged"] = bool(result.status == 0)
        log(f"L-BFGS: {result.message} ({result.nit} iterations, {evaluations} passes over "
            "the data)", self.quiet)
        stopping.finish(history)
        return history
