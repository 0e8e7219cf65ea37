"""What the client learns of a corpus before anything is featurised: a few numbers per shard,
added up in shard order.

The labels and how many documents carry each (and, with a weight field, their weights)
decide the problem (the labels, single- or multi-label, the class weights and the factor
that scales the weights to mean 1); the documents' lengths decide ``char_ngrams="auto"``
exactly as one process decides it from the same documents in the same order
(:meth:`~textclf.features.settings.FeatureSettings.resolved`): a vocabulary looks at every
k-th document of the corpus, k = max(1, N // 10,000); hashed features at the documents of
the first chunk of text. Nothing here grows with the number of documents, except the
first chunk's lengths (asked for by hashed features with ``char_ngrams="auto"`` only), which
a chunk's size bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textclf.core.parallel import CHUNK_CHARACTERS
from textclf.distributed.shards import ShardText
from textclf.errors import DataError
from textclf.features.settings import AUTO_CHAR_NGRAMS, SHORT_DOCUMENT, FeatureSettings

SAMPLED = 10_000  # resolved() looks at every max(1, n // SAMPLED)-th document


def add_counts(a: dict, b: dict) -> dict:
    return {key: a.get(key, 0) + b.get(key, 0) for key in a.keys() | b.keys()}


def first_chunk(lengths: list[int]) -> list[int]:
    """The lengths of the documents in the first chunk of ``core.parallel.text_chunks``:
    up to and with the one where the characters (each text's length + 1) reach a chunk's."""
    total = 0
    for i, length in enumerate(lengths):
        total += length + 1
        if total >= CHUNK_CHARACTERS:
            return lengths[: i + 1]
    return lengths


@dataclass
class CorpusFacts:
    """Documents, labels and weights of some shards; ``a + b`` holds those of both, ``b``'s
    documents after ``a``'s.

    ``label_documents``: documents per label; ``label_weights``: per label, the sum of the
    own weights wᵢ of its documents (their number when the corpus has no weights);
    ``label_kept``: its documents of weight > 0; ``weight_total`` and ``kept``: the same
    over all documents, each counted once; ``several``: some document has zero or several
    labels; ``head``: the lengths of the documents of the first chunk of text."""

    documents: int = 0
    label_documents: dict[str, int] = field(default_factory=dict)
    label_weights: dict[str, float] = field(default_factory=dict)
    label_kept: dict[str, int] = field(default_factory=dict)
    weighted: int = 0
    weight_total: float = 0.0
    kept: int = 0
    several: bool = False
    characters: int = 0
    head: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __add__(self, other: CorpusFacts) -> CorpusFacts:
        head = self.head if sum(self.head) + len(self.head) >= CHUNK_CHARACTERS \
            else first_chunk(self.head + other.head)
        return CorpusFacts(
            self.documents + other.documents,
            add_counts(self.label_documents, other.label_documents),
            add_counts(self.label_weights, other.label_weights),
            add_counts(self.label_kept, other.label_kept), self.weighted + other.weighted,
            self.weight_total + other.weight_total, self.kept + other.kept,
            self.several or other.several, self.characters + other.characters, head,
            self.warnings + other.warnings)

    @property
    def labels(self) -> list[str]:
        return sorted(self.label_documents)

    @property
    def has_weights(self) -> bool:
        """Whether the documents carry weights: all of them, or none (else an error)."""
        if 0 < self.weighted < self.documents:
            raise DataError(f"{self.weighted} of the {self.documents} documents have a weight "
                            "and the others not: give every shard the weight field, or none")
        return self.weighted > 0


def shard_facts(shard: ShardText, head: bool = False) -> CorpusFacts:
    """On a worker: the facts of one shard (``head``: with its first chunk's lengths)."""
    facts = CorpusFacts(len(shard.texts), characters=sum(map(len, shard.texts)),
                        warnings=list(shard.warnings),
                        head=first_chunk([len(text) for text in shard.texts]) if head else [])
    weights = shard.weights if shard.weights is not None else [1.0] * len(shard.texts)
    for labels, weight in zip(shard.labels, weights, strict=True):
        facts.several = facts.several or len(labels) != 1
        for label in labels:
            facts.label_documents[label] = facts.label_documents.get(label, 0) + 1
            facts.label_weights[label] = facts.label_weights.get(label, 0.0) + weight
            facts.label_kept[label] = facts.label_kept.get(label, 0) + (weight > 0)
    facts.weight_total = float(sum(weights))
    facts.kept = sum(weight > 0 for weight in weights)
    facts.weighted = 0 if shard.weights is None else len(shard.weights)
    return facts


def sampled_length(shard: ShardText, first: int, step: int) -> tuple[int, int]:
    """On a worker: (characters, documents) of the shard's documents whose place in the
    corpus (the shard's first is document ``first``) is a multiple of ``step``."""
    sample = shard.texts[(-first) % step :: step]
    return sum(map(len, sample)), len(sample)


def decided(settings: FeatureSettings, characters: int, documents: int) -> FeatureSettings:
    """``char_ngrams="auto"`` decided from the mean length of the documents looked at (see
    :meth:`FeatureSettings.resolved`, the rule this follows)."""
    mean = characters / max(documents, 1)
    return settings.replace(char_ngrams=AUTO_CHAR_NGRAMS if mean < SHORT_DOCUMENT else None)


def head_sample(head: list[int]) -> tuple[int, int]:
    """(characters, documents) of what ``resolved`` looks at in the first chunk."""
    sample = head[:: max(1, len(head) // SAMPLED)]
    return sum(sample), len(sample)
