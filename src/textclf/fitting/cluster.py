"""A fit on a Dask cluster (``TextClassifier.fit_dask``): the settings become a
:class:`~textclf.distributed.ClusterJob`; the cluster finds the labels and the featuriser,
the fit makes the problem and the model for them."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

from textclf.distributed import (
    ClusterJob,
    ReadOptions,
    connect,
    expand_paths,
    fit_on_cluster,
    mode_settings,
)
from textclf.distributed.shards import collection_kind
from textclf.errors import SettingsError
from textclf.features.settings import FeatureSettings
from textclf.fitting import persistence
from textclf.fitting.fitted import Fitted
from textclf.fitting.problem import label_names, model_for, problem_of_names
from textclf.fitting.run import check_dev_needs, dev_rows, fit_on_dev, provenance
from textclf.fitting.settings import FitSettings, RunOptions


def fit_cluster(settings: FitSettings, client: Any, data: Any, *,
                dev: tuple[Sequence[str], Sequence] | None = None, fmt: str | None = None,
                text_field: str = "text", label_field: str = "label",
                options: RunOptions | None = None) -> Fitted:
    """Train on the cluster ``client`` (a ``distributed.Client``, an address, or None for
    the ``dask`` setting); see ``TextClassifier.fit_dask``. With ``options.checkpoint`` the
    model file is written after every epoch (or L-BFGS iteration)."""
    options = options or RunOptions()
    run = settings.run
    if settings.model.model == "mlp":
        raise SettingsError("training on a cluster supports logistic and softmax regression "
                            "(model auto, logistic or softmax), not mlp")
    if settings.model.multi_label or settings.training.get("class_weight"):
        raise SettingsError("training on a cluster takes one label per document and no "
                            "class weights (multi_label and class_weight do not apply)")
    overrides = mode_settings(run.distributed, settings.training)
    has_dev = dev is not None and len(dev[0]) > 0
    check_dev_needs(settings, False, has_dev)  # patience, calibrate: refused without dev data
    settings = dataclasses.replace(settings, features=cluster_features(settings.features))
    made: list[Fitted] = []  # the fitted parts, once the cluster has found the labels
    dev_sets: list = []

    def prepare(labels: list[str], featurizer: Any) -> tuple:
        problem = problem_of_names(label_names([(label,) for label in labels]), settings,
                                   False)
        training = settings.training_for(problem.kind, overrides)
        model = model_for(problem, featurizer.n_features, settings, training)
        dev_sets.append(dev_rows(featurizer, problem, dev[0], dev[1], None, None)
                        if has_dev else None)
        made.append(Fitted(featurizer, model, problem.labels, training,
                           decision=settings.decision, float32=run.float32))
        return model, training, dev_sets[-1]

    def after_epoch(epoch: int, record: dict) -> None:
        made[-1].history.append(record)
        if options.checkpoint is not None:
            persistence.write(options.checkpoint, made[-1], options.sign_key)
        if options.on_epoch_end is not None:
            options.on_epoch_end(epoch, record)

    job = ClusterJob(features=settings.features.replace(), mode=run.distributed,
                     prepare=prepare, read=ReadOptions(fmt, text_field, label_field),
                     jobs=run.jobs, dtype=settings.dtype, quiet=options.quiet,
                     timeout=run.dask_timeout, on_epoch_end=after_epoch)
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
    fitted = made[-1]
    fitted.history, fitted.cluster_report = history, job.report
    fitted.calibration, fitted.chosen_threshold = fit_on_dev(  # the temperature, as in memory
        fitted.model, fitted.training_settings, fitted.decision, dev_sets[-1])
    fitted.provenance = provenance(fitted, job.report.get("documents", 0))
    return fitted


def cluster_features(settings: FeatureSettings) -> FeatureSettings:
    """The features a cluster makes: word n-grams without labels in the counting pass. The
    out-of-the-box nb weighting becomes its label-free base (tfidf-nb → tfidf, nb →
    binary, with a warning) and character n-grams ``auto`` none; character n-grams asked
    for by length are refused (the workers' counting pass does not make them yet)."""
    if settings.nb_beta is not None:
        raise SettingsError("nb_beta interpolates with the nb weighting, which a cluster "
                            "does not make yet: train without nb_beta, or in one process")
    if settings.char_ngrams not in (None, "auto"):
        raise SettingsError("character n-grams are not made on a cluster yet: train with "
                            "--char-ngrams none, or in one process")
    base = {"tfidf-nb": "tfidf", "nb": "binary"}.get(settings.weighting, settings.weighting)
    if base != settings.weighting:
        warnings.warn(f"a cluster weighs features by {base}: the {settings.weighting} "
                      "weighting needs per-label counts that the workers' counting pass does "
                      "not make yet", UserWarning, stacklevel=3)
    return settings.replace(weighting=base, char_ngrams=None, nb_beta=None)
