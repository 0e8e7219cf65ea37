"""fastText lines and folder-per-class trees as document streams; the JSONL and CSV/TSV
readers (:mod:`~textclf.corpus.jsonlines`, :mod:`~textclf.corpus.delimited`) by their
names here too.

Each reader is a generator of :class:`~textclf.corpus.documents.Document`, so that a corpus
larger than memory can be streamed, and names the file and line of a bad record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from textclf.corpus.delimited import iter_delimited
from textclf.corpus.documents import Document, checked_label, checked_label_list, labelled
from textclf.corpus.files import RemoteFile, file_path, numbered_lines, read_document
from textclf.corpus.jsonlines import iter_jsonl
from textclf.errors import DataError

__all__ = ["FASTTEXT_PREFIX", "SPLITS", "class_folders", "has_split_folders", "iter_delimited",
           "iter_fasttext", "iter_folders", "iter_jsonl"]

SPLITS = ("train", "dev", "test")
FASTTEXT_PREFIX = "__label__"


def iter_fasttext(path: str | Path | RemoteFile,
                  require_labels: bool = True) -> Iterator[Document]:
    """Documents from fastText lines ``__label__A [__label__B ...] text``.

    A line with several labels gives its document all of them: a corpus with such lines is
    multi-label (:attr:`~textclf.corpus.documents.Corpus.multi_label`). Repeated tags count
    once. Without ``require_labels`` (documents to label) a line without tags is a
    document without labels.
    """
    path = file_path(path)
    for number, line in numbered_lines(path):
        if not line.strip():
            continue
        words = line.split()
        labels = []
        while words and words[0].startswith(FASTTEXT_PREFIX):
            labels.append(words.pop(0)[len(FASTTEXT_PREFIX):])
        if not labels and not require_labels:
            yield Document(" ".join(words), None, f"{path.name}:{number}")
            continue
        if not labels or not labels[0]:
            raise DataError(f"{path}, line {number}: no {FASTTEXT_PREFIX}LABEL at the start")
        labels = checked_label_list(labels, f"{path}, line {number}")
        yield labelled(" ".join(words), labels, f"{path.name}:{number}")


def class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def has_split_folders(root: Path) -> bool:
    return root.is_dir() and any((root / split).is_dir() for split in SPLITS)


def iter_folders(root: str | Path, split: str | None = None) -> Iterator[Document]:
    """Documents from ``ROOT/[SPLIT/]LABEL/*.txt``; the id is the path relative to ROOT."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    base = root
    if has_split_folders(root):
        split = split or "train"
        base = root / split
        if not base.is_dir():
            found = [s for s in SPLITS if (root / s).is_dir()]
            raise DataError(f"{root}: no split folder {split!r} (found: {', '.join(found)})")
    elif split is not None:
        raise DataError(f"{root}: has no split folders (train/dev/test), cannot select {split!r}")
    classes = class_folders(base)
    if not classes:
        raise DataError(f"{base}: no class folders (expected {base}/LABEL/*.txt)")
    for folder in classes:
        for file in sorted(folder.iterdir()):
            if file.is_file() and not file.name.startswith("."):
                label = checked_label(folder.name, f"{folder}: the class folder's name")
                yield Document(read_document(file), label, str(file.relative_to(root)))
