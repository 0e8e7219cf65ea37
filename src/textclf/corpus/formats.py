"""The line formats (JSONL, CSV/TSV, fastText) and folder-per-class trees, as document streams.

Each reader is a generator of :class:`~textclf.corpus.documents.Document`, so that a corpus
larger than memory can be streamed, and names the file and line of a bad record.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

from textclf.corpus.decoding import decode, numbered_lines
from textclf.corpus.documents import Document
from textclf.corpus.locations import RemoteFile, file_path
from textclf.errors import DataError

SPLITS = ("train", "dev", "test")
FASTTEXT_PREFIX = "__label__"


def iter_jsonl(
    path: str | Path | RemoteFile, text_field: str = "text", label_field: str = "label"
) -> Iterator[Document]:
    """Documents from JSON lines ``{"text": ..., "label": ...}`` (blank lines skipped)."""
    path = file_path(path)
    for number, line in numbered_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}, line {number}: not valid JSON ({err.msg})") from err
        if not isinstance(record, dict):
            raise DataError(f"{path}, line {number}: expected a JSON object")
        text = record.get(text_field)
        if not isinstance(text, str):
            raise DataError(
                f"{path}, line {number}: field {text_field!r} "
                + ("is missing" if text is None else "is not a string")
            )
        label = record.get(label_field)
        yield Document(text, None if label is None else str(label), f"{path.name}:{number}")


def iter_delimited(
    path: str | Path | RemoteFile,
    delimiter: str = ",",
    text_column: str = "text",
    label_column: str = "label",
) -> Iterator[Document]:
    """Documents from CSV/TSV with a header row naming the text and label columns."""
    path = file_path(path)
    line_numbers: list[int] = [0]

    def decoded_lines() -> Iterator[str]:
        for number, line in numbered_lines(path):
            line_numbers[0] = number
            yield line

    reader = csv.reader(decoded_lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as err:
        raise DataError(f"{path}, line 1: {err}") from err
    if text_column not in header:
        raise DataError(
            f"{path}: no column {text_column!r} in the header (columns: {', '.join(header)}); "
            "name the text column with --text-field"
        )
    text_at = header.index(text_column)
    label_at = header.index(label_column) if label_column in header else None
    try:
        for row in reader:
            number = line_numbers[0]
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{path}, line {number}: {len(row)} fields where the header has {len(header)}"
                )
            label = row[label_at] if label_at is not None else None
            yield Document(row[text_at], label, f"{path.name}:{number}")
    except csv.Error as err:
        raise DataError(f"{path}, line {line_numbers[0]}: {err}") from err


def iter_fasttext(path: str | Path | RemoteFile) -> Iterator[Document]:
    """Documents from fastText lines ``__label__A [__label__B ...] text``.

    textclf trains single-label classifiers: the first label of a line is the document's
    label and any further labels are ignored; a warning counts the lines where that happened.
    """
    path = file_path(path)
    extra_labels = 0
    for number, line in numbered_lines(path):
        if not line.strip():
            continue
        words = line.split()
        labels = []
        while words and words[0].startswith(FASTTEXT_PREFIX):
            labels.append(words.pop(0)[len(FASTTEXT_PREFIX):])
        if not labels or not labels[0]:
            raise DataError(f"{path}, line {number}: no {FASTTEXT_PREFIX}LABEL at the start")
        extra_labels += len(labels) > 1
        yield Document(" ".join(words), labels[0], f"{path.name}:{number}")
    if extra_labels:
        warnings.warn(
            f"{path}: {extra_labels} line(s) have several labels; the first one was used",
            UserWarning,
            stacklevel=2,
        )


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
                text = decode(file.read_bytes(), str(file)).rstrip("\r\n")
                yield Document(text, folder.name, str(file.relative_to(root)))
