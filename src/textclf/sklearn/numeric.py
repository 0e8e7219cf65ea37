"""Estimators over a numeric feature matrix X (dense or sparse, without the bias column)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from textclf.core.sparse import add_bias_column
from textclf.sklearn.fitting import (
    ESTIMATOR_PARAMETERS,
    architecture,
    encode_targets,
    estimator_settings,
    fit_numeric,
    kind_parameters,
    logits_of,
    parameters_init,
    partial_fit_numeric,
    sample_weights,
    targets_of,
)

# Numeric problems are often small: few mini-batches per epoch, so a network needs a larger
# step than on a text corpus (Adam's η = 0.01, several times textclf's text default) and no
# dropout by default.
MLP_PARAMETERS = {"hidden": (64,), "activation": "relu", "dropout": 0.0,
                  **kind_parameters("mlp", without=("init",)), "eta": 0.01}


def with_bias(X) -> sp.csr_matrix:
    """[X | 1]: the dummy feature that multiplies the bias, as the last column."""
    X = sp.csr_matrix(X)
    if not X.has_canonical_format:
        X = X.copy()  # add_bias_column sums duplicates in place: not in the caller's matrix
    return add_bias_column(X)


class _NumericClassifier(ClassifierMixin, BaseEstimator):
    """fit / predict / predict_proba / decision_function over [X | 1] for one model kind."""

    _kind: ClassVar[str]
    _multi_label: ClassVar[bool] = False  # takes a label-indicator y

    def _network(self) -> dict | None:
        return None

    def _check_target_type(self, y: np.ndarray) -> None:
        """Binary-only models refuse a multiclass y (in scikit-learn's words)."""

    def fit(self, X, y, sample_weight=None):
        """Train on X (n × d, dense or sparse) and labels y (a label-indicator matrix for
        multi-label data, where the estimator supports it); ``sample_weight`` weighs each
        sample's loss (Σᵢ sᵢ L⁽ⁱ⁾). Returns the estimator."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64,
                             multi_output=self._multi_label)
        y = targets_of(y)
        self._check_target_type(y)
        weights = sample_weights(sample_weight, X.shape[0])
        self.classes_, targets = encode_targets(y, weights)
        self.label_dtype_ = y.dtype  # multi-label predict gives y's dtype back
        settings = estimator_settings(self._kind, self.get_params(), self.random_state,
                                      self._network())
        fitted = fit_numeric(self._kind, with_bias(X), targets, self.classes_, weights,
                             settings, self.validation_fraction)
        self.fitted_, self.partial_ = fitted, None  # partial_fit after fit goes on from it
        self.model_, self.history_ = fitted.model, fitted.history
        self.training_ = fitted.training_settings
        self.n_iter_ = len(self.history_)
        self._set_coefficients()
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass of mini-batch SGD over X and y, as ``SGDClassifier.partial_fit``: the
        first call needs ``classes`` (every class y will hold); η is constant and the
        optimiser's state carries over. Returns the estimator."""
        fresh = not hasattr(self, "model_")
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, reset=fresh,
                             multi_output=self._multi_label)
        y = targets_of(y)
        if fresh:
            self._check_target_type(y)
            self.label_dtype_ = y.dtype
        partial_fit_numeric(self, self._kind, with_bias(X), y, classes, sample_weight,
                            self._network())
        self._set_coefficients()
        return self

    def _set_coefficients(self) -> None:
        """coef_ and intercept_, for the linear models."""

    def _features(self, X) -> sp.csr_matrix:
        check_is_fitted(self)
        return with_bias(validate_data(self, X, accept_sparse="csr", dtype=np.float64,
                                       reset=False))

    def decision_function(self, X) -> np.ndarray:
        """The logits: shape (n,) for two classes (> 0 means ``classes_[1]``), else (n, K);
        multi-label, (n, L): one per label (> 0 means the label is predicted)."""
        X = self._features(X)
        return logits_of(self.model_, X)

    def predict_proba(self, X) -> np.ndarray:
        """P(class | x), shape (n, K), columns in ``classes_`` order."""
        X = self._features(X)
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row; multi-label, the label-indicator matrix of
        the labels with P ≥ 0.5 (in y's dtype)."""
        X = self._features(X)
        if self.model_.multi_label:
            return self.model_.predict(X).astype(self.label_dtype_)
        return self.classes_[self.model_.predict(X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class LogisticRegressionClassifier(_NumericClassifier):
    """Binary logistic regression ŷ = σ([x | 1]θ), trained by mini-batch gradient descent.
    With a label-indicator y (n × L), one logistic regression per label, trained together
    (multi-label: ``predict`` gives the labels with P ≥ 0.5, ``predict_proba`` (n, L)).

    Settings: ``eta`` (learning rate η), ``epochs``, ``batch_size`` (m), ``optimizer``
    ("sgd", "momentum", "adam"), ``momentum``, ``schedule`` ("constant", "invtime",
    "linear") with ``decay``, ``l2`` and ``l1`` penalties on w, ``bias_rate`` (the bias's
    learning rate relative to η), ``init`` ("zeros" or
    "random"), ``patience`` (early stopping on a held-out ``validation_fraction``),
    ``random_state``. Defaults: full-batch L-BFGS (``optimizer="lbfgs"``: up to 100
    iterations, λ₂ = 1e-5), as scikit-learn's LogisticRegression solves the whole objective;
    ``optimizer="sgd"`` gives textclf's mini-batch training.

    Learned: ``classes_`` (two), ``coef_`` (1, d) = w, ``intercept_`` (1,) = b, ``model_``
    (textclf's :class:`~textclf.models.LogisticRegression`), ``history_`` (per epoch),
    ``n_iter_`` (epochs run), ``training_`` (the settings used).
    """

    _kind = "logistic"
    _multi_label = True

    __init__ = parameters_init({**kind_parameters("logistic", optimizer="lbfgs"),
                                **ESTIMATOR_PARAMETERS})

    def _check_target_type(self, y: np.ndarray) -> None:
        y_type = type_of_target(y, input_name="y")
        if y_type.startswith("multiclass"):
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{y_type}: use SoftmaxRegressionClassifier for more than two classes."
            )

    def _set_coefficients(self) -> None:
        theta = self.model_.theta
        if theta.ndim == 2:  # multi-label: a row of coef_ per label
            self.coef_, self.intercept_ = theta[:-1].T, theta[-1]
        else:
            self.coef_, self.intercept_ = theta[None, :-1], theta[-1:]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        return tags


class SoftmaxRegressionClassifier(_NumericClassifier):
    """Softmax (multinomial logistic) regression Ŷ = softmax([x | 1]θ), K ≥ 2 classes.

    Settings as :class:`LogisticRegressionClassifier`; defaults: full-batch L-BFGS.
    Learned: ``coef_`` (K, d) = θ[:-1]ᵀ, ``intercept_`` (K,) = θ's bias row, ``model_``
    (:class:`~textclf.models.SoftmaxRegression`), ``history_``, ``n_iter_``. For two classes
    ``decision_function`` is the log-odds z₁ − z₀, as scikit-learn expects.
    """

    _kind = "softmax"

    __init__ = parameters_init({**kind_parameters("softmax", optimizer="lbfgs"),
                                **ESTIMATOR_PARAMETERS})

    def _set_coefficients(self) -> None:
        theta = self.model_.theta
        self.coef_, self.intercept_ = theta[:-1].T, theta[-1]


class MLPClassifier(_NumericClassifier):
    """A feedforward network: [x | 1] → hidden layers → sigmoid (2 classes) or softmax.

    Architecture: ``hidden`` (layer sizes, e.g. (256, 64)), ``activation`` ("relu",
    "tanh", "sigmoid"), ``dropout`` (probability). Training settings as
    :class:`LogisticRegressionClassifier` without ``init`` (weights start He/Xavier);
    defaults textclf's for the network (Adam), except η = 0.01 and no dropout (a numeric
    data set is often small, with few steps per epoch). Learned: ``model_``
    (:class:`~textclf.models.FeedForwardNetwork`), ``history_``, ``n_iter_``.
    """

    _kind = "mlp"
    _multi_label = True

    __init__ = parameters_init({**MLP_PARAMETERS, **ESTIMATOR_PARAMETERS})

    def _network(self) -> dict:
        return architecture(self.get_params())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
