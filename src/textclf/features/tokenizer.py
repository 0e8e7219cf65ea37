"""The lecture's tokenizer: tokens by regular expression, n-grams as joined strings.

Clear and slow; :mod:`textclf.features.splitter` gets the same tokens as integer ids much
faster. :func:`naive_count_matrix` is the reference the fast featurisers are tested against,
and the explanations use :class:`Tokenizer` to show which words make which features.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from textclf.features.settings import FeatureSettings


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
