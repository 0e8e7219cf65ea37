"""Merging the chunks' counts: each chunk's local token and n-gram ids mapped to global ids."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from textclf.core import jit
from textclf.features.counting import TOKEN_SEPARATOR, ChunkCounts, LevelTable
from textclf.features.splitter import Vocabulary
from textclf.kernels.ngrams import number_codes
from textclf.kernels.pieces import joined_pieces, number_pieces

SEPARATOR_BYTE = ord(TOKEN_SEPARATOR)


@dataclass
class Merged:
    """Global ids of all chunks' tokens and n-grams, and each chunk's column map."""

    tokens: list[str]
    levels: list[LevelTable]
    column_maps: list[np.ndarray]  # per chunk: local column -> global column

    @property
    def n_columns(self) -> int:
        return len(self.tokens) + sum(len(level) for level in self.levels)

    def token_matrix(self, columns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of the global ``columns`` (default: all), padded with −1, and each
        column's length: row r of T spells column ``columns[r]``, token by token.

        A level-k column's last token is its table's ``last``; its first k−1 tokens are
        those of its ``prefix`` one level down, followed down to the tokens.
        """
        n = len(self.levels) + 1
        V = len(self.tokens)
        if columns is None:
            columns = np.arange(self.n_columns)
        starts = np.cumsum([0, V, *map(len, self.levels)])
        level_of = np.searchsorted(starts, columns, side="right") - 1  # 0: a token
        T = np.full((len(columns), n), -1, np.int32)
        length = (level_of + 1).astype(np.min_scalar_type(n))  # uint8 up to 255 tokens
        unigram = level_of == 0
        T[unigram, 0] = columns[unigram]
        for k in range(2, n + 1):
            rows = np.flatnonzero(level_of == k - 1)
            ids = columns[rows] - starts[k - 1]  # ids within level k
            for position in range(k - 1, 0, -1):  # last token first, then the prefixes'
                level = self.levels[position - 1]
                T[rows, position] = level.last[ids]
                ids = level.prefix[ids]
            T[rows, 0] = ids  # the first token
        return T, length


def merge_chunks(chunks: Sequence[ChunkCounts], threads: int = 1) -> Merged:
    """Map each chunk's local token and n-gram ids to ids shared by all chunks.

    Ids depend only on the chunks' contents and order, so the result does not depend on
    which worker counted what.
    The compiled path numbers each level's codes by first occurrence (a hash table); the
    numpy path sorts them and looks each chunk's up by binary search, on ``threads``
    threads (numpy's search runs without the GIL). The two number n-grams differently;
    the vocabulary's alphabetical order makes the final columns the same.
    """
    tokens, token_maps = merged_tokens(chunks)
    V = len(tokens)
    n_levels = len(chunks[0].levels) if chunks else 0
    level_maps: list[list[np.ndarray]] = [token_maps]
    levels: list[LevelTable] = []
    for k in range(n_levels):
        below = level_maps[-1]
        codes = [
            below[c][chunk.levels[k].prefix].astype(np.int64) * V
            + token_maps[c][chunk.levels[k].last]
            for c, chunk in enumerate(chunks)
        ]
        for chunk in chunks:
            chunk.levels[k] = None  # type: ignore[call-overload]  # no longer needed
        if jit.enabled() and sum(map(len, codes)) < 2**31:
            # ids in the order of first occurrence, by a hash table (one compiled pass)
            ids, distinct = number_codes(np.concatenate(codes))
            level_maps.append(np.split(ids, np.cumsum([len(c) for c in codes])[:-1]))
            id_type = np.int32
        else:
            # distinct codes by an in-place sort (np.unique would hold several copies)
            distinct = np.concatenate(codes)
            distinct.sort()
            if len(distinct):
                distinct = distinct[np.concatenate([[True], distinct[1:] != distinct[:-1]])]
            id_type = np.int32 if len(distinct) < 2**31 and V < 2**31 else np.int64
            with ThreadPoolExecutor(max(threads, 1)) as pool:
                level_maps.append([ids.astype(id_type) for ids in
                                   pool.map(distinct.searchsorted, codes)])
        levels.append(LevelTable((distinct // max(V, 1)).astype(id_type),
                                 (distinct % max(V, 1)).astype(id_type)))
        del codes
    offsets = np.cumsum([0, V, *map(len, levels)])
    column_maps = [
        np.concatenate([level_maps[k][c] + offsets[k] for k in range(n_levels + 1)]).astype(
            np.int32 if offsets[-1] < 2**31 else np.int64)
        for c in range(len(chunks))
    ]
    return Merged(tokens=tokens, levels=levels, column_maps=column_maps)


def merged_tokens(chunks: Sequence[ChunkCounts]) -> tuple[list[str], list[np.ndarray]]:
    """All chunks' tokens, each once in the order of first occurrence (chunk by chunk),
    and each chunk's map from its token ids to theirs.

    With the compiled kernels, the chunks' packed token strings are numbered as one byte
    string by :func:`~textclf.kernels.pieces.number_pieces` (the same numbering as a dict,
    with no Python object per token); a dict does it otherwise, or where a token is empty
    or holds the separator.
    """
    packed = [chunk.packed_tokens for chunk in chunks]
    if jit.enabled() and all(isinstance(p, str) for p in packed):
        sizes = [p.count(TOKEN_SEPARATOR) + 1 if p else 0 for p in packed]
        data = TOKEN_SEPARATOR.join(p for p in packed if p).encode("utf-8", "surrogatepass")
        raw, starts, lengths = number_pieces(np.frombuffer(data, np.uint8), SEPARATOR_BYTE)
        if len(raw) == sum(sizes):  # no empty token (it would have no piece)
            distinct = joined_pieces(np.frombuffer(data, np.uint8), starts, lengths,
                                     SEPARATOR_BYTE)
            tokens = distinct.tobytes().decode("utf-8", "surrogatepass").split(TOKEN_SEPARATOR)
            return tokens, np.split(raw, np.cumsum(sizes)[:-1])
    vocabulary = Vocabulary(grow=True)
    token_maps = [vocabulary.lookup(chunk.tokens) for chunk in chunks]
    return vocabulary.tokens(), token_maps
