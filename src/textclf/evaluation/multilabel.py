"""Evaluation of multi-label predictions: documents with sets of labels.

With TP, FP, FN counted per label l over the documents (a label predicted and true, predicted
only, true only):

    micro   P = ΣTP / (ΣTP + ΣFP),  R = ΣTP / (ΣTP + ΣFN),  F1 = 2PR / (P + R)   (sums over labels)
    macro   the mean over the labels of each label's own P, R, F1 (0 where a denominator is 0,
            as scikit-learn's ``zero_division=0``)
    subset accuracy   the share of documents whose predicted set is exactly the true one
    Hamming loss      (ΣFP + ΣFN) / (n · L): the share of wrong document-label decisions
    P@k, R@k          from each document's k most probable labels, as fastText's ``test``
                      reports them: P@k = Σᵢ |topₖ(i) ∩ Yᵢ| / (n·k),
                      R@k = Σᵢ |topₖ(i) ∩ Yᵢ| / Σᵢ |Yᵢ|

With the probabilities, also the calibration of the (document, label) pairs: ECE and Brier
(:mod:`textclf.evaluation.calibration`). True labels the model does not know count as false
negatives and get their own row in the
per-label table; they are listed in ``unknown_labels``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from textclf.evaluation.calibration import CalibrationReport, calibration_of_labels
from textclf.evaluation.metrics import (
    ClassScores,
    calibration_fields,
    calibration_line,
    safe_ratio,
)

TOP_K = (1, 3, 5)


@dataclass
class MultiLabelReport:
    """Scores of predicted label sets against true ones."""

    n_documents: int
    labels: list[str]  # the model's labels, then unknown true labels
    per_label: dict[str, ClassScores]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    subset_accuracy: float
    hamming_loss: float
    precision_at_k: dict[int, float] = field(default_factory=dict)
    recall_at_k: dict[int, float] = field(default_factory=dict)
    label_cardinality: float = 0.0  # true labels per document
    predicted_cardinality: float = 0.0  # predicted labels per document
    documents_without_prediction: int = 0
    unknown_labels: dict[str, int] = field(default_factory=dict)
    calibration: CalibrationReport | None = None  # over the (document, label) pairs

    multi_label = True

    @property
    def macro_precision(self) -> float:
        return float(np.mean([s.precision for s in self.per_label.values()]))

    @property
    def macro_recall(self) -> float:
        return float(np.mean([s.recall for s in self.per_label.values()]))

    @property
    def macro_f1(self) -> float:
        return float(np.mean([s.f1 for s in self.per_label.values()]))

    @property
    def accuracy(self) -> float:
        """Subset accuracy (the exact-match share), the multi-label counterpart."""
        return self.subset_accuracy

    @property
    def per_class(self) -> dict[str, ClassScores]:
        """The per-label scores (under the single-label report's name)."""
        return self.per_label

    def to_dict(self) -> dict:
        return {
            "multi_label": True,
            "n_documents": self.n_documents,
            "micro_precision": self.micro_precision,
            "micro_recall": self.micro_recall,
            "micro_f1": self.micro_f1,
            "macro_precision": self.macro_precision,
            "macro_recall": self.macro_recall,
            "macro_f1": self.macro_f1,
            "subset_accuracy": self.subset_accuracy,
            "hamming_loss": self.hamming_loss,
            "precision_at_k": {str(k): v for k, v in self.precision_at_k.items()},
            "recall_at_k": {str(k): v for k, v in self.recall_at_k.items()},
            "label_cardinality": self.label_cardinality,
            "predicted_cardinality": self.predicted_cardinality,
            "documents_without_prediction": self.documents_without_prediction,
            "per_label": {label: {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                                  "support": s.support}
                          for label, s in self.per_label.items()},
            "unknown_labels": self.unknown_labels,
            **calibration_fields(self.calibration),
        }

    def format(self) -> str:
        """A plain-text report: the averages, P@k/R@k, and the per-label table."""
        width = max(12, *(len(label) for label in self.labels)) + 2
        lines = [
            f"documents: {self.n_documents}    labels per document: true "
            f"{self.label_cardinality:.3f}, predicted {self.predicted_cardinality:.3f}"
            f" ({self.documents_without_prediction} documents got none)",
            f"micro   precision {self.micro_precision:.4f}  recall {self.micro_recall:.4f}  "
            f"F1 {self.micro_f1:.4f}",
            f"macro   precision {self.macro_precision:.4f}  recall {self.macro_recall:.4f}  "
            f"F1 {self.macro_f1:.4f}",
            f"subset accuracy {self.subset_accuracy:.4f}    Hamming loss "
            f"{self.hamming_loss:.5f}" + calibration_line(self.calibration),
            "  ".join(f"P@{k} {self.precision_at_k[k]:.4f}  R@{k} {self.recall_at_k[k]:.4f}"
                      for k in self.precision_at_k),
            "",
            f"{'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}",
        ]
        for label, s in self.per_label.items():
            lines.append(f"{label:<{width}}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}"
                         f"{s.support:>9}")
        if self.unknown_labels:
            unknown = ", ".join(f"{k} ({v})" for k, v in sorted(self.unknown_labels.items()))
            lines += ["", f"labels the model does not know, counted as missed: {unknown}"]
        return "\n".join(lines)


def indicator(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """The 0/1 matrix (n × len(labels)) of the sets; labels not in ``labels`` are dropped."""
    column = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(label_sets), len(labels)), dtype=np.uint8)
    for i, labels_of_i in enumerate(label_sets):
        for label in labels_of_i:
            j = column.get(label)
            if j is not None:
                Y[i, j] = 1
    return Y


def evaluate_label_sets(true_sets: Sequence[Sequence[str]], chosen: np.ndarray,
                        model_labels: Sequence[str],
                        probabilities: np.ndarray | None = None) -> MultiLabelReport:
    """Compare the decisions ``chosen`` (n × L boolean, L = the model's labels) with the
    true label sets; with ``probabilities`` (n × L) also P@k and R@k."""
    n = len(true_sets)
    if chosen.shape != (n, len(model_labels)):
        raise ValueError(f"{n} label sets but decisions of shape {chosen.shape}")
    known = set(model_labels)
    unknown = Counter(label for labels in true_sets for label in set(labels)
                      if label not in known)
    labels = list(model_labels) + sorted(unknown)
    Y = indicator(true_sets, labels).astype(bool)
    predicted = np.zeros_like(Y)
    predicted[:, : len(model_labels)] = chosen
    tp = (predicted & Y).sum(axis=0)
    fp = (predicted & ~Y).sum(axis=0)
    fn = (~predicted & Y).sum(axis=0)
    per_label = {}
    for j, label in enumerate(labels):
        precision = safe_ratio(tp[j], tp[j] + fp[j])
        recall = safe_ratio(tp[j], tp[j] + fn[j])
        per_label[label] = ClassScores(precision, recall,
                                       safe_ratio(2 * precision * recall, precision + recall),
                                       int(tp[j] + fn[j]))
    micro_p = safe_ratio(tp.sum(), tp.sum() + fp.sum())
    micro_r = safe_ratio(tp.sum(), tp.sum() + fn.sum())
    report = MultiLabelReport(
        n_documents=n, labels=labels, per_label=per_label,
        micro_precision=micro_p, micro_recall=micro_r,
        micro_f1=safe_ratio(2 * micro_p * micro_r, micro_p + micro_r),
        subset_accuracy=safe_ratio(np.count_nonzero((predicted == Y).all(axis=1)), n),
        hamming_loss=safe_ratio(fp.sum() + fn.sum(), n * len(labels)),
        label_cardinality=safe_ratio(Y.sum(), n),
        predicted_cardinality=safe_ratio(predicted.sum(), n),
        documents_without_prediction=int(np.count_nonzero(~chosen.any(axis=1))),
        unknown_labels=dict(unknown),
    )
    if probabilities is not None and n:
        report.calibration = calibration_of_labels(probabilities, Y[:, : len(model_labels)])
        ranked = np.argsort(-np.asarray(probabilities), axis=1, kind="stable")
        for k in (k for k in TOP_K if k <= len(model_labels)):
            hits = np.take_along_axis(Y[:, : len(model_labels)], ranked[:, :k], axis=1).sum()
            report.precision_at_k[k] = safe_ratio(hits, n * k)
            report.recall_at_k[k] = safe_ratio(hits, Y.sum())
    return report
