"""``--distributed average``: an SGD epoch on every worker at a scaled learning rate, θ
averaged after each epoch.

The shards are given out to G groups, one per worker thread, in contiguous runs (group g:
its shards in path order, n_g of the N rows). Each epoch, every group starts from the same
θ and runs the usual mini-batch SGD epoch (:meth:`~textclf.training.loop.Trainer.
epoch_sums`, the local step strategies) on its rows, stacked into one matrix once
(:func:`stacked`) and shuffled as a whole by the group's own generator,
``default_rng(seed + g)``, carried from epoch to epoch, with its schedule counting the
group's own steps; then the client mixes the parameters,
weighted by the groups' rows (Vowpal Wabbit's "parameter mixing"):

    θ ← Σ_g (n_g / N)·θ_g,       group g's learning rate  η_g = η·N/n_g

Why η·N/n_g (G·η for equal groups; the linear scaling rule of Goyal et al. 2017,
"Accurate, large minibatch SGD", as local SGD uses it: Lin, Stich, Patel and Jaggi 2020,
"Don't use large mini-batches, use local SGD"): a feature seen by one group only moves
in that group alone, so the plain average divides its progress by G, and a feature seen by
all groups moves in n_g/m steps per group instead of N/m; either way an epoch of G
groups at η makes about 1/G of the progress of one process's epoch, and accuracy falls as
workers are added. At η·N/n_g a group's update, weighted by n_g/N, is to first order the
update one process makes over the same rows: the average is then the sum of the groups'
progress. (Measured: benchmarks/RESULTS.md, and docs/distributed.md.)

With one group η_g = η and the mixing weight is 1: exactly a local run over the shards'
rows in path order with the same seed (the same permutations, batches, steps and θ). Only
θ travels: |θ| numbers to each group and back per epoch.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from textclf.core.sparse import stack_rows
from textclf.distributed.featurising import FeaturisedShard
from textclf.distributed.progress import Progress, resumed
from textclf.distributed.reduction import (
    Traffic,
    retried,
    tree_reduce,
    worker_transfer_bytes,
)
from textclf.distributed.workers import roomy_heap
from textclf.models.base import Model
from textclf.training.history import (
    DevSet,
    EarlyStopping,
    EpochCallback,
    dev_record,
    format_epoch,
    log,
)
from textclf.training.loop import Trainer, TrainingState, check_finite
from textclf.training.optimizers import Regularizer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import InMemoryRows


def stacked(*shards: FeaturisedShard) -> FeaturisedShard:
    """On a worker: a group's shards as one matrix, in shard order, kept for every epoch
    (the rows of one process's run over the same documents)."""
    roomy_heap()
    X = stack_rows([shard.X for shard in shards], shards[0].X.shape[1], shards[0].X.dtype)
    weights = None if shards[0].weights is None else \
        np.concatenate([shard.weights for shard in shards])
    return FeaturisedShard(f"{shards[0].name} ... {shards[-1].name}", X,
                           np.concatenate([shard.y for shard in shards]), weights)


@dataclass
class GroupEpoch:
    """What groups return from an epoch, added up over groups by the reduction: the
    weighted parameters Σ_g (n_g/N)·θ_g, the loss and accuracy sums, and each group's
    generator state and last η (of the unscaled schedule)."""

    parameters: dict[str, np.ndarray]
    loss_sum: float
    correct: int
    rows: int
    states: dict[int, dict]
    etas: dict[int, float]

    def __add__(self, other: GroupEpoch) -> GroupEpoch:
        return GroupEpoch({name: p + other.parameters[name]
                           for name, p in self.parameters.items()},
                          self.loss_sum + other.loss_sum, self.correct + other.correct,
                          self.rows + other.rows, {**self.states, **other.states},
                          {**self.etas, **other.etas})

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.parameters.values())

    def __sizeof__(self) -> int:  # what Dask's scheduler weighs when it places work
        return self.nbytes


def group_epoch(model: Model, rows: FeaturisedShard, settings: TrainingSettings,
                epoch: int, group: int, state: dict, share: float) -> GroupEpoch:
    """On a worker: one SGD epoch of the group's rows from the model's θ (a copy), at η
    divided by the group's ``share`` n_g/N of the rows; θ_g weighted by its share."""
    roomy_heap()
    model = copy.deepcopy(model)
    source = InMemoryRows(rows.X, rows.y, rows.weights)
    trainer = Trainer(model, settings.replace(eta=settings.eta / share))
    trainer.start(source.n_rows)
    trainer.step = (epoch - 1) * trainer.steps_per_epoch  # the group's own schedule
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    record = trainer.epoch_sums(source, epoch, rng)
    # float64 for the mixing: with one group, 1.0·θ is θ again, whatever its dtype
    parameters = {name: share * array.astype(np.float64)
                  for name, array in model.parameters().items()}
    return GroupEpoch(parameters, record["loss_sum"], record["correct"], record["rows"],
                      {group: rng.bit_generator.state}, {group: record["eta"] * share})


@dataclass
class EpochPlan:
    """One epoch for every group: its settings, number, and each group's generator
    state, share n_g/N and worker."""

    settings: TrainingSettings
    epoch: int
    states: dict[int, dict]
    shares: list[float]
    workers: list[str]
    timeout: float


def mix(client: Any, model: Model, groups: list[Any], plan: EpochPlan) -> GroupEpoch:
    """Every group's epoch from the model's θ, and their weighted sum (a tree reduction).
    It depends on its inputs only, so after losing a worker it can simply run again."""
    shared = client.scatter(model, hash=False, timeout=plan.timeout)  # see exact.py
    results = [client.submit(group_epoch, shared, rows, plan.settings, plan.epoch, g,
                             plan.states[g], plan.shares[g], workers=[plan.workers[g]],
                             allow_other_workers=True, pure=False)
               for g, rows in enumerate(groups)]
    return tree_reduce(client, results).result()


def fit_average(client: Any, groups: list[Any], group_rows: list[int],
                group_workers: list[str], model: Model, settings: TrainingSettings, *,
                dev: DevSet | None = None, quiet: bool = True, timeout: float = 30.0,
                on_epoch_end: EpochCallback | None = None, progress: Progress | None = None,
                resume: TrainingState | None = None) -> list[dict]:
    """Parameter mixing over the groups' rows (futures of :func:`stacked`); the model ends
    with the last (or, with early stopping, the best) average. An epoch that loses a
    worker starts again (for up to ``timeout`` seconds). ``progress`` is kept up to date
    for checkpoints; ``resume``: a checkpoint's state to go on from (θ already in the
    model)."""
    n = sum(group_rows)
    shares = [rows / n for rows in group_rows]
    states = {g: np.random.default_rng(settings.seed + g).bit_generator.state
              for g in range(len(groups))}
    penalty = Regularizer(settings.l2, settings.l1, model.regularized())
    stopping = EarlyStopping(model, settings.patience, quiet)
    progress = progress if progress is not None else Progress()
    progress.history, first = [], 1
    if resume is not None:
        meta, progress.history = resumed(resume, "average", stopping)
        states = {int(g): state for g, state in meta["states"].items()}
        first = int(meta["epoch"]) + 1
    history = progress.history
    transfers = worker_transfer_bytes(client)
    for epoch in range(first, settings.epochs + 1):
        best = stopping.best
        if best is not None and epoch - 1 - best[1] >= settings.patience:
            break  # a run resumed after its early stop
        started = time.perf_counter()
        plan = EpochPlan(settings, epoch, states, shares, group_workers, timeout)
        mixed = retried(client, partial(mix, client, model, groups, plan), timeout)
        for name, array in model.parameters().items():  # θ ← Σ_g (n_g/N)·θ_g
            array[...] = mixed.parameters[name]
        states = mixed.states
        record = {"epoch": epoch, "train_loss": mixed.loss_sum / n,
                  "train_accuracy": mixed.correct / n,
                  "eta": mixed.etas[0],
                  "groups": len(groups)}
        check_finite(model, settings, epoch, record["train_loss"])
        if penalty.active:
            record["penalty"] = penalty.penalty(model.parameters())
        record.update(dev_record(model, dev))
        record["train_seconds"] = time.perf_counter() - started
        now = worker_transfer_bytes(client)
        theta_bytes = sum(array.nbytes for array in model.parameters().values())
        record.update(Traffic(theta_bytes, now - transfers).record())
        transfers = now
        history.append(record)
        log(format_epoch(record, settings.epochs), quiet)
        stop = stopping.should_stop(record)
        progress.keep(stopping, mode="average", epoch=epoch, groups=len(groups),
                      states={str(g): state for g, state in states.items()})
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
        if stop:
            break
    stopping.finish(history)
    return history
