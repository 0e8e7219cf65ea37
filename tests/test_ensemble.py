"""``model="ensemble"``: the averaged probabilities of a model per group of the features."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import TRAIN_LABELS, TRAIN_TEXTS, run_cli
from topic_corpus import TEST, TRAIN, multilabel_corpus

from textclf import TextClassifier
from textclf.errors import SettingsError
from textclf.fitting.ensemble import group_columns
from textclf.models import LogisticRegression
from textclf.training import train

CHARS = dict(min_df=1, char_ngrams=(2, 3))


def member_probabilities(clf: TextClassifier, texts: list[str]) -> list[np.ndarray]:
    X = clf.transform(texts)
    return [member.predict_proba(clf.model.member_rows(X, m))
            for m, member in enumerate(clf.model.members)]


@pytest.mark.parametrize("texts, labels", [(TRAIN_TEXTS, TRAIN_LABELS), TRAIN,
                                           multilabel_corpus(60, 0)],
                         ids=["two-classes", "three-classes", "multi-label"])
def test_the_probabilities_are_the_average_of_the_members(texts, labels):
    clf = TextClassifier(model="ensemble", **CHARS).fit(texts, labels)
    assert clf.model.names == ["words", "chars"]
    probe = ["a wonderful goal", "rocket orbit dull", "", "terrible sauce"]
    expected = np.mean(member_probabilities(clf, probe), axis=0)
    if not clf.multi_label and expected.shape[1] == 2:
        assert len(member_probabilities(clf, probe)) == 2
    np.testing.assert_allclose(clf.predict_proba(probe), expected, rtol=1e-10, atol=1e-12)
    assert clf.history[-1]["member"] == "ensemble"
    assert {r["member"] for r in clf.history} == {"words", "chars", "ensemble"}


def test_each_member_is_the_model_trained_alone_on_its_columns():
    clf = TextClassifier(model="ensemble", **CHARS).fit(TRAIN_TEXTS, TRAIN_LABELS)
    X = clf.transform(TRAIN_TEXTS)
    y = np.array([clf.labels.index(label) for label in TRAIN_LABELS])
    words = group_columns(clf.featurizer, "words")
    chars = group_columns(clf.featurizer, "chars")
    assert len(words) + len(chars) == X.shape[1] - 1
    assert all(clf.featurizer.terms[j].startswith("[") for j in chars)
    assert clf.model.normalise  # tf-idf × r makes rows of unit length: so do the members'
    for m, columns in enumerate((words, chars)):
        part = X[:, columns].toarray()
        rows = clf.model.member_rows(X, m)
        np.testing.assert_allclose(rows[:, :-1].toarray(),
                                   part / np.linalg.norm(part, axis=1, keepdims=True))
        alone = LogisticRegression(rows.shape[1])
        train(alone, rows, y, clf.training_settings)
        np.testing.assert_allclose(clf.model.members[m].theta, alone.theta, rtol=1e-9,
                                   atol=1e-12)


def test_counts_are_scaled_by_one_factor_per_member():
    clf = TextClassifier(model="ensemble", weighting="count", **CHARS).fit(*TRAIN)
    X = clf.transform(TRAIN[0])
    assert not clf.model.normalise
    for m, columns in enumerate(clf.model.columns):
        part = X[:, columns[:-1]]
        scale = 1 / np.sqrt(part.multiply(part).sum() / X.shape[0])  # unit mean length
        assert clf.model.scales[m] == pytest.approx(scale)
        np.testing.assert_allclose(clf.model.member_rows(X, m)[:, :-1].toarray(),
                                   part.toarray() * scale)


def test_unigrams_and_all_where_there_are_no_character_ngrams():
    clf = TextClassifier(model="ensemble", min_df=1, char_ngrams=None).fit(*TRAIN)
    assert clf.model.names == ["unigrams", "all"]
    unigrams = clf.model.columns[0][:-1]
    terms = list(clf.featurizer.terms)
    assert {terms[j] for j in unigrams} == {t for t in terms if " " not in t}
    assert len(clf.model.columns[1]) == clf.featurizer.n_features
    assert np.mean(np.array(clf.predict(TEST[0])) == np.array(TEST[1])) > 0.9


def test_saved_loaded_explained_and_on_the_command_line(tmp_path, capsys):
    clf = TextClassifier(model="ensemble", **CHARS).fit(*TRAIN)
    path = tmp_path / "e.textclf"
    clf.save(path)
    loaded = TextClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(TEST[0]), clf.predict_proba(TEST[0]))
    assert loaded.get_settings()["model"] == "ensemble"
    explanation = loaded.explain("rocket orbit launch today")
    assert explanation.method == "gradient × input"
    assert explanation.predicted == "space"
    data = tmp_path / "train.jsonl"
    data.write_text("".join(f'{{"text": "{t}", "label": "{y}"}}\n' for t, y in zip(*TRAIN,
                                                                                  strict=True)))
    model = tmp_path / "cli.textclf"
    status, _, err = run_cli(capsys, "train", data, "-o", model, "--model", "ensemble",
                             "--members", "words,chars,all", "--char-ngrams", "2-3", "-q")
    assert status == 0, err
    assert TextClassifier.load(model).model.names == ["words", "chars", "all"]
    status, out, _ = run_cli(capsys, "predict", model, "--text", "penalty goal striker")
    assert status == 0 and out.split("\t")[0] == "football"
    status, out, _ = run_cli(capsys, "inspect", model)
    assert status == 0 and "ensemble" in out


@pytest.mark.parametrize("texts, labels, weighting", [
    (TRAIN_TEXTS, TRAIN_LABELS, "tfidf-nb"), (*TRAIN, "tfidf-nb"), (*TRAIN, "count"),
    (*multilabel_corpus(60, 1), "tfidf")],
    ids=["two-classes", "three-classes", "three-classes-counts", "multi-label"])
def test_the_input_gradient_is_that_of_the_ensembles_logits(texts, labels, weighting):
    """∂z_k/∂x by the chain rule (through the members' scaling to unit length, or their
    factor) against central differences of z_k, on a dense row."""
    clf = TextClassifier(model="ensemble", weighting=weighting, **CHARS).fit(texts, labels)
    x = np.abs(clf.transform(["rocket goal sauce today"]).toarray()) + 0.05
    x[0, -1] = 1.0  # every column present, so each has a derivative to check
    n_outputs = clf.model.decision_function(_csr(x)).reshape(1, -1).shape[1]
    for column in range(n_outputs):
        analytic = clf.model.input_gradient(_csr(x), column)[0]
        checked = np.random.default_rng(column).permutation(x.shape[1] - 1)[:40]
        numeric = np.zeros(len(checked))
        for i, j in enumerate(checked):
            up, down = x.copy(), x.copy()
            up[0, j] += 1e-6
            down[0, j] -= 1e-6
            numeric[i] = (_z(clf, up, column) - _z(clf, down, column)) / 2e-6
        np.testing.assert_allclose(analytic[checked], numeric, rtol=1e-4, atol=1e-6)


def _csr(x):
    return sp.csr_matrix(x)


def _z(clf, x, column):
    z = clf.model.decision_function(_csr(x))
    return float(z.reshape(1, -1)[0, column])


@pytest.mark.parametrize("settings, message", [
    (dict(hash_bits=10), "needs a vocabulary"),
    (dict(char_ngrams=None, members="words,chars"), "needs character n-grams"),
    (dict(members="words"), "members must be auto or 2 to 16"),
    (dict(members="words,sentences"), "members must be auto or 2 to 16"),
])
def test_bad_ensembles_are_refused(settings, message):
    with pytest.raises(SettingsError, match=message):
        TextClassifier(model="ensemble", **{**CHARS, **settings}).fit(TRAIN_TEXTS,
                                                                       TRAIN_LABELS)


def test_an_ensemble_is_not_trained_where_its_members_cannot_be(tmp_path):
    from textclf.corpus import Document

    with pytest.raises(SettingsError, match="in memory"):
        TextClassifier(model="ensemble", hash_bits=8, char_ngrams=None).fit_stream(
            lambda: iter([Document(t, y, str(i)) for i, (t, y) in
                          enumerate(zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True))]))
    with pytest.raises(SettingsError, match="checkpoint"):
        TextClassifier(model="ensemble", **CHARS).fit(
            TRAIN_TEXTS, TRAIN_LABELS, checkpoint=tmp_path / "c.textclf")


def test_an_unfitted_ensemble_previews_its_members_training_settings():
    """Before fit, training_settings previews what the model would get; an ensemble's
    members train as logistic (or softmax) regression."""
    from textclf import TextClassifier

    assert TextClassifier(model="ensemble").training_settings.eta \
        == TextClassifier(model="logistic").training_settings.eta
