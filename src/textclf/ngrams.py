"""Word n-grams as integers: counting them per document without building their strings.

Tokens are integer ids t ∈ [0, V). An n-gram of length k ≥ 2 is identified by the id p of its
first k−1 tokens (an n-gram of length k−1) and its last token t, through one integer

    code = p · V + t,

so bigrams come from pairs of token ids with one vectorised multiply-add, trigrams from
(bigram id, token id) pairs, and so on; ``np.unique`` numbers the distinct codes of a level.
No n-gram string is made while counting; strings are made once, for the terms that are kept.

A corpus is counted in chunks (bounded memory, and one chunk per process in parallel). Each
chunk numbers its tokens and n-grams on its own (:func:`count_chunk`); :func:`merge_chunks`
then maps every chunk's local ids to global ones, so the result does not depend on how the
corpus was cut into chunks or on which process counted which chunk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf import jit
from textclf.errors import SettingsError
from textclf.ngram_kernels import count_ngrams, number_codes
from textclf.piece_kernels import joined_pieces, number_pieces
from textclf.tokenids import Splitter, Vocabulary, _ranks_within, encode

CHUNK_CHARACTERS = 2_000_000  # characters of text per chunk: bounds the temporary memory
_SEPARATOR = "\x00"  # joins a chunk's tokens into one string (one object, not thousands)
_SEPARATOR_BYTE = ord(_SEPARATOR)


def chunks_of(texts: Iterable[str], characters: int | None = None) -> Iterator[list[str]]:
    """Consecutive lists of texts holding about ``characters`` characters each
    (default :data:`CHUNK_CHARACTERS`)."""
    characters = characters or CHUNK_CHARACTERS
    if isinstance(texts, list | tuple):
        try:
            ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)
        except TypeError:  # not all strings: the tokenizer names the bad document
            ends = np.arange(1, len(texts) + 1)
        start = 0
        while start < len(texts):
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + characters, side="left")) + 1
            yield list(texts[start:stop])
            start = stop
        return
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text) + 1 if isinstance(text, str) else 1
        if size >= characters:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


@dataclass
class LevelTable:
    """The distinct n-grams of one length k ≥ 2, as (prefix id, last token id) pairs."""

    prefix: np.ndarray  # int64: id of the first k−1 tokens at level k−1
    last: np.ndarray  # int64: id of the last token

    def __len__(self) -> int:
        return len(self.prefix)


def _level_positions(prev: np.ndarray, tok: np.ndarray, doc: np.ndarray, k: int) -> np.ndarray:
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

    packed_tokens: str | list[str]  # the tokens, joined by _SEPARATOR where possible
    levels: list[LevelTable]
    X: sp.csr_matrix  # counts (the smallest unsigned dtype that holds them), docs × columns

    @property
    def tokens(self) -> list[str]:
        if isinstance(self.packed_tokens, list):
            return self.packed_tokens
        return self.packed_tokens.split(_SEPARATOR) if self.packed_tokens else []


def count_chunk(texts: Sequence[str], splitter: Splitter, ngrams: int) -> ChunkCounts:
    """Count every token and n-gram (n ≤ ``ngrams``) of each text, with local ids."""
    vocabulary = Vocabulary(grow=True)
    tok, doc = encode(texts, splitter, vocabulary)
    V = len(vocabulary)
    if jit.enabled() and len(tok) * max(ngrams, 1) < 2**31:  # (the kernels count in int32)
        # the same ids and counts, compiled (textclf.ngram_kernels)
        codes, indptr, indices, counts = count_ngrams(tok, doc, V, ngrams, len(texts))
        del tok, doc
        # renumber each level by increasing code, as np.unique does (merge_chunks is faster
        # on ordered codes)
        new_column = [np.arange(V)]
        offset, below = V, None
        for k, level_codes in enumerate(codes):
            if below is not None:  # the prefixes are ids of the level below: renumbered too
                level_codes = below[level_codes // max(V, 1)] * V + level_codes % max(V, 1)
            order = np.argsort(level_codes)
            codes[k] = level_codes[order]
            below = np.empty(len(order), np.int64)
            below[order] = np.arange(len(order))
            new_column.append(below + offset)
            offset += len(order)
        if codes:
            indices = np.concatenate(new_column).astype(np.int32)[indices]
        levels = [LevelTable((c // max(V, 1)).astype(np.int32), (c % max(V, 1)).astype(np.int32))
                  for c in codes]
        X = sp.csr_matrix((counts, indices, indptr), shape=(len(texts), offset))
        X.has_sorted_indices = False  # columns in order of first occurrence
        return _chunk_counts(vocabulary, levels, X)
    columns, rows = [tok], [doc]
    levels: list[LevelTable] = []
    offset, prev = V, tok
    for k in range(2, ngrams + 1):
        starts = _level_positions(prev, tok, doc, k)
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
    return _chunk_counts(vocabulary, levels, X)


def _chunk_counts(vocabulary: Vocabulary, levels: list[LevelTable],
                  X: sp.csr_matrix) -> ChunkCounts:
    """The chunk's counts in the smallest unsigned dtype, its tokens packed in a string."""
    top = X.data.max(initial=0)
    X.data = X.data.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32)
    tokens = vocabulary.tokens()
    packed = _SEPARATOR.join(tokens)
    if packed.count(_SEPARATOR) != max(len(tokens) - 1, 0) or (tokens and not packed):
        packed = tokens  # a token holds the separator, or "" is the only token: the list
    return ChunkCounts(packed_tokens=packed, levels=levels, X=X)


def count_matrix(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR matrix of how often each (row, column) pair occurs, int32, indices sorted.

    Needs ``rows`` non-decreasing within each column (true when the pairs come level by
    level in text order). Then two counting sorts, O(nnz), replace sorting inside rows:
    to CSC (stable: each column's rows stay in order, repeats side by side, summed), and
    back to CSR, which leaves every row's columns in increasing order.
    """
    X = sp.csc_matrix(
        (np.ones(len(rows), np.int32), (rows.astype(np.int32), columns.astype(np.int32))),
        shape=shape,
    )
    X.has_sorted_indices = True  # rows ascending within each column, as required
    X.sum_duplicates()
    X = X.tocsr()  # a counting sort by row: columns ascending within each row
    X.has_sorted_indices = True
    return X


def reorder_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with the column indices of each row in increasing order.

    Transposing by counting sort (CSR → CSC → CSR) is O(nnz + shape) where
    ``sort_indices`` sorts every row; both give the same matrix.
    """
    if X.nnz == 0:
        return X
    X = X.tocsc().tocsr()
    X.has_sorted_indices = True
    return X


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
    tokens, token_maps = _merged_tokens(chunks)
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


def _merged_tokens(chunks: Sequence[ChunkCounts]) -> tuple[list[str], list[np.ndarray]]:
    """All chunks' tokens, each once in the order of first occurrence (chunk by chunk),
    and each chunk's map from its token ids to theirs.

    With the compiled kernels, the chunks' packed token strings are numbered as one byte
    string by :func:`~textclf.piece_kernels.number_pieces` (the same numbering as a dict,
    with no Python object per token); a dict does it otherwise, or where a token is empty
    or holds the separator.
    """
    packed = [chunk.packed_tokens for chunk in chunks]
    if jit.enabled() and all(isinstance(p, str) for p in packed):
        sizes = [p.count(_SEPARATOR) + 1 if p else 0 for p in packed]
        data = _SEPARATOR.join(p for p in packed if p).encode("utf-8", "surrogatepass")
        raw, starts, lengths = number_pieces(np.frombuffer(data, np.uint8), _SEPARATOR_BYTE)
        if len(raw) == sum(sizes):  # no empty token (it would have no piece)
            distinct = joined_pieces(np.frombuffer(data, np.uint8), starts, lengths,
                                     _SEPARATOR_BYTE)
            tokens = distinct.tobytes().decode("utf-8", "surrogatepass").split(_SEPARATOR)
            return tokens, np.split(raw, np.cumsum(sizes)[:-1])
    vocabulary = Vocabulary(grow=True)
    token_maps = [vocabulary.lookup(chunk.tokens) for chunk in chunks]
    return vocabulary.tokens(), token_maps


def alphabetical_order(tokens: Sequence[str], T: np.ndarray) -> np.ndarray:
    """Order of the rows of the token matrix ``T`` by their n-gram strings.

    Tokens hold no space and every token character sorts after the space, so comparing
    the strings ``" ".join(tokens)`` is comparing the token tuples, token by token, a
    shorter n-gram first when it is a prefix of a longer one. That is a sort on the
    tokens' alphabetical ranks, the padding −1 first: one integer key per row when the
    ranks fit in 63 bits, else ``np.lexsort``.
    """
    V = len(tokens)
    rank = np.empty(V + 1, np.int64)
    rank[sorted(range(V), key=tokens.__getitem__)] = np.arange(V)
    rank[-1] = -1  # T's padding −1 indexes this last slot
    R = rank[T] + 1  # 0 = padding, 1..V = tokens
    if (V + 1) ** R.shape[1] < 2**63:
        key = np.zeros(len(R), np.int64)
        for k in range(R.shape[1]):
            key = key * (V + 1) + R[:, k]
        return np.argsort(key, kind="stable")
    return np.lexsort(R.T[::-1])


def term_strings(tokens: Sequence[str], T: np.ndarray, length: np.ndarray) -> list[str]:
    """``" ".join`` of each row's tokens: the readable names of the columns."""
    pick = list(tokens).__getitem__
    out = np.empty(len(T), object)
    for k in range(1, T.shape[1] + 1):  # the rows of k tokens, joined by C-level map
        rows = np.flatnonzero(length == k)
        columns = [map(pick, T[rows, position].tolist()) for position in range(k)]
        names = columns[0] if k == 1 else map(" ".join, zip(*columns, strict=True))
        out[rows] = list(names)
    return out.tolist()


class TermNames(Sequence):
    """The terms (column names) of a fitted vocabulary, spelled out when asked for.

    Term j is ``" ".join(tokens[T[j, i]] for i < length[j])``. The token list is kept for
    ``transform`` anyway; for news20's 400,000 uni- and bigrams, T and the lengths add
    3.5 MiB where as many Python strings took 23 MiB, and no string is made during a fit
    that does not need one. It compares equal to a list of the same terms. Once all the
    terms are asked for (iteration, ``in``, ``tolist()``, saving), the list is kept, so
    repeated look-ups cost what they cost on a list.
    """

    def __init__(self, tokens: list[str], T: np.ndarray, length: np.ndarray):
        self.tokens, self.T, self.length = tokens, T, length
        self._spelled: list[str] | None = None

    def __len__(self) -> int:
        return len(self.T)

    def __getitem__(self, j):
        if isinstance(j, slice):
            rows = np.arange(len(self))[j]
            return term_strings(self.tokens, self.T[rows], self.length[rows])
        if not -len(self) <= j < len(self):
            raise IndexError(f"term {j} of {len(self)}")
        if self._spelled is not None:
            return self._spelled[j]
        row = self.T[j]
        return " ".join(self.tokens[t] for t in row[: self.length[j]].tolist())

    def _all(self) -> list[str]:
        if self._spelled is None:  # spelled in one vectorised pass, then kept
            self._spelled = term_strings(self.tokens, self.T, self.length)
        return self._spelled

    def tolist(self) -> list[str]:
        """All the terms as strings (a new list)."""
        return list(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __contains__(self, term) -> bool:
        return term in self._all()

    def index(self, term: str, *args) -> int:
        return self._all().index(term, *args)

    def __eq__(self, other) -> bool:
        if isinstance(other, TermNames | list):  # like a list: a tuple is not equal
            return len(self) == len(other) and self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def __repr__(self) -> str:
        shown = ", ".join(map(repr, self[:3]))
        return f"TermNames([{shown}{', ...' if len(self) > 3 else ''}], {len(self)} terms)"


class IntTable:
    """A hash table from non-negative int64 keys to int64 values, looked up vectorised.

    Open addressing with linear probing in a table of 2^b ≥ 2·n slots: a key starts at
    slot h(key) = (key · φ mod 2^64) >> (64 − b) and moves one slot on while it finds
    another key. A lookup follows the same path for all queries at once, round by round;
    with the table at most half full a round settles most of the queries that remain.
    For random codes this is several times faster than a binary search (``searchsorted``).
    """

    _PHI = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        keys = np.asarray(keys, np.int64)
        self.bits = max(int(2 * len(keys)).bit_length(), 4)
        size = 1 << self.bits
        self.keys = np.full(size, -1, np.int64)
        self.values = np.full(size, -1, np.int64)
        slot = self._home(keys)
        pending = np.arange(len(keys))
        while len(pending):
            # among keys aiming at the same free slot, the first one takes it
            target = slot[pending]
            free = self.keys[target] == -1
            target, pending_free = target[free], pending[free]
            taken, first = np.unique(target, return_index=True)
            self.keys[taken] = keys[pending_free[first]]
            self.values[taken] = values[pending_free[first]]
            placed = np.zeros(len(keys), bool)
            placed[pending_free[first]] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) & (size - 1)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        hashed = keys.astype(np.uint64) * self._PHI
        return (hashed >> np.uint64(64 - self.bits)).astype(np.int64)

    def get(self, queries: np.ndarray) -> np.ndarray:
        """The value of each query key, −1 for a key not in the table."""
        out = np.full(len(queries), -1, np.int64)
        slot = self._home(queries)
        pending = np.arange(len(queries))
        mask = len(self.keys) - 1
        while len(pending):
            found = self.keys[slot[pending]]
            hit = found == queries[pending]
            out[pending[hit]] = self.values[slot[pending[hit]]]
            pending = pending[~hit & (found != -1)]
            slot[pending] = (slot[pending] + 1) & mask
        return out


class GramIndex:
    """Looks up the kept terms' columns from token ids, for :meth:`Featurizer.transform`.

    ``T`` holds each term's token ids (−1 padded), ``length`` its number of tokens. The
    level-k table numbers the distinct k-token prefixes of all terms (the k-grams that
    are terms, and the beginnings of longer terms); an n-gram's id at level k is found
    from its code (prefix id · V + last token) in that level's :class:`IntTable`.
    """

    def __init__(self, tokens: Sequence[str], T: np.ndarray, length: np.ndarray):
        self.vocabulary = dict(zip(tokens, range(len(tokens)), strict=True))
        self.V = V = len(tokens)
        T = np.asarray(T, np.int64)  # codes p · V + t need 64 bits
        n = T.shape[1] if T.ndim == 2 else 1
        self.unigram_column = np.full(V + 1, -1, np.int64)  # slot V answers token id −1
        unigrams = np.flatnonzero(length == 1)
        self.unigram_column[T[unigrams, 0]] = unigrams
        self.tables: list[IntTable] = []
        self.columns: list[np.ndarray] = []
        prefix_id = T[:, 0].copy()
        for k in range(2, n + 1):
            longer = np.flatnonzero(length >= k)
            codes = prefix_id[longer] * V + T[longer, k - 1]
            distinct, inverse = np.unique(codes, return_inverse=True)
            self.tables.append(IntTable(distinct, np.arange(len(distinct))))
            column = np.full(len(distinct) + 1, -1, np.int64)  # last slot answers id −1
            exact = length[longer] == k
            column[inverse[exact]] = longer[exact]
            self.columns.append(column)
            prefix_id = np.full(len(T), -1, np.int64)
            prefix_id[longer] = inverse

    @classmethod
    def from_terms(cls, terms: Sequence[str], ngrams: int) -> GramIndex:
        """Rebuild the index from the term strings (tokens joined by single spaces)."""
        length = np.fromiter(map(str.count, terms, itertools.repeat(" ")), np.int64,
                             len(terms)) + 1
        if len(terms) and length.max() > ngrams:
            bad = terms[int(np.argmax(length))]
            raise SettingsError(f"term {bad!r} has more than {ngrams} tokens")
        words = " ".join(terms).split(" ") if terms else []
        tokens = list(dict.fromkeys(words))
        ids = dict(zip(tokens, range(len(tokens)), strict=True))
        flat = np.fromiter(map(ids.__getitem__, words), np.int64, len(words))
        T = np.full((len(terms), ngrams), -1, np.int64)
        rows = np.repeat(np.arange(len(terms)), length)
        T[rows, _ranks_within(length)] = flat
        return cls(tokens, T, length)

    def token_vocabulary(self) -> Vocabulary:
        vocabulary = Vocabulary(grow=False)
        vocabulary.ids = self.vocabulary
        return vocabulary

    def columns_of(self, tok: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every occurrence of a term in the encoded documents."""
        column = self.unigram_column[tok]
        rows, columns = [doc[column >= 0]], [column[column >= 0]]
        prev = tok
        for k in range(2, len(self.tables) + 2):
            starts = _level_positions(prev, tok, doc, k)
            ids = self.tables[k - 2].get(prev[starts] * self.V + tok[starts + k - 1])
            current = np.full(max(len(tok) - k + 1, 0), -1, np.int64)
            current[starts] = ids
            column = self.columns[k - 2][ids]  # id −1 (not found) hits the last slot
            hit = column >= 0
            rows.append(doc[starts[hit]])
            columns.append(column[hit])
            prev = current
        return np.concatenate(rows), np.concatenate(columns)
