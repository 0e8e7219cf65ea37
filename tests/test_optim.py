"""Optimisers, schedules, regularisation, early stopping and the training settings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from textclf.errors import SettingsError
from textclf.models import FeedForwardNetwork, LogisticRegression, SoftmaxRegression
from textclf.models.gradcheck import random_problem
from textclf.models.sparse_gradient import RowSparse
from textclf.training import (
    SGD,
    Adam,
    Momentum,
    Regularizer,
    Schedule,
    TrainingSettings,
    best_epoch,
    make_optimizer,
    train,
)
from textclf.training import LogisticRegression as FittableLogisticRegression


def test_sgd_is_the_lecture_step() -> None:
    theta = np.array([1.0, 2.0, 3.0])
    SGD(0.5).step({"theta": theta}, {"theta": np.array([2.0, 0.0, -2.0])})
    np.testing.assert_allclose(theta, [0.0, 2.0, 4.0])
    SGD(0.5).step({"theta": theta}, {"theta": np.array([1.0, 1.0, 1.0])}, eta=0.1)
    np.testing.assert_allclose(theta, [-0.1, 1.9, 3.9])  # the schedule's η wins


def test_momentum_accumulates_velocity() -> None:
    theta = np.zeros(1)
    optimizer = Momentum(eta=0.1, momentum=0.5)
    gradient = {"theta": np.ones(1)}
    optimizer.step({"theta": theta}, gradient)  # v = 1, θ = −0.1
    optimizer.step({"theta": theta}, gradient)  # v = 0.5 + 1 = 1.5, θ = −0.25
    np.testing.assert_allclose(theta, [-0.25])


def test_adam_first_steps_are_about_eta() -> None:
    """With the bias corrections, Adam's first step is η·g/|g| = η·sign(g), any scale."""
    theta = np.zeros(3)
    Adam(eta=0.01).step({"theta": theta}, {"theta": np.array([1e-3, -3.0, 500.0])})
    np.testing.assert_allclose(theta, [-0.01, 0.01, -0.01], rtol=1e-4)
    # a second step with the same gradient moves the same distance again
    optimizer = Adam(eta=0.01)
    theta = np.zeros(1)
    for _ in range(2):
        optimizer.step({"theta": theta}, {"theta": np.array([2.0])})
    np.testing.assert_allclose(theta, [-0.02], rtol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_row_sparse_steps_equal_dense_steps_on_the_rows_present(name: str) -> None:
    """A row-sparse gradient gives the dense update on its rows and leaves the rest alone
    (for SGD the update is exactly the dense one)."""
    rng = np.random.default_rng(0)
    start = rng.normal(size=(6, 2))
    rows = np.array([1, 4])
    values = rng.normal(size=(2, 2))
    sparse_theta, dense_theta = start.copy(), start.copy()
    sparse_opt, dense_opt = make_optimizer(name, 0.1), make_optimizer(name, 0.1)
    for _ in range(3):
        sparse_opt.step({"W": sparse_theta}, {"W": RowSparse(rows, values, (6, 2))})
        dense_opt.step({"W": dense_theta}, {"W": RowSparse(rows, values, (6, 2)).to_dense()})
    np.testing.assert_allclose(sparse_theta[rows], dense_theta[rows], atol=1e-12)
    untouched = np.setdiff1d(np.arange(6), rows)
    np.testing.assert_array_equal(sparse_theta[untouched], start[untouched])


def test_schedules() -> None:
    constant = Schedule("constant", 2.0, steps_per_epoch=10, total_steps=30)
    assert [constant(t) for t in (0, 15, 29)] == [2.0, 2.0, 2.0]
    invtime = Schedule("invtime", 2.0, steps_per_epoch=10, total_steps=30, decay=1.0)
    assert invtime(0) == 2.0 and invtime(10) == 1.0 and invtime(20) == pytest.approx(2 / 3)
    linear = Schedule("linear", 2.0, steps_per_epoch=10, total_steps=40)
    assert linear(0) == 2.0 and linear(20) == 1.0 and linear(39) == pytest.approx(0.05)
    with pytest.raises(SettingsError, match="schedule must be one of constant, invtime, linear"):
        TrainingSettings(schedule="cosine")


def test_regularizer_penalty_and_its_implicit_step() -> None:
    theta = np.array([0.5, -0.05, 2.0, 3.0])  # the last entry is the bias
    regularizer = Regularizer(l2=0.1, l1=0.2, masks={"theta": slice(0, -1)})
    assert regularizer.penalty({"theta": theta}) == pytest.approx(
        0.05 * (0.25 + 0.0025 + 4.0) + 0.2 * 2.55)
    coupled = Regularizer(l2=0.1, l1=0.2, masks={"theta": slice(0, -1)}, implicit_l2=False)
    gradient = coupled.add_gradient({"theta": theta}, {"theta": np.zeros(4)})
    np.testing.assert_allclose(gradient["theta"], [0.05, -0.005, 0.2, 0.0])
    implicit = regularizer.add_gradient({"theta": theta}, {"theta": np.zeros(4)})["theta"]
    assert not implicit.any()  # implicit L2 (SGD): nothing joins the gradient
    regularizer.shrink({"theta": theta}, eta=0.5)  # threshold ηλ₁ = 0.1, then ÷ (1 + ηλ₂)
    np.testing.assert_allclose(theta, [0.4 / 1.05, 0.0, 1.9 / 1.05, 3.0])


@pytest.mark.parametrize("l2", [0.03, 1.0, 1e6])
def test_an_l2_penalty_of_any_strength_trains(l2) -> None:
    """ηλ ≥ 1 used to flip the weights' sign every step (NaN, or |θ| of 1e192)."""
    X, y = random_problem(n_docs=60, n_features=20, n_classes=2, seed=3)
    model = LogisticRegression(X.shape[1])
    history = train(model, X, y, TrainingSettings(eta=40.0, l2=l2, epochs=3, batch_size=8))
    assert np.all(np.isfinite(model.theta)) and np.isfinite(history[-1]["train_loss"])
    assert np.abs(model.theta[:-1]).max() <= 40.0 / l2 + 1.0  # shrunk toward 0


def overfitting_problem():
    """Few noisy training rows, many features: the dev loss falls, then rises."""
    X, y = random_problem(n_docs=40, n_features=200, n_classes=2, density=0.05, seed=8)
    rng = np.random.default_rng(1)
    y_noisy = np.where(rng.random(len(y)) < 0.3, 1 - y, y)
    X_dev, y_dev = random_problem(n_docs=40, n_features=200, n_classes=2, density=0.05,
                                  seed=9)
    return X, y_noisy, X_dev, y_dev


def test_early_stopping_restores_the_best_epoch() -> None:
    X, y, X_dev, y_dev = overfitting_problem()
    model = LogisticRegression(X.shape[1])
    snapshots = {}

    def remember(epoch: int, record: dict) -> None:  # what a checkpoint would write
        snapshots[epoch] = model.theta.copy()

    history = train(model, X, y, TrainingSettings(eta=5.0, epochs=60, batch_size=4,
                                                  patience=3),
                    dev=(X_dev, y_dev), on_epoch_end=remember)
    dev_losses = [record["dev_loss"] for record in history]
    best = int(np.argmin(dev_losses)) + 1
    assert best_epoch(history) == best
    assert len(history) == best + 3 < 60  # stopped three epochs after the best
    assert sorted(snapshots) == list(range(1, len(history) + 1))  # callback every epoch
    np.testing.assert_array_equal(model.theta, snapshots[best])
    assert not np.array_equal(model.theta, snapshots[len(history)])
    assert model.loss_sum(X_dev, y_dev) / len(y_dev) == pytest.approx(min(dev_losses))


def test_early_stopping_restores_a_network_in_place() -> None:
    X, y, X_dev, y_dev = overfitting_problem()
    model = FeedForwardNetwork(X.shape[1], 2, hidden=(16,), seed=0)
    first_layer = model.layers[0][1].params["W"]
    history = train(model, X, y, TrainingSettings(optimizer="adam", eta=0.05, epochs=40,
                                                  batch_size=4, patience=2),
                    dev=(X_dev, y_dev))
    assert model.layers[0][1].params["W"] is first_layer  # the layers see the restored values
    best = best_epoch(history)
    assert model.loss_sum(X_dev, y_dev) / len(y_dev) == pytest.approx(
        history[best - 1]["dev_loss"])


def test_history_has_train_and_dev_loss_and_accuracy_for_every_kind() -> None:
    X, y = random_problem(n_docs=30, n_features=20, n_classes=3, seed=2)
    for model in (SoftmaxRegression(X.shape[1], 3),
                  FeedForwardNetwork(X.shape[1], 3, hidden=(4,))):
        history = train(model, X, y, TrainingSettings(eta=0.1, epochs=2, l2=0.01),
                        dev=(X, y))
        for record in history:
            assert {"epoch", "train_loss", "train_accuracy", "dev_loss", "dev_accuracy",
                    "penalty", "eta", "train_seconds"} <= set(record)
            assert all(math.isfinite(record[key]) for key in ("train_loss", "dev_loss"))


def test_huge_learning_rates_stay_finite() -> None:
    X, y = random_problem(n_docs=30, n_features=20, n_classes=3, seed=2)
    for optimizer in ("sgd", "momentum", "adam"):
        model = SoftmaxRegression(X.shape[1], 3)
        history = train(model, X, y, TrainingSettings(optimizer=optimizer, eta=1e6, epochs=3))
        assert np.all(np.isfinite(model.theta))
        assert all(math.isfinite(r["train_loss"]) for r in history)


@pytest.mark.parametrize("settings,message", [
    ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam"),
    ({"schedule": "cosine"}, "schedule must be one of"),
    ({"momentum": 1.0}, "momentum must be a number ≥ 0 and < 1"),
    ({"decay": -1.0}, "decay must be"),
    ({"l2": -0.1}, "l2 must be a number ≥ 0"),
    ({"l1": float("nan")}, "l1 must be a number ≥ 0"),
    ({"patience": 0}, "patience must be an integer ≥ 1"),
    ({"patience": 1.5}, "patience must be an integer ≥ 1"),
    ({"eta": 0.0}, "eta"),
])
def test_bad_training_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        TrainingSettings(**settings).validate()


def test_early_stopping_needs_dev_data_and_unknown_settings_are_named() -> None:
    X, y = random_problem(n_docs=10, n_features=5, n_classes=2)
    with pytest.raises(SettingsError, match="early stopping .* needs a dev set"):
        train(LogisticRegression(X.shape[1]), X, y, TrainingSettings(patience=2))
    with pytest.raises(SettingsError, match="unknown setting.*: learning_rate"):
        FittableLogisticRegression(X.shape[1]).fit(X, y, learning_rate=0.1)


def test_settings_from_an_older_model_file() -> None:
    old = {"eta": 10.0, "epochs": 10, "batch_size": 32, "init": "zeros", "seed": 0}
    settings = TrainingSettings.from_dict({**old, "from_the_future": 1})
    assert settings.optimizer == "sgd" and settings.schedule == "constant"
    assert settings.as_dict()["eta"] == 10.0
