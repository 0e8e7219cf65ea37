"""Features on the workers: what each shard counts, what the client merges, and [X | 1].

1. :func:`scan` (on the shard's worker): the shard's labels and N, and what the
   featuriser learns from it: the document frequency of every n-gram term (vocabulary),
   or of every hashed column with the columns' collisions (``hash_bits``). It keeps what
   the second pass needs: the texts (vocabulary) or the hashed counts (no second
   tokenisation).
2. The :class:`CorpusSummary` of all shards, added up by a tree reduction (document
   frequencies add over disjoint sets of documents), gives the client exactly the
   featuriser one process fits on all the documents (:func:`featurizer_from`).
3. :func:`featurise` (on the worker again): the shard's rows of [X | 1] and class indices,
   which stay in the worker's memory for every epoch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from textclf.core.chunking import text_chunks
from textclf.core.sparse import stack_rows
from textclf.distributed.shards import ShardText
from textclf.errors import DataError, SettingsError
from textclf.features.featurizer import Featurizer
from textclf.features.hashing import CollisionCounter, HashingFeaturizer
from textclf.features.settings import FeatureSettings
from textclf.features.vocabulary import VocabularyFeaturizer
from textclf.features.weighting import weight_counts


@dataclass
class CorpusSummary:
    """What the featuriser and the model need to know of some documents; ``a + b`` is
    the summary of both parts."""

    documents: int
    labels: set[str]
    document_frequency: dict[str, int] | np.ndarray  # by term, or by hashed column
    collisions: CollisionCounter | None = None
    text_characters: int = 0
    warnings: list[str] = field(default_factory=list)

    def __sizeof__(self) -> int:  # about: a term and its count take some 100 bytes
        df = self.document_frequency
        return 100 * len(df) if isinstance(df, dict) else df.nbytes * (3 if self.collisions
                                                                        else 1)

    def __add__(self, other: CorpusSummary) -> CorpusSummary:
        df = self.document_frequency
        if isinstance(df, dict):
            df = dict(df)
            for term, count in other.document_frequency.items():
                df[term] = df.get(term, 0) + count
        else:
            df = df + other.document_frequency
        collisions = self.collisions
        if collisions is not None:
            collisions = CollisionCounter(len(collisions.seen))
            collisions.merge(self.collisions)
            collisions.merge(other.collisions)
        return CorpusSummary(self.documents + other.documents, self.labels | other.labels, df,
                             collisions, self.text_characters + other.text_characters,
                             self.warnings + other.warnings)


@dataclass
class ScannedShard:
    """A shard after its first pass: labels as codes into its own sorted label list, and
    the texts (vocabulary) or hashed counts (``hash_bits``) for the second pass."""

    name: str
    labels: list[str]
    codes: np.ndarray
    summary: CorpusSummary
    texts: list[str] | None = None
    counts: sp.csr_matrix | None = None

    def __sizeof__(self) -> int:  # what Dask's scheduler weighs when it places work
        if self.counts is not None:
            return self.counts.data.nbytes + self.counts.indices.nbytes + self.codes.nbytes
        return sum(map(sys.getsizeof, self.texts or ())) + self.codes.nbytes


@dataclass
class FeaturisedShard:
    """A shard's rows of [X | 1] and their class indices, kept on its worker."""

    name: str
    X: sp.csr_matrix
    y: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.X.data.nbytes + self.X.indices.nbytes + self.X.indptr.nbytes + self.y.nbytes

    def __sizeof__(self) -> int:  # what Dask's scheduler weighs when it places work
        return self.nbytes


def scan(shard: ShardText, settings: FeatureSettings) -> ScannedShard:
    """The first pass over one shard (see the module docstring)."""
    labels = sorted(set(shard.labels))
    code_of = {label: k for k, label in enumerate(labels)}
    codes = np.fromiter((code_of[label] for label in shard.labels), np.int32,
                        len(shard.labels))
    n, characters = len(shard.texts), sum(map(len, shard.texts))
    if settings.hash_bits is not None:
        hasher = HashingFeaturizer(settings, jobs=1)
        parts = [hasher.partial_fit_counts(chunk) for chunk in text_chunks(shard.texts)]
        counts = stack_rows(parts, 1 << hasher.bits, np.int32) if parts else \
            sp.csr_matrix((0, 1 << hasher.bits), dtype=np.int32)
        summary = CorpusSummary(n, set(labels), hasher.document_frequency,
                                hasher.collisions, characters, shard.warnings)
        return ScannedShard(shard.name, labels, codes, summary, counts=counts)
    df: dict[str, int] = {}
    if n:  # every term of the shard, whatever min_df: a term rare here may not be overall
        counter = VocabularyFeaturizer(settings.replace(min_df=1, max_features=None), jobs=1)
        counter.fit(shard.texts)
        df = dict(zip(counter.terms, counter.document_frequency.tolist(), strict=True))
    summary = CorpusSummary(n, set(labels), df, None, characters, shard.warnings)
    return ScannedShard(shard.name, labels, codes, summary, texts=shard.texts)


def summary_of(scanned: ScannedShard) -> CorpusSummary:
    return scanned.summary


def featurizer_from(summary: CorpusSummary, settings: FeatureSettings, *,
                    jobs: int | None = None, dtype=np.float64) -> Featurizer:
    """The featuriser one process fits on all the documents the summary counted."""
    if summary.documents == 0:
        raise DataError("the training corpus is empty: its shards hold no documents")
    if settings.hash_bits is None:
        return VocabularyFeaturizer.from_document_frequencies(
            summary.document_frequency, summary.documents, settings, jobs=jobs, dtype=dtype)
    featurizer = HashingFeaturizer(settings, jobs=jobs, dtype=dtype)
    featurizer.document_frequency = np.asarray(summary.document_frequency, np.int64)
    featurizer.n_documents = summary.documents
    featurizer.collisions = summary.collisions
    return featurizer


def featurise(scanned: ScannedShard, featurizer: Featurizer,
              label_index: dict[str, int]) -> FeaturisedShard:
    """The second pass over one shard: its rows of [X | 1] and class indices."""
    if scanned.counts is not None:
        settings = featurizer.settings
        idf = featurizer.idf if settings.weighting == "tfidf" else None
        X = weight_counts(scanned.counts, settings, idf, featurizer.dtype)
    elif scanned.texts:
        X = featurizer.transform(scanned.texts)
    else:
        X = sp.csr_matrix((0, featurizer.n_features), dtype=featurizer.dtype)
    try:
        index = np.array([label_index[label] for label in scanned.labels], np.int64)
    except KeyError as err:
        raise SettingsError(f"{scanned.name}: label {err.args[0]!r} is not among the "
                            "corpus's labels") from None
    return FeaturisedShard(scanned.name, X, index[scanned.codes])
