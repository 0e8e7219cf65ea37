"""The dev set of a fit, and what is fitted on it once θ is trained.

The dev documents are scored every epoch (the dev loss, early stopping). After training,
two things are fitted on them, in this order: the temperature T of temperature scaling
(``calibrate``: :mod:`textclf.training.calibration`), then a multi-label model's threshold
``auto`` (the one with the best micro-F1 on the calibrated probabilities). Without dev
documents a fit may hold out a stratified part of the training documents instead
(:func:`held_out_rows`, scikit-learn's ``validation_fraction``).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from textclf.corpus.documents import checked_texts
from textclf.corpus.splits import hold_out
from textclf.errors import DataError, SettingsError
from textclf.evaluation.decisions import best_threshold
from textclf.features.featurizer import Featurizer
from textclf.fitting.labels import known_dev_rows, read_targets
from textclf.fitting.problem import Problem
from textclf.fitting.settings import DecisionSettings, FitSettings
from textclf.models.base import Model
from textclf.training.calibration import fit_temperature
from textclf.training.settings import TrainingSettings
from textclf.training.weights import checked_sample_weights


def checked_dev(texts, labels) -> tuple[list[str] | None, list | None, bool]:
    """The dev texts and labels as lists, and whether there are any."""
    if texts is None or labels is None:
        return None, None, False
    texts, labels = checked_texts(texts, "dev texts"), list(labels)
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} dev texts but {len(labels)} dev labels")
    return texts, labels, len(texts) > 0


def dev_rows(featurizer: Featurizer, problem: Problem, texts: Sequence[str], labels: Sequence,
             sample_weight: Sequence[float] | None, class_weight) -> tuple:
    """(X, y) of the dev documents the model can be scored on (warning of the rest:
    :func:`~textclf.fitting.labels.known_dev_rows`), and their weights when there are
    any: (X, y, weights)."""
    sample_weight = checked_sample_weights(sample_weight, len(labels), "dev_sample_weight")
    sets, _ = read_targets(labels, problem.multi_label, "dev labels")
    rows, sets = known_dev_rows(sets, problem.labels, problem.multi_label)
    X_dev = featurizer.transform([texts[i] for i in rows])
    y_dev = problem.encode(sets)
    weights = problem.weigh(y_dev, None if sample_weight is None else sample_weight[rows],
                            class_weight)
    return (X_dev, y_dev) if weights is None else (X_dev, y_dev, weights)


def needs_dev(settings: FitSettings, multi_label: bool) -> str | None:
    """What in ``settings`` needs dev data (None: nothing)."""
    if settings.training.get("patience") is not None:
        return "early stopping (patience) needs dev data to watch"
    if settings.training.get("calibrate"):
        return "calibration (temperature scaling) is fitted on dev data"
    if multi_label and settings.decision.threshold == "auto":
        return "threshold 'auto' is chosen on dev data"
    return None


def check_dev_needs(settings: FitSettings, multi_label: bool, has_dev: bool) -> None:
    """Refuse settings that need dev data when there is none, before any work (and say
    that multi-label decision settings do nothing for single-label data)."""
    s = settings.decision
    if not multi_label and (s.threshold is not None or s.top_k is not None or s.at_least_one):
        warnings.warn("threshold, top_k and at_least_one decide the labels of a multi-label "
                      "model; this data has one label per document, so they are not used",
                      UserWarning, stacklevel=4)
    need = needs_dev(settings, multi_label)
    if need is not None and not has_dev:
        raise SettingsError(f"{need}: give dev texts and labels (on the command line --dev "
                            "DATA, or data with a dev split)")


def held_out_rows(problem: Problem, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(the rows kept for training, the rows held out as the dev set): a stratified,
    seeded ``fraction`` of the documents of positive weight (by class; multi-label data
    at random)."""
    if not (isinstance(fraction, numbers.Real) and not isinstance(fraction, bool)):
        raise SettingsError(f"validation_fraction must be a number, got {fraction!r}")
    rows = np.arange(len(problem.y)) if problem.weights is None \
        else np.flatnonzero(problem.weights > 0)
    strata = problem.y[rows] if not problem.multi_label else np.zeros(len(rows), np.int64)
    kept, held = hold_out(strata, float(fraction), seed)
    if len(held) == 0:
        raise SettingsError("a validation set (for early stopping, or what is fitted on "
                            "held-out data) needs a class with two documents to spare one")
    return rows[kept], rows[held]


def fit_on_dev(model: Model, training: TrainingSettings, decision: DecisionSettings,
               dev: tuple | None) -> tuple[dict | None, float | None]:
    """The temperature (``calibrate``, set on ``model``), then a multi-label model's
    threshold ``auto``: (the calibration record, the chosen threshold)."""
    model.temperature, calibration, chosen = 1.0, None, None
    if training.calibrate:
        fitted = fit_temperature(model, dev)
        model.temperature = fitted.temperature
        calibration = asdict(fitted)
    if model.multi_label and decision.threshold == "auto" and dev is not None:
        P_dev = model.predict_proba(dev[0])
        chosen = best_threshold(P_dev, dev[1], decision.top_k, decision.at_least_one)
    return calibration, chosen
