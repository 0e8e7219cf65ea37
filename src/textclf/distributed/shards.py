"""Shards: the parts of a corpus that workers read and featurise on their own.

A shard is one file (DATA's files and globs, in order, each glob's matches sorted), or one
partition of a ``dask.bag`` (of :class:`~textclf.corpus.Document`, ``{"text", "label"}``
dicts or ``(text, label)`` pairs) or of a ``dask.dataframe`` with text and label columns.
A worker reads its shard where it runs: no document passes through the client. Bad input
ends the run with the message a local run gives, naming the shard's file and line (or
partition and item).
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textclf.corpus.documents import Document, checked_weight
from textclf.corpus.files import file_path, is_url, require_fsspec
from textclf.corpus.sources import iter_documents
from textclf.distributed.workers import roomy_heap
from textclf.errors import DataError


@dataclass(frozen=True)
class ReadOptions:
    """How every shard is read: ``fmt`` None guesses each file's format from its name;
    ``weight_field`` names each document's weight (JSONL, CSV/TSV), ``label_sep`` splits a
    CSV/TSV label field into several labels."""

    fmt: str | None = None
    text_field: str = "text"
    label_field: str = "label"
    weight_field: str | None = None
    label_sep: str | None = None


@dataclass
class ShardText:
    """The labelled documents of one shard, as its worker read them: each document's labels
    (a tuple: one, or for multi-label data any number) and, where the corpus has a weight
    field, its weight."""

    name: str
    texts: list[str] = field(default_factory=list)
    labels: list[tuple[str, ...]] = field(default_factory=list)
    weights: list[float] | None = None
    warnings: list[str] = field(default_factory=list)  # said on the client, once

    def add(self, text: Any, label: Any, where: str, weight: Any = None) -> None:
        if not isinstance(text, str):
            raise DataError(f"{where}: the text is a {type(text).__name__}, not a string")
        if isinstance(label, list | tuple | set | frozenset):
            labels = tuple(dict.fromkeys(str(one) for one in sorted(label, key=str)))
        elif missing(label):
            raise DataError(f"{where}: the document has no label")
        else:
            labels = (str(label),)
        self.append(text, labels, None if missing(weight) else checked_weight(
            weight.item() if hasattr(weight, "item") else weight, f"{where}, weight"), where)

    def append(self, text: str, labels: tuple[str, ...], weight: float | None,
               where: str) -> None:
        """One document; the documents of a shard all have a weight, or none has."""
        if self.texts and (weight is None) != (self.weights is None):
            raise DataError(f"{where}: some documents have a weight and others not")
        if weight is not None:
            if self.weights is None:
                self.weights = []
            self.weights.append(weight)
        self.texts.append(text)
        self.labels.append(labels)


def collection_kind(data: Any) -> str | None:
    """"frame" for a dask.dataframe, "bag" for a dask.bag, None for anything else (paths)."""
    module = type(data).__module__
    if module.startswith(("dask.dataframe", "dask_expr")):
        return "frame"
    if module.startswith("dask.bag"):
        return "bag"
    return None


def missing(label: Any) -> bool:
    """None, or a data frame's NaN or NA."""
    try:
        return label is None or bool(label != label)
    except TypeError:  # pandas.NA: its comparisons are NA
        return True


def expand_paths(data: str | Sequence[str]) -> list[str]:
    """Every file DATA names, in order: each argument's glob matches sorted, a file named
    twice read once. A folder, or a pattern that matches nothing, is refused."""
    specs = [data] if isinstance(data, str | Path) else list(data)
    if not specs:
        raise DataError("no training data given")
    found: list[str] = []
    for spec in map(str, specs):
        if is_url(spec):
            matches = expand_url(spec)
        elif glob.has_magic(spec):
            matches = sorted(p for p in glob.glob(spec) if Path(p).is_file())
        else:
            path = file_path(spec)
            if path.is_dir():
                raise DataError(f"{spec}: is a folder; on a cluster DATA is files, each a "
                                f"shard (e.g. '{spec.rstrip('/')}/*.jsonl.gz')")
            if not path.exists():
                raise DataError(f"{spec}: no such file")
            matches = [str(path)]
        if not matches:
            raise DataError(f"{spec}: no file matches")
        found.extend(matches)
    return list(dict.fromkeys(found))


def expand_url(spec: str) -> list[str]:
    """The files an fsspec URL names (a glob is expanded, sorted), as URLs."""
    fsspec = require_fsspec(spec)
    try:
        fs, path = fsspec.core.url_to_fs(spec)
        paths = sorted(fs.glob(path)) if glob.has_magic(path) else \
            ([path] if fs.exists(path) else [])
    except (ImportError, ValueError, OSError) as err:
        raise DataError(f"{spec}: cannot list ({err})") from err
    return [fs.unstrip_protocol(p) for p in paths if not fs.isdir(p)]


def collect(documents: Iterable[Document], shard: ShardText, label_field: str) -> ShardText:
    """Add ``documents`` to ``shard``, keeping the warnings the reader gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for doc in documents:
            labels = doc.label_set
            if labels is None:
                raise DataError(f"{shard.name}: document {doc.id} has no label "
                                f"(field {label_field!r})")
            shard.append(doc.text, labels, doc.weight, f"{shard.name}: document {doc.id}")
    shard.warnings.extend(str(w.message) for w in caught)
    return shard


def read_file(path: str, options: ReadOptions) -> ShardText:
    """A file's documents, read by the readers of a local run (any line format)."""
    roomy_heap()
    try:
        documents = iter_documents(path, None, options.fmt, options.text_field,
                                   options.label_field, options.weight_field,
                                   options.label_sep)
        return collect(documents, ShardText(path), options.label_field)
    except OSError as err:  # e.g. no permission on the worker's machine
        raise DataError(f"{path}: cannot be read ({err})") from err


def read_items(items: Iterable[Any], name: str, options: ReadOptions) -> ShardText:
    """A bag partition's documents: Documents, dicts with the text and label fields (and
    the weight field, if named), or (text, label) pairs; a label may be a list of labels."""
    shard = ShardText(name)
    for i, item in enumerate(items):
        where = f"{name}, item {i}"
        if isinstance(item, Document):
            if item.label_set is None:
                raise DataError(f"{where}: the document has no label")
            shard.append(item.text, item.label_set, item.weight, where)
        elif isinstance(item, dict):
            if options.text_field not in item:
                raise DataError(f"{where}: no field {options.text_field!r}")
            weight = item.get(options.weight_field) if options.weight_field else None
            shard.add(item[options.text_field], item.get(options.label_field), where, weight)
        elif isinstance(item, tuple | list) and len(item) == 2:
            shard.add(item[0], item[1], where)
        else:
            raise DataError(f"{where}: expected a Document, a dict with "
                            f"{options.text_field!r} and {options.label_field!r}, or a "
                            f"(text, label) pair, got {type(item).__name__}")
    return shard


def read_frame(frame: Any, name: str, options: ReadOptions) -> ShardText:
    """A data frame partition's documents, from its text and label columns (and weight
    column, if named)."""
    columns = [options.text_field, options.label_field, *filter(None, [options.weight_field])]
    for column in columns:
        if column not in frame.columns:
            raise DataError(f"{name}: no column {column!r} (columns: "
                            f"{', '.join(map(str, frame.columns))})")
    shard = ShardText(name)
    weights = frame[options.weight_field] if options.weight_field else [None] * len(frame)
    for index, text, label, weight in zip(frame.index, frame[options.text_field],
                                          frame[options.label_field], weights, strict=True):
        shard.add(text, label, f"{name}, row {index!r}", weight)
    return shard
