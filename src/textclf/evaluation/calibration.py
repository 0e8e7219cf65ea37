"""How well probabilities mean what they say: expected calibration error, Brier score and
the reliability diagram's bins.

A model is calibrated when, of the documents it gives probability p, a share p is right.
With the predictions cut into B = 15 equal-width bins of confidence (0, 1/15], (1/15, 2/15],
..., each bin b holding n_b of the N predictions:

    ECE = Σ_b (n_b / N) · |acc_b − conf_b|,

conf_b the mean confidence in the bin and acc_b the share right there (Guo et al., 2017).
For a single-label model a prediction is a document: its confidence the probability of the
class it predicts, right when that is its class. For a multi-label model every
(document, label) pair is one: its confidence P(label | x), "right" when the document has
the label (acc_b is then the observed frequency of the label among the pairs in the bin).

    Brier = (1/N) Σᵢ Σₖ (pᵢₖ − yᵢₖ)²    (K > 2 classes: the squared distance of the
                                        probability vector from the one-hot truth)
    Brier = (1/N) Σᵢ (pᵢ − yᵢ)²          (two classes: p the probability of the second,
                                        as scikit-learn's brier_score_loss)
    Brier = (1/(N·L)) Σᵢ Σₗ (pᵢₗ − yᵢₗ)²  (multi-label: over the pairs)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

N_BINS = 15


@dataclass
class ReliabilityBin:
    low: float  # the bin is (low, high]
    high: float
    count: int
    confidence: float  # mean predicted probability in the bin (nan when empty)
    accuracy: float  # share right (observed frequency) in the bin (nan when empty)


@dataclass
class CalibrationReport:
    """ECE (``n_bins`` equal-width bins), the Brier score and the bins themselves."""

    ece: float
    brier: float
    n_bins: int = N_BINS
    bins: list[ReliabilityBin] = field(default_factory=list)
    unit: str = "document"  # what one prediction is: a document, or a (document, label) pair

    def to_dict(self) -> dict:
        data = asdict(self)
        data["bins"] = [{k: (None if isinstance(v, float) and np.isnan(v) else v)
                         for k, v in b.items()} for b in data["bins"]]
        return data


def reliability(confidence: np.ndarray, right: np.ndarray,
                n_bins: int = N_BINS) -> tuple[float, list[ReliabilityBin]]:
    """ECE and the bins of predictions with ``confidence`` in [0, 1], ``right`` 0/1."""
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    right = np.asarray(right, dtype=np.float64).ravel()
    # bin b holds (b/B, (b+1)/B]; a confidence of exactly 0 goes to the first bin
    which = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    confidence_sums = np.bincount(which, weights=confidence, minlength=n_bins)
    right_sums = np.bincount(which, weights=right, minlength=n_bins)
    bins, ece, n = [], 0.0, max(len(confidence), 1)
    for b in range(n_bins):
        count = int(counts[b])
        mean_confidence = confidence_sums[b] / count if count else float("nan")
        accuracy = right_sums[b] / count if count else float("nan")
        if count:
            ece += count / n * abs(accuracy - mean_confidence)
        bins.append(ReliabilityBin(b / n_bins, (b + 1) / n_bins, count,
                                   float(mean_confidence), float(accuracy)))
    return float(ece), bins


def calibration_of_classes(P: np.ndarray, true: np.ndarray,
                           n_bins: int = N_BINS) -> CalibrationReport:
    """Single-label: P (n × K) and each document's true class index (−1: a class the model
    does not know, always wrong)."""
    P = np.asarray(P, dtype=np.float64)
    true = np.asarray(true, dtype=np.int64)
    predicted = np.argmax(P, axis=1)
    ece, bins = reliability(P[np.arange(len(P)), predicted], predicted == true, n_bins)
    Y = np.zeros_like(P)
    known = true >= 0
    Y[np.flatnonzero(known), true[known]] = 1.0
    if P.shape[1] == 2:
        brier = float(np.mean((P[:, 1] - Y[:, 1]) ** 2)) if len(P) else float("nan")
    else:
        brier = float(np.mean(((P - Y) ** 2).sum(axis=1))) if len(P) else float("nan")
    return CalibrationReport(ece, brier, n_bins, bins, "document")


def calibration_of_labels(P: np.ndarray, Y: np.ndarray,
                          n_bins: int = N_BINS) -> CalibrationReport:
    """Multi-label: P and the 0/1 matrix Y, both n × L; every pair one prediction."""
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    ece, bins = reliability(P, Y, n_bins)
    brier = float(np.mean((P - Y) ** 2)) if P.size else float("nan")
    return CalibrationReport(ece, brier, n_bins, bins, "document-label pair")
