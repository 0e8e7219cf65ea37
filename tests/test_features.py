"""The featuriser: [X | 1] as CSR, vocabulary choices, and the weightings."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import TRAIN_TEXTS
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from textclf import Featurizer, SettingsError
from textclf.features import DEFAULT_TOKEN_PATTERN, FeatureSettings, Tokenizer

TEXTS = ["the cat sat", "the cat sat on the mat", "a dog", "the dog barked at the cat"]


def test_output_is_csr_with_bias_column_of_ones() -> None:
    featurizer = Featurizer(min_df=1)
    X = featurizer.fit_transform(TEXTS + [""])
    assert sp.isspmatrix_csr(X) or isinstance(X, sp.csr_array)
    assert X.shape == (5, featurizer.n_features) == (5, len(featurizer.terms) + 1)
    assert featurizer.bias_index == X.shape[1] - 1
    assert np.array_equal(X[:, -1].toarray().ravel(), np.ones(5))
    assert featurizer.feature_names()[-1] == "<bias>"
    # the empty document has only the bias
    assert X[4].nnz == 1


def test_tfidf_rows_have_unit_norm_over_the_terms() -> None:
    X = Featurizer(min_df=1, weighting="tfidf").fit_transform(TEXTS + [""])
    terms = X[:, :-1].toarray()
    norms = np.linalg.norm(terms, axis=1)
    np.testing.assert_allclose(norms[:4], 1.0, rtol=1e-12)
    assert norms[4] == 0.0


def test_tfidf_matches_the_formula_as_sklearn_computes_it() -> None:
    """tf = 1 + ln(count), idf = ln((1+N)/(1+df)) + 1, rows L2-normalised: sklearn's smooth
    sublinear tf-idf, which gives an independent check of the arithmetic."""
    texts = TRAIN_TEXTS + ["great great great film film"]
    ours = Featurizer(min_df=1, ngrams=2).fit_transform(texts)[:, :-1].toarray()
    reference = TfidfVectorizer(
        token_pattern=DEFAULT_TOKEN_PATTERN, ngram_range=(1, 2), sublinear_tf=True
    ).fit(texts)
    theirs = reference.transform(texts).toarray()
    assert sorted(reference.vocabulary_) == Featurizer(min_df=1).fit(texts).terms
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_count_and_binary_values() -> None:
    texts = ["b a b b", "a c"]
    count = Featurizer(min_df=1, ngrams=1, weighting="count")
    X = count.fit_transform(texts).toarray()
    assert count.terms == ["a", "b", "c"]
    np.testing.assert_array_equal(X, [[1, 3, 0, 1], [1, 0, 1, 1]])
    binary = Featurizer(min_df=1, ngrams=1, weighting="binary")
    np.testing.assert_array_equal(binary.fit_transform(texts).toarray(),
                                  [[1, 1, 0, 1], [1, 0, 1, 1]])
    reference = CountVectorizer(token_pattern=DEFAULT_TOKEN_PATTERN).fit_transform(TRAIN_TEXTS)
    ours = Featurizer(min_df=1, ngrams=1, weighting="count").fit_transform(TRAIN_TEXTS)
    np.testing.assert_array_equal(ours[:, :-1].toarray(), reference.toarray())


def test_ngrams() -> None:
    tokenizer = Tokenizer(FeatureSettings(ngrams=3))
    assert tokenizer.grams("A b c") == ["a", "b", "c", "a b", "b c", "a b c"]
    assert Tokenizer(FeatureSettings(ngrams=1)).grams("A b c") == ["a", "b", "c"]
    featurizer = Featurizer(min_df=1, ngrams=2).fit(["new york is big"])
    assert featurizer.terms == ["big", "is", "is big", "new", "new york", "york", "york is"]


def test_tokens_keep_inner_apostrophes_and_sentiment_marks() -> None:
    tokenizer = Tokenizer(FeatureSettings(ngrams=1))
    assert tokenizer.tokens("Don't <br />stop!? Now.") == ["don't", "br", "stop", "!", "?", "now"]
    cased = Tokenizer(FeatureSettings(ngrams=1, lowercase=False))
    assert cased.tokens("Big big") == ["Big", "big"]


def test_min_df_keeps_terms_in_enough_documents() -> None:
    featurizer = Featurizer(min_df=2, ngrams=1).fit(TEXTS)
    # the: 3 docs, cat: 3, sat: 2, dog: 2; everything else once
    assert featurizer.terms == ["cat", "dog", "sat", "the"]
    np.testing.assert_array_equal(featurizer.document_frequency, [3, 2, 2, 3])
    assert featurizer.n_documents == 4
    np.testing.assert_allclose(featurizer.idf, np.log(5 / (1 + np.array([3, 2, 2, 3]))) + 1)


def test_max_features_keeps_the_most_frequent_terms() -> None:
    featurizer = Featurizer(min_df=1, ngrams=1, max_features=3).fit(TEXTS)
    # df: the 3, cat 3, dog 2, sat 2 -> ties broken alphabetically: cat, the, then dog
    assert featurizer.terms == ["cat", "dog", "the"]
    X = featurizer.transform(["the dog and the cat sat"])
    assert X.shape == (1, 4)


def test_transform_drops_unknown_terms() -> None:
    featurizer = Featurizer(min_df=1, ngrams=1, weighting="count").fit(["a b", "b c"])
    X = featurizer.transform(["a zebra b b unicorn", "zebra"]).toarray()
    np.testing.assert_array_equal(X, [[1, 2, 0, 1], [0, 0, 0, 1]])


def test_transform_before_fit_is_refused() -> None:
    with pytest.raises(SettingsError, match="not fitted"):
        Featurizer().transform(["x"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ngrams": 0}, "ngrams 0 leaves no features: give char_ngrams too"),
        ({"weighting": "bm25"},
         "weighting must be one of count, binary, tfidf, nb, tfidf-nb, auto, got 'bm25'"),
        ({"min_df": 0}, "min_df must be an integer ≥ 1, got 0"),
        ({"max_features": 0}, "max_features must be an integer ≥ 1, got 0"),
        ({"token_pattern": "(unclosed"}, "token_pattern is not a valid regex"),
    ],
)
def test_bad_settings_are_named(settings: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Featurizer(**settings)


def test_state_round_trip_transforms_the_same() -> None:
    featurizer = Featurizer(min_df=1).fit(TEXTS)
    meta, arrays = featurizer.state()
    again = Featurizer.from_state(meta, arrays)
    a, b = featurizer.transform(TEXTS), again.transform(TEXTS)
    assert (a != b).nnz == 0
