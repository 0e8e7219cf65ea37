"""From text to the feature matrix X of the lecture.

Each document becomes a row x of a sparse CSR matrix: one column per vocabulary term
(word n-gram) and, last, the dummy feature x_{|F|} = 1 that multiplies the bias b. The
value of a term's column is its count, 1 if present (binary), or its tf-idf weight:

    tfidf(t, d) = tf(t, d) · idf(t),   tf = 1 + ln(count) (sublinear),
    idf(t) = ln((1 + N) / (1 + df(t))) + 1,

with each row's term part scaled to unit Euclidean length (the bias column stays 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError

# Words (letters/digits, with inner apostrophes kept: "don't"), and ! and ? which carry
# sentiment. Everything else (punctuation, markup brackets) separates tokens.
DEFAULT_TOKEN_PATTERN = r"\w+(?:'\w+)*|[!?]"
WEIGHTINGS = ("count", "binary", "tfidf")


@dataclass
class FeatureSettings:
    """How text becomes features; stored in the model file."""

    ngrams: int = 2
    weighting: str = "tfidf"
    min_df: int = 2
    max_features: int | None = None
    lowercase: bool = True
    token_pattern: str = DEFAULT_TOKEN_PATTERN
    sublinear_tf: bool = True

    def validate(self) -> None:
        if self.ngrams < 1:
            raise SettingsError(f"ngrams must be at least 1, got {self.ngrams}")
        if self.weighting not in WEIGHTINGS:
            raise SettingsError(
                f"features must be one of {', '.join(WEIGHTINGS)}, got {self.weighting!r}"
            )
        if self.min_df < 1:
            raise SettingsError(f"min_df must be at least 1, got {self.min_df}")
        if self.max_features is not None and self.max_features < 1:
            raise SettingsError(f"max_features must be at least 1, got {self.max_features}")
        try:
            re.compile(self.token_pattern)
        except re.error as err:
            raise SettingsError(f"token_pattern is not a valid regex: {err}") from err


class Tokenizer:
    """Splits text into tokens and joins neighbouring tokens into n-grams."""

    def __init__(self, settings: FeatureSettings):
        self.ngrams = settings.ngrams
        self.lowercase = settings.lowercase
        self._findall = re.compile(settings.token_pattern).findall

    def tokens(self, text: str) -> list[str]:
        return self._findall(text.lower() if self.lowercase else text)

    def grams(self, text: str) -> list[str]:
        """All n-grams for n = 1..ngrams, each n-gram's tokens joined by one space."""
        tokens = self.tokens(text)
        grams = list(tokens)
        for n in range(2, self.ngrams + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams


def add_bias_column(X: sp.csr_matrix) -> sp.csr_matrix:
    """Append the dummy feature 1 as a last column: [X | 1]."""
    n_rows, n_cols = X.shape
    X = X.tocsr()
    X.sum_duplicates()
    new_indptr = X.indptr + np.arange(n_rows + 1)
    bias_at = new_indptr[1:] - 1
    keep = np.ones(X.nnz + n_rows, dtype=bool)
    keep[bias_at] = False
    indices = np.empty(X.nnz + n_rows, dtype=np.int32)
    data = np.empty(X.nnz + n_rows, dtype=np.float64)
    indices[keep], data[keep] = X.indices, X.data
    indices[bias_at], data[bias_at] = n_cols, 1.0
    return sp.csr_matrix((data, indices, new_indptr), shape=(n_rows, n_cols + 1))


def _normalize_rows(X: sp.csr_matrix) -> None:
    """Scale every row of X to unit L2 norm in place (empty rows stay empty)."""
    row_nnz = np.diff(X.indptr)
    nonempty = row_nnz > 0
    norms = np.ones(X.shape[0])
    if nonempty.any():
        # reduceat over the starts of non-empty rows only: an empty row's start may equal
        # len(X.data) (an empty last row), which reduceat refuses
        norms[nonempty] = np.sqrt(np.add.reduceat(X.data**2, X.indptr[:-1][nonempty]))
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, row_nnz)


class Featurizer:
    """Vocabulary of n-grams and their weighting; ``transform`` gives [X | 1] as CSR.

    ``fit`` learns the vocabulary (terms in at least ``min_df`` documents, the
    ``max_features`` most frequent if set, sorted alphabetically), the document
    frequency df(t) of each term and, for tf-idf, idf(t).
    """

    def __init__(self, settings: FeatureSettings | None = None, **kwargs):
        self.settings = settings or FeatureSettings(**kwargs)
        self.settings.validate()
        self.tokenizer = Tokenizer(self.settings)
        self.vocabulary: dict[str, int] = {}
        self.terms: list[str] = []
        self.document_frequency = np.zeros(0, dtype=np.int64)
        self.idf = np.zeros(0)
        self.n_documents = 0

    @property
    def n_features(self) -> int:
        """|F| + 1: the vocabulary and the bias column."""
        return len(self.terms) + 1

    @property
    def bias_index(self) -> int:
        return len(self.terms)

    def _count_matrix(
        self, texts: Iterable[str], vocabulary: dict[str, int], grow: bool
    ) -> sp.csr_matrix:
        """Counts of vocabulary terms per document; with ``grow``, unseen terms are added."""
        indices: list[int] = []
        indptr = [0]
        lookup = vocabulary.get
        for text in texts:
            grams = self.tokenizer.grams(text)
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

    def fit(self, texts: Sequence[str]) -> Featurizer:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Learn the vocabulary from ``texts`` and return their feature matrix [X | 1]."""
        growing: dict[str, int] = {}
        counts = self._count_matrix(texts, growing, grow=True)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= self.settings.min_df)
        if self.settings.max_features is not None and len(keep) > self.settings.max_features:
            # most frequent first; ties broken by term so the choice is deterministic
            by_term = np.empty(counts.shape[1], dtype=object)
            for term, j in growing.items():
                by_term[j] = term
            order = sorted(keep, key=lambda j: (-df[j], by_term[j]))
            keep = np.asarray(order[: self.settings.max_features])
        terms_by_id = list(growing)  # dict preserves insertion order = id order
        kept_terms = sorted((terms_by_id[j], j) for j in keep)
        self.terms = [t for t, _ in kept_terms]
        old_ids = np.asarray([j for _, j in kept_terms], dtype=np.int64)
        self.vocabulary = {t: i for i, t in enumerate(self.terms)}
        self.document_frequency = df[old_ids].astype(np.int64)
        self.n_documents = counts.shape[0]
        n = self.n_documents
        self.idf = np.log((1.0 + n) / (1.0 + self.document_frequency)) + 1.0
        return self._weight(counts[:, old_ids].tocsr())

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Feature matrix [X | 1] of ``texts``; terms outside the vocabulary are dropped."""
        if self.n_documents == 0:
            raise SettingsError("the featurizer is not fitted: call fit first")
        return self._weight(self._count_matrix(texts, self.vocabulary, grow=False))

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        counts.sort_indices()
        X = counts.astype(np.float64)
        if self.settings.weighting == "binary":
            X.data[:] = 1.0
        elif self.settings.weighting == "tfidf":
            if self.settings.sublinear_tf:
                X.data = 1.0 + np.log(X.data)
            X.data *= self.idf[X.indices]
            _normalize_rows(X)
        return add_bias_column(X)

    def feature_names(self) -> list[str]:
        """Names of the columns of X: the terms, then ``<bias>``."""
        return [*self.terms, "<bias>"]

    # persistence --------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able settings and vocabulary, and the arrays, for the model file."""
        meta = {"settings": asdict(self.settings), "terms": self.terms,
                "n_documents": self.n_documents}
        arrays = {"document_frequency": self.document_frequency, "idf": self.idf}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> Featurizer:
        featurizer = cls(FeatureSettings(**meta["settings"]))
        featurizer.terms = list(meta["terms"])
        featurizer.vocabulary = {t: i for i, t in enumerate(featurizer.terms)}
        featurizer.n_documents = int(meta["n_documents"])
        featurizer.document_frequency = arrays["document_frequency"]
        featurizer.idf = arrays["idf"]
        return featurizer
