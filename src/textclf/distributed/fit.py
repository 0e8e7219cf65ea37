"""Training on a Dask cluster, from shards to θ (docs/distributed.md).

1. The shards are given out to the workers' threads in contiguous runs (groups), and each
   worker reads and scans its own (:mod:`textclf.distributed.featurising`); the corpus
   summaries are added by a tree reduction, and the client makes the featuriser one
   process would fit.
2. The workers featurise their shards and keep [X | 1] in memory for every epoch.
3. ``exact``: L-BFGS on the client over the shards' gradient sums
   (:mod:`~textclf.distributed.exact`); ``average``: an SGD epoch per group, θ averaged
   after each (:mod:`~textclf.distributed.average`).

A worker that dies loses its shards; Dask computes them again from their files on
another worker and training goes on (with the same θ in exact mode). A lost scheduler
ends the run with a :class:`ClusterError`; bad input ends it with the
:class:`DataError` a local run gives.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from textclf.distributed.average import fit_average
from textclf.distributed.cluster import import_distributed
from textclf.distributed.exact import fit_exact
from textclf.distributed.featurising import featurise, featurizer_from, scan, summary_of
from textclf.distributed.reduction import tree_reduce
from textclf.distributed.settings import DEFAULT_MODE
from textclf.distributed.shards import (
    ReadOptions,
    collection_kind,
    expand_paths,
    read_file,
    read_frame,
    read_items,
)
from textclf.errors import ClusterError, SettingsError, TextclfError
from textclf.features.featurizer import Featurizer
from textclf.features.settings import FeatureSettings
from textclf.models.base import Model
from textclf.models.settings import LINEAR_KINDS
from textclf.training.history import DevSet, EpochCallback
from textclf.training.settings import TrainingSettings

# (labels, featuriser) -> a fresh model, its training settings, the dev set's rows
Prepare = Callable[[list[str], Featurizer], tuple[Model, TrainingSettings, DevSet | None]]


@dataclass
class ClusterJob:
    """What to train on the cluster, and how."""

    features: FeatureSettings
    prepare: Prepare
    mode: str = DEFAULT_MODE
    read: ReadOptions = field(default_factory=ReadOptions)
    jobs: int | None = None
    dtype: Any = np.float64
    quiet: bool = True
    timeout: float = 30.0  # seconds to wait for a lost worker's work to start again
    on_epoch_end: EpochCallback | None = None
    report: dict = field(default_factory=dict)  # filled in: shards, groups, sizes


def mode_settings(mode: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The training settings a mode sets, refusing an optimiser it does not run."""
    optimizer = overrides.get("optimizer")
    if mode == "exact":
        if optimizer not in (None, "lbfgs"):
            raise SettingsError(f"the exact mode (--distributed exact) minimises with "
                                f"L-BFGS, not {optimizer}; SGD epochs on the workers are "
                                "--distributed average")
        return {"optimizer": "lbfgs"}
    if optimizer not in (None, "sgd"):
        raise SettingsError(f"the average mode (--distributed average) runs SGD epochs on "
                            f"the workers, not {optimizer}; L-BFGS is --distributed exact")
    return {}


def worker_slots(client: Any) -> list[str]:
    """One entry per worker thread, by worker address: where the groups go."""
    workers = client.scheduler_info()["workers"]
    return [address for address in sorted(workers)
            for _ in range(workers[address]["nthreads"])]


def group_of(shards: int, groups: int) -> list[int]:
    """Shard i's group: contiguous runs of about shards/groups shards each."""
    return [i * groups // shards for i in range(shards)]


def scan_file(path: str, options: ReadOptions, settings: FeatureSettings):
    return scan(read_file(path, options), settings)


def scan_items(items: list, name: str, options: ReadOptions, settings: FeatureSettings):
    return scan(read_items(items, name, options), settings)


def scan_frame(frame: Any, name: str, options: ReadOptions, settings: FeatureSettings):
    return scan(read_frame(frame, name, options), settings)


def submit_scans(client: Any, data: Any, job: ClusterJob, slots: list[str]) -> list[Any]:
    """A scan task per shard: a file, or a bag's or data frame's partition."""
    kind = collection_kind(data)
    if kind is not None:
        scanner = scan_frame if kind == "frame" else scan_items
        parts, noun = client.compute(data.to_delayed()), "partition"
    else:
        parts, scanner, noun = expand_paths(data), scan_file, None
    groups = group_of(len(parts), min(len(slots), len(parts)))
    job.report.update(shards=len(parts), groups=max(groups) + 1)
    futures = []
    for i, part in enumerate(parts):
        names = () if noun is None else (f"{noun} {i}",)
        futures.append(client.submit(scanner, part, *names, job.read, job.features,
                                     workers=[slots[groups[i]]], allow_other_workers=True,
                                     pure=False))
    return futures


def finished(futures: list[Any], description: str, quiet: bool,
             done: Callable[[Any], None] | None = None) -> None:
    """Wait for every future, with a progress bar over them; the first error raises.
    ``done(future)`` runs as each one finishes."""
    distributed = import_distributed()
    show = not quiet and sys.stderr.isatty()
    with tqdm(total=len(futures), desc=description, unit="shard", disable=not show,
              leave=False, file=sys.stderr) as bar:
        for future in distributed.as_completed(futures):
            future.result()  # the first bad shard stops the run, with its message
            bar.update(1)
            if done is not None:
                done(future)


def fit_on_cluster(client: Any, data: Any, job: ClusterJob) -> list[dict]:
    """Train on the shards of ``data`` (paths, a dask.bag or a dask.dataframe); returns
    the history. The model and featuriser are the classifier's (``job.prepare``)."""
    stage = ["connecting"]
    try:
        return run(client, data, job, stage)
    except TextclfError:
        raise
    except Exception as err:  # what Dask raises when it loses the cluster
        raise cluster_error(client, err, stage[0]) from err


def run(client: Any, data: Any, job: ClusterJob, stage: list[str]) -> list[dict]:
    slots = worker_slots(client)
    stage[0] = "while reading the shards"
    scans = submit_scans(client, data, job, slots)
    finished(scans, "reading shards", job.quiet)
    summary = tree_reduce(client, [client.submit(summary_of, s) for s in scans]).result()
    for message in dict.fromkeys(summary.warnings):
        warnings.warn(message, UserWarning, stacklevel=2)
    facts = client.gather(client.map(shard_facts, scans, pure=False))
    featurizer = featurizer_from(summary, job.features, jobs=job.jobs or 1, dtype=job.dtype)
    labels = sorted(summary.labels)
    model, settings, dev = job.prepare(labels, featurizer)
    if model.kind not in LINEAR_KINDS:
        raise SettingsError(f"training on a cluster supports logistic and softmax "
                            f"regression, not {model.kind}")
    stage[0] = "while featurising the shards"
    groups = group_of(len(scans), job.report["groups"])
    shards = featurise_shards(client, scans, featurizer, labels, groups, slots, job)
    data_bytes = client.gather(client.map(shard_bytes, shards, pure=False))
    job.report.update(documents=summary.documents, text_characters=summary.text_characters,
                      features=featurizer.n_features, data_bytes=sum(data_bytes),
                      group_text_characters=by_group([c for c, _ in facts], groups),
                      group_data_bytes=by_group(data_bytes, groups))
    stage[0] = "during training"

    def checkpoint(epoch: int, record: dict) -> None:
        stage[0] = f"after {'iteration' if 'objective' in record else 'epoch'} {epoch}"
        if job.on_epoch_end is not None:
            job.on_epoch_end(epoch, record)

    if job.mode == "exact":
        return fit_exact(client, shards, [slots[g] for g in groups], model, settings,
                         dev=dev, quiet=job.quiet, timeout=job.timeout,
                         on_epoch_end=checkpoint)
    rows = by_group([sum(counts.values()) for _, counts in facts], groups)
    warn_of_skewed_groups([counts for _, counts in facts], groups)
    kept = [g for g, n in enumerate(rows) if n > 0]  # a group of empty shards idles
    members = [[s for s, k in zip(shards, groups, strict=True) if k == g] for g in kept]
    return fit_average(client, members, [rows[g] for g in kept], [slots[g] for g in kept],
                       model, settings, dev=dev, quiet=job.quiet, timeout=job.timeout,
                       on_epoch_end=checkpoint)


def featurise_shards(client: Any, scans: list[Any], featurizer: Featurizer,
                     labels: list[str], groups: list[int], slots: list[str],
                     job: ClusterJob) -> list[Any]:
    """Every shard's [X | 1], made and kept on its group's worker. Each shard's texts or
    counts go as soon as its rows are made, so a worker holds little more than its
    [X | 1] at any time; Dask keeps the recipe of all of it, so that a shard lost with
    its worker is read and made again elsewhere. Hence the featuriser travels inside the
    graph, as a task's value (a scattered value has no recipe), whatever its size."""
    import dask

    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GB"}):
        featurizer = client.submit(identity, featurizer, pure=False)
    index = {label: k for k, label in enumerate(labels)}
    shards = [client.submit(featurise, s, featurizer, index, workers=[slots[groups[i]]],
                            allow_other_workers=True, pure=False)
              for i, s in enumerate(scans)]
    pending = dict(zip(shards, scans, strict=True))
    scans.clear()
    finished(shards, "featurising shards", job.quiet, done=pending.pop)
    return shards


def identity(value: Any) -> Any:
    return value


def by_group(values: list, groups: list[int]) -> list:
    """The sums of ``values`` (one per shard) over each group's shards."""
    totals = [0] * (max(groups) + 1)
    for value, group in zip(values, groups, strict=True):
        totals[group] += value
    return totals


SKEW = 0.25  # total variation distance of a group's labels from the corpus's


def warn_of_skewed_groups(label_counts: list[dict[str, int]], groups: list[int]) -> None:
    """Averaging models that each saw other labels gives a poor model: say so when a
    group's share of some label is far from the corpus's (e.g. files sorted by label)."""
    total: dict[str, int] = {}
    grouped: list[dict[str, int]] = [{} for _ in range(max(groups) + 1)]
    for counts, group in zip(label_counts, groups, strict=True):
        for label, n in counts.items():
            total[label] = total.get(label, 0) + n
            grouped[group][label] = grouped[group].get(label, 0) + n
    n_total = sum(total.values())
    for g, counts in enumerate(grouped):
        n = sum(counts.values())
        distance = 0.5 * sum(abs(counts.get(label, 0) / max(n, 1) - t / n_total)
                             for label, t in total.items())
        if n and distance > SKEW:
            warnings.warn(f"the shards of worker group {g} hold other labels than the corpus "
                          f"as a whole (total variation distance {distance:.2f}): averaged "
                          "models learn poorly from such shards; shuffle the documents "
                          "before cutting them into shards, or use --distributed exact",
                          UserWarning, stacklevel=3)
            return


def shard_facts(scanned) -> tuple[int, dict[str, int]]:
    """A scanned shard's characters of text and documents per label."""
    counts = np.bincount(scanned.codes, minlength=len(scanned.labels))
    return scanned.summary.text_characters, dict(zip(scanned.labels, counts.tolist(),
                                                     strict=True))


def shard_bytes(shard) -> int:
    return shard.nbytes


def cluster_error(client: Any, err: Exception, stage: str) -> ClusterError:
    """The one-line error for a failure of the cluster itself."""
    name = type(err).__name__
    address = getattr(getattr(client, "scheduler", None), "address", "?")
    if scheduler_lost(client):
        return ClusterError(f"lost the connection to the Dask scheduler at {address} {stage}")
    if name == "KilledWorker":
        return ClusterError(f"a task killed its worker again and again {stage} (out of "
                            f"memory? see the workers' logs): {err}")
    return ClusterError(f"the Dask cluster failed {stage}: {name}: {err}")


def scheduler_lost(client: Any, wait: float = 1.0) -> bool:
    """Whether the client has lost its scheduler (given ``wait`` seconds to notice)."""
    deadline = time.monotonic() + wait
    while True:
        comm = getattr(client, "scheduler_comm", None)
        if client.status != "running" or comm is None or comm.comm is None \
                or comm.comm.closed():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
