"""The command line: train → test → predict, and bad input reported without a traceback."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, SMALL, SPLITS, TRAIN_LABELS, TRAIN_TEXTS, run_cli

from textclf import TextClassifier
from textclf.models.functional import sigmoid

SMALL_ARGS = ["--min-df", "1", "--epochs", str(SMALL["epochs"]),
              "--batch-size", str(SMALL["batch_size"]), "--eta", str(SMALL["eta"])]


@pytest.fixture
def trained(tmp_path: Path, capsys) -> Path:
    """A model trained by the CLI on the split-folder fixture (train split, dev reported)."""
    model = tmp_path / "model.textclf"
    status, _, err = run_cli(capsys, "train", SPLITS, "-o", model, *SMALL_ARGS, "--quiet")
    assert status == 0, err
    return model


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(docs: list[tuple[str, str]]) -> str:
    return "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in docs)


# --- the round trip ----------------------------------------------------------------------------


def test_train_uses_train_split_and_reports_on_dev(tmp_path: Path, capsys) -> None:
    model = tmp_path / "model.textclf"
    status, out, err = run_cli(capsys, "train", SPLITS, "-o", model, *SMALL_ARGS, "--top", "3")
    assert status == 0
    assert "training on 16 documents" in err and "reporting on 4 dev documents" in err
    epoch_lines = [line for line in err.splitlines() if line.startswith("epoch")]
    assert len(epoch_lines) == SMALL["epochs"]
    assert "train loss" in epoch_lines[0] and "dev loss" in epoch_lines[0]
    assert "dev acc" in epoch_lines[0]
    assert "classes: neg, pos" in out
    assert "evaluation on the dev set" in out and "documents: 4" in out
    assert "strongest features per class" in out
    assert f"model saved to {model}" in out
    assert "Traceback" not in err

    # the history is stored in the model file
    with zipfile.ZipFile(model) as archive:
        history = json.loads(archive.read("meta.json"))["history"]
    assert [record["epoch"] for record in history] == list(range(1, SMALL["epochs"] + 1))
    for record in history:
        assert np.isfinite(record["train_loss"]) and np.isfinite(record["dev_loss"])
        assert 0 <= record["dev_accuracy"] <= 1
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert TextClassifier.load(model).history == history


def test_quiet_training_prints_nothing_on_stderr(tmp_path: Path, capsys) -> None:
    status, _, err = run_cli(capsys, "train", SPLITS, "-o", tmp_path / "m.textclf",
                             *SMALL_ARGS, "--quiet")
    assert status == 0 and err == ""


def test_test_reports_on_the_test_split(trained: Path, capsys) -> None:
    status, out, _ = run_cli(capsys, "test", trained, SPLITS)
    assert status == 0
    assert "documents: 4" in out and "accuracy: 1.0000" in out
    assert "macro avg" in out and "confusion matrix" in out

    status, out, _ = run_cli(capsys, "test", trained, SPLITS, "--json")
    assert status == 0
    report = json.loads(out)
    assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(report)
    assert report["n_documents"] == 4 and report["accuracy"] == 1.0
    assert set(report["per_class"]) == {"neg", "pos"}
    for scores in report["per_class"].values():
        assert set(scores) == {"precision", "recall", "f1", "support"}
        assert scores["support"] == 2
    assert report["confusion"] == {"labels": ["neg", "pos"], "matrix": [[2, 0], [0, 2]]}


def test_split_option_picks_the_split(trained: Path, tmp_path: Path, capsys) -> None:
    status, out, _ = run_cli(capsys, "test", trained, SPLITS, "--split", "train", "--json")
    assert status == 0 and json.loads(out)["n_documents"] == 16
    status, out, _ = run_cli(capsys, "test", trained, SPLITS, "--split", "dev", "--json")
    assert status == 0 and json.loads(out)["n_documents"] == 4

    # training on another split: no dev report then
    status, _, err = run_cli(capsys, "train", SPLITS, "--split", "dev", "-o",
                             tmp_path / "dev.textclf", *SMALL_ARGS)
    assert status == 0
    assert "training on 4 documents" in err and "dev documents" not in err


def test_dev_option_with_a_single_file(tmp_path: Path, capsys) -> None:
    dev = write(tmp_path, "dev.jsonl", jsonl([("great film", "pos"), ("awful film", "neg")]))
    model = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", CORPUS / "docs.csv", "-o", model, *SMALL_ARGS,
                             "--dev", dev)
    assert status == 0
    assert "training on 16 documents" in err and "reporting on 2 dev documents" in err
    assert "dev_accuracy" in TextClassifier.load(model).history[0]


def test_custom_fields_and_format_options(tmp_path: Path, capsys) -> None:
    model = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", CORPUS / "custom.csv", "-o", model, *SMALL_ARGS,
                             "--text-field", "review", "--label-field", "sentiment", "-q")
    assert status == 0, err
    status, _, err = run_cli(capsys, "train", CORPUS / "docs.txt", "--format", "fasttext",
                             "-o", model, *SMALL_ARGS, "-q")
    assert status == 0, err


def test_several_fasttext_labels_train_a_multilabel_model(tmp_path: Path, capsys) -> None:
    status, out, err = run_cli(capsys, "train", CORPUS / "multilabel.ft", "-o",
                               tmp_path / "m.textclf", *SMALL_ARGS)
    assert status == 0, err
    assert "multi-label logistic regression (5 sigmoid outputs)" in out
    assert TextClassifier.load(tmp_path / "m.textclf").labels == ["bad", "good", "neg", "pos",
                                                                  "worse"]


def test_checkpoint_writes_the_model(tmp_path: Path, capsys) -> None:
    model = tmp_path / "m.textclf"
    status, _, _ = run_cli(capsys, "train", SPLITS, "-o", model, *SMALL_ARGS, "--checkpoint",
                           "-q")
    assert status == 0 and model.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.textclf"]


def test_predict_from_stdin(trained: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = "great and wonderful\nterrible and awful\n\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    status, out, _ = run_cli(capsys, "predict", trained)
    assert status == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [row[0] for row in rows[:2]] == ["pos", "neg"]
    assert len(rows) == 3  # the empty line is a document too
    assert all(0.5 <= float(row[1]) <= 1.0 for row in rows)

    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    status, out, _ = run_cli(capsys, "predict", trained, "--json")
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3
    assert [r["label"] for r in records[:2]] == ["pos", "neg"]
    for record in records:
        assert set(record["probabilities"]) == {"neg", "pos"}
        assert record["probability"] == record["probabilities"][record["label"]]
        assert sum(record["probabilities"].values()) == pytest.approx(1.0)


def test_predict_from_stdin_with_undecodable_bytes(trained: Path, capsys,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"great film\ncaf\xe9 awful\n"), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    status, out, err = run_cli(capsys, "predict", trained)
    assert status == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == ["pos", "neg"]
    assert "textclf: warning: <stdin>, line 2" in err and "not valid UTF-8" in err


def test_predict_whole_files(trained: Path, tmp_path: Path, capsys) -> None:
    good = write(tmp_path, "good.txt", "a brilliant film\nwith wonderful music\n")
    bad = write(tmp_path, "bad.txt", "dull and boring")
    status, out, _ = run_cli(capsys, "predict", trained, good, bad, "--whole-files")
    assert status == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [(row[0], row[1]) for row in rows] == [(str(good), "pos"), (str(bad), "neg")]

    status, out, _ = run_cli(capsys, "predict", trained, good, "--json", "--whole-files")
    record = json.loads(out)
    assert status == 0 and record["id"] == str(good) and record["label"] == "pos"


def test_empty_documents_are_classified_by_the_bias(trained: Path, tmp_path: Path,
                                                    capsys) -> None:
    clf = TextClassifier.load(trained)
    proba = clf.predict_proba(["", "   ", "ʬʬʬ ɸɸɸ", "great"])
    expected = sigmoid(np.array([clf.model.bias]))[0]
    np.testing.assert_allclose(proba[:3, 1], expected, rtol=1e-15)
    np.testing.assert_allclose(proba[:3, 0], 1 - expected, rtol=1e-15)
    assert clf.predict([""]) == [clf.labels[int(clf.model.bias > 0)]]

    empty = write(tmp_path, "empty.txt", "")
    status, out, _ = run_cli(capsys, "predict", trained, empty, "--json", "--whole-files")
    assert status == 0
    assert json.loads(out)["probabilities"]["pos"] == pytest.approx(expected, rel=1e-12)


def test_unknown_label_at_test_time_is_reported(trained: Path, tmp_path: Path, capsys) -> None:
    data = write(tmp_path, "three.jsonl", jsonl(
        [("great film", "pos"), ("awful film", "neg"), ("a film", "neutral")]))
    status, out, err = run_cli(capsys, "test", trained, data)
    assert status == 0, err
    assert "labels the model does not know, counted as errors: neutral (1)" in out
    status, out, _ = run_cli(capsys, "test", trained, data, "--json")
    report = json.loads(out)
    assert status == 0
    assert report["unknown_labels"] == {"neutral": 1}
    assert report["confusion"]["labels"] == ["neg", "pos", "neutral"]
    assert report["n_documents"] == 3


# --- bad input: a clear message, a non-zero exit, no traceback --------------------------------


def assert_refused(status: int, err: str, *fragments: str) -> None:
    assert status != 0
    assert err.splitlines()[-1].startswith("textclf: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_empty_corpus(tmp_path: Path, capsys) -> None:
    for name, content in [("empty.jsonl", ""), ("empty.csv", "text,label\n"),
                          ("empty.ft", "\n")]:
        data = write(tmp_path, name, content)
        status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf")
        assert_refused(status, err, name, "the corpus is empty")
    assert not (tmp_path / "m.textclf").exists()


def test_corpus_with_one_class(tmp_path: Path, capsys) -> None:
    data = write(tmp_path, "one.jsonl", jsonl([("good", "pos"), ("fine", "pos")]))
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf")
    assert_refused(status, err, "only one class ('pos')")


def test_missing_file_or_folder(tmp_path: Path, capsys) -> None:
    for missing in (tmp_path / "absent.jsonl", tmp_path / "absent_folder"):
        status, _, err = run_cli(capsys, "train", missing, "-o", tmp_path / "m.textclf")
        assert_refused(status, err, str(missing), "no such file or folder")


def test_missing_model_file(tmp_path: Path, capsys) -> None:
    status, _, err = run_cli(capsys, "test", tmp_path / "absent.textclf", SPLITS)
    assert_refused(status, err, "absent.textclf: no such model file")
    status, _, err = run_cli(capsys, "predict", tmp_path / "absent.textclf", SPLITS)
    assert_refused(status, err, "absent.textclf: no such model file")


def test_damaged_model_file(trained: Path, capsys) -> None:
    data = bytearray(trained.read_bytes())
    data[len(data) // 3] ^= 0xFF
    trained.write_bytes(bytes(data))
    status, _, err = run_cli(capsys, "test", trained, SPLITS)
    assert_refused(status, err, str(trained), "checksum mismatch")


def test_model_cannot_be_written(tmp_path: Path, capsys) -> None:
    (tmp_path / "folder.textclf").mkdir()
    status, _, err = run_cli(capsys, "train", SPLITS, "-o", tmp_path / "folder.textclf",
                             *SMALL_ARGS, "-q")
    assert_refused(status, err, "folder.textclf: is a folder; -o names the model file to write")
    status, _, err = run_cli(capsys, "train", SPLITS, "-o", tmp_path / "no" / "m.textclf",
                             *SMALL_ARGS, "-q")
    assert_refused(status, err, "does not exist")


def test_csv_without_text_column(tmp_path: Path, capsys) -> None:
    data = write(tmp_path, "reviews.csv", "review,label\ngood,pos\nbad,neg\n")
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf")
    assert_refused(status, err, "reviews.csv: no column 'text'", "--text-field")
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf",
                             "--label-field", "sentiment", "--text-field", "review")
    assert_refused(status, err, "no column 'sentiment' in the header (columns: review, label)",
                   "--label-field")


def test_invalid_json_line(tmp_path: Path, capsys) -> None:
    data = write(tmp_path, "bad.jsonl", jsonl([("good", "pos"), ("bad", "neg")]) + "{oops\n")
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf")
    assert_refused(status, err, "bad.jsonl, line 3: not valid JSON")


def test_undecodable_bytes_warn_and_go_on(tmp_path: Path, capsys) -> None:
    docs = jsonl(list(zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True))).encode("utf-8")
    data = write(tmp_path, "latin1.jsonl", docs + b'{"text": "caf\xe9 cr\xe8me", "label": "pos"}\n')
    model = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", data, "-o", model, *SMALL_ARGS, "-q")
    assert status == 0
    assert "textclf: warning:" in err
    assert "latin1.jsonl, line 17" in err and "not valid UTF-8" in err
    assert "Traceback" not in err
    # the document was kept; U+FFFD is no word character, so "caf" and "cr" are its tokens
    featurizer = TextClassifier.load(model).featurizer
    assert featurizer.n_documents == 17 and "cr" in featurizer.terms


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--eta", "0", "eta must be a number > 0, got 0.0"),
        ("--eta", "-1", "eta must be a number > 0, got -1.0"),
        ("--eta", "nan", "eta must be a number > 0, got nan"),
        ("--batch-size", "0", "batch_size must be an integer ≥ 1, got 0"),
        ("--batch-size", "-2", "batch_size must be an integer ≥ 1, got -2"),
        ("--epochs", "0", "epochs must be an integer ≥ 1 and ≤ 1,000,000, got 0"),
        ("--epochs", "-1", "epochs must be an integer ≥ 1 and ≤ 1,000,000, got -1"),
        ("--ngrams", "-1", "ngrams must be an integer ≥ 0 and ≤ 16, got -1"),
        ("--min-df", "0", "min_df must be an integer ≥ 1, got 0"),
        ("--max-features", "0", "max_features must be an integer ≥ 1, got 0"),
    ],
)
def test_bad_settings(tmp_path: Path, capsys, option: str, value: str, message: str) -> None:
    status, _, err = run_cli(capsys, "train", SPLITS, "-o", tmp_path / "m.textclf",
                             option, value)
    assert_refused(status, err, message)


def test_malformed_options_are_argparse_errors(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli(capsys, "train", SPLITS, "-o", "m.textclf", "--weighting", "bm25")
    assert exit_info.value.code == 2
    assert "invalid choice: 'bm25'" in capsys.readouterr().err


def test_textclf_alone_lists_the_commands_and_exits_0(capsys) -> None:
    from textclf.cli import COMMANDS, main

    assert main([]) == 0
    out = capsys.readouterr().out
    for verb in COMMANDS:
        assert verb in out


def test_an_error_in_a_subcommand_prints_that_subcommands_usage(capsys) -> None:
    from textclf.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["predict"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: textclf predict") and "MODEL" in err


def test_help_states_each_default_once() -> None:
    import re

    from textclf.cli import COMMANDS, build_parser

    parser = build_parser(list(COMMANDS))
    verbs = next(a for a in parser._actions if a.dest == "command").choices
    for verb, subparser in verbs.items():
        for action in subparser._actions:
            said = re.findall(r"\(default\b|; default\b", action.help or "")
            assert len(said) <= 1, f"textclf {verb} {action.option_strings}: {action.help}"
