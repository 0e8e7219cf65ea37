"""The sparse SGD fast path makes the lecture's steps: same θ as the plain formula."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models import LogisticRegression, SoftmaxRegression
from textclf.models.functional import sigmoid, softmax
from textclf.training import TrainingSettings, sparse_step, train


def _data(n=300, F=500, K=2, seed=0):
    """Sparse rows with a bias column last, and labels that depend on the features."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, F, density=0.02, random_state=seed, format="csr") * 3
    X = sp.hstack([X, np.ones((n, 1))], format="csr")
    w = rng.normal(size=(F + 1, K))
    y = np.asarray((X @ w).argmax(axis=1)).ravel()
    return X, y


def _straightforward_epoch(theta, X, y, settings, K):
    """One epoch of the lecture's loop, written out: ∇ = X_bᵀ(ŷ − y)/m + λ₂w."""
    theta = theta.copy()
    order = np.random.default_rng(settings.seed).permutation(X.shape[0])
    Xs, ys = X[order], y[order]
    m = settings.batch_size
    steps = int(np.ceil(X.shape[0] / m))
    for t, start in enumerate(range(0, X.shape[0], m)):
        eta = settings.eta / (1 + settings.decay * t / steps) \
            if settings.schedule == "invtime" else settings.eta
        X_b, y_b = Xs[start : start + m], ys[start : start + m]
        if K == 2 and theta.ndim == 1:
            yhat = sigmoid(X_b @ theta)
            grad = X_b.T @ (yhat - y_b) / X_b.shape[0]
        else:
            Y = np.eye(K)[y_b]
            grad = X_b.T @ (softmax(np.asarray(X_b @ theta)) - Y) / X_b.shape[0]
        grad = np.asarray(grad)
        grad[-1] *= settings.bias_rate  # the bias moves at η·bias_rate
        theta -= eta * grad
        theta[:-1] /= 1 + eta * settings.l2  # the implicit L2 step; the bias is not penalised
    return theta


@pytest.mark.parametrize("kind", ["logistic", "softmax"])
@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("schedule", ["constant", "invtime"])
@pytest.mark.parametrize("bias_rate", [1.0, 0.01])
def test_one_epoch_equals_the_straightforward_update(kind, l2, schedule, bias_rate):
    K = 2 if kind == "logistic" else 4
    X, y = _data(K=K)
    settings = TrainingSettings(eta=0.5, epochs=1, batch_size=16, schedule=schedule, l2=l2,
                                bias_rate=bias_rate)
    model = LogisticRegression(X.shape[1]) if kind == "logistic" \
        else SoftmaxRegression(X.shape[1], K)
    expected = _straightforward_epoch(model.theta, X, y, settings, K)
    assert sparse_step.supports(model, settings)
    train(model, X, y, settings)  # engine="auto": the fast path
    assert np.abs(model.theta - expected).max() < 1e-10


@pytest.mark.parametrize("kind", ["logistic", "softmax"])
def test_fast_and_plain_loops_agree_over_epochs(kind):
    K = 2 if kind == "logistic" else 3
    X, y = _data(K=K, seed=1)
    settings = TrainingSettings(eta=2.0, epochs=4, batch_size=7, schedule="linear", l2=1e-3,
                                init="random", bias_rate=0.1)
    results = []
    for engine in ("plain", "auto"):
        model = LogisticRegression(X.shape[1], init="random") if kind == "logistic" \
            else SoftmaxRegression(X.shape[1], K, init="random")
        history = train(model, X, y, settings, engine=engine)
        results.append((model.theta.copy(), history))
    (theta_plain, h_plain), (theta_fast, h_fast) = results
    assert np.abs(theta_plain - theta_fast).max() < 1e-10
    for a, b in zip(h_plain, h_fast, strict=True):
        assert a.keys() == b.keys()
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-10
        assert a["train_accuracy"] == b["train_accuracy"]


@pytest.mark.parametrize("kind", ["logistic", "softmax"])
@pytest.mark.parametrize("engine", ["plain", "auto"])
def test_training_accuracy_is_progressive(kind, engine):
    """Each document is scored with the θ its batch starts from: with θ = 0 and one batch
    of all N rows, every score ties at 0, so every row is predicted as class 0."""
    K = 2 if kind == "logistic" else 3
    X, y = _data(K=K, seed=2)
    model = LogisticRegression(X.shape[1]) if kind == "logistic" \
        else SoftmaxRegression(X.shape[1], K)
    settings = TrainingSettings(eta=1.0, epochs=2, batch_size=X.shape[0], init="zeros")
    history = train(model, X, y, settings, engine=engine)
    assert history[0]["train_accuracy"] == np.mean(y == 0)
    # the second epoch scores with the θ after the first step
    assert history[1]["train_accuracy"] == np.mean(model_before_step_2(X, y, kind, K) == y)


def model_before_step_2(X, y, kind, K):
    """Predictions of θ after one full-batch step from θ = 0, η = 1."""
    model = LogisticRegression(X.shape[1]) if kind == "logistic" \
        else SoftmaxRegression(X.shape[1], K)
    train(model, X, y, TrainingSettings(eta=1.0, epochs=1, batch_size=X.shape[0],
                                        init="zeros"), engine="plain")
    return model.predict(X)


def test_a_large_l2_keeps_the_scale_factor_finite():
    X, y = _data()
    settings = TrainingSettings(eta=5.0, epochs=3, batch_size=4, l2=0.19)  # s shrinks fast
    results = []
    for engine in ("plain", "auto"):
        model = LogisticRegression(X.shape[1])
        train(model, X, y, settings, engine=engine)
        results.append(model.theta.copy())
    assert np.all(np.isfinite(results[1]))
    assert np.abs(results[0] - results[1]).max() < 1e-9


def test_other_optimisers_take_the_plain_loop():
    model = LogisticRegression(10)
    assert not sparse_step.supports(model, TrainingSettings(optimizer="adam"))
    assert not sparse_step.supports(model, TrainingSettings(l1=0.1))


def test_an_unknown_engine_is_refused():
    X, y = _data(n=20)
    with pytest.raises(SettingsError, match="engine"):
        train(LogisticRegression(X.shape[1]), X, y, TrainingSettings(), engine="turbo")


def test_float32_theta_trains_close_to_float64():
    X, y = _data()
    settings = TrainingSettings(eta=1.0, epochs=2)
    m64 = LogisticRegression(X.shape[1])
    train(m64, X, y, settings)
    m32 = LogisticRegression(X.shape[1])
    m32.theta = m32.theta.astype(np.float32)
    train(m32, X.astype(np.float32), y, settings)
    assert m32.theta.dtype == np.float32
    assert np.abs(m32.theta - m64.theta).max() < 1e-4
