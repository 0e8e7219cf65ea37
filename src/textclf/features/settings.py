"""How text becomes features: each setting declared once (see :mod:`textclf.core.settings`)."""

from __future__ import annotations

import re

from textclf.core.settings import Setting, Settings
from textclf.errors import SettingsError
from textclf.features.splitter import DEFAULT_TOKEN_PATTERN

WEIGHTINGS = ("count", "binary", "tfidf")
MAX_HASH_BITS = 28


def checked_pattern(pattern: str) -> str:
    """``pattern`` if it compiles as a regular expression."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise SettingsError(f"token_pattern is not a valid regex: {err}") from err
    return pattern


class FeatureSettings(Settings):
    """How text becomes features; stored in the model file.

    ``hash_bits`` = b switches the vocabulary off: each n-gram goes to one of 2^b columns
    chosen by a hash of its tokens (no pass over the data to learn a vocabulary).
    """

    ngrams = Setting(int, 2, "1 = unigrams, 2 = unigrams and bigrams, ...", minimum=1,
                     metavar="N", search=(1, 2, 3))
    weighting = Setting(str, "tfidf", "feature values: count, binary (1 if present) or "
                        "tfidf (1 + ln(count), times idf, rows of unit length)",
                        choices=WEIGHTINGS, argument="features", search=WEIGHTINGS)
    min_df = Setting(int, 2, "keep terms seen in at least N training documents", minimum=1,
                     metavar="N")
    max_features = Setting(int, None, "keep only the N most frequent terms (default: all)",
                           minimum=1, metavar="N")
    lowercase = Setting(bool, True, "lowercase text before tokenising")
    token_pattern = Setting(str, DEFAULT_TOKEN_PATTERN,
                            "regular expression of one token (default: words with inner "
                            "apostrophes, and ! and ?)", metavar="REGEX", check=checked_pattern)
    sublinear_tf = Setting(bool, True, "tf-idf's tf is 1 + ln(count) (else the count)")
    hash_bits = Setting(int, None, "hash n-grams into 2^B columns instead of learning a "
                        "vocabulary (no vocabulary pass; needed by --stream)", minimum=1,
                        maximum=MAX_HASH_BITS, metavar="B")
