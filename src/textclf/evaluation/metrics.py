"""Evaluation: accuracy, precision/recall/F1 per class, macro averages, confusion matrix.

For class c: precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R) (0 where a
denominator is 0). Macro averages are unweighted means over the classes that occur in the
true or the predicted labels. True labels the model does not know are kept: they count as
errors, get their own row in the confusion matrix and are listed in ``unknown_labels``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from textclf.evaluation.calibration import CalibrationReport


@dataclass
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class EvaluationReport:
    """Scores of predictions against true labels."""

    accuracy: float
    per_class: dict[str, ClassScores]
    labels: list[str]
    confusion: np.ndarray  # rows: true label, columns: predicted label, in ``labels`` order
    n_documents: int
    unknown_labels: dict[str, int] = field(default_factory=dict)
    calibration: CalibrationReport | None = None  # ECE, Brier (when probabilities were given)

    @property
    def macro_precision(self) -> float:
        return float(np.mean([s.precision for s in self.per_class.values()]))

    @property
    def macro_recall(self) -> float:
        return float(np.mean([s.recall for s in self.per_class.values()]))

    @property
    def macro_f1(self) -> float:
        return float(np.mean([s.f1 for s in self.per_class.values()]))

    def to_dict(self) -> dict:
        return {
            "n_documents": self.n_documents,
            "accuracy": self.accuracy,
            "macro_precision": self.macro_precision,
            "macro_recall": self.macro_recall,
            "macro_f1": self.macro_f1,
            "per_class": {
                label: {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                        "support": s.support}
                for label, s in self.per_class.items()
            },
            "confusion": {"labels": self.labels, "matrix": self.confusion.tolist()},
            "unknown_labels": self.unknown_labels,
            **calibration_fields(self.calibration),
        }

    def format(self) -> str:
        """A plain-text report: scores per class, macro averages, confusion matrix."""
        width = max(12, *(len(label) for label in self.labels)) + 2
        lines = [f"documents: {self.n_documents}    accuracy: {self.accuracy:.4f}"
                 + calibration_line(self.calibration), ""]
        lines.append(f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for label, s in self.per_class.items():
            lines.append(
                f"{label:<{width}}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.support:>9}"
            )
        lines.append(
            f"{'macro avg':<{width}}{self.macro_precision:>10.4f}{self.macro_recall:>10.4f}"
            f"{self.macro_f1:>10.4f}{self.n_documents:>9}"
        )
        lines += ["", "confusion matrix (rows: true label, columns: predicted label)"]
        cell = max(6, *(len(str(v)) for v in self.confusion.ravel())) + 1
        short = [label[: cell - 1] for label in self.labels]
        lines.append(" " * width + "".join(f"{s:>{cell}}" for s in short))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}" + "".join(f"{v:>{cell}}" for v in row))
        if self.unknown_labels:
            unknown = ", ".join(f"{k} ({v})" for k, v in sorted(self.unknown_labels.items()))
            lines += ["", f"labels the model does not know, counted as errors: {unknown}"]
        return "\n".join(lines)


def calibration_fields(calibration: CalibrationReport | None) -> dict:
    """``ece``, ``brier`` and the reliability bins for ``to_dict`` (nothing without them)."""
    if calibration is None:
        return {}
    return {"ece": calibration.ece, "brier": calibration.brier,
            "reliability": calibration.to_dict()}


def calibration_line(calibration: CalibrationReport | None) -> str:
    if calibration is None:
        return ""
    return (f"    ECE ({calibration.n_bins} bins) {calibration.ece:.4f}    Brier "
            f"{calibration.brier:.4f}")


def safe_ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def evaluate_labels(
    true_labels: Sequence[str], predicted_labels: Sequence[str], model_labels: Sequence[str]
) -> EvaluationReport:
    """Compare predictions with the truth; ``model_labels`` are the classes the model knows."""
    if len(true_labels) != len(predicted_labels):
        raise ValueError(
            f"{len(true_labels)} true labels but {len(predicted_labels)} predictions"
        )
    known = set(model_labels)
    unknown = Counter(label for label in true_labels if label not in known)
    labels = list(model_labels) + sorted(unknown)
    position = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for true, predicted in zip(true_labels, predicted_labels, strict=True):
        confusion[position[true], position[predicted]] += 1
    true_positive = np.diag(confusion)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    per_class = {}
    for i, label in enumerate(labels):
        if support[i] == 0 and predicted_count[i] == 0:
            continue  # a class absent from both sides does not enter the averages
        precision = safe_ratio(true_positive[i], predicted_count[i])
        recall = safe_ratio(true_positive[i], support[i])
        f1 = safe_ratio(2 * precision * recall, precision + recall)
        per_class[label] = ClassScores(precision, recall, f1, int(support[i]))
    n = len(true_labels)
    return EvaluationReport(
        accuracy=safe_ratio(true_positive.sum(), n),
        per_class=per_class,
        labels=labels,
        confusion=confusion,
        n_documents=n,
        unknown_labels=dict(unknown),
    )
