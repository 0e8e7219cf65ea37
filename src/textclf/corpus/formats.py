"""The line formats (JSONL, CSV/TSV, fastText) and folder-per-class trees, as document streams.

Each reader is a generator of :class:`~textclf.corpus.documents.Document`, so that a corpus
larger than memory can be streamed, and names the file and line of a bad record.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from textclf.corpus.decoding import numbered_lines, read_document
from textclf.corpus.documents import (
    Document,
    checked_label,
    checked_label_list,
    checked_weight,
    labelled,
)
from textclf.corpus.locations import RemoteFile, file_path
from textclf.errors import DataError

SPLITS = ("train", "dev", "test")
CSV_FIELD_LIMIT = 2**31 - 1  # a document in a CSV field may be a whole book
FASTTEXT_PREFIX = "__label__"


def iter_jsonl(
    path: str | Path | RemoteFile, text_field: str = "text", label_field: str = "label",
    weight_field: str | None = None, keep_fields: bool = False,
) -> Iterator[Document]:
    """Documents from JSON lines ``{"text": ..., "label": ...}`` (blank lines skipped); with
    ``weight_field``, each record's weight (a number ≥ 0) from that field; with
    ``keep_fields``, each record's object as the document's ``fields``.

    A list in the label field, ``{"text": ..., "labels": ["joy", "love"]}``, gives the
    document all of them (possibly none); ``"labels"`` is read where the default field
    ``"label"`` is missing."""
    path = file_path(path)
    for number, line in numbered_lines(path):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{where}: not valid JSON ({err.msg})") from err
        except ValueError as err:  # e.g. an integer of more than 4,300 digits
            raise DataError(f"{where}: a value cannot be read ({err})") from err
        except RecursionError as err:
            raise DataError(f"{where}: JSON nested too deeply") from err
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected a JSON object")
        text = record.get(text_field)
        if not isinstance(text, str):
            raise DataError(
                f"{where}: field {text_field!r} "
                + ("is missing" if text is None else "is not a string")
            )
        field = label_field
        if field == "label" and field not in record and "labels" in record:
            field = "labels"
        label = record.get(field)
        weight = None
        if weight_field is not None:
            if weight_field not in record:
                raise DataError(f"{where}: field {weight_field!r} (the weight) is missing")
            weight = checked_weight(record[weight_field], f"{where}, field {weight_field!r}")
        fields = record if keep_fields else None
        if isinstance(label, list):
            labels = checked_label_list(label, f"{where}, field {field!r}")
            yield labelled(text, labels, f"{path.name}:{number}", weight, fields)
            continue
        label = None if label is None else checked_label(label, f"{where}, field {field!r}")
        yield Document(text, label, f"{path.name}:{number}", weight, fields=fields)


def iter_delimited(
    path: str | Path | RemoteFile,
    delimiter: str = ",",
    text_column: str = "text",
    label_column: str = "label",
    weight_column: str | None = None,
    label_sep: str | None = None,
    keep_fields: bool = False,
) -> Iterator[Document]:
    """Documents from CSV/TSV with a header row naming the text and label columns (and the
    weight column, if given). With ``label_sep``, the label field holds any number of
    labels separated by it (``joy|love``; an empty field: no label); with ``keep_fields``,
    each row by column name as the document's ``fields``.

    Quoted fields keep their line breaks; a record's line is the one it starts on."""
    path = file_path(path)
    line_numbers: list[int] = [0]
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))  # (the csv module's)

    def decoded_lines() -> Iterator[str]:
        for number, line in numbered_lines(path, keep_ends=True):
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
    if weight_column is not None and weight_column not in header:
        raise DataError(f"{path}: no column {weight_column!r} (the weight) in the header "
                        f"(columns: {', '.join(header)})")
    text_at = header.index(text_column)
    label_at = header.index(label_column) if label_column in header else None
    weight_at = None if weight_column is None else header.index(weight_column)
    start = reader.line_num + 1  # the line the next record starts on
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{path}, line {number}: {len(row)} fields where the header has {len(header)}"
                )
            where = f"{path}, line {number}, column {label_column!r}"
            weight = None if weight_at is None else checked_weight(
                row[weight_at], f"{path}, line {number}, column {weight_column!r}")
            fields = dict(zip(header, row, strict=True)) if keep_fields else None
            if label_sep is not None and label_at is not None:
                parts = [part.strip() for part in row[label_at].split(label_sep)]
                labels = checked_label_list([part for part in parts if part], where)
                yield labelled(row[text_at], labels, f"{path.name}:{number}", weight, fields)
                continue
            label = None if label_at is None else checked_label(row[label_at], where)
            yield Document(row[text_at], label, f"{path.name}:{number}", weight, fields=fields)
    except csv.Error as err:
        raise DataError(f"{path}, line {line_numbers[0]}: {err}") from err


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
