"""Labelled documents: one :class:`Document`, and a :class:`Corpus` held in memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from textclf.errors import DataError


@dataclass(frozen=True)
class Document:
    """One labelled document. ``label`` is ``None`` for unlabelled text."""

    text: str
    label: str | None
    id: str


@dataclass
class Corpus:
    """Documents held in memory: parallel lists of texts, labels and ids."""

    texts: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def from_documents(cls, docs: Iterable[Document], source: str = "") -> Corpus:
        corpus = cls(source=source)
        for doc in docs:
            corpus.texts.append(doc.text)
            corpus.labels.append(doc.label)
            corpus.ids.append(doc.id)
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


def as_list(items: object, what: str, noun: str) -> list:
    """Any iterable as a list (a generator is read once), never a single string (that would
    be one item per character)."""
    if isinstance(items, str | bytes):
        raise DataError(f"{what}: expected a sequence of {noun}, got a single "
                        f"{type(items).__name__}; wrap it in a list")
    try:
        return list(items)
    except TypeError as err:
        raise DataError(f"{what}: expected a sequence of {noun}, got "
                        f"{type(items).__name__}") from err


def checked_texts(texts: object, what: str = "texts") -> list[str]:
    """Documents as a list of strings (see :func:`as_list`)."""
    texts = as_list(texts, what, "texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"{what}: document {i} is a {type(text).__name__}, not a string")
    return texts


def checked_labels(labels: object, what: str = "labels") -> list[str]:
    """Every label checked by :func:`checked_label` (any iterable, read once)."""
    labels = as_list(labels, what, "labels")
    return [checked_label(label, f"{what}, document {i}") for i, label in enumerate(labels)]
