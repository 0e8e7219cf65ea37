"""The one place where the service asks a classifier for predictions.

Every endpoint that labels documents (``/v1/.../predict``, ``/v2/.../infer``) goes through
:func:`predict`, which makes vectorised calls, ``predict_proba`` on the batch in pieces of
at most :data:`PIECE_CHARS` characters (a text longer than that is a piece of its own): what
featurising allocates is proportional to the characters of one call (about 150 bytes per
character with character n-grams), so a piece bounds it whatever a request holds, and
each document's row is the one it gets alone.

Every piece, and every explanation, is computed on the threads of one :class:`ComputePool`,
as many as there are cores, whichever request it belongs to: the requests waiting for
their turn hold no memory for featurising and do not compete for the interpreter, so the
event loop (and the health probes on it) stays responsive however many requests are in
progress; and only these threads ever allocate the featurising's arrays, so the memory
the C library keeps for reuse per thread is bounded by their number, not by the number of
requests. A new kind of prediction (several labels per document, calibrated
probabilities) changes this module and nothing else in the service.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from textclf.classifier import TextClassifier
from textclf.evaluation.decisions import chosen_labels

PIECE_CHARS = 100_000  # characters featurised in one call (about 16 MB with char n-grams)
Result = TypeVar("Result")


class ShuttingDownError(RuntimeError):
    """A computation that waited for a thread as the service stopped."""


class ComputePool:
    """The threads that compute predictions and explanations: one per core (started on
    first use, and again after :meth:`stop`)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.executor: ThreadPoolExecutor | None = None
        self.lock = threading.Lock()

    def run(self, work: Callable[..., Result], *args) -> Result:
        """``work(*args)`` on one of the pool's threads, once one is free."""
        with self.lock:
            if self.executor is None:
                self.executor = ThreadPoolExecutor(self.workers,
                                                   thread_name_prefix="textclf-compute")
            future = self.executor.submit(work, *args)
        try:
            return future.result()
        except CancelledError:  # the pool was stopped while this waited for a thread
            raise ShuttingDownError("the server is shutting down; try again shortly") \
                from None

    def stop(self) -> None:
        """Let the threads end once their work is done; what waits is cancelled."""
        with self.lock:
            if self.executor is not None:
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor = None


def on(pool: ComputePool | None, work: Callable[..., Result], *args) -> Result:
    """``work(*args)`` on ``pool`` (here, without one)."""
    return work(*args) if pool is None else pool.run(work, *args)


@dataclass(frozen=True)
class Predictions:
    """P(class | text) for a batch: ``probabilities[i, k]`` is the probability of
    ``labels[k]`` for text i; ``best[i]`` the index of text i's label (the most probable
    class; ties go to the first)."""

    labels: list[str]
    probabilities: np.ndarray  # (n, K)
    best: np.ndarray  # (n,)
    chosen: list[list[str]] | None = None  # a multi-label model's labels of each text
    decisions: np.ndarray | None = None  # (n, L) booleans: the labels each text gets


    def __len__(self) -> int:
        return len(self.best)

    def rows(self, start: int, stop: int) -> Predictions:
        """The predictions of texts ``start`` to ``stop`` − 1."""
        return Predictions(self.labels, self.probabilities[start:stop], self.best[start:stop],
                           None if self.chosen is None else self.chosen[start:stop],
                           None if self.decisions is None else self.decisions[start:stop])

    def label_of(self, i: int, separator: str = ",") -> str:
        """Text i's label; a multi-label model's labels, the most probable first, joined by
        ``separator`` (none: the empty string)."""
        if self.decisions is None:
            return self.labels[self.best[i]]
        chosen = np.flatnonzero(self.decisions[i])
        ranked = chosen[np.argsort(-self.probabilities[i, chosen], kind="stable")]
        return separator.join(self.labels[j] for j in ranked)

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


def pieces(texts: Sequence[str], limit: int = PIECE_CHARS) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive runs of ``texts`` of at most ``limit`` characters
    in all (or one text, where a text alone is longer)."""
    start, chars = 0, 0
    for i, text in enumerate(texts):
        if i > start and chars + len(text) > limit:
            yield start, i
            start, chars = i, 0
        chars += len(text)
    if start < len(texts):
        yield start, len(texts)


def predict(clf: TextClassifier, texts: Sequence[str],
            pool: ComputePool | None = None) -> Predictions:
    """Label ``texts`` with the classifier's vectorised path, piece by piece on ``pool``
    (see the module doc); a multi-label model's labels are decided from the same
    probabilities (its threshold, top k)."""
    parts = [on(pool, clf.predict_proba, texts[start:stop]) for start, stop in pieces(texts)]
    probabilities = np.vstack(parts) if parts else np.zeros((0, len(clf.labels)))
    decisions = clf.decide(probabilities) if clf.multi_label else None
    chosen = None if decisions is None else chosen_labels(decisions, clf.labels)
    return Predictions(list(clf.labels), probabilities, np.argmax(probabilities, axis=1),
                       chosen, decisions)


def explanation(clf: TextClassifier, text: str) -> dict:
    """What ``textclf explain --json`` prints for ``text``."""
    return clf.explain(text).to_dict()


def explain(clf: TextClassifier, text: str, pool: ComputePool | None = None) -> dict:
    """:func:`explanation`, computed on ``pool``."""
    return on(pool, explanation, clf, text)
