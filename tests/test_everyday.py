"""Everyday use answers rightly: predict per record, explain and inspect agree on signs,
labels come back in their type, unknown labels at test time, the numpy paths on the
defaults."""

from __future__ import annotations

import csv
import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL, TRAIN_LABELS, TRAIN_TEXTS, run_cli

from textclf import TextClassifier
from textclf.core import jit
from textclf.errors import DataError

RECORDS = [("a brilliant, wonderful film", "pos"), ("dull and boring, awful", "neg"),
           ("great acting and a clever plot", "pos"), ("terrible music, far too long", "neg"),
           ("an enjoyable, moving story", "pos")]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("everyday") / "model.textclf"
    TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS).save(path)
    return path


def corpus_files(folder: Path) -> dict[str, Path]:
    """RECORDS in every format textclf reads, and as a folder of documents."""
    files = {"jsonl": folder / "docs.jsonl", "csv": folder / "docs.csv",
             "tsv": folder / "docs.tsv", "fasttext": folder / "docs.ft"}
    files["jsonl"].write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                                      for t, y in RECORDS))
    for name, delimiter in (("csv", ","), ("tsv", "\t")):
        with open(files[name], "w", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(["label", "text"])
            writer.writerows([(y, t) for t, y in RECORDS])
    files["fasttext"].write_text("".join(f"__label__{y} {t}\n" for t, y in RECORDS))
    folder_docs = folder / "docs"
    for i, (text, _) in enumerate(RECORDS):
        (folder_docs / ("sub" if i % 2 else "")).mkdir(parents=True, exist_ok=True)
        (folder_docs / ("sub" if i % 2 else "") / f"{i}.txt").write_text(text)
    files["folder"] = folder_docs
    plain = folder / "docs.txt"
    plain.write_text("".join(t + "\n" for t, _ in RECORDS))
    files["lines"] = plain
    return files


# 1. predict: one answer per record ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["jsonl", "csv", "tsv", "fasttext", "lines"])
def test_predict_answers_once_per_record_in_order(model, tmp_path, capsys, kind):
    path = corpus_files(tmp_path)[kind]
    status, out, err = run_cli(capsys, "predict", model, path)
    assert status == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    expected = TextClassifier.load(model).predict([t for t, _ in RECORDS])
    assert [row[1] for row in rows] == expected
    assert len({row[0] for row in rows}) == len(RECORDS)  # each record its own id
    assert all(row[0].startswith(path.name + ":") for row in rows)


def test_predict_gives_the_labels_test_scores(model, tmp_path, capsys):
    """The answers predict prints for a corpus file are those `test` scores."""
    path = corpus_files(tmp_path)["csv"]
    _, out, _ = run_cli(capsys, "predict", model, path)
    predicted = [line.split("\t")[1] for line in out.splitlines()]
    _, out, _ = run_cli(capsys, "test", model, path, "--json")
    report = json.loads(out)
    truth = [y for _, y in RECORDS]
    assert report["accuracy"] == pytest.approx(np.mean([p == y for p, y in
                                                        zip(predicted, truth, strict=True)]))


def test_predict_a_folder_gives_one_answer_per_file(model, tmp_path, capsys):
    folder = corpus_files(tmp_path)["folder"]
    status, out, _ = run_cli(capsys, "predict", model, folder)
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert status == 0 and len(ids) == len(RECORDS)
    assert ids == sorted(ids, key=lambda p: (Path(p).parent != folder, p))
    assert all(Path(i).is_file() for i in ids)


def test_predict_text_options_and_stdin(model, capsys, monkeypatch):
    status, out, _ = run_cli(capsys, "predict", model, "--text", "a wonderful film",
                             "--text", "an awful film")
    assert status == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["pos", "neg"]
    monkeypatch.setattr("sys.stdin", io.StringIO("a wonderful film\nan awful film\n"))
    status, out, _ = run_cli(capsys, "predict", model, "-")
    assert [line.split("\t")[1] for line in out.splitlines()] == ["pos", "neg"]


def test_predict_a_missing_path_names_the_text_option(model, tmp_path, capsys):
    status, _, err = run_cli(capsys, "predict", model, "a wonderful film")
    assert status == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("textclf: error: a wonderful film")
    assert "--text" in err


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_predict_output_file_round_trips(model, tmp_path, capsys, suffix):
    source = corpus_files(tmp_path)["jsonl"]
    out_path = tmp_path / f"answers{suffix}"
    status, out, err = run_cli(capsys, "predict", model, source, "-o", out_path, "--top-k",
                               "2", "--keep-fields")
    assert status == 0 and out == "", err
    expected = TextClassifier.load(model).predict_proba([t for t, _ in RECORDS])
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out_path.read_text().splitlines()]
        probability = [r["probability"] for r in rows]
        assert [r["fields"]["label"] for r in rows] == [y for _, y in RECORDS]
        assert [len(r["top_k"]) for r in rows] == [2] * len(RECORDS)
    else:
        with open(out_path, newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="," if suffix == ".csv" else "\t"))
        probability = [float(r["probability"]) for r in rows]
        assert [r["input.label"] for r in rows] == [y for _, y in RECORDS]
        assert [r["text"] for r in rows] == [t for t, _ in RECORDS]
        assert all(r["label_2"] != r["label"] for r in rows)
    assert [r["id"] for r in rows] == [f"docs.jsonl:{i}" for i in range(1, 6)]
    np.testing.assert_allclose(probability, expected.max(axis=1), rtol=1e-5)
    # run again: the file predict wrote is replaced; a file it did not write is not
    assert run_cli(capsys, "predict", model, source, "-o", out_path)[0] == 0
    status, _, err = run_cli(capsys, "predict", model, source, "-o", source)
    assert status == 1 and "is an input" in err
    other = corpus_files(tmp_path)["csv"]
    before = other.read_bytes()
    status, _, err = run_cli(capsys, "predict", model, source, "-o", other)
    assert status == 1 and "--force" in err and other.read_bytes() == before


def test_top_k_and_all_probabilities_on_a_softmax_model(tmp_path, capsys):
    texts = ["goal match team", "vote senate law", "rocket orbit moon"] * 6
    labels = ["sport", "politics", "space"] * 6
    path = tmp_path / "topics.textclf"
    TextClassifier(**SMALL).fit(texts, labels).save(path)
    status, out, _ = run_cli(capsys, "predict", path, "--text", "a goal in the match",
                             "--top-k", "3", "--json")
    record = json.loads(out)
    assert status == 0 and record["label"] == "sport"
    ranked = [entry["label"] for entry in record["top_k"]]
    assert ranked[0] == "sport" and sorted(ranked) == ["politics", "space", "sport"]
    probabilities = [entry["probability"] for entry in record["top_k"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(record["probabilities"].values()) == pytest.approx(1.0)
    status, out, _ = run_cli(capsys, "predict", path, "--text", "the senate vote",
                             "--top-k", "2", "--all-probabilities")
    labels_cell, probabilities_cell, every = out.strip().split("\t")
    assert labels_cell.split(",")[0] == "politics" and len(probabilities_cell.split(",")) == 2
    assert {cell.split("=")[0] for cell in every.split(",")} == {"politics", "space", "sport"}


# 2. explain and inspect agree on signs -----------------------------------------------------


@pytest.mark.parametrize("features", ["tfidf-nb", "nb", "tfidf", "count"])
def test_explain_and_inspect_give_a_term_one_weight(features):
    clf = TextClassifier(**{**SMALL, "weighting": features}).fit(TRAIN_TEXTS, TRAIN_LABELS)
    text = "a dull and boring film with wonderful music"
    explanation = clf.explain(text)
    weights = {term: w for term, w in clf.top_features(len(clf.featurizer.terms))["pos"]}
    z = explanation.predicted_class
    for item in z.contributions:
        assert item.value >= 0  # a count, 1 or a tf-idf value
        assert item.weight == pytest.approx(weights[item.term], rel=1e-9, abs=1e-12)
        assert item.contribution == pytest.approx(item.weight * item.value, abs=1e-12)
    assert z.baseline + sum(i.contribution for i in z.contributions) == pytest.approx(z.score)
    dull = next(i for i in z.contributions if i.term == "dull")
    assert dull.weight < 0 and dull.contribution < 0  # toward neg, as inspect lists it
    summary = clf.inspect(top=50)
    assert "dull" in [f.term for f in summary.strongest["neg"]]


def test_explain_json_of_an_nb_model_has_no_negative_values(model, capsys):
    status, out, _ = run_cli(capsys, "explain", model, "--text", "a dull film", "--json")
    contributions = json.loads(out)["classes"][0]["contributions"]
    assert status == 0 and contributions
    assert all(c["value"] >= 0 for c in contributions)
    assert all(c["contribution"] == pytest.approx(c["weight"] * c["value"])
               for c in contributions)


# 3. labels come back in the type they were given ----------------------------------------------


@pytest.mark.parametrize("labels", [
    np.array([1, 0] * 8), [1, 0] * 8, [True, False] * 8, np.array([5, 12] * 8, np.int32),
    ["b", "a"] * 8,
], ids=["numpy-int", "int", "bool", "numpy-int32", "str"])
def test_predict_gives_labels_in_their_type(labels, tmp_path):
    from sklearn.metrics import accuracy_score

    texts = ["a wonderful film", "an awful film"] * 8
    clf = TextClassifier(**SMALL).fit(texts, labels)
    predicted = clf.predict(texts)
    expected_type = {np.bool_: bool, np.int64: int, np.int32: int}.get(
        type(labels[0]), type(labels[0]))
    assert [type(p) for p in predicted] == [expected_type] * len(texts)
    assert predicted == [expected_type(y) for y in labels]
    assert accuracy_score(labels, predicted) == 1.0
    clf.save(tmp_path / "m.textclf")
    assert TextClassifier.load(tmp_path / "m.textclf").predict(texts) == predicted


def test_integer_labels_sort_by_value_and_mixed_types_are_refused():
    texts = ["one", "two", "ten", "one one"]
    clf = TextClassifier(**SMALL).fit(texts, [1, 2, 10, 1])
    assert clf.classes == [1, 2, 10] and clf.labels == ["1", "2", "10"]
    with pytest.raises(DataError, match="several types"):
        TextClassifier(**SMALL).fit(texts, [1, "2", 10, 1])


# 4. test on labels the model does not know ------------------------------------------------


def test_test_refuses_data_none_of_whose_labels_the_model_knows(model, tmp_path, capsys):
    data = tmp_path / "other.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                            for t, y in [("x", "ham"), ("y", "spam")]))
    status, out, err = run_cli(capsys, "test", model, data)
    assert status == 1 and out == ""
    assert "ham, spam" in err and "neg, pos" in err and len(err.strip().splitlines()) == 1


def test_test_warns_when_some_labels_are_unknown(model, tmp_path, capsys):
    data = tmp_path / "three.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in
                            [("a wonderful film", "pos"), ("awful", "neg"), ("meh", "neutral")]))
    status, out, err = run_cli(capsys, "test", model, data)
    assert status == 0 and "warning" in err and "neutral" in err


# 5. the numpy paths give the compiled paths' results on the defaults ----------------------


SHORT = ["a fine film", "dull", "great cast, weak plot!", "boring", "wonderful", "awful, awful",
         "so-so", "a gem", "meh...", "loved it"] * 6
LONG = [" ".join([text] * 60) for text in SHORT[:20]] * 3


@pytest.mark.parametrize("texts, labels", [
    (SHORT, ["pos", "neg"] * 30),
    (SHORT, ["a", "b", "c"] * 20),
    (SHORT, [["x"], ["y"], ["x", "y"], []] * 15),
    (LONG, ["pos", "neg"] * 30),
], ids=["short-binary", "short-three-classes", "short-multi-label", "long-binary"])
def test_numpy_paths_match_the_compiled_ones_on_the_defaults(texts, labels):
    """The default settings (nb weighting, character n-grams for short texts) train the
    same model with and without the compiled kernels (also run with TEXTCLF_NO_JIT=1)."""
    with jit.disabled():
        reference = TextClassifier(seed=0).fit(texts, labels)
    compiled = TextClassifier(seed=0).fit(texts, labels)
    assert list(reference.featurizer.terms) == list(compiled.featurizer.terms)
    X_ref, X_compiled = reference.transform(texts), compiled.transform(texts)
    assert (abs(X_ref - X_compiled) > 1e-12).nnz == 0
    for name, theta in reference.model.parameters().items():
        np.testing.assert_allclose(theta, compiled.model.parameters()[name], atol=1e-9)


# one name per concept: the old spelling of an option still works, with a warning ---------------


def test_the_old_name_of_the_weighting_still_works_with_a_warning(tmp_path, capsys):
    with pytest.warns(FutureWarning, match="'features' is now called 'weighting'"):
        clf = TextClassifier(**{**SMALL, "features": "binary"})
    assert clf.settings.features.weighting == "binary"
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                            for t, y in zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True)))
    status, _, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf", "--min-df",
                             "1", "--features", "count", "--char-ngrams", "none", "-q")
    assert status == 0 and "--features is now called --weighting" in err
    assert TextClassifier.load(tmp_path / "m.textclf").feature_settings.weighting == "count"


# the command line as people expect it --------------------------------------------------------


@pytest.fixture
def small_data(tmp_path) -> Path:
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                            for t, y in zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True)))
    return data


def test_fasttext_spellings_of_the_options(small_data, tmp_path, capsys):
    model = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", small_data, "-o", model, "--lr", "0.5",
                             "--epoch", "3", "--wordNgrams", "1", "--min-df", "1", "-q")
    assert status == 0, err
    clf = TextClassifier.load(model)
    assert clf.training_settings.eta == 0.5 and clf.training_settings.epochs == 3
    assert clf.feature_settings.ngrams == 1


def test_quiet_training_prints_nothing(small_data, tmp_path, capsys):
    status, out, err = run_cli(capsys, "train", small_data, "-o", tmp_path / "m.textclf",
                               "--min-df", "1", "--quiet")
    assert status == 0 and out == "" and err == ""


@pytest.mark.parametrize("checkpoint", [False, True])
def test_ctrl_c_says_how_to_resume(small_data, tmp_path, capsys, monkeypatch, checkpoint):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(TextClassifier, "fit", interrupted)
    extra = ["--checkpoint"] if checkpoint else []
    status, _, err = run_cli(capsys, "train", small_data, "-o", tmp_path / "m.textclf",
                             "-q", *extra)
    assert status == 130 and err.startswith("textclf: interrupted; ")
    assert ("--resume" in err) and (("--checkpoint" in err) != checkpoint)


def test_the_model_card_names_the_data_and_inspect_shows_it(small_data, tmp_path, capsys):
    import hashlib

    model = tmp_path / "m.textclf"
    run_cli(capsys, "train", small_data, "-o", model, "--min-df", "1", "-q", "--dev",
            small_data)
    card = TextClassifier.load(model).provenance
    digest = hashlib.sha256(small_data.read_bytes()).hexdigest()
    assert card["data"][0] == {"role": "train", "name": str(small_data), "sha256": digest}
    assert card["documents"] == len(TRAIN_TEXTS) and "dev" in card and card["trained"]
    status, out, _ = run_cli(capsys, "inspect", model)
    assert status == 0 and "model card" in out and digest in out


def test_labels_with_terminal_escapes_are_escaped_on_a_terminal(tmp_path, capsys, monkeypatch):
    """A label holding ESC [ 2 J would clear the terminal predict or inspect prints it on."""
    evil = "\x1b[2Jpos"
    model = tmp_path / "m.textclf"
    TextClassifier(**SMALL).fit(TRAIN_TEXTS, [evil if y == "pos" else y
                                              for y in TRAIN_LABELS]).save(model)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    for argv in (["predict", model, "--text", "a wonderful film"], ["inspect", model]):
        status, out, _ = run_cli(capsys, *argv)
        assert status == 0 and "\x1b" not in out and "\\x1b[2Jpos" in out


def test_max_iter_in_one_process_is_said_to_be_the_clusters() -> None:
    with pytest.warns(UserWarning, match="max_iter counts the L-BFGS iterations of a cluster"):
        TextClassifier(max_iter=5, epochs=1, min_df=1).fit(["good film", "bad film"],
                                                          ["pos", "neg"])


def test_the_dev_report_uses_the_fits_own_probabilities(tmp_path, capsys):
    """The fit keeps P of its dev rows, so train's report does not featurise them again;
    they are what predicting the dev texts gives, and the report is the same either way."""
    from textclf.classifier.scoring import evaluate

    dev_texts, dev_labels = TRAIN_TEXTS[::3], TRAIN_LABELS[::3]
    clf = TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS, dev_texts, dev_labels)
    P = clf.fitted.dev_probabilities
    assert P is not None and np.allclose(P, clf.predict_proba(dev_texts))
    assert evaluate(clf.fitted, dev_texts, dev_labels, P).format() \
        == clf.evaluate(dev_texts, dev_labels).format()
    with pytest.raises(ValueError, match="rows of probabilities"):
        evaluate(clf.fitted, dev_texts[1:], dev_labels[1:], P)
    assert TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS).fitted.dev_probabilities \
        is None
    assert pickle.loads(pickle.dumps(clf)).fitted.dev_probabilities is None  # not the model's
    clf.partial_fit(dev_texts, dev_labels)  # θ moves on: the fit's P no longer holds
    assert clf.fitted.dev_probabilities is None
