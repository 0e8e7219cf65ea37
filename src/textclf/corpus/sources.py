"""Any source of documents by name: format detection, streaming, reading into memory.

Supported: folder-per-class trees ``ROOT/{train,dev,test}/LABEL/*.txt`` or
``ROOT/LABEL/*.txt``; JSONL, optionally gzipped, one ``{"text": ..., "label": ...}`` object
per line (``"labels": [...]`` for several); CSV or TSV with a header row (optionally
gzipped; several labels per field with ``label_sep``); fastText lines ``__label__LABEL
text`` (several tags for several labels); ``builtin:imdb`` and ``builtin:rt``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from textclf.corpus.builtin import iter_builtin
from textclf.corpus.decoding import decode, is_regular_file, numbered_lines, read_document
from textclf.corpus.documents import Corpus, Document
from textclf.corpus.formats import (
    FASTTEXT_PREFIX,
    SPLITS,
    has_split_folders,
    iter_delimited,
    iter_fasttext,
    iter_folders,
    iter_jsonl,
)
from textclf.corpus.locations import file_path
from textclf.errors import DataError

FORMATS = ("folders", "jsonl", "csv", "tsv", "fasttext", "builtin")


def detect_format(spec: str) -> str:
    """Guess the format of ``spec`` from its name (or its first line for ``.txt``)."""
    if spec.startswith("builtin:"):
        return "builtin"
    path = file_path(spec)
    if path.is_dir():
        return "folders"
    if not path.exists():
        raise DataError(f"{spec}: no such file or folder")
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if last == ".csv":
        return "csv"
    if last == ".tsv":
        return "tsv"
    if last in (".ft", ".fasttext"):
        return "fasttext"
    if not is_regular_file(path):  # a pipe can be read once: not to look at its first line
        raise DataError(f"{spec}: not a regular file (a pipe?), and its name does not tell "
                        f"its format; use --format ({', '.join(FORMATS[1:-1])})")
    for _, line in numbered_lines(path):
        if line.strip():
            if line.lstrip().startswith(FASTTEXT_PREFIX):
                return "fasttext"
            if line.lstrip().startswith("{"):
                return "jsonl"
            break
    raise DataError(
        f"{spec}: cannot tell the format from the name; use --format "
        f"({', '.join(f for f in FORMATS if f != 'builtin')})"
    )


def iter_documents(
    spec: str | Path,
    split: str | None = None,
    fmt: str | None = None,
    text_field: str = "text",
    label_field: str = "label",
    weight_field: str | None = None,
    label_sep: str | None = None,
) -> Iterator[Document]:
    """Stream the documents of any supported source (see the module docstring); with
    ``weight_field``, each document's weight from that JSON field or CSV/TSV column; with
    ``label_sep``, several labels per CSV/TSV label field, separated by it."""
    spec = str(spec)
    fmt = fmt or detect_format(spec)
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if weight_field is not None and fmt not in ("jsonl", "csv", "tsv"):
        raise DataError(f"{spec}: weights are read from a field of JSONL or a column of "
                        f"CSV/TSV; {fmt} data has none (--weight-field)")
    if label_sep is not None and (fmt not in ("csv", "tsv") or not label_sep):
        raise DataError(f"{spec}: --label-sep splits the label field of CSV/TSV data (a "
                        "non-empty separator); JSONL holds several labels as a list, fastText "
                        "lines as several __label__ tags")
    if split is not None and fmt not in ("folders", "builtin"):
        raise DataError(f"{spec}: a single file has no splits, cannot select {split!r}")
    if fmt == "builtin":
        return iter_builtin(spec.removeprefix("builtin:"), split)
    if fmt == "folders":
        return iter_folders(spec, split)
    if fmt == "jsonl":
        return iter_jsonl(spec, text_field, label_field, weight_field)
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        return iter_delimited(spec, delimiter, text_field, label_field, weight_field,
                              label_sep)
    return iter_fasttext(spec)


def read_corpus(
    spec: str | Path,
    split: str | None = None,
    fmt: str | None = None,
    text_field: str = "text",
    label_field: str = "label",
    require_labels: bool = True,
    weight_field: str | None = None,
    label_sep: str | None = None,
) -> Corpus:
    """Read a whole corpus into memory; refuse an empty one or missing labels. With
    ``weight_field``, ``Corpus.weights`` holds each document's weight; ``label_sep`` splits
    CSV/TSV label fields into several labels."""
    docs = iter_documents(spec, split, fmt, text_field, label_field, weight_field, label_sep)
    corpus = Corpus.from_documents(docs, source=str(spec))
    where = f"{spec}" + (f" (split {split!r})" if split else "")
    if not corpus.texts:
        raise DataError(f"{where}: the corpus is empty")
    if require_labels and any(labels is None for labels in corpus.label_sets):
        missing = corpus.label_sets.index(None)
        raise DataError(
            f"{where}: document {corpus.ids[missing]} has no label (field {label_field!r})"
        )
    return corpus


def available_splits(spec: str) -> tuple[str, ...]:
    """Splits a source offers: the built-ins and folder trees with split folders."""
    if spec.startswith("builtin:"):
        return SPLITS
    path = Path(spec)
    if has_split_folders(path):
        return tuple(s for s in SPLITS if (path / s).is_dir())
    return ()


def read_lines(paths: list[str]) -> Iterator[str]:
    """Unlabelled documents for prediction: whole files, or stdin one document per line."""
    if not paths:
        raw_stdin = getattr(sys.stdin, "buffer", None)  # bytes, so bad UTF-8 only warns
        if raw_stdin is None:
            for line in sys.stdin:
                yield line.rstrip("\r\n")
            return
        for number, raw in enumerate(raw_stdin, start=1):
            yield decode(raw, f"<stdin>, line {number}").rstrip("\r\n")
        return
    for name in paths:
        yield read_document(Path(name))
