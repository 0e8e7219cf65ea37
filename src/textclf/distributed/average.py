"""``--distributed average``: an SGD epoch on every worker, θ averaged after each epoch.

The shards are given out to G groups, one per worker thread, in contiguous runs (group g:
its shards in path order). Each epoch, every group starts from the same θ and runs the
usual mini-batch SGD epoch (:class:`~textclf.training.loop.Trainer.run_epoch`, the local
step strategies) on its rows, taken as one matrix and shuffled as a whole
(:class:`~textclf.training.sources.ShardedRows`) by the group's own generator,
``default_rng(seed + g)``, carried from epoch to epoch. The learning-rate schedule counts
the group's own steps, as a local run over the group's n_g rows would. The client then
mixes the parameters, weighted by the groups' document counts (Vowpal Wabbit's cluster
mode, "parameter mixing"):

    θ ← Σ_g (n_g / N)·θ_g

With one group this is exactly a local run over the shards' rows in path order, with
the same seed: the same permutations, batches, steps and θ. With more, each θ_g has seen
only its 1/G of the data in the epoch, so the average lands near, not on, the θ a
single SGD run reaches; more epochs close the gap. Only θ travels: |θ| numbers to each
group and back per epoch.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from textclf.distributed.featurising import FeaturisedShard
from textclf.distributed.reduction import (
    Traffic,
    retried,
    tree_reduce,
    worker_transfer_bytes,
)
from textclf.models.base import Model
from textclf.training.history import (
    DevSet,
    EarlyStopping,
    EpochCallback,
    dev_record,
    format_epoch,
    log,
)
from textclf.training.loop import Trainer, check_finite
from textclf.training.optimizers import Regularizer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import ShardedRows

BATCHES_PER_BLOCK = 64  # mini-batches gathered from a group's shards at a time


@dataclass
class GroupEpoch:
    """What groups return from an epoch, added up over groups by the reduction: the
    weighted parameters Σ_g (n_g/N)·θ_g, the loss and accuracy sums, and each group's
    generator state and last η."""

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


def group_epoch(model: Model, shards: list[FeaturisedShard], settings: TrainingSettings,
                epoch: int, group: int, state: dict, weight: float) -> GroupEpoch:
    """On a worker: one SGD epoch of the group's rows from the model's θ (a copy)."""
    model = copy.deepcopy(model)
    source = ShardedRows([(shard.X, shard.y) for shard in shards],
                         settings.batch_size * BATCHES_PER_BLOCK)
    trainer = Trainer(model, settings)
    trainer.start(source.n_rows)
    trainer.step = (epoch - 1) * trainer.steps_per_epoch  # the group's own schedule
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    record = trainer.epoch_sums(source, epoch, rng)
    # float64 for the mixing: with one group, 1.0·θ is θ again, whatever its dtype
    parameters = {name: weight * array.astype(np.float64)
                  for name, array in model.parameters().items()}
    return GroupEpoch(parameters, record["loss_sum"], record["correct"], record["rows"],
                      {group: rng.bit_generator.state}, {group: record["eta"]})


@dataclass
class EpochPlan:
    """One epoch for every group: its settings, number, and each group's generator
    state, weight n_g/N and worker."""

    settings: TrainingSettings
    epoch: int
    states: dict[int, dict]
    weights: list[float]
    workers: list[str]
    timeout: float


def mix(client: Any, model: Model, groups: list[list[Any]], plan: EpochPlan) -> GroupEpoch:
    """Every group's epoch from the model's θ, and their weighted sum (a tree reduction).
    It depends on its inputs only, so after losing a worker it can simply run again."""
    shared = client.scatter(model, hash=False, timeout=plan.timeout)  # see exact.py
    results = [client.submit(group_epoch, shared, shards, plan.settings, plan.epoch, g,
                             plan.states[g], plan.weights[g], workers=[plan.workers[g]],
                             allow_other_workers=True, pure=False)
               for g, shards in enumerate(groups)]
    return tree_reduce(client, results).result()


def fit_average(client: Any, groups: list[list[Any]], group_rows: list[int],
                group_workers: list[str], model: Model, settings: TrainingSettings, *,
                dev: DevSet | None = None, quiet: bool = True, timeout: float = 30.0,
                on_epoch_end: EpochCallback | None = None) -> list[dict]:
    """Parameter mixing over the groups of featurised shards (futures); the model ends
    with the last (or, with early stopping, the best) average. An epoch that loses a
    worker starts again (for up to ``timeout`` seconds)."""
    n = sum(group_rows)
    weights = [rows / n for rows in group_rows]
    states = {g: np.random.default_rng(settings.seed + g).bit_generator.state
              for g in range(len(groups))}
    penalty = Regularizer(settings.l2, settings.l1, model.regularized())
    stopping = EarlyStopping(model, settings.patience, quiet)
    transfers = worker_transfer_bytes(client)
    history: list[dict] = []
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        plan = EpochPlan(settings, epoch, states, weights, group_workers, timeout)
        mixed = retried(client, partial(mix, client, model, groups, plan), timeout)
        for name, array in model.parameters().items():  # θ ← Σ_g (n_g/N)·θ_g
            array[...] = mixed.parameters[name]
        states = mixed.states
        record = {"epoch": epoch, "train_loss": mixed.loss_sum / n,
                  "train_accuracy": mixed.correct / n, "eta": mixed.etas[0],
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
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
        if stopping.should_stop(record):
            break
    stopping.finish(history)
    return history
