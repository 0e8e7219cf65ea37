"""An estimator over raw text: textclf's featuriser and a model, fitted together."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from textclf.classifier import ARGUMENTS, TextClassifier
from textclf.fitting.fitted import classifier_arguments
from textclf.fitting.problem import type_of_label
from textclf.sklearn.fitting import (
    ESTIMATOR_PARAMETERS,
    class_indices,
    encode_targets,
    logits_of,
    parameters_init,
    sample_weights,
    seed_of,
    targets_of,
)

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


def index_labels(targets: np.ndarray) -> list:
    """Class indices as labels (ints), or each row of a label-indicator matrix as the list
    of its labels' indices: what the TextClassifier behind the estimator is fitted on."""
    if targets.ndim == 2:
        return [np.flatnonzero(row).tolist() for row in targets]
    return targets.tolist()


class RawTextClassifier(ClassifierMixin, BaseEstimator):
    """Texts in, labels out: textclf's featuriser and model as one scikit-learn estimator.

    Its parameters are :class:`textclf.TextClassifier`'s arguments (declared once in
    :data:`textclf.classifier.ARGUMENTS`), with ``random_state`` for the seed:
    Features: ``ngrams`` (1 = unigrams, 2 = uni+bigrams...), ``weighting`` ("tfidf-nb", the
    default, "nb", "tfidf", "binary", "count"), ``nb_alpha``, ``nb_beta``, ``char_ngrams``
    ("auto", the default, None or lengths such as (2, 5)), ``char_mode``, ``min_df``,
    ``max_features``, ``lowercase``, ``token_pattern``, ``sublinear_tf``, ``hash_bits``.
    Model: ``model`` ("auto" = logistic regression for two classes, softmax for more; "logistic",
    "softmax", "mlp"), the network's ``hidden``, ``activation``, ``dropout``. Training:
    ``eta``, ``epochs``, ``batch_size``, ``optimizer``, ``momentum``, ``schedule``,
    ``decay``, ``l2``, ``l1``, ``bias_rate``, ``init``, ``patience`` (None: the model kind's
    default, as in :class:`textclf.TextClassifier`), ``validation_fraction`` (held out for
    early stopping), ``random_state``.

    Learned: ``classes_``, ``text_classifier_`` (the :class:`textclf.TextClassifier` it
    fitted, its labels the indices of ``classes_``), ``featurizer_``
    (:class:`~textclf.features.Featurizer`), ``model_``, ``history_``, ``training_``,
    ``threshold_``, ``n_iter_``. :meth:`to_text_classifier` gives
    the equivalent :class:`textclf.TextClassifier` (to save a model file, explain, serve).
    """

    __init__ = parameters_init(TEXT_PARAMETERS)

    def _text_classifier(self, multi_label: bool) -> TextClassifier:
        """A TextClassifier with these parameters, its labels the indices of ``classes_``
        (class weights keyed by index as well)."""
        arguments = {name: getattr(self, name) for name in TEXT_PARAMETERS if name in ARGUMENTS}
        arguments["seed"] = seed_of(self.random_state)
        arguments["multi_label"] = True if multi_label else None
        weights = arguments.get("class_weight")
        if isinstance(weights, Mapping):
            index = {str(c): k for k, c in enumerate(self.classes_)}
            unknown = sorted(str(c) for c in weights if str(c) not in index)
            if unknown:
                raise ValueError(f"class_weight names classes {', '.join(unknown)} that y does "
                                 f"not have (classes: {', '.join(map(str, self.classes_))})")
            arguments["class_weight"] = {index[str(c)]: w for c, w in weights.items()}
        return TextClassifier(**arguments)

    def fit(self, X, y, sample_weight=None):
        """Learn the vocabulary from the texts X, then θ from them and the labels y, through
        :meth:`textclf.TextClassifier.fit` (a held-out ``validation_fraction`` as the dev
        set where one is needed).

        ``sample_weight`` weighs each text's loss (Σᵢ sᵢ L⁽ⁱ⁾). Returns the estimator.
        """
        texts = as_texts(X)
        y = targets_of(y)
        check_consistent_length(texts, y)
        weights = sample_weights(sample_weight, len(texts))
        self.classes_, targets = encode_targets(y, weights)
        self.label_dtype_ = y.dtype
        clf = self._text_classifier(targets.ndim == 2)
        clf.fit(texts, index_labels(targets), sample_weight=weights,
                validation_fraction=self.validation_fraction,
                classes=range(len(self.classes_)))
        self._fitted(clf)
        return self

    def _fitted(self, clf: TextClassifier) -> None:
        self.text_classifier_ = clf
        self.featurizer_, self.model_, self.history_ = clf.featurizer, clf.model, clf.history
        self.training_, self.threshold_ = clf.training_settings, clf.chosen_threshold
        self.n_iter_ = len(self.history_)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass of mini-batch SGD over the texts X and labels y, as
        ``SGDClassifier.partial_fit``: the first call needs ``classes`` and fits the
        featuriser on its texts (give ``hash_bits`` for a stream: no vocabulary to learn);
        η is constant and the optimiser's state carries over. Returns the estimator."""
        texts = as_texts(X)
        y = targets_of(y)
        check_consistent_length(texts, y)
        multi_label = np.ndim(y) == 2
        clf = getattr(self, "text_classifier_", None)
        if clf is None:
            if classes is None and not multi_label:
                raise ValueError("classes must be passed on the first call to partial_fit "
                                 "(every class y will hold)")
            self.classes_ = np.arange(np.shape(y)[1]) if multi_label \
                else np.unique(np.asarray(classes))
            self.label_dtype_ = y.dtype
            clf = self._text_classifier(multi_label)
        elif classes is not None and not multi_label \
                and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes {np.unique(classes)} differ from the classes of the "
                             f"first call to partial_fit {self.classes_}")
        if multi_label != clf.multi_label and clf.fitted is not None:
            raise ValueError("y is multi-label where the model is not, or the reverse")
        targets = (np.asarray(y) != 0).astype(np.uint8) if multi_label \
            else class_indices(y, self.classes_)
        clf.partial_fit(texts, index_labels(targets), classes=range(len(self.classes_)),
                        sample_weight=sample_weights(sample_weight, len(texts)))
        self._fitted(clf)
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
            chosen = self.text_classifier_.decide(self.model_.predict_proba(X))
            return chosen.astype(self.label_dtype_)
        return self.classes_[self.model_.predict(X)]

    def to_text_classifier(self) -> TextClassifier:
        """The fitted featuriser and model as a :class:`textclf.TextClassifier`.

        Its labels are ``str(c)`` for c in ``classes_``, in the same order (integers and
        booleans come back as such from its ``predict``).
        """
        check_is_fitted(self)
        kinds = {type_of_label(c) for c in self.classes_}
        label_type = kinds.pop() if len(kinds) == 1 and None not in kinds else "str"
        fitted = dataclasses.replace(self.text_classifier_.fitted,
                                     labels=[str(c) for c in self.classes_],
                                     label_type=label_type)
        clf = TextClassifier(**classifier_arguments(fitted))
        clf.fitted = fitted
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
