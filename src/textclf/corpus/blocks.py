"""A file's lines in blocks, read ahead by a thread of its own.

While the caller parses one block, the thread reads the next ones from the disk, a pipe or
a URL and un-gzips them (zlib lets go of the interpreter while it inflates, so the two run
at once). The lines and their numbers are those of
:func:`~textclf.corpus.decoding.numbered_lines`: split on the byte 10 (a carriage return
before it is kept), the last line with or without one, a UTF-8 byte order mark dropped and
a UTF-16/32 one refused; an error of reading comes after every whole line before it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from textclf.corpus.decoding import READ_ERRORS, first_line_bytes, open_binary
from textclf.corpus.locations import RemoteFile, StandardInput
from textclf.errors import DataError

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
