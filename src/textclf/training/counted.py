"""Training naive Bayes: one pass that counts, where the other models take steps.

The loop (:mod:`textclf.training.loop`) hands a model whose θ is counted
(``model.closed_form``: :mod:`textclf.models.naive_bayes`) to :func:`count_fit`: one pass
over the source's rows adds up each class's feature totals S_jc = Σ_{i: yᵢ = c} sᵢxᵢⱼ and
its (weighted) documents, the model sets θ from them, and a second pass scores the training
rows for the history's one record (the training loss and accuracy; the dev set's too). Any
row source works: memory, a stream read from disk, a cluster's shards.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from textclf.models.base import Model
from textclf.training.history import (
    EpochCallback,
    count_correct,
    dev_record,
    format_epoch,
    log,
)
from textclf.training.sources import RowSource


def class_sums(X: sp.csr_matrix, y: np.ndarray, n_outputs: int,
               weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(S, documents, T, N) of a block of rows [X | 1]: S the (|F|, C) feature totals of each
    class or label, ``documents`` the weighted documents of each, T the totals over all
    rows and N their weighted number (the bias column left out)."""
    n = X.shape[0]
    s = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if np.ndim(y) == 2:  # multi-label: the 0/1 matrix, a column per label
        Y = sp.csr_matrix(np.asarray(y, dtype=np.float64) * s[:, None])
    else:
        Y = sp.csr_matrix((s, (np.arange(n), np.asarray(y))), shape=(n, n_outputs))
    features = X[:, :-1]
    S = np.asarray((Y.T @ features).T.todense(), dtype=np.float64)
    T = np.asarray(features.T @ s).ravel()
    return S, np.asarray(Y.sum(axis=0)).ravel(), T, float(s.sum())


def count_fit(model: Model, source: RowSource, dev: tuple | None = None, quiet: bool = True,
              on_epoch_end: EpochCallback | None = None) -> list[dict]:
    """θ of ``model`` counted from the rows of ``source`` (see the module); returns the
    history: one record."""
    started = time.perf_counter()
    n_outputs = model.theta.shape[1] if model.theta.ndim == 2 else 2
    totals = None
    for X, y, weights, _ in source.blocks(None):
        block = class_sums(X, y, n_outputs, weights)
        totals = block if totals is None else tuple(a + b for a, b in zip(totals, block,
                                                                          strict=True))
    S, documents, T, N = totals
    model.set_from_totals(S, documents, (T, N))
    loss_sum, correct, seen = 0.0, 0, 0
    for X, y, weights, _ in source.blocks(None):  # scored with the counted θ
        loss_sum += model.loss_sum(X, y, weights)
        correct += count_correct(model.predict(X), y)
        seen += len(y)
    record = {"epoch": 1, "train_loss": loss_sum / max(seen, 1),
              "train_accuracy": correct / max(seen, 1), **dev_record(model, dev),
              "train_seconds": time.perf_counter() - started}
    log(format_epoch(record, 1), quiet)
    if on_epoch_end is not None:
        on_epoch_end(1, record)
    return [record]
