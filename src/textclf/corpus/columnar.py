"""Parquet and Arrow files (``.parquet``; ``.arrow``/``.feather``: Arrow's IPC file or
stream format, Feather version 2), the form big corpora come in: columns named as in CSV,
read column-wise (row groups, record batches) with pyarrow (``pip install
'textclf[parquet]'``).

The text column holds strings; the label column strings or integers (one label a row),
lists of them (several), or strings that ``label_sep`` splits; the weight column numbers.
A null label is a row without one. Values are tested a column at a time (each distinct
label once); a refused value is named by its file, row (counted from 1) and column, and a
column that is not there by the columns that are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from textclf.corpus.delimited import shown_names
from textclf.corpus.documents import (
    Batch,
    Document,
    checked_label,
    checked_label_list,
    checked_weight,
    first_refused_weight,
    label_columns,
)
from textclf.corpus.files import RemoteFile, StandardInput, file_path
from textclf.errors import DataError

BATCH_ROWS = 65_536  # rows read from a Parquet file at once
COLUMNAR_FORMATS = ("parquet", "arrow")


@dataclass(frozen=True)
class ColumnNames:
    """The columns holding the text, the label(s) (None: none) and the weight; whether
    each row is kept (as :attr:`Document.fields`); the separator of several labels in one
    string; whether a file without the label column is refused."""

    text: str = "text"
    label: str | None = "label"
    weight: str | None = None
    label_sep: str | None = None
    keep: bool = False
    require_label: bool = False


def iter_columnar(path: str | Path | RemoteFile, fmt: str = "parquet",
                  columns: ColumnNames = ColumnNames()) -> Iterator[Document]:
    """The documents of a Parquet (``fmt="parquet"``) or Arrow (``"arrow"``) file, one per
    row, their ids ``NAME:ROW`` (rows counted from 1)."""
    for batch in columnar_batches(path, fmt, columns):
        yield from batch.documents()


def require_pyarrow(path: object) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise DataError(f"{path}: reading Parquet and Arrow files needs pyarrow (pip install "
                        "'textclf[parquet]')") from None
    return pyarrow


def columnar_batches(path: str | Path | RemoteFile | StandardInput, fmt: str,
                     columns: ColumnNames = ColumnNames()) -> Iterator[Batch]:
    """The documents of :func:`iter_columnar`, a record batch (or row group part) each."""
    path = file_path(path)
    pa = require_pyarrow(path)
    source = opened_source(pa, path)
    try:
        yield from table_batches(pa, path, source, fmt, columns)
    finally:
        if hasattr(source, "close"):  # (a file of a URL; a memory map)
            source.close()


def table_batches(pa: Any, path: Path | RemoteFile | StandardInput, source: Any, fmt: str,
                  columns: ColumnNames) -> Iterator[Batch]:
    names, batches = open_batches(pa, path, source, fmt, columns)
    label = columns.label if columns.label in names else None
    for column, what, option, needed in (
            (columns.text, "text", "--text-field", True),
            (columns.label, "label", "--label-field", columns.require_label),
            (columns.weight, "weight", "--weight-field", columns.weight is not None)):
        if needed and column not in names:
            raise DataError(f"{path}: no column {column!r} (columns: {shown_names(names)}); "
                            f"name the {what} column with {option}")
    first = 1
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        rows = ColumnRows(path, first)
        texts = rows.texts(pa, batch.column(columns.text), columns.text)
        labels, lists = ([None] * n, None) if label is None else \
            rows.labels(pa, batch.column(label), label, columns.label_sep)
        weights = None if columns.weight is None else \
            rows.weights(pa, batch.column(columns.weight), columns.weight)
        ids = [f"{path.name}:{row}" for row in range(first, first + n)]
        fields = batch.to_pylist() if columns.keep else None
        yield Batch(texts, labels, ids, weights, lists, fields)
        first += n


def opened_source(pa: Any, path: Path | RemoteFile | StandardInput) -> Any:
    """What pyarrow reads ``path`` from: a memory map of a local file, a URL's file, the
    bytes of standard input."""
    if isinstance(path, StandardInput):
        from textclf.corpus.files import open_binary

        with open_binary(path) as handle:
            return pa.BufferReader(handle.read())
    if isinstance(path, RemoteFile):
        return path.open_binary()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, expected a file")
    try:
        return pa.memory_map(str(path))
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err})") from err


def open_batches(pa: Any, path: object, source: Any, fmt: str,
                 columns: ColumnNames) -> tuple[list[str], Iterator[Any]]:
    """The file's column names and its record batches (of the needed columns only, unless
    every row is kept)."""
    wanted = [c for c in (columns.text, columns.label, columns.weight) if c is not None]
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(source)
            names = parquet.schema_arrow.names
            chosen = None if columns.keep else [c for c in dict.fromkeys(wanted) if c in names]
            return names, checked_reading(path, parquet.iter_batches(batch_size=BATCH_ROWS,
                                                                      columns=chosen))
        table = arrow_table(pa, source)
        return table.schema.names, checked_reading(path, iter(table.to_batches()))
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: not a readable {'Parquet' if fmt == 'parquet' else 'Arrow'} "
                        f"file ({first_line(err)})") from err


def arrow_table(pa: Any, source: Any) -> Any:
    """An Arrow IPC file (Feather version 2) or stream (a memory map's: no copy)."""
    import pyarrow.ipc as ipc

    try:
        return ipc.open_file(source).read_all()
    except pa.ArrowInvalid:
        source.seek(0)
    return ipc.open_stream(source).read_all()


def checked_reading(path: object, batches: Iterator[Any]) -> Iterator[Any]:
    """``batches``, a damaged file's error said in one line naming it."""
    import pyarrow as pa

    try:
        yield from batches
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: cannot be read to the end ({first_line(err)})") from err


def first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


@dataclass(frozen=True)
class ColumnRows:
    """The values of one record batch's columns, tested; ``first``: its first row's
    number in the file."""

    path: object
    first: int

    def where(self, index: int, column: str) -> str:
        return f"{self.path}, row {self.first + index}, column {column!r}"

    def texts(self, pa: Any, array: Any, column: str) -> list[str]:
        array = decoded(pa, array)
        if not is_text(pa, array.type):
            raise DataError(f"{self.path}: column {column!r} holds {array.type}, not text; "
                            "name the text column with --text-field")
        if array.null_count:
            raise DataError(f"{self.where(first_null(array), column)}: the text is missing "
                            "(null)")
        return array.to_pylist()

    def labels(self, pa: Any, array: Any, column: str,
               label_sep: str | None) -> tuple[list, list | None]:
        array = decoded(pa, array)
        kind = array.type
        if array.null_count == len(array):
            return [None] * len(array), None
        if pa.types.is_integer(kind):
            array = array.cast(pa.string())  # (decimal digits, as str() writes an int)
        elif is_list(pa, kind):
            if label_sep is not None:
                raise DataError(f"{self.path}: column {column!r} holds lists of labels; "
                                "--label-sep splits labels written in one string")
        elif not is_text(pa, kind):  # a bool, a float...: refused as JSON's are, by its row
            index = first_valid(array)
            checked_label(array[index].as_py(), self.where(index, column))
            raise DataError(f"{self.path}: column {column!r} holds {kind}: labels are "
                            "strings, integers or lists of them")
        values = array.to_pylist()
        if label_sep is not None:
            return self.split_labels(values, column, label_sep)
        found = label_columns(values)
        if found is None:  # a label refused: the first one, by its row
            for index, value in enumerate(values):
                where = self.where(index, column)
                if isinstance(value, list):
                    checked_label_list(value, where)
                elif value is not None:
                    checked_label(value, where)
            raise DataError(f"{self.path}: column {column!r}: the labels cannot be read")
        return found

    def split_labels(self, values: list, column: str,
                     label_sep: str) -> tuple[list, list]:
        """Strings holding labels separated by ``label_sep`` (as CSV's are split)."""
        labels, lists = [], []
        for index, value in enumerate(values):
            if value is None:
                labels.append(None)
                lists.append(None)
                continue
            parts = [part.strip() for part in value.split(label_sep)]
            tags = checked_label_list([p for p in parts if p], self.where(index, column))
            labels.append(tags[0] if len(tags) == 1 else None)
            lists.append(tags)
        return labels, lists

    def weights(self, pa: Any, array: Any, column: str) -> list[float]:
        array = decoded(pa, array)
        if array.null_count:
            raise DataError(f"{self.where(first_null(array), column)}: the weight is missing "
                            "(null)")
        if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
            weights = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
            refused = first_refused_weight(weights)
            if refused is None:
                return weights.tolist()
            start = refused
        else:
            start = 0
        values = array.to_pylist()
        for index in range(start, len(values)):
            checked_weight(values[index], self.where(index, column))
        return [float(v) for v in values]  # (strings holding numbers, all good)


def decoded(pa: Any, array: Any) -> Any:
    """A dictionary-encoded column (a pandas category) as its values."""
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array


def is_list(pa: Any, kind: Any) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
        pa.types.is_fixed_size_list(kind)


def is_text(pa: Any, kind: Any) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or \
        getattr(pa.types, "is_string_view", lambda _: False)(kind)


def first_null(array: Any) -> int:
    return int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])


def first_valid(array: Any) -> int:
    valid = np.flatnonzero(array.is_valid().to_numpy(zero_copy_only=False))
    return int(valid[0]) if len(valid) else 0
