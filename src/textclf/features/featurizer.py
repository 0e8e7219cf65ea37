"""The one interface of every featuriser: texts in, the lecture's feature matrix [X | 1] out.

Each document becomes a row x of a sparse CSR matrix: one column per feature (a vocabulary
term, or a hashed n-gram bucket) and, last, the dummy feature x_{|F|} = 1 that multiplies the
bias b. Two featurisers implement :class:`Featurizer`:

* :class:`~textclf.features.vocabulary.VocabularyFeaturizer` learns a vocabulary of n-grams
  (``fit``), one column per kept term;
* :class:`~textclf.features.hashing.HashingFeaturizer` (``hash_bits`` = b) sends each n-gram
  to one of 2^b columns by a hash of its tokens: no vocabulary to learn or hold.

Everything above this layer (training, explanations, reports, the service) works with any
featuriser through this interface. ``Featurizer(settings)`` itself makes the right one.
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.errors import SettingsError
from textclf.features.settings import FeatureSettings
from textclf.features.tokens import Splitter, Tokenizer
from textclf.features.weighting import NaiveBayesScale

MAX_AUTO_WORKERS = 32  # one thread per core up to this
# |rⱼ| of a log-count ratio: r = ln(p/‖p‖₁) − ln(q/‖q‖₁), each log of a positive float64
# at most 1 is above ln(5e-324) ≈ −745, so no ratio lies beyond ±1490
MAX_LOG_RATIO = 1500.0


def check_jobs(jobs: int | None) -> int | None:
    if jobs is not None and not (isinstance(jobs, int) and not isinstance(jobs, bool)
                                 and jobs >= 1):
        raise SettingsError(f"jobs must be a positive integer, got {jobs!r}")
    return jobs


def workers(jobs: int | None) -> int:
    """How many workers featurise: ``jobs``, or for None the number that pays.

    That is one thread per core (at most :data:`MAX_AUTO_WORKERS`) where the compiled
    kernels do the work without the GIL, and one otherwise: for a corpus that fits in
    memory, handing chunk results between processes costs about what a second process
    saves. Results do not depend on it.
    """
    if jobs is not None:
        return jobs
    return min(os.cpu_count() or 1, MAX_AUTO_WORKERS) if jit.enabled() else 1


class Featurizer(ABC):
    """Texts → [X | 1]. ``Featurizer(settings)`` or ``Featurizer(ngrams=..., ...)`` makes a
    vocabulary featuriser, or a hashing one when the settings give ``hash_bits``.

    ``jobs`` workers featurise chunks of the corpus in parallel (the same result as one;
    None: see :func:`workers`); ``dtype`` (float64 or float32) is the type of X's values.
    Neither is stored in the model file.
    """

    kind: ClassVar[str]  # "vocabulary" or "hashing"
    kinds: ClassVar[dict[str, type[Featurizer]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            Featurizer.kinds[cls.kind] = cls

    def __new__(cls, settings: FeatureSettings | None = None, **kwargs: Any):
        if cls is Featurizer:  # the factory: the featuriser the settings ask for
            options = {k: v for k, v in kwargs.items() if k not in ("jobs", "dtype")}
            chosen = settings if settings is not None else FeatureSettings(**options)
            cls = kind_class("hashing" if chosen.hash_bits is not None else "vocabulary")
        return super().__new__(cls)

    def __init__(self, settings: FeatureSettings | None = None, *, jobs: int | None = None,
                 dtype=np.float64, **kwargs: Any):
        if settings is not None and kwargs:
            raise SettingsError("give either FeatureSettings or keyword settings, not both")
        self.settings = settings if settings is not None else FeatureSettings(**kwargs)
        self.settings.validate()
        if self.settings.weighting == "auto":
            raise SettingsError("weighting 'auto' is decided by a classifier for its model "
                                "(FeatureSettings.for_model); a featuriser needs a weighting")
        self.jobs = check_jobs(jobs)
        self.dtype = np.dtype(dtype)
        self.tokenizer = Tokenizer(self.settings)
        self.splitter = Splitter(self.settings.token_pattern, self.settings.lowercase)
        self.n_documents = 0
        self.nb: NaiveBayesScale | None = None  # learned from the labels (weighting nb)

    # learning and transforming --------------------------------------------------------------
    @abstractmethod
    def fit_transform(self, texts: Iterable[str], labels: Sequence | None = None,
                      sample_weight: np.ndarray | None = None) -> sp.csr_matrix:
        """Learn what the featuriser needs from ``texts`` (and, for the nb weightings, from
        their ``labels``, each document counted ``sample_weight`` times) and return their
        [X | 1]."""

    @abstractmethod
    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """[X | 1] of ``texts`` with what was learned (a vocabulary's unknown terms dropped)."""

    def fit(self, texts: Iterable[str], labels: Sequence | None = None,
            sample_weight: np.ndarray | None = None) -> Featurizer:
        self.fit_transform(texts, labels, sample_weight)
        return self

    def learn_label_weights(self, X: sp.csr_matrix, labels: Sequence | None,
                            sample_weight: np.ndarray | None = None) -> sp.csr_matrix:
        """For the nb weightings: learn the scale from [X | 1] (present or not) and the labels, and
        return X scaled (see :mod:`textclf.features.weighting`); else X."""
        self.nb = None
        if not self.settings.uses_labels:
            return X
        self.nb = NaiveBayesScale.fit(X, labels, self.settings.nb_alpha, sample_weight)
        return self.nb.apply(X)

    def apply_label_weights(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """X scaled by what :meth:`learn_label_weights` learned (in place)."""
        if self.settings.uses_labels:
            if self.nb is None:
                raise SettingsError("the nb weighting was not learned: fit with labels first")
            self.nb.apply(X)
        return X

    def column_scale(self) -> np.ndarray:
        """The label-dependent factor sⱼ of each feature column: the nb weightings' rⱼ (for
        K > 2 classes or multi-label data max_c |r_cⱼ|), else 1. A feature's value xⱼ is
        sⱼ times its count / binary / tf-idf value, so θⱼ·sⱼ is its weight per unit of that
        value (what explanations and inspection call a term's weight: docs/explain.md)."""
        if self.nb is None:
            return np.ones(len(self.terms))
        return np.asarray(self.nb.scale, dtype=np.float64)

    def lone_values(self) -> np.ndarray:
        """xⱼ of a document made of feature j alone, for each j: 1 for count, binary and
        tf-idf (a unit row); sign(rⱼ) with the nb weightings (r·x̂ scaled to unit length),
        so that θⱼ·xⱼ is what the term alone does to the score."""
        if self.nb is None:
            return np.ones(len(self.terms))
        return np.sign(self.nb.scale)

    def label_weight_arrays(self) -> dict[str, np.ndarray]:
        """The learned nb scale for the model file (none for other weightings)."""
        return {"nb_scale": self.nb.scale} if self.nb is not None else {}

    def restore_label_weights(self, arrays: dict[str, np.ndarray]) -> None:
        """The nb scale from the model file, checked: one float per feature, each a possible
        log-count ratio (|rⱼ| ≤ :data:`MAX_LOG_RATIO`); none for the other weightings."""
        scale = arrays.get("nb_scale")
        if not self.settings.uses_labels:
            if scale is not None:
                raise SettingsError(f"nb_scale for weighting {self.settings.weighting!r}")
            return
        if scale is None or scale.shape != (len(self.terms),) \
                or scale.dtype not in (np.float32, np.float64):
            raise SettingsError(f"nb_scale must be floats of shape ({len(self.terms)},), got "
                                f"{None if scale is None else f'{scale.dtype}{scale.shape}'}")
        if not np.all(np.abs(scale) <= MAX_LOG_RATIO):  # (NaN too)
            raise SettingsError(f"nb_scale holds values that are not log-count ratios (not "
                                f"finite, or beyond ±{MAX_LOG_RATIO:g})")
        self.nb = NaiveBayesScale(scale, self.settings.nb_alpha)

    @property
    def fitted(self) -> bool:
        return self.n_documents > 0

    def check_fitted(self) -> None:
        if not self.fitted:
            raise SettingsError("the featurizer is not fitted: call fit first")

    # what the columns are -----------------------------------------------------------------------
    terms: Sequence[str]  # the names of the feature columns 0..|F|−1 (not the bias)
    document_frequency: np.ndarray  # df(j): how many training documents have feature j
    idf: np.ndarray  # idf(j) (see textclf.features.weighting)

    @property
    def n_features(self) -> int:
        """|F| + 1: the feature columns and the bias column."""
        return len(self.terms) + 1

    @property
    def bias_index(self) -> int:
        return len(self.terms)

    def feature_names(self) -> list[str]:
        """Names of the columns of X: the terms, then ``<bias>``."""
        return [*self.terms, "<bias>"]

    def longest_char_gram(self) -> int:
        """The length of the longest character n-gram counted (0: none)."""
        chars = self.settings.char_ngrams
        return chars[1] if isinstance(chars, tuple) else 0

    def context_holds(self, context: str) -> bool:
        """Whether ``context`` holds what an n-gram ending after it may begin in: n − 1
        tokens and, with character n-grams, as many characters as the longest
        (:mod:`textclf.features.counting`)."""
        if len(" ".join(context.split())) < self.longest_char_gram():
            return False
        return self.settings.ngrams <= 1 or \
            len(self.tokenizer.tokens(context)) >= self.settings.ngrams - 1

    # one document, readably ----------------------------------------------------------------------
    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` as the featuriser sees them (lowercased if so set)."""
        return self.tokenizer.tokens(text)

    def token_spans(self, text: str) -> tuple[str, list[tuple[str, int, int]]]:
        """(the text shown, [(token, start, end), ...]): where each token stands in the text
        shown, which is ``text`` itself unless lowercasing changed its length (e.g. 'İ'),
        then the lowercased text."""
        prepared = self.tokenizer.prepared(text)
        shown = text if len(prepared) == len(text) else prepared
        group = 1 if self.tokenizer.pattern.groups else 0  # findall's token: group 1 if any
        return shown, [(m.group(group), m.start(group), m.end(group))
                       for m in self.tokenizer.pattern.finditer(prepared)]

    @abstractmethod
    def ngram_columns(self, tokens: list[str]) -> list[tuple[int, int, int]]:
        """(column, first token, n) for each n-gram of ``tokens`` that has a column."""

    def occurrences(self, text: str) -> list[tuple[int, int, int]]:
        """(column, first token, n) of every feature occurrence in ``text``: which words
        make which columns (for explanations). A character n-gram's tokens are those it
        overlaps (n = 0 where it overlaps none: spaces or characters outside every token)."""
        return [(j, i, n) for j, i, n, _ in self.named_occurrences(text)]

    def named_occurrences(self, text: str) -> list[tuple[int, int, int, str]]:
        """:meth:`occurrences` with the n-gram that each one is: its words joined by spaces,
        or a character n-gram in brackets (``[ th]``)."""
        tokens = self.tokens(text)
        return [(j, i, n, " ".join(tokens[i : i + n]))
                for j, i, n in self.ngram_columns(tokens)]

    # the model file -------------------------------------------------------------------------------
    @abstractmethod
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able settings and what was learned, and the arrays, for the model file."""

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> Featurizer:
        """The featuriser that :meth:`state` describes: each kind rebuilds its own; on
        ``Featurizer`` itself, whichever kind wrote ``meta``."""
        hashed = meta.get("settings", {}).get("hash_bits") is not None
        return kind_class("hashing" if hashed else "vocabulary").from_state(meta, arrays)


KIND_MODULES = {"vocabulary": "textclf.features.vocabulary",
                "hashing": "textclf.features.hashing"}


def kind_class(kind: str) -> type[Featurizer]:
    """The featuriser class of ``kind``, its module imported if it was not yet (each kind
    registers itself in ``Featurizer.kinds`` when its module is imported)."""
    if kind not in Featurizer.kinds:
        importlib.import_module(KIND_MODULES[kind])
    return Featurizer.kinds[kind]
