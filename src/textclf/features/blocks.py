"""Blocks of features side by side in one [X | 1]: word n-grams and character n-grams.

Each block is weighted on its own (its own vocabulary, df and idf, and for the nb
weightings its own ratios). Where the weighting scales rows to unit length (tfidf, nb,
tfidf-nb), each of the B blocks is then scaled by 1/√B, so that the whole row has unit
length and each block weighs the same however many n-grams it has (a document has several
times more character n-grams than words).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from textclf.core.sparse import add_bias_column

NORMALIZED_WEIGHTINGS = ("tfidf", "nb", "tfidf-nb")


def block_scale(weighting: str, n_blocks: int) -> float:
    """What each block's values are multiplied by: 1/√B where rows are of unit length."""
    return 1.0 / math.sqrt(n_blocks) if weighting in NORMALIZED_WEIGHTINGS else 1.0


def join_blocks(blocks: Sequence[sp.csr_matrix], weighting: str, dtype) -> sp.csr_matrix:
    """[X₁ | X₂ | … | 1] from the blocks' [Xᵦ | 1] (each one's bias column dropped)."""
    terms = [B.tocsr()[:, :-1] for B in blocks]
    X = sp.hstack(terms, format="csr", dtype=dtype) if len(terms) > 1 else terms[0]
    scale = block_scale(weighting, len(terms))
    if scale != 1.0:
        X.data *= np.asarray(scale, dtype=X.dtype)
    return add_bias_column(X)


class JoinedNames(Sequence):
    """The column names of several blocks, one after the other (made when asked for)."""

    def __init__(self, parts: Sequence[Sequence[str]]):
        self.parts = list(parts)
        self.starts = np.cumsum([0, *map(len, self.parts)])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(len(self)))]
        if not -len(self) <= j < len(self):
            raise IndexError(j)
        j %= len(self)
        part = int(np.searchsorted(self.starts, j, side="right")) - 1
        return self.parts[part][j - int(self.starts[part])]
