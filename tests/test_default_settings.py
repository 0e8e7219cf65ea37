"""A model kind's default training settings, and the η a chosen optimizer gets."""

import pytest
from topic_corpus import TRAIN

from textclf import TextClassifier
from textclf.errors import SettingsError
from textclf.training import (
    LBFGS_ITERATIONS,
    LBFGS_L2,
    LINEAR_ADAM_ETA,
    MODEL_DEFAULTS,
    default_settings,
)


@pytest.mark.parametrize("kind", ["logistic", "softmax", "mlp"])
def test_no_overrides_are_the_model_defaults(kind):
    settings = default_settings(kind)
    for name, value in MODEL_DEFAULTS[kind].items():
        assert getattr(settings, name) == value


@pytest.mark.parametrize("kind", ["logistic", "softmax"])
def test_momentum_keeps_the_effective_step_of_sgd(kind):
    sgd_eta = MODEL_DEFAULTS[kind]["eta"]
    # the velocity sums past steps to about η/(1 − μ): η·(1 − μ) keeps SGD's step
    assert default_settings(kind, {"optimizer": "momentum"}).eta == pytest.approx(
        sgd_eta * (1 - 0.9))
    half = default_settings(kind, {"optimizer": "momentum", "momentum": 0.5})
    assert half.eta == pytest.approx(sgd_eta * 0.5)
    assert default_settings(kind, {"optimizer": "adam"}).eta == LINEAR_ADAM_ETA


def test_a_given_eta_and_the_networks_adam_are_left_alone():
    assert default_settings("softmax", {"optimizer": "momentum", "eta": 3.0}).eta == 3.0
    assert default_settings("logistic", {"optimizer": "sgd"}).eta == MODEL_DEFAULTS[
        "logistic"]["eta"]
    assert default_settings("mlp", {"epochs": 2}).eta == MODEL_DEFAULTS["mlp"]["eta"]


def test_the_classifier_resolves_eta_for_the_kind_it_trains():
    clf = TextClassifier(optimizer="momentum", min_df=1, epochs=2)
    assert clf.training_settings.eta == pytest.approx(MODEL_DEFAULTS["logistic"]["eta"] * 0.1)
    clf.fit(*TRAIN)  # three topics: softmax regression
    assert clf.training_settings.eta == pytest.approx(MODEL_DEFAULTS["softmax"]["eta"] * 0.1)
    assert TextClassifier(optimizer="momentum", eta=2.0).training_settings.eta == 2.0


def test_the_scikit_learn_text_estimator_gets_the_same_eta():
    sklearn_text = pytest.importorskip("textclf.sklearn")
    clf = sklearn_text.RawTextClassifier(optimizer="adam", min_df=1, epochs=1, random_state=0)
    clf.fit(*TRAIN)
    assert clf.training_.eta == LINEAR_ADAM_ETA


def test_bad_overrides_still_name_the_field():
    with pytest.raises(SettingsError, match="momentum"):
        default_settings("logistic", {"optimizer": "momentum", "momentum": 1.5}).validate()


def test_a_momentum_of_the_wrong_type_is_refused_by_name():
    with pytest.raises(SettingsError, match="momentum"):
        default_settings("softmax", {"optimizer": "momentum", "momentum": "fast"}).validate()


@pytest.mark.parametrize("kind", ["logistic", "softmax"])
def test_lbfgs_gets_its_own_iterations_and_penalty_unless_given(kind):
    settings = default_settings(kind, {"optimizer": "lbfgs"})
    assert (settings.epochs, settings.l2) == (LBFGS_ITERATIONS, LBFGS_L2)
    given = default_settings(kind, {"optimizer": "lbfgs", "epochs": 7, "l2": 0.0})
    assert (given.epochs, given.l2) == (7, 0.0)
    assert default_settings("mlp", {"optimizer": "lbfgs"}).l2 == 0.0  # weight decay: off
