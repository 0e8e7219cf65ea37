"""Features on the workers: what each shard counts, the featuriser that the counts make, and
each shard's rows of [X | 1], which stay on its worker.

1. :func:`scan` (on the shard's worker), the counting pass: the shard's documents are
   tokenised once, into counts per document, and the document frequency of every n-gram
   term (vocabulary; one block per unit, word and character n-grams) or of every hashed
   column with the columns' collisions (``hash_bits``). The counts are kept for step 3.
2. The :class:`CorpusSummary` of all shards, added up by a tree reduction on the workers
   (document frequencies add over disjoint sets of documents); the root of the tree makes
   the featuriser one process fits on all the documents (:func:`featurizer_from`), so the
   client receives the featuriser (the model's size), never the counts of every n-gram.
3. :func:`shard_rows` (on the worker again): each block's values from the shard's counts
   (count, binary or tf-idf; the vocabulary's columns found by term), the targets and the
   documents' weights. With the naive Bayes weightings, each shard's label totals
   (:func:`nb_totals`: per label, the weighted documents with each column) are added by
   the same tree reduction, and the client turns them into the ratios r of one process
   (:class:`~textclf.features.weighting.NaiveBayesScale`, per block). :func:`finished`
   scales each block by its r, joins the blocks and leaves out documents of weight 0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf.core.parallel import text_chunks
from textclf.core.sparse import select_columns, stack_rows
from textclf.distributed.shards import ShardText
from textclf.distributed.targets import RowPlan
from textclf.distributed.workers import roomy_heap
from textclf.errors import DataError
from textclf.features.featurizer import Featurizer
from textclf.features.hashing import CollisionCounter, HashingFeaturizer
from textclf.features.settings import FeatureSettings
from textclf.features.vocabulary import VocabularyFeaturizer, join_blocks
from textclf.features.weighting import NaiveBayesScale, Targets, label_totals, weight_counts


def units(settings: FeatureSettings) -> list[str | None]:
    """The vocabulary's blocks: one of word n-grams (None), or with character n-grams the
    units "words" (unless ``ngrams`` is 0) and "chars", as the featuriser's parts."""
    if settings.char_ngrams in (None, "auto"):
        return [None]
    return ["words", "chars"] if settings.word_grams else ["chars"]


def blocks_of(featurizer: Featurizer) -> list[Featurizer]:
    """The featuriser's blocks, in the order of their columns: its parts, or itself."""
    parts = getattr(featurizer, "parts", None)
    return list(parts.values()) if parts else [featurizer]


@dataclass
class CorpusSummary:
    """What the featuriser learns from some documents, per block: the document frequency of
    each term, or of each hashed column (with the columns' collisions); ``a + b`` is the
    summary of both parts."""

    documents: int
    frequencies: list[dict[str, int] | np.ndarray]
    collisions: CollisionCounter | None = None

    def __sizeof__(self) -> int:  # about: a term and its count take some 100 bytes
        return sum(100 * len(df) if isinstance(df, dict) else 3 * df.nbytes
                   for df in self.frequencies)

    def __add__(self, other: CorpusSummary) -> CorpusSummary:
        frequencies = []
        for mine, theirs in zip(self.frequencies, other.frequencies, strict=True):
            if isinstance(mine, dict):
                mine = dict(mine)
                for term, count in theirs.items():
                    mine[term] = mine.get(term, 0) + count
                frequencies.append(mine)
            else:
                frequencies.append(mine + theirs)
        collisions = self.collisions
        if collisions is not None:
            collisions = CollisionCounter(len(collisions.seen))
            collisions.merge(self.collisions)
            collisions.merge(other.collisions)
        return CorpusSummary(self.documents + other.documents, frequencies, collisions)


@dataclass
class ScannedShard:
    """A shard after the counting pass: each block's counts (int32; a vocabulary's columns
    are the shard's own terms, ``terms``), the documents' labels and weights."""

    name: str
    labels: list[tuple[str, ...]]
    weights: list[float] | None
    counts: list[sp.csr_matrix]
    terms: list[list[str]] | None
    summary: CorpusSummary

    def __sizeof__(self) -> int:  # what Dask's scheduler weighs when it places work
        return sum(c.data.nbytes + c.indices.nbytes for c in self.counts)


@dataclass
class ShardRows:
    """A shard's rows before the nb ratios: each block's [X_b | 1], the targets y and the
    weights sᵢ = c_{yᵢ}·wᵢ (None: every document weighs 1)."""

    name: str
    blocks: list[sp.csr_matrix]
    y: np.ndarray
    weights: np.ndarray | None
    scaled: bool = False  # the nb ratios applied (in place: once)

    def __sizeof__(self) -> int:
        return sum(X.data.nbytes + X.indices.nbytes for X in self.blocks)


@dataclass
class FeaturisedShard:
    """A shard's rows of [X | 1], targets and weights (scaled to mean 1 over the corpus),
    kept on its worker."""

    name: str
    X: sp.csr_matrix
    y: np.ndarray
    weights: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.X.data, self.X.indices, self.X.indptr, self.y,
                                      *([self.weights] if self.weights is not None else [])))

    def __sizeof__(self) -> int:  # what Dask's scheduler weighs when it places work
        return self.nbytes


def count_block(texts: list[str], settings: FeatureSettings,
                unit: str | None) -> tuple[sp.csr_matrix, list[str], dict[str, int]]:
    """One vocabulary block of a shard: the counts of every term (whatever ``min_df``: a
    term rare here may not be overall), the terms, and their document frequencies."""
    counter = VocabularyFeaturizer(settings.replace(min_df=1, max_features=None,
                                                    weighting="count", nb_beta=None),
                                   jobs=1, unit=unit)
    X = counter.fit_transform(texts)[:, :-1]
    counts = sp.csr_matrix((X.data.astype(np.int32), X.indices, X.indptr), shape=X.shape)
    terms = list(counter.terms)
    return counts, terms, dict(zip(terms, counter.document_frequency.tolist(), strict=True))


def scan(shard: ShardText, settings: FeatureSettings) -> ScannedShard:
    """The counting pass over one shard (see the module docstring)."""
    roomy_heap()
    n = len(shard.texts)
    if settings.hash_bits is not None:
        hasher = HashingFeaturizer(settings, jobs=1)
        parts = [hasher.partial_fit_counts(chunk) for chunk in text_chunks(shard.texts)]
        counts = stack_rows(parts, 1 << hasher.bits, np.int32) if parts else \
            sp.csr_matrix((0, 1 << hasher.bits), dtype=np.int32)
        summary = CorpusSummary(n, [hasher.document_frequency], hasher.collisions)
        return ScannedShard(shard.name, shard.labels, shard.weights, [counts], None, summary)
    counted = [count_block(shard.texts, settings, unit) if n else
               (sp.csr_matrix((0, 0), dtype=np.int32), [], {}) for unit in units(settings)]
    summary = CorpusSummary(n, [df for _, _, df in counted])
    return ScannedShard(shard.name, shard.labels, shard.weights,
                        [counts for counts, _, _ in counted],
                        [terms for _, terms, _ in counted], summary)


def summary_of(scanned: ScannedShard) -> CorpusSummary:
    return scanned.summary


def featurizer_from(summary: CorpusSummary, settings: FeatureSettings, *,
                    jobs: int | None = None, dtype=np.float64) -> Featurizer:
    """The featuriser one process fits on all the documents the summary counted (the nb
    ratios aside: :func:`nb_scales`)."""
    if summary.documents == 0:
        raise DataError("the training corpus is empty: its shards hold no documents")
    if settings.hash_bits is not None:
        featurizer = HashingFeaturizer(settings, jobs=jobs, dtype=dtype)
        featurizer.document_frequency = np.asarray(summary.frequencies[0], np.int64)
        featurizer.n_documents = summary.documents
        featurizer.collisions = summary.collisions
        return featurizer
    blocks = {unit: VocabularyFeaturizer.from_document_frequencies(
        df, summary.documents, settings, jobs=jobs, dtype=dtype, unit=unit)
        for unit, df in zip(units(settings), summary.frequencies, strict=True)}
    if None in blocks:
        return blocks[None]
    featurizer = VocabularyFeaturizer(settings, jobs=jobs, dtype=dtype)
    featurizer.parts = blocks
    featurizer.learned_from_parts()
    return featurizer


def block_values(featurizer: Featurizer, counts: sp.csr_matrix,
                 terms: list[str] | None) -> sp.csr_matrix:
    """A block's [X_b | 1] from a shard's counts: a vocabulary's columns found by term (the
    shard's other terms dropped, as ``transform`` drops them), then the block's values
    before any nb ratio (:func:`~textclf.features.weighting.weight_counts`)."""
    if terms is not None:
        columns = featurizer.term_columns()
        where = np.fromiter((columns.get(term, -1) for term in terms), np.int32, len(terms))
        counts = select_columns(counts, where, len(featurizer.terms))
    idf = featurizer.idf if featurizer.settings.uses_idf else None
    return weight_counts(counts, featurizer.settings, idf, featurizer.dtype)


def shard_rows(scanned: ScannedShard, featurizer: Featurizer, plan: RowPlan) -> ShardRows:
    """On the worker: the shard's rows before the nb ratios (see the module docstring)."""
    roomy_heap()
    terms = scanned.terms or [None] * len(scanned.counts)
    blocks = [block_values(block, counts, names) for block, counts, names
              in zip(blocks_of(featurizer), scanned.counts, terms, strict=True)]
    y, weights = plan.targets(scanned.labels, scanned.weights)
    return ShardRows(scanned.name, blocks, y, weights)


def transformed_rows(shard: ShardText, featurizer: Featurizer, plan: RowPlan) -> ShardRows:
    """On the worker: the shard's rows by a featuriser fitted before (training on), whole."""
    roomy_heap()
    y, weights = plan.targets(shard.labels, shard.weights)
    return ShardRows(shard.name, [featurizer.transform(shard.texts)], y, weights, scaled=True)


@dataclass
class NbTotals:
    """Per block, S[j, c] (the weighted documents of label c with column j) and T[j] (of
    all documents), added up over shards."""

    S: list[np.ndarray]
    T: list[np.ndarray]

    def __add__(self, other: NbTotals) -> NbTotals:
        return NbTotals([a + b for a, b in zip(self.S, other.S, strict=True)],
                        [a + b for a, b in zip(self.T, other.T, strict=True)])

    def __sizeof__(self) -> int:
        return sum(a.nbytes for a in (*self.S, *self.T))


def nb_totals(rows: ShardRows, plan: RowPlan) -> NbTotals:
    """On the worker: a shard's totals for the nb ratios, documents counted by their
    weights sᵢ (:func:`~textclf.features.weighting.label_totals`, what one process
    learns its ratios from)."""
    targets = Targets(rows.y, plan.n_outputs, plan.multi_label)
    totals = [label_totals(X, targets, rows.weights) for X in rows.blocks]
    return NbTotals([S for S, _ in totals], [T for _, T in totals])


def nb_scales(totals: NbTotals, featurizer: Featurizer, multi_label: bool) -> list:
    """The ratios of each block from the corpus's totals, set on the featuriser's blocks."""
    scales = []
    for block, S, T in zip(blocks_of(featurizer), totals.S, totals.T, strict=True):
        block.nb = NaiveBayesScale.from_totals(S, T, block.settings.nb_alpha, multi_label)
        scales.append(block.nb)
    return scales


def finished(rows: ShardRows, scales: list[NaiveBayesScale] | None, weighting: str,
             scale: float) -> FeaturisedShard:
    """On the worker: the shard's [X | 1] (each block scaled by its nb ratios, if any, the
    blocks joined), without its documents of weight 0, the others' weights times
    ``scale`` (to mean 1 over the corpus)."""
    roomy_heap()
    if scales is not None and not rows.scaled:
        for block, ratios in zip(rows.blocks, scales, strict=True):
            ratios.apply(block)
        rows.scaled = True
    blocks = rows.blocks
    X = blocks[0] if len(blocks) == 1 else join_blocks(blocks, weighting, blocks[0].dtype)
    y, weights = rows.y, rows.weights
    if weights is not None:
        kept = np.flatnonzero(weights > 0)
        if len(kept) < len(y):
            X, y = X[kept], y[kept]
        weights = weights[kept] * scale
    return FeaturisedShard(rows.name, X, y, weights)


def shard_size(shard: FeaturisedShard) -> tuple[int, int]:
    """(rows, bytes) of a featurised shard."""
    return len(shard.y), shard.nbytes


def shard_digest(shard: FeaturisedShard) -> str:
    """SHA-256 of a shard's rows, targets and weights (a checkpoint's fingerprint)."""
    digest = hashlib.sha256(repr(shard.X.shape).encode())
    for array in (shard.X.indptr, shard.X.indices, shard.X.data, shard.y,
                  *([shard.weights] if shard.weights is not None else [])):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()

