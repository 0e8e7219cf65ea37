"""A fit on a Dask cluster (``TextClassifier.fit_dask``, ``textclf train --dask``): what one
process fits, from shards the workers read.

The cluster reports the corpus's labels, documents and weights; from them the fit makes
the :class:`~textclf.fitting.problem.Problem` as a stream's first pass does
(:func:`~textclf.fitting.problem.problem_of_names`; the class weights and the weights'
scale of :func:`~textclf.fitting.streaming.stream_weights`), which the workers apply to
their documents (:class:`~textclf.distributed.RowPlan`). Once the cluster has made the
featuriser, the fit makes the model (:func:`~textclf.fitting.problem.model_for`), the dev
set (:func:`~textclf.fitting.pipeline.dev_rows`), and, with a checkpoint file, its checkpoints
(:class:`~textclf.fitting.checkpoints.Checkpoints`: the model file of one process, with the
cluster's training state); after θ, what follows it in one process
(:func:`~textclf.fitting.pipeline.after_theta`). Training on (``start``): the model's θ,
featuriser and labels, its training settings as ``continue_fit`` takes them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from textclf.distributed.cluster import connect
from textclf.distributed.facts import CorpusFacts
from textclf.distributed.fit import ClusterJob, Start, fit_on_cluster, mode_settings
from textclf.distributed.shards import ReadOptions, collection_kind, expand_paths
from textclf.distributed.targets import RowPlan
from textclf.errors import DataError, SettingsError
from textclf.fitting.checkpoints import COMPLETED, Checkpoints
from textclf.fitting.fitted import Fitted
from textclf.fitting.incremental import continued_settings
from textclf.fitting.pipeline import after_theta, check_dev_needs, dev_rows
from textclf.fitting.problem import Problem, label_names, model_for, problem_of_names
from textclf.fitting.settings import FitSettings, RunOptions
from textclf.fitting.streaming import Scanned, stream_weights

# run settings that do not change θ: a checkpoint resumes on another cluster, quietly or not
WHERE_AND_HOW = ("dask", "dask_timeout", "quiet", "jobs")


def fit_cluster(settings: FitSettings, client: Any, data: Any, *,
                dev: tuple[Sequence[str], Sequence] | None = None,
                read: ReadOptions | None = None, options: RunOptions | None = None,
                start: Fitted | None = None, overrides: dict | None = None,
                **reading: Any) -> Fitted:
    """Train on the cluster ``client`` (a ``distributed.Client``, an address, or None for
    the ``dask`` setting); see ``TextClassifier.fit_dask``. ``dev``: (texts, labels) or
    (texts, labels, weights); ``read`` (or ``fmt=``, ``text_field=``, ``label_field=``,
    ``weight_field=``, ``label_sep=``): how the shards are read. ``start``: a trained
    model to train on, with ``overrides`` of its training settings. With
    ``options.checkpoint`` the model file is written after every epoch (or L-BFGS
    iteration), and ``options.resume`` goes on from it."""
    options = options or RunOptions()
    run = settings.run
    if settings.model.model == "mlp" or (start is not None and start.model.kind == "mlp"):
        raise SettingsError("training on a cluster supports logistic and softmax regression "
                            "(model auto, logistic or softmax; multi-label: a sigmoid per "
                            "label), not mlp")
    given = dict(settings.training if start is None else overrides or {})
    mode = mode_settings(run.distributed, given, run.max_iter)
    has_dev = dev is not None and len(dev[0]) > 0
    fit = ClusterFit(settings, options, dev if has_dev else None, start, {**given, **mode})
    job = ClusterJob(features=settings.features.replace(), plan=fit.plan, prepare=fit.prepare,
                     mode=run.distributed, featurizer=None if start is None else
                     start.featurizer, read=read or ReadOptions(**reading), jobs=run.jobs,
                     dtype=settings.dtype, quiet=options.quiet, timeout=run.dask_timeout,
                     on_epoch_end=fit.after_epoch, digests=options.checkpoint is not None)
    fit.job = job
    if collection_kind(data) is None:
        data = expand_paths(data)  # a missing file is reported before a cluster starts
    if client is None or isinstance(client, str):
        address = client or run.dask
        if address is None:
            raise SettingsError("fit_dask needs a cluster: a distributed.Client, an address "
                                "(local:N, tcp://HOST:PORT), or the dask argument")
        with connect(address, run.dask_timeout, options.quiet) as connected:
            history = fit_on_cluster(connected, data, job)
    else:
        history = fit_on_cluster(client, data, job)
    fitted = fit.fitted
    fitted.history, fitted.cluster_report = history, job.report
    after_theta(fitted, fit.dev_set, job.report["documents"], trained=not fit.completed)
    if fit.checkpoints is not None:
        fit.checkpoints.finish(fitted)
    return fitted


class ClusterFit:
    """The fit's side of a cluster run: :meth:`plan` from the corpus's facts, :meth:`prepare`
    once the featuriser is made, :meth:`after_epoch` for checkpoints."""

    def __init__(self, settings: FitSettings, options: RunOptions, dev: tuple | None,
                 start: Fitted | None, overrides: dict):
        self.settings, self.options, self.dev, self.start = settings, options, dev, start
        self.overrides = overrides
        self.job: ClusterJob | None = None
        self.problem: Problem | None = None
        self.fitted: Fitted | None = None
        self.dev_set: tuple | None = None
        self.checkpoints: Checkpoints | None = None
        self.completed = False

    def plan(self, facts: CorpusFacts) -> RowPlan:
        """The problem of the corpus's labels (a started model's own), and how each
        document becomes a row: its targets, its weight."""
        settings, start = self.settings, self.start
        forced = settings.model.multi_label if start is None else start.multi_label
        if forced is False and facts.several:
            raise DataError("a document has zero or several labels, and multi_label is off "
                            "(or the model gives one class per document)")
        multi_label = bool(forced) or facts.several
        if start is None:
            problem = problem_of_names(label_names([(label,) for label in facts.labels]),
                                       settings, multi_label)
            self.training = settings.training_for(problem.kind, self.overrides)
        else:
            unknown = sorted(set(facts.labels) - set(start.labels))
            if unknown:
                raise DataError(f"label {unknown[0]!r} is not one the model knows "
                                f"({', '.join(start.labels)}); training on keeps the model's "
                                "labels: train a new model for new ones")
            problem = Problem(start.labels, start.label_type, start.multi_label,
                              start.model.kind)
            self.training, _, _ = continued_settings(
                start, settings, self.overrides, self.dev is not None)
        if start is None:  # (training on: continued_settings said what needs dev data)
            check_dev_needs(settings, problem.multi_label, self.dev is not None)
        self.problem = problem
        by_class, scale = row_weights(facts, problem, self.training.class_weight)
        return RowPlan(problem.encode, problem.n_outputs, problem.multi_label, by_class, scale)

    def prepare(self, featurizer: Any, digests: list[str]) -> Start:
        """The model for the featuriser (a fresh one, or the started model's θ), the dev
        set, and with a checkpoint file where to start."""
        settings, problem, training = self.settings, self.problem, self.training
        if self.start is None:
            model = model_for(problem, featurizer.n_features, settings, training)
        else:
            model = copy.deepcopy(self.start.model)
        dev = self.dev
        if dev is not None:
            self.dev_set = dev_rows(featurizer, problem, dev[0], dev[1],
                                    dev[2] if len(dev) > 2 else None, training.class_weight)
        self.fitted = Fitted(featurizer, model, problem.labels, training,
                             label_type=problem.label_type, decision=settings.decision,
                             float32=settings.run.float32)
        if self.options.checkpoint is None:
            return Start(model, training, self.dev_set)
        self.checkpoints = Checkpoints(self.options.checkpoint, self.fingerprint(digests),
                                       self.options.sign_key)
        state = self.checkpoints.resume(self.fitted) if self.options.resume else None
        if state == COMPLETED:
            self.completed = True
            self.job.progress.history = self.fitted.history
            return Start(model, training, self.dev_set, completed=True)
        return Start(model, training, self.dev_set, resume=state)

    def after_epoch(self, epoch: int, record: dict) -> None:
        """After every epoch or L-BFGS iteration: the checkpoint (the model file now, with
        the state to go on from), then the caller's callback."""
        self.fitted.history = self.job.progress.history
        if self.checkpoints is not None:
            self.checkpoints.write(self.fitted, self.job.progress)
        if self.options.on_epoch_end is not None:
            self.options.on_epoch_end(epoch, record)

    def fingerprint(self, digests: list[str]) -> str:
        """SHA-256 of what decides the run's θ: the settings, the mode, the labels, the
        started model's θ, every shard's rows (their digests) and the dev rows."""
        arguments = {name: value for name, value in self.settings.arguments().items()
                     if name not in WHERE_AND_HOW} | {"training": self.overrides}
        digest = hashlib.sha256(json.dumps([arguments, self.problem.labels], sort_keys=True,
                                           default=str).encode("utf-8"))
        if self.start is not None:
            for array in self.start.model.parameters().values():
                digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("".join(digests).encode())
        for array in self.dev_set or ():
            if hasattr(array, "indptr"):
                for part in (array.indptr, array.indices, array.data):
                    digest.update(np.ascontiguousarray(part).tobytes())
            else:
                digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def row_weights(facts: CorpusFacts, problem: Problem,
                class_weight: Any) -> tuple[np.ndarray | None, float]:
    """(c_k per class, or None; the factor that scales the weights sᵢ = c_{yᵢ}·wᵢ of the rows
    kept, those of weight > 0, to mean 1), from the corpus's label counts and weight sums;
    the class weights as a stream's first pass makes them (:func:`stream_weights`)."""
    labels = problem.labels
    weighted = facts.has_weights
    scanned = Scanned(labels, facts.documents,
                      {label: facts.label_documents.get(label, 0) for label in labels},
                      {label: facts.label_weights.get(label, 0.0) for label in labels}
                      if weighted else None, problem.multi_label, facts.weight_total)
    by_class, _ = stream_weights(scanned, class_weight)
    if by_class is None:
        return None, facts.kept / facts.weight_total if weighted else 1.0
    kept = sum(facts.label_kept.get(label, 0) for label, c in zip(labels, by_class,
                                                                  strict=True) if c > 0)
    total = sum(c * facts.label_weights.get(label, 0.0)
                for label, c in zip(labels, by_class, strict=True))
    return by_class, kept / total

