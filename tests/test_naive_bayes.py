"""Multinomial naive Bayes (``--model nb``): θ counted in one pass, the same model as
scikit-learn's MultinomialNB, and a linear model for everything else textclf does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TRAIN_LABELS, TRAIN_TEXTS, in_order_fit, run_cli

from textclf import TextClassifier
from textclf.errors import SettingsError

WORDS = dict(min_df=1, char_ngrams=None, nb_alpha=1.0)  # (auto would choose α)
TOPICS = (["goal match team win", "vote senate law bill", "rocket orbit moon launch",
           "team goal score", "senate vote", "moon rocket"] * 4)
TOPIC_LABELS = ["sport", "politics", "space", "sport", "politics", "space"] * 4


@pytest.mark.parametrize("texts, labels", [(TRAIN_TEXTS, TRAIN_LABELS), (TOPICS, TOPIC_LABELS)],
                         ids=["two-classes", "three-classes"])
@pytest.mark.parametrize("weighting", ["binary", "count"])
def test_the_probabilities_are_scikit_learns_multinomial_nb(texts, labels, weighting):
    from sklearn.naive_bayes import MultinomialNB

    clf = TextClassifier(model="nb", weighting=weighting, **WORDS).fit(texts, labels)
    X = clf.transform(texts)[:, :-1]
    reference = MultinomialNB(alpha=1.0).fit(X, labels)
    assert list(reference.classes_) == clf.labels
    probe = ["a wonderful goal", "dull senate", "", "rocket team"]
    np.testing.assert_allclose(clf.predict_proba(probe),
                               reference.predict_proba(clf.transform(probe)[:, :-1]),
                               rtol=1e-9, atol=1e-12)
    assert clf.model.kind == "nb" and len(clf.history) == 1


def test_two_classes_give_log_likelihood_ratios_as_weights():
    clf = TextClassifier(model="nb", **WORDS).fit(TRAIN_TEXTS, TRAIN_LABELS)
    X = clf.transform(TRAIN_TEXTS)[:, :-1].toarray()
    y = np.array([clf.labels.index(label) for label in TRAIN_LABELS])
    S = np.stack([X[y == c].sum(axis=0) for c in (0, 1)], axis=1) + 1.0
    log_p = np.log(S / S.sum(axis=0))
    np.testing.assert_allclose(clf.model.theta[:-1], log_p[:, 1] - log_p[:, 0], rtol=1e-12)
    assert clf.model.theta[-1] == pytest.approx(np.log((y == 1).mean() / (y == 0).mean()))
    explanation = clf.explain("a dull and boring film")
    z = explanation.predicted_class
    assert z.baseline + sum(c.contribution for c in z.contributions) == pytest.approx(z.score)
    dull = next(c for c in z.contributions if c.term == "dull")
    assert dull.weight < 0 and dull.value == 1.0
    assert dict(clf.top_features(50)["neg"])["dull"] == pytest.approx(dull.weight)


def test_multi_label_naive_bayes_is_one_against_the_rest_per_label():
    sets = [["sport"], ["politics"], ["space"], ["sport", "space"], [], ["politics"]] * 4
    clf = TextClassifier(model="nb", **WORDS).fit(TOPICS, sets)
    assert clf.multi_label and clf.model.kind == "nb"
    X = clf.transform(TOPICS)[:, :-1].toarray()
    for label in range(len(clf.labels)):
        has = np.array([clf.labels[label] in s for s in sets])
        pos, neg = X[has].sum(axis=0) + 1.0, X[~has].sum(axis=0) + 1.0
        expected = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
        np.testing.assert_allclose(clf.model.theta[:-1, label], expected, rtol=1e-12)
    assert clf.predict(["rocket moon launch, team goal match"]) == [["space", "sport"]]


def test_a_document_of_weight_two_counts_as_two_documents():
    doubled = TextClassifier(model="nb", **WORDS).fit(TRAIN_TEXTS + TRAIN_TEXTS[:3],
                                                      TRAIN_LABELS + TRAIN_LABELS[:3])
    weighted = TextClassifier(model="nb", **WORDS).fit(
        TRAIN_TEXTS, TRAIN_LABELS, sample_weight=[2.0] * 3 + [1.0] * 13)
    probe = ["a dull film", "a wonderful film"]
    np.testing.assert_allclose(weighted.predict_proba(probe), doubled.predict_proba(probe),
                               rtol=1e-9)


def test_saved_loaded_streamed_and_on_the_command_line(tmp_path, capsys):
    options = dict(model="nb", hash_bits=10, char_ngrams=None, nb_alpha=1.0)
    clf = in_order_fit(options, TRAIN_TEXTS, TRAIN_LABELS)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                            for t, y in zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True)))
    from textclf.corpus import iter_documents

    streamed = TextClassifier(**options).fit_stream(lambda: iter_documents(data), chunk_docs=5)
    np.testing.assert_allclose(streamed.model.theta, clf.model.theta, rtol=1e-12)
    model = tmp_path / "nb.textclf"
    status, out, err = run_cli(capsys, "train", data, "-o", model, "--model", "nb",
                               "--min-df", "1")
    assert status == 0, err
    assert "naive Bayes" in out or "nb" in out
    loaded = TextClassifier.load(model)
    assert loaded.model.kind == "nb" and loaded.feature_settings.weighting == "binary"
    status, out, _ = run_cli(capsys, "predict", model, "--text", "a dull and boring film")
    assert status == 0 and out.split("\t")[0] == "neg"
    status, out, _ = run_cli(capsys, "inspect", model)
    assert "multinomial naive Bayes" in out


def test_naive_bayes_refuses_what_it_cannot_count():
    with pytest.raises(SettingsError, match="naive Bayes counts feature values"):
        TextClassifier(model="nb", weighting="tfidf-nb", **WORDS).fit(TRAIN_TEXTS,
                                                                       TRAIN_LABELS)
    with pytest.raises(SettingsError, match="nb_beta"):
        TextClassifier(model="nb", nb_beta=0.5, **WORDS).fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf = TextClassifier(model="nb", **WORDS)
    with pytest.raises(SettingsError, match="naive Bayes counts all its documents"):
        clf.partial_fit(TRAIN_TEXTS, TRAIN_LABELS, classes=["neg", "pos"])
