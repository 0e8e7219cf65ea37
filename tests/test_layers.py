"""Layers of the feedforward network: every backward step against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.gradcheck import layer_gradient_check, random_problem
from textclf.models.layers import (
    Dropout,
    Linear,
    ReLU,
    Sigmoid,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
    SparseLinear,
    Tanh,
    he_normal,
    initial_weights,
    xavier_uniform,
)
from textclf.models.settings import parse_hidden
from textclf.models.sparse_gradient import RowSparse, transpose_product

TOLERANCE = 1e-6


def dense_input(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(6, 5))


def layers_to_check() -> list[tuple[str, object, object]]:
    rng = np.random.default_rng(3)
    X, _ = random_problem(n_docs=6, n_features=12, seed=4)
    return [
        ("sparse linear (embedding bag)", SparseLinear(rng.normal(size=(13, 4))), X),
        ("linear", Linear(rng.normal(size=(5, 3)), rng.normal(size=3)), dense_input()),
        ("relu", ReLU(), dense_input()),
        ("tanh", Tanh(), dense_input()),
        ("sigmoid", Sigmoid(), dense_input()),
        ("dropout", Dropout(0.4, np.random.default_rng(5)), dense_input()),
    ]


@pytest.mark.parametrize("name,layer,inputs", layers_to_check(),
                         ids=[case[0] for case in layers_to_check()])
def test_each_layer_backward_matches_finite_differences(name, layer, inputs) -> None:
    blocks = layer_gradient_check(layer, inputs, training=True)
    assert blocks[-1].name == "input"
    assert {b.name for b in blocks[:-1]} == set(layer.params)
    for block in blocks:
        assert block.checked == int(np.prod(block.shape)) or block.name == "input"
        assert block.relative_error < TOLERANCE, (name, block)
        assert block.max_abs_error < 1e-6


def test_a_wrong_derivative_is_caught() -> None:
    class WrongTanh(Tanh):
        def backward(self, G):
            return G * (1.0 - self.a)  # should be 1 − a²

    blocks = layer_gradient_check(WrongTanh(), dense_input())
    assert blocks[-1].relative_error > 1e-2
    assert not blocks[-1].ok


@pytest.mark.parametrize("loss_layer,n_outputs", [(SigmoidCrossEntropy(), 1),
                                                  (SoftmaxCrossEntropy(), 4)])
def test_loss_layers_backward_is_y_hat_minus_y(loss_layer, n_outputs) -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(7, n_outputs)) * 3
    y = rng.integers(0, max(n_outputs, 2), size=7)
    loss_layer.forward(Z, y)
    analytic = loss_layer.backward()
    numeric = np.zeros_like(Z)
    for index in np.ndindex(*Z.shape):
        step = np.zeros_like(Z)
        step[index] = 1e-6
        numeric[index] = (loss_layer.forward(Z + step, y) - loss_layer.forward(Z - step, y)) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-8)


def test_losses_stay_finite_for_huge_logits() -> None:
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    assert np.isfinite(SoftmaxCrossEntropy().forward(Z, np.array([1, 0])))
    assert SoftmaxCrossEntropy().forward(Z, np.array([0, 1])) == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(SigmoidCrossEntropy().forward(np.array([[1e4], [-1e4]]), np.array([0, 1])))


def test_sparse_linear_never_densifies_and_returns_row_sparse_gradients() -> None:
    n_features = 100_000  # a dense |F| × H gradient would be 6.4 MB; it stays a few rows
    X = sp.csr_matrix(([0.5, 0.5, 1.0, 1.0], ([0, 0, 0, 1], [7, 42, n_features - 1,
                                                              n_features - 1])),
                      shape=(2, n_features))
    layer = SparseLinear(np.random.default_rng(0).normal(size=(n_features, 8)))
    Z = layer.forward(X)
    np.testing.assert_allclose(Z[1], layer.params["W"][-1])  # the bias row alone
    layer.backward(np.ones((2, 8)))
    gradient = layer.grads["W"]
    assert isinstance(gradient, RowSparse)
    assert gradient.rows.tolist() == [7, 42, n_features - 1]
    np.testing.assert_allclose(gradient.values[2], 2.0)  # both documents' bias feature


def test_row_sparse_gradients_add_and_densify() -> None:
    X, _ = random_problem(n_docs=10, n_features=20, seed=1)
    D = np.random.default_rng(0).normal(size=(10, 3))
    a, b = transpose_product(X[:4], D[:4]), transpose_product(X[4:], D[4:])
    np.testing.assert_allclose(np.asarray(a + b), X.T @ D, atol=1e-12)
    np.testing.assert_allclose(np.asarray(a / 2.0), np.asarray(a) / 2.0)


def test_dropout_is_the_identity_at_inference_and_scales_while_training() -> None:
    rng = np.random.default_rng(0)
    layer = Dropout(0.5, rng)
    Z = np.ones((2000, 10))
    assert np.array_equal(layer.forward(Z, training=False), Z)
    out = layer.forward(Z, training=True)
    assert set(np.unique(out)) == {0.0, 2.0}  # survivors scaled by 1/(1 − p)
    assert abs(out.mean() - 1.0) < 0.02  # expected activation unchanged


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_outside_zero_one_is_refused(p: float) -> None:
    with pytest.raises(SettingsError, match=r"dropout must be in \[0, 1\)"):
        Dropout(p, np.random.default_rng(0))


def test_initialisation_matches_its_formulas() -> None:
    rng = np.random.default_rng(0)
    W = xavier_uniform(400, 200, rng)
    limit = np.sqrt(6.0 / 600)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.99 * limit
    assert W.var() == pytest.approx(2.0 / 600, rel=0.05)
    W = he_normal(400, 200, rng)
    assert W.var() == pytest.approx(2.0 / 400, rel=0.05)
    assert initial_weights("relu", 50, 5, np.random.default_rng(1)).var() == pytest.approx(
        he_normal(50, 5, np.random.default_rng(1)).var())
    # seeded: the same generator state gives the same weights
    assert np.array_equal(initial_weights("tanh", 9, 4, np.random.default_rng(7)),
                          initial_weights("tanh", 9, 4, np.random.default_rng(7)))


@pytest.mark.parametrize("text,sizes", [("256", (256,)), ("256,64", (256, 64)),
                                        (" 8 , 4 ", (8, 4)), (16, (16,)), ((3, 2), (3, 2))])
def test_hidden_sizes_are_parsed(text, sizes) -> None:
    assert parse_hidden(text) == sizes


@pytest.mark.parametrize("bad", ["0", "64,0", "-5", "a,b", "", "64,", (), (4, 2.5), True])
def test_bad_hidden_sizes_are_refused(bad) -> None:
    with pytest.raises(SettingsError, match="hidden"):
        parse_hidden(bad)
