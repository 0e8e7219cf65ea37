"""``--distributed exact``: full-batch L-BFGS on the client, the gradient summed over shards.

The objective is the one a single process minimises with ``optimizer="lbfgs"``
(:mod:`textclf.training.lbfgs`), over all N documents of all shards s:

    J(θ)  = (1/N)·Σ_s Σ_{i∈s} L⁽ⁱ⁾ + (λ₂/2)‖w‖²
    ∇J(θ) = (1/N)·Σ_s X_sᵀ(Ŷ_s − Y_s) + λ₂w

Each evaluation sends θ (the model) to the workers; the worker holding shard s returns
its partial sums (Σ L⁽ⁱ⁾, X_sᵀ(Ŷ_s − Y_s), n_s) from ``Model.loss_and_gradient_sum``; a
tree reduction adds them on the cluster (:mod:`textclf.distributed.reduction`); and the
client turns the total into J and ∇J with the same :class:`~textclf.training.lbfgs.
Objective` as one process, for scipy's L-BFGS-B to choose the next θ. Only θ and the
sums cross the network: 2·|θ| numbers per worker per evaluation. The sums are the same
whatever the number of workers, so L-BFGS follows the same path: the θ of one process,
up to the rounding of adding the shards' sums in another order.
"""

from __future__ import annotations

from typing import Any

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
from textclf.training.history import DevSet, EarlyStopping, EpochCallback
from textclf.training.lbfgs import FullBatchLBFGS, PartialSums, partial_sums
from textclf.training.loop import TrainingState
from textclf.training.settings import TrainingSettings


def shard_sums(model: Model, shard: FeaturisedShard) -> PartialSums:
    """On a worker: the partial sums over one shard's rows at the model's θ."""
    roomy_heap()
    return partial_sums(model, shard.X, shard.y, shard.weights)


def parameter_bytes(model: Model) -> int:
    return sum(array.nbytes for array in model.parameters().values())


class ShardSums:
    """``sums()`` for :class:`FullBatchLBFGS`: the partial sums over every shard at the
    model's current θ, computed where the shards are and added by a tree reduction."""

    def __init__(self, client: Any, shards: list[Any], workers: list[str], model: Model,
                 timeout: float):
        self.client, self.shards, self.workers = client, shards, workers
        self.model, self.timeout = model, timeout
        self.traffic = Traffic()
        self.transfers = worker_transfer_bytes(client)

    def __call__(self) -> PartialSums:
        total = retried(self.client, self.evaluate, self.timeout)
        self.traffic.to_workers += parameter_bytes(self.model)
        return total

    def evaluate(self) -> PartialSums:
        client = self.client
        # to one worker; the others copy it from there as their tasks need it (a scatter
        # to all at once can hang if a worker dies during it: dask/distributed#5704)
        model = client.scatter(self.model, hash=False, timeout=self.timeout)
        # each shard's sums where the shard is: θ travels, the shard stays (θ may be the
        # larger of the two, and Dask would otherwise move the shard to θ)
        parts = [client.submit(shard_sums, model, shard, workers=[worker],
                               allow_other_workers=True, pure=False)
                 for shard, worker in zip(self.shards, self.workers, strict=True)]
        return tree_reduce(client, parts).result()

    def take_traffic(self) -> dict[str, int]:
        """The bytes sent since the last call, for the history's record."""
        transfers = worker_transfer_bytes(self.client)
        self.traffic.from_workers += transfers - self.transfers
        record, self.traffic, self.transfers = self.traffic.record(), Traffic(), transfers
        return record


def fit_exact(client: Any, shards: list[Any], workers: list[str], model: Model,
              settings: TrainingSettings, *, dev: DevSet | None = None, quiet: bool = True,
              timeout: float = 30.0, on_epoch_end: EpochCallback | None = None,
              progress: Progress | None = None,
              resume: TrainingState | None = None) -> list[dict]:
    """Minimise J over the featurised ``shards`` (futures, each on its worker in
    ``workers``) with L-BFGS; the model ends with the minimiser. One history record per
    iteration, with the bytes it sent. An evaluation that loses a worker starts again
    (for up to ``timeout`` seconds). ``resume``: a checkpoint's state; L-BFGS starts again
    from its θ (already in the model) for the iterations left: J is convex (λ₂ > 0), so it
    ends at the same minimum, to the tolerance, by another path."""
    sums = ShardSums(client, shards, workers, model, timeout)
    progress = progress if progress is not None else Progress()
    progress.history, done = [], 0
    if resume is not None:
        meta, progress.history = resumed(resume, "exact", EarlyStopping(model, None))
        done = int(meta["iterations"])
    history = progress.history

    def after_iteration(iteration: int, record: dict) -> None:
        record.update(sums.take_traffic())
        record["epoch"] = done + iteration
        history.append(record)
        progress.meta = {"mode": "exact", "iterations": done + iteration}
        if on_epoch_end is not None:
            on_epoch_end(done + iteration, record)

    if done >= settings.epochs:
        return history
    ran = FullBatchLBFGS(model, settings.replace(epochs=settings.epochs - done), quiet=quiet,
                         on_epoch_end=after_iteration).fit(sums, dev)
    if not history:  # θ was optimal from the start: L-BFGS's record of it
        history.extend(ran)
    return history
