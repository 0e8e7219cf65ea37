"""An estimator over raw text: textclf's featuriser and a model, fitted together."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_consistent_length, check_is_fitted, column_or_1d

from textclf.classifier import ARGUMENTS, TextClassifier
from textclf.features import FeatureSettings, Featurizer
from textclf.features.naive_bayes import interpolate_trained
from textclf.models import ModelSettings
from textclf.sklearn.fitting import (
    ESTIMATOR_PARAMETERS,
    architecture,
    encode_targets,
    fit_model,
    parameters_init,
    sample_weights,
    training_settings,
)

MODELS = ModelSettings.model.choices
# The classifier's arguments (features, model, training; scikit-learn's random_state stands
# for the seed), then those of every estimator here.
TEXT_PARAMETERS = {
    **{name: argument.default for name, argument in ARGUMENTS.items()
       if argument.group in ("features", "model", "training") and name != "seed"},
    **ESTIMATOR_PARAMETERS,
}


def as_texts(X: Any) -> list[str]:
    """The documents of X (a list, tuple, 1-D array or Series of strings), checked."""
    if isinstance(X, str | bytes):
        raise ValueError("expected a sequence of texts, got a single string; wrap it in a list")
    if sp.issparse(X) or np.ndim(X) != 1:
        raise ValueError(
            f"expected a sequence of texts (1-D), got an input of shape {np.shape(X)}; for a "
            "numeric feature matrix use LogisticRegressionClassifier, "
            "SoftmaxRegressionClassifier or MLPClassifier"
        )
    texts = list(X)
    if not texts:
        raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 is "
                         "required: there are no texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"text {i} is a {type(text).__name__}, not a string: {text!r:.60}")
    return texts


class RawTextClassifier(ClassifierMixin, BaseEstimator):
    """Texts in, labels out: textclf's featuriser and model as one scikit-learn estimator.

    Its parameters are :class:`textclf.TextClassifier`'s arguments (declared once in
    :data:`textclf.classifier.ARGUMENTS`), with ``random_state`` for the seed:
    Features: ``ngrams`` (1 = unigrams, 2 = uni+bigrams...), ``features`` ("tfidf",
    "binary", "count"), ``min_df``, ``max_features``, ``lowercase``, ``token_pattern``,
    ``sublinear_tf``, ``hash_bits``. Model: ``model``
    ("auto" = logistic regression for two classes, softmax for more; "logistic",
    "softmax", "mlp"), the network's ``hidden``, ``activation``, ``dropout``. Training:
    ``eta``, ``epochs``, ``batch_size``, ``optimizer``, ``momentum``, ``schedule``,
    ``decay``, ``l2``, ``l1``, ``bias_rate``, ``init``, ``patience`` (None: the model kind's
    default, as in :class:`textclf.TextClassifier`), ``validation_fraction`` (held out for
    early stopping), ``random_state``.

    Learned: ``classes_``, ``featurizer_`` (:class:`~textclf.features.Featurizer`),
    ``model_``, ``history_``, ``training_``, ``n_iter_``. :meth:`to_text_classifier` gives
    the equivalent :class:`textclf.TextClassifier` (to save a model file, explain, serve).
    """

    __init__ = parameters_init(TEXT_PARAMETERS)

    def _feature_settings(self) -> FeatureSettings:
        return FeatureSettings(**{setting.name: getattr(self, setting.argument)
                                  for setting in FeatureSettings.declared.values()})

    def _model_kind(self, n_classes: int) -> str:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.model == "auto":
            return "logistic" if n_classes == 2 else "softmax"
        return self.model

    def fit(self, X, y, sample_weight=None):
        """Learn the vocabulary from the texts X, then θ from them and the labels y.

        ``sample_weight`` weighs each text's loss (Σᵢ sᵢ L⁽ⁱ⁾). Returns the estimator.
        """
        texts = as_texts(X)
        y = column_or_1d(y, warn=True)
        check_consistent_length(texts, y)
        weights = sample_weights(sample_weight, len(texts))
        self.classes_, targets = encode_targets(y, weights)
        kind = self._model_kind(len(self.classes_))
        settings = training_settings(kind, self.get_params(), self.random_state)
        network = architecture(self.get_params()) if kind == "mlp" else None
        featurizer = Featurizer(self._feature_settings())
        X_features = featurizer.fit_transform(texts, targets, weights)
        self.model_, self.history_ = fit_model(
            kind, X_features, targets, len(self.classes_), weights, settings, network,
            self.validation_fraction,
        )
        interpolate_trained(self.model_, featurizer.settings)
        self.featurizer_ = featurizer
        self.training_ = settings
        self.n_iter_ = len(self.history_)
        return self

    def transform_texts(self, X) -> sp.csr_matrix:
        """The feature matrix [X | 1] of the texts X (bias column last)."""
        check_is_fitted(self)
        return self.featurizer_.transform(as_texts(X))

    def decision_function(self, X) -> np.ndarray:
        """Logits: (n,) for two classes (> 0 means ``classes_[1]``), else (n, K)."""
        X = self.transform_texts(X)
        Z = self.model_.decision_function(X)
        if Z.ndim == 2 and Z.shape[1] == 2:  # two softmax logits: their difference
            return Z[:, 1] - Z[:, 0]
        return Z

    def predict_proba(self, X) -> np.ndarray:
        """P(class | text), shape (n, K), columns in ``classes_`` order."""
        X = self.transform_texts(X)
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each text."""
        X = self.transform_texts(X)
        return self.classes_[self.model_.predict(X)]

    def to_text_classifier(self) -> TextClassifier:
        """The fitted featuriser and model as a :class:`textclf.TextClassifier`.

        Its labels are ``str(c)`` for c in ``classes_``, in the same order.
        """
        check_is_fitted(self)
        settings = {name: getattr(self, name) for name in TEXT_PARAMETERS
                    if name in ARGUMENTS}
        settings |= {name: getattr(self.training_, name)
                     for name in self.training_.as_dict()}
        settings["model"] = self.model_.kind
        clf = TextClassifier(**settings)
        clf.training_settings = self.training_
        clf.featurizer, clf.model = self.featurizer_, self.model_
        clf.labels = [str(label) for label in self.classes_]
        clf.history = list(self.history_)
        return clf

    def save(self, path) -> None:
        """Write a textclf model file (read by ``textclf predict`` and ``TextClassifier.load``)."""
        self.to_text_classifier().save(path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # a sequence of strings, as CountVectorizer takes
        tags.input_tags.string = True
        return tags
