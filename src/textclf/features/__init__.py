"""The text layer: from documents to the lecture's feature matrix [X | 1].

One interface, :class:`Featurizer`, with two implementations: a learned vocabulary of
n-grams (:class:`VocabularyFeaturizer`) and hashed n-grams (:class:`HashingFeaturizer`).
``Featurizer(...)`` makes the one the settings ask for. Modules: ``settings`` (each setting
declared once), ``tokenizer`` (the lecture's tokens and n-grams), ``splitter`` (the same
tokens as integer ids, fast), ``counting`` / ``merging`` (n-gram counts per chunk, merged),
``terms`` and ``index`` (the vocabulary's names and lookups), ``weighting`` (count, binary,
tf-idf), ``featurizer`` (the interface), ``vocabulary`` and ``hashing``.
"""

from textclf.core.sparse import add_bias_column
from textclf.features.featurizer import Featurizer, workers
from textclf.features.hashing import HashingFeaturizer
from textclf.features.settings import MAX_HASH_BITS, WEIGHTINGS, FeatureSettings
from textclf.features.splitter import DEFAULT_TOKEN_PATTERN
from textclf.features.tokenizer import Tokenizer, naive_count_matrix
from textclf.features.vocabulary import VocabularyFeaturizer
from textclf.features.weighting import inverse_document_frequency

__all__ = [
    "DEFAULT_TOKEN_PATTERN",
    "MAX_HASH_BITS",
    "WEIGHTINGS",
    "FeatureSettings",
    "Featurizer",
    "HashingFeaturizer",
    "Tokenizer",
    "VocabularyFeaturizer",
    "add_bias_column",
    "inverse_document_frequency",
    "naive_count_matrix",
    "workers",
]
