"""The text layer: from documents to the lecture's feature matrix [X | 1].

One interface, :class:`Featurizer`, with two implementations: a learned vocabulary of
n-grams (:class:`VocabularyFeaturizer`) and hashed n-grams (:class:`HashingFeaturizer`).
``Featurizer(...)`` makes the one the settings ask for. Modules: ``settings`` (each setting
declared once), ``tokenizer`` (the lecture's tokens and n-grams), ``splitter`` (the same
tokens as integer ids, fast), ``counting`` / ``merging`` (n-gram counts per chunk, merged),
``terms`` and ``index`` (the vocabulary's names and lookups), ``weighting`` (count, binary,
tf-idf), ``naive_bayes`` (the nb weightings' ratios), ``chars`` (character n-grams),
``blocks`` (words and characters side by side), ``featurizer`` (the interface),
``vocabulary`` and ``hashing``.
"""

from textclf.core.sparse import add_bias_column
from textclf.features.featurizer import Featurizer, workers
from textclf.features.hashing import HashingFeaturizer
from textclf.features.naive_bayes import NaiveBayesScale, log_count_ratios
from textclf.features.settings import (
    CLASSIFIER_DEFAULTS,
    MAX_HASH_BITS,
    WEIGHTINGS,
    FeatureSettings,
)
from textclf.features.splitter import DEFAULT_TOKEN_PATTERN
from textclf.features.tokenizer import Tokenizer, naive_count_matrix
from textclf.features.vocabulary import VocabularyFeaturizer
from textclf.features.weighting import inverse_document_frequency

__all__ = [
    "CLASSIFIER_DEFAULTS",
    "DEFAULT_TOKEN_PATTERN",
    "MAX_HASH_BITS",
    "WEIGHTINGS",
    "FeatureSettings",
    "Featurizer",
    "HashingFeaturizer",
    "NaiveBayesScale",
    "Tokenizer",
    "VocabularyFeaturizer",
    "add_bias_column",
    "inverse_document_frequency",
    "log_count_ratios",
    "naive_count_matrix",
    "workers",
]
