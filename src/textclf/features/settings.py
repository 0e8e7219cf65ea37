"""How text becomes features: each setting declared once (see :mod:`textclf.core.settings`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from textclf.core.settings import Setting, Settings
from textclf.errors import SettingsError

# a word with inner apostrophes (it's, don't), or ! or ? alone
DEFAULT_TOKEN_PATTERN = r"\w+(?:'\w+)*|[!?]"
WEIGHTINGS = ("count", "binary", "tfidf", "nb", "tfidf-nb")
IDF_WEIGHTINGS = ("tfidf", "tfidf-nb")
LABEL_WEIGHTINGS = ("nb", "tfidf-nb")
CHAR_MODES = ("words", "text")
MAX_HASH_BITS = 28
MAX_CHAR_NGRAM = 16
MAX_WORD_NGRAM = 16  # each order costs a pass over the tokens: a model file cannot ask more
AUTO_CHAR_NGRAMS = (2, 5)  # char_ngrams "auto": these lengths for short documents
SHORT_DOCUMENT = 400  # characters: a mean below this counts as short (sentences, messages)


def checked_pattern(pattern: str) -> str:
    """``pattern`` if it compiles as a regular expression."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise SettingsError(f"token_pattern is not a valid regex: {err}") from err
    return pattern


def parse_lengths(value) -> tuple[int, int]:
    """Character n-gram lengths: "2-5" or (2, 5) → (2, 5); "3" or 3 → (3, 3); "auto"."""
    if isinstance(value, str) and value.strip().lower() in ("auto", "none"):
        return "auto" if value.strip().lower() == "auto" else None
    if isinstance(value, str):
        parts = value.replace(",", "-").split("-")
        try:
            value = tuple(int(part) for part in parts)
        except ValueError:
            raise SettingsError(f"char_ngrams must be lengths like 2-5, got {value!r}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, tuple | list) or len(value) not in (1, 2)
            or any(not isinstance(v, int) or isinstance(v, bool) for v in value)):
        raise SettingsError(f"char_ngrams must be lengths like 2-5, got {value!r}")
    low, high = value[0], value[-1]
    if not 1 <= low <= high <= MAX_CHAR_NGRAM:
        raise SettingsError(f"char_ngrams must be lengths A-B with 1 ≤ A ≤ B ≤ "
                            f"{MAX_CHAR_NGRAM}, got {low}-{high}")
    return (low, high)


class FeatureSettings(Settings):
    """How text becomes features; stored in the model file.

    The declared defaults are the lecture's plain features (tf-idf of uni- and bigrams, no
    labels needed): what ``Featurizer()`` makes. :data:`CLASSIFIER_DEFAULTS` holds the
    features a classifier gets out of the box (chosen by cross-validation:
    docs/models.md), as ``MODEL_DEFAULTS`` does for training.

    ``hash_bits`` = b switches the vocabulary off: each n-gram goes to one of 2^b columns
    chosen by a hash of its tokens (no pass over the data to learn a vocabulary).
    """

    ngrams = Setting(int, 2, "word n-grams: 1 = unigrams, 2 = unigrams and bigrams, ...; 0 = "
                     "none (character n-grams alone)", minimum=0, maximum=MAX_WORD_NGRAM,
                     metavar="N", aliases=("--wordNgrams",),
                     search=(1, 2, 3))
    weighting = Setting(str, "tfidf", "feature values: count, binary (1 if present), "
                        "tfidf (1 + ln(count), times idf, rows of unit length), nb (binary "
                        "times the naive Bayes log-count ratio r learned from the labels, "
                        "rows of unit length) or tfidf-nb (tf-idf times r, rows of unit "
                        "length); a classifier's auto: tfidf-nb, and binary for naive Bayes "
                        "(--model nb)", choices=(*WEIGHTINGS, "auto"),
                        renamed_from="features", search=("tfidf", "tfidf-nb", "nb", "binary"))
    nb_alpha = Setting(float, 1.0, "nb, tfidf-nb and --model nb: smoothing α added to "
                       "every feature's count per class; a classifier's auto: naive Bayes "
                       "chooses it by 5-fold cross-validation of its training data, the nb "
                       "weightings take 1", above=0.0, metavar="ALPHA", words=("auto",))
    nb_beta = Setting(float, None, "nb, tfidf-nb, two classes: interpolate the trained "
                      "weights w as "
                      "(1 − β)·mean|w| + β·w (Wang and Manning's β; default: no "
                      "interpolation); auto: the β of 0.25, 0.5, 0.75, 1 that scores best "
                      "on a held-out fifth of the training data", above=0.0, maximum=1.0,
                      metavar="BETA", words=("auto",))
    char_ngrams = Setting(tuple, None, "character n-grams of lengths A-B too, e.g. 2-5; "
                          "none; or auto: 2-5 where the training documents are short (a "
                          f"mean under {SHORT_DOCUMENT} characters), else none",
                          parse=parse_lengths, metavar="A-B", optional=True,
                          search=(None, (2, 5)))
    char_mode = Setting(str, "words", "character n-grams within words (each word padded by a "
                        "space, as in 'the' → ' th', 'the', 'he ') or across words over the "
                        "whole text", choices=CHAR_MODES)
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

    def __init__(self, **values):
        super().__init__(**values)
        self.check_combination()

    def validate(self) -> None:
        super().validate()
        self.check_combination()

    def check_combination(self) -> None:
        """Settings that are allowed one by one but not together (and weighting "auto",
        which only a classifier decides, for its model: :meth:`for_model`)."""
        if self.ngrams == 0 and self.char_ngrams in (None, "auto"):
            raise SettingsError("ngrams 0 leaves no features: give char_ngrams too "
                                "(e.g. --char-ngrams 2-5)")

    def for_model(self, model: str) -> FeatureSettings:
        """These settings with weighting "auto" decided for the ``model`` asked for:
        tfidf-nb, or binary for naive Bayes (which counts values ≥ 0); and nb_alpha "auto"
        1 unless naive Bayes chooses it (by cross-validation, when it is fitted)."""
        changes = {}
        if self.weighting == "auto":
            changes["weighting"] = "binary" if model == "nb" else "tfidf-nb"
        if self.nb_alpha == "auto" and model != "nb":
            changes["nb_alpha"] = 1.0
        return self.replace(**changes) if changes else self

    def resolved(self, texts: Sequence[str]) -> FeatureSettings:
        """These settings with char_ngrams "auto" decided for ``texts``: 2-5 where their mean
        length is under :data:`SHORT_DOCUMENT` characters (char n-grams help most on short
        texts, and cost in proportion to the characters), else none."""
        if self.char_ngrams != "auto":
            return self
        sample = texts[:: max(1, len(texts) // 10_000)]  # every k-th: a few thousand do
        mean = sum(map(len, sample)) / max(len(sample), 1)
        return self.replace(char_ngrams=AUTO_CHAR_NGRAMS if mean < SHORT_DOCUMENT else None)

    @property
    def uses_idf(self) -> bool:
        """Whether the values are tf-idf (they need document frequencies)."""
        return self.weighting in IDF_WEIGHTINGS

    @property
    def uses_labels(self) -> bool:
        """Whether the values are scaled by naive Bayes ratios learned from the labels."""
        return self.weighting in LABEL_WEIGHTINGS

    @property
    def word_grams(self) -> bool:
        """Whether word n-grams are features (``ngrams`` ≥ 1)."""
        return self.ngrams >= 1


# Out-of-the-box features of TextClassifier, the command line, the scikit-learn estimators
# and tune's first trial (by attribute name), chosen by cross-validation on the training
# splits of the shared corpora (docs/models.md).
CLASSIFIER_DEFAULTS = {"weighting": "auto", "char_ngrams": "auto", "nb_alpha": "auto"}
