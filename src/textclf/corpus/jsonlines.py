"""JSON lines, ``{"text": ..., "label": ...}`` per line, read fast and exactly.

A file is read in blocks of lines (:func:`line_blocks`, at the end: a thread reads and
un-gzips ahead, zlib letting go of the interpreter while it inflates). Each block is parsed by
a fast JSON library when one is installed (msgspec; else the standard ``json`` module) and
its labels, texts and weights are tested a block at a time: the type of every value in one
pass, each distinct label once. A block where anything is not plainly right (a line that is
not JSON, a missing field, a label of the wrong type, a number beyond what ``json`` reads,
bytes that are not UTF-8) is read again line by line by :func:`record_document`, the reader
that says what is wrong: the documents, their ids and every message are the same on either
path, with or without the fast library.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import IO

import numpy as np

from textclf.corpus.documents import (
    Batch,
    Document,
    checked_label,
    checked_label_list,
    checked_weight,
    first_refused_weight,
    label_columns,
    labelled,
)
from textclf.corpus.files import (
    READ_ERRORS,
    RemoteFile,
    StandardInput,
    decode,
    file_path,
    first_line_bytes,
    open_binary,
)
from textclf.errors import DataError

# A line nested deeper than this is read by the standard json module alone: how deep it
# may go depends on the stack of the thread that reads it.
MAX_OPENERS = 200
MISSING = object()  # a field a record does not have


@dataclass(frozen=True)
class JsonFields:
    """Which fields of a record hold the text, the label(s) and the weight; whether the
    record itself is kept (as :attr:`Document.fields`)."""

    text: str = "text"
    label: str = "label"
    weight: str | None = None
    keep: bool = False


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
    for batch in jsonl_batches(path, JsonFields(text_field, label_field, weight_field,
                                                keep_fields)):
        yield from batch.documents()


def jsonl_batches(path: str | Path | RemoteFile | StandardInput,
                  fields: JsonFields = JsonFields()) -> Iterator[Batch]:
    """The documents of :func:`iter_jsonl` in batches, a block of lines each."""
    path = file_path(path)
    parse = block_parser(path, fields)
    for block in line_blocks(path):
        batch = parse(block)
        if batch is not None:
            yield batch
            continue
        docs: list[Document] = []
        try:
            for number, raw in zip(block.numbers, block.lines, strict=True):
                line = decode(raw, f"{path}, line {number}").rstrip("\r\n")
                doc = record_document(line, number, path, fields)
                if doc is not None:
                    docs.append(doc)
        except DataError:  # the documents before a bad record come first, as they did
            if docs:
                yield Batch.of(docs)
            raise
        if docs:
            yield Batch.of(docs)


def record_document(line: str, number: int, path: Path | RemoteFile | StandardInput,
                    fields: JsonFields) -> Document | None:
    """The document of one line (None for a blank one); a bad record is a
    :class:`DataError` that names the file, the line and what is wrong."""
    if not line.strip():
        return None
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
    text = record.get(fields.text)
    if not isinstance(text, str):
        raise DataError(
            f"{where}: field {fields.text!r} "
            + ("is missing" if text is None else "is not a string")
        )
    field = label_field_of(record, fields.label)
    label = record.get(field)
    weight = None
    if fields.weight is not None:
        if fields.weight not in record:
            raise DataError(f"{where}: field {fields.weight!r} (the weight) is missing")
        weight = checked_weight(record[fields.weight], f"{where}, field {fields.weight!r}")
    kept = record if fields.keep else None
    if isinstance(label, list):
        labels = checked_label_list(label, f"{where}, field {field!r}")
        return labelled(text, labels, f"{path.name}:{number}", weight, kept)
    label = None if label is None else checked_label(label, f"{where}, field {field!r}")
    return Document(text, label, f"{path.name}:{number}", weight, fields=kept)


def label_field_of(record: dict, label_field: str) -> str:
    """The field a record's label is read from: ``"labels"`` where the default ``"label"``
    is missing."""
    if label_field == "label" and label_field not in record and "labels" in record:
        return "labels"
    return label_field


@cache
def fast_decoder() -> Callable[[bytes], object] | None:
    """msgspec's JSON decoder (to dicts, lists, str, int, float, bool, None), if installed."""
    try:
        import msgspec
    except ImportError:
        return None
    return msgspec.json.Decoder().decode


def standard_decode(raw: bytes) -> object:
    return json.loads(raw.decode("utf-8"))


def block_parser(path: Path | RemoteFile | StandardInput,
                 fields: JsonFields) -> Callable[[LineBlock], Batch | None]:
    """A function from a block of lines to its batch, or None where a line needs
    :func:`record_document` (a bad or unusual record)."""
    decode_line = fast_decoder() or standard_decode
    prefix = f"{path.name}:"

    def parse(block: LineBlock) -> Batch | None:
        try:
            return block_batch(block, decode_line, prefix, fields)
        except Exception:  # (whatever it is, the exact reader says what is wrong)
            return None

    return parse


def block_batch(block: LineBlock, decode_line: Callable[[bytes], object], prefix: str,
                fields: JsonFields) -> Batch | None:
    """The batch of ``block`` when every line is a plainly valid record, else None."""
    lines, numbers = block.lines, block.numbers
    if b"" in lines or b"\r" in lines:  # blank lines hold no record
        kept = [(n, line) for n, line in zip(numbers, lines, strict=True)
                if line not in (b"", b"\r")]
        numbers, lines = [n for n, _ in kept], [line for _, line in kept]
    n = len(lines)
    if n == 0:
        return Batch([], [], [])
    if block.openers - (n - 1) > MAX_OPENERS and \
            max(line.count(b"[") + line.count(b"{") for line in lines) > MAX_OPENERS:
        return None
    records = list(map(decode_line, lines))
    if set(map(type, records)) != {dict}:
        return None
    texts = list(map(dict.get, records, repeat(fields.text, n)))
    if set(map(type, texts)) != {str}:
        return None
    raw_labels = list(map(dict.get, records, repeat(fields.label, n), repeat(MISSING, n)))
    if MISSING in raw_labels:
        raw_labels = [value if value is not MISSING
                      else record.get(label_field_of(record, fields.label))
                      for record, value in zip(records, raw_labels, strict=True)]
    columns = label_columns(raw_labels)
    if columns is None:
        return None
    weights = None
    if fields.weight is not None:
        weights = weight_column(list(map(dict.get, records, repeat(fields.weight, n),
                                         repeat(MISSING, n))))
        if weights is None:
            return None
    ids = [f"{prefix}{number}" for number in numbers]
    return Batch(texts, columns[0], ids, weights, columns[1],
                 records if fields.keep else None)


def weight_column(values: list) -> list[float] | None:
    """The weights, each a finite number ≥ 0 (tested all at once), or None."""
    if not set(map(type, values)) <= {int, float}:
        return None
    weights = list(map(float, values))  # (an int beyond any float: OverflowError, refused)
    refused = first_refused_weight(np.asarray(weights, dtype=np.float64))
    return weights if refused is None else None

# a file's lines in blocks, read ahead ------------------------------------------------
BLOCK_BYTES = 1 << 18  # bytes read at once: some five hundred lines of a corpus
BLOCKS_AHEAD = 2  # blocks the thread may read before the caller takes them
END = object()  # what the thread sends after the last block


@dataclass(frozen=True)
class LineBlock:
    """Consecutive lines of a file (bytes, without their line end ``\\n``), the first
    numbered ``first`` (from 1); ``openers``: how many ``[`` and ``{`` they hold in all."""

    first: int
    lines: list[bytes]
    openers: int

    @property
    def numbers(self) -> range:
        return range(self.first, self.first + len(self.lines))


def line_blocks(path: Path | RemoteFile | StandardInput,
                block_bytes: int | None = None) -> Iterator[LineBlock]:
    """The lines of ``path`` block by block of about ``block_bytes`` (default
    :data:`BLOCK_BYTES`; see the module docstring); a file that cannot be opened is a
    :class:`DataError` at once, one that cannot be read to its end a :class:`DataError`
    after the blocks before."""
    block_bytes = block_bytes or BLOCK_BYTES
    handle = open_binary(path)
    items: queue.Queue = queue.Queue(maxsize=BLOCKS_AHEAD)
    stop = threading.Event()
    thread = threading.Thread(target=read_blocks, args=(path, handle, block_bytes, items, stop),
                              name=f"textclf-read {path}", daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not END:
            if isinstance(item, BaseException):
                if isinstance(item, READ_ERRORS):
                    raise DataError(f"{path}: cannot be read to the end ({item})") from item
                raise item
            yield item
    finally:
        stop.set()  # (a thread waiting to hand over a block sees it within 0.05 s)
        # a pipe may wait for bytes that never come: leave its thread be
        thread.join(timeout=1.0 if isinstance(path, StandardInput) else None)
        if not thread.is_alive():
            handle.close()


def read_blocks(path: Path | RemoteFile | StandardInput, handle: IO[bytes], block_bytes: int,
                items: queue.Queue, stop: threading.Event) -> None:
    """The thread's work: hand ``handle``'s lines to ``items`` block by block, then END (or
    the error that stopped it)."""

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    # one call of read1 is one read of the disk or one inflated piece: the bytes before
    # an error have all been handed over when it comes
    read = getattr(handle, "read1", None) or handle.read
    rest, number = b"", 1
    try:
        while data := read(block_bytes):
            chunk = rest + data
            cut = chunk.rfind(b"\n")
            if cut < 0:
                rest = chunk
                continue
            openers = chunk.count(b"[", 0, cut) + chunk.count(b"{", 0, cut)
            lines = chunk[:cut].split(b"\n")
            rest = chunk[cut + 1:]
            if not hand_over(numbered_block(path, number, lines, openers)):
                return
            number += len(lines)
        if rest:
            openers = rest.count(b"[") + rest.count(b"{")
            if not hand_over(numbered_block(path, number, [rest], openers)):
                return
        hand_over(END)
    except BaseException as err:  # raised again by the reader, in its own thread
        hand_over(err)


def numbered_block(path: Path | RemoteFile | StandardInput, first: int, lines: list[bytes],
                   openers: int) -> LineBlock:
    if first == 1:
        lines[0] = first_line_bytes(path, lines[0])
    return LineBlock(first, lines, openers)
