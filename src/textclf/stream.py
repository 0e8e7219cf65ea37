"""Training from a corpus read from disk, in bounded memory.

The corpus is never held whole. Hashed features (:mod:`textclf.hashing`) need no
vocabulary, so each chunk of documents is featurised on its own as it is read; the model
takes the chunk's mini-batch steps (:class:`~textclf.fast_train.SparseSGD`) and the chunk is
dropped. Memory is θ, the featuriser's per-column arrays and a few chunks, whatever the
size of the file.

Passes over the file:

1. a scan: the label set and the number of documents N (the model's shape and the
   learning-rate schedule need them), and for tf-idf the document frequency of each
   hashed column (reading every document's tokens once, on the ``jobs`` workers);
2. one pass per epoch: read ``chunk_docs`` documents, featurise, shuffle them within the
   chunk (seeded), take the steps of their mini-batches.

``chunk_docs`` is a multiple of the batch size, so the batches are those of the in-memory
loop over the same documents in the same order: with ``shuffle=False`` the θ after each
epoch equals :func:`textclf.train.train`'s with ``shuffle=False`` up to rounding (tested).
With shuffling, documents mix only within a chunk: a file sorted by label should be
shuffled once beforehand (``shuf`` for line formats).

The epoch's ``train_accuracy`` here is progressive: each document is scored with the θ
that its batch's step starts from (no second pass over the file).
"""

from __future__ import annotations

import collections
import itertools
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from textclf.corpus import Document
from textclf.errors import DataError, SettingsError
from textclf.fast_train import SparseSGD, supports
from textclf.features import _set_context, weight_counts
from textclf.hashing import (
    HashingFeaturizer,
    _hash_chunk,
    _hash_chunk_in_worker,
    _hash_chunk_with_keys_in_worker,
)
from textclf.optim import Schedule
from textclf.train import format_epoch

DEFAULT_CHUNK_DOCS = 2048


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def scan(open_documents: Callable[[], Iterable[Document]], featurizer: HashingFeaturizer,
         chunk_docs: int) -> tuple[list[str], int]:
    """Labels (sorted) and number of documents; for tf-idf also the df of each column."""
    labels: set[str] = set()
    n = 0

    def checked(chunks: Iterable[list[Document]]) -> Iterator[list[Document]]:
        nonlocal n
        for chunk in chunks:
            for doc in chunk:
                if doc.label is None:
                    raise DataError(f"document {doc.id} has no label")
                labels.add(doc.label)
            n += len(chunk)
            yield chunk

    chunks = checked(_chunks(open_documents(), chunk_docs))
    if featurizer.settings.weighting == "tfidf":  # df: tokenise everything, on the workers
        for _, (X, keys, columns) in _featurised(chunks, featurizer, featurizer.jobs,
                                                 keys=True):
            featurizer.add_counts(X, keys, columns)
    else:
        for _ in chunks:
            pass
        featurizer.n_documents = n
    return sorted(labels), n


def _featurised(chunks: Iterable[list[Document]], featurizer: HashingFeaturizer,
                jobs: int, keys: bool = False) -> Iterator[tuple[list[Document], tuple]]:
    """(chunk, (its count matrix, n-gram keys, their columns)), featurised ``jobs`` chunks
    ahead on worker processes (which send the keys only if ``keys``)."""
    settings = featurizer.settings
    if jobs <= 1:
        for chunk in chunks:
            texts = [doc.text for doc in chunk]
            yield chunk, _hash_chunk(texts, featurizer.splitter, settings.ngrams,
                                     featurizer.bits, featurizer._cache)
        return
    import multiprocessing

    context = {"splitter": featurizer.splitter, "ngrams": settings.ngrams,
               "bits": featurizer.bits}
    _set_context(context)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(jobs, _set_context, (context,)) as pool:
        pending: collections.deque = collections.deque()
        for chunk in chunks:  # at most jobs + 1 chunks in flight: bounded memory
            work = _hash_chunk_with_keys_in_worker if keys else _hash_chunk_in_worker
            pending.append((chunk, pool.apply_async(work, ([d.text for d in chunk],))))
            if len(pending) > jobs:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()


def fit_stream(
    clf,
    open_documents: Callable[[], Iterable[Document]],
    *,
    dev: tuple[list[str], list[str]] | None = None,
    chunk_docs: int = DEFAULT_CHUNK_DOCS,
    shuffle: bool = True,
    on_epoch_end=None,
):
    """Train ``clf`` (a :class:`~textclf.pipeline.TextClassifier` with ``hash_bits``) on
    the documents that ``open_documents()`` yields, reading them anew for every pass."""
    settings = clf.feature_settings
    if settings.hash_bits is None:
        raise SettingsError("streaming training needs hashed features: give hash_bits "
                            "(--hash-bits)")
    featurizer = HashingFeaturizer(settings, jobs=clf.jobs, dtype=clf.dtype)
    clf.featurizer = featurizer
    quiet = clf.quiet
    labels, n = scan(open_documents, featurizer, chunk_docs)
    if n == 0:
        raise DataError("the training corpus is empty")
    if len(labels) < 2:
        raise DataError(f"the training data has only one class ({labels[0]!r}); "
                        "a classifier needs at least two")
    clf.labels = labels
    model = clf._choose_model(featurizer.n_features)
    training = clf.training
    if not supports(model, training):
        raise SettingsError("streaming training runs linear models (logistic, softmax) with "
                            "the sgd optimiser and no L1")
    if training.patience is not None:
        raise SettingsError("early stopping is not available when streaming")
    if clf.dtype == np.float32:
        model.theta = model.theta.astype(np.float32)
    clf.model = model
    m = training.batch_size
    chunk_docs = max(m, chunk_docs // m * m)  # whole batches per chunk
    steps_per_epoch = math.ceil(n / m)
    schedule = Schedule(training.schedule, training.eta, steps_per_epoch,
                        steps_per_epoch * training.epochs, training.decay)
    sgd = SparseSGD(model, schedule, training.l2, training.bias_rate)
    index = {label: k for k, label in enumerate(labels)}
    idf = featurizer.idf if settings.weighting == "tfidf" else None
    dev_set = clf._dev_set(*dev) if dev is not None else None
    rng = np.random.default_rng(training.seed)
    history: list[dict] = []
    step = 0
    eta = training.eta
    for epoch in range(1, training.epochs + 1):
        started = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        for chunk, (counts, _, _) in _featurised(_chunks(open_documents(), chunk_docs),
                                                 featurizer, featurizer.jobs):
            try:
                y = np.fromiter((index[doc.label] for doc in chunk), np.int64, len(chunk))
            except KeyError as err:
                raise DataError(f"label {err.args[0]!r} was not in the file's first "
                                "pass: the file changed while training") from err
            X = weight_counts(counts, settings, idf, clf.dtype)
            if shuffle:
                order = rng.permutation(len(chunk))
                X, y = X[order], y[order]
            loss, step, eta = sgd.epoch(X, y, m, step)
            total_loss += loss
            correct += sgd.correct
            seen += len(chunk)
        record = {"epoch": epoch, "train_loss": total_loss / max(seen, 1),
                  "train_accuracy": correct / max(seen, 1), "eta": eta}
        if dev_set is not None:
            X_dev, y_dev = dev_set
            record["dev_loss"] = model.loss_sum(X_dev, y_dev) / max(len(y_dev), 1)
            record["dev_accuracy"] = float(np.mean(model.predict(X_dev) == y_dev))
        record["train_seconds"] = time.perf_counter() - started
        history.append(record)
        if not quiet:
            print(format_epoch(record, training.epochs), file=sys.stderr, flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
    clf.history = history
    return clf
