"""How text becomes tokens: the lecture's tokenizer, the same tokens fast, and characters.

**The lecture's tokens.** :class:`Tokenizer` finds the tokens of a text by a regular
expression and joins neighbouring tokens into n-gram strings. Clear and slow;
:func:`naive_count_matrix` is the reference the fast featurisers are tested against, and
the explanations use it to show which words make which features.

**The same tokens, fast** (:class:`Splitter`, :func:`encode`). Python's regex engine looks
at every character; the splitter produces the same tokens, as integer ids, with C-speed
string methods doing the bulk of the work:

1. lowercase each text, join the texts with a separator piece ``\\x01``;
2. encode as UTF-8 and ``bytes.translate`` every ASCII byte that can never be part of a
   token (for the default pattern: anything but letters, digits, ``_``, ``'``, ``!``, ``?``)
   into a space; non-ASCII bytes are kept;
3. ``bytes.split()`` into pieces, and give each piece an integer id with one C-level
   ``dict.setdefault`` pass;
4. only for each *distinct* piece, decide its tokens: a piece made of letters and digits is
   one token; any other piece (``don't``, ``film!``, a piece with a non-ASCII character such
   as a no-break space) goes through the original regular expression.

Why step 4 is exact: a character mapped to a space in step 2 is never part of a match of
the pattern, so no match crosses it, and the pattern has no look-around or ``\\b`` that
could see across it (``\\b`` next to a non-word character is the same as at the end of a
string). ``findall`` on the whole text is then ``findall`` on each piece, in order. Only
patterns for which this was checked get the fast path (:data:`FAST_PATTERNS`); any other
pattern is run through ``re.findall`` per document, with steps 3-4 unchanged.

**Characters** (:class:`CharSplitter`): the text (lowercased if so set) is cut at
whitespace into words. Two modes:

* ``words`` (within word boundaries): each word is padded by one space on each side and
  its n-grams are taken inside it: "the cat" → " the ", " cat " → for n = 3: " th", "the",
  "he ", " ca", "cat", "at " (scikit-learn's ``char_wb``, fastText's subwords with a space
  for its ``<`` and ``>``);
* ``text`` (across word boundaries): the words joined by single spaces and padded by one
  space at each end, " the cat ", and its n-grams over the whole: "e c" is one.

Counting uses the word n-gram machinery as it is (:mod:`textclf.features.counting`): a
character is a token, a padded word (or the padded text) is a run of tokens, and a token
id −1 between two runs keeps n-grams from crossing them, as an unknown word does.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.core.sparse import ranks_within
from textclf.errors import DataError
from textclf.features.settings import DEFAULT_TOKEN_PATTERN, FeatureSettings
from textclf.kernels.pieces import NEWLINE, SPACE, expand_pieces, joined_pieces, number_pieces


# the lecture's tokens -----------------------------------------------------------------
class Tokenizer:
    """Splits text into tokens and joins neighbouring tokens into n-grams."""

    def __init__(self, settings: FeatureSettings):
        self.ngrams = settings.ngrams
        self.lowercase = settings.lowercase
        self.pattern = re.compile(settings.token_pattern)

    def prepared(self, text: str) -> str:
        """The text as the pattern sees it (lowercased if the settings say so)."""
        return text.lower() if self.lowercase else text

    def tokens(self, text: str) -> list[str]:
        return self.pattern.findall(self.prepared(text))

    def grams(self, text: str) -> list[str]:
        """All n-grams for n = 1..ngrams, each n-gram's tokens joined by one space."""
        return [gram for gram, _, _ in ngram_occurrences(self.tokens(text), self.ngrams)]


def ngram_occurrences(tokens: list[str], ngrams: int) -> list[tuple[str, int, int]]:
    """(gram, first token, n) for every n-gram of ``tokens``, n = 1..ngrams, by n then
    position."""
    found = [(token, i, 1) for i, token in enumerate(tokens)]
    for n in range(2, ngrams + 1):
        found.extend((" ".join(tokens[i : i + n]), i, n) for i in range(len(tokens) - n + 1))
    return found


def naive_count_matrix(
    texts: Iterable[str], tokenizer: Tokenizer, vocabulary: dict[str, int], grow: bool
) -> sp.csr_matrix:
    """Counts of vocabulary terms per document, the straightforward way.

    Every n-gram string is looked up in ``vocabulary``; with ``grow``, unseen ones are
    added. The reference that the fast featurisers are tested against.
    """
    indices: list[int] = []
    indptr = [0]
    lookup = vocabulary.get
    for text in texts:
        grams = tokenizer.grams(text)
        if grow:
            setdefault, size = vocabulary.setdefault, len
            indices.extend(setdefault(g, size(vocabulary)) for g in grams)
        else:
            ids = map(lookup, grams)
            indices.extend(i for i in ids if i is not None)
        indptr.append(len(indices))
    index_array = np.asarray(indices, dtype=np.int32)
    X = sp.csr_matrix(
        (np.ones(len(index_array)), index_array, np.asarray(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, len(vocabulary)),
    )
    X.sum_duplicates()  # repeated terms of a row add up to their count
    return X


# the same tokens, fast ----------------------------------------------------------------
SKLEARN_TOKEN_PATTERN = r"(?u)\b\w\w+\b"

# pattern -> (ASCII characters besides [A-Za-z0-9_] that a token may contain,
#             shortest token that a piece of word characters alone makes)
FAST_PATTERNS: dict[str, tuple[str, int]] = {
    DEFAULT_TOKEN_PATTERN: ("'!?", 1),
    SKLEARN_TOKEN_PATTERN: ("", 2),
}

MARK = b"\x01"  # the piece between two documents
_JOIN = "\n\x01\n"
_WORD_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


def _check_texts(texts: Sequence[str]) -> None:
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"document {i} is not a string but {type(text).__name__}")


class Splitter:
    """Cuts a batch of texts into pieces, with :data:`MARK` between documents.

    ``resolve(piece)`` then gives the tokens of a piece (decoded to ``str``), so that the
    tokens of the batch, in order, are those of ``re.findall(pattern, text.lower())``.
    """

    def __init__(self, token_pattern: str, lowercase: bool = True):
        self.lowercase = lowercase
        self.pattern = token_pattern
        self._findall = re.compile(token_pattern).findall
        self.fast = token_pattern in FAST_PATTERNS
        if self.fast:
            extra, self._shortest = FAST_PATTERNS[token_pattern]
            keep = set((_WORD_ASCII + extra).encode("ascii")) | {MARK[0]}
            self._table = bytes(b if (b in keep or b >= 128) else 32 for b in range(256))

    def _lowered(self, texts: Sequence[str]) -> list[str]:
        texts = list(texts)
        try:
            return list(map(str.lower, texts)) if self.lowercase else texts
        except TypeError:
            _check_texts(texts)
            raise

    def _joined(self, texts: Sequence[str]) -> str:
        """The (lowercased) texts joined by ``_JOIN``, which holds the only ``\\x01``s."""
        texts = self._lowered(texts)
        try:
            joined = _JOIN.join(texts)
        except TypeError:
            _check_texts(texts)
            raise
        if joined.count("\x01") != max(len(texts) - 1, 0):
            # \x01 is no token character, so a space stands for it without changing tokens
            joined = _JOIN.join(t.replace("\x01", " ") for t in texts)
        return joined

    def pieces(self, texts: Sequence[str]) -> list:
        """Pieces of all texts, in order, with one ``MARK`` between neighbouring texts."""
        if not self.fast:
            out: list = []
            for i, text in enumerate(self._lowered(texts)):
                if i:
                    out.append(MARK)
                out.extend(self._findall(text))
            return out
        joined = self._joined(texts)
        return self._translated(joined).split()

    def _translated(self, joined: str) -> bytes:
        """UTF-8 bytes of ``joined`` with every byte that cannot be in a token made a space."""
        return joined.encode("utf-8", "surrogatepass").translate(self._table)

    def distinct_words(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """:meth:`distinct_pieces` decoded, for the fast patterns with :mod:`textclf.core.jit`
        on: compiled kernels number the pieces and gather the distinct ones into one buffer,
        decoded at once (no Python object per piece; ``MARK`` is the word ``"\\x01"``)."""
        data = np.frombuffer(self._translated(self._joined(texts)), np.uint8)
        raw, starts, lengths = number_pieces(data, SPACE)
        distinct = joined_pieces(data, starts, lengths, NEWLINE)
        if not len(distinct):
            return raw, []
        return raw, distinct.tobytes().decode("utf-8", "surrogatepass").split("\n")

    def distinct_pieces(self, texts: Sequence[str], compiled: bool = False
                        ) -> tuple[np.ndarray, list]:
        """``(raw, distinct)``: the pieces of :meth:`pieces` numbered by value.

        ``distinct`` lists each distinct piece once, in the order of first occurrence, and
        ``raw[i]`` is the number of the i-th piece in it (int64). ``compiled``: a compiled
        kernel numbers the pieces without making them Python objects.
        """
        if self.fast and compiled:
            raw, words = self.distinct_words(texts)
            return raw, [word.encode("utf-8", "surrogatepass") for word in words]
        pieces = self.pieces(texts)
        # One C-level pass: `first[i]` is the position where piece i's value first occurs.
        seen: dict = {}
        first = np.fromiter(map(seen.setdefault, pieces, itertools.count()), np.int64,
                            len(pieces))
        del pieces
        where = np.fromiter(seen.values(), np.int64, len(seen))
        compact = np.empty(len(first), np.int64)
        compact[where] = np.arange(len(where))
        return compact[first], list(seen)

    def one_token(self, pieces: list[str]) -> np.ndarray:
        """Which (decoded) pieces are exactly one token, decided without the regex."""
        if not self.fast:
            return np.ones(len(pieces), bool)
        simple = np.fromiter(map(str.isalnum, pieces), bool, len(pieces))
        if self._shortest > 1:
            simple &= np.fromiter(map(len, pieces), np.int64, len(pieces)) >= self._shortest
        return simple

    def resolve(self, piece: str) -> list[str]:
        """The tokens of one decoded piece."""
        if not self.fast:
            return [piece]
        return self._findall(piece)

    def encode(self, texts: Sequence[str], vocabulary: Vocabulary
               ) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and document indices of ``texts`` (:func:`encode`)."""
        return encode(texts, self, vocabulary)


class Vocabulary:
    """Token strings and their integer ids; ``grow`` adds unseen tokens, else they are −1."""

    def __init__(self, tokens: Sequence[str] = (), grow: bool = True):
        self.ids: dict[str, int] = dict(zip(tokens, range(len(tokens)), strict=True))
        self.grow = grow

    def __len__(self) -> int:
        return len(self.ids)

    def tokens(self) -> list[str]:
        return list(self.ids)

    def lookup(self, tokens: list[str], distinct: bool = False) -> np.ndarray:
        """Ids of ``tokens`` (C-level loops; no Python code per token). ``distinct``: the
        caller knows that no token repeats, so into an empty vocabulary they go in one
        pass, as ids 0, 1, 2, ..."""
        if self.grow and distinct and not self.ids:
            self.ids = dict(zip(tokens, range(len(tokens)), strict=True))
            if len(self.ids) == len(tokens):
                return np.arange(len(tokens), dtype=np.int64)
            self.ids = {}  # a token repeats after all: the general way
        if self.grow:
            ids = self.ids
            new = [t for t in dict.fromkeys(tokens) if t not in ids]
            ids.update(zip(new, range(len(ids), len(ids) + len(new)), strict=True))
            return np.fromiter(map(ids.__getitem__, tokens), np.int64, len(tokens))
        return np.fromiter(map(self.ids.get, tokens, itertools.repeat(-1)), np.int64,
                           len(tokens))


def character_count(texts: Sequence[str]) -> int:
    """How many characters ``texts`` hold (0 where one is no string: the numpy path then
    names it)."""
    try:
        return sum(map(len, texts))
    except TypeError:
        return 0


def encode(
    texts: Sequence[str], splitter: Splitter, vocabulary: Vocabulary
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of a batch of texts and the document index of each token.

    Unknown tokens of a fixed ``vocabulary`` get id −1: they still hold their position, so
    that no n-gram is formed across them.

    Returns ``(tok, doc)``: int64 arrays of equal length, ``doc`` non-decreasing in
    0..len(texts)−1.
    """
    compiled = jit.worth(character_count(texts))
    # the distinct-piece number of each position, and the distinct pieces
    if splitter.fast and compiled:
        raw, words = splitter.distinct_words(texts)
        mark = MARK.decode()
    else:
        raw, words = splitter.distinct_pieces(texts)
        mark = MARK
        if splitter.fast:  # bytes: decoded at once
            words = b"\n".join(words).decode("utf-8", "surrogatepass").split("\n")
            mark = MARK.decode()
    if not len(raw):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    is_mark = np.zeros(len(words), bool)
    with contextlib.suppress(ValueError):
        is_mark[words.index(mark)] = True
    # The tokens of each distinct piece, once: most pieces are exactly one token.
    simple = splitter.one_token(words) & ~is_mark
    lengths = simple.astype(np.int64)
    ids = np.full(len(words), -1, np.int64)
    simple_at = np.flatnonzero(simple)
    ids[simple_at] = vocabulary.lookup([words[u] for u in simple_at], distinct=True)
    other_at = np.flatnonzero(~simple & ~is_mark)
    if len(other_at) == 0 and not compiled:  # every piece is one token or a marker
        one = lengths[raw] == 1
        return ids[raw[one]], np.cumsum(is_mark[raw])[one]
    # The tokens of distinct piece u are flat[starts[u] : starts[u] + lengths[u]].
    other_tokens = [splitter.resolve(words[u]) for u in other_at]
    lengths[other_at] = [len(t) for t in other_tokens]
    flat = np.zeros(int(lengths.sum()), np.int64)
    starts = np.cumsum(lengths) - lengths
    flat[starts[simple_at]] = ids[simple_at]
    other_flat = [t for tokens in other_tokens for t in tokens]
    if other_flat:
        flat[np.repeat(starts[other_at], lengths[other_at])
             + ranks_within(lengths[other_at])] = vocabulary.lookup(other_flat)
    if compiled:  # one pass over the positions (textclf.kernels.pieces)
        return expand_pieces(raw, is_mark, lengths, starts, flat)
    per_position = lengths[raw]
    inner = ranks_within(per_position)
    tok = flat[np.repeat(starts[raw], per_position) + inner]
    return tok, np.repeat(np.cumsum(is_mark[raw]), per_position)


# characters ---------------------------------------------------------------------------
WORD = re.compile(r"\S+")
RUN_BREAK = "\t"  # between two padded words of a document (never inside a word)
DOCUMENT_BREAK = "\n"  # between two documents


class CharSplitter:
    """Texts → character ids and document indices, for the counting of
    :mod:`textclf.features.counting` (the interface of
    :class:`~textclf.features.tokens.Splitter`'s ``encode``)."""

    def __init__(self, lowercase: bool, mode: str):
        self.lowercase, self.mode = lowercase, mode

    def prepared(self, text: str) -> str:
        return text.lower() if self.lowercase else text

    def runs(self, text: str) -> list[str]:
        """The padded runs of one text whose n-grams are taken (see the module docstring)."""
        words = self.prepared(text).split()
        if not words:
            return []
        if self.mode == "words":
            return [f" {word} " for word in words]
        return [" " + " ".join(words) + " "]

    def encode(self, texts: Sequence[str], vocabulary: Vocabulary
               ) -> tuple[np.ndarray, np.ndarray]:
        """``(tok, doc)``: the id of every character of every run (−1 between runs and for
        characters a fixed ``vocabulary`` does not know) and its document's index."""
        try:
            joined = DOCUMENT_BREAK.join(RUN_BREAK.join(self.runs(text)) for text in texts)
        except AttributeError:
            bad = next(i for i, text in enumerate(texts) if not isinstance(text, str))
            raise DataError(f"document {bad} is not a string but "
                            f"{type(texts[bad]).__name__}") from None
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
        after_break = np.zeros(len(points) + 1, np.int64)
        after_break[np.flatnonzero(points == ord(DOCUMENT_BREAK)) + 1] = 1
        doc = np.cumsum(after_break[:-1])  # a break belongs to the document before it
        distinct, inverse = np.unique(points, return_inverse=True)
        is_char = ~np.isin(distinct, [ord(DOCUMENT_BREAK), ord(RUN_BREAK)])
        ids = np.full(len(distinct), -1, np.int64)
        ids[is_char] = vocabulary.lookup([chr(int(p)) for p in distinct[is_char]],
                                         distinct=True)
        return ids[inverse], doc

    def spans(self, text: str, low: int, high: int) -> list[tuple[str, int, int]]:
        """(n-gram, start, end) of every character n-gram of ``text``, low ≤ n ≤ high, by run
        then n then position: start and end are offsets in the prepared text of the
        characters it covers (a padding space covers none: "the" in " the " is [0, 3))."""
        prepared = self.prepared(text)
        words = [(m.start(), m.end()) for m in WORD.finditer(prepared)]
        if not words:
            return []
        runs: list[tuple[str, list[int]]] = []  # each run and the offset of each character
        if self.mode == "words":
            for start, end in words:
                runs.append((f" {prepared[start:end]} ", [-1, *range(start, end), -1]))
        else:
            chars, where = [" "], [-1]
            for start, end in words:
                chars.extend(prepared[start:end] + " ")
                where.extend([*range(start, end), -1])
            runs.append(("".join(chars), where))
        found = []
        for run, where in runs:
            for n in range(low, high + 1):
                for i in range(len(run) - n + 1):
                    covered = [w for w in where[i : i + n] if w >= 0]
                    start, end = (covered[0], covered[-1] + 1) if covered else (-1, -1)
                    found.append((run[i : i + n], start, end))
        return found


def token_ranges(tokens: Sequence[tuple[str, int, int]],
                 spans: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """(first token, number of tokens) for each span ``(gram, start, end)``: the tokens
    whose spans overlap [start, end); where none does (punctuation or spaces between
    tokens), the nearest token; (0, 0) where the text has no token, or for an n-gram of
    padding alone (start = −1).

    Two binary searches per span over the tokens' ends and starts, made once for all
    spans: O((S + T) log T) for S spans and T tokens (an explanation of a text costs time
    in proportion to its length, not its square).
    """
    if not tokens or not spans:
        return [(0, 0)] * len(spans)
    token_starts = np.fromiter((s for _, s, _ in tokens), np.int64, len(tokens))
    token_ends = np.fromiter((e for _, _, e in tokens), np.int64, len(tokens))
    start = np.fromiter((s for _, s, _ in spans), np.int64, len(spans))
    end = np.fromiter((e for _, _, e in spans), np.int64, len(spans))
    first = np.searchsorted(token_ends, start, side="right")  # first token ending after start
    last = np.searchsorted(token_starts, end, side="left")  # first starting at or after end
    count = last - first
    # overlapping none: the nearer of the tokens on either side (the one before on a tie)
    before, after = first - 1, np.minimum(first, len(tokens) - 1)
    gap_before = start - token_ends[np.maximum(before, 0)]
    gap_after = token_starts[after] - end
    take_before = (first >= len(tokens)) | ((before >= 0) & (gap_before <= gap_after))
    first = np.where(count > 0, first, np.where(take_before, before, first))
    count = np.maximum(count, 1)
    padding = start < 0
    first[padding], count[padding] = 0, 0
    return list(zip(first.tolist(), count.tolist(), strict=True))


def char_term_name(gram: str) -> str:
    """How a character n-gram is shown among the features: in brackets, so that it is not
    taken for a word ("[ th]" is the 3-gram of a word beginning with "th")."""
    return f"[{gram}]"


class CharNames(Sequence):
    """The names of character n-gram columns, bracketed when asked for."""

    def __init__(self, grams: Sequence[str]):
        self.grams = grams

    def __len__(self) -> int:
        return len(self.grams)

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [char_term_name(g) for g in self.grams[j]]
        return char_term_name(self.grams[j])
