"""Multi-label decisions: which labels a document gets from its per-label probabilities.

A multi-label model gives each label l its own probability P(l | x) = σ(zₗ). A document gets

* ``threshold`` t: every label with P ≥ t (0.5 is the model's own z ≥ 0);
* ``top_k`` k instead: its k most probable labels (P@k's decision, as fastText's
  ``predict -k``), or with a threshold too, those of the k that reach it;
* ``at_least_one``: its most probable label when no label reaches the threshold (a document
  always has a label in many corpora; 40% of GoEmotions' comments get none at t = 0.5).

``auto``: :func:`best_threshold` picks one global t on the dev set, the one with the best
micro-F1 there (micro-F1 = 2·TP / (2·TP + FP + FN), counted over every document and label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Candidates for the automatic threshold: 0.005, 0.010, ..., 0.995.
THRESHOLD_GRID = np.round(np.arange(1, 200) * 0.005, 3)


@dataclass(frozen=True)
class DecisionRule:
    """How a multi-label model's labels are chosen: a threshold (0: none), the top k, and
    whether a document always gets one (see the module)."""

    threshold: float = 0.5
    top_k: int | None = None
    at_least_one: bool = False

    def apply(self, P: np.ndarray) -> np.ndarray:
        """The boolean matrix of the labels each document gets (:func:`decide`)."""
        return decide(P, self.threshold, self.top_k, self.at_least_one)


def decide(P: np.ndarray, threshold: float = 0.5, top_k: int | None = None,
           at_least_one: bool = False) -> np.ndarray:
    """The boolean matrix (n × L) of the labels each document gets (see the module)."""
    P = np.asarray(P, dtype=np.float64)
    chosen = np.greater_equal(P, threshold)
    if top_k is not None and top_k < P.shape[1]:
        ranked = np.argsort(-P, axis=1, kind="stable")[:, :top_k]
        in_top = np.zeros_like(chosen)
        np.put_along_axis(in_top, ranked, True, axis=1)
        chosen = in_top if threshold <= 0 else chosen & in_top
    if at_least_one and P.shape[1]:
        empty = ~chosen.any(axis=1)
        chosen[empty, np.argmax(P[empty], axis=1)] = True
    return chosen


def chosen_labels(chosen: np.ndarray, labels: list[str]) -> list[list[str]]:
    """Each row of a :func:`decide` matrix as the list of its labels' names."""
    return [[labels[j] for j in np.flatnonzero(row)] for row in chosen]


def micro_f1(chosen: np.ndarray, Y: np.ndarray) -> float:
    """2·TP / (2·TP + FP + FN) over all documents and labels (0 with nothing to count)."""
    Y = np.asarray(Y, dtype=bool)
    tp = np.count_nonzero(chosen & Y)
    denominator = np.count_nonzero(chosen) + np.count_nonzero(Y)
    return 2.0 * tp / denominator if denominator else 0.0


def best_threshold(P: np.ndarray, Y: np.ndarray, top_k: int | None = None,
                   at_least_one: bool = False) -> float:
    """The t of :data:`THRESHOLD_GRID` with the best micro-F1 of ``decide(P, t, ...)``
    against the 0/1 labels Y (ties: the t nearest 0.5)."""
    scores = np.array([micro_f1(decide(P, t, top_k, at_least_one), Y)
                       for t in THRESHOLD_GRID])
    best = np.flatnonzero(scores == scores.max())
    return float(THRESHOLD_GRID[best[np.argmin(np.abs(THRESHOLD_GRID[best] - 0.5))]])
