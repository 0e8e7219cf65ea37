"""Calibrated probabilities (issue 17, part 3): ECE and Brier, the reliability bins, and
temperature scaling fitted on the dev set, from the model to the command line."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DEV_DOCS, SMALL, TRAIN_LABELS, TRAIN_TEXTS, run_cli
from topic_corpus import MULTI_DEV, MULTI_TEST, MULTI_TRAIN, TEST, TRAIN

from textclf import TextClassifier
from textclf.core import modelfile
from textclf.errors import ModelFileError, SettingsError
from textclf.evaluation.calibration import (
    calibration_of_classes,
    calibration_of_labels,
    reliability,
)
from textclf.models import LogisticRegression, MultiLabelLogisticRegression, SoftmaxRegression
from textclf.models.functional import sigmoid, softmax
from textclf.training.calibration import fit_temperature, mean_loss

DEV_TEXTS, DEV_LABELS = [t for t, _ in DEV_DOCS], [label for _, label in DEV_DOCS]


def _logits_model(kind: str, Z: np.ndarray):
    """A linear model whose logits on X = I are the rows of Z (θ = [Z; 0])."""
    n = Z.shape[0]
    X = sp.hstack([sp.identity(n, format="csr"), sp.csr_matrix((n, 1))], format="csr")
    if kind == "logistic":
        model = LogisticRegression(n + 1)
        model.theta[:n] = Z
    elif kind == "softmax":
        model = SoftmaxRegression(n + 1, Z.shape[1])
        model.theta[:n] = Z
    else:
        model = MultiLabelLogisticRegression(n + 1, Z.shape[1])
        model.theta[:n] = Z
    return model, X


# temperature scaling ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["logistic", "softmax", "multilabel"])
def test_the_temperature_of_over_confident_scores_is_found(kind):
    """Labels drawn from σ(z/T₀) or softmax(z/T₀): the fitted T is close to T₀ = 2.5."""
    rng = np.random.default_rng(0)
    T0, n = 2.5, 20000
    if kind == "logistic":
        Z = rng.normal(0, 4, size=n)
        y = (rng.random(n) < sigmoid(Z / T0)).astype(int)
    elif kind == "softmax":
        Z = rng.normal(0, 4, size=(n, 4))
        P = softmax(Z / T0)
        y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    else:
        Z = rng.normal(-2, 4, size=(n, 3))
        y = (rng.random((n, 3)) < sigmoid(Z / T0)).astype(np.uint8)
    model, X = _logits_model(kind, Z)
    fitted = fit_temperature(model, (X, y))
    assert fitted.temperature == pytest.approx(T0, rel=0.05)
    assert fitted.dev_loss_after < fitted.dev_loss_before
    output = "sigmoid" if kind != "softmax" else "softmax"
    for other in (fitted.temperature * 1.05, fitted.temperature / 1.05):  # the minimum
        assert mean_loss(Z, y, output, 1 / other) > fitted.dev_loss_after
    model.temperature = fitted.temperature
    P = model.predict_proba(X)
    expected = {"logistic": lambda: sigmoid(Z / fitted.temperature),
                "softmax": lambda: softmax(Z / fitted.temperature)[:, 1],
                "multilabel": lambda: sigmoid(Z / fitted.temperature)[:, 1]}[kind]()
    np.testing.assert_allclose(P[:, 1], expected, rtol=1e-12)


def test_a_separable_dev_set_takes_the_end_of_the_range_and_weights_count():
    Z = np.array([5.0, -5.0, 6.0, -4.0])
    model, X = _logits_model("logistic", Z)
    fitted = fit_temperature(model, (X, np.array([1, 0, 1, 0])))
    assert fitted.temperature == pytest.approx(0.05)  # T_MIN: sharper can only help
    wrong = np.array([0, 1, 1, 0])  # the first two are confidently wrong
    softer = fit_temperature(model, (X, wrong)).temperature
    weighted = fit_temperature(model, (X, wrong, np.array([0.1, 0.1, 5.0, 5.0])))
    assert weighted.temperature < softer  # the confident right ones weigh more


def test_temperature_changes_no_prediction():
    clf = TextClassifier(**TRAIN_PARAMS).fit(*TRAIN, *TEST)
    calibrated = TextClassifier(**TRAIN_PARAMS, calibrate=True).fit(*TRAIN, *TEST)
    np.testing.assert_array_equal(clf.model.theta, calibrated.model.theta)  # the same θ
    assert calibrated.model.temperature != 1.0 and clf.model.temperature == 1.0
    texts = TEST[0]
    assert clf.predict(texts) == calibrated.predict(texts)
    Z = calibrated.model.decision_function(calibrated.transform(texts))
    np.testing.assert_allclose(calibrated.predict_proba(texts),
                               softmax(Z / calibrated.model.temperature), rtol=1e-12)


TRAIN_PARAMS = dict(min_df=1, epochs=5, batch_size=8, eta=5.0)


# ECE, Brier, the bins ----------------------------------------------------------------------------
def test_ece_by_hand():
    # bins of width 1/15: 0.94 and 0.96 fall in the last, (14/15, 1]; 0.6 in (8/15, 9/15]
    confidence = np.array([0.94, 0.96, 0.6, 0.6])
    right = np.array([1, 0, 1, 1])
    ece, bins = reliability(confidence, right)
    expected = 2 / 4 * abs(0.5 - 0.95) + 2 / 4 * abs(1.0 - 0.6)
    assert ece == pytest.approx(expected)
    assert sum(b.count for b in bins) == 4 and len(bins) == 15
    assert bins[14].count == 2 and bins[14].confidence == pytest.approx(0.95)
    assert bins[8].count == 2 and bins[8].accuracy == 1.0
    assert np.isnan(bins[0].accuracy)


def test_brier_agrees_with_scikit_learn_and_calibrated_scores_have_a_small_ece():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    p = rng.random(50000)
    y = (rng.random(50000) < p).astype(int)
    report = calibration_of_classes(np.column_stack([1 - p, p]), y)
    assert report.brier == pytest.approx(metrics.brier_score_loss(y, p))
    assert report.ece < 0.01  # drawn from its own probabilities: calibrated
    sharp = np.column_stack([1 - p, p]) ** 3  # over-confident: the same ranking, sharper
    over = calibration_of_classes(sharp / sharp.sum(axis=1, keepdims=True), y)
    assert over.ece > 0.05
    P = rng.dirichlet(np.ones(3), size=100)
    labels = rng.integers(0, 3, size=100)
    multiclass = calibration_of_classes(P, labels)
    assert multiclass.brier == pytest.approx(np.mean(((P - np.eye(3)[labels]) ** 2).sum(1)))
    Y = (rng.random((100, 3)) < 0.3).astype(int)
    pairs = calibration_of_labels(P, Y)
    assert pairs.brier == pytest.approx(np.mean((P - Y) ** 2))
    assert sum(b.count for b in pairs.bins) == 300 and pairs.unit == "document-label pair"


# the classifier and the command line ---------------------------------------------------------
def test_calibrate_needs_dev_data_and_survives_save_and_load(tmp_path):
    with pytest.raises(SettingsError, match="calibration .* is fitted on dev data"):
        TextClassifier(**SMALL, calibrate=True).fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf = TextClassifier(**SMALL, calibrate=True).fit(TRAIN_TEXTS, TRAIN_LABELS, DEV_TEXTS,
                                                      DEV_LABELS)
    assert clf.calibration["temperature"] == clf.model.temperature
    clf.save(tmp_path / "c.textclf")
    same = TextClassifier.load(tmp_path / "c.textclf")
    assert same.model.temperature == clf.model.temperature
    assert same.calibration == clf.calibration
    np.testing.assert_array_equal(same.predict_proba(DEV_TEXTS), clf.predict_proba(DEV_TEXTS))
    report = same.evaluate(DEV_TEXTS, DEV_LABELS)
    assert 0 <= report.calibration.ece <= 1 and 0 <= report.calibration.brier <= 1
    assert {"ece", "brier", "reliability"} <= set(report.to_dict())
    assert "P(pos) = σ(z/T, T = " in same.explain("a great film").format()


@pytest.mark.parametrize("value", [-1.0, 0.0, float("nan"), True, "2"])
def test_a_bad_temperature_in_a_model_file_is_refused(tmp_path, value):
    clf = TextClassifier(**SMALL, calibrate=True).fit(TRAIN_TEXTS, TRAIN_LABELS, DEV_TEXTS,
                                                      DEV_LABELS)
    clf.save(tmp_path / "c.textclf")
    meta, arrays = modelfile.load(tmp_path / "c.textclf")
    meta["model"]["temperature"] = value
    with zipfile.ZipFile(tmp_path / "c.textclf") as archive:
        assert "meta.json" in archive.namelist()
    try:
        modelfile.save(tmp_path / "bad.textclf", meta, arrays)
    except ValueError:  # NaN cannot be written as JSON: nothing to load
        return
    with pytest.raises(ModelFileError, match="temperature"):
        TextClassifier.load(tmp_path / "bad.textclf")


def test_a_multilabel_model_gets_one_temperature():
    clf = TextClassifier(min_df=1, epochs=20, batch_size=8, eta=2.0, calibrate=True)
    clf.fit(*MULTI_TRAIN, *MULTI_DEV)
    assert clf.model.temperature != 1.0
    report = clf.evaluate(*MULTI_TEST)
    assert report.calibration.unit == "document-label pair"
    assert sum(b.count for b in report.calibration.bins) == 40 * 3


def test_scikit_learn_estimators_calibrate_on_held_out_rows():
    pytest.importorskip("sklearn")
    from textclf.sklearn import RawTextClassifier, SoftmaxRegressionClassifier

    raw = RawTextClassifier(**TRAIN_PARAMS, calibrate=True).fit(*TRAIN)
    assert raw.model_.temperature != 1.0
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int) + (X[:, 1] > 1)
    numeric = SoftmaxRegressionClassifier(eta=1.0, calibrate=True).fit(X, y)
    plain = SoftmaxRegressionClassifier(eta=1.0).fit(X, y)
    assert numeric.model_.temperature != 1.0 and plain.model_.temperature == 1.0


def test_cli_calibrates_reports_ece_and_draws_the_reliability_diagram(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    data = tmp_path / "train.jsonl"
    dev = tmp_path / "dev.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                            for t, y in zip(*TRAIN, strict=True)), encoding="utf-8")
    dev.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                           for t, y in zip(*TEST, strict=True)), encoding="utf-8")
    model = tmp_path / "m.textclf"
    status, out, err = run_cli(capsys, "train", data, "--dev", dev, "-o", model, "--calibrate",
                               "--min-df", "1", "--epochs", "5")
    assert status == 0, err
    assert "temperature T = " in out and "fitted on the dev set" in out
    status, out, _ = run_cli(capsys, "test", model, dev, "--json")
    report = json.loads(out)
    assert status == 0 and 0 <= report["ece"] <= 1 and 0 <= report["brier"] <= 2
    assert report["reliability"]["n_bins"] == 15
    status, out, _ = run_cli(capsys, "test", model, dev)
    assert "ECE (15 bins)" in out and "Brier" in out
    status, _, err = run_cli(capsys, "report", model, dev, "-o", tmp_path / "r")
    assert status == 0, err
    assert (tmp_path / "r" / "reliability.png").stat().st_size > 1000
    assert "expected calibration error" in (tmp_path / "r" / "report.html").read_text()
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "n.textclf",
                             "--calibrate", "-q")
    assert status == 1 and "calibration (temperature scaling) is fitted on dev data" in err
