"""The classifier's side of training on a Dask cluster (``TextClassifier.fit_dask``): its
settings become a :class:`~textclf.distributed.ClusterJob`; the cluster finds the labels
and the featuriser, the classifier makes the model for them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from textclf.classifier import devset
from textclf.classifier.targets import label_names
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
from textclf.training.history import EpochCallback


def fit_on_dask(clf: Any, client: Any, data: Any, *,
                dev: tuple[Sequence[str], Sequence[str]] | None = None,
                fmt: str | None = None, text_field: str = "text", label_field: str = "label",
                on_epoch_end: EpochCallback | None = None) -> Any:
    """Train ``clf`` (a TextClassifier) on the cluster ``client`` (a ``distributed.Client``,
    an address, or None for ``clf.dask``); see ``TextClassifier.fit_dask``."""
    if clf.model_settings.model == "mlp":
        raise SettingsError("training on a cluster supports logistic and softmax regression "
                            "(model auto, logistic or softmax), not mlp")
    if clf.model_settings.multi_label or clf.training_overrides.get("class_weight"):
        raise SettingsError("training on a cluster takes one label per document and no "
                            "class weights (multi_label and class_weight do not apply)")
    overrides = mode_settings(clf.distributed, clf.training_overrides)
    has_dev = dev is not None and len(dev[0]) > 0
    clf.multi_label = False
    devset.check_dev_needs(clf, has_dev)  # patience, calibrate: refused without dev data
    clf.history, dev_rows = [], []

    def after_epoch(epoch: int, record: dict) -> None:  # a checkpoint holds the history
        clf.history.append(record)
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)

    clf.feature_settings = cluster_features(clf.feature_settings)  # what it will have trained
    job = ClusterJob(features=clf.feature_settings.replace(), mode=clf.distributed,
                     prepare=lambda labels, featurizer: prepare(
                         clf, labels, featurizer, overrides, dev if has_dev else None,
                         dev_rows),
                     read=ReadOptions(fmt, text_field, label_field), jobs=clf.jobs,
                     dtype=clf.dtype, quiet=clf.quiet, timeout=clf.dask_timeout,
                     on_epoch_end=after_epoch)
    if collection_kind(data) is None:
        data = expand_paths(data)  # a missing file is reported before a cluster starts
    if client is None or isinstance(client, str):
        address = client or clf.dask
        if address is None:
            raise SettingsError("fit_dask needs a cluster: a distributed.Client, an address "
                                "(local:N, tcp://HOST:PORT), or the dask argument")
        with connect(address, clf.dask_timeout, clf.quiet) as connected:
            clf.history = fit_on_cluster(connected, data, job)
    else:
        clf.history = fit_on_cluster(client, data, job)
    clf.cluster_report = job.report
    devset.fit_on_dev(clf, dev_rows[0] if dev_rows else None)  # the temperature, as in memory
    return clf


def prepare(clf: Any, labels: list[str], featurizer: Any, overrides: dict[str, Any],
            dev: tuple[Sequence[str], Sequence[str]] | None, dev_rows: list) -> tuple:
    """Give ``clf`` the labels and the featuriser the cluster found: a fresh model for
    them; returns the model, its training settings and the dev set's (X, y) (None
    without). A cluster trains one class per document (``fit_on_dask`` settled it)."""
    clf.labels = label_names([(label,) for label in labels], False)
    clf.featurizer = featurizer
    clf.model = clf.build_model(featurizer.n_features, overrides)
    dev_rows.append(clf.dev_set(*dev) if dev else None)
    return clf.model, clf.training_settings, dev_rows[-1]


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
