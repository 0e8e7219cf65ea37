"""Logistic regression and its training loop, checked against the lecture's math."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from conftest import TRAIN_LABELS, TRAIN_TEXTS

from textclf import Featurizer, LogisticRegression, SettingsError, TextClassifier
from textclf.features import add_bias_column
from textclf.models.functional import binary_cross_entropy_from_logits, sigmoid
from textclf.training import TrainingSettings, train


def random_problem(n: int, d: int, density: float, seed: int):
    """Sparse X (n × d) with the bias column appended, random θ, random 0/1 targets."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=rng,
                  data_rvs=rng.standard_normal)
    X = add_bias_column(X)
    theta = rng.normal(0.0, 1.0, size=d + 1)
    y = rng.integers(0, 2, size=n)
    return X, theta, y


def test_gradient_equals_central_finite_differences() -> None:
    """∂L/∂θⱼ ≈ (L(θ + h eⱼ) − L(θ − h eⱼ)) / 2h for every j, including the bias."""
    X, theta, y = random_problem(n=40, d=15, density=0.3, seed=1)
    model = LogisticRegression(X.shape[1])
    model.theta[:] = theta
    _, gradient = model.loss_and_gradient_sum(X, y)
    analytic = gradient["theta"]

    h = 1e-6
    numeric = np.empty_like(theta)
    for j in range(len(theta)):
        step = np.zeros_like(theta)
        step[j] = h
        model.theta[:] = theta + step
        plus = model.loss_and_gradient_sum(X, y)[0]
        model.theta[:] = theta - step
        minus = model.loss_and_gradient_sum(X, y)[0]
        numeric[j] = (plus - minus) / (2 * h)

    relative_error = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
    assert relative_error < 1e-6
    assert np.abs(analytic[-1]) > 0  # the bias gradient Σ(ŷ − y) is part of the check


def test_loss_and_gradient_are_sums_over_rows() -> None:
    """Σ over all rows = Σ over two shards: what a cluster of workers relies on."""
    X, theta, y = random_problem(n=30, d=10, density=0.4, seed=2)
    model = LogisticRegression(X.shape[1])
    model.theta[:] = theta
    loss, gradient = model.loss_and_gradient_sum(X, y)
    loss_a, gradient_a = model.loss_and_gradient_sum(X[:12], y[:12])
    loss_b, gradient_b = model.loss_and_gradient_sum(X[12:], y[12:])
    assert loss == pytest.approx(loss_a + loss_b, rel=1e-12)
    np.testing.assert_allclose(gradient["theta"], gradient_a["theta"] + gradient_b["theta"],
                               rtol=1e-12, atol=1e-12)
    assert model.loss_sum(X, y) == pytest.approx(loss, rel=1e-15)


def test_hand_worked_step() -> None:
    """Three documents, two features, θ = 0, η = 0.1, one full batch.

    X (features x1, x2, then the dummy 1) and y:
        d1: [1, 0, 1]  y = 1
        d2: [0, 1, 1]  y = 0
        d3: [1, 1, 1]  y = 1
    θ = 0 → z = 0 → ŷ = σ(0) = 0.5 for every document, so each loss is
        −[y ln 0.5 + (1−y) ln 0.5] = ln 2, and the mean loss is (3 ln 2)/3 = ln 2 ≈ 0.693147.
    ŷ − y = [−0.5, 0.5, −0.5]
    Xᵀ(ŷ − y) = [−0.5 + 0 − 0.5,  0 + 0.5 − 0.5,  −0.5 + 0.5 − 0.5] = [−1, 0, −0.5]
    ∇ = (1/3)·Xᵀ(ŷ − y) = [−1/3, 0, −1/6]
    θ ← θ − η∇ = 0 − 0.1·[−1/3, 0, −1/6] = [1/30, 0, 1/60] ≈ [0.033333, 0, 0.016667]
    After the step z = Xθ = [1/30 + 1/60, 1/60, 1/30 + 1/60] = [0.05, 1/60, 0.05] and the
    mean loss is [ln(1 + e^−0.05) + ln(1 + e^(1/60)) + ln(1 + e^−0.05)] / 3
               = [0.668460 + 0.701515 + 0.668460] / 3 ≈ 0.679478.
    """
    X = sp.csr_matrix(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    y = np.array([1, 0, 1])

    model = LogisticRegression(3, init="zeros")
    history = train(model, X, y, TrainingSettings(eta=0.1, epochs=1, batch_size=3))
    assert history[0]["train_loss"] == pytest.approx(math.log(2), rel=1e-12)
    assert history[0]["train_loss"] == pytest.approx(0.693147, abs=1e-6)
    np.testing.assert_allclose(model.theta, [1 / 30, 0.0, 1 / 60], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.theta, [0.033333, 0.0, 0.016667], atol=1e-6)
    assert model.weights.tolist() == pytest.approx([1 / 30, 0.0])
    assert model.bias == pytest.approx(1 / 60)

    # a second epoch reports the mean loss at θ after the first step (before its own step)
    model = LogisticRegression(3, init="zeros")
    history = train(model, X, y, TrainingSettings(eta=0.1, epochs=2, batch_size=3))
    assert history[1]["train_loss"] == pytest.approx(0.679478, abs=1e-6)
    expected = (2 * math.log1p(math.exp(-0.05)) + math.log1p(math.exp(1 / 60))) / 3
    assert history[1]["train_loss"] == pytest.approx(expected, rel=1e-12)


def test_gradient_descent_reaches_the_exact_optimum() -> None:
    """The mean cross-entropy is convex: full-batch gradient descent finds the same minimum
    as an exact solver (L-BFGS) on a problem whose classes overlap (finite optimum)."""
    rng = np.random.default_rng(3)
    n, d = 80, 4
    features = rng.standard_normal((n, d))
    # labels drawn from a weak signal: classes overlap, so the optimum is finite
    y = (rng.random(n) < sigmoid(features @ np.array([0.8, -0.5, 0.3, 0.0]) + 0.2)).astype(int)
    y[:2] = [0, 1]
    features[1] = features[0]  # one identical pair with opposite labels: never separable
    X = add_bias_column(sp.csr_matrix(features))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        model = LogisticRegression(d + 1)
        model.theta[:] = theta
        loss, gradient = model.loss_and_gradient_sum(X, y)
        return loss / n, gradient["theta"] / n

    exact = scipy.optimize.minimize(objective, np.zeros(d + 1), jac=True, method="L-BFGS-B",
                                    options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 1000})
    assert exact.success
    assert np.all(np.isfinite(exact.x))

    model = LogisticRegression(d + 1)
    train(model, X, y, TrainingSettings(eta=2.0, epochs=400, batch_size=n))
    gd_loss = model.loss_sum(X, y) / n
    assert abs(gd_loss - exact.fun) < 1e-6
    np.testing.assert_allclose(model.theta, exact.x, atol=1e-3)


# --- numerics --------------------------------------------------------------------------------


def test_sigmoid_and_loss_are_finite_for_huge_scores() -> None:
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(z)
        loss_y1 = binary_cross_entropy_from_logits(z, np.ones_like(z))
        loss_y0 = binary_cross_entropy_from_logits(z, np.zeros_like(z))
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(loss_y1)) and np.all(np.isfinite(loss_y0))
    assert s[0] == 0.0 and s[2] == 0.5 and s[-1] == 1.0
    # L(z, y=1) = ln(1 + e^−z): 1000 for z = −1000, 0 for z = 1000; mirrored for y = 0
    np.testing.assert_allclose(loss_y1[[0, 2, 4]], [1000.0, math.log(2), 0.0])
    np.testing.assert_allclose(loss_y0[[0, 2, 4]], [0.0, math.log(2), 1000.0])
    np.testing.assert_allclose(sigmoid(np.array([-2.0, 2.0])), 1 / (1 + np.exp([2.0, -2.0])))


def test_model_loss_and_gradient_finite_for_huge_scores() -> None:
    X = sp.csr_matrix(np.ones((2, 1)))  # only the bias column
    model = LogisticRegression(1)
    for b in (1000.0, -1000.0):
        model.theta[:] = b
        loss, gradient = model.loss_and_gradient_sum(X, np.array([0, 1]))
        assert loss == pytest.approx(1000.0)
        np.testing.assert_allclose(np.abs(gradient["theta"]), [1.0])
        proba = model.predict_proba(X)
        assert np.all(np.isfinite(proba))


def test_huge_learning_rate_stays_finite() -> None:
    clf = TextClassifier(min_df=1, eta=1e6, epochs=5, batch_size=3)
    clf.fit(TRAIN_TEXTS, TRAIN_LABELS, TRAIN_TEXTS[:4], TRAIN_LABELS[:4])
    assert np.all(np.isfinite(clf.model.theta))
    for record in clf.history:
        assert math.isfinite(record["train_loss"]) and math.isfinite(record["dev_loss"])
    assert np.all(np.isfinite(clf.predict_proba(TRAIN_TEXTS)))


# --- the model's interface -------------------------------------------------------------------


def small_features():
    featurizer = Featurizer(min_df=1)
    X = featurizer.fit_transform(TRAIN_TEXTS)
    y = np.array([label == "pos" for label in TRAIN_LABELS], dtype=int)
    return featurizer, X, y


def test_fit_learns_the_training_set() -> None:
    _, X, y = small_features()
    model = LogisticRegression(eta=1.0, epochs=30, batch_size=4).fit(X, y)
    assert model.theta.shape == (X.shape[1],)
    assert np.array_equal(model.predict(X), y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], sigmoid(np.asarray(X @ model.theta).ravel()))
    assert np.array_equal(model.predict(X), (proba[:, 1] > 0.5).astype(int))
    losses = [record["train_loss"] for record in model.history]
    assert losses[-1] < losses[0]


def test_fit_settings_override_constructor_settings() -> None:
    _, X, y = small_features()
    model = LogisticRegression(eta=1.0, epochs=30, batch_size=4)
    model.fit(X, y, epochs=2)
    assert len(model.history) == 2


def test_fit_refuses_targets_other_than_0_and_1() -> None:
    _, X, y = small_features()
    with pytest.raises(SettingsError, match="targets must be 0 or 1"):
        LogisticRegression().fit(X, y + 1)


def test_columns_must_match_theta() -> None:
    _, X, _ = small_features()
    model = LogisticRegression(X.shape[1] + 2)
    with pytest.raises(SettingsError, match=r"X has \d+ columns but θ has \d+ entries"):
        model.predict(X)


def test_shuffling_and_initialisation_are_seeded() -> None:
    _, X, y = small_features()

    def theta(seed: int, init: str = "zeros") -> np.ndarray:
        return LogisticRegression(init=init, seed=seed, eta=1.0, epochs=2, batch_size=3).fit(
            X, y).theta

    assert np.array_equal(theta(1), theta(1))
    assert not np.array_equal(theta(1), theta(2))
    assert np.array_equal(theta(1, "random"), theta(1, "random"))
    assert not np.array_equal(theta(1, "random"), theta(1))
    start = LogisticRegression(X.shape[1], init="random", seed=5).theta
    assert np.all(start != 0) and np.abs(start).max() < 0.1


def test_history_has_dev_scores_and_callback_runs_each_epoch() -> None:
    _, X, y = small_features()
    seen = []
    model = LogisticRegression(X.shape[1])
    history = train(model, X, y, TrainingSettings(eta=1.0, epochs=3, batch_size=4),
                    dev=(X[:6], y[:6]), on_epoch_end=lambda epoch, record: seen.append(epoch))
    assert seen == [1, 2, 3]
    assert [record["epoch"] for record in history] == [1, 2, 3]
    for record in history:
        assert {"train_loss", "dev_loss", "dev_accuracy", "train_seconds"} <= set(record)
        assert 0.0 <= record["dev_accuracy"] <= 1.0
    assert history[-1]["dev_loss"] == pytest.approx(model.loss_sum(X[:6], y[:6]) / 6)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"eta": 0.0}, r"eta must be a number > 0, got 0.0"),
        ({"eta": -0.5}, r"eta must be a number > 0, got -0.5"),
        ({"eta": float("nan")}, r"eta must be a number > 0, got nan"),
        ({"epochs": 0}, "epochs must be an integer ≥ 1 and ≤ 1,000,000, got 0"),
        ({"batch_size": 0}, "batch_size must be an integer ≥ 1, got 0"),
        ({"batch_size": -4}, "batch_size must be an integer ≥ 1, got -4"),
        ({"init": "ones"}, "init must be one of zeros, random, got 'ones'"),
    ],
)
def test_bad_training_settings_are_named(settings: dict, message: str) -> None:
    _, X, y = small_features()
    with pytest.raises(SettingsError, match=message):
        train(LogisticRegression(X.shape[1]), X, y, TrainingSettings(**settings))
    with pytest.raises(SettingsError, match=message):
        TextClassifier(**settings)


def test_training_on_no_rows_is_refused() -> None:
    X = sp.csr_matrix((0, 3))
    with pytest.raises(SettingsError, match="zero documents"):
        train(LogisticRegression(3), X, np.zeros(0, dtype=int), TrainingSettings())
