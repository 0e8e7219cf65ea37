"""Class weights and sample weights (issue 17, part 2): the objective Σᵢ sᵢL⁽ⁱ⁾ / Σᵢ sᵢ in
the models, in every step strategy, from the readers, the Python API and the command line."""

from __future__ import annotations

import contextlib
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import SMALL, TRAIN_LABELS, TRAIN_TEXTS, in_order_fit, run_cli

from textclf import TextClassifier
from textclf.core import jit
from textclf.core.sparse import add_bias_column
from textclf.corpus import iter_documents, read_corpus
from textclf.errors import DataError, SettingsError
from textclf.models import FeedForwardNetwork, LogisticRegression, SoftmaxRegression
from textclf.training import TrainingSettings, train
from textclf.training.sources import class_weights, document_weights, mean_one, weighted_rows


def _problem(n: int, d: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.4, random_state=seed, format="csr")
    return add_bias_column(X), rng.integers(0, k, size=n)


def _model(kind: str, n_features: int, k: int):
    if kind == "logistic":
        return LogisticRegression(n_features, init="random", seed=0)
    if kind == "softmax":
        return SoftmaxRegression(n_features, k, init="random", seed=0)
    return FeedForwardNetwork(n_features, k, hidden=(5,), activation="tanh", seed=0)


def _engine(name: str):
    if name == "compiled":
        pytest.importorskip("numba")
        if not jit.enabled():
            pytest.skip("compiled kernels switched off (TEXTCLF_NO_JIT)")
        return contextlib.nullcontext()
    return jit.disabled()


# the models: Σᵢ sᵢL⁽ⁱ⁾ and Σᵢ sᵢ∇L⁽ⁱ⁾ ---------------------------------------------------------
@pytest.mark.parametrize("kind", ["logistic", "softmax", "mlp"])
def test_weighted_sums_equal_repeated_rows(kind):
    """Integer weights give the loss and gradient sums of the rows repeated that often."""
    k = 2 if kind == "logistic" else 3
    X, y = _problem(12, 6, k, seed=1)
    weights = np.array([0, 1, 2, 3, 1, 1, 2, 0, 4, 1, 2, 1], dtype=float)
    model = _model(kind, 7, k)
    repeat = np.repeat(np.arange(12), weights.astype(int))
    loss_w, grad_w = model.loss_and_gradient_sum(X, y, weights)
    loss_r, grad_r = model.loss_and_gradient_sum(X[repeat], y[repeat])
    assert loss_w == pytest.approx(loss_r, rel=1e-12)
    assert model.loss_sum(X, y, weights) == pytest.approx(loss_r, rel=1e-12)
    assert set(grad_w) == set(grad_r)
    for name in grad_r:
        np.testing.assert_allclose(np.asarray(grad_w[name]), np.asarray(grad_r[name]),
                                   rtol=1e-10, atol=1e-12)
    ones_loss, ones_grad = model.loss_and_gradient_sum(X, y, np.ones(12))
    plain_loss, plain_grad = model.loss_and_gradient_sum(X, y)
    assert ones_loss == pytest.approx(plain_loss, rel=1e-12)
    for name in plain_grad:
        np.testing.assert_allclose(np.asarray(ones_grad[name]), np.asarray(plain_grad[name]),
                                   rtol=1e-10, atol=1e-12)


# every step strategy: a weight of 2 is the document twice ----------------------------------------
@pytest.mark.parametrize("engine", ["plain", "sparse", "compiled"])
@pytest.mark.parametrize("kind", ["logistic", "softmax"])
def test_weight_two_equals_a_duplicated_document_in_full_batch_descent(engine, kind):
    """Full-batch gradient descent on weights (2 for some rows, scaled to mean 1) and on the
    data with those rows duplicated takes the same steps: the same θ."""
    k = 2 if kind == "logistic" else 3
    X, y = _problem(30, 8, k, seed=4)
    twice = np.array([0, 3, 7, 8, 20])
    weights = np.ones(30)
    weights[twice] = 2.0
    X_dup, y_dup = sp.vstack([X, X[twice]], format="csr"), np.r_[y, y[twice]]
    settings = TrainingSettings(batch_size=100, epochs=15, eta=2.0, l2=1e-3, bias_rate=0.5)
    weighted, duplicated = _model(kind, 9, k), _model(kind, 9, k)
    with _engine(engine):
        step = "plain" if engine == "plain" else "auto"
        train(weighted, X, y, settings, weights=mean_one(weights), engine=step)
        train(duplicated, X_dup, y_dup, settings, engine=step)
    np.testing.assert_allclose(weighted.theta, duplicated.theta, rtol=1e-10, atol=1e-12)
    assert np.abs(weighted.theta).max() > 0.1  # it did learn something


def test_weight_two_equals_a_duplicated_document_for_a_network():
    X, y = _problem(30, 8, 3, seed=5)
    twice = np.array([1, 2, 9])
    weights = np.ones(30)
    weights[twice] = 2.0
    X_dup, y_dup = sp.vstack([X, X[twice]], format="csr"), np.r_[y, y[twice]]
    settings = TrainingSettings(batch_size=100, epochs=10, eta=0.05, optimizer="adam")
    weighted, duplicated = _model("mlp", 9, 3), _model("mlp", 9, 3)
    train(weighted, X, y, settings, weights=mean_one(weights))
    train(duplicated, X_dup, y_dup, settings)
    for name, array in weighted.parameters().items():
        np.testing.assert_allclose(array, duplicated.parameters()[name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("engine", ["sparse", "compiled"])
@pytest.mark.parametrize("kind", ["logistic", "softmax"])
def test_the_sparse_steps_weigh_rows_as_the_plain_step(engine, kind):
    """Shuffled mini-batches with uneven weights: the O(nnz) steps give the plain step's θ."""
    k = 2 if kind == "logistic" else 4
    X, y = _problem(101, 20, k, seed=6)
    weights = mean_one(np.random.default_rng(7).uniform(0.1, 3.0, size=101))
    settings = TrainingSettings(batch_size=7, epochs=3, eta=1.5, l2=1e-2, bias_rate=0.1,
                                schedule="linear")
    plain, fast = _model(kind, 21, k), _model(kind, 21, k)
    history_plain = train(plain, X, y, settings, weights=weights, engine="plain")
    with _engine(engine):
        history_fast = train(fast, X, y, settings, weights=weights, engine="auto")
    assert np.abs(plain.theta - fast.theta).max() < 1e-10
    assert history_fast[-1]["train_loss"] == pytest.approx(history_plain[-1]["train_loss"],
                                                           rel=1e-10)


def test_weights_change_theta():
    """Weights are not ignored: doubling one class's rows moves θ."""
    X, y = _problem(60, 8, 2, seed=8)
    settings = TrainingSettings(batch_size=8, epochs=3, eta=1.0)
    plain, heavy = _model("logistic", 9, 2), _model("logistic", 9, 2)
    train(plain, X, y, settings)
    train(heavy, X, y, settings, weights=mean_one(np.where(y == 1, 5.0, 1.0)))
    assert heavy.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean() + 0.05


# class weights ------------------------------------------------------------------------------------
def test_balanced_class_weights_are_n_over_k_times_n_c():
    counts = np.array([90, 10])
    np.testing.assert_allclose(class_weights("balanced", ["ham", "spam"], counts),
                               [100 / (2 * 90), 100 / (2 * 10)])
    # every class then carries the same total weight n/K
    targets = np.r_[np.zeros(90, int), np.ones(10, int)]
    s = document_weights(targets, ["ham", "spam"], "balanced", None)
    assert s[targets == 0].sum() == pytest.approx(s[targets == 1].sum()) == pytest.approx(50)


def test_named_class_weights_and_their_parsing():
    settings = TrainingSettings(class_weight=" spam=5, ham=1 ")
    assert settings.class_weight == {"spam": 5.0, "ham": 1.0}
    assert TrainingSettings(class_weight={"spam": 5}).class_weight == {"spam": 5.0}
    np.testing.assert_allclose(class_weights({"spam": 5.0}, ["ham", "spam"], np.ones(2)),
                               [1.0, 5.0])  # a class not named weighs 1
    assert TrainingSettings.from_dict(settings.as_dict()) == settings  # survives the file


@pytest.mark.parametrize("value, message", [
    ("spam", "LABEL=WEIGHT"), ("spam=lots", "not a number"), ("spam=-1", "≥ 0"),
    ("spam=nan", "≥ 0"), ({}, "must be 'balanced'"), (3, "must be 'balanced'"),
])
def test_bad_class_weights_are_refused_by_name(value, message):
    with pytest.raises(SettingsError, match="class_weight") as caught:
        TrainingSettings(class_weight=value)
    assert message in str(caught.value)


def test_class_weights_name_unknown_labels_and_refuse_multilabel_targets():
    with pytest.raises(SettingsError, match="'eggs'"):
        class_weights({"eggs": 2.0}, ["ham", "spam"], np.ones(2))
    with pytest.raises(SettingsError, match="every class"):
        class_weights("balanced", ["ham", "spam"], np.array([3, 0]))
    with pytest.raises(SettingsError, match="single-label"):
        document_weights(np.zeros((4, 3)), ["a", "b", "c"], "balanced", None)


def test_weighted_rows_leave_out_weight_zero_and_scale_to_mean_one():
    rows, weights = weighted_rows(np.array([0.0, 2.0, 0.0, 6.0]))
    np.testing.assert_array_equal(rows, [1, 3])
    np.testing.assert_allclose(weights, [0.5, 1.5])
    assert weighted_rows(None) == (None, None)


# the classifier --------------------------------------------------------------------------------
def test_a_weight_of_two_in_the_classifier_equals_the_document_twice():
    """With binary features (no idf to change) and one batch per epoch, fit with
    sample_weight 2 on some texts gives the θ of fit on those texts duplicated."""
    options = dict(weighting="binary", min_df=1, batch_size=64, epochs=8, eta=1.0)
    twice = [0, 5, 9]
    weights = [2.0 if i in twice else 1.0 for i in range(len(TRAIN_TEXTS))]
    weighted = TextClassifier(**options).fit(TRAIN_TEXTS, TRAIN_LABELS, sample_weight=weights)
    duplicated = TextClassifier(**options).fit(
        TRAIN_TEXTS + [TRAIN_TEXTS[i] for i in twice],
        TRAIN_LABELS + [TRAIN_LABELS[i] for i in twice])
    np.testing.assert_allclose(weighted.model.theta, duplicated.model.theta, rtol=1e-10,
                               atol=1e-12)


def test_class_weight_moves_predictions_toward_the_heavy_class():
    texts, labels = TRAIN_TEXTS, TRAIN_LABELS
    plain = TextClassifier(**SMALL).fit(texts, labels)
    heavy = TextClassifier(**SMALL, class_weight={"pos": 20}).fit(texts, labels)
    probe = ["a film", "the plot", "acting"]
    assert (heavy.predict_proba(probe)[:, 1] > plain.predict_proba(probe)[:, 1]).all()
    assert heavy.training_settings.class_weight == {"pos": 20.0}


def test_zero_weight_documents_take_no_step_and_bad_weights_are_refused():
    """A document of weight 0 joins the vocabulary but no step: its own terms keep θ = 0."""
    texts = [*TRAIN_TEXTS, "zyzzyva quokka", "zyzzyva quokka"]
    labels = [*TRAIN_LABELS, "pos", "pos"]
    weights = [1.0] * len(TRAIN_TEXTS) + [0.0, 0.0]
    clf = TextClassifier(**SMALL).fit(texts, labels, sample_weight=weights)
    columns = [clf.featurizer.terms.index(t) for t in ("zyzzyva", "quokka", "zyzzyva quokka")]
    assert np.all(clf.model.theta[columns] == 0.0)
    unweighted = TextClassifier(**SMALL).fit(texts, labels)
    assert np.all(unweighted.model.theta[columns] > 0)
    with pytest.raises(SettingsError, match="non-negative"):
        TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS, sample_weight=[-1.0] * 16)
    with pytest.raises(SettingsError, match="shape"):
        TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS, sample_weight=[1.0])
    with pytest.raises(SettingsError, match="zero for every"):
        TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS, sample_weight=[0.0] * 16)


def test_the_dev_loss_is_weighted_like_the_training_loss():
    dev_texts, dev_labels = TRAIN_TEXTS[:6], TRAIN_LABELS[:6]
    clf = TextClassifier(**{**SMALL, "epochs": 1}).fit(
        TRAIN_TEXTS, TRAIN_LABELS, dev_texts, dev_labels, dev_sample_weight=[3, 0, 0, 0, 0, 0])
    X = clf.featurizer.transform(dev_texts[:1])
    y = np.array([clf.labels.index(dev_labels[0])])
    expected = clf.model.loss_sum(X, y)  # only the first counts
    assert clf.history[-1]["dev_loss"] == pytest.approx(expected, rel=1e-12)


# the scikit-learn estimators --------------------------------------------------------------------
@pytest.mark.parametrize("n_classes", [2, 3])
def test_sklearn_class_weights_meet_the_estimator_check_on_standardised_features(n_classes):
    """scikit-learn's check_class_weight_classifiers, on standardised features: with class 0
    weighing 10⁷ times the others, at least 87% of the test points are predicted 0."""
    from sklearn.datasets import make_blobs
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from textclf.sklearn import (
        LogisticRegressionClassifier,
        MLPClassifier,
        SoftmaxRegressionClassifier,
    )

    X, y = make_blobs(centers=n_classes, random_state=0, cluster_std=20)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    weights = {0: 1000, 1: 0.0001, 2: 0.0001}
    weights = {k: v for k, v in weights.items() if k < n_classes}
    estimators = [SoftmaxRegressionClassifier(), MLPClassifier()]
    if n_classes == 2:
        estimators.append(LogisticRegressionClassifier())
    for estimator in estimators:
        plain = np.mean(estimator.fit(X_train, y_train).predict(X_test) == 0)
        weighted = estimator.set_params(class_weight=weights).fit(X_train, y_train)
        share = np.mean(weighted.predict(X_test) == 0)
        assert share > 0.87 and share > plain, (estimator, share, plain)


# readers and the command line ------------------------------------------------------------------
def _jsonl(path: Path, records: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    return path


def test_readers_take_weights_from_a_field_or_column(tmp_path):
    path = _jsonl(tmp_path / "w.jsonl.gz", [{"text": "a", "label": "x", "w": 2},
                                            {"text": "b", "label": "y", "w": 0.5}])
    corpus = read_corpus(path, weight_field="w")
    assert corpus.weights == [2.0, 0.5]
    assert read_corpus(path).weights is None
    csv = tmp_path / "w.csv"
    csv.write_text("text,label,w\na,x,2\nb,y,0.25\n", encoding="utf-8")
    assert read_corpus(csv, weight_field="w").weights == [2.0, 0.25]


@pytest.mark.parametrize("record, message", [
    ({"text": "a", "label": "x"}, "field 'w' (the weight) is missing"),
    ({"text": "a", "label": "x", "w": -1}, "finite number ≥ 0"),
    ({"text": "a", "label": "x", "w": "heavy"}, "not a number"),
    ({"text": "a", "label": "x", "w": True}, "must be a number"),
    ({"text": "a", "label": "x", "w": [1]}, "must be a number"),
])
def test_a_bad_weight_is_named_with_its_file_and_line(tmp_path, record, message):
    path = _jsonl(tmp_path / "bad.jsonl.gz", [{"text": "ok", "label": "y", "w": 1}, record])
    with pytest.raises(DataError, match="line 2") as caught:
        read_corpus(path, weight_field="w")
    assert message in str(caught.value)


def test_weights_need_a_format_with_fields(tmp_path):
    path = tmp_path / "a.ft"
    path.write_text("__label__x a\n__label__y b\n", encoding="utf-8")
    with pytest.raises(DataError, match="--weight-field"):
        list(iter_documents(path, weight_field="w"))
    csv = tmp_path / "w.csv"
    csv.write_text("text,label\na,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column 'w'"):
        list(iter_documents(csv, weight_field="w"))


def _weighted_corpus(tmp_path: Path) -> Path:
    records = [{"text": text, "label": label, "w": 3.0 if label == "pos" else 1.0}
               for text, label in zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True)]
    return _jsonl(tmp_path / "train.jsonl.gz", records)


def test_cli_trains_with_class_and_document_weights(tmp_path, capsys):
    data = _weighted_corpus(tmp_path)
    small = ["--min-df", "1", "--epochs", "5", "--batch-size", "4", "--quiet"]
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m1.textclf",
                             "--class-weight", "balanced", *small)
    assert status == 0, err
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m2.textclf",
                             "--weight-field", "w", "--class-weight", "neg=2", *small)
    assert status == 0, err
    same = TextClassifier.load(tmp_path / "m2.textclf")
    assert same.training_settings.class_weight == {"neg": 2.0}


@pytest.mark.parametrize("options, message", [
    (["--class-weight", "spam=x"], "--class-weight: class_weight: the weight of 'spam'"),
    (["--class-weight", "eggs=2"], "'eggs'"),
    (["--weight-field", "missing"], "field 'missing' (the weight) is missing"),
])
def test_cli_refuses_bad_weights_in_one_line(tmp_path, capsys, options, message):
    data = _weighted_corpus(tmp_path)
    status, out, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf",
                               "--min-df", "1", "--quiet", *options)
    assert status == 1 and err.startswith("textclf: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "m.textclf").exists()


def test_streaming_with_weights_gives_the_in_memory_theta(tmp_path):
    """Weights in the file and class weights: the streamed run scales them to mean 1 from
    its first pass and takes the in-memory run's steps (same order, no shuffling)."""
    data = _weighted_corpus(tmp_path)
    options = dict(hash_bits=10, epochs=2, batch_size=4, eta=2.0, class_weight={"neg": 2})
    corpus = read_corpus(data, weight_field="w")
    streamed = TextClassifier(**options).fit_stream(
        lambda: iter_documents(data, weight_field="w"), chunk_docs=8, shuffle=False)
    reference = in_order_fit(options, corpus.texts, corpus.labels,
                             sample_weight=corpus.weights).model
    assert np.abs(streamed.model.theta - reference.theta).max() < 1e-10
