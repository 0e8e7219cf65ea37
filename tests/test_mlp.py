"""The feedforward network: backpropagation, XOR, dropout, the model file."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.features import add_bias_column
from textclf.models import MODEL_KINDS, FeedForwardNetwork, LogisticRegression
from textclf.models.gradcheck import gradient_check, random_problem
from textclf.models.layers import Dropout, Linear, SparseLinear
from textclf.models.sparse_gradient import RowSparse
from textclf.training import FeedForwardNetwork as FittableNetwork
from textclf.training import TrainingSettings, train

# the four XOR points: x₁ XOR x₂, the dummy feature 1 last
XOR_X = add_bias_column(sp.csr_matrix(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0],
                                                [1.0, 1.0]])))
XOR_Y = np.array([0, 1, 1, 0])


def randomised(model: FeedForwardNetwork, seed: int = 0) -> FeedForwardNetwork:
    """Move every parameter (biases too) off its initial value: a generic point."""
    rng = np.random.default_rng(seed)
    for array in model.parameters().values():
        array += rng.normal(0.0, 0.5, size=array.shape)
    return model


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_two_hidden_layers_on_sparse_input_match_finite_differences(activation: str,
                                                                    n_classes: int) -> None:
    X, y = random_problem(n_docs=16, n_features=25, n_classes=n_classes, seed=1)
    model = randomised(FeedForwardNetwork(X.shape[1], n_classes, hidden=(6, 5),
                                          activation=activation, seed=2))
    blocks = gradient_check(model, X, y, max_checks=None)
    assert [b.name for b in blocks] == ["hidden1.W", "hidden2.W", "hidden2.b", "output.W",
                                        "output.b"]
    assert blocks[0].shape == (26, 6)
    assert blocks[-2].shape == (5, 1 if n_classes == 2 else n_classes)
    for block in blocks:
        assert block.relative_error < 1e-6, block


def test_dropout_network_gradient_with_fixed_masks() -> None:
    X, y = random_problem(n_docs=16, n_features=20, n_classes=3, seed=3)
    model = randomised(FeedForwardNetwork(X.shape[1], 3, hidden=(8, 6), dropout=0.5, seed=4))
    model.training_mode = True  # dropout on; the check replays the same masks every evaluation
    for block in gradient_check(model, X, y, max_checks=None):
        assert block.relative_error < 1e-6, block


def test_the_network_is_built_from_the_lecture_graph() -> None:
    model = FeedForwardNetwork(101, 4, hidden="16,8", activation="tanh", dropout=0.2)
    names = [name for name, _ in model.layers]
    assert names == ["hidden1", "hidden1.tanh", "hidden1.dropout", "hidden2", "hidden2.tanh",
                     "hidden2.dropout", "output"]
    assert isinstance(model.layers[0][1], SparseLinear)
    assert isinstance(model.layers[3][1], Linear)
    assert isinstance(model.layers[2][1], Dropout)
    assert model.n_outputs == 4
    assert FeedForwardNetwork(101, 2, hidden=16).n_outputs == 1  # sigmoid output
    # the first layer's gradient holds only the rows of the features in the batch
    X, y = random_problem(n_docs=3, n_features=100, n_classes=4, density=0.02, seed=0)
    _, gradients = model.loss_and_gradient_sum(X, y)
    assert isinstance(gradients["hidden1.W"], RowSparse)
    assert len(gradients["hidden1.W"].rows) < 20
    assert set(model.regularized()) == {"hidden1.W", "hidden2.W", "output.W"}


def test_xor_needs_a_hidden_layer() -> None:
    """No line separates XOR: logistic regression gets at most 3 of the 4 points right,
    whatever θ; a network with one hidden layer of 4 units gets all 4."""
    logistic = LogisticRegression(XOR_X.shape[1])
    train(logistic, XOR_X, XOR_Y, TrainingSettings(eta=1.0, epochs=2000, batch_size=4))
    assert np.mean(logistic.predict(XOR_X) == XOR_Y) <= 0.75
    # and no θ does better: every sign pattern a linear score can give misses a point
    best = 0.0
    for theta in itertools.product(np.linspace(-3, 3, 13), repeat=3):
        logistic.theta[:] = theta
        best = max(best, float(np.mean(logistic.predict(XOR_X) == XOR_Y)))
    assert best == 0.75

    network = FeedForwardNetwork(XOR_X.shape[1], 2, hidden=4, activation="tanh", seed=0)
    history = train(network, XOR_X, XOR_Y,
                    TrainingSettings(optimizer="adam", eta=0.05, epochs=400, batch_size=4))
    assert np.array_equal(network.predict(XOR_X), XOR_Y)
    assert history[-1]["train_accuracy"] == 1.0
    assert history[-1]["train_loss"] < 0.05


def test_dropout_predictions_are_deterministic_at_inference() -> None:
    X, y = random_problem(n_docs=60, n_features=30, n_classes=3, seed=5)
    model = FeedForwardNetwork(X.shape[1], 3, hidden=(16,), dropout=0.5, seed=1)
    train(model, X, y, TrainingSettings(optimizer="adam", eta=0.01, epochs=20, batch_size=8))
    assert model.training_mode is False
    first = model.predict_proba(X)
    np.testing.assert_array_equal(first, model.predict_proba(X))
    np.testing.assert_array_equal(model.decision_function(X), model.decision_function(X))
    # while training, dropout makes each pass different
    model.training_mode = True
    assert model.loss_and_gradient_sum(X, y)[0] != model.loss_and_gradient_sum(X, y)[0]
    model.training_mode = False
    assert model.loss_sum(X, y) == model.loss_sum(X, y)


def test_training_is_reproducible_from_the_seed() -> None:
    X, y = random_problem(n_docs=40, n_features=20, n_classes=2, seed=6)

    def trained(seed: int) -> np.ndarray:
        model = FeedForwardNetwork(X.shape[1], 2, hidden=(8,), dropout=0.3, seed=seed)
        train(model, X, y, TrainingSettings(optimizer="adam", eta=0.01, epochs=5,
                                            batch_size=8, seed=seed))
        return model.decision_function(X)

    np.testing.assert_array_equal(trained(3), trained(3))
    assert not np.array_equal(trained(3), trained(4))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_input_gradient_matches_finite_differences(n_classes: int) -> None:
    X, _ = random_problem(n_docs=3, n_features=10, n_classes=n_classes, seed=7)
    model = randomised(FeedForwardNetwork(X.shape[1], n_classes, hidden=(5, 4),
                                          activation="tanh"))
    k = n_classes - 1
    analytic = model.input_gradient(X, k)
    assert analytic.shape == X.shape
    dense = X.toarray()

    def logit(matrix: np.ndarray) -> np.ndarray:
        out = model.decision_function(sp.csr_matrix(matrix))
        return out if out.ndim == 1 else out[:, k]

    numeric = np.zeros_like(dense)
    for j in range(dense.shape[1]):  # present and absent features alike
        step = np.zeros_like(dense)
        step[:, j] = 1e-6
        numeric[:, j] = (logit(dense + step) - logit(dense - step)) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)


def test_config_round_trip_and_shape_checks() -> None:
    X, _ = random_problem(n_docs=5, n_features=12, n_classes=3)
    model = FeedForwardNetwork(X.shape[1], 3, hidden=(7, 5), activation="sigmoid",
                               dropout=0.25, seed=3)
    config = model.config()
    assert config == {"kind": "mlp", "n_features": 13, "n_classes": 3, "hidden": [7, 5],
                      "activation": "sigmoid", "dropout": 0.25, "seed": 3}
    again = MODEL_KINDS["mlp"].from_config(config, model.parameters())
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    arrays = model.parameters()
    with pytest.raises(SettingsError, match=r"'hidden2.W' has shape \(7, 5\).*\(7, 6\)"):
        FeedForwardNetwork.from_config({**config, "hidden": [7, 6]}, arrays)
    with pytest.raises(SettingsError, match="unexpected: hidden2.W, hidden2.b"):
        FeedForwardNetwork.from_config({**config, "hidden": [7]}, arrays)
    with pytest.raises(SettingsError, match="'output.W' has shape"):
        FeedForwardNetwork.from_config({**config, "n_classes": 2}, arrays)
    with pytest.raises(SettingsError, match="activation must be one of relu, tanh, sigmoid"):
        FeedForwardNetwork.from_config({**config, "activation": "gelu"}, arrays)
    with pytest.raises(SettingsError, match="not float64 or float32"):
        FeedForwardNetwork.from_config(
            config, {**arrays, "output.b": arrays["output.b"].astype(np.int64)})
    with pytest.raises(SettingsError, match="NaN or infinite"):
        FeedForwardNetwork.from_config(
            config, {**arrays, "output.b": np.full_like(arrays["output.b"], np.nan)})


@pytest.mark.parametrize("settings,message", [
    ({"activation": "swish"}, "activation must be one of"),
    ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\)"),
    ({"dropout": -0.5}, "dropout"),
    ({"hidden": "0"}, "positive integers"),
    ({"hidden": "32,-1"}, "positive integers"),
])
def test_bad_architectures_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        FeedForwardNetwork(10, 2, **settings)


def test_fit_with_defaults_learns_a_separable_problem() -> None:
    rng = np.random.default_rng(0)
    dense = rng.random((200, 10)) * (rng.random((200, 10)) < 0.4)
    y = (dense[:, 0] + dense[:, 1] > dense[:, 2] + dense[:, 3]).astype(int)
    X = add_bias_column(sp.csr_matrix(dense))
    model = FittableNetwork(hidden=16).fit(X, y, eta=0.01, epochs=30, batch_size=16)
    assert model.history[-1]["train_accuracy"] > 0.9
    assert model.predict_proba(X).shape == (200, 2)
