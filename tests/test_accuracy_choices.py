"""nb_alpha and nb_beta "auto": chosen by the training data (textclf.fitting.choices).

Each choice is checked against the same procedure done by hand with plain fits: the scores
the fit records are the scores of models trained and scored that way, and the final model
is the one fitted with the chosen value."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TRAIN_LABELS, TRAIN_TEXTS
from topic_corpus import TRAIN, multilabel_corpus

from textclf import TextClassifier
from textclf.corpus import Document, hold_out, stratified_folds
from textclf.errors import SettingsError
from textclf.fitting.choices import ALPHAS, BETAS, HELD_OUT, NB_FOLDS
from textclf.models.naive_bayes import log_probabilities

WORDS = dict(min_df=1, char_ngrams=None)


def documents() -> list[Document]:
    return [Document(t, y, str(i))
            for i, (t, y) in enumerate(zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True))]


def noisy_sentiment(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Two classes told apart by a few marker words among many shared ones, with some
    labels flipped: a corpus where the smoothing and the interpolation make a difference."""
    rng = np.random.default_rng(seed)
    good, bad = ["great", "fine", "superb", "lovely"], ["awful", "poor", "dire", "bleak"]
    shared = [f"w{i}" for i in range(60)]
    texts, labels = [], []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = list(rng.choice(shared, 6)) + list(rng.choice(good if i % 2 else bad, 1))
        texts.append(" ".join(words))
        labels.append(label if rng.random() > 0.15 else ("neg" if label == "pos" else "pos"))
    return texts, labels


def test_naive_bayes_chooses_the_alpha_that_scores_best_and_is_fitted_with_it():
    from textclf.fitting.choices import choose_alpha
    from textclf.models.naive_bayes import naive_bayes

    texts, labels = TRAIN
    clf = TextClassifier(model="nb", **WORDS).fit(texts, labels)
    chosen = clf.fitted.provenance["chosen"]
    X = clf.transform(texts)
    y = np.array([clf.labels.index(label) for label in labels])
    _, scores = choose_alpha(naive_bayes(X.shape[1], 3), X, y, None, seed=0)
    assert chosen["scores"] == scores  # the cross-validation of the classifier's own rows
    best = max(ALPHAS, key=lambda a: (scores[f"{a:g}"], -abs(np.log(a))))
    assert chosen["nb_alpha"] == best == clf.model.alpha
    assert clf.feature_settings.nb_alpha == best
    plain = TextClassifier(model="nb", nb_alpha=best, **WORDS).fit(texts, labels)
    np.testing.assert_allclose(clf.model.theta, plain.model.theta, rtol=1e-12)


def test_the_cross_validated_alpha_matches_counting_each_fold_again():
    """The fast path (θ only for the fold's features, totals by subtraction) against naive
    Bayes counted from the fold's rest alone on the same features."""
    from textclf.fitting.choices import choose_alpha
    from textclf.models.naive_bayes import naive_bayes

    texts, labels = noisy_sentiment(120, 3)
    featurized = TextClassifier(model="nb", nb_alpha=1.0, **WORDS).fit(texts, labels)
    X = featurized.transform(texts)
    y = np.array([featurized.labels.index(label) for label in labels])
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    alpha, scores = choose_alpha(naive_bayes(X.shape[1], 2), X, y, weights, seed=4)
    folds = stratified_folds(y.tolist(), NB_FOLDS, 4)
    for a in ALPHAS:
        right = total = 0.0
        for fold in range(NB_FOLDS):
            rest, held = folds != fold, folds == fold
            S = np.stack([(X[rest & (y == c)][:, :-1].T @ weights[rest & (y == c)])
                          for c in (0, 1)], axis=1)
            logs = log_probabilities(S, a)
            prior = np.log([weights[rest & (y == c)].sum() for c in (0, 1)])
            z = X[held][:, :-1] @ (logs[:, 1] - logs[:, 0]) + prior[1] - prior[0]
            right += float(((z > 0) == (y[held] == 1)) @ weights[held])
            total += float(weights[held].sum())
        assert scores[f"{a:g}"] == pytest.approx(right / total)
    assert scores[f"{alpha:g}"] == max(scores.values())


def test_log_probabilities_of_some_rows_are_those_rows_of_all():
    S = np.array([[3.0, 0.0], [0.0, 0.0], [1.0, 5.0], [0.0, 2.0]])
    every = log_probabilities(S, 0.5)
    np.testing.assert_allclose(log_probabilities(S, 0.5, np.array([0, 3])), every[[0, 3]])
    assert every[1].tolist() == [0.0, 0.0]  # a feature no document had tells nothing
    smoothed = S[[0, 2, 3]] + 0.5
    np.testing.assert_allclose(every[[0, 2, 3]], np.log(smoothed / smoothed.sum(axis=0)))


def test_naive_bayes_alpha_for_multi_label_data_and_in_the_model_file(tmp_path):
    texts, label_sets = multilabel_corpus(60, 0)
    clf = TextClassifier(model="nb", **WORDS).fit(texts, label_sets)
    chosen = clf.fitted.provenance["chosen"]
    assert clf.multi_label and chosen["nb_alpha"] in ALPHAS
    assert set(chosen["scores"]) == {f"{a:g}" for a in ALPHAS}
    clf.save(tmp_path / "m.textclf")
    loaded = TextClassifier.load(tmp_path / "m.textclf")
    assert loaded.model.alpha == chosen["nb_alpha"] == loaded.feature_settings.nb_alpha
    assert json.loads(json.dumps(loaded.fitted.provenance))["chosen"]["nb_alpha"] \
        == chosen["nb_alpha"]


def test_auto_alpha_is_one_for_the_nb_weightings_and_a_stream():
    clf = TextClassifier(**WORDS).fit(TRAIN_TEXTS, TRAIN_LABELS)
    assert clf.feature_settings.nb_alpha == 1.0 and "chosen" not in clf.fitted.provenance
    streamed = TextClassifier(model="nb", hash_bits=8, char_ngrams=None).fit_stream(
        lambda: iter(documents()))
    assert streamed.model.alpha == 1.0  # (a stream is read once per pass: nothing chooses)


def test_beta_is_the_best_on_the_held_out_fifth_done_by_hand():
    texts, labels = noisy_sentiment(150, 1)
    clf = TextClassifier(nb_beta="auto", **WORDS).fit(texts, labels)
    chosen = clf.fitted.provenance["chosen"]
    kept, held = hold_out(labels, HELD_OUT, 0)
    for beta in BETAS:  # the same held-out part, a plain fit with each β
        part = TextClassifier(nb_beta=None if beta == 1.0 else beta, **WORDS)
        part.fit([texts[i] for i in kept], [labels[i] for i in kept])
        right = np.mean(np.array(part.predict([texts[i] for i in held]))
                        == np.array([labels[i] for i in held]))
        assert chosen["scores"][f"{beta:g}"] == pytest.approx(right)
    best = max(BETAS, key=lambda b: (chosen["scores"][f"{b:g}"], b))
    assert chosen["nb_beta"] == (None if best == 1.0 else best)
    assert clf.feature_settings.nb_beta == chosen["nb_beta"]
    plain = TextClassifier(nb_beta=chosen["nb_beta"], **WORDS).fit(texts, labels)
    np.testing.assert_allclose(clf.model.theta, plain.model.theta, rtol=1e-12)


@pytest.mark.parametrize("settings, message", [
    (dict(nb_beta="auto", model="softmax"), "nb_beta"),
    (dict(nb_beta="auto", weighting="tfidf"), "nb_beta auto chooses"),
    (dict(nb_beta="auto", model="nb"), "nb_beta"),
    (dict(nb_alpha="often"), "nb_alpha must be 'auto' or a number"),
    (dict(nb_beta=1.5), "nb_beta must be"),
])
def test_bad_choices_are_refused(settings, message):
    with pytest.raises(SettingsError, match=message):
        TextClassifier(**WORDS, **settings).fit(TRAIN_TEXTS, TRAIN_LABELS)


def test_auto_beta_is_refused_on_a_stream():
    clf = TextClassifier(nb_beta="auto", hash_bits=8, char_ngrams=None)
    with pytest.raises(SettingsError, match="held-out training documents in memory"):
        clf.fit_stream(lambda: iter(documents()))
