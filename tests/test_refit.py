"""``fit`` twice on the same object gives what one ``fit`` on a fresh object gives.

(It used to raise: the name ``training`` meant a fit-settings dict on the models and the
dropout flag set by the loop, which overwrote it.)
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import SMALL, TRAIN_LABELS, TRAIN_TEXTS

from textclf import FeedForwardNetwork, LogisticRegression, SoftmaxRegression, TextClassifier
from textclf.core.sparse import add_bias_column

THREE = [label if i % 3 else "meh" for i, label in enumerate(TRAIN_LABELS)]
OTHER_TEXTS = [text.upper() + " extra words" for text in TRAIN_TEXTS[::-1]]
OTHER_LABELS = TRAIN_LABELS[::-1]


@pytest.mark.parametrize("settings", [
    {}, {"model": "softmax"}, {"model": "mlp", "hidden": 4, "epochs": 3},
    {"hash_bits": 8}, {"optimizer": "adam"}, {"patience": None, "l2": 1e-3},
])
def test_text_classifier_fit_twice_equals_a_fresh_fit(settings: dict):
    options = {**SMALL, **settings}
    twice = TextClassifier(**options)
    twice.fit(OTHER_TEXTS, OTHER_LABELS)  # something else first
    twice.fit(TRAIN_TEXTS, THREE if settings.get("model") == "softmax" else TRAIN_LABELS)
    fresh = TextClassifier(**options).fit(
        TRAIN_TEXTS, THREE if settings.get("model") == "softmax" else TRAIN_LABELS)
    assert twice.labels == fresh.labels
    assert list(twice.featurizer.terms) == list(fresh.featurizer.terms)
    for name, array in fresh.model.parameters().items():
        np.testing.assert_array_equal(twice.model.parameters()[name], array)
    assert [r["train_loss"] for r in twice.history] == [r["train_loss"] for r in fresh.history]


def numeric_problem(seed: int, n_classes: int = 2) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    dense = rng.random((60, 8)) * (rng.random((60, 8)) < 0.5)
    y = np.argmax(dense[:, :n_classes], axis=1)
    return add_bias_column(sp.csr_matrix(dense)), y


@pytest.mark.parametrize("make, n_classes", [
    (lambda: LogisticRegression(eta=1.0, epochs=3, batch_size=8), 2),
    (lambda: SoftmaxRegression(eta=1.0, epochs=3, batch_size=8), 3),
    (lambda: FeedForwardNetwork(hidden=5, epochs=3, batch_size=8, dropout=0.2), 3),
])
def test_each_model_fit_twice_equals_a_fresh_fit(make, n_classes: int):
    X, y = numeric_problem(0, n_classes)
    X_other, y_other = numeric_problem(1, n_classes)
    twice = make()
    twice.fit(X_other, y_other)
    twice.fit(X, y)
    fresh = make().fit(X, y)
    for name, array in fresh.parameters().items():
        np.testing.assert_array_equal(twice.parameters()[name], array)
    assert [r["train_loss"] for r in twice.history] == [r["train_loss"] for r in fresh.history]


def test_each_scikit_learn_estimator_fit_twice_equals_a_fresh_fit():
    pytest.importorskip("sklearn")
    from textclf.sklearn import (
        LogisticRegressionClassifier,
        MLPClassifier,
        RawTextClassifier,
        SoftmaxRegressionClassifier,
    )

    X, y = numeric_problem(0, 3)
    X_other, y_other = numeric_problem(1, 3)
    numeric = [(LogisticRegressionClassifier(epochs=3), X[:, :-1], y % 2, X_other[:, :-1],
                y_other % 2),
               (SoftmaxRegressionClassifier(epochs=3), X[:, :-1], y, X_other[:, :-1], y_other),
               (MLPClassifier(hidden=4, epochs=3), X[:, :-1], y, X_other[:, :-1], y_other)]
    text = [(RawTextClassifier(min_df=1, epochs=3), TRAIN_TEXTS, TRAIN_LABELS, OTHER_TEXTS,
             OTHER_LABELS)]
    for estimator, A, b, A_other, b_other in numeric + text:
        from sklearn.base import clone

        fresh = clone(estimator).fit(A, b)
        estimator.fit(A_other, b_other)
        estimator.fit(A, b)
        np.testing.assert_array_equal(estimator.predict_proba(A), fresh.predict_proba(A))
        for name, array in fresh.model_.parameters().items():
            np.testing.assert_array_equal(estimator.model_.parameters()[name], array)
