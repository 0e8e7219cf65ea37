"""Long documents counted in pieces, so that memory follows the piece, not the document.

Counting a text tokenises all of it at once: a Python string per token and an integer
array per character n-gram, about 30 times the text. A document longer than
:data:`PIECE_CHARACTERS` is therefore cut at whitespace into pieces p₁ … p_k, and each
n-gram (of tokens or of characters) is counted in the piece where it *ends*:

    counts(pᵢ) = count(cᵢ · pᵢ) − count(cᵢ)

where the context cᵢ is the text just before pᵢ, long enough to hold the n − 1 tokens
(and the characters) that an n-gram ending in pᵢ may begin in. The n-grams of cᵢ · pᵢ
that lie wholly in cᵢ are those of cᵢ alone, so the difference is exactly the n-grams
ending in pᵢ, and the sum over the pieces is the document's counts: the same row as
counting it whole, for every token pattern that matches no whitespace (the default and
every pattern of words). Only one piece (and its context) is tokenised at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import scipy.sparse as sp

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
