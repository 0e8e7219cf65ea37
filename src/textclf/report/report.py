"""A model's report on labelled data: PNG plots and one HTML page that shows them.

``report(clf, texts, labels, out_dir)`` writes into ``out_dir``:

    loss.png          training and dev loss per epoch (from the model's history)
    accuracy.png      dev (and training, where recorded) accuracy per epoch
    confusion.png     confusion matrix on the data: counts and normalised by row
                      (single-label models)
    per_class.png     precision, recall and F1 per class
    reliability.png   the reliability diagram: share right against confidence, ECE, Brier
    features.png      the strongest features of each class
    roc.png, pr.png   binary models: ROC and precision-recall curves with their areas
    report.html       all of the above, the scores, and the documents the model got most
                      confidently wrong, each with its explanation
    report.json       the figures in machine-readable form

The page uses no network: no scripts, fonts or style sheets from elsewhere; images are the
PNG files next to it (or, with ``embed_images``, inlined as data URIs so the page travels
alone).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textclf.errors import DataError
from textclf.evaluation.calibration import calibration_of_classes
from textclf.evaluation.curves import precision_recall_curve, roc_curve
from textclf.evaluation.metrics import EvaluationReport, evaluate_labels
from textclf.evaluation.multilabel import MultiLabelReport, evaluate_label_sets, indicator
from textclf.explain.contributions import explain_rows
from textclf.explain.inspection import inspect_model
from textclf.explain.records import Explanation
from textclf.report import plots
from textclf.report.page import IMAGES, render_html


@dataclass
class WrongDocument:
    id: str
    true_label: str
    predicted: str
    confidence: float  # P(predicted | x)
    explanation: Explanation


@dataclass
class Report:
    """What :func:`report` wrote and measured."""

    directory: Path
    html: Path
    images: dict[str, Path]
    evaluation: EvaluationReport | MultiLabelReport
    roc_auc: float | None = None
    average_precision: float | None = None
    wrong: list[WrongDocument] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "directory": str(self.directory),
            "html": str(self.html),
            "images": {k: str(v) for k, v in self.images.items()},
            "evaluation": self.evaluation.to_dict(),
            "roc_auc": _finite(self.roc_auc),
            "average_precision": _finite(self.average_precision),
            "most_confidently_wrong": [
                {"id": w.id, "true_label": w.true_label, "predicted": w.predicted,
                 "confidence": w.confidence, "text": w.explanation.text}
                for w in self.wrong
            ],
        }


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def most_confidently_wrong(probabilities: np.ndarray, true_labels: Sequence,
                           labels: Sequence[str], n: int,
                           multi_label: bool = False) -> list[int]:
    """Rows the model got wrong, by its probability for the (wrong) label it chose; for a
    multi-label model, by the highest probability it gave a label the document lacks."""
    if multi_label:
        false = 1 - indicator(true_labels, labels)  # the labels each document does not have
        confidence = (probabilities * false).max(axis=1)
        wrong = [i for i in range(len(true_labels)) if confidence[i] >= 0.5]
    else:
        predicted = np.argmax(probabilities, axis=1)
        confidence = probabilities[np.arange(len(predicted)), predicted]
        wrong = [i for i, label in enumerate(true_labels) if label != labels[predicted[i]]]
    wrong.sort(key=lambda i: (-confidence[i], i))
    return wrong[:n]


def report(
    clf,
    texts: Sequence[str],
    labels: Sequence[str],
    out_dir: str | Path,
    *,
    ids: Sequence[str] | None = None,
    data_name: str = "the data",
    model_name: str = "the model",
    top: int = 10,
    n_wrong: int = 10,
    embed_images: bool = False,
) -> Report:
    """Evaluate ``clf`` on labelled ``texts`` and write plots and ``report.html`` to ``out_dir``.

    Example::

        from textclf.report import report
        r = report(clf, test_texts, test_labels, "report/")
        r.html                      # report/report.html
        r.evaluation.accuracy, r.roc_auc
    """
    plots.require_matplotlib()  # fail before any work when matplotlib is missing
    clf.check_fitted()
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} texts but {len(labels)} labels")
    if len(texts) == 0:
        raise DataError("no documents to report on")
    multi_label = clf.multi_label
    labels = [tuple(map(str, label)) if multi_label else str(label) for label in labels]
    ids = [str(i) for i in ids] if ids is not None else [str(i) for i in range(len(texts))]
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise DataError(f"{directory}: exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)

    probabilities = np.asarray(clf.predict_proba(list(texts)), dtype=np.float64)
    if multi_label:
        evaluation = evaluate_label_sets(labels, clf.decide(probabilities), clf.labels,
                                         probabilities)
    else:
        predicted = [clf.labels[k] for k in np.argmax(probabilities, axis=1)]
        evaluation = evaluate_labels(labels, predicted, clf.labels)
        index = {label: k for k, label in enumerate(clf.labels)}
        evaluation.calibration = calibration_of_classes(
            probabilities, [index.get(label, -1) for label in labels])
    summary = inspect_model(clf, top=top)
    binary = len(clf.labels) == 2 and not multi_label

    images: dict[str, Path] = {}
    images["loss"] = plots.plot_loss(clf.history, directory / IMAGES["loss"],
                                     n_classes=None if multi_label else len(clf.labels))
    images["accuracy"] = plots.plot_accuracy(clf.history, directory / IMAGES["accuracy"],
                                             evaluation.accuracy, data_name)
    if not multi_label:  # (a document with several labels has no one cell to count in)
        images["confusion"] = plots.plot_confusion(evaluation.confusion, evaluation.labels,
                                                   directory / IMAGES["confusion"])
    images["per_class"] = plots.plot_per_class(evaluation.per_class,
                                               directory / IMAGES["per_class"])
    images["reliability"] = plots.plot_reliability(evaluation.calibration,
                                                   directory / IMAGES["reliability"])
    images["features"] = plots.plot_features(summary.strongest, directory / IMAGES["features"],
                                             measure=summary.measure, binary=binary)
    roc = pr = None
    if binary:
        positive = clf.labels[1]
        known = np.array([label in clf.labels for label in labels])
        y_true = np.array([label == positive for label in labels])[known]
        score = probabilities[known, 1]
        roc, pr = roc_curve(y_true, score), precision_recall_curve(y_true, score)
        images["roc"] = plots.plot_roc(roc, directory / IMAGES["roc"], positive)
        base_rate = float(y_true.mean()) if len(y_true) else 0.0
        images["pr"] = plots.plot_precision_recall(pr, directory / IMAGES["pr"], positive,
                                                   base_rate)

    rows = most_confidently_wrong(probabilities, labels, clf.labels, n_wrong, multi_label)
    explanations = explain_rows(clf, [texts[i] for i in rows]) if rows else []
    wrong = [WrongDocument(ids[i], ", ".join(labels[i]) if multi_label else labels[i],
                           e.predicted, e.probabilities[e.predicted], e)
             for i, e in zip(rows, explanations, strict=True)]
    if multi_label:  # the wrong label with the highest probability is the one explained
        for w, i in zip(wrong, rows, strict=True):
            w.predicted = max((k for k in clf.labels if k not in labels[i]),
                              key=w.explanation.probabilities.get)
            w.confidence = w.explanation.probabilities[w.predicted]
            w.explanation.predicted = w.predicted

    result = Report(directory=directory, html=directory / "report.html", images=images,
                    evaluation=evaluation,
                    roc_auc=roc.area if roc else None,
                    average_precision=pr.area if pr else None, wrong=wrong)
    page = render_html(result, clf, summary, data_name=data_name, model_name=model_name,
                       embed_images=embed_images)
    result.html.write_text(page, encoding="utf-8")
    (directory / "report.json").write_text(json.dumps(result.summary(), indent=1),
                                           encoding="utf-8")
    return result
