"""inspect: strongest features per class with document frequencies, bias, settings, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marker_corpus import BINARY_MARKERS, TOPIC_MARKERS, make_corpus

from textclf import TextClassifier
from textclf.cli import main
from textclf.explain import inspect_model


def document_frequency(texts: list[str], term: str) -> int:
    return sum(term in text.split() for text in texts)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(BINARY_MARKERS)


@pytest.fixture(scope="module")
def binary_clf(corpus) -> TextClassifier:
    texts, labels = corpus
    dev_texts, dev_labels = make_corpus(BINARY_MARKERS, n_per_class=10, seed=5)
    return TextClassifier(ngrams=1, weighting="binary", min_df=1, char_ngrams=None, eta=0.5,
                          epochs=4, batch_size=8).fit(texts, labels, dev_texts, dev_labels)


@pytest.fixture(scope="module")
def model_file(binary_clf, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("inspect") / "binary.textclf"
    binary_clf.save(path)
    return str(path)


def test_strongest_features_are_the_markers(binary_clf, corpus):
    texts, _ = corpus
    summary = inspect_model(binary_clf, top=2)
    assert {f.term for f in summary.strongest["pos"]} == set(BINARY_MARKERS["pos"])
    assert {f.term for f in summary.strongest["neg"]} == set(BINARY_MARKERS["neg"])
    assert all(f.weight > 0 for f in summary.strongest["pos"])
    assert all(f.weight < 0 for f in summary.strongest["neg"])
    for f in summary.strongest["pos"] + summary.strongest["neg"]:
        assert f.document_frequency == document_frequency(texts, f.term) == 30


def test_weights_are_the_models_and_sorted(binary_clf):
    summary = inspect_model(binary_clf, top=5)
    weights = dict(zip(binary_clf.featurizer.terms, binary_clf.model.weights, strict=True))
    pos = [f.weight for f in summary.strongest["pos"]]
    neg = [f.weight for f in summary.strongest["neg"]]
    assert pos == sorted(pos, reverse=True) and neg == sorted(neg)
    for f in summary.strongest["pos"]:
        assert f.weight == weights[f.term]
    assert summary.bias == {"pos": binary_clf.model.bias}
    assert summary.measure == "weight"


def test_settings_and_history(binary_clf):
    summary = inspect_model(binary_clf)
    assert summary.settings["training"]["epochs"] == 4
    assert summary.settings["features"]["weighting"] == "binary"
    assert summary.settings["model"]["kind"] == "logistic"
    assert [r["epoch"] for r in summary.history] == [1, 2, 3, 4]
    text = summary.format()
    assert "dev_accuracy" in text and "train_loss" in text
    assert "training.eta" in text and "bias b =" in text


def test_cli_inspect_text(model_file, capsys):
    assert main(["inspect", model_file, "--top", "2"]) == 0
    out = capsys.readouterr().out
    pos_part = out.split("strongest features toward pos")[1].split("strongest features")[0]
    assert "excellent" in pos_part and "superb" in pos_part
    neg_part = out.split("strongest features toward neg")[1].split("settings")[0]
    assert "dreadful" in neg_part and "terrible" in neg_part
    assert "training history" in out


def test_cli_inspect_json(model_file, capsys):
    assert main(["inspect", model_file, "--json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["labels"] == ["neg", "pos"]
    assert {f["term"] for f in data["strongest"]["pos"][:2]} == set(BINARY_MARKERS["pos"])
    assert len(data["strongest"]["neg"]) == 3
    assert data["strongest"]["neg"][0]["document_frequency"] == 30
    assert len(data["history"]) == 4


def test_cli_inspect_missing_model(tmp_path, capsys):
    missing = tmp_path / "nope.textclf"
    assert main(["inspect", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: no such model file" in err and "Traceback" not in err


def test_cli_inspect_truncated_model(model_file, tmp_path, capsys):
    damaged = tmp_path / "damaged.textclf"
    damaged.write_bytes(Path(model_file).read_bytes()[:-100])
    assert main(["inspect", str(damaged)]) == 1
    err = capsys.readouterr().err
    assert str(damaged) in err and "Traceback" not in err


@pytest.fixture(scope="module")
def topic_corpus():
    return make_corpus(TOPIC_MARKERS)


@pytest.fixture(scope="module")
def softmax_clf(topic_corpus) -> TextClassifier:
    texts, labels = topic_corpus
    return TextClassifier(ngrams=1, weighting="binary", min_df=1, char_ngrams=None, model="softmax",
                          epochs=8).fit(texts, labels)


@pytest.fixture(scope="module")
def mlp_clf(topic_corpus) -> TextClassifier:
    texts, labels = topic_corpus
    return TextClassifier(ngrams=1, weighting="binary", min_df=1, char_ngrams=None, model="mlp",
                          hidden=16, eta=0.02, epochs=20).fit(texts, labels)


def test_softmax_strongest_features_per_class(softmax_clf, topic_corpus):
    texts, _ = topic_corpus
    summary = inspect_model(softmax_clf, top=2)
    assert list(summary.strongest) == ["politics", "sports", "tech"]
    for label, markers in TOPIC_MARKERS.items():
        assert {f.term for f in summary.strongest[label]} == set(markers)
        for f in summary.strongest[label]:
            assert f.document_frequency == document_frequency(texts, f.term)
    theta = softmax_clf.model.theta
    assert summary.bias == {label: theta[-1, k] for k, label in enumerate(softmax_clf.labels)}
    assert "bias b_k: politics" in summary.format()


def test_network_strongest_features_are_effects_alone(mlp_clf):
    summary = inspect_model(mlp_clf, top=2)
    assert summary.measure.startswith("effect alone")
    for label, markers in TOPIC_MARKERS.items():
        assert {f.term for f in summary.strongest[label]} == set(markers)
    assert "effect" in summary.format() and "score of an empty document" in summary.format()
    assert summary.settings["model"]["hidden"] == [16]


@pytest.mark.parametrize("which", ["binary_clf", "softmax_clf", "mlp_clf"])
def test_inspect_agrees_with_top_features(which, request):
    clf = request.getfixturevalue(which)
    summary = inspect_model(clf, top=4)
    expected = clf.top_features(4)
    assert set(summary.strongest) == set(expected)
    for label, features in expected.items():
        assert [f.weight for f in summary.strongest[label]] == pytest.approx(
            [w for _, w in features], abs=1e-12)


def test_binary_lists_are_one_sided(binary_clf):
    """With more places than terms, a class lists only the terms that point toward it."""
    summary = inspect_model(binary_clf, top=1000)
    pos, neg = summary.strongest["pos"], summary.strongest["neg"]
    assert pos and neg
    assert all(f.weight > 0 for f in pos) and all(f.weight < 0 for f in neg)
    n_nonzero = int((binary_clf.model.weights != 0).sum())
    assert len(pos) + len(neg) == n_nonzero
