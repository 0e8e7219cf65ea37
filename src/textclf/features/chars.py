"""Character n-grams: the characters of a text as integer ids, and where each n-gram stands.

The text (lowercased if so set) is cut at whitespace into words. Two modes:

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

import re
from collections.abc import Sequence

import numpy as np

from textclf.errors import DataError
from textclf.features.splitter import Vocabulary

WORD = re.compile(r"\S+")
RUN_BREAK = "\t"  # between two padded words of a document (never inside a word)
DOCUMENT_BREAK = "\n"  # between two documents


class CharSplitter:
    """Texts → character ids and document indices, for the counting of
    :mod:`textclf.features.counting` (the interface of
    :class:`~textclf.features.splitter.Splitter`'s ``encode``)."""

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
