"""CSV and TSV in their dialects: any one-character delimiter (guessed when not given), a
header row naming the columns or none (columns then named by number, counted from 1 as
``cut`` counts them), several labels per field with a separator.

Each bad record is named by its file and the line it starts on; a column that is not there
is named with the columns that are (and the ``--delimiter`` that would split a header read
as one column).
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path

from textclf.corpus.documents import (
    Document,
    checked_label,
    checked_label_list,
    checked_weight,
    labelled,
)
from textclf.corpus.files import RemoteFile, file_path, numbered_lines
from textclf.errors import DataError

CSV_FIELD_LIMIT = 2**31 - 1  # a document in a CSV field may be a whole book
GUESSED = (",", "\t", ";", "|")  # the delimiters a file named .csv may have, in this order
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}
SNIFF_LINES = 20  # the first lines the delimiter is guessed from
Column = str | int  # a column's name, or with no header its number from 1


class ReadingWarning(UserWarning):
    """How a corpus was read may not be what was meant: a guessed delimiter, a label column
    that looks like several labels per document."""


def iter_delimited(
    path: str | Path | RemoteFile,
    delimiter: str | None = None,
    text_column: Column = "text",
    label_column: Column | None = "label",
    weight_column: Column | None = None,
    label_sep: str | None = None,
    keep_fields: bool = False,
    *,
    header: bool = True,
    require_label: bool = False,
) -> Iterator[Document]:
    """Documents from CSV/TSV rows: the text, label (None: none) and weight columns named
    by the header row, or with ``header=False`` by their number counted from 1. With
    ``label_sep``, the label field holds any number of labels separated by it (``joy|love``;
    an empty field: no label); with ``keep_fields``, each row by column name (by number
    without a header) as the document's ``fields``; with ``require_label``, a header without
    the label column is refused at once.

    ``delimiter`` None guesses it from the first lines among comma, tab, semicolon and bar
    (a :class:`ReadingWarning` says so when it is not a comma). Quoted fields keep their
    line breaks; a record's line is the one it starts on."""
    path = file_path(path)
    checked_delimiter(delimiter)
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))  # (the csv module's)
    lines: Iterator[str] = (line for _, line in numbered_lines(path, keep_ends=True))
    if delimiter is None:
        sample = list(islice(lines, SNIFF_LINES))
        delimiter = guessed_delimiter(sample, len(sample) == SNIFF_LINES,
                                      str(text_column) if header else None)
        if delimiter != ",":
            warnings.warn(f"{path}: read as {DELIMITER_NAMES[delimiter]}-separated "
                          f"({delimiter!r}, guessed from its first lines; --delimiter sets it)",
                          ReadingWarning, stacklevel=2)
        lines = chain(sample, lines)
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1  # the line the next record starts on
    try:
        first: list[str] = []
        while not first:  # (blank lines before the first row are skipped)
            first_number, first = start, next(reader)
            start = reader.line_num + 1
    except StopIteration:
        return
    except csv.Error as err:  # (the reader counts the lines it has taken)
        raise DataError(f"{path}, line {reader.line_num}: {err}") from err
    if header:
        names = first
        text_at, label_at, weight_at = columns_by_name(
            path, names, text_column, label_column, weight_column, require_label)
        width_of = "the header has"
    else:
        names = [str(k) for k in range(1, len(first) + 1)]
        text_at, label_at, weight_at = columns_by_number(
            path, len(first), text_column, label_column, weight_column)
        width_of = f"line {first_number} has"

    known: set[str] = set()  # labels found good: each distinct one is tested once

    def document(row: list[str], number: int) -> Document:
        if len(row) != len(names):
            raise DataError(f"{path}, line {number}: {len(row)} fields where {width_of} "
                            f"{len(names)}")
        doc_id = f"{path.name}:{number}"
        weight = None if weight_at is None else checked_weight(
            row[weight_at], f"{path}, line {number}, column {weight_column!r}")
        fields = dict(zip(names, row, strict=True)) if keep_fields else None
        if label_at is None:
            return Document(row[text_at], None, doc_id, weight, fields=fields)
        if label_sep is not None:
            parts = [part.strip() for part in row[label_at].split(label_sep)]
            labels = checked_label_list([part for part in parts if part],
                                        f"{path}, line {number}, column {label_column!r}")
            return labelled(row[text_at], labels, doc_id, weight, fields)
        label = row[label_at]
        if label not in known:
            known.add(checked_label(label, f"{path}, line {number}, column {label_column!r}"))
        return Document(row[text_at], label, doc_id, weight, fields=fields)

    if not header:
        yield document(first, first_number)
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if row:
                yield document(row, number)
    except csv.Error as err:
        raise DataError(f"{path}, line {reader.line_num}: {err}") from err


def checked_delimiter(delimiter: str | None) -> None:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in '"\r\n'):
        raise DataError(f"the delimiter must be one character other than a quote or a line "
                        f"break, got {delimiter!r} (--delimiter)")


def guessed_delimiter(sample: list[str], cut: bool, text_column: str | None) -> str:
    """The delimiter of the lines of ``sample``: one of :data:`GUESSED` whose header holds
    ``text_column``; else the one that splits every row into the same number (≥ 2) of
    fields, the most fields first; else a comma. ``cut``: the sample ends before the file
    does (its last row may be cut short)."""
    rows = {delimiter: sample_rows(sample, delimiter, cut) for delimiter in GUESSED}
    if text_column is not None:
        for delimiter in GUESSED:
            if rows[delimiter] and text_column in rows[delimiter][0]:
                return delimiter
    widths = {delimiter: len(found[0]) for delimiter, found in rows.items()
              if found and len(found[0]) > 1 and len({len(row) for row in found}) == 1}
    if not widths:
        return ","
    return max(GUESSED, key=lambda delimiter: (widths.get(delimiter, 0),
                                               -GUESSED.index(delimiter)))


def sample_rows(sample: list[str], delimiter: str, cut: bool) -> list[list[str]]:
    """The rows of ``sample`` split by ``delimiter``, blank ones left out; the last one too
    when the sample is ``cut`` (it may be cut short), and any from one the csv module cannot
    read on."""
    rows: list[list[str]] = []
    reader = csv.reader(sample, delimiter=delimiter)
    try:
        rows.extend(row for row in reader if row)
    except csv.Error:
        cut = True
    return rows[:-1] if cut and len(rows) > 1 else rows


def columns_by_name(path: object, header: list[str], text_column: Column,
                    label_column: Column | None, weight_column: Column | None,
                    require_label: bool) -> tuple[int, int | None, int | None]:
    """Where the text, label and weight columns are in ``header``; a column not there is
    a :class:`DataError` naming those that are."""
    def missing(column: Column, what: str, option: str) -> DataError:
        hint = f"name the {what} column with {option}"
        if len(header) == 1:
            inside = [c for c in ";|\t" if c in header[0]]
            if inside:
                hint += (f", or split the header's one column {header[0]!r} with --delimiter "
                         f"{inside[0]!r}" if inside[0] != "\t" else
                         f", or split the header's one column {header[0]!r} at its tabs "
                         "(--delimiter tab)")
        if str(column).isdigit():
            hint += "; with --no-header columns are named by number"
        return DataError(f"{path}: no column {column!r} in the header (columns: "
                         f"{shown_names(header)}); {hint}")

    if text_column not in header:
        raise missing(text_column, "text", "--text-field")
    label_at = header.index(label_column) if label_column in header else None
    if label_at is None and require_label:
        raise missing(label_column, "label", "--label-field")
    if weight_column is not None and weight_column not in header:
        raise missing(weight_column, "weight", "--weight-field")
    weight_at = None if weight_column is None else header.index(weight_column)
    return header.index(text_column), label_at, weight_at


def shown_names(names: list[str]) -> str:
    """Column names for a one-line message: each as it is, or quoted where it holds a line
    break or another character that does not print."""
    return ", ".join(name if name.isprintable() else repr(name) for name in names)


def columns_by_number(path: object, width: int, text_column: Column,
                      label_column: Column | None,
                      weight_column: Column | None) -> tuple[int, int | None, int | None]:
    """Where columns named by number (from 1) are in rows ``width`` fields wide."""
    def position(column: Column, what: str, option: str) -> int:
        text = str(column)
        if isinstance(column, bool) or not text.isdigit() or int(text) < 1:
            raise DataError(f"{path}: without a header (--no-header) columns are named by "
                            f"number, counted from 1: the {what} column {column!r} is not one "
                            f"({option} N)")
        if int(text) > width:
            raise DataError(f"{path}: no column {int(text)} (the {what} column, {option}): "
                            f"the first row has {width} field{'s' if width != 1 else ''}")
        return int(text) - 1

    return (position(text_column, "text", "--text-field"),
            None if label_column is None else position(label_column, "label",
                                                       "--label-field"),
            None if weight_column is None else position(weight_column, "weight",
                                                        "--weight-field"))
