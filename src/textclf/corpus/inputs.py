"""Documents to label: what ``textclf predict`` and ``textclf explain`` read.

Each INPUT gives one document per record, in order, as fastText's ``predict`` does:

* a corpus file in a format textclf reads (named by its extension, or ``--format``): JSONL,
  CSV/TSV, fastText lines, Parquet, Arrow: one document per record (its labels, if any,
  are not needed);
* a folder: one document per file below it (sorted, hidden ones skipped), its id the path;
* any other file (plain text): one document per line, as fastText reads it; with
  ``whole_files`` each such file is one document;
* ``-``: the lines of standard input;
* ``builtin:NAME``: a built-in corpus's test split (or ``split``).

Literal texts (``--text``) come first, then the INPUTs. A path that does not exist is an
error that names ``--text``, the way to give a text itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from textclf.corpus.documents import Document
from textclf.corpus.files import numbered_lines, read_document
from textclf.corpus.sources import FORMATS, detect_format, iter_documents, read_lines
from textclf.errors import DataError

STDIN = "-"
RECORD_FORMATS = ("jsonl", "csv", "tsv", "fasttext", "parquet", "arrow")  # one per record
INPUT_FORMATS = (*FORMATS, "lines")  # "lines": plain text, one document per line


@dataclass(frozen=True)
class InputOptions:
    """How INPUTs are read: the format (None: from each name), the text field or column
    (and the delimiter of CSV), whether a plain file is one document, whether the records'
    own fields are kept (for ``predict -o --keep-fields``), the split of a built-in corpus."""

    fmt: str | None = None
    text_field: str = "text"
    whole_files: bool = False
    keep_fields: bool = False
    split: str | None = None


def input_format(spec: str, options: InputOptions) -> str:
    """How to read ``spec``: its corpus format, ``folders``, or ``lines`` (plain text)."""
    if options.fmt is not None:
        if options.fmt not in INPUT_FORMATS:
            raise DataError(f"unknown format {options.fmt!r} (formats: "
                            f"{', '.join(INPUT_FORMATS)})")
        return options.fmt
    if spec.startswith("builtin:"):
        return "builtin"
    path = Path(spec)
    if path.is_dir():
        return "folders"
    if not path.exists():
        raise DataError(f"{spec}: no such file or folder (to label a text itself, give it with "
                        '--text "...")')
    try:
        return detect_format(spec)
    except DataError:  # a name and first line that tell no corpus format: plain text
        return "lines"


def iter_inputs(inputs: Sequence[str], texts: Iterable[str] = (),
                options: InputOptions = InputOptions()) -> Iterator[Document]:
    """The documents of ``texts`` (ids ``text:N``), then of each INPUT (see the module
    docstring), in order; no INPUT and no text: the lines of standard input."""
    texts = list(texts)
    for number, text in enumerate(texts, start=1):
        yield Document(text, None, f"text:{number}")
    if not inputs and not texts:
        inputs = [STDIN]
    for spec in inputs:
        yield from documents_of(str(spec), options)


def documents_of(spec: str, options: InputOptions) -> Iterator[Document]:
    """The documents of one INPUT."""
    if spec == STDIN:
        for number, line in enumerate(read_lines([]), start=1):
            yield Document(line, None, f"<stdin>:{number}")
        return
    fmt = input_format(spec, options)
    if fmt == "folders":
        yield from folder_documents(Path(spec))
    elif fmt == "lines" or (options.whole_files and fmt not in ("builtin", *RECORD_FORMATS)):
        yield from plain_documents(Path(spec), options.whole_files)
    elif fmt == "builtin":
        yield from iter_documents(spec, options.split or "test", fmt)
    elif fmt == "jsonl":
        from textclf.corpus.jsonlines import iter_jsonl  # (each reader when its format is read)

        yield from iter_jsonl(spec, options.text_field, "label", keep_fields=options.keep_fields)
    elif fmt in ("csv", "tsv"):  # (a .csv file's delimiter guessed)
        from textclf.corpus.delimited import iter_delimited

        yield from iter_delimited(spec, None if fmt == "csv" else "\t", options.text_field,
                                  keep_fields=options.keep_fields)
    elif fmt in ("parquet", "arrow"):
        from textclf.corpus.columnar import ColumnNames, iter_columnar

        yield from iter_columnar(spec, fmt, ColumnNames(options.text_field, None,
                                                        keep=options.keep_fields))
    else:
        from textclf.corpus.formats import iter_fasttext

        yield from iter_fasttext(spec, require_labels=False)


def plain_documents(path: Path, whole_file: bool) -> Iterator[Document]:
    """A plain text file: one document per line (ids ``NAME:LINE``), or the whole file."""
    if whole_file:
        yield Document(read_document(path), None, str(path))
        return
    for number, line in numbered_lines(path):
        yield Document(line, None, f"{path.name}:{number}")


def folder_documents(root: Path) -> Iterator[Document]:
    """Every file below ``root`` (sorted; hidden files and folders skipped) as one
    document, its id its path."""
    found = False
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                found = True
                path = Path(folder) / name
                yield Document(read_document(path), None, str(path))
    if not found:
        raise DataError(f"{root}: the folder holds no files to label")
