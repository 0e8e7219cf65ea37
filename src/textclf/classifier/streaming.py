"""Reading a corpus for streaming training: the first pass, and each epoch's chunks.

The corpus is never held whole. Hashed features need no vocabulary, so each chunk of
documents is featurised on its own as it is read (on ``jobs`` worker processes), handed to
the training loop and dropped. Memory is θ, the featuriser's per-column arrays and a few
chunks, whatever the size of the file.

1. :func:`scan`: the label set and the number of documents N (the model's shape and the
   learning-rate schedule need them), and for tf-idf the document frequency of each hashed
   column;
2. :func:`featurised_chunks`, once per epoch: ``chunk_docs`` documents at a time, as rows
   of [X | 1] and their class indices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import scipy.sparse as sp

from textclf.core.chunking import batches
from textclf.core.parallel import ordered_map
from textclf.corpus.documents import Document
from textclf.errors import DataError
from textclf.features.hashing import HashingFeaturizer
from textclf.features.naive_bayes import NaiveBayesScale, feature_scale, ratios_from_totals
from textclf.features.weighting import weight_counts

DEFAULT_CHUNK_DOCS = 2048


class ChunkHasher:
    """A chunk of documents → (the chunk, its hashed counts, n-gram keys, their columns);
    a worker sends the keys only if ``with_keys`` (the first pass needs them). Token hashes
    are kept between the chunks one reader (one process) hashes."""

    def __init__(self, featurizer: HashingFeaturizer, with_keys: bool):
        self.featurizer, self.with_keys = featurizer, with_keys
        self.token_hashes: dict = {}

    def __call__(self, chunk: list[Document]):
        texts = [doc.text for doc in chunk]
        return chunk, *self.featurizer.hash_counts(texts, self.with_keys, self.token_hashes)


def hashed_chunks(open_documents: Callable[[], Iterable[Document]],
                  featurizer: HashingFeaturizer, chunk_docs: int, with_keys: bool) -> Iterator:
    """Every chunk of documents with its hashed counts, ``featurizer.jobs`` chunks ahead."""
    return ordered_map(ChunkHasher(featurizer, with_keys),
                       batches(open_documents(), chunk_docs), featurizer.jobs, threads=False)


def scan(open_documents: Callable[[], Iterable[Document]], featurizer: HashingFeaturizer,
         chunk_docs: int) -> tuple[list[str], int]:
    """Labels (sorted) and number of documents; for tf-idf also the df of each column."""
    labels: set[str] = set()
    n = 0

    def check(chunk: list[Document]) -> None:
        nonlocal n
        for doc in chunk:
            if doc.label is None:
                raise DataError(f"document {doc.id} has no label")
            labels.add(doc.label)
        n += len(chunk)

    featurizer.reset()
    settings = featurizer.settings
    totals: dict[str, np.ndarray] = {}  # nb: documents of each class with each column
    if settings.uses_idf or settings.uses_labels:  # tokenise everything, on the workers
        for chunk, X, keys, columns in hashed_chunks(open_documents, featurizer, chunk_docs,
                                                     with_keys=True):
            check(chunk)
            featurizer.add_counts(X, keys, columns)
            if settings.uses_labels:
                add_class_totals(totals, chunk, X)
        if settings.uses_labels and len(totals) >= 2:
            S = np.column_stack([totals[label] for label in sorted(totals)]).astype(np.float64)
            featurizer.nb = NaiveBayesScale(feature_scale(ratios_from_totals(
                S, settings.nb_alpha)), settings.nb_alpha)
    else:
        for chunk in batches(open_documents(), chunk_docs):
            check(chunk)
        featurizer.n_documents = n
    return sorted(labels), n


def add_class_totals(totals: dict[str, np.ndarray], chunk: list[Document],
                     X: sp.csr_matrix) -> None:
    """Add each document's columns (present or not) to its class's totals."""
    labels = np.array([doc.label for doc in chunk], dtype=object)
    for label in set(labels.tolist()):
        rows = X[np.flatnonzero(labels == label)]
        counts = np.bincount(rows.indices, minlength=X.shape[1]).astype(np.float32)
        totals[label] = totals[label] + counts if label in totals else counts


def featurised_chunks(open_documents: Callable[[], Iterable[Document]],
                      featurizer: HashingFeaturizer, chunk_docs: int,
                      label_index: dict[str, int]) -> Iterator[tuple[sp.csr_matrix, np.ndarray]]:
    """One epoch: (rows of [X | 1], class indices) per chunk of ``chunk_docs`` documents."""
    settings = featurizer.settings
    idf = featurizer.idf if settings.uses_idf else None
    for chunk, counts, _, _ in hashed_chunks(open_documents, featurizer, chunk_docs,
                                             with_keys=False):
        try:
            y = np.fromiter((label_index[doc.label] for doc in chunk), np.int64, len(chunk))
        except KeyError as err:
            raise DataError(f"label {err.args[0]!r} was not in the file's first "
                            "pass: the file changed while training") from err
        yield featurizer.apply_label_weights(
            weight_counts(counts, settings, idf, featurizer.dtype)), y
