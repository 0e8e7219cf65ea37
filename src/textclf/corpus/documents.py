"""Labelled documents: one :class:`Document`, and a :class:`Corpus` held in memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


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
