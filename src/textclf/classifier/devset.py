"""The dev set of a classifier, and what is fitted on it once θ is trained.

The dev documents are scored every epoch (the dev loss, early stopping). After training,
two things are fitted on them, in this order: the temperature T of temperature scaling
(``calibrate``: :mod:`textclf.training.calibration`), then a multi-label model's threshold
``auto`` (the one with the best micro-F1 on the calibrated probabilities).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict

from textclf.classifier.targets import encode, known_dev_rows, read_targets
from textclf.corpus.documents import checked_texts
from textclf.errors import DataError, SettingsError
from textclf.evaluation.decisions import best_threshold
from textclf.training.calibration import fit_temperature
from textclf.training.weights import checked_sample_weights


def checked_dev(texts, labels) -> tuple[list[str] | None, list | None, bool]:
    """The dev texts and labels as lists, and whether there are any."""
    if texts is None or labels is None:
        return None, None, False
    texts, labels = checked_texts(texts, "dev texts"), list(labels)
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} dev texts but {len(labels)} dev labels")
    return texts, labels, len(texts) > 0


def dev_rows(clf, texts: Sequence[str], labels: Sequence,
             sample_weight: Sequence[float] | None = None) -> tuple:
    """(X, y) of the dev documents the model can be scored on (warning of the rest:
    :func:`~textclf.classifier.targets.known_dev_rows`), and their weights when there are
    any: (X, y, weights)."""
    sample_weight = checked_sample_weights(sample_weight, len(labels), "dev_sample_weight")
    sets, _ = read_targets(labels, clf.multi_label, "dev labels")
    rows, sets = known_dev_rows(sets, clf.labels, clf.multi_label)
    X_dev = clf.featurizer.transform([texts[i] for i in rows])
    y_dev = encode(sets, clf.labels, clf.multi_label)
    weights = clf.document_weights(y_dev, None if sample_weight is None
                                   else sample_weight[rows])
    return (X_dev, y_dev) if weights is None else (X_dev, y_dev, weights)


def check_dev_needs(clf, has_dev: bool) -> None:
    """Refuse settings that need dev data when there is none, before any work (and say
    that multi-label decision settings do nothing for single-label data)."""
    s = clf.decision_settings
    if not clf.multi_label and (s.threshold is not None or s.top_k is not None
                                or s.at_least_one):
        warnings.warn("threshold, top_k and at_least_one decide the labels of a multi-label "
                      "model; this data has one label per document, so they are not used",
                      UserWarning, stacklevel=4)
    if has_dev:
        return
    if clf.training_overrides.get("patience") is not None:
        raise SettingsError("early stopping (patience) needs dev data to watch: give dev texts "
                            "and labels (on the command line --dev DATA, or data with a dev "
                            "split)")
    if clf.training_overrides.get("calibrate"):
        raise SettingsError("calibration (temperature scaling) is fitted on dev data: give "
                            "dev texts and labels (--dev DATA, or data with a dev split)")
    if clf.multi_label and clf.decision_settings.threshold == "auto":
        raise SettingsError("threshold 'auto' is chosen on dev data: give dev texts and "
                            "labels (--dev DATA), or a threshold")


def fit_on_dev(clf, dev: tuple | None) -> None:
    """The temperature (``calibrate``), then the multi-label threshold ``auto``."""
    clf.model.temperature, clf.calibration = 1.0, None
    if clf.training_settings.calibrate:
        fitted = fit_temperature(clf.model, dev)
        clf.model.temperature = fitted.temperature
        clf.calibration = asdict(fitted)
    if clf.multi_label and clf.decision_settings.threshold == "auto" and dev is not None:
        s = clf.decision_settings
        P_dev = clf.model.predict_proba(dev[0])
        clf.chosen_threshold = best_threshold(P_dev, dev[1], s.top_k, s.at_least_one)
