"""The command line with --model softmax/mlp, its new options, and `textclf gradcheck`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from topic_corpus import TEST, TRAIN

from textclf import TextClassifier
from textclf.cli import main
from textclf.models import FeedForwardNetwork, SoftmaxRegression


def run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write_jsonl(path: Path, texts: list[str], labels: list[str]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for text, label in zip(texts, labels, strict=True):
            handle.write(json.dumps({"text": text, "label": label}) + "\n")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("topics")
    return {"train": write_jsonl(folder / "train.jsonl", *TRAIN),
            "test": write_jsonl(folder / "test.jsonl", *TEST)}


SMALL = ["--min-df", "1", "--epochs", "10", "--batch-size", "8"]


def test_train_test_predict_softmax_by_default_for_three_classes(data, tmp_path, capsys):
    model = tmp_path / "softmax.textclf"
    status, out, err = run(capsys, "train", data["train"], "-o", model, "--dev", data["test"],
                           *SMALL)
    assert status == 0, err
    assert "model: softmax" in out and "classes: cooking, football, space" in out
    assert "strongest features per class" in out and "bias b" not in out
    assert "epoch  10/10" in err and "dev acc" in err
    assert isinstance(TextClassifier.load(model).model, SoftmaxRegression)
    status, out, _ = run(capsys, "test", model, data["test"], "--json")
    report = json.loads(out)
    assert status == 0 and report["accuracy"] >= 0.9
    assert report["confusion"]["labels"] == ["cooking", "football", "space"]
    doc = tmp_path / "doc.txt"
    doc.write_text("the keeper saved a penalty in the league match", encoding="utf-8")
    status, out, _ = run(capsys, "predict", model, doc, "--json")
    assert status == 0 and json.loads(out)["label"] == "football"
    assert set(json.loads(out)["probabilities"]) == {"cooking", "football", "space"}


def test_train_an_mlp_with_early_stopping(data, tmp_path, capsys):
    model = tmp_path / "mlp.textclf"
    status, out, err = run(capsys, "train", data["train"], "-o", model, "--dev", data["test"],
                           "--model", "mlp", "--hidden", "16,8", "--activation", "tanh",
                           "--dropout", "0.3", "--eta", "0.01", "--patience", "3",
                           "--checkpoint", *SMALL)
    assert status == 0, err
    assert "model: mlp " in out and "→ 16 → 8 → 3 (tanh, dropout 0.3, softmax output)" in out
    clf = TextClassifier.load(model)
    assert isinstance(clf.model, FeedForwardNetwork)
    assert clf.model.hidden == (16, 8) and clf.training_settings.patience == 3
    assert clf.evaluate(*TEST).accuracy >= 0.9


def test_train_options_reach_the_settings(data, tmp_path, capsys):
    model = tmp_path / "m.textclf"
    status, _, err = run(capsys, "train", data["train"], "-o", model, "--optimizer", "momentum",
                         "--momentum", "0.8", "--schedule", "linear", "--l2", "1e-4",
                         "--l1", "1e-5", "--eta", "0.5", "-q", *SMALL)
    assert status == 0 and err == ""
    training = TextClassifier.load(model).training_settings
    assert (training.optimizer, training.momentum, training.schedule) == ("momentum", 0.8,
                                                                          "linear")
    assert (training.l2, training.l1, training.eta) == (1e-4, 1e-5, 0.5)


@pytest.mark.parametrize("options,message", [
    (["--model", "mlp", "--dropout", "1.0"], "--dropout: dropout must be a number ≥ 0 and < 1"),
    (["--model", "mlp", "--dropout", "-0.2"], "dropout"),
    (["--model", "mlp", "--hidden", "0"], "hidden layer sizes must be positive integers"),
    (["--model", "mlp", "--hidden", "64,-8"], "positive integers"),
    (["--model", "mlp", "--hidden", "wide"], "layer sizes separated by commas"),
    (["--l2", "-1"], "--l2: l2 must be a number ≥ 0"),
    (["--momentum", "1.5"], "--momentum: momentum must be a number ≥ 0 and < 1"),
    (["--patience", "0"], "--patience: patience must be an integer ≥ 1"),
    (["--patience", "2"], "early stopping .*needs dev data"),
    (["--model", "logistic"], "exactly two classes"),
])
def test_bad_model_options_exit_non_zero_with_a_message(data, tmp_path, capsys, options,
                                                         message):
    status, out, err = run(capsys, "train", data["train"], "-o", tmp_path / "x.textclf",
                           *SMALL, *options)
    assert status == 1
    assert "textclf: error: " in err and "Traceback" not in err
    assert __import__("re").search(message, err), err
    assert not (tmp_path / "x.textclf").exists()


@pytest.mark.parametrize("option,value", [("--activation", "gelu"), ("--optimizer", "rmsprop"),
                                          ("--schedule", "cosine"), ("--model", "svm")])
def test_unknown_choices_are_refused_by_the_parser(data, tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(data["train"]), "-o", str(tmp_path / "x.textclf"), option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"invalid choice: '{value}'" in err and "Traceback" not in err


def test_gradcheck_on_random_data(capsys):
    status, out, _ = run(capsys, "gradcheck", "--model", "mlp", "--hidden", "8,4",
                         "--activation", "tanh")
    assert status == 0
    assert "mlp 31 → 8 → 4 → 3 (tanh)" in out
    lines = {line.split()[0]: line for line in out.splitlines()
             if line.split() and line.split()[0].endswith((".W", ".b"))}
    assert list(lines) == ["hidden1.W", "hidden2.W", "hidden2.b", "output.W", "output.b"]
    assert all(line.endswith("ok") for line in lines.values())
    assert "all 5 blocks agree" in out


@pytest.mark.parametrize("options,expected", [
    (["--model", "softmax", "--classes", "4"], "theta"),
    (["--model", "logistic", "--classes", "2"], "theta"),
    (["--model", "mlp", "--dropout", "0.5", "--activation", "relu"], "fixed masks"),
    (["--model", "mlp", "--activation", "sigmoid", "--classes", "2"], "→ 1 (sigmoid)"),
])
def test_gradcheck_any_configuration(capsys, options, expected):
    status, out, _ = run(capsys, "gradcheck", *options)
    assert status == 0 and expected in out and "FAIL" not in out


def test_gradcheck_on_data(data, capsys):
    status, out, _ = run(capsys, "gradcheck", data["train"], "--docs", "90", "--model", "mlp",
                         "--hidden", "4", "--max-checks", "30")
    assert status == 0, out
    assert "90 documents of" in out and "30 of" in out


@pytest.mark.parametrize("options,message", [
    (["--docs", "0"], "--docs must be at least 1"),
    (["--classes", "1"], "--classes must be at least 2"),
    (["--epsilon", "0"], "--epsilon must be > 0"),
    (["--model", "logistic", "--classes", "3"], "logistic regression needs exactly two classes"),
    (["--model", "mlp", "--hidden", "3,0"], "positive integers"),
])
def test_gradcheck_bad_input(capsys, options, message):
    status, _, err = run(capsys, "gradcheck", *options)
    assert status == 1 and message in err and "Traceback" not in err


def test_gradcheck_reports_a_failure(capsys, monkeypatch):
    from textclf.models import layers

    monkeypatch.setattr(layers.Tanh, "backward", lambda self, G: G * (1.0 - self.a))
    status, out, _ = run(capsys, "gradcheck", "--model", "mlp", "--activation", "tanh")
    assert status == 1
    assert "FAILED: relative error ≥ 1e-06 in hidden1.W" in out
