"""The one place where the service asks a classifier for predictions.

Every endpoint that labels documents (``/v1/.../predict``, ``/v2/.../infer``) goes through
:func:`predict`, which makes one vectorised call, ``predict_proba`` on the whole batch.
A new kind of prediction (several labels per document, calibrated probabilities) changes
this module and nothing else in the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textclf.classifier import TextClassifier
from textclf.evaluation.decisions import chosen_labels


@dataclass(frozen=True)
class Predictions:
    """P(class | text) for a batch: ``probabilities[i, k]`` is the probability of
    ``labels[k]`` for text i; ``best[i]`` the index of text i's label (the most probable
    class; ties go to the first)."""

    labels: list[str]
    probabilities: np.ndarray  # (n, K)
    best: np.ndarray  # (n,)
    chosen: list[list[str]] | None = None  # a multi-label model's labels of each text


    def __len__(self) -> int:
        return len(self.best)

    def rows(self, start: int, stop: int) -> Predictions:
        """The predictions of texts ``start`` to ``stop`` − 1."""
        return Predictions(self.labels, self.probabilities[start:stop], self.best[start:stop],
                           None if self.chosen is None else self.chosen[start:stop])

    def label_of(self, i: int) -> str:
        return self.labels[self.best[i]]

    def records(self, top_k: int | None = None) -> list[dict]:
        """One ``{"label", "probability", "probabilities"}`` per text (and ``"labels"``, the
        labels a multi-label model gives it); with ``top_k`` only the k most probable
        classes, most probable first."""
        rows = self.probabilities.tolist()
        k = len(self.labels) if top_k is None else min(top_k, len(self.labels))
        order = (np.argsort(-self.probabilities, axis=1, kind="stable")[:, :k].tolist()
                 if top_k is not None else None)
        records = []
        for i, row in enumerate(rows):
            columns = order[i] if order is not None else range(k)
            records.append({
                "label": self.labels[self.best[i]],
                "probability": row[self.best[i]],
                "probabilities": {self.labels[c]: row[c] for c in columns},
                "labels": None if self.chosen is None else self.chosen[i],
            })
        return records


def predict(clf: TextClassifier, texts: Sequence[str]) -> Predictions:
    """Label ``texts`` with one call to the classifier's vectorised path; a multi-label
    model's labels are decided from the same probabilities (its threshold, top k)."""
    probabilities = clf.predict_proba(texts)
    chosen = chosen_labels(clf.decide(probabilities), clf.labels) if clf.multi_label else None
    return Predictions(list(clf.labels), probabilities, np.argmax(probabilities, axis=1),
                       chosen)


def explain(clf: TextClassifier, text: str) -> dict:
    """What ``textclf explain --json`` prints for ``text``."""
    return clf.explain(text).to_dict()
