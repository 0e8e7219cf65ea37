"""Compiled kernels for :mod:`textclf.features.tokens`: the pieces of a text batch, as numbers.

After the C-speed ``str``/``bytes`` steps of :class:`textclf.features.tokens.Splitter`, a batch of
texts is one byte string in which a space (byte 32) is the only separator. The numpy path
then runs ``bytes.split()`` (one Python object per piece) and numbers the pieces with a
dict. :func:`number_pieces` does the same with no object per piece (one pass to count
the pieces, one to number them):

    raw[i] = d  ⇔  piece i equals the d-th distinct piece, distinct pieces numbered in
                   the order of their first occurrence,

using an open-addressing hash table (FNV-1a hash of the piece's bytes, linear probing,
at most half full). Only the distinct pieces become Python ``bytes`` afterwards.
:func:`expand_pieces` then writes out each position's token ids and document.
"""

from __future__ import annotations

import numpy as np

from textclf.core import jit

SPACE = 32
NEWLINE = 10  # separates the distinct pieces gathered for decoding (never in a piece)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@jit.kernel("(Array(uint8, 1, 'C', readonly=True), int64)", stage=0)
def number_pieces(data: np.ndarray, separator: int = SPACE) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """``(raw, starts, lengths)``: the distinct-piece number of every piece of ``data``
    (uint8; pieces are maximal runs of bytes other than ``separator``), and where each
    distinct piece first occurs."""
    n_bytes = len(data)
    n_pieces = 0
    inside = False
    for i in range(n_bytes):
        if data[i] != separator:
            if not inside:
                n_pieces += 1
            inside = True
        else:
            inside = False
    bits = 12  # the table grows (doubles) whenever it would be more than half full
    mask = (1 << bits) - 1
    table = np.empty(1 << bits, np.int64)  # slot -> distinct piece number
    table[:] = -1
    raw = np.empty(n_pieces, np.int64)
    starts = np.empty(n_pieces, np.int64)
    lengths = np.empty(n_pieces, np.int64)
    hashes = np.empty(n_pieces, np.uint64)
    n_distinct = 0
    piece = 0
    i = 0
    while i < n_bytes:
        if data[i] == separator:
            i += 1
            continue
        start = i
        h = _FNV_OFFSET
        while i < n_bytes and data[i] != separator:
            h = (h ^ np.uint64(data[i])) * _FNV_PRIME
            i += 1
        length = i - start
        slot = np.int64(h & np.uint64(mask))
        while True:
            d = table[slot]
            if d < 0:  # a new distinct piece
                table[slot] = n_distinct
                starts[n_distinct] = start
                lengths[n_distinct] = length
                hashes[n_distinct] = h
                d = n_distinct
                n_distinct += 1
                if 2 * n_distinct > mask:
                    bits += 1
                    mask = (1 << bits) - 1
                    table = np.empty(mask + 1, np.int64)
                    table[:] = -1
                    for e in range(n_distinct):  # re-insert every distinct piece
                        slot = np.int64(hashes[e] & np.uint64(mask))
                        while table[slot] >= 0:
                            slot = (slot + 1) & mask
                        table[slot] = e
                break
            if hashes[d] == h and lengths[d] == length:
                other = starts[d]
                same = True
                for k in range(length):
                    if data[other + k] != data[start + k]:
                        same = False
                        break
                if same:
                    break
            slot = (slot + 1) & mask
        raw[piece] = d
        piece += 1
    return raw, starts[:n_distinct].copy(), lengths[:n_distinct].copy()



@jit.kernel("(Array(uint8, 1, 'C', readonly=True), int64[::1], int64[::1], int64)", stage=0)
def joined_pieces(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                  separator: int) -> np.ndarray:
    """The pieces ``data[starts[u] : starts[u] + lengths[u]]``, in order, with the byte
    ``separator`` between them: one buffer, decoded in one call instead of one per piece."""
    n = len(starts)
    size = n - 1
    for u in range(n):
        size += lengths[u]
    out = np.empty(max(size, 0), np.uint8)
    at = 0
    for u in range(n):
        if u:
            out[at] = separator
            at += 1
        for k in range(lengths[u]):
            out[at + k] = data[starts[u] + k]
        at += lengths[u]
    return out


@jit.kernel("(int64[::1], boolean[::1], int64[::1], int64[::1], int64[::1])", stage=0)
def expand_pieces(raw: np.ndarray, is_mark: np.ndarray, lengths: np.ndarray,
                  starts: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(tok, doc)``: the token ids of the pieces in order, and each one's document.

    Piece number u stands for the tokens ``flat[starts[u] : starts[u] + lengths[u]]``;
    a marker piece (``is_mark[u]``) has none and moves on to the next document.
    """
    total = 0
    for p in range(len(raw)):
        total += lengths[raw[p]]
    tok = np.empty(total, np.int64)
    doc = np.empty(total, np.int64)
    at = 0
    d = 0
    for p in range(len(raw)):
        u = raw[p]
        if is_mark[u]:
            d += 1
            continue
        for k in range(lengths[u]):
            tok[at] = flat[starts[u] + k]
            doc[at] = d
            at += 1
    return tok, doc
