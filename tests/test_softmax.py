"""Softmax regression: gradient, the K = 2 case, the exact optimum, regularisation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.features import add_bias_column
from textclf.models import LogisticRegression, SoftmaxRegression
from textclf.models.functional import softmax
from textclf.models.gradcheck import gradient_check, random_problem
from textclf.training import SoftmaxRegression as FittableSoftmaxRegression
from textclf.training import TrainingSettings, train


def overlapping_classes(n: int = 300, d: int = 8, k: int = 3, seed: int = 0):
    """Sparse X with the bias column and labels drawn from a softmax of a weak signal, so
    the classes overlap and the optimum is finite."""
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n, d)) * (rng.random((n, d)) < 0.5)
    true_theta = rng.normal(size=(d, k))
    probabilities = softmax(dense @ true_theta)
    y = np.array([rng.choice(k, p=p) for p in probabilities])
    return add_bias_column(sp.csr_matrix(dense)), y


def test_softmax_gradient_matches_finite_differences() -> None:
    X, y = random_problem(n_docs=25, n_features=15, n_classes=4, seed=2)
    model = SoftmaxRegression(X.shape[1], 4)
    model.theta[:] = np.random.default_rng(0).normal(size=model.theta.shape)
    (block,) = gradient_check(model, X, y, max_checks=None)
    assert block.name == "theta" and block.checked == model.theta.size
    assert block.relative_error < 1e-6
    assert np.abs(np.asarray(model.loss_and_gradient_sum(X, y)[1]["theta"])[-1]).sum() > 0


def test_gradient_is_x_transpose_times_y_hat_minus_y() -> None:
    X, y = random_problem(n_docs=10, n_features=6, n_classes=3, seed=5)
    model = SoftmaxRegression(X.shape[1], 3, init="random", seed=1)
    loss, gradient = model.loss_and_gradient_sum(X, y)
    Y = np.eye(3)[y]
    Y_hat = softmax(X @ model.theta)
    np.testing.assert_allclose(np.asarray(gradient["theta"]), X.T @ (Y_hat - Y), atol=1e-12)
    assert loss == pytest.approx(-np.log(Y_hat[np.arange(10), y]).sum())


def test_probabilities_sum_to_one_and_stay_finite_for_huge_scores() -> None:
    X, y = random_problem(n_docs=10, n_features=6, n_classes=3, seed=5)
    model = SoftmaxRegression(X.shape[1], 3)
    model.theta[:] = np.random.default_rng(0).normal(size=model.theta.shape) * 1e4
    P = model.predict_proba(X)
    assert np.all(np.isfinite(P)) and np.allclose(P.sum(axis=1), 1.0)
    assert np.isfinite(model.loss_sum(X, y))
    assert np.array_equal(model.predict(X), P.argmax(axis=1))


def test_two_class_softmax_agrees_with_logistic_regression() -> None:
    """With K = 2, softmax regression is logistic regression on z₁ − z₀: trained to
    convergence on the same data, the two give the same logit differences."""
    X, y = overlapping_classes(k=2, seed=3)
    settings = TrainingSettings(eta=1.0, epochs=300, batch_size=X.shape[0],
                                optimizer="momentum")
    logistic = LogisticRegression(X.shape[1])
    train(logistic, X, y, settings)
    soft = SoftmaxRegression(X.shape[1], 2)
    train(soft, X, y, settings)
    Z = soft.decision_function(X)
    np.testing.assert_allclose(Z[:, 1] - Z[:, 0], logistic.decision_function(X), atol=1e-5)
    assert np.array_equal(soft.predict(X), logistic.predict(X))
    np.testing.assert_allclose(soft.predict_proba(X), logistic.predict_proba(X), atol=1e-6)


def mean_objective(X: sp.csr_matrix, y: np.ndarray, k: int, l2: float = 0.0):
    """J(θ) = (1/N) Σ L_CE + (λ/2)‖W‖² and its gradient, for scipy (θ flattened)."""
    model = SoftmaxRegression(X.shape[1], k)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        model.theta[:] = flat.reshape(model.theta.shape)
        loss, gradient = model.loss_and_gradient_sum(X, y)
        gradient = np.asarray(gradient["theta"]) / len(y)
        weights = model.theta[:-1]
        gradient[:-1] += l2 * weights
        return loss / len(y) + 0.5 * l2 * float(np.sum(weights**2)), gradient.ravel()

    return objective


@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_gradient_descent_reaches_the_exact_optimum(l2: float) -> None:
    """The objective is convex: full-batch gradient descent (with momentum, to get there in
    fewer steps) ends where L-BFGS does."""
    X, y = overlapping_classes(seed=1)
    objective = mean_objective(X, y, 3, l2)
    exact = scipy.optimize.minimize(objective, np.zeros(X.shape[1] * 3), jac=True,
                                    method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15,
                                                                "maxiter": 10_000})
    model = SoftmaxRegression(X.shape[1], 3)
    train(model, X, y, TrainingSettings(eta=1.0, epochs=400, batch_size=X.shape[0], l2=l2,
                                        optimizer="momentum"))
    reached = objective(model.theta.ravel().copy())[0]
    assert reached == pytest.approx(exact.fun, abs=1e-6)
    # the optimum is unique up to adding one vector to every class column (softmax is
    # unchanged by it): compare the centred logits
    Z = model.decision_function(X)
    Z_exact = np.asarray(X @ exact.x.reshape(-1, 3))
    np.testing.assert_allclose(Z - Z.mean(axis=1, keepdims=True),
                               Z_exact - Z_exact.mean(axis=1, keepdims=True), atol=1e-3)


def test_l2_logistic_regression_matches_scikit_learn() -> None:
    """scikit-learn minimises C·Σ L_CE + ½‖w‖², textclf (1/N)·Σ L_CE + (λ/2)‖w‖²: the same
    minimiser when λ = 1/(C·N). Both leave the bias out of the penalty."""
    sklearn = pytest.importorskip("sklearn.linear_model")
    X, y = overlapping_classes(n=200, d=10, k=2, seed=4)
    n, C = X.shape[0], 0.5
    reference = sklearn.LogisticRegression(C=C, tol=1e-12, max_iter=10_000)
    reference.fit(X[:, :-1].toarray(), y)
    l2 = 1.0 / (C * n)
    model = LogisticRegression(X.shape[1])
    train(model, X, y, TrainingSettings(eta=2.0, epochs=400, batch_size=n, l2=l2,
                                        optimizer="momentum"))

    def objective(theta: np.ndarray) -> float:
        """textclf's J(θ) times C·N: scikit-learn's own objective."""
        probe = LogisticRegression(X.shape[1])
        probe.theta[:] = theta
        return C * probe.loss_sum(X, y) + 0.5 * float(np.sum(theta[:-1] ** 2))

    sk_theta = np.append(reference.coef_.ravel(), reference.intercept_)
    assert objective(model.theta) == pytest.approx(objective(sk_theta), abs=1e-4)
    np.testing.assert_allclose(model.theta, sk_theta, atol=1e-3)


def test_l1_sets_weights_exactly_to_zero() -> None:
    X, y = overlapping_classes(n=300, d=20, k=3, seed=6)
    dense = SoftmaxRegression(X.shape[1], 3)
    train(dense, X, y, TrainingSettings(eta=1.0, epochs=50, batch_size=30))
    sparse = SoftmaxRegression(X.shape[1], 3)
    train(sparse, X, y, TrainingSettings(eta=1.0, epochs=50, batch_size=30, l1=0.05))
    assert np.count_nonzero(dense.weights == 0) == 0
    assert np.count_nonzero(sparse.weights == 0) > 5
    assert np.all(sparse.bias != 0)  # the bias is not penalised


def test_input_gradient_is_the_class_column() -> None:
    X, y = random_problem(n_docs=4, n_features=5, n_classes=3)
    model = SoftmaxRegression(X.shape[1], 3, init="random", seed=2)
    G = model.input_gradient(X, 2)
    assert G.shape == (4, X.shape[1])
    np.testing.assert_array_equal(G[3], model.theta[:, 2])
    with pytest.raises(SettingsError, match="class index 3"):
        model.input_gradient(X, 3)


def test_config_round_trip_refuses_other_shapes() -> None:
    model = SoftmaxRegression(7, 3, init="random")
    again = SoftmaxRegression.from_config(model.config(), model.parameters())
    np.testing.assert_array_equal(again.theta, model.theta)
    with pytest.raises(SettingsError, match=r"'theta' has shape \(7, 3\).*\(7, 4\)"):
        SoftmaxRegression.from_config({**model.config(), "n_classes": 4}, model.parameters())
    with pytest.raises(SettingsError, match="missing: theta"):
        SoftmaxRegression.from_config(model.config(), {})


def test_fit_sizes_theta_from_the_data() -> None:
    X, y = overlapping_classes(n=120, k=4, seed=2)
    model = FittableSoftmaxRegression(eta=1.0, epochs=5).fit(X, y)
    assert model.theta.shape == (X.shape[1], 4)
    assert len(model.history) == 5
    assert model.history[-1]["train_loss"] < model.history[0]["train_loss"]
    with pytest.raises(SettingsError, match="at least 2 classes"):
        FittableSoftmaxRegression().fit(X, np.zeros(X.shape[0], dtype=int))
