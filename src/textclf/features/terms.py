"""A vocabulary's terms: their names, spelled only when asked for, and the lookup from
token ids to their columns, vectorised (:class:`GramIndex`)."""


from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np

from textclf.core import jit
from textclf.core.hashing import fibonacci_slots
from textclf.core.sparse import ranks_within
from textclf.errors import SettingsError
from textclf.features.counting import level_positions
from textclf.features.tokens import Vocabulary
from textclf.kernels.ngrams import int_table


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


def term_strings(tokens: Sequence[str], T: np.ndarray, length: np.ndarray,
                 joiner: str = " ") -> list[str]:
    """``joiner.join`` of each row's tokens: the readable names of the columns (words joined
    by a space; characters by nothing)."""
    pick = list(tokens).__getitem__
    out = np.empty(len(T), object)
    for k in range(1, T.shape[1] + 1):  # the rows of k tokens, joined by C-level map
        rows = np.flatnonzero(length == k)
        columns = [map(pick, T[rows, position].tolist()) for position in range(k)]
        names = columns[0] if k == 1 else map(joiner.join, zip(*columns, strict=True))
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

    def __init__(self, tokens: list[str], T: np.ndarray, length: np.ndarray,
                 joiner: str = " "):
        self.tokens, self.T, self.length, self.joiner = tokens, T, length, joiner
        self._spelled: list[str] | None = None

    def __len__(self) -> int:
        return len(self.T)

    def __getitem__(self, j):
        if isinstance(j, slice):
            rows = np.arange(len(self))[j]
            return term_strings(self.tokens, self.T[rows], self.length[rows], self.joiner)
        if not -len(self) <= j < len(self):
            raise IndexError(f"term {j} of {len(self)}")
        if self._spelled is not None:
            return self._spelled[j]
        row = self.T[j]
        return self.joiner.join(self.tokens[t] for t in row[: self.length[j]].tolist())

    def _all(self) -> list[str]:
        if self._spelled is None:  # spelled in one vectorised pass, then kept
            self._spelled = term_strings(self.tokens, self.T, self.length, self.joiner)
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


def pack_terms(terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The terms as one UTF-8 buffer and the offsets where each starts (and the last ends):
    term j is ``utf8[offsets[j]:offsets[j + 1]]``. Two arrays for the model file, whatever
    the characters of the terms, instead of a JSON list of strings.

    Encoded in one call where one character (a newline, or another ASCII character) is in
    no term: the terms joined by it, encoded, and the separators cut out of the bytes.
    """
    terms = list(terms)
    separator, joined = joined_apart(terms)
    if separator is None:  # every candidate occurs in a term: one encoding per term
        encoded = [term.encode("utf-8", "surrogatepass") for term in terms]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return np.frombuffer(b"".join(encoded), np.uint8).copy(), offsets
    data = np.frombuffer(joined.encode("utf-8", "surrogatepass"), np.uint8)
    cut = data == ord(separator)  # the separators, and nothing else (checked absent)
    offsets = np.zeros(len(terms) + 1, np.int64)
    if len(terms):
        # byte j of the joined text holds a term's byte unless it is a separator
        ends = np.flatnonzero(cut) - np.arange(np.count_nonzero(cut))
        offsets[1:-1] = ends
        offsets[-1] = len(data) - len(terms) + 1
    return data[~cut].copy(), offsets


def joined_apart(terms: list[str]) -> tuple[str | None, str]:
    """(c, c.join(terms)) for an ASCII control character c that is in no term (a
    newline where it can be), or (None, "")."""
    for candidate in ("\n", *map(chr, range(1, 32))):
        joined = candidate.join(terms)
        if joined.count(candidate) == max(len(terms) - 1, 0):
            return candidate, joined
    return None, ""


def unpack_terms(utf8: np.ndarray, offsets: np.ndarray) -> list[str]:
    """The terms :func:`pack_terms` packed; a ``ValueError`` if the arrays do not fit.

    Decoded in one call where some ASCII byte is in no term: that byte is put between the
    terms, and the decoded text split at it. (No multi-byte character spans an ASCII byte,
    so each term decodes as it would alone.)
    """
    if utf8.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 \
            or offsets[-1] != len(utf8) or np.any(np.diff(offsets) < 0):
        raise ValueError("the term offsets do not fit the term bytes")
    n = len(offsets) - 1
    present = np.bincount(utf8, minlength=256)[:128]
    free = np.flatnonzero(present[1:] == 0) + 1  # ASCII bytes in no term (not NUL)
    try:
        if n and len(free):
            separator = int(free[free == 10][0]) if present[10] == 0 else int(free[0])
            spaced = np.full(len(utf8) + n - 1, separator, np.uint8)
            # byte i of term j goes to i + j: one separator before each term but the first;
            # j = how many of the later terms' starts are at or before i (a running count)
            term_of = np.bincount(offsets[1:-1], minlength=len(utf8) + 1)[:len(utf8)].cumsum()
            term_of += np.arange(len(utf8))
            spaced[term_of] = utf8
            return spaced.tobytes().decode("utf-8", "surrogatepass").split(chr(separator))
        data = utf8.tobytes()
        bounds = offsets.tolist()
        return [data[a:b].decode("utf-8", "surrogatepass")
                for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    except UnicodeDecodeError as err:
        raise ValueError(f"a term is not valid UTF-8 ({err})") from err


def most_frequent(order: np.ndarray, df: np.ndarray, limit: int | None) -> np.ndarray:
    """The ``limit`` most frequent of the terms listed alphabetically by ``order`` (all if
    None), still alphabetical: the highest df first, ties broken alphabetically, so that the
    choice is deterministic."""
    if limit is None or len(order) <= limit:
        return order
    alphabetical = np.empty(len(order), np.int64)
    alphabetical[order] = np.arange(len(order))
    top = np.lexsort((alphabetical, -df))[:limit]
    return top[np.argsort(alphabetical[top])]

# index --------------------------------------------------------------------------------
class IntTable:
    """A hash table from non-negative int64 keys to int64 values, looked up vectorised.

    Open addressing with linear probing in a table of 2^b ≥ 2·n slots: a key starts at
    slot h(key) = (key · φ mod 2^64) >> (64 − b) and moves one slot on while it finds
    another key (the keys are distinct; a compiled loop inserts them where that pays). A
    lookup follows the same path for all queries at once, round by round; with the table
    at most half full a round settles most of the queries that remain. For random codes
    this is several times faster than a binary search (``searchsorted``).
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        keys = np.asarray(keys, np.int64)
        self.bits = max(int(2 * len(keys)).bit_length(), 4)
        if jit.worth(len(keys)):  # the same table, filled by one compiled pass
            self.keys, self.values = int_table(np.ascontiguousarray(keys),
                                               np.ascontiguousarray(values, np.int64),
                                               self.bits)
            return
        size = 1 << self.bits
        self.keys = np.full(size, -1, np.int64)
        self.values = np.full(size, -1, np.int64)
        slot = fibonacci_slots(keys, self.bits)
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

    def get(self, queries: np.ndarray) -> np.ndarray:
        """The value of each query key, −1 for a key not in the table."""
        out = np.full(len(queries), -1, np.int64)
        slot = fibonacci_slots(queries, self.bits)
        pending = np.arange(len(queries))
        mask = len(self.keys) - 1
        while len(pending):
            found = self.keys[slot[pending]]
            hit = found == queries[pending]
            out[pending[hit]] = self.values[slot[pending[hit]]]
            pending = pending[~hit & (found != -1)]
            slot[pending] = (slot[pending] + 1) & mask
        return out


def checked_lengths(terms: Sequence[str], longest: int, joiner: str = " ") -> np.ndarray:
    """The number of tokens of each term (tokens joined by ``joiner``; with "", each
    character a token); a :class:`SettingsError` unless each has 1 to ``longest``."""
    if joiner:
        length = np.fromiter(map(str.count, terms, itertools.repeat(joiner)), np.int64,
                             len(terms)) + 1
    else:
        length = np.fromiter(map(len, terms), np.int64, len(terms))
    if len(terms) and (length.max() > longest or length.min() < 1):
        bad = terms[int(np.argmax((length > longest) | (length < 1)))]
        raise SettingsError(f"term {bad!r} does not have 1 to {longest} tokens")
    return length


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
        self._flat: tuple[np.ndarray, ...] | None = None
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
    def from_terms(cls, terms: Sequence[str], ngrams: int, joiner: str = " ") -> GramIndex:
        """Rebuild the index from the term strings (tokens joined by single spaces; with
        ``joiner`` "", character n-grams: each character a token)."""
        length = checked_lengths(terms, ngrams, joiner)
        words = (joiner.join(terms).split(joiner) if terms else []) if joiner \
            else list("".join(terms))
        tokens = list(dict.fromkeys(words))
        ids = dict(zip(tokens, range(len(tokens)), strict=True))
        flat = np.fromiter(map(ids.__getitem__, words), np.int64, len(words))
        T = np.full((len(terms), ngrams), -1, np.int64)
        rows = np.repeat(np.arange(len(terms)), length)
        T[rows, ranks_within(length)] = flat
        return cls(tokens, T, length)

    def flat_tables(self) -> tuple[np.ndarray, ...]:
        """The level tables side by side, for :func:`textclf.kernels.ngrams.term_counts`:
        ``(keys, values, bits, starts, level_column, column_starts)``, table L's slots
        ``keys[starts[L]:]`` (2^bits[L] of them), its prefixes' columns
        ``level_column[column_starts[L]:]``."""
        if self._flat is None:
            sizes = [len(table.keys) for table in self.tables]
            column_sizes = [len(column) for column in self.columns]
            self._flat = (side_by_side([t.keys for t in self.tables], np.int64),
                          side_by_side([t.values for t in self.tables], np.int64),
                          np.array([t.bits for t in self.tables], np.int64),
                          np.cumsum([0, *sizes[:-1]], dtype=np.int64),
                          side_by_side(self.columns, np.int32),
                          np.cumsum([0, *column_sizes[:-1]], dtype=np.int64))
        return self._flat

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
            starts = level_positions(prev, tok, doc, k)
            ids = self.tables[k - 2].get(prev[starts] * self.V + tok[starts + k - 1])
            current = np.full(max(len(tok) - k + 1, 0), -1, np.int64)
            current[starts] = ids
            column = self.columns[k - 2][ids]  # id −1 (not found) hits the last slot
            hit = column >= 0
            rows.append(doc[starts[hit]])
            columns.append(column[hit])
            prev = current
        return np.concatenate(rows), np.concatenate(columns)


def side_by_side(arrays: list[np.ndarray], dtype) -> np.ndarray:
    """The arrays one after the other, in ``dtype`` (empty for none)."""
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)
