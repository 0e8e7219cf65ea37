"""scikit-learn estimators over textclf's models, for pipelines, searches and cross-validation.

Numeric estimators take a feature matrix X (n × d, dense or sparse) *without* the dummy
feature and add it themselves, x ↦ [x | 1], so that θ has d+1 entries with the bias last,
as in the lecture. :class:`RawTextClassifier` takes the texts themselves and holds a
featuriser and a model together::

    from sklearn.model_selection import GridSearchCV
    from textclf.sklearn import RawTextClassifier

    search = GridSearchCV(RawTextClassifier(), {"ngrams": [1, 2], "eta": [1.0, 10.0]})
    search.fit(texts, labels).best_params_

They follow scikit-learn's conventions: settings in ``__init__`` only, learned state with a
trailing underscore (``classes_``, ``model_``, ``history_``, ``coef_``...), ``fit`` returns
the estimator, ``predict_proba`` columns in ``classes_`` order.

Sample weights sᵢ make the objective Σᵢ sᵢ L⁽ⁱ⁾. Rows of weight 0 are left out; the others'
weights are rescaled to mean 1 (sᵢ ← sᵢ·n/Σⱼsⱼ), so that the mini-batch step
θ ← θ − η·(1/m)·Σᵢ sᵢ∇L⁽ⁱ⁾ keeps the scale of η, and a weight of k counts as k copies of
the row in the mean loss.

scikit-learn is an optional dependency (``pip install 'textclf[sklearn]'``); ``import
textclf`` does not import it, only ``import textclf.sklearn`` does.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import (
        check_consistent_length,
        check_is_fitted,
        column_or_1d,
        validate_data,
    )
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "textclf.sklearn needs scikit-learn >= 1.6: pip install 'textclf[sklearn]'"
    ) from err

from textclf.features import FeatureSettings, Featurizer, add_bias_column
from textclf.models import LogisticRegression
from textclf.models.base import Model
from textclf.models.functional import binary_cross_entropy_from_logits, sigmoid
from textclf.train import TrainingSettings, train

_DEFAULT_TRAINING = TrainingSettings()
_DEFAULT_FEATURES = FeatureSettings()


# ---------------------------------------------------------------------------------------------
# Checking what the user passes


def _integer(name: str, value: Any) -> int:
    """``value`` as a Python int (numpy integers from a parameter grid included)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise ValueError(f"{name} must be an integer, got {value!r}")


def _real(name: str, value: Any) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{name} must be a number, got {value!r}")


def _seed(random_state: Any) -> int:
    """An int seed for textclf's generators from scikit-learn's ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _sample_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """Validated weights sᵢ ≥ 0, finite, shape (n,), not all zero; None for no weights."""
    if sample_weight is None:
        return None
    weights = np.array(sample_weight, dtype=np.float64)  # a copy: the caller's stays intact
    if weights.shape != (n,):
        raise ValueError(f"sample_weight has shape {weights.shape}, expected ({n},): "
                         "one weight per sample")
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight must be finite (no NaN or infinity)")
    if (weights < 0).any():
        raise ValueError("sample_weight must be non-negative")
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample; at least one weight "
                         "must be positive")
    return weights


def _encode_targets(y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``classes_`` (sorted) and each row's class index; refuse fewer than two classes."""
    check_classification_targets(y)
    classes, targets = np.unique(y, return_inverse=True)
    present = targets if weights is None else targets[weights > 0]
    if len(np.unique(present)) < 2:
        where = "" if weights is None else " among the samples of positive weight"
        raise ValueError(f"a classifier needs samples of at least two classes; y has only "
                         f"one class{where} ({classes[present[0]]!r})")
    return classes, targets


# ---------------------------------------------------------------------------------------------
# Training a textclf model, with sample weights


class _WeightedLogistic:
    """A binary logistic regression whose loss is Σᵢ sᵢ L_CE⁽ⁱ⁾, for the trainer.

    The trainer shuffles and slices targets with the rows of X, so the weights travel with
    the targets as a second column of y: y = [class index | sᵢ]. Then

        Σᵢ sᵢ L⁽ⁱ⁾ = Σᵢ sᵢ [log(1 + e^zᵢ) − yᵢzᵢ],    ∇ = Xᵀ(s ⊙ (ŷ − y)).
    """

    def __init__(self, model: LogisticRegression):
        self.model = model

    def parameters(self) -> dict[str, np.ndarray]:
        return self.model.parameters()

    def loss_and_gradient_sum(self, X: sp.csr_matrix, ys: np.ndarray):
        y, s = ys[:, 0], ys[:, 1]
        z = self.model.decision_function(X)
        loss = float((s * binary_cross_entropy_from_logits(z, y)).sum())
        gradient = np.asarray(X.T @ (s * (sigmoid(z) - y))).ravel()
        return loss, {"theta": gradient}


def _new_model(kind: str, n_features: int, n_classes: int, init: str, seed: int) -> Model:
    if kind == "logistic":
        if n_classes != 2:
            raise ValueError(
                "Only binary classification is supported by logistic regression; y has "
                f"{n_classes} classes (use the softmax model for more)"
            )
        return LogisticRegression(n_features, init=init, seed=seed)
    raise ValueError(f"unknown model {kind!r} (known: logistic)")


def _fit_model(
    kind: str,
    X: sp.csr_matrix,
    targets: np.ndarray,
    n_classes: int,
    weights: np.ndarray | None,
    settings: TrainingSettings,
) -> tuple[Model, list[dict]]:
    """Train a fresh ``kind`` model on [X | 1] (bias column included); weights optional."""
    settings.validate()
    model = _new_model(kind, X.shape[1], n_classes, settings.init, settings.seed)
    if weights is None:
        return model, train(model, X, targets, settings)
    keep = np.flatnonzero(weights > 0)  # a row of weight 0 is a row removed
    X, targets, weights = X[keep], targets[keep], weights[keep]
    weights = weights * (len(weights) / weights.sum())  # mean 1: η keeps its scale
    weighted = _WeightedLogistic(model)
    history = train(weighted, X, np.column_stack([targets, weights]), settings)
    return model, history


# ---------------------------------------------------------------------------------------------
# Numeric input


class _NumericClassifier(ClassifierMixin, BaseEstimator):
    """Shared by the estimators over a numeric X (without the bias column)."""

    _kind: ClassVar[str]

    def _training_settings(self) -> TrainingSettings:
        return TrainingSettings(
            eta=_real("eta", self.eta), epochs=_integer("epochs", self.epochs),
            batch_size=_integer("batch_size", self.batch_size), init=self.init,
            seed=_seed(self.random_state),
        )

    def _check_y_type(self, y: np.ndarray) -> None:
        """Binary-only models refuse multiclass targets (scikit-learn's wording)."""

    def fit(self, X, y, sample_weight=None):
        """Fit θ by mini-batch gradient descent on the (weighted) cross-entropy.

        X: (n, d) array or sparse matrix, y: n class labels, sample_weight: n weights ≥ 0.
        Returns the estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        self._check_y_type(y)
        weights = _sample_weights(sample_weight, X.shape[0])
        self.classes_, targets = _encode_targets(y, weights)
        self.model_, self.history_ = _fit_model(
            self._kind, self._with_bias(X), targets, len(self.classes_), weights,
            self._training_settings(),
        )
        self.n_iter_ = len(self.history_)
        self._set_coefficients()
        return self

    def _set_coefficients(self) -> None:
        """coef_ and intercept_, where the model is linear."""

    @staticmethod
    def _with_bias(X) -> sp.csr_matrix:
        """[X | 1]: the dummy feature that multiplies the bias."""
        X = sp.csr_matrix(X)
        if not X.has_canonical_format:
            X = X.copy()  # add_bias_column sums duplicates in place: not in the caller's X
        return add_bias_column(X)

    def _features(self, X) -> sp.csr_matrix:
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return self._with_bias(X)

    def decision_function(self, X) -> np.ndarray:
        """Scores: z = [x | 1]θ, shape (n,) for two classes (> 0 means ``classes_[1]``)."""
        X = self._features(X)
        return self.model_.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        """P(class | x), shape (n, K), columns in ``classes_`` order."""
        X = self._features(X)
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        X = self._features(X)
        return self.classes_[self.model_.predict(X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class LogisticRegressionClassifier(_NumericClassifier):
    """Binary logistic regression ŷ = σ([x | 1]θ), trained by mini-batch gradient descent.

    Parameters: ``eta`` (learning rate η), ``epochs``, ``batch_size`` (m), ``init``
    ("zeros" or "random": θ₀ = 0 or small N(0, 0.01²) values), ``random_state`` (seeds
    the shuffling and the initial θ). Learned: ``classes_`` (two), ``coef_`` (1, d) = w,
    ``intercept_`` (1,) = b, ``model_`` (the textclf :class:`LogisticRegression`),
    ``history_`` (per-epoch training loss), ``n_iter_`` (epochs run).
    """

    _kind = "logistic"

    def __init__(
        self,
        *,
        eta: float = _DEFAULT_TRAINING.eta,
        epochs: int = _DEFAULT_TRAINING.epochs,
        batch_size: int = _DEFAULT_TRAINING.batch_size,
        init: str = _DEFAULT_TRAINING.init,
        random_state: int | np.random.RandomState | None = 0,
    ):
        self.eta = eta
        self.epochs = epochs
        self.batch_size = batch_size
        self.init = init
        self.random_state = random_state

    def _check_y_type(self, y: np.ndarray) -> None:
        y_type = type_of_target(y, input_name="y")
        if y_type.startswith("multiclass"):
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{y_type}: use SoftmaxRegressionClassifier for more than two classes."
            )

    def _set_coefficients(self) -> None:
        self.coef_ = self.model_.theta[None, :-1]
        self.intercept_ = self.model_.theta[-1:]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


# ---------------------------------------------------------------------------------------------
# Raw text


def _texts(X: Any) -> list[str]:
    """The documents of X (a list, 1-D array or Series of strings), checked."""
    if isinstance(X, str | bytes):
        raise ValueError("expected a sequence of texts, got a single string; "
                         "wrap it in a list")
    if sp.issparse(X) or np.ndim(X) != 1:
        raise ValueError(
            f"expected a sequence of texts (1-D), got an input of shape {np.shape(X)}; "
            "for a numeric feature matrix use LogisticRegressionClassifier"
        )
    texts = list(X)
    if not texts:
        raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 "
                         "is required: no texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"text {i} is a {type(text).__name__}, not a string: {text!r:.60}")
    return texts


class RawTextClassifier(ClassifierMixin, BaseEstimator):
    """Texts in, labels out: textclf's featuriser and model as one scikit-learn estimator.

    Feature settings: ``ngrams`` (1 = unigrams, 2 = uni+bigrams...), ``features``
    ("tfidf", "binary" or "count"), ``min_df``, ``max_features``, ``lowercase``. Model:
    ``model`` ("auto" = logistic regression for two classes), and the training settings
    ``eta``, ``epochs``, ``batch_size``, ``init``, ``random_state``. Learned:
    ``classes_``, ``featurizer_`` (the textclf :class:`Featurizer`), ``model_``,
    ``history_``. :meth:`to_text_classifier` gives a textclf ``TextClassifier`` (to save
    a model file, explain, or serve it).
    """

    def __init__(
        self,
        *,
        ngrams: int = _DEFAULT_FEATURES.ngrams,
        features: str = _DEFAULT_FEATURES.weighting,
        min_df: int = _DEFAULT_FEATURES.min_df,
        max_features: int | None = _DEFAULT_FEATURES.max_features,
        lowercase: bool = _DEFAULT_FEATURES.lowercase,
        model: str = "auto",
        eta: float = _DEFAULT_TRAINING.eta,
        epochs: int = _DEFAULT_TRAINING.epochs,
        batch_size: int = _DEFAULT_TRAINING.batch_size,
        init: str = _DEFAULT_TRAINING.init,
        random_state: int | np.random.RandomState | None = 0,
    ):
        self.ngrams = ngrams
        self.features = features
        self.min_df = min_df
        self.max_features = max_features
        self.lowercase = lowercase
        self.model = model
        self.eta = eta
        self.epochs = epochs
        self.batch_size = batch_size
        self.init = init
        self.random_state = random_state

    def _feature_settings(self) -> FeatureSettings:
        settings = FeatureSettings(
            ngrams=_integer("ngrams", self.ngrams), weighting=self.features,
            min_df=_integer("min_df", self.min_df),
            max_features=None if self.max_features is None
            else _integer("max_features", self.max_features),
            lowercase=bool(self.lowercase),
        )
        settings.validate()
        return settings

    def _model_kind(self, n_classes: int) -> str:
        if self.model == "auto":
            return "logistic"
        return self.model

    def fit(self, X, y, sample_weight=None):
        """Learn the vocabulary from the texts X and θ from them and the labels y."""
        texts = _texts(X)
        y = column_or_1d(y, warn=True)
        check_consistent_length(texts, y)
        weights = _sample_weights(sample_weight, len(texts))
        self.classes_, targets = _encode_targets(y, weights)
        settings = TrainingSettings(
            eta=_real("eta", self.eta), epochs=_integer("epochs", self.epochs),
            batch_size=_integer("batch_size", self.batch_size), init=self.init,
            seed=_seed(self.random_state),
        )
        featurizer = Featurizer(self._feature_settings())
        X_features = featurizer.fit_transform(texts)
        kind = self._model_kind(len(self.classes_))
        self.model_, self.history_ = _fit_model(
            kind, X_features, targets, len(self.classes_), weights, settings
        )
        self.featurizer_ = featurizer
        self.training_ = settings
        self.n_iter_ = len(self.history_)
        return self

    def transform_texts(self, X) -> sp.csr_matrix:
        """The feature matrix [X | 1] of the texts X (bias column last)."""
        check_is_fitted(self)
        return self.featurizer_.transform(_texts(X))

    def decision_function(self, X) -> np.ndarray:
        """Scores: (n,) for two classes (> 0 means ``classes_[1]``), else (n, K)."""
        X = self.transform_texts(X)
        return self.model_.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        """P(class | text), shape (n, K), columns in ``classes_`` order."""
        X = self.transform_texts(X)
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each text."""
        X = self.transform_texts(X)
        return self.classes_[self.model_.predict(X)]

    def to_text_classifier(self):
        """The fitted featuriser and model as a textclf ``TextClassifier`` (labels as text)."""
        from textclf.pipeline import TextClassifier

        check_is_fitted(self)
        settings = self.featurizer_.settings
        clf = TextClassifier(
            ngrams=settings.ngrams, features=settings.weighting, min_df=settings.min_df,
            max_features=settings.max_features, lowercase=settings.lowercase,
            eta=self.training_.eta, epochs=self.training_.epochs,
            batch_size=self.training_.batch_size, init=self.training_.init,
            seed=self.training_.seed, model=self.model_.kind,
        )
        clf.featurizer, clf.model = self.featurizer_, self.model_
        clf.labels = [str(label) for label in self.classes_]
        clf.history = list(self.history_)
        return clf

    def save(self, path) -> None:
        """Write a textclf model file (``textclf predict`` and ``TextClassifier.load`` read it)."""
        self.to_text_classifier().save(path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


__all__ = ["LogisticRegressionClassifier", "RawTextClassifier"]
