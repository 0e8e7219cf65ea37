"""explain, inspect and report work for every kind of featuriser and every model kind,
through the one Featurizer interface (explain on a hashed model used to raise
AttributeError: the featurisers shared no interface)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL, TRAIN_LABELS, TRAIN_TEXTS, run_cli

from textclf import TextClassifier
from textclf.explain import explain, inspect_model

THREE = [label if i % 3 else "meh" for i, label in enumerate(TRAIN_LABELS)]
KINDS = [
    ("vocabulary", "logistic"), ("vocabulary", "softmax"), ("vocabulary", "mlp"),
    ("hashing", "logistic"), ("hashing", "softmax"), ("hashing", "mlp"),
]
DOCUMENT = "a wonderful film with great acting, not a boring one"


def trained(featuriser: str, model: str, **extra) -> TextClassifier:
    settings = {**SMALL, "model": model, "ngrams": 2, "char_ngrams": (2, 4), **extra}
    if featuriser == "hashing":
        settings["hash_bits"] = 10
    if model == "mlp":
        settings |= {"hidden": 6, "epochs": 5, "eta": 0.01}
    return TextClassifier(**settings).fit(TRAIN_TEXTS,
                                          THREE if model == "softmax" else TRAIN_LABELS)


@pytest.fixture(scope="module", params=KINDS, ids=lambda kind: "-".join(kind))
def kind(request) -> tuple[str, str, TextClassifier]:
    return (*request.param, trained(*request.param))


def test_explain_accounts_for_the_score(kind):
    featuriser, model, clf = kind
    e = explain(clf, DOCUMENT)
    assert e.predicted == clf.predict([DOCUMENT])[0]
    c = e.predicted_class
    total = c.baseline + sum(item.contribution for item in c.contributions) + c.remainder
    assert total == pytest.approx(c.score, abs=1e-9)
    if model != "mlp":
        assert e.exact and c.remainder == 0.0
    # every feature of the document is named by its words (or, for a character n-gram, its
    # characters in brackets), hashed or not
    words = set(clf.featurizer.tokens(DOCUMENT))
    assert c.contributions
    for item in c.contributions:
        for gram in item.term.split(" | "):
            if gram.startswith("[") and gram.endswith("]"):
                assert gram[1:-1].strip() in DOCUMENT.lower()
            else:
                assert set(gram.split()) <= words
    assert sum(c.word_shares) == pytest.approx(sum(i.contribution for i in c.contributions))
    assert e.format(top=5)


def test_inspect_names_the_strongest_features(kind):
    featuriser, _, clf = kind
    summary = inspect_model(clf, top=3)
    assert set(summary.strongest) <= set(clf.labels)
    assert all(len(features) <= 3 for features in summary.strongest.values())
    if featuriser == "hashing":
        assert all(f.term.startswith("#") for fs in summary.strongest.values() for f in fs)
    assert summary.settings["features"]["hash_bits"] == (10 if featuriser == "hashing" else None)
    assert summary.format()


def test_report_writes_the_page(kind, tmp_path: Path):
    pytest.importorskip("matplotlib")
    from textclf.report import report

    _, model, clf = kind
    labels = THREE if model == "softmax" else TRAIN_LABELS
    result = report(clf, TRAIN_TEXTS, labels, tmp_path, n_wrong=3)
    assert result.html.is_file() and (tmp_path / "report.json").is_file()
    assert result.evaluation.n_documents == len(TRAIN_TEXTS)


def test_command_line_explain_and_inspect_on_a_hashed_model(tmp_path: Path, capsys):
    path = tmp_path / "hashed.textclf"
    trained("hashing", "logistic", char_ngrams=None).save(path)  # words alone: named below
    status, out, err = run_cli(capsys, "explain", path, "a fine film", "--json")
    assert status == 0, err
    data = json.loads(out)
    assert {c["term"] for c in data["classes"][0]["contributions"]} <= {
        "a", "fine", "film", "a fine", "fine film", *(f"{a} | {b}" for a in ("a", "fine", "film")
                                                         for b in ("a fine", "fine film"))}
    status, out, err = run_cli(capsys, "inspect", path, "--top", "2")
    assert status == 0, err
    assert "1024 hashed columns + bias" in out


def test_hashed_explanations_name_the_ngrams_of_a_shared_column():
    """With 2 bits, many n-grams share a column: the explanation names all of them."""
    clf = TextClassifier(**SMALL, hash_bits=2).fit(TRAIN_TEXTS, TRAIN_LABELS)
    e = clf.explain("great acting and a wonderful plot")
    names = [item.term for item in e.predicted_class.contributions]
    assert any(" | " in name for name in names)
    assert len(names) <= 4 and np.isfinite(e.predicted_class.score)
