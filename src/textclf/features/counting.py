"""Word n-grams as integers: counting them per document without building their strings.

Tokens are integer ids t ∈ [0, V). An n-gram of length k ≥ 2 is identified by the id p of its
first k−1 tokens (an n-gram of length k−1) and its last token t, through one integer

    code = p · V + t,

so bigrams come from pairs of token ids with one vectorised multiply-add, trigrams from
(bigram id, token id) pairs, and so on; ``np.unique`` numbers the distinct codes of a level.
No n-gram string is made while counting; strings are made once, for the terms that are kept.

A corpus is counted in chunks (bounded memory, and one chunk per worker in parallel). Each
chunk numbers its tokens and n-grams on its own (:func:`count_chunk`);
:func:`merge_chunks` then maps every chunk's local ids to global ones, so the result does
not depend on how the corpus was cut into chunks or on which worker counted which chunk.

A document longer than :data:`PIECE_CHARACTERS` is counted in pieces cut at whitespace, so
that memory follows the piece, not the document (tokenising a text makes a Python string
per token, about 30 times the text). Each n-gram (of tokens or of characters) is counted
in the piece where it *ends*:

    counts(pᵢ) = count(cᵢ · pᵢ) − count(cᵢ)

where the context cᵢ is the text just before pᵢ, long enough to hold the n − 1 tokens (and
the characters) that an n-gram ending in pᵢ may begin in. The n-grams of cᵢ · pᵢ that lie
wholly in cᵢ are those of cᵢ alone, so the difference is exactly the n-grams ending in pᵢ,
and the sum over the pieces is the document's counts: the same row as counting it whole,
for every token pattern that matches no whitespace (the default and every pattern of
words) (:func:`counts_with_long_texts`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.core.sparse import count_matrix
from textclf.features.tokens import Splitter, Vocabulary
from textclf.kernels.ngrams import count_ngrams, number_codes
from textclf.kernels.pieces import joined_pieces, number_pieces

TOKEN_SEPARATOR = "\x00"  # joins a chunk's tokens into one string (one object, not many)


@dataclass
class LevelTable:
    """The distinct n-grams of one length k ≥ 2, as (prefix id, last token id) pairs."""

    prefix: np.ndarray  # int64: id of the first k−1 tokens at level k−1
    last: np.ndarray  # int64: id of the last token

    def __len__(self) -> int:
        return len(self.prefix)


def level_positions(prev: np.ndarray, tok: np.ndarray, doc: np.ndarray, k: int) -> np.ndarray:
    """Start positions i of the k-grams that lie in one document and are made of known
    tokens: the (k−1)-gram at i has an id (``prev[i] ≥ 0``) and so does token i+k−1."""
    m = len(tok) - k + 1
    if m <= 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero((prev[:m] >= 0) & (tok[k - 1 :] >= 0) & (doc[k - 1 :] == doc[:m]))


@dataclass
class ChunkCounts:
    """Counts of one chunk of documents over the chunk's own token and n-gram ids.

    Columns of ``X`` are the V tokens, then the level-2 n-grams, then level 3, ...
    """

    packed_tokens: str | list[str]  # the tokens, joined by TOKEN_SEPARATOR where possible
    levels: list[LevelTable]
    X: sp.csr_matrix  # counts (the smallest unsigned dtype that holds them), docs × columns

    @property
    def tokens(self) -> list[str]:
        if isinstance(self.packed_tokens, list):
            return self.packed_tokens
        return self.packed_tokens.split(TOKEN_SEPARATOR) if self.packed_tokens else []


def count_chunk(texts: Sequence[str], splitter: Splitter, ngrams: int) -> ChunkCounts:
    """Count every token and n-gram (n ≤ ``ngrams``) of each text, with local ids (the
    tokens are those of ``splitter.encode``: words, or the characters of
    :class:`~textclf.features.tokens.CharSplitter`)."""
    vocabulary = Vocabulary(grow=True)
    tok, doc = splitter.encode(texts, vocabulary)  # word tokens, or characters
    V = len(vocabulary)
    if jit.enabled() and len(tok) * max(ngrams, 1) < 2**31:  # (the kernels count in int32)
        # the same counts, compiled (textclf.kernels.ngrams): each level's n-grams numbered
        # in the order of their first occurrence, not of their codes (the merge numbers
        # them anew, and the vocabulary's alphabetical order makes X's columns the same)
        flat, sizes, indptr, indices, counts = count_ngrams(tok, doc, V, ngrams, len(texts))
        codes = np.split(flat, np.cumsum(sizes)[:-1]) if len(sizes) else []
        del tok, doc, flat
        offset = V + int(sum(len(c) for c in codes))
        levels = [LevelTable((c // max(V, 1)).astype(np.int32), (c % max(V, 1)).astype(np.int32))
                  for c in codes]
        X = sp.csr_matrix((counts, indices, indptr), shape=(len(texts), offset))
        X.has_sorted_indices = False  # columns in order of first occurrence
        return packed_counts(vocabulary, levels, X)
    known = tok >= 0  # −1: a break between character runs, or a token a fixed vocabulary lacks
    columns, rows = [tok[known]], [doc[known]]
    levels: list[LevelTable] = []
    offset, prev = V, tok
    for k in range(2, ngrams + 1):
        starts = level_positions(prev, tok, doc, k)
        code = prev[starts] * V + tok[starts + k - 1]
        distinct, inverse = np.unique(code, return_inverse=True)
        levels.append(LevelTable((distinct // max(V, 1)).astype(np.int32),
                                 (distinct % max(V, 1)).astype(np.int32)))
        columns.append(inverse + offset)
        rows.append(doc[starts])
        current = np.full(max(len(tok) - k + 1, 0), -1, np.int64)
        current[starts] = inverse
        offset, prev = offset + len(distinct), current
    X = count_matrix(np.concatenate(rows), np.concatenate(columns), (len(texts), offset))
    del rows, columns, tok, doc, prev
    return packed_counts(vocabulary, levels, X)


def packed_counts(vocabulary: Vocabulary, levels: list[LevelTable],
                  X: sp.csr_matrix) -> ChunkCounts:
    """The chunk's counts in the smallest unsigned dtype, its tokens packed in a string."""
    top = X.data.max(initial=0)
    X.data = X.data.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32)
    tokens = vocabulary.tokens()
    packed = TOKEN_SEPARATOR.join(tokens)
    if packed.count(TOKEN_SEPARATOR) != max(len(tokens) - 1, 0) or (tokens and not packed):
        packed = tokens  # a token holds the separator, or "" is the only token: the list
    return ChunkCounts(packed_tokens=packed, levels=levels, X=X)

# merging ------------------------------------------------------------------------------
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

# pieces -------------------------------------------------------------------------------
PIECE_CHARACTERS = 1 << 20  # a document longer than this is counted in pieces of about it
FIRST_CONTEXT = 256  # characters of context tried first (doubled until it holds enough)
WHITESPACE = re.compile(r"\s")


def longest(texts: Sequence) -> int:
    """The length of the longest string of ``texts`` (0 for none; others do not count)."""
    return max((len(t) for t in texts if isinstance(t, str)), default=0)


def cuts(text: str, size: int = PIECE_CHARACTERS) -> list[int]:
    """Where the pieces of ``text`` start: 0, then the first whitespace at or after each
    multiple of ``size`` past the previous cut (a text without whitespace is one piece)."""
    starts = [0]
    while len(text) - starts[-1] > size:
        space = WHITESPACE.search(text, starts[-1] + size)
        if space is None:
            break
        starts.append(space.start())
    return starts


def context_start(text: str, start: int, holds: Callable[[str], bool]) -> int:
    """Where the context of the piece starting at ``start`` begins: at a whitespace, far
    enough back that ``holds(text[begin:start])`` (or at the start of the text)."""
    reach = FIRST_CONTEXT
    while start > reach:
        space = WHITESPACE.search(text, start - reach, start)
        if space is not None and holds(text[space.start():start]):
            return space.start()
        reach *= 2
    return 0


def counted_in_pieces(text: str, count: Callable[[list[str]], sp.csr_matrix],
                      holds: Callable[[str], bool],
                      size: int = PIECE_CHARACTERS) -> sp.csr_matrix:
    """The counts row of one long ``text``: Σᵢ count(cᵢ · pᵢ) − count(cᵢ) over its pieces
    (see the module docstring). ``count`` maps texts to their rows of counts; ``holds``
    says whether a context holds the tokens and characters an n-gram may reach back."""
    starts = cuts(text, size)
    ends = [*starts[1:], len(text)]
    total = None
    for start, end in zip(starts, ends, strict=True):
        begin = context_start(text, start, holds) if start else start
        rows = count([text[begin:end], text[begin:start]])
        piece = (rows[0] - rows[1]).tocsr()
        total = piece if total is None else total + piece
    total.eliminate_zeros()
    return total


def counts_with_long_texts(texts: Sequence[str], count: Callable[[list[str]], sp.csr_matrix],
                           holds: Callable[[str], bool],
                           size: int = PIECE_CHARACTERS) -> sp.csr_matrix:
    """``count(texts)``, with each text longer than ``size`` counted in pieces and the
    others together, in runs (rows in the order of ``texts``)."""
    rows: list[sp.csr_matrix] = []
    run: list[str] = []
    for text in texts:
        if isinstance(text, str) and len(text) > size:
            if run:
                rows.append(count(run))
                run = []
            rows.append(counted_in_pieces(text, count, holds, size))
        else:
            run.append(text)
    if run:
        rows.append(count(run))
    return sp.vstack(rows, format="csr") if len(rows) > 1 else rows[0]
