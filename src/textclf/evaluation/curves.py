"""ROC and precision-recall curves of a binary classifier, and their areas.

Sort the documents by score, highest first, and lower a threshold t past each distinct score.
With P positives and N negatives, at each threshold

    TPR = TP/P (recall),  FPR = FP/N,  precision = TP/(TP+FP).

ROC AUC is the trapezoidal area under (FPR, TPR), which equals the probability that a
random positive scores above a random negative (ties count one half). The area under the
precision-recall curve is given as average precision, AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ, the area of the
step curve (no optimistic interpolation between points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Curve:
    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray
    area: float


def _cumulative_counts(y_true: np.ndarray, scores: np.ndarray):
    """TP and FP counts at each distinct score, thresholds falling from the top."""
    y_true = np.asarray(y_true, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if y_true.shape != scores.shape or y_true.ndim != 1:
        raise ValueError(f"y_true {y_true.shape} and scores {scores.shape} must be equal 1-d")
    order = np.argsort(-scores, kind="mergesort")
    scores, y_true = scores[order], y_true[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tp = np.cumsum(y_true)[last_of_each_score].astype(np.float64)
    fp = (last_of_each_score + 1) - tp
    return tp, fp, scores[last_of_each_score]


def trapezoid_area(x: np.ndarray, y: np.ndarray) -> float:
    """∫ y dx by the trapezoidal rule over points sorted by x."""
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


def roc_curve(y_true: np.ndarray, scores: np.ndarray) -> Curve:
    """(FPR, TPR) from (0, 0) to (1, 1); ``area`` is the ROC AUC (nan without both classes)."""
    if len(scores) == 0:
        return Curve(np.zeros(1), np.zeros(1), np.full(1, np.inf), float("nan"))
    tp, fp, thresholds = _cumulative_counts(y_true, scores)
    positives, negatives = tp[-1], fp[-1]
    tpr = np.r_[0.0, tp / positives] if positives else np.r_[0.0, np.zeros_like(tp)]
    fpr = np.r_[0.0, fp / negatives] if negatives else np.r_[0.0, np.zeros_like(fp)]
    area = trapezoid_area(fpr, tpr) if positives and negatives else float("nan")
    return Curve(fpr, tpr, np.r_[np.inf, thresholds], area)


def precision_recall_curve(y_true: np.ndarray, scores: np.ndarray) -> Curve:
    """(recall, precision), starting at recall 0 with precision 1; ``area`` is AP."""
    if len(scores) == 0:
        return Curve(np.zeros(1), np.ones(1), np.full(1, np.inf), float("nan"))
    tp, fp, thresholds = _cumulative_counts(y_true, scores)
    positives = tp[-1]
    if not positives:
        return Curve(np.r_[0.0, np.zeros_like(tp)], np.r_[1.0, np.zeros_like(tp)],
                     np.r_[np.inf, thresholds], float("nan"))
    precision = tp / (tp + fp)
    recall = tp / positives
    average_precision = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return Curve(np.r_[0.0, recall], np.r_[1.0, precision], np.r_[np.inf, thresholds],
                 average_precision)
