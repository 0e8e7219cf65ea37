"""Labelled documents: one :class:`Document`, and a :class:`Corpus` held in memory."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from textclf.errors import DataError


@dataclass(frozen=True)
class Document:
    """One labelled document. ``label`` is ``None`` for unlabelled text; ``weight`` is the
    document's sample weight when the corpus has a weight field (else None: weight 1).

    ``labels`` holds every label of a document read from a source that can give several (a
    JSON list, several ``__label__`` tags, a CSV field split by ``--label-sep``), possibly
    none; ``label`` is then its label when it has exactly one, else None. ``fields``: the
    record's fields (a JSON object, a CSV row by column) where the reader was asked to keep
    them (``predict --keep-fields``).
    """

    text: str
    label: str | None
    id: str
    weight: float | None = None
    labels: tuple[str, ...] | None = None
    fields: dict | None = field(default=None, compare=False)  # the record's own, when kept

    @property
    def label_set(self) -> tuple[str, ...] | None:
        """The document's labels (one for a single-label source); None when unlabelled."""
        if self.labels is not None:
            return self.labels
        return None if self.label is None else (self.label,)


def labelled(text: str, labels: tuple[str, ...], doc_id: str,
             weight: float | None = None, fields: dict | None = None) -> Document:
    """A document of a source that may give several labels: ``label`` set only for one."""
    return Document(text, labels[0] if len(labels) == 1 else None, doc_id, weight, labels,
                    fields)


@dataclass
class Batch:
    """Consecutive documents of one source held as columns, as a fast reader makes them
    (one :class:`Document` object per document costs more than the reading).

    ``label_lists`` holds each document's labels as :attr:`Document.labels` does (None for
    a source that gives one label per document); ``weights`` and ``fields`` are None where
    the source has none."""

    texts: list[str]
    labels: list[str | None]
    ids: list[str]
    weights: list[float | None] | None = None
    label_lists: list[tuple[str, ...] | None] | None = None
    fields: list[dict | None] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def documents(self) -> Iterator[Document]:
        """The batch's documents, in order."""
        n = len(self.texts)
        return map(Document, self.texts, self.labels, self.ids,
                   self.weights or repeat(None, n), self.label_lists or repeat(None, n),
                   self.fields or repeat(None, n))

    @classmethod
    def of(cls, docs: list[Document]) -> Batch:
        """Documents as a batch (its columns of what they hold)."""
        return cls([d.text for d in docs], [d.label for d in docs], [d.id for d in docs],
                   [d.weight for d in docs], [d.labels for d in docs],
                   [d.fields for d in docs])


@dataclass
class Corpus:
    """Documents held in memory: parallel lists of texts, labels and ids (and weights, when
    the corpus was read with a weight field). ``label_sets`` holds each document's labels
    as a tuple (None: unlabelled); a corpus where a document has zero or several is
    multi-label (:attr:`multi_label`), and its ``labels`` hold None for those documents."""

    texts: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    source: str = ""
    weights: list[float] | None = None
    label_sets: list[tuple[str, ...] | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def multi_label(self) -> bool:
        """Whether a document has zero or several labels."""
        return any(s is not None and len(s) != 1 for s in self.label_sets)

    def targets(self, multi_label: bool | None = None) -> list:
        """What a classifier is trained on: the label sets for multi-label data (or when
        ``multi_label`` forces them), else the labels."""
        return self.label_sets if multi_label or self.multi_label else self.labels

    @classmethod
    def from_documents(cls, docs: Iterable[Document], source: str = "") -> Corpus:
        corpus = cls(source=source)
        weights = []
        for doc in docs:
            corpus.texts.append(doc.text)
            corpus.labels.append(doc.label)
            corpus.label_sets.append(doc.label_set)
            corpus.ids.append(doc.id)
            weights.append(doc.weight)
        if weights and all(w is not None for w in weights):
            corpus.weights = weights
        return corpus

    @classmethod
    def from_batches(cls, batches: Iterable[Batch], source: str = "") -> Corpus:
        """The corpus of ``batches``: what :meth:`from_documents` makes of their documents."""
        corpus = cls(source=source)
        weights: list[float | None] = []
        for batch in batches:
            corpus.texts.extend(batch.texts)
            corpus.labels.extend(batch.labels)
            corpus.ids.extend(batch.ids)
            if batch.label_lists is None and None not in batch.labels:
                corpus.label_sets.extend(zip(batch.labels))  # (each label as a 1-tuple)
            elif batch.label_lists is None:
                corpus.label_sets.extend(None if y is None else (y,) for y in batch.labels)
            else:
                corpus.label_sets.extend(
                    lists if lists is not None else None if y is None else (y,)
                    for y, lists in zip(batch.labels, batch.label_lists, strict=True))
            weights.extend(batch.weights or repeat(None, len(batch)))
        if weights and None not in weights:
            corpus.weights = weights
        return corpus


def checked_label(value: object, where: str) -> str:
    """A label as textclf keeps it: a string, or an integer as its decimal string. Anything
    else (a float, true/false, a list, null where one is required), an empty label and one
    holding a tab or a line break (it would break the one-line-per-document output) is a
    :class:`DataError` naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        shown = repr(value) if len(repr(value)) < 40 else type(value).__name__
        raise DataError(f"{where}: the label must be a string or an integer, not {shown}")
    label = str(value) if isinstance(value, int) else value
    if not label.strip():
        raise DataError(f"{where}: the label is empty")
    if any(c in label for c in "\t\r\n"):
        raise DataError(f"{where}: the label {label!r} holds a tab or a line break")
    return label


def labels_are_valid(labels: Iterable[str]) -> bool:
    """Whether every one of ``labels`` (strings) is one :func:`checked_label` keeps as it
    is: each distinct label tested once, so a column of a few labels costs a few tests."""
    for label in set(labels):
        try:
            checked_label(label, "")
        except DataError:
            return False
    return True


def clean_label(label: str) -> bool:
    """A string label :func:`checked_label` keeps as it is (not blank, no tab or break)."""
    return bool(label.strip()) and not any(c in label for c in "\t\r\n")


def checked_label_list(values: object, where: str) -> tuple[str, ...]:
    """A document's labels from a list: each checked by :func:`checked_label`, repeats
    dropped (first place kept); an empty list is a document without labels."""
    if not isinstance(values, list | tuple):
        raise DataError(f"{where}: the labels must be a list, not {type(values).__name__}")
    return tuple(dict.fromkeys(checked_label(v, f"{where}[{i}]") for i, v in enumerate(values)))


def label_columns(values: list) -> tuple[list, list | None] | None:
    """Each document's label value (a label, a list of labels, or None) as the columns
    ``labels`` and ``label_lists`` of a :class:`Batch`; None where :func:`checked_label` or
    :func:`checked_label_list` would refuse one (whose message the caller then finds).
    Distinct labels are tested once each."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return (values, None) if labels_are_valid(values) else None
    if not kinds <= {str, int, type(None), list}:
        return None  # (a bool, a float, an object: refused)
    labels, lists, known = [], [], {}
    try:
        for value in values:
            if isinstance(value, list):
                tags = checked_label_list(value, "")
                labels.append(tags[0] if len(tags) == 1 else None)
                lists.append(tags)
                continue
            key = (type(value), value)
            if key not in known:
                known[key] = None if value is None else checked_label(value, "")
            labels.append(known[key])
            lists.append(None)
    except (DataError, TypeError):
        return None
    return labels, (lists if list in kinds else None)


def checked_weight(value: object, where: str) -> float:
    """A document's weight: a finite number ≥ 0 (a JSON number, or a CSV field's text);
    anything else is a :class:`DataError` naming ``where``."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise DataError(f"{where}: the weight {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = repr(value) if len(repr(value)) < 40 else type(value).__name__
        raise DataError(f"{where}: the weight must be a number, not {shown}")
    try:
        weight = float(value)
    except OverflowError:  # an integer beyond the largest float
        weight = math.inf
    if not math.isfinite(weight) or weight < 0:
        raise DataError(f"{where}: the weight must be a finite number ≥ 0, got {value!r}")
    return weight


def first_refused_weight(weights: np.ndarray) -> int | None:
    """The index of the first weight :func:`checked_weight` would refuse (not finite, or
    below 0) in an array of numbers, tested all at once; None when every one is good."""
    refused = np.flatnonzero(~(np.isfinite(weights) & (weights >= 0)))
    return int(refused[0]) if len(refused) else None


def checked_texts(texts: object, what: str = "texts") -> list[str]:
    """Documents as a list of strings: any iterable of strings (a generator is read once),
    never a single string (that would be one document per character)."""
    texts = sequence_of(texts, what, "texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"{what}: document {i} is a {type(text).__name__}, not a string")
    return texts


def sequence_of(values: object, what: str, noun: str) -> list:
    """``values`` as a list (any iterable, read once), never a single string."""
    if isinstance(values, str | bytes):
        raise DataError(f"{what}: expected a sequence of {noun}, got a single "
                        f"{type(values).__name__}; wrap it in a list")
    try:
        return list(values)
    except TypeError as err:
        raise DataError(f"{what}: expected a sequence of {noun}, got "
                        f"{type(values).__name__}") from err


def checked_labels(labels: object, what: str = "labels") -> list[str]:
    """Every label checked by :func:`checked_label` (any iterable, read once)."""
    return [checked_label(label, f"{what}, document {i}")
            for i, label in enumerate(sequence_of(labels, what, "labels"))]


def checked_label_sets(labels: object, what: str = "labels") -> tuple[list[tuple[str, ...]], bool]:
    """Each document's labels as a tuple, and whether any was given as a collection.

    An element is a label (a string or an integer: one label) or a list, tuple or set of
    labels (any number, repeats dropped; a set in sorted order)."""
    values = sequence_of(labels, what, "labels")
    if all(type(value) is str for value in values):  # the usual case: each distinct one once
        bad = next((label for label in set(values) if not clean_label(label)), None)
        if bad is None:
            return [(value,) for value in values], False
    sets, collections = [], False
    for i, value in enumerate(values):
        where = f"{what}, document {i}"
        if isinstance(value, set | frozenset):
            value = sorted(value, key=str)
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, list | tuple):
            collections = True
            sets.append(checked_label_list(list(value), where))
        else:
            sets.append((checked_label(value, where),))
    return sets, collections
