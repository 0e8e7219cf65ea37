"""The dev-set scores a search maximises."""

from __future__ import annotations

import numpy as np

METRICS = ("accuracy", "macro_f1")


def score(metric: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Accuracy, or macro-F1 = mean over classes of 2·TP/(2·TP + FP + FN).

    Classes absent from both the true and the predicted labels are left out of the mean.
    """
    if metric == "accuracy":
        return float(np.mean(y_true == y_pred))
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    tp = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)  # 2TP + FP + FN
    present = denominator > 0
    return float(np.mean(2 * tp[present] / denominator[present]))
