"""Property-based tests (hypothesis): readers round-trip any text exactly, a damaged or crafted
model file is always refused with ModelFileError in bounded memory, no command line ends in a
traceback, and save/load keeps predictions exactly."""

from __future__ import annotations

import csv
import io
import json
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, SMALL, TRAIN_LABELS, TRAIN_TEXTS, sealed
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from textclf import ModelFileError, TextClassifier
from textclf.cli import main
from textclf.corpus import read_corpus

# Any Unicode text but surrogates (not encodable as UTF-8): quotes, separators, CR/LF, tabs,
# NUL, empty texts.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", "\r\n", '"', '""', ",", "\t", "a\rb", "x\n\ny", " lead", "trail ", "\x00", "\ufeff"])
LABEL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\r\n"),
                min_size=1, max_size=8).filter(lambda label: label.strip() != "")
DOCS = st.lists(st.tuples(TEXT, LABEL), min_size=1, max_size=8)
AT_ONCE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


@AT_ONCE
@given(docs=DOCS)
def test_jsonl_round_trips_any_text_and_label(tmp_path_factory, docs):
    path = tmp_path_factory.mktemp("jsonl") / "d.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in docs),
                    encoding="utf-8")
    corpus = read_corpus(path)
    assert list(zip(corpus.texts, corpus.labels, strict=True)) == docs


@AT_ONCE
@given(docs=DOCS, delimiter=st.sampled_from([",", "\t"]))
def test_csv_and_tsv_round_trip_any_text_and_label(tmp_path_factory, docs, delimiter):
    # the csv module's writer quotes what needs it; a NUL cannot be in a CSV field
    docs = [(t.replace("\x00", ""), y.replace("\x00", "")) for t, y in docs]
    assume(all(y.strip() for _, y in docs))
    path = tmp_path_factory.mktemp("csv") / ("d.csv" if delimiter == "," else "d.tsv")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["text", "label"])
        writer.writerows(docs)
    corpus = read_corpus(path)
    assert list(zip(corpus.texts, corpus.labels, strict=True)) == docs


# (train, dev and test folders would make ROOT a tree of splits)
FOLDER_NAME = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1,
                      max_size=8).filter(lambda name: name not in ("train", "dev", "test"))


@AT_ONCE
@given(texts=st.lists(TEXT.filter(lambda t: not t.startswith("\ufeff")), min_size=1,
                      max_size=6),
       labels=st.lists(FOLDER_NAME, min_size=1, max_size=3, unique=True))
def test_folders_round_trip_any_text_byte_for_byte(tmp_path_factory, texts, labels):
    root = tmp_path_factory.mktemp("folders")
    expected = []
    for i, text in enumerate(texts):
        label = labels[i % len(labels)]
        (root / label).mkdir(exist_ok=True)
        (root / label / f"{i:03d}.txt").write_bytes(text.encode("utf-8"))
        expected.append((text, label))
    corpus = read_corpus(root)
    assert sorted(zip(corpus.texts, corpus.labels, strict=True)) == sorted(expected)


WORDS = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp")),
                         min_size=1, max_size=6), min_size=0, max_size=6)


@AT_ONCE
@given(docs=st.lists(st.tuples(WORDS, LABEL.filter(lambda y: not any(map(str.isspace, y)))),
                     min_size=1, max_size=6))
def test_fasttext_lines_round_trip_words_and_labels(tmp_path_factory, docs):
    """fastText lines hold words separated by spaces: the words and labels come back."""
    docs = [([w for w in words if not w.startswith("__label__")], y) for words, y in docs]
    path = tmp_path_factory.mktemp("ft") / "d.ft"
    path.write_text("".join(f"__label__{y} {' '.join(w)}\n" for w, y in docs),
                    encoding="utf-8")
    corpus = read_corpus(path)
    assert [(t.split(), y) for t, y in zip(corpus.texts, corpus.labels, strict=True)] == [
        (" ".join(w).split(), y) for w, y in docs]


LABEL_SETS = st.lists(st.lists(LABEL, max_size=4, unique=True), min_size=1, max_size=6)


@AT_ONCE
@given(texts=st.lists(TEXT, min_size=6, max_size=6), label_sets=LABEL_SETS)
def test_jsonl_label_lists_round_trip(tmp_path_factory, texts, label_sets):
    """Any number of labels per document (none included), in their order."""
    docs = list(zip(texts, label_sets, strict=False))
    path = tmp_path_factory.mktemp("jsonl") / "m.jsonl"
    path.write_text("".join(json.dumps({"text": t, "labels": y}) + "\n" for t, y in docs),
                    encoding="utf-8")
    corpus = read_corpus(path)
    assert corpus.label_sets == [tuple(y) for _, y in docs]
    assert corpus.multi_label == any(len(y) != 1 for _, y in docs)


@AT_ONCE
@given(label_sets=LABEL_SETS, delimiter=st.sampled_from([",", "\t"]))
def test_csv_label_fields_split_by_label_sep_round_trip(tmp_path_factory, label_sets,
                                                        delimiter):
    label_sets = [[y.replace("|", "").replace("\x00", "").strip() for y in labels]
                  for labels in label_sets]
    label_sets = [[y for y in dict.fromkeys(labels) if y] for labels in label_sets]
    path = tmp_path_factory.mktemp("csv") / ("m.csv" if delimiter == "," else "m.tsv")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["text", "label"])
        writer.writerows([f"doc {i}", "|".join(y)] for i, y in enumerate(label_sets))
    assert read_corpus(path, label_sep="|").label_sets == [tuple(y) for y in label_sets]


@AT_ONCE
@given(docs=st.lists(st.tuples(WORDS, st.lists(
    LABEL.filter(lambda y: not any(map(str.isspace, y))), min_size=1, max_size=3, unique=True)),
    min_size=1, max_size=6))
def test_fasttext_label_tags_round_trip(tmp_path_factory, docs):
    docs = [([w for w in words if not w.startswith("__label__")], y) for words, y in docs]
    path = tmp_path_factory.mktemp("ft") / "m.ft"
    path.write_text("".join(" ".join(f"__label__{label}" for label in y) + f" {' '.join(w)}\n"
                            for w, y in docs), encoding="utf-8")
    assert read_corpus(path).label_sets == [tuple(y) for _, y in docs]


# --- model files -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("model") / "m.textclf"
    TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS).save(path)
    return path.read_bytes()


def refused_in_bounded_memory(path: Path) -> None:
    """Loading ``path`` raises ModelFileError (nothing else) and allocates little."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError):
            TextClassifier.load(path)
        assert tracemalloc.get_traced_memory()[1] < 64 << 20
    finally:
        tracemalloc.stop()


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bit_flips_and_truncations_are_refused(tmp_path_factory, model_bytes, data):
    damaged = bytearray(model_bytes)
    if data.draw(st.booleans()):
        for _ in range(data.draw(st.integers(1, 8))):
            at = data.draw(st.integers(0, len(damaged) - 1))
            damaged[at] ^= 1 << data.draw(st.integers(0, 7))
        assume(bytes(damaged) != model_bytes)
    else:
        damaged = damaged[: data.draw(st.integers(0, len(damaged) - 1))]
    path = tmp_path_factory.mktemp("damaged") / "m.textclf"
    path.write_bytes(bytes(damaged))
    refused_in_bounded_memory(path)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}



JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                    | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_crafted_members_with_a_valid_checksum_are_refused(tmp_path_factory, model_bytes,
                                                           data):
    contents = members(model_bytes)
    meta = json.loads(contents["meta.json"])
    kind = data.draw(st.sampled_from(["meta_value", "meta_delete", "array_bytes",
                                      "huge_shape", "extra_member"]))
    if kind == "meta_value":  # any JSON value at any field of meta.json
        path = data.draw(st.sampled_from([("labels",), ("model", "n_features"),
                                          ("model", "kind"), ("featurizer", "settings"),
                                          ("featurizer", "n_documents"), ("training",),
                                          ("history",), ("arrays",), ("format_version",),
                                          ("featurizer", "settings", "ngrams"),
                                          ("featurizer", "settings", "token_pattern")]))
        target = meta
        for key in path[:-1]:
            target = target[key]
        value = data.draw(JSON)
        assume(value != target.get(path[-1]))
        target[path[-1]] = value
        contents["meta.json"] = json.dumps(meta).encode()
    elif kind == "meta_delete":
        key = data.draw(st.sampled_from(sorted(meta)))
        del meta[key]
        contents["meta.json"] = json.dumps(meta).encode()
    elif kind == "array_bytes":
        name = data.draw(st.sampled_from(sorted(n for n in contents if n != "meta.json")))
        contents[name] = data.draw(st.binary(max_size=200))
    elif kind == "huge_shape":
        name = data.draw(st.sampled_from(sorted(meta["arrays"])))
        shape = data.draw(st.lists(st.integers(0, 10**18), min_size=1, max_size=3))
        meta["arrays"][name]["shape"] = shape
        contents["meta.json"] = json.dumps(meta).encode()
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {
            "descr": np.dtype(meta["arrays"][name]["dtype"]).str, "fortran_order": False,
            "shape": tuple(shape)})
        contents[f"arrays/{name}.npy"] = header.getvalue()
    else:
        contents[data.draw(st.sampled_from(["arrays/x.npy", "../evil", "meta.json.bak"]))] = \
            data.draw(st.binary(max_size=50))
    path = tmp_path_factory.mktemp("crafted") / "m.textclf"
    path.write_bytes(sealed(contents))
    try:
        TextClassifier.load(path)  # a change that keeps the file valid is allowed to load
    except ModelFileError:
        refused_in_bounded_memory(path)


# --- the command line ----------------------------------------------------------------------------

TOKENS = ["train", "test", "predict", "explain", "inspect", "tune", "gradcheck", "report",
          "--epochs", "--eta", "--ngrams", "--hash-bits", "--weighting", "--model", "--hidden",
          "--l2", "--min-df", "--max-features", "--batch-size", "--dropout", "--budget",
          "--format", "--split", "--text-field", "--label-field", "--json", "--top", "--stream",
          "--dev", "--patience", "--momentum", "--optimizer", "--init", "--checkpoint",
          "--resume", "--jobs", "--seed", "--docs", "--classes", "-q", "--models", "--metric",
          "--multi-label", "--threshold", "--top-k", "--at-least-one", "--class-weight",
          "--weight-field", "--label-sep", "auto", "balanced", "spam=2", "|",
          "0", "1", "2", "-1", "1.5", "nan", "inf", "1e308", "x", "mlp", "softmax", "tfidf",
          "bogus", "jsonl", "csv", "dev", "test", "", "a good film", "builtin:nothing",
          str(CORPUS / "docs.jsonl"), str(CORPUS / "docs.csv"), str(CORPUS / "folders"),
          "/nonexistent/x"]


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verb=st.sampled_from(TOKENS[:8]), data=st.sampled_from(TOKENS[-5:]),
       options=st.lists(st.sampled_from(TOKENS), max_size=8), output=st.booleans())
def test_no_command_line_ends_in_a_traceback(tmp_path_factory, monkeypatch, capsys, verb,
                                             data, options, output):
    """A verb, its MODEL or DATA, then any options and values in any order."""
    folder = tmp_path_factory.mktemp("cli")
    model = folder / "m.textclf"
    TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS).save(model)
    argv = [verb, *([str(model)] if verb in ("test", "predict", "explain", "inspect",
                                              "report") else []), data, *options]
    if output:
        argv += ["-o", str(folder / "out.textclf")]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a good film\n")))
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse: a usage line and an error line
        assert exit_.code in (0, 2)
        return
    assert status in (0, 1, 130)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if status == 1:
        assert err.strip().splitlines()[-1].startswith("textclf: error: ")


# --- save and load --------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(texts=st.lists(st.text(st.sampled_from("ab cd ef!?'xé"), max_size=30), min_size=4,
                      max_size=20),
       ngrams=st.integers(1, 3),
       features=st.sampled_from(["count", "binary", "tfidf", "nb", "tfidf-nb"]),
       hashed=st.booleans(), model=st.sampled_from(["auto", "softmax", "mlp"]),
       float32=st.booleans(), seed=st.integers(0, 3))
def test_save_and_load_keep_predictions_exactly(tmp_path_factory, texts, ngrams, features,
                                                hashed, model, float32, seed):
    labels = [["x", "y", "z"][i % 3] for i in range(len(texts))]
    if model == "auto":
        labels = [["x", "y"][i % 2] for i in range(len(texts))]
    settings_ = {"ngrams": ngrams, "weighting": features, "min_df": 1, "epochs": 2,
                 "batch_size": 3, "seed": seed, "model": model, "float32": float32}
    if hashed:
        settings_["hash_bits"] = 6
    if model == "mlp":
        settings_["hidden"] = 3
    clf = TextClassifier(**settings_).fit(texts, labels)
    path = tmp_path_factory.mktemp("save") / "m.textclf"
    clf.save(path)
    loaded = TextClassifier.load(path)
    probe = [*texts, "", "unseen words here"]
    assert np.array_equal(loaded.predict_proba(probe), clf.predict_proba(probe))
    assert loaded.predict(probe) == clf.predict(probe)
