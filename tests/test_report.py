"""report: every PNG written and valid, an HTML page that needs no network, curve areas."""

from __future__ import annotations

import gzip
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from marker_corpus import BINARY_MARKERS, TOPIC_MARKERS, make_corpus

from textclf import TextClassifier
from textclf.cli import main
from textclf.evaluation.curves import precision_recall_curve, roc_curve
from textclf.report import BINARY_ONLY, IMAGES, report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def check_image(path: Path) -> None:
    assert path.is_file(), f"{path} missing"
    width, height = png_size(path)
    assert width >= 300 and height >= 200, (path, width, height)
    assert path.stat().st_size > 5_000, f"{path} is suspiciously small"
    from matplotlib.image import imread

    pixels = imread(path)  # decodes the whole image
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0.01  # not a blank canvas


def check_offline_html(page: str, directory: Path, embedded: bool = False) -> list[str]:
    """Every resource is a file in ``directory`` or a data URI; nothing from the network."""
    lowered = page.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered and "<link" not in lowered
    assert "@import" not in lowered and "url(" not in lowered
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    for source in sources:
        if embedded:
            assert source.startswith("data:image/png;base64,")
        else:
            assert not source.startswith("//") and ":" not in source
            assert (directory / source).is_file(), source
    return sources


@pytest.fixture(scope="module")
def binary_clf() -> TextClassifier:
    texts, labels = make_corpus(BINARY_MARKERS, length=6)
    dev_texts, dev_labels = make_corpus(BINARY_MARKERS, n_per_class=15, seed=7)
    return TextClassifier(ngrams=2, min_df=1, eta=1.0, epochs=4).fit(
        texts, labels, dev_texts, dev_labels)


@pytest.fixture(scope="module")
def test_data():
    # some documents with both markers, so that the model gets some of them wrong
    texts, labels = make_corpus(BINARY_MARKERS, n_per_class=20, seed=11)
    texts += ["excellent excellent superb but dreadful", "terrible dreadful yet excellent"]
    labels += ["neg", "pos"]
    return texts, labels


@pytest.fixture(scope="module")
def binary_report(binary_clf, test_data, tmp_path_factory):
    texts, labels = test_data
    out = tmp_path_factory.mktemp("report") / "out"
    return report(binary_clf, texts, labels, out, data_name="fixture", n_wrong=5)


def test_report_writes_every_image(binary_report):
    assert set(binary_report.images) == set(IMAGES)
    for key, name in IMAGES.items():
        path = binary_report.directory / name
        assert binary_report.images[key] == path
        check_image(path)


def test_report_html_refers_to_every_image_and_needs_no_network(binary_report):
    page = binary_report.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    sources = check_offline_html(page, binary_report.directory)
    assert set(sources) == set(IMAGES.values())


def test_report_scores_and_wrong_documents(binary_report, binary_clf, test_data):
    texts, labels = test_data
    assert binary_report.evaluation.accuracy == pytest.approx(
        binary_clf.evaluate(texts, labels).accuracy)
    assert 0.5 < binary_report.roc_auc <= 1.0
    assert 0.5 < binary_report.average_precision <= 1.0
    wrong = binary_report.wrong
    assert 1 <= len(wrong) <= 5
    confidences = [w.confidence for w in wrong]
    assert confidences == sorted(confidences, reverse=True)
    for w in wrong:
        assert w.predicted != w.true_label
        assert w.explanation.predicted == w.predicted
    page = binary_report.html.read_text(encoding="utf-8")
    assert "Most confidently wrong" in page and f"P = {wrong[0].confidence:.4f}" in page
    summary = json.loads((binary_report.directory / "report.json").read_text())
    assert summary["roc_auc"] == pytest.approx(binary_report.roc_auc)


def test_report_embedded_images(binary_clf, test_data, tmp_path):
    texts, labels = test_data
    result = report(binary_clf, texts[:10], labels[:10], tmp_path, embed_images=True,
                    n_wrong=0)
    page = result.html.read_text(encoding="utf-8")
    sources = check_offline_html(page, tmp_path, embedded=True)
    assert len(sources) == len(IMAGES)
    assert all(f'alt="{name}"' in page for name in IMAGES.values())


def test_report_of_a_multiclass_network(tmp_path):
    texts, labels = make_corpus(TOPIC_MARKERS, length=5)
    clf = TextClassifier(ngrams=1, weighting="binary", min_df=1, model="mlp", hidden=8,
                         eta=0.02, epochs=5).fit(texts[:120], labels[:120], texts[120:],
                                                 labels[120:])
    test_texts, test_labels = make_corpus(TOPIC_MARKERS, n_per_class=10, seed=4)
    test_labels[0] = "weather"  # a label the model does not know: counted as an error
    result = report(clf, test_texts, test_labels, tmp_path / "r", n_wrong=3)
    expected = {k: v for k, v in IMAGES.items() if k not in BINARY_ONLY}
    assert set(result.images) == set(expected)
    for name in expected.values():
        check_image(tmp_path / "r" / name)
    assert not any((tmp_path / "r" / IMAGES[k]).exists() for k in BINARY_ONLY)
    assert result.roc_auc is None and result.average_precision is None
    page = result.html.read_text(encoding="utf-8")
    assert set(check_offline_html(page, tmp_path / "r")) == set(expected.values())
    assert "gradient × input" in page and "weather (1)" in page
    assert "weather" in result.evaluation.labels


# --- the curves against scikit-learn's ---------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_and_average_precision_match_sklearn(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.3
    scores = np.round(rng.random(300) + 0.4 * y, 2)  # rounding makes ties
    roc = roc_curve(y, scores)
    pr = precision_recall_curve(y, scores)
    assert roc.area == pytest.approx(metrics.roc_auc_score(y, scores), abs=1e-12)
    assert pr.area == pytest.approx(metrics.average_precision_score(y, scores), abs=1e-12)
    assert roc.x[0] == roc.y[0] == 0.0 and roc.x[-1] == roc.y[-1] == 1.0


def test_curves_of_perfect_and_one_class_rankings():
    y = np.array([0, 0, 1, 1], dtype=bool)
    assert roc_curve(y, np.array([0.1, 0.2, 0.8, 0.9])).area == 1.0
    assert precision_recall_curve(y, np.array([0.1, 0.2, 0.8, 0.9])).area == 1.0
    assert roc_curve(y, np.array([0.9, 0.8, 0.2, 0.1])).area == 0.0
    assert np.isnan(roc_curve(np.ones(3, bool), np.array([0.1, 0.5, 0.9])).area)
    assert np.isnan(precision_recall_curve(np.zeros(3, bool), np.array([0.1, 0.5, 0.9])).area)


# --- the command -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_and_data(binary_clf, test_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report-cli")
    model = folder / "binary.textclf"
    binary_clf.save(model)
    data = folder / "test.jsonl.gz"
    texts, labels = test_data
    with gzip.open(data, "wt", encoding="utf-8") as handle:
        for text, label in zip(texts, labels, strict=True):
            handle.write(json.dumps({"text": text, "label": label}) + "\n")
    return str(model), str(data)


def test_cli_report(model_and_data, tmp_path, capsys):
    model, data = model_and_data
    out = tmp_path / "rep"
    assert main(["report", model, data, "-o", str(out), "--wrong", "3"]) == 0
    printed = capsys.readouterr().out
    assert "ROC AUC" in printed and str(out / "report.html") in printed
    for name in IMAGES.values():
        assert (out / name).is_file()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "test.jsonl.gz" in page and "test.jsonl.gz:" in page  # ids name file and line


def test_cli_report_missing_model(model_and_data, tmp_path, capsys):
    _, data = model_and_data
    assert main(["report", str(tmp_path / "none.textclf"), data, "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no such model file" in err and "Traceback" not in err


def test_cli_report_unreadable_data(model_and_data, tmp_path, capsys):
    model, _ = model_and_data
    missing = tmp_path / "missing.jsonl"
    assert main(["report", model, str(missing), "-o", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: no such file" in err and "Traceback" not in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "fine", "label": "pos"}\n{"text": oops\n', encoding="utf-8")
    assert main(["report", model, str(broken), "-o", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert f"{broken}, line 2" in err and "Traceback" not in err


def test_cli_report_output_is_a_file(model_and_data, tmp_path, capsys):
    model, data = model_and_data
    target = tmp_path / "taken"
    target.write_text("x")
    assert main(["report", model, data, "-o", str(target)]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_cli_report_without_matplotlib(model_and_data, tmp_path, capsys, monkeypatch):
    model, data = model_and_data
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    assert main(["report", model, data, "-o", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "pip install 'textclf[plots]'" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_python_example_in_the_docs_runs(tmp_path, monkeypatch, capsys):
    doc = Path(__file__).resolve().parents[1] / "docs" / "explain.md"
    text = doc.read_text(encoding="utf-8")
    marker = "<!-- this block is run by tests/test_report.py -->\n```python\n"
    code = text.split(marker, 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(doc), "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert "prediction:" in out and "'roc'" in out
    strongest = next(line for line in out.splitlines() if line.startswith("['"))
    assert {"wonderful", "moving"} <= set(eval(strongest)[:2])  # the positive words
