"""The text layer: from documents to the lecture's feature matrix [X | 1].

One interface, :class:`Featurizer`, with two implementations: a learned vocabulary of
n-grams (:class:`VocabularyFeaturizer`) and hashed n-grams (:class:`HashingFeaturizer`).
``Featurizer(...)`` makes the one the settings ask for. Modules: ``settings`` (each setting
declared once), ``tokens`` (the lecture's tokens and n-grams, the same tokens as integer
ids fast, and characters), ``counting`` (n-gram counts per chunk, merged; long documents
in pieces), ``terms`` (the vocabulary's names and lookups), ``weighting`` (count, binary,
tf-idf, the nb ratios), ``featurizer`` (the interface), ``vocabulary`` (with word and
character blocks side by side) and ``hashing``.

The names below are imported when first used, so that importing one module of this package
(its settings, say) does not import them all.
"""

from textclf.core.exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "add_bias_column": "textclf.core.sparse",
    "Featurizer": "textclf.features.featurizer",
    "workers": "textclf.features.featurizer",
    "HashingFeaturizer": "textclf.features.hashing",
    "NaiveBayesScale": "textclf.features.weighting",
    "log_count_ratios": "textclf.features.weighting",
    "CLASSIFIER_DEFAULTS": "textclf.features.settings",
    "MAX_HASH_BITS": "textclf.features.settings",
    "WEIGHTINGS": "textclf.features.settings",
    "FeatureSettings": "textclf.features.settings",
    "DEFAULT_TOKEN_PATTERN": "textclf.features.settings",
    "Tokenizer": "textclf.features.tokens",
    "naive_count_matrix": "textclf.features.tokens",
    "VocabularyFeaturizer": "textclf.features.vocabulary",
    "inverse_document_frequency": "textclf.features.weighting",
})

__all__ = [
    "CLASSIFIER_DEFAULTS",
    "DEFAULT_TOKEN_PATTERN",
    "FeatureSettings",
    "Featurizer",
    "HashingFeaturizer",
    "MAX_HASH_BITS",
    "NaiveBayesScale",
    "Tokenizer",
    "VocabularyFeaturizer",
    "WEIGHTINGS",
    "add_bias_column",
    "inverse_document_frequency",
    "log_count_ratios",
    "naive_count_matrix",
    "workers",
]
