"""Any source of documents by name: format detection, streaming, reading into memory.

Supported: folder-per-class trees ``ROOT/{train,dev,test}/LABEL/*.txt`` or
``ROOT/LABEL/*.txt``; JSONL, optionally gzipped, one ``{"text": ..., "label": ...}`` object
per line (``"labels": [...]`` for several); CSV or TSV with a header row or without one,
in any delimiter (optionally gzipped; several labels per field with ``label_sep``);
fastText lines ``__label__LABEL text`` (several tags for several labels); Parquet and Arrow
files (columns named as CSV's); ``builtin:imdb`` and ``builtin:rt``; ``-``: standard input,
read once, in the format named.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from textclf.corpus.builtin import builtin_batch, iter_builtin
from textclf.corpus.columnar import (
    COLUMNAR_FORMATS,
    ColumnNames,
    columnar_batches,
    iter_columnar,
)
from textclf.corpus.delimited import ReadingWarning, iter_delimited
from textclf.corpus.documents import Batch, Corpus, Document
from textclf.corpus.files import (
    STDIN,
    decode,
    file_path,
    is_regular_file,
    numbered_lines,
    read_document,
)
from textclf.corpus.formats import (
    FASTTEXT_PREFIX,
    SPLITS,
    has_split_folders,
    iter_fasttext,
    iter_folders,
)
from textclf.corpus.jsonlines import JsonFields, iter_jsonl, jsonl_batches
from textclf.errors import DataError

FORMATS = ("folders", "jsonl", "csv", "tsv", "fasttext", "parquet", "arrow", "builtin")
FILE_FORMATS = ("jsonl", "csv", "tsv", "fasttext", "parquet", "arrow")
SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
            ".tsv": "tsv", ".ft": "fasttext", ".fasttext": "fasttext", ".parquet": "parquet",
            ".pq": "parquet", ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow"}
FIELD_FORMATS = ("jsonl", "csv", "tsv", *COLUMNAR_FORMATS)  # (weights come from a field)
MANY_CLASSES = 50  # more distinct labels than this, most holding "|" or ",": label lists?


@dataclass(frozen=True)
class Reading:
    """How a source is read beyond its format: the fields or columns of the text, label
    and weight; the separator of several labels in a CSV field or Parquet string; CSV's
    delimiter (None: guessed) and whether it has a header; whether labels are needed."""

    text_field: str = "text"
    label_field: str = "label"
    weight_field: str | None = None
    label_sep: str | None = None
    delimiter: str | None = None
    header: bool = True
    require_labels: bool = False

    def columns(self) -> ColumnNames:
        return ColumnNames(self.text_field, self.label_field, self.weight_field,
                           self.label_sep, require_label=self.require_labels)


def detect_format(spec: str) -> str:
    """Guess the format of ``spec`` from its name (or its first line for ``.txt``)."""
    if spec.startswith("builtin:"):
        return "builtin"
    if spec == STDIN:
        raise DataError(f"{spec}: standard input has no name to tell its format by; give "
                        f"--format ({', '.join(FILE_FORMATS)})")
    path = file_path(spec)
    if path.is_dir():
        return "folders"
    if not path.exists():
        raise DataError(f"{spec}: no such file or folder")
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in SUFFIXES:
        return SUFFIXES[last]
    if not is_regular_file(path):  # a pipe can be read once: not to look at its first line
        raise DataError(f"{spec}: not a regular file (a pipe?), and its name does not tell "
                        f"its format; use --format ({', '.join(FILE_FORMATS)})")
    for _, line in numbered_lines(path):
        if line.strip():
            if line.lstrip().startswith(FASTTEXT_PREFIX):
                return "fasttext"
            if line.lstrip().startswith("{"):
                return "jsonl"
            break
    raise DataError(
        f"{spec}: cannot tell the format from the name; use --format "
        f"({', '.join(FILE_FORMATS)})"
    )


def checked_format(spec: str, split: str | None, fmt: str | None, how: Reading) -> str:
    """The format of ``spec`` (``fmt``, or guessed), once the options are known to fit it."""
    fmt = fmt or detect_format(spec)
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if how.weight_field is not None and fmt not in FIELD_FORMATS:
        raise DataError(f"{spec}: weights are read from a field of JSONL or a column of "
                        f"CSV/TSV, Parquet or Arrow; {fmt} data has none (--weight-field)")
    if how.label_sep is not None and (fmt not in ("csv", "tsv", *COLUMNAR_FORMATS)
                                      or not how.label_sep):
        raise DataError(f"{spec}: --label-sep splits the label field of CSV/TSV data or a "
                        "Parquet/Arrow string column (a non-empty separator); JSONL holds "
                        "several labels as a list, fastText lines as several __label__ tags")
    if (how.delimiter is not None or not how.header) and fmt not in ("csv", "tsv"):
        option = "--delimiter" if how.delimiter is not None else "--no-header"
        raise DataError(f"{spec}: {option} applies to CSV/TSV data; this is {fmt}")
    if split is not None and fmt not in ("folders", "builtin"):
        raise DataError(f"{spec}: a single file has no splits, cannot select {split!r}")
    if spec == STDIN and fmt in ("folders", "builtin"):
        raise DataError(f"{spec}: standard input holds a file; give its --format "
                        f"({', '.join(FILE_FORMATS)})")
    return fmt


def iter_documents(
    spec: str | Path,
    split: str | None = None,
    fmt: str | None = None,
    text_field: str = "text",
    label_field: str = "label",
    weight_field: str | None = None,
    label_sep: str | None = None,
    *,
    delimiter: str | None = None,
    header: bool = True,
    require_labels: bool = False,
) -> Iterator[Document]:
    """Stream the documents of any supported source (see the module docstring); with
    ``weight_field``, each document's weight from that JSON field or CSV/TSV, Parquet or
    Arrow column; with ``label_sep``, several labels per CSV/TSV label field (or Parquet
    string), separated by it. CSV's ``delimiter`` is guessed when not given (TSV's is a
    tab); with ``header=False`` the fields name CSV/TSV columns by number, from 1. With
    ``require_labels``, a CSV/TSV, Parquet or Arrow file without the label column is
    refused at once."""
    spec = str(spec)
    how = Reading(text_field, label_field, weight_field, label_sep, delimiter, header,
                  require_labels)
    fmt = checked_format(spec, split, fmt, how)
    if fmt == "jsonl":
        return iter_jsonl(spec, text_field, label_field, weight_field)
    if fmt in COLUMNAR_FORMATS:
        return iter_columnar(spec, fmt, how.columns())
    return line_documents(spec, split, fmt, how)


def line_documents(spec: str, split: str | None, fmt: str, how: Reading) -> Iterator[Document]:
    """The documents of a built-in corpus, a folder tree, CSV/TSV or fastText lines."""
    if fmt == "builtin":
        return iter_builtin(spec.removeprefix("builtin:"), split)
    if fmt == "folders":
        return iter_folders(spec, split)
    if fmt in ("csv", "tsv"):
        delimiter = how.delimiter or ("\t" if fmt == "tsv" else None)
        return iter_delimited(spec, delimiter, how.text_field, how.label_field,
                              how.weight_field, how.label_sep, header=how.header,
                              require_label=how.require_labels)
    return iter_fasttext(spec)


def block_batches(spec: str, fmt: str, how: Reading) -> Iterator[Batch]:
    """The documents of a JSONL, Parquet or Arrow file in batches (columns), as read."""
    if fmt == "jsonl":
        return jsonl_batches(spec, JsonFields(how.text_field, how.label_field,
                                              how.weight_field))
    return columnar_batches(spec, fmt, how.columns())


def read_corpus(
    spec: str | Path,
    split: str | None = None,
    fmt: str | None = None,
    text_field: str = "text",
    label_field: str = "label",
    require_labels: bool = True,
    weight_field: str | None = None,
    label_sep: str | None = None,
    *,
    delimiter: str | None = None,
    header: bool = True,
) -> Corpus:
    """Read a whole corpus into memory; refuse an empty one or missing labels. With
    ``weight_field``, ``Corpus.weights`` holds each document's weight; ``label_sep`` splits
    CSV/TSV label fields (and Parquet strings) into several labels; ``delimiter`` and
    ``header`` are CSV's (see :func:`iter_documents`). A label column that looks like
    lists of labels read as one (many classes, most holding ``|`` or ``,``) is warned of
    (:class:`~textclf.corpus.delimited.ReadingWarning`)."""
    how = Reading(text_field, label_field, weight_field, label_sep, delimiter, header,
                  require_labels)
    spec = str(spec)
    fmt = checked_format(spec, split, fmt, how)
    if fmt == "builtin":
        corpus = Corpus.from_batches([builtin_batch(spec.removeprefix("builtin:"), split)],
                                     source=spec)
    elif fmt == "jsonl" or fmt in COLUMNAR_FORMATS:
        corpus = Corpus.from_batches(block_batches(spec, fmt, how), source=spec)
    else:
        corpus = Corpus.from_documents(line_documents(spec, split, fmt, how), source=spec)
    where = f"{spec}" + (f" (split {split!r})" if split else "")
    if not corpus.texts:
        raise DataError(f"{where}: the corpus is empty")
    if require_labels and None in corpus.label_sets:
        missing = corpus.label_sets.index(None)
        raise DataError(
            f"{where}: document {corpus.ids[missing]} has no label (field {label_field!r})"
        )
    if label_sep is None and fmt in ("csv", "tsv", *COLUMNAR_FORMATS):
        warn_of_label_lists(corpus.labels, where, label_field)
    return corpus


def warn_of_label_lists(labels: list[str | None], where: str, label_field: str) -> None:
    """Warn when a label column of more than :data:`MANY_CLASSES` distinct values holds
    ``|`` or ``,`` in most rows: it may list several labels per document."""
    counts = Counter(labels)
    counts.pop(None, None)
    if len(counts) <= MANY_CLASSES:
        return
    rows = sum(counts.values())
    for sep in ("|", ","):
        holding = [label for label in counts if sep in label]  # type: ignore[operator]
        if 2 * sum(counts[label] for label in holding) > rows:
            warnings.warn(
                f"{where}: the label column {label_field!r} has {len(counts)} distinct "
                f"values and most rows hold {sep!r} (e.g. {holding[0]!r}); if it lists "
                f"several labels per document, read it with --label-sep {sep!r}",
                ReadingWarning, stacklevel=3)
            return


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
