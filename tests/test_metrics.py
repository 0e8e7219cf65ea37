"""Evaluation scores on an example worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from textclf import evaluate_labels

TRUE = ["a", "a", "a", "b", "b", "c"]
PREDICTED = ["a", "b", "a", "b", "c", "c"]


def test_hand_checked_scores() -> None:
    """Confusion (rows true, columns predicted, order a b c):
        a: 2 1 0     b: 0 1 1     c: 0 0 1
    a: TP 2, predicted 2, true 3 → P = 2/2 = 1,   R = 2/3, F1 = 2·1·(2/3)/(1 + 2/3) = 0.8
    b: TP 1, predicted 2, true 2 → P = 1/2,       R = 1/2, F1 = 0.5
    c: TP 1, predicted 2, true 1 → P = 1/2,       R = 1,   F1 = 2·0.5·1/1.5 = 2/3
    accuracy = (2 + 1 + 1)/6 = 2/3; macro F1 = (0.8 + 0.5 + 2/3)/3 = 59/90.
    """
    report = evaluate_labels(TRUE, PREDICTED, ["a", "b", "c"])
    assert report.labels == ["a", "b", "c"]
    np.testing.assert_array_equal(report.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert report.accuracy == pytest.approx(2 / 3)
    expected = {"a": (1.0, 2 / 3, 0.8, 3), "b": (0.5, 0.5, 0.5, 2), "c": (0.5, 1.0, 2 / 3, 1)}
    for label, (p, r, f1, support) in expected.items():
        scores = report.per_class[label]
        assert (scores.precision, scores.recall, scores.f1) == pytest.approx((p, r, f1))
        assert scores.support == support
    assert report.macro_precision == pytest.approx(2 / 3)
    assert report.macro_recall == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    assert report.macro_f1 == pytest.approx(59 / 90)
    assert report.n_documents == 6
    assert report.unknown_labels == {}


def test_scores_agree_with_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    labels = ["neg", "neu", "pos"]
    true = list(rng.choice(labels, 200))
    predicted = list(rng.choice(labels, 200))
    report = evaluate_labels(true, predicted, labels)
    p, r, f1, support = precision_recall_fscore_support(true, predicted, labels=labels)
    for i, label in enumerate(labels):
        scores = report.per_class[label]
        assert (scores.precision, scores.recall, scores.f1) == pytest.approx((p[i], r[i], f1[i]))
        assert scores.support == support[i]
    np.testing.assert_array_equal(report.confusion,
                                  confusion_matrix(true, predicted, labels=labels))


def test_labels_the_model_does_not_know_are_reported() -> None:
    report = evaluate_labels(["a", "b", "zzz", "zzz"], ["a", "a", "b", "a"], ["a", "b"])
    assert report.unknown_labels == {"zzz": 2}
    assert report.labels == ["a", "b", "zzz"]
    np.testing.assert_array_equal(report.confusion, [[1, 0, 0], [1, 0, 0], [1, 1, 0]])
    assert report.accuracy == pytest.approx(0.25)
    assert report.per_class["zzz"].recall == 0.0 and report.per_class["zzz"].support == 2
    assert "labels the model does not know, counted as errors: zzz (2)" in report.format()
    assert report.to_dict()["unknown_labels"] == {"zzz": 2}


def test_a_class_absent_from_both_sides_stays_out_of_the_averages() -> None:
    report = evaluate_labels(["a", "b"], ["a", "b"], ["a", "b", "c"])
    assert set(report.per_class) == {"a", "b"}
    assert report.macro_f1 == 1.0


def test_zero_denominators_give_zero() -> None:
    report = evaluate_labels(["a", "a"], ["b", "b"], ["a", "b"])
    assert report.per_class["a"].precision == 0.0  # never predicted
    assert report.per_class["b"].recall == 0.0  # never true
    assert report.per_class["b"].f1 == 0.0


def test_dict_and_text_forms() -> None:
    report = evaluate_labels(TRUE, PREDICTED, ["a", "b", "c"])
    data = json.loads(json.dumps(report.to_dict()))
    assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(data)
    assert data["per_class"]["a"] == {"precision": 1.0, "recall": pytest.approx(2 / 3),
                                      "f1": pytest.approx(0.8), "support": 3}
    assert data["confusion"] == {"labels": ["a", "b", "c"],
                                 "matrix": [[2, 1, 0], [0, 1, 1], [0, 0, 1]]}
    text = report.format()
    assert "accuracy: 0.6667" in text
    assert "macro avg" in text and "confusion matrix" in text


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="2 true labels but 1 predictions"):
        evaluate_labels(["a", "b"], ["a"], ["a", "b"])
