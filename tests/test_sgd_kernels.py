"""The compiled SGD kernels, the numpy sparse step and the plain loop make the same steps."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import scipy.sparse as sp

from textclf.core import jit
from textclf.models import LogisticRegression, SoftmaxRegression
from textclf.models.functional import binary_cross_entropy_from_logits, log_softmax, sigmoid
from textclf.training import Schedule, TrainingSettings
from textclf.training.sparse_step import CompiledStep, SparseStep


def _engine(name: str):
    """A context in which the named engine runs ("kernel" skips without numba)."""
    if name == "kernel":
        pytest.importorskip("numba")
        if not jit.enabled():
            pytest.skip("compiled kernels switched off (TEXTCLF_NO_JIT)")
        return contextlib.nullcontext()
    return jit.disabled()


def _data(n=103, F=60, K=2, seed=0, dtype=np.float64):
    """Sparse rows with a bias column last; rows 5 and 6 hold only the bias, rows 7 and 8
    nothing at all (not even the bias)."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, F, density=0.08, random_state=seed, format="lil") * 3
    X[5:9] = 0
    bias = np.ones((n, 1))
    bias[7:9] = 0
    X = sp.hstack([X, bias], format="csr")
    X.eliminate_zeros()
    y = rng.integers(0, K, size=n)
    return X.astype(dtype), y


def _model(K, F, seed=0):
    model = LogisticRegression(F + 1) if K == 2 else SoftmaxRegression(F + 1, K)
    model.theta[...] = np.random.default_rng(seed).normal(scale=0.3, size=model.theta.shape)
    return model


def _plain_epochs(theta, X, y, orders, schedule, batch_size, l2, bias_rate):
    """The lecture's loop written out: per batch, loss and hits before the step, then
    ∇ = X_bᵀ(ŷ − y)/m (bias row times bias_rate), θ ← θ − η∇, w ← w/(1 + ηλ₂)."""
    theta, X = theta.copy(), X.astype(np.float64)
    step, losses, hits = 0, [], []
    for order in orders:
        loss, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            X_b, y_b = X[rows], y[rows]
            z = np.asarray(X_b @ theta)
            if theta.ndim == 1:
                loss += binary_cross_entropy_from_logits(z, y_b).sum()
                correct += np.count_nonzero((z > 0) == (y_b == 1))
                grad = np.asarray(X_b.T @ (sigmoid(z) - y_b)) / len(rows)
            else:
                log_y_hat = log_softmax(z)
                loss -= log_y_hat[np.arange(len(rows)), y_b].sum()
                correct += np.count_nonzero(z.argmax(axis=1) == y_b)
                error = np.exp(log_y_hat) - np.eye(theta.shape[1])[y_b]
                grad = np.asarray(X_b.T @ error) / len(rows)
            grad[-1] *= bias_rate
            theta -= schedule(step) * grad
            theta[:-1] /= 1 + schedule(step) * l2  # the implicit L2 step
            step += 1
        losses.append(loss)
        hits.append(correct)
    return theta, losses, hits


def _sparse_epochs(model, X, y, orders, schedule, batch_size, l2, bias_rate, on_batch=None):
    settings = TrainingSettings(batch_size=batch_size, l2=l2, bias_rate=bias_rate)
    stepper = (CompiledStep if jit.enabled() else SparseStep)(model, settings, schedule)
    step, losses, hits, etas = 0, [], [], []
    for order in orders:
        result = stepper.run(X, y, order, step, on_batch)
        step = result.step
        losses.append(result.loss_sum)
        hits.append(result.correct)
        etas.append(result.eta)
    return model.theta.copy(), losses, hits, step, etas


@pytest.mark.parametrize("engine", ["kernel", "numpy"])
@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_epochs_equal_the_plain_loop(engine, K, dtype):
    X, y = _data(K=K, dtype=dtype)
    rng = np.random.default_rng(3)
    orders = [rng.permutation(X.shape[0]) for _ in range(2)]
    schedule = Schedule("linear", 2.0, 15, 30)
    settings = dict(batch_size=7, l2=0.01, bias_rate=0.1)  # 7 does not divide 103
    model = _model(K, X.shape[1] - 1)
    expected, losses, hits = _plain_epochs(model.theta, X, y, orders, schedule, **settings)
    with _engine(engine):
        theta, got_losses, got_hits, step, etas = _sparse_epochs(model, X, y, orders,
                                                                 schedule, **settings)
    assert theta.dtype == np.float64
    assert np.abs(theta - expected).max() < 1e-10
    assert np.allclose(got_losses, losses, rtol=1e-12, atol=0)
    assert got_hits == hits
    assert step == 30 and etas[-1] == pytest.approx(schedule(29))


@pytest.mark.parametrize("engine", ["kernel", "numpy"])
@pytest.mark.parametrize("K", [2, 3])
def test_x_order_and_a_large_l2_equal_the_plain_loop(engine, K):
    """order None (X's own order, as streaming passes it), and λ₂ so large that the scale
    factor s, times 1 − ηλ₂ = 0.001 per step, falls below 1e-9 every few steps and is folded
    back into θ (103 steps an epoch: without that, s would underflow)."""
    X, y = _data(K=K, seed=1)
    schedule = Schedule("constant", 5.0, 103, 206)
    model = _model(K, X.shape[1] - 1, seed=2)
    expected, losses, hits = _plain_epochs(model.theta, X, y, [np.arange(X.shape[0])] * 2,
                                           schedule, 1, 0.1998, 0.5)
    with _engine(engine):
        theta, got_losses, got_hits, *_ = _sparse_epochs(model, X, y, [None, None], schedule,
                                                         1, 0.1998, 0.5)
    assert np.all(np.isfinite(theta))
    assert np.abs(theta - expected).max() < 1e-10
    assert np.allclose(got_losses, losses, rtol=1e-12) and got_hits == hits


@pytest.mark.parametrize("engine", ["kernel", "numpy"])
@pytest.mark.parametrize("K", [2, 5])
def test_huge_steps_and_scores_give_no_nan(engine, K):
    X, y = _data(K=K, seed=4)
    X = X * 1e3
    schedule = Schedule("constant", 1e6, 1, 1)
    model = _model(K, X.shape[1] - 1)
    with _engine(engine), np.errstate(over="raise", invalid="raise", divide="raise"):
        theta, losses, *_ = _sparse_epochs(model, X, y, [np.arange(X.shape[0])] * 2,
                                           schedule, 8, 0.0, 1.0)
    assert np.all(np.isfinite(theta))
    assert np.all(np.isfinite(losses)) and losses[-1] > 1e6  # scores of ±1e9 and more


@pytest.mark.parametrize("engine", ["kernel", "numpy"])
def test_progress_reports_add_up_to_the_rows(engine):
    X, y = _data(n=600, K=3)
    reports: list[int] = []
    model = _model(3, X.shape[1] - 1)
    with _engine(engine):
        _sparse_epochs(model, X, y, [None], Schedule("constant", 0.1, 600, 600), 1, 0.0, 1.0,
                       on_batch=reports.append)
    assert sum(reports) == 600
    assert len(reports) > 1  # the bar moves during the epoch, not only at its end


def test_float32_theta_stays_float32_and_close_to_float64():
    """Streaming with --float32 keeps θ in float32; the kernel updates it in place."""
    pytest.importorskip("numba")
    X, y = _data(K=3, dtype=np.float32)
    orders = [np.random.default_rng(0).permutation(X.shape[0])]
    schedule = Schedule("constant", 1.0, 15, 15)
    thetas = []
    for dtype in (np.float64, np.float32):
        model = _model(3, X.shape[1] - 1)
        model.theta = model.theta.astype(dtype)
        theta, *_ = _sparse_epochs(model, X, y, orders, schedule, 7, 0.01, 0.1)
        thetas.append(theta)
    assert thetas[1].dtype == np.float32
    assert np.abs(thetas[1] - thetas[0]).max() < 1e-4
