"""Reading a corpus for streaming training: the first pass, and each epoch's chunks.

The corpus is never held whole. Hashed features need no vocabulary, so each chunk of
documents is featurised on its own as it is read (on ``jobs`` worker processes), handed to
the training loop and dropped. Memory is θ, the featuriser's per-column arrays and a few
chunks, whatever the size of the file.

1. :func:`scan`: the label set and the number of documents N (the model's shape and the
   learning-rate schedule need them), for tf-idf the document frequency of each hashed
   column, and for the nb weightings each label's documents with each column (the ratios);
2. :func:`featurised_chunks`, once per epoch: ``chunk_docs`` documents at a time, as rows
   of [X | 1] and their targets (and weights).

:func:`fit_stream` puts the two together for ``TextClassifier.fit_stream``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from textclf.core import jit
from textclf.core.parallel import batches, ordered_map
from textclf.corpus.documents import Document
from textclf.errors import DataError, SettingsError
from textclf.features.hashing import HashingFeaturizer
from textclf.features.weighting import LabelTotals, weight_counts
from textclf.fitting.fitted import Fitted
from textclf.fitting.pipeline import check_dev_needs, dev_rows, train_fitted, warn_cluster_only
from textclf.fitting.problem import (
    encode,
    label_names,
    model_for,
    problem_of_names,
)
from textclf.fitting.settings import DEFAULT_CHUNK_DOCS, FitSettings, RunOptions
from textclf.training.sources import StreamedRows, class_weights


def stream_fingerprint(settings: dict, scanned: Scanned, featurizer: HashingFeaturizer,
                       chunk_docs: int, dev) -> str:
    """What decides a streamed run's θ, for its checkpoints: the settings, the labels, the
    chunking, N, the counts and weights and the document frequencies the first pass found,
    and the dev rows."""
    digest = hashlib.sha256(json.dumps([settings, scanned.labels, chunk_docs,
                                        featurizer.n_documents, scanned.counts,
                                        scanned.weight_sums], default=str).encode("utf-8"))
    digest.update(featurizer.document_frequency.tobytes())
    if dev is not None:
        for array in (dev[0].indptr, dev[0].indices, dev[0].data, *dev[1:]):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


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
    """Every chunk of documents with its hashed counts, ``featurizer.jobs`` chunks ahead:
    on threads where the compiled kernels run (they release the interpreter), else on
    processes."""
    return ordered_map(ChunkHasher(featurizer, with_keys),
                       batches(open_documents(), chunk_docs), featurizer.jobs,
                       threads=jit.enabled())


@dataclass
class Scanned:
    """What the first pass found: the labels (sorted), the number of documents N, the
    documents per label, per label the sum of the documents' own weights (None when the
    documents carry none), and whether a document has zero or several labels."""

    labels: list[str]
    n: int
    counts: dict[str, int]
    weight_sums: dict[str, float] | None
    multi_label: bool = False
    weight_total: float = 0.0  # Σ of the documents' own weights
    nb_totals: LabelTotals | None = None  # nb: per label, the documents with each column


def scan(open_documents: Callable[[], Iterable[Document]], featurizer: HashingFeaturizer,
         chunk_docs: int) -> Scanned:
    """Labels, number of documents, counts and weights; for tf-idf also the df of each
    column."""
    counts: Counter[str] = Counter()
    weight_sums: Counter[str] = Counter()
    n, total, weighted, several = 0, 0.0, None, False  # weights: on all documents or none

    def check(chunk: list[Document]) -> None:
        nonlocal n, total, weighted, several
        for doc in chunk:
            labels = doc.label_set
            if labels is None:
                raise DataError(f"document {doc.id} has no label")
            if weighted is None:
                weighted = doc.weight is not None
            elif weighted != (doc.weight is not None):
                raise DataError(f"document {doc.id}: some documents have a weight and "
                                "others not")
            several = several or len(labels) != 1
            total += doc.weight or 0.0
            for label in labels:
                counts[label] += 1
                weight_sums[label] += doc.weight or 0.0
        n += len(chunk)

    featurizer.reset()
    settings = featurizer.settings
    totals = LabelTotals(featurizer.n_features - 1) if settings.uses_labels else None
    if settings.uses_idf or totals is not None:  # tokenise everything, on the workers
        for chunk, X, keys, columns in hashed_chunks(open_documents, featurizer, chunk_docs,
                                                     with_keys=True):
            check(chunk)
            featurizer.add_counts(X, keys, columns)
            if totals is not None:  # nb: the documents of each label with each column
                own = None if chunk[0].weight is None \
                    else np.fromiter((doc.weight for doc in chunk), np.float64, len(chunk))
                totals.add(X, [doc.label_set for doc in chunk], own)
    else:
        for chunk in batches(open_documents(), chunk_docs):
            check(chunk)
        featurizer.n_documents = n
    return Scanned(sorted(counts), n, dict(counts), dict(weight_sums) if weighted else None,
                   several, total, totals)


def stream_weights(scanned: Scanned, class_weight) -> tuple[np.ndarray | None, float]:
    """(c_k per class, or None without class weights; the factor N/Σᵢsᵢ that scales the
    weights sᵢ = c_{yᵢ}·wᵢ to mean 1), from the first pass alone."""
    labels = scanned.labels
    if class_weight is not None and scanned.multi_label:
        raise SettingsError("class weights need single-label data (one class per document); "
                            "weigh multi-label documents with sample weights instead")
    if scanned.multi_label:  # a document counts once, whatever its number of labels
        if scanned.weight_sums is not None and scanned.weight_total <= 0:
            raise DataError("every document of the corpus has weight 0")
        return None, 1.0 if scanned.weight_sums is None else scanned.n / scanned.weight_total
    counts = np.array([scanned.counts[label] for label in labels], dtype=np.float64)
    own = counts if scanned.weight_sums is None \
        else np.array([scanned.weight_sums[label] for label in labels])
    by_class = None if class_weight is None else class_weights(class_weight, labels, counts)
    total = float(own.sum() if by_class is None else by_class @ own)
    if total <= 0:
        raise DataError("every document of the corpus has weight 0")
    return by_class, scanned.n / total


def featurised_chunks(open_documents: Callable[[], Iterable[Document]],
                      featurizer: HashingFeaturizer, chunk_docs: int, labels: list[str],
                      multi_label: bool = False, by_class: np.ndarray | None = None,
                      scale: float = 1.0) -> Iterator[tuple]:
    """One epoch: (rows of [X | 1], targets) per chunk of ``chunk_docs`` documents (class
    indices, or the 0/1 label matrix), and the rows' weights sᵢ = c_{yᵢ}·wᵢ·scale when the
    documents or classes are weighted (``by_class``: c_k per class)."""
    settings = featurizer.settings
    idf = featurizer.idf if settings.uses_idf else None
    known = set(labels)
    for chunk, counts, _, _ in hashed_chunks(open_documents, featurizer, chunk_docs,
                                             with_keys=False):
        sets = [doc.label_set or () for doc in chunk]
        stranger = next((label for s in sets for label in s if label not in known), None)
        if stranger is not None:
            raise DataError(f"label {stranger!r} was not in the file's first pass: the file "
                            "changed while training")
        y = encode(sets, labels, multi_label)
        X = featurizer.apply_label_weights(weight_counts(counts, settings, idf, featurizer.dtype))
        own = None if chunk[0].weight is None \
            else np.fromiter((doc.weight for doc in chunk), np.float64, len(chunk))
        if own is None and by_class is None:
            yield X, y
            continue
        weights = np.full(len(y), scale) if own is None else own * scale
        yield X, y, weights if by_class is None else weights * by_class[y]


def fit_stream(settings: FitSettings, open_documents: Callable[[], Iterable[Document]],
               dev: tuple | None = None, chunk_docs: int = DEFAULT_CHUNK_DOCS,
               options: RunOptions | None = None) -> Fitted:
    """``TextClassifier.fit_stream``'s work: the first pass, the problem and the model,
    then the epochs over the featurised chunks (whole mini-batches each). ``dev``: (texts,
    labels) or (texts, labels, weights)."""
    options = options or RunOptions()
    warn_cluster_only(settings)
    if settings.features.hash_bits is None:
        raise SettingsError("streaming training needs hashed features: give hash_bits "
                            "(--hash-bits)")
    if not (isinstance(chunk_docs, int) and chunk_docs >= 1):
        raise SettingsError(f"chunk_docs must be at least 1, got {chunk_docs!r}")
    features = settings.features.replace()
    if features.char_ngrams == "auto":  # decided on the first chunk of the stream
        features = features.resolved([doc.text for doc in itertools.islice(open_documents(),
                                                                           chunk_docs)])
    featurizer = HashingFeaturizer(features, jobs=settings.run.jobs, dtype=settings.dtype)
    scanned = scan(open_documents, featurizer, chunk_docs)
    if scanned.n == 0:
        raise DataError("the training corpus is empty")
    forced = settings.model.multi_label
    if forced is False and scanned.multi_label:
        raise DataError("a document has zero or several labels, and multi_label is off")
    multi_label = bool(forced) or scanned.multi_label
    problem = problem_of_names(label_names([(label,) for label in scanned.labels]), settings,
                               multi_label)
    check_dev_needs(settings, multi_label, dev is not None)
    training = settings.training_for(problem.kind)
    model = model_for(problem, featurizer.n_features, settings, training)
    m = training.batch_size
    chunk_docs = max(m, chunk_docs // m * m)  # whole batches per chunk
    by_class, scale = stream_weights(scanned, training.class_weight)
    if problem.kind == "nb":
        scale = 1.0  # naive Bayes counts the weights as given (Problem.training_rows)
    if scanned.nb_totals is not None:  # nb: the ratios, documents weighted as for training
        featurizer.nb = scanned.nb_totals.scale(problem.labels, features.nb_alpha,
                                                multi_label, by_class)
    source = StreamedRows(lambda: featurised_chunks(
        open_documents, featurizer, chunk_docs, problem.labels, multi_label, by_class, scale),
        scanned.n)
    dev_set = None if dev is None else dev_rows(featurizer, problem, dev[0], dev[1],
                                                 dev[2] if len(dev) > 2 else None,
                                                 training.class_weight)
    fitted = Fitted(featurizer, model, problem.labels, training, decision=settings.decision,
                    float32=settings.run.float32)
    return train_fitted(fitted, source, dev_set, options,
                        lambda: stream_fingerprint(settings.arguments(), scanned, featurizer,
                                                   chunk_docs, dev_set))
