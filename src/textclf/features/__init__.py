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

The names below are imported when first used, so that importing one module of this package
(its settings, say) does not import them all.
"""

from textclf.core.exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "add_bias_column": "textclf.core.sparse",
    "Featurizer": "textclf.features.featurizer",
    "workers": "textclf.features.featurizer",
    "HashingFeaturizer": "textclf.features.hashing",
    "NaiveBayesScale": "textclf.features.naive_bayes",
    "log_count_ratios": "textclf.features.naive_bayes",
    "CLASSIFIER_DEFAULTS": "textclf.features.settings",
    "MAX_HASH_BITS": "textclf.features.settings",
    "WEIGHTINGS": "textclf.features.settings",
    "FeatureSettings": "textclf.features.settings",
    "DEFAULT_TOKEN_PATTERN": "textclf.features.splitter",
    "Tokenizer": "textclf.features.tokenizer",
    "naive_count_matrix": "textclf.features.tokenizer",
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
