"""A trained classifier scored on labelled texts: ``TextClassifier.evaluate``."""

from __future__ import annotations

import numpy as np

from textclf.classifier.targets import read_targets
from textclf.corpus.documents import checked_labels, checked_texts
from textclf.errors import DataError
from textclf.evaluation.calibration import calibration_of_classes
from textclf.evaluation.metrics import EvaluationReport, evaluate_labels
from textclf.evaluation.multilabel import MultiLabelReport, evaluate_label_sets


def evaluate(clf, texts, labels) -> EvaluationReport | MultiLabelReport:
    """Accuracy, per-class scores, the confusion matrix and the calibration (ECE, Brier) of
    the predicted class's probability; for a multi-label classifier the label-set scores and
    the calibration of every (document, label) pair."""
    texts = checked_texts(texts)
    if clf.multi_label:
        sets, _ = read_targets(labels, True)
        if len(texts) != len(sets):
            raise DataError(f"{len(texts)} texts but {len(sets)} labels")
        P = clf.predict_proba(texts)
        return evaluate_label_sets(sets, clf.decide(P), clf.labels, P)
    labels = checked_labels(labels, "labels")
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} texts but {len(labels)} labels")
    P = clf.predict_proba(texts)
    report = evaluate_labels(labels, [clf.labels[k] for k in np.argmax(P, axis=1)], clf.labels)
    index = {label: k for k, label in enumerate(clf.labels)}
    report.calibration = calibration_of_classes(P, [index.get(y, -1) for y in labels])
    return report
