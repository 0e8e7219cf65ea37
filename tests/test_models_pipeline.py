"""TextClassifier with softmax regression and networks: fit, predict, explain, save, load."""

from __future__ import annotations

import numpy as np
import pytest
from topic_corpus import TEST, TOPICS, TRAIN

from textclf import TextClassifier
from textclf.errors import DataError, SettingsError
from textclf.explain import measured_term_effects
from textclf.models import FeedForwardNetwork, LogisticRegression, SoftmaxRegression

SMALL = {"min_df": 1, "epochs": 15, "batch_size": 8, "char_ngrams": None}  # topic words


@pytest.fixture(scope="module")
def softmax_clf() -> TextClassifier:
    return TextClassifier(**SMALL).fit(*TRAIN, *TEST)


@pytest.fixture(scope="module")
def mlp_clf() -> TextClassifier:
    return TextClassifier(model="mlp", hidden="16,8", dropout=0.2, eta=0.01, **SMALL).fit(
        *TRAIN, *TEST)


def test_auto_chooses_softmax_for_three_classes_and_logistic_for_two(softmax_clf) -> None:
    assert isinstance(softmax_clf.model, SoftmaxRegression)
    assert softmax_clf.training_settings.optimizer == "sgd"  # the lecture's step, its defaults
    two = TextClassifier(**SMALL).fit(TRAIN[0][:60], TRAIN[1][:60])
    assert isinstance(two.model, LogisticRegression)
    forced = TextClassifier(model="softmax", **SMALL).fit(TRAIN[0][:60], TRAIN[1][:60])
    assert isinstance(forced.model, SoftmaxRegression) and forced.model.theta.shape[1] == 2


@pytest.mark.parametrize("fixture", ["softmax_clf", "mlp_clf"])
def test_k_class_models_learn_the_topics(fixture: str, request) -> None:
    clf = request.getfixturevalue(fixture)
    report = clf.evaluate(*TEST)
    assert report.accuracy >= 0.9
    assert report.confusion.shape == (3, 3)
    assert set(report.per_class) == set(TOPICS)
    assert clf.predict(["the rocket reached orbit around the moon"]) == ["space"]
    P = clf.predict_proba(["bake the dough in the oven", "launch"])
    assert P.shape == (2, 3) and np.allclose(P.sum(axis=1), 1.0)
    history = clf.history
    assert len(history) == 15 and "dev_accuracy" in history[-1] and "train_accuracy" in history[0]


def test_softmax_top_features_are_the_largest_weights_per_class(softmax_clf) -> None:
    top = softmax_clf.top_features(3)
    assert list(top) == sorted(TOPICS)
    for label, features in top.items():
        assert len(features) == 3
        # each is a topic word, or an n-gram holding one
        assert all(set(term.split()) & set(TOPICS[label]) for term, _ in features)
        weights = [w for _, w in features]
        assert weights == sorted(weights, reverse=True)
        column = softmax_clf.labels.index(label)
        # a term's weight: θⱼₖ per unit of its value, times the nb scale sⱼ (docs/explain.md)
        scaled = softmax_clf.model.weights[:, column] * softmax_clf.featurizer.column_scale()
        assert weights[0] == pytest.approx(scaled.max())


def test_network_top_features_are_what_each_term_does_alone(mlp_clf) -> None:
    top = mlp_clf.top_features(4)
    for label, features in top.items():
        assert sum(term in TOPICS[label] for term, _ in features) >= 3
    # for a linear model, "the term alone" is exactly its weight
    linear = TextClassifier(model="softmax", **SMALL).fit(*TRAIN)
    effects, _ = measured_term_effects(linear.model, len(linear.featurizer.terms))
    W = linear.model.weights
    np.testing.assert_allclose(effects, W - W.mean(axis=1, keepdims=True), atol=1e-12)


def test_save_and_load_keep_architecture_settings_and_predictions(mlp_clf, tmp_path) -> None:
    path = tmp_path / "mlp.textclf"
    mlp_clf.save(path)
    loaded = TextClassifier.load(path)
    assert isinstance(loaded.model, FeedForwardNetwork)
    assert loaded.model.hidden == (16, 8) and loaded.model.dropout == 0.2
    assert loaded.training_settings == mlp_clf.training_settings
    assert loaded.training_settings.optimizer == "adam"
    texts = TEST[0]
    np.testing.assert_array_equal(loaded.predict_proba(texts), mlp_clf.predict_proba(texts))
    assert loaded.history == mlp_clf.history


def test_early_stopping_in_the_pipeline_keeps_the_best_epoch() -> None:
    clf = TextClassifier(eta=50.0, schedule="constant", patience=2, **SMALL).fit(
        *TRAIN, *TEST)
    losses = [r["dev_loss"] for r in clf.history]
    best = int(np.argmin(losses))
    assert clf.history[best]["best"] is True
    X_dev = clf.transform(TEST[0])
    y_dev = np.array([clf.labels.index(label) for label in TEST[1]])
    assert clf.model.loss_sum(X_dev, y_dev) / len(y_dev) == pytest.approx(losses[best])


def test_training_settings_default_by_model_kind_and_can_be_overridden() -> None:
    assert TextClassifier(model="mlp").training_settings.optimizer == "adam"
    assert TextClassifier().training_settings.optimizer == "sgd"
    clf = TextClassifier(model="mlp", optimizer="momentum", eta=0.05, l2=1e-4)
    settings = clf.training_settings
    assert (settings.optimizer, settings.eta, settings.l2) == ("momentum", 0.05, 1e-4)


@pytest.mark.parametrize("settings,error,message", [
    ({"model": "svm"}, SettingsError,
     "model must be one of auto, logistic, softmax, mlp, nb, ensemble, got 'svm'"),
    ({"model": "mlp", "hidden": "64,0"}, SettingsError, "positive integers"),
    ({"model": "mlp", "dropout": 1.0}, SettingsError, "dropout"),
    ({"model": "mlp", "activation": "elu"}, SettingsError, "activation"),
    ({"optimizer": "rmsprop"}, SettingsError, "optimizer must be one of"),
    ({"schedule": "step"}, SettingsError, "schedule must be one of"),
    ({"l1": -1.0}, SettingsError, "l1"),
    ({"patience": 0}, SettingsError, "patience"),
])
def test_bad_settings_are_refused_at_construction(settings, error, message) -> None:
    with pytest.raises(error, match=message):
        TextClassifier(**settings)


def test_logistic_on_three_classes_names_the_way_out() -> None:
    with pytest.raises(DataError, match="exactly two classes.*use --model softmax"):
        TextClassifier(model="logistic", **SMALL).fit(*TRAIN)
