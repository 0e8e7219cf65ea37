"""A fitted classifier scored on labelled texts: ``TextClassifier.evaluate``."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from textclf.corpus.documents import checked_labels, checked_texts
from textclf.errors import DataError
from textclf.evaluation.calibration import calibration_of_classes
from textclf.evaluation.metrics import EvaluationReport, evaluate_labels
from textclf.evaluation.multilabel import MultiLabelReport, evaluate_label_sets
from textclf.fitting.fitted import Fitted
from textclf.fitting.problem import label_names_of, read_targets


def evaluate(fitted: Fitted, texts, labels,
             probabilities: np.ndarray | None = None) -> EvaluationReport | MultiLabelReport:
    """Accuracy, per-class scores, the confusion matrix and the calibration (ECE, Brier) of
    the predicted class's probability; for a multi-label classifier the label-set scores and
    the calibration of every (document, label) pair. ``probabilities``: the model's P of
    ``texts`` where the caller has it already (the dev set of the fit), one row per text."""
    texts = checked_texts(texts)
    if probabilities is not None and len(probabilities) != len(texts):
        raise ValueError(f"{len(probabilities)} rows of probabilities for {len(texts)} texts")

    def predict_proba() -> np.ndarray:
        return fitted.predict_proba(texts) if probabilities is None else probabilities

    if fitted.multi_label:
        sets, _ = read_targets(labels, True)
        if len(texts) != len(sets):
            raise DataError(f"{len(texts)} texts but {len(sets)} labels")
        check_known(fitted.labels, [label for labels in sets for label in labels], "label")
        P = predict_proba()
        return evaluate_label_sets(sets, fitted.decide(P), fitted.labels, P)
    labels = checked_labels(label_names_of(labels)[0], "labels")
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} texts but {len(labels)} labels")
    check_known(fitted.labels, labels, "document")
    P = predict_proba()
    predicted = [fitted.labels[k] for k in np.argmax(P, axis=1)]
    report = evaluate_labels(labels, predicted, fitted.labels)
    index = {label: k for k, label in enumerate(fitted.labels)}
    report.calibration = calibration_of_classes(P, [index.get(y, -1) for y in labels])
    return report


def check_known(known: list[str], given: list[str], counted: str) -> None:
    """Refuse data none of whose labels the model knows (the wrong model, or the wrong
    field); warn when only some are unknown (they are counted as errors)."""
    names = set(known)
    unknown = Counter(label for label in given if label not in names)
    if not unknown:
        return
    shown = ", ".join(sorted(unknown)[:10]) + (", ..." if len(unknown) > 10 else "")
    if sum(unknown.values()) == len(given):
        raise DataError(f"none of the data's labels ({shown}) is one the model knows "
                        f"({', '.join(known[:10])}{', ...' if len(known) > 10 else ''}): "
                        "the wrong model, or the wrong label field?")
    warnings.warn(f"{sum(unknown.values())} {counted}(s) of {len(given)} have labels the model "
                  f"does not know ({shown}); they are counted as errors",
                  UserWarning, stacklevel=3)
