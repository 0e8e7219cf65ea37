"""Training on a Dask cluster, from shards to θ (docs/distributed.md).

1. The shards are given out to the workers' threads in contiguous runs (groups); each
   worker reads its own and reports a few numbers (:mod:`~textclf.distributed.facts`),
   from which the fit (``job.plan``) settles the problem: labels, targets, weights.
2. The workers count their shards once, a tree reduction adds the counts, the featuriser
   one process would fit is made at the root (with the nb weightings, a second reduction
   adds the label totals of the ratios), and the workers make their rows of [X | 1],
   which stay in their memory for every epoch (:mod:`~textclf.distributed.featurising`).
   Training on from a model (``job.featurizer``): its featuriser makes the rows.
3. The fit makes the model for the featuriser (``job.prepare``); ``exact``: L-BFGS on
   the client over the shards' gradient sums (:mod:`~textclf.distributed.exact`);
   ``average``: an SGD epoch per group, θ averaged after each
   (:mod:`~textclf.distributed.average`).

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

from textclf.distributed.average import fit_average, stacked
from textclf.distributed.cluster import import_distributed
from textclf.distributed.exact import fit_exact
from textclf.distributed.facts import (
    SAMPLED,
    CorpusFacts,
    decided,
    head_sample,
    sampled_length,
    shard_facts,
)
from textclf.distributed.featurising import (
    featurizer_from,
    finished,
    nb_scales,
    nb_totals,
    scan,
    shard_digest,
    shard_rows,
    shard_size,
    summary_of,
    transformed_rows,
)
from textclf.distributed.progress import Progress
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
from textclf.distributed.targets import RowPlan
from textclf.errors import ClusterError, DataError, SettingsError, TextclfError
from textclf.features.featurizer import Featurizer
from textclf.features.settings import FeatureSettings
from textclf.models.base import Model
from textclf.models.settings import LINEAR_KINDS
from textclf.training.history import DevSet, EpochCallback
from textclf.training.loop import TrainingState
from textclf.training.settings import LBFGS_ITERATIONS, LBFGS_L2, TrainingSettings


@dataclass
class Start:
    """What the fit makes once the featuriser is known: the model to train, its settings,
    the dev set, and a checkpoint's state to go on from (``completed``: nothing left)."""

    model: Model
    settings: TrainingSettings
    dev: DevSet | None = None
    resume: TrainingState | None = None
    completed: bool = False


@dataclass
class ClusterJob:
    """What to train on the cluster, and how: ``plan`` settles the problem from the
    corpus's facts, ``prepare`` makes the model for the featuriser (given the shards'
    digests, when ``digests``: a checkpoint's fingerprint); ``featurizer``: a fitted one
    to keep (training on from a model) instead of learning one."""

    features: FeatureSettings
    plan: Callable[[CorpusFacts], RowPlan]
    prepare: Callable[[Featurizer, list[str]], Start]
    mode: str = DEFAULT_MODE
    featurizer: Featurizer | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    jobs: int | None = None
    dtype: Any = np.float64
    quiet: bool = True
    timeout: float = 30.0  # seconds to wait for a lost worker's work to start again
    on_epoch_end: EpochCallback | None = None
    digests: bool = False
    progress: Progress = field(default_factory=Progress)  # for checkpoints
    report: dict = field(default_factory=dict)  # filled in: shards, groups, sizes


def mode_settings(mode: str, given: dict[str, Any], max_iter: int | None) -> dict[str, Any]:
    """The training settings a mode sets over those ``given``, refusing what it does not
    run. Exact mode: L-BFGS, ``max_iter`` iterations, λ₂ = 1e-5 unless given (one rule on
    every corpus: the one-process L-BFGS default, docs/distributed.md)."""
    optimizer = given.get("optimizer")
    if mode == "exact":
        if optimizer not in (None, "lbfgs"):
            raise SettingsError(f"the exact mode (--distributed exact) minimises with "
                                f"L-BFGS, not {optimizer}; SGD epochs on the workers are "
                                "--distributed average")
        if given.get("epochs") is not None:
            raise SettingsError("epochs (--epochs) counts the SGD epochs of --distributed "
                                "average; the exact mode runs L-BFGS: give max_iter "
                                "(--max-iter N) for its iterations")
        return {"optimizer": "lbfgs", "epochs": max_iter or LBFGS_ITERATIONS,
                "l2": LBFGS_L2 if given.get("l2") is None else given["l2"]}
    if optimizer not in (None, "sgd"):
        raise SettingsError(f"the average mode (--distributed average) runs SGD epochs on "
                            f"the workers, not {optimizer}; L-BFGS is --distributed exact")
    if max_iter is not None:
        raise SettingsError("max_iter (--max-iter) counts the L-BFGS iterations of "
                            "--distributed exact; the average mode runs --epochs E of SGD")
    return {"optimizer": "sgd"}


def worker_slots(client: Any) -> list[str]:
    """One entry per worker thread, by worker address: where the groups go."""
    workers = client.scheduler_info()["workers"]
    return [address for address in sorted(workers)
            for _ in range(workers[address]["nthreads"])]


def group_of(shards: int, groups: int) -> list[int]:
    """Shard i's group: contiguous runs of about shards/groups shards each."""
    return [i * groups // shards for i in range(shards)]


def submit_reads(client: Any, data: Any, job: ClusterJob, slots: list[str]) -> list[Any]:
    """A read task per shard (a file, or a bag's or data frame's partition), on the worker
    of its group."""
    kind = collection_kind(data)
    if kind is not None:
        reader = read_frame if kind == "frame" else read_items
        parts, noun = client.compute(data.to_delayed()), "partition"
    else:
        parts, reader, noun = expand_paths(data), read_file, None
    groups = group_of(len(parts), min(len(slots), len(parts)))
    job.report.update(shards=len(parts), groups=max(groups) + 1)
    return [client.submit(reader, part, *(() if noun is None else (f"{noun} {i}",)),
                          job.read, workers=[slots[groups[i]]], allow_other_workers=True,
                          pure=False)
            for i, part in enumerate(parts)]


def wait_for(futures: list[Any], description: str, quiet: bool,
             done: Callable[[Any], None] | None = None) -> None:
    """Wait for every future, with a progress bar over them; the first error raises.
    ``done(future)`` runs as each one finishes. The results stay where they are."""
    distributed = import_distributed()
    show = not quiet and sys.stderr.isatty()
    with tqdm(total=len(futures), desc=description, unit="shard", disable=not show,
              leave=False, file=sys.stderr) as bar:
        for future in distributed.as_completed(futures):
            if future.status == "error":  # (result() would bring a result to the client)
                future.result()  # the first bad shard stops the run, with its message
            bar.update(1)
            if done is not None:
                done(future)


def fit_on_cluster(client: Any, data: Any, job: ClusterJob) -> list[dict]:
    """Train on the shards of ``data`` (paths, a dask.bag or a dask.dataframe); returns
    the history. The model and featuriser are the fit's (``job.plan``, ``job.prepare``)."""
    stage = ["connecting"]
    raised: list[BaseException] = []  # by the caller's callback: passed on as it is
    try:
        return run(client, data, job, stage, raised)
    except TextclfError:
        raise
    except Exception as err:  # what Dask raises when it loses the cluster
        if raised and err is raised[0]:
            raise
        raise cluster_error(client, err, stage[0]) from err


def run(client: Any, data: Any, job: ClusterJob, stage: list[str],
        raised: list[BaseException]) -> list[dict]:
    slots = worker_slots(client)
    stage[0] = "while reading the shards"
    texts = submit_reads(client, data, job, slots)
    head = job.featurizer is None and job.features.char_ngrams == "auto" \
        and job.features.hash_bits is not None  # what "auto" looks at, for hashed features
    counted = [client.submit(shard_facts, text, head, pure=False) for text in texts]
    wait_for(counted, "reading shards", job.quiet)
    per_shard: list[CorpusFacts] = client.gather(counted)
    facts = sum(per_shard[1:], per_shard[0])
    for message in dict.fromkeys(facts.warnings):
        warnings.warn(message, UserWarning, stacklevel=2)
    if facts.documents == 0:
        raise DataError("the training corpus is empty: its shards hold no documents")
    plan = job.plan(facts)
    stage[0] = "while featurising the shards"
    groups = group_of(len(texts), job.report["groups"])
    shards, featurizer = featurised(client, texts, per_shard, facts, plan, job,
                                    [slots[g] for g in groups])
    sizes = client.gather(client.map(shard_size, shards, pure=False))
    job.report.update(documents=sum(rows for rows, _ in sizes),
                      text_characters=facts.characters, features=featurizer.n_features,
                      data_bytes=sum(size for _, size in sizes),
                      group_text_characters=by_group([f.characters for f in per_shard],
                                                     groups),
                      group_data_bytes=by_group([size for _, size in sizes], groups))
    digests = client.gather(client.map(shard_digest, shards, pure=False)) \
        if job.digests else []
    start = job.prepare(featurizer, digests)
    if start.completed:
        return job.progress.history
    if start.model.kind not in LINEAR_KINDS:
        raise SettingsError(f"training on a cluster supports logistic and softmax "
                            f"regression, not {start.model.kind}")
    stage[0] = "during training"

    def checkpoint(epoch: int, record: dict) -> None:
        stage[0] = f"after {'iteration' if 'objective' in record else 'epoch'} {epoch}"
        if job.on_epoch_end is not None:
            try:
                job.on_epoch_end(epoch, record)
            except BaseException as err:
                raised.append(err)
                raise

    common = {"dev": start.dev, "quiet": job.quiet, "timeout": job.timeout,
              "on_epoch_end": checkpoint, "progress": job.progress, "resume": start.resume}
    if job.mode == "exact":
        return fit_exact(client, shards, [slots[g] for g in groups], start.model,
                         start.settings, **common)
    if start.resume is not None:  # the groups of the run resumed, whatever the workers now
        groups = group_of(len(shards), int(start.resume.meta.get("groups", len(slots))))
    rows = by_group([rows for rows, _ in sizes], groups)
    warn_of_skewed_groups([f.label_documents for f in per_shard], groups)
    kept = [g for g, n in enumerate(rows) if n > 0]  # a group of empty shards idles
    workers = [slots[g % len(slots)] for g in kept]
    members = [client.submit(stacked, *[s for s, k in zip(shards, groups, strict=True)
                                        if k == g], workers=[worker],
                             allow_other_workers=True, pure=False)
               for g, worker in zip(kept, workers, strict=True)]
    shards.clear()  # (their recipes stay, for a lost worker's groups)
    wait_for(members, "stacking groups", job.quiet)
    return fit_average(client, members, [rows[g] for g in kept], workers, start.model,
                       start.settings, **common)


def featurised(client: Any, texts: list[Any], per_shard: list[CorpusFacts],
               facts: CorpusFacts, plan: RowPlan, job: ClusterJob,
               workers: list[str]) -> tuple[list[Any], Featurizer]:
    """Every shard's rows, made and kept on its group's worker, and the featuriser. A
    shard's earlier results (its text, its counts) go as soon as its rows are made; Dask
    keeps the recipe of all of it, so that a shard lost with its worker is read and made
    again elsewhere. Hence the featuriser travels inside the graph, as a task's value (a
    scattered value has no recipe)."""
    def place(function: Callable, *args: Any) -> list[Any]:
        return [client.submit(function, *shard_args, workers=[worker],
                              allow_other_workers=True, pure=False)
                for worker, *shard_args in zip(workers, *args, strict=True)]

    def each(value: Any) -> list[Any]:
        return [value] * len(workers)

    if job.featurizer is not None:  # training on: the model's featuriser
        made = uploaded(client, job.featurizer)
        featurizer, scans = job.featurizer, texts
        rows = place(transformed_rows, texts, each(made), each(plan))
    else:
        features = resolved(client, texts, per_shard, facts, job.features)
        scans = place(scan, texts, each(features))
        unread = dict(zip(scans, texts, strict=True))
        texts.clear()
        wait_for(scans, "counting shards", job.quiet, done=unread.pop)  # texts go
        summary = tree_reduce(client, [client.submit(summary_of, s, pure=False)
                                       for s in scans])
        made = client.submit(featurizer_from, summary, features, jobs=job.jobs or 1,
                             dtype=job.dtype, pure=False)
        featurizer = made.result()
        rows = place(shard_rows, scans, each(made), each(plan))
    scales = None
    if job.featurizer is None and featurizer.settings.uses_labels:  # the nb ratios
        totals = tree_reduce(client, [client.submit(nb_totals, r, plan, pure=False)
                                      for r in rows]).result()
        scales = uploaded(client, nb_scales(totals, featurizer, plan.multi_label))
    shards = place(finished, rows, each(scales), each(featurizer.settings.weighting),
                   each(plan.scale))
    pending = dict(zip(shards, rows, strict=True))
    texts.clear()
    del scans, rows
    wait_for(shards, "featurising shards", job.quiet, done=pending.pop)
    return shards, featurizer


def resolved(client: Any, texts: list[Any], per_shard: list[CorpusFacts],
             facts: CorpusFacts, settings: FeatureSettings) -> FeatureSettings:
    """``char_ngrams="auto"`` decided as one process decides it on the same documents
    (:mod:`~textclf.distributed.facts`)."""
    if settings.char_ngrams != "auto":
        return settings
    if settings.hash_bits is not None:
        return decided(settings, *head_sample(facts.head))
    step = max(1, facts.documents // SAMPLED)
    firsts = np.cumsum([0, *(f.documents for f in per_shard)])[:-1]
    parts = client.gather([client.submit(sampled_length, text, int(first), step, pure=False)
                           for text, first in zip(texts, firsts, strict=True)])
    return decided(settings, sum(c for c, _ in parts), sum(n for _, n in parts))


def identity(value: Any) -> Any:
    return value


def uploaded(client: Any, value: Any) -> Any:
    """``value`` as a task's result on the cluster (with a recipe, unlike a scattered one:
    it comes back with a lost worker's shards), whatever its size."""
    import dask

    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GB"}):
        return client.submit(identity, value, pure=False)


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
