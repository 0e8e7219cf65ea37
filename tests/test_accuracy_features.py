"""NB-weighted features and character n-grams, against direct computations."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from textclf import TextClassifier
from textclf.errors import SettingsError
from textclf.features import FeatureSettings, Featurizer

TEXTS = ["a great great film", "a dull film", "great acting, great fun", "dull and boring",
         "boring film", "fun and great", "", "Ünïcode café naïve ÉTÉ", "dull dull dull"]
LABELS = ["pos", "neg", "pos", "neg", "neg", "pos", "neg", "pos", "neg"]


def numpy_ratio(texts, labels, alpha):
    """r = log((p/‖p‖₁)/(q/‖q‖₁)) straight from the definition, over unigrams."""
    words = sorted({w for t in texts for w in re.findall(r"\w+(?:'\w+)*|[!?]", t.lower())})
    present = np.array([[w in re.findall(r"\w+(?:'\w+)*|[!?]", t.lower()) for w in words]
                        for t in texts], dtype=float)
    y = np.array([label == "pos" for label in labels])
    p = alpha + present[y].sum(axis=0)
    q = alpha + present[~y].sum(axis=0)
    return words, np.log((p / p.sum()) / (q / q.sum())), present


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_nb_ratio_is_the_direct_numpy_computation(alpha):
    words, r, present = numpy_ratio(TEXTS, LABELS, alpha)
    f = Featurizer(ngrams=1, min_df=1, weighting="nb", nb_alpha=alpha, char_ngrams=None)
    X = f.fit_transform(TEXTS, LABELS).toarray()
    assert list(f.terms) == words
    np.testing.assert_allclose(f.nb.scale, r, rtol=1e-12)
    expected = present * r  # x = r ⊙ x̂, then unit length (the bias column stays 1)
    norms = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = np.divide(expected, norms, out=np.zeros_like(expected), where=norms > 0)
    np.testing.assert_allclose(X[:, :-1], expected, atol=1e-12)
    assert (X[:, -1] == 1).all()
    np.testing.assert_allclose(f.transform(TEXTS).toarray(), X, atol=1e-12)


def test_nb_ratio_one_vs_rest_for_three_classes():
    labels = ["a", "b", "c", "a", "b", "c", "a", "b", "c"]
    f = Featurizer(ngrams=1, min_df=1, weighting="nb", char_ngrams=None)
    f.fit_transform(TEXTS, labels)
    words = list(f.terms)
    present = np.array([[w in re.findall(r"\w+(?:'\w+)*|[!?]", t.lower()) for w in words]
                        for t in TEXTS], dtype=float)
    y = np.array(labels)
    ratios = []
    for c in "abc":
        p, q = 1 + present[y == c].sum(0), 1 + present[y != c].sum(0)
        ratios.append(np.log((p / p.sum()) / (q / q.sum())))
    np.testing.assert_allclose(f.nb.scale, np.abs(ratios).max(axis=0), rtol=1e-12)


@pytest.mark.parametrize("weighting", ["nb", "tfidf-nb"])
@pytest.mark.parametrize(("ngrams", "chars"), [(2, None), (0, (2, 4))])
def test_same_ratio_from_the_vocabulary_and_the_hashed_featuriser(weighting, ngrams, chars):
    settings = {"ngrams": ngrams, "weighting": weighting, "char_ngrams": chars}
    vocabulary = Featurizer(min_df=1, **settings)
    hashed = Featurizer(hash_bits=20, **settings)
    X = vocabulary.fit_transform(TEXTS, LABELS)
    H = hashed.fit_transform(TEXTS, LABELS)
    assert hashed.collisions.count == 0
    # each vocabulary column is one hashed column: match them by their values in X
    used = np.unique(H.indices[H.indices != H.shape[1] - 1])
    assert len(used) == len(vocabulary.terms)
    if chars is None:  # one block: the same r per n-gram, the same rows
        by_value = sorted(np.round(vocabulary.nb.scale, 12))
        assert by_value == sorted(np.round(hashed.nb.scale[used], 12))
        np.testing.assert_allclose(np.sort(X.toarray(), axis=1)[:, -8:],
                                   np.sort(H.toarray(), axis=1)[:, -8:], atol=1e-12)
    else:  # character n-grams alone: one block
        scales = vocabulary.parts["chars"].nb.scale
        assert sorted(np.round(scales, 12)) == sorted(np.round(hashed.nb.scale[used], 12))


def test_nb_needs_labels_and_explains_weighted_values(tmp_path):
    with pytest.raises(SettingsError, match="learns from the labels"):
        Featurizer(weighting="nb", char_ngrams=None).fit_transform(TEXTS)
    clf = TextClassifier(weighting="nb", min_df=1, char_ngrams=None).fit(TEXTS, LABELS)
    path = tmp_path / "m.textclf"
    clf.save(path)
    loaded = TextClassifier.load(path)
    np.testing.assert_array_equal(loaded.featurizer.nb.scale, clf.featurizer.nb.scale)
    explanation = loaded.explain("a great film")
    items = {c.term: c for c in explanation.classes[0].contributions}
    x = loaded.transform(["a great film"])
    terms = list(loaded.featurizer.terms)
    r = loaded.featurizer.nb.scale
    for term in ("great", "film"):  # value: x̂ in the unit row (x = r·value); weight θ·r
        j = terms.index(term)
        assert items[term].value == pytest.approx(x[0, j] / r[j]) and items[term].value > 0
        assert items[term].weight == pytest.approx(loaded.model.theta[j] * r[j])
        assert items[term].contribution == pytest.approx(loaded.model.theta[j] * x[0, j])


def test_nb_beta_interpolates_the_weights():
    plain = TextClassifier(weighting="nb", min_df=1, char_ngrams=None).fit(TEXTS, LABELS)
    mixed = TextClassifier(weighting="nb", min_df=1, char_ngrams=None, nb_beta=0.25).fit(
        TEXTS, LABELS)
    w = plain.model.theta[:-1]
    np.testing.assert_allclose(mixed.model.theta[:-1], 0.75 * np.abs(w).mean() + 0.25 * w)
    with pytest.raises(SettingsError, match="nb_beta"):
        TextClassifier(weighting="nb", nb_beta=1.5)


# character n-grams -------------------------------------------------------------------------

def naive_char_grams(text: str, low: int, high: int, mode: str) -> Counter:
    """The definition: words at whitespace, padded by a space (mode words), or the whole
    text with single spaces, padded (mode text); every substring of length low..high."""
    words = text.lower().split()
    runs = [f" {w} " for w in words] if mode == "words" else (
        [" " + " ".join(words) + " "] if words else [])
    return Counter(run[i : i + n] for run in runs for n in range(low, high + 1)
                   for i in range(len(run) - n + 1))


CHAR_TEXTS = ["The cat sat.", "", "   ", "naïve café — Über straße", "日本語のテキスト です",
              "emoji 😀😀 ok", "tab\tand\nnewline", "a"]


@pytest.mark.parametrize("mode", ["words", "text"])
@pytest.mark.parametrize(("low", "high"), [(1, 3), (2, 5)])
@pytest.mark.parametrize("hashed", [False, True])
def test_char_ngrams_count_like_the_naive_definition(mode, low, high, hashed):
    options = {"ngrams": 0, "char_ngrams": (low, high), "char_mode": mode,
               "weighting": "count"}
    f = Featurizer(hash_bits=22, **options) if hashed else Featurizer(min_df=1, **options)
    X = f.fit_transform(CHAR_TEXTS)
    for row, text in enumerate(CHAR_TEXTS):
        expected = naive_char_grams(text, low, high, mode)
        x = X[row]
        got = Counter()
        if hashed:
            assert sorted(x.data[:-1].tolist()) == sorted(map(float, expected.values()))
            continue
        for j, v in zip(x.indices.tolist(), x.data.tolist(), strict=True):
            if j != X.shape[1] - 1:
                got[f.parts["chars"].terms[j]] = v
        assert got == expected, text
    if hashed:
        assert f.collisions.count == 0


def test_char_and_word_ngrams_in_one_feature_space(tmp_path):
    f = Featurizer(ngrams=2, char_ngrams=(2, 3), min_df=1, weighting="tfidf")
    X = f.fit_transform(CHAR_TEXTS)
    words = Featurizer(ngrams=2, char_ngrams=None, min_df=1, weighting="tfidf")
    n_words = words.fit_transform(CHAR_TEXTS).shape[1] - 1
    assert list(f.terms)[:n_words] == list(words.terms)
    assert f.terms[n_words].startswith("[")  # character n-grams follow, bracketed
    norms = np.sqrt(np.asarray(X[:, :-1].multiply(X[:, :-1]).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms[[0, 3]], 1.0)  # two blocks of 1/√2 each: unit rows
    clf = TextClassifier(ngrams=2, char_ngrams="2-3", min_df=1).fit(TEXTS, LABELS)
    clf.save(tmp_path / "m.textclf")
    loaded = TextClassifier.load(tmp_path / "m.textclf")
    assert (loaded.transform(TEXTS) != clf.transform(TEXTS)).nnz == 0
    e = loaded.explain("a great film")
    terms = {c.term for c in e.classes[0].contributions}
    assert "great" in terms and "[gre]" in terms
    assert sum(e.classes[0].word_shares) == pytest.approx(
        sum(c.contribution for c in e.classes[0].contributions), abs=1e-9)


def test_char_ngram_settings():
    assert FeatureSettings(char_ngrams="2-5").char_ngrams == (2, 5)
    assert FeatureSettings(char_ngrams="none").char_ngrams is None
    for bad in ("5-2", "0-3", "x", "2-99"):
        with pytest.raises(SettingsError, match="char_ngrams"):
            FeatureSettings(char_ngrams=bad)
    with pytest.raises(SettingsError, match="ngrams 0 leaves no features"):
        FeatureSettings(ngrams=0, char_ngrams=None)
    short = FeatureSettings(char_ngrams="auto").resolved(["a short text"] * 10)
    long = FeatureSettings(char_ngrams="auto").resolved(["word " * 200] * 10)
    assert TextClassifier().feature_settings.char_ngrams == "auto"
    assert TextClassifier().feature_settings.weighting == "tfidf-nb"
    assert Featurizer().settings.weighting == "tfidf"  # the plain features need no labels
    assert short.char_ngrams == (2, 5) and long.char_ngrams is None


def test_top_features_with_nb_are_weights_per_unit_of_value():
    """Under nb a negative-class word has r < 0, so θ alone says little; its weight is θ·r,
    the effect per unit of its own (binary or tf-idf) value, signed like its effect."""
    clf = TextClassifier(weighting="nb", min_df=1, char_ngrams=None, epochs=30).fit(
        TEXTS, LABELS)
    x = clf.transform(["dull"])
    dull = list(clf.featurizer.terms).index("dull")
    r = clf.featurizer.nb.scale[dull]
    effect = clf.model.theta[dull] * x[0, dull]  # what "dull" alone does: value 1/|r|
    top = dict(clf.top_features(len(clf.featurizer.terms)))
    weight = dict(top["pos"])["dull"]
    assert weight == pytest.approx(clf.model.theta[dull] * r) and weight < 0
    assert effect == pytest.approx(weight / abs(r))
    assert top["neg"][0][0] in {"dull", "boring"}
    both = TextClassifier(weighting="nb", min_df=1, char_ngrams="2-3").fit(TEXTS, LABELS)
    values = both.featurizer.lone_values()
    lone = both.transform(["dull"]).toarray()[0, :-1]
    np.testing.assert_allclose(values[lone != 0] ** 2 * 2, 1.0)  # ±1/√2 in two blocks
