"""An estimator over raw text: textclf's featuriser and a model, fitted together."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from textclf.classifier import ARGUMENTS, TextClassifier
from textclf.classifier.settings import DecisionSettings
from textclf.evaluation.decisions import best_threshold, decide
from textclf.features import FeatureSettings, Featurizer
from textclf.features.naive_bayes import Targets, interpolate_trained
from textclf.models import ModelSettings
from textclf.sklearn.fitting import (
    ESTIMATOR_PARAMETERS,
    architecture,
    encode_targets,
    fit_model,
    logits_of,
    parameters_init,
    partial_fit_model,
    sample_weights,
    targets_of,
    training_settings,
)
from textclf.training.weights import document_weights

MODELS = ModelSettings.model.choices
# The classifier's arguments (features, model, training; scikit-learn's random_state stands
# for the seed; y's type says whether it is multi-label), then those of every estimator here.
TEXT_PARAMETERS = {
    **{name: argument.default for name, argument in ARGUMENTS.items()
       if argument.group in ("features", "model", "training", "decision")
       and name not in ("seed", "multi_label")},
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


def nb_targets(targets: np.ndarray, n_outputs: int) -> Targets:
    """What the nb ratios learn from: class indices, or a label-indicator matrix."""
    return Targets(targets, n_outputs, targets.ndim == 2)


def first_batch_targets(y: np.ndarray, classes: Any) -> Targets | None:
    """partial_fit's first batch for the nb ratios: y's indices in ``classes`` (every class
    counted, present or not), or its label-indicator matrix; None without classes (refused
    after, as scikit-learn's partial_fit does)."""
    if np.ndim(y) == 2:
        return nb_targets((np.asarray(y) != 0).astype(np.uint8), np.shape(y)[1])
    if classes is None:
        return None
    names = np.unique(np.asarray(classes))
    return nb_targets(np.minimum(np.searchsorted(names, y), len(names) - 1), len(names))


class RawTextClassifier(ClassifierMixin, BaseEstimator):
    """Texts in, labels out: textclf's featuriser and model as one scikit-learn estimator.

    Its parameters are :class:`textclf.TextClassifier`'s arguments (declared once in
    :data:`textclf.classifier.ARGUMENTS`), with ``random_state`` for the seed:
    Features: ``ngrams`` (1 = unigrams, 2 = uni+bigrams...), ``features`` ("tfidf-nb", the
    default, "nb", "tfidf", "binary", "count"), ``nb_alpha``, ``nb_beta``, ``char_ngrams``
    ("auto", the default, None or lengths such as (2, 5)), ``char_mode``, ``min_df``,
    ``max_features``, ``lowercase``, ``token_pattern``, ``sublinear_tf``, ``hash_bits``.
    Model: ``model`` ("auto" = logistic regression for two classes, softmax for more; "logistic",
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

    def _model_kind(self, n_classes: int, multi_label: bool = False) -> str:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.model == "auto":
            return "logistic" if n_classes == 2 or multi_label else "softmax"
        return self.model

    def fit(self, X, y, sample_weight=None):
        """Learn the vocabulary from the texts X, then θ from them and the labels y.

        ``sample_weight`` weighs each text's loss (Σᵢ sᵢ L⁽ⁱ⁾). Returns the estimator.
        """
        texts = as_texts(X)
        y = targets_of(y)
        check_consistent_length(texts, y)
        weights = sample_weights(sample_weight, len(texts))
        self.classes_, targets = encode_targets(y, weights)
        self.label_dtype_ = y.dtype
        kind = self._model_kind(len(self.classes_), targets.ndim == 2)
        settings = training_settings(kind, self.get_params(), self.random_state)
        network = architecture(self.get_params()) if kind == "mlp" else None
        featurizer = Featurizer(self._feature_settings())
        if featurizer.settings.nb_beta is not None and (kind != "logistic"
                                                        or targets.ndim == 2):
            raise ValueError("nb_beta interpolates binary logistic regression's weights: it "
                             "does not apply here (a multi-label y, or another model)")
        X_features = featurizer.fit_transform(texts, nb_targets(targets, len(self.classes_)),
                                              document_weights(
            targets, [str(c) for c in self.classes_], settings.class_weight, weights))
        decisions = self._decision_settings()
        auto = targets.ndim == 2 and decisions.threshold == "auto"
        self.model_, self.history_, dev = fit_model(
            kind, X_features, targets, self.classes_, weights, settings, network,
            self.validation_fraction, hold_out_dev=auto,
        )
        interpolate_trained(self.model_, featurizer.settings)
        self.threshold_ = None if not auto else best_threshold(
            self.model_.predict_proba(dev[0]), dev[1], decisions.top_k, decisions.at_least_one)
        self.featurizer_ = featurizer
        self.training_ = settings
        self.n_iter_ = len(self.history_)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass of mini-batch SGD over the texts X and labels y, as
        ``SGDClassifier.partial_fit``: the first call needs ``classes`` and fits the
        featuriser on its texts (give ``hash_bits`` for a stream: no vocabulary to learn);
        η is constant and the optimiser's state carries over. Returns the estimator."""
        texts = as_texts(X)
        y = targets_of(y)
        check_consistent_length(texts, y)
        if not hasattr(self, "model_"):  # the featuriser (nb: its ratios) from this batch
            self.featurizer_ = Featurizer(self._feature_settings())
            if self.featurizer_.settings.nb_beta is not None:
                raise ValueError("nb_beta interpolates the weights of a finished training; "
                                 "partial_fit's never finishes: leave nb_beta unset")
            self.featurizer_.fit(texts, first_batch_targets(y, classes))
            self.label_dtype_ = y.dtype
            self.threshold_ = None
        kind = self._model_kind(len(classes) if classes is not None else
                                len(getattr(self, "classes_", [])), y.ndim == 2)
        partial_fit_model(self, kind, self.featurizer_.transform(texts), y, classes,
                          sample_weight, architecture(self.get_params()) if kind == "mlp"
                          else None)
        return self

    def transform_texts(self, X) -> sp.csr_matrix:
        """The feature matrix [X | 1] of the texts X (bias column last)."""
        check_is_fitted(self)
        return self.featurizer_.transform(as_texts(X))

    def decision_function(self, X) -> np.ndarray:
        """Logits: (n,) for two classes (> 0 means ``classes_[1]``), else (n, K); for a
        label-indicator y, (n, L)."""
        X = self.transform_texts(X)  # (checks that the estimator is fitted)
        return logits_of(self.model_, X)

    def predict_proba(self, X) -> np.ndarray:
        """P(class | text), shape (n, K), columns in ``classes_`` order."""
        X = self.transform_texts(X)
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each text; for a label-indicator y, the indicator
        matrix of the labels each text gets (``threshold``, default P ≥ 0.5; ``top_k``;
        ``at_least_one``: docs/multilabel.md)."""
        X = self.transform_texts(X)
        if self.model_.multi_label:
            s = self._decision_settings()
            chosen = decide(self.model_.predict_proba(X), s.effective_threshold(self.threshold_),
                            s.top_k, s.at_least_one)
            return chosen.astype(self.label_dtype_)
        return self.classes_[self.model_.predict(X)]

    def _decision_settings(self) -> DecisionSettings:
        """threshold, top_k, at_least_one (multi-label decisions), checked."""
        return DecisionSettings(**{setting.name: getattr(self, setting.argument)
                                   for setting in DecisionSettings.declared.values()})

    def to_text_classifier(self) -> TextClassifier:
        """The fitted featuriser and model as a :class:`textclf.TextClassifier`.

        Its labels are ``str(c)`` for c in ``classes_``, in the same order.
        """
        check_is_fitted(self)
        settings = {name: getattr(self, name) for name in TEXT_PARAMETERS
                    if name in ARGUMENTS}
        settings |= {name: getattr(self.training_, name)
                     for name in self.training_.as_dict()}
        settings["model"] = "logistic" if self.model_.kind == "multilabel" else self.model_.kind
        settings["multi_label"] = True if self.model_.multi_label else None
        clf = TextClassifier(**settings)
        clf.multi_label = self.model_.multi_label
        clf.training_settings = self.training_
        clf.featurizer, clf.model = self.featurizer_, self.model_
        clf.labels = [str(label) for label in self.classes_]
        clf.history = list(self.history_)
        clf.chosen_threshold = self.threshold_
        return clf

    def save(self, path, quantize: str | None = None, prune_below: float | None = None) -> None:
        """Write a textclf model file (read by ``textclf predict`` and ``TextClassifier.load``);
        ``quantize`` ("int8", "float16") or ``prune_below`` write it small
        (``TextClassifier.compress``, docs/compression.md)."""
        clf = self.to_text_classifier()
        if quantize is not None or prune_below is not None:
            clf.compress(quantize, prune_below)
        clf.save(path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # a sequence of strings, as CountVectorizer takes
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = self.model != "softmax"  # softmax: one class each
        return tags
