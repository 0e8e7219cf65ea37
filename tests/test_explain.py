"""Explanations: contributions that add up to the score, words, the explain command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from marker_corpus import BINARY_MARKERS, TOPIC_MARKERS, make_corpus

from textclf import TextClassifier
from textclf.cli import main
from textclf.cli.explain import use_color
from textclf.explain import explain, explain_rows, word_shares

DOCUMENTS = [
    "an excellent film, superb acting",
    "a dreadful plot and a terrible actor",
    "the film was excellent but the plot was dreadful dreadful",
    "Excellent!  EXCELLENT?  excellent",
]


@pytest.fixture(scope="module")
def binary_clf() -> TextClassifier:
    texts, labels = make_corpus(BINARY_MARKERS)
    return TextClassifier(ngrams=1, weighting="binary", min_df=1, char_ngrams=None, eta=0.5,
                          epochs=15, batch_size=8).fit(texts, labels)


@pytest.fixture(scope="module")
def bigram_clf() -> TextClassifier:
    texts, labels = make_corpus(BINARY_MARKERS, seed=1)
    return TextClassifier(ngrams=2, weighting="tfidf", min_df=1, char_ngrams=None, eta=2.0,
                          epochs=5).fit(texts, labels)


@pytest.fixture(scope="module")
def model_file(binary_clf, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("explain") / "binary.textclf"
    binary_clf.save(path)
    return str(path)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# --- the decomposition -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["binary_clf", "bigram_clf"])
def test_contributions_plus_bias_equal_the_score(which, request):
    clf = request.getfixturevalue(which)
    z = clf.model.decision_function(clf.transform(DOCUMENTS))
    for text, score in zip(DOCUMENTS, z, strict=True):
        (c,) = explain(clf, text).classes
        assert c.score == pytest.approx(score, abs=1e-12)
        assert c.baseline == clf.model.bias
        assert c.baseline + sum(i.contribution for i in c.contributions) == pytest.approx(
            score, abs=1e-9)
        assert c.remainder == 0.0
        for item in c.contributions:  # each contribution is wⱼ·xⱼ
            assert item.contribution == pytest.approx(item.weight * item.value, abs=1e-15)


def test_binary_probability_is_sigmoid_of_score(binary_clf):
    e = explain(binary_clf, DOCUMENTS[0])
    (c,) = e.classes
    assert c.label == "pos" and c.opposite == "neg"
    assert c.probability == pytest.approx(sigmoid(c.score), abs=1e-12)
    assert e.probabilities["pos"] == pytest.approx(c.probability)
    assert e.probabilities["neg"] == pytest.approx(1 - c.probability)
    assert e.exact


def test_contributions_sorted_by_absolute_size(bigram_clf):
    c = explain(bigram_clf, DOCUMENTS[2]).classes[0]
    sizes = [abs(i.contribution) for i in c.contributions]
    assert sizes == sorted(sizes, reverse=True)
    assert len(c.contributions) > 3


def test_expected_top_features(binary_clf):
    e = explain(binary_clf, "the film with an excellent actor")
    assert e.predicted == "pos"
    top = e.predicted_class.contributions[0]
    assert top.term == "excellent" and top.contribution > 0
    e = explain(binary_clf, "this terrible scene")
    assert e.predicted == "neg"
    assert e.predicted_class.contributions[0].term == "terrible"
    assert e.predicted_class.contributions[0].contribution < 0  # negative: toward neg


# --- words ---------------------------------------------------------------------------------------


def test_word_shares_add_up_to_the_contributions(bigram_clf):
    for text in DOCUMENTS:
        e = explain(bigram_clf, text)
        c = e.classes[0]
        assert sum(c.word_shares) == pytest.approx(sum(i.contribution for i in c.contributions),
                                                   abs=1e-9)
        assert len(c.word_shares) == len(e.tokens)
        for token in e.tokens:  # offsets point at the words in the shown text
            assert e.display_text[token.start : token.end].lower() == token.text


def test_word_shares_split_ngrams_and_repeats_equally():
    shares = word_shares(["good", "film", "good"], 2, {"good": 1.0, "good film": 0.4})
    # "good" twice: 0.5 each; "good film" once: 0.2 to each of its two words
    assert shares == pytest.approx([0.7, 0.2, 0.5])


# --- awkward documents ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["binary_clf", "bigram_clf"])
@pytest.mark.parametrize("text", ["", "zyzzyva quux frobnicate", "   \n\t  ", "!?"])
def test_document_without_known_features(which, text, request):
    clf = request.getfixturevalue(which)
    e = explain(clf, text)
    (c,) = e.classes
    assert c.contributions == []
    assert c.score == pytest.approx(clf.model.bias, abs=1e-12)
    assert c.probability == pytest.approx(sigmoid(clf.model.bias), abs=1e-12)
    assert e.n_unknown_tokens == len(e.tokens)
    assert "no word of this document is in the model's vocabulary" in e.format()


def test_very_long_document(bigram_clf):
    rng = np.random.default_rng(3)
    words = rng.choice(["excellent", "dreadful", "film", "plot", "unknownword", "the"], 60_000)
    text = " ".join(words)
    e = explain(bigram_clf, text)
    c = e.classes[0]
    z = bigram_clf.model.decision_function(bigram_clf.transform([text]))[0]
    assert c.baseline + sum(i.contribution for i in c.contributions) == pytest.approx(z, abs=1e-9)
    assert len(e.tokens) == 60_000
    assert e.n_unknown_tokens == int(np.sum(words == "unknownword"))
    shown = e.format(color=True, max_chars=500)
    assert "more characters" in shown and len(shown) < 10_000


def test_explain_rows_matches_one_at_a_time(bigram_clf):
    together = explain_rows(bigram_clf, DOCUMENTS)
    for text, e in zip(DOCUMENTS, together, strict=True):
        alone = explain(bigram_clf, text)
        assert e.classes[0].score == pytest.approx(alone.classes[0].score, abs=1e-12)
        assert [i.term for i in e.classes[0].contributions] == [
            i.term for i in alone.classes[0].contributions]


def test_format_colours_only_when_asked(binary_clf):
    e = explain(binary_clf, DOCUMENTS[2])
    assert "\033[" not in e.format(color=False)
    coloured = e.format(color=True)
    assert "\033[1;32m" in coloured and "\033[1;31m" in coloured  # excellent / dreadful
    assert "bias b" in coloured and "σ(z)" in coloured


# --- the command ---------------------------------------------------------------------------------


def test_cli_explain_text(model_file, capsys):
    assert main(["explain", model_file, "an excellent film"]) == 0
    out = capsys.readouterr().out
    assert "prediction: pos" in out
    assert "excellent" in out and "bias b" in out
    assert "\033[" not in out  # captured output is not a terminal


def test_cli_explain_json_adds_up(model_file, binary_clf, capsys):
    assert main(["explain", model_file, DOCUMENTS[2], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (c,) = data["classes"]
    z = binary_clf.model.decision_function(binary_clf.transform([DOCUMENTS[2]]))[0]
    assert c["baseline"] + sum(i["contribution"] for i in c["contributions"]) == pytest.approx(
        z, abs=1e-9)
    assert data["method"] == "weight × value" and data["exact"] is True
    assert {i["term"] for i in c["contributions"]} >= {"excellent", "dreadful"}


def test_cli_explain_file_and_stdin(model_file, tmp_path, capsys, monkeypatch):
    doc = tmp_path / "doc.txt"
    doc.write_text("what a terrible, terrible film\n", encoding="utf-8")
    assert main(["explain", model_file, "--file", str(doc)]) == 0
    assert "prediction: neg" in capsys.readouterr().out
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("superb\nterrible, terrible\n"))
    assert main(["explain", model_file, "-"]) == 0  # one explanation per line
    out = capsys.readouterr().out
    assert out.count("prediction: ") == 2
    assert "prediction: pos" in out.split("== <stdin>:2")[0]
    assert "prediction: neg" in out.split("== <stdin>:2")[1]


def test_cli_explain_top_limits_the_table(model_file, capsys):
    assert main(["explain", model_file, DOCUMENTS[2], "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "more features" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "no/such/model.textclf", "text"], "no such model file"),
        (["explain", "{model}", "--file", "no/such/doc.txt"], "no/such/doc.txt: no such file"),
        (["explain", "{model}"], "no document"),
        (["explain", "{model}", "text", "--file", "x.txt"], "not both"),
        (["explain", "{model}", "text", "--class", "sports"], "--class 'sports'"),
    ],
)
def test_cli_explain_bad_input(argv, message, model_file, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no INPUT: the lines of stdin, none
    argv = [a.replace("{model}", model_file) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_explain_damaged_model(tmp_path, capsys):
    bad = tmp_path / "bad.textclf"
    bad.write_bytes(b"not a model at all")
    assert main(["explain", str(bad), "text"]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err


class _Stream:
    def __init__(self, tty: bool):
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_colour_choice(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color("auto", _Stream(True)) is True
    assert use_color("auto", _Stream(False)) is False
    assert use_color("always", _Stream(False)) is True
    assert use_color("never", _Stream(True)) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color("auto", _Stream(True)) is False
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert use_color("auto", _Stream(True)) is True


# --- softmax regression and networks -----------------------------------------------------------

TOPIC_DOCUMENTS = [
    "the senate passed it",
    "a goal and the referee",
    "the senate voted on the software for the election",
    "laptop",
]


@pytest.fixture(scope="module")
def softmax_clf() -> TextClassifier:
    texts, labels = make_corpus(TOPIC_MARKERS)
    return TextClassifier(ngrams=2, min_df=1, model="softmax", epochs=8).fit(texts, labels)


@pytest.fixture(scope="module")
def mlp_clf() -> TextClassifier:
    texts, labels = make_corpus(TOPIC_MARKERS)
    return TextClassifier(ngrams=1, weighting="binary", min_df=1, model="mlp", hidden=8,
                          activation="tanh", eta=0.02, epochs=15).fit(texts, labels)


@pytest.fixture(scope="module")
def binary_mlp_clf() -> TextClassifier:
    texts, labels = make_corpus(BINARY_MARKERS)
    return TextClassifier(ngrams=2, min_df=1, model="mlp", hidden="8,4", eta=0.02,
                          epochs=10).fit(texts, labels)


def test_softmax_contributions_plus_bias_equal_each_score(softmax_clf):
    Z = softmax_clf.model.decision_function(softmax_clf.transform(TOPIC_DOCUMENTS))
    theta = softmax_clf.model.theta
    for text, z in zip(TOPIC_DOCUMENTS, Z, strict=True):
        e = explain(softmax_clf, text)
        assert [c.label for c in e.classes] == softmax_clf.labels
        for k, c in enumerate(e.classes):
            assert c.opposite is None
            assert c.baseline == theta[-1, k]
            assert c.score == pytest.approx(z[k], abs=1e-12)
            assert c.baseline + sum(i.contribution for i in c.contributions) == pytest.approx(
                z[k], abs=1e-9)
        softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        assert [c.probability for c in e.classes] == pytest.approx(softmax, abs=1e-12)
        assert e.predicted == softmax_clf.labels[int(np.argmax(z))]


def test_softmax_expected_top_features(softmax_clf):
    e = explain(softmax_clf, "the senate voted on the software")
    assert e.for_class("politics").contributions[0].term == "senate"
    assert e.for_class("tech").contributions[0].term == "software"
    text = e.format(classes=["politics", "tech"])
    assert "score z toward politics" in text and "score z toward tech" in text
    assert "softmax(z)[tech]" in text


def test_softmax_empty_document(softmax_clf):
    e = explain(softmax_clf, "")
    for k, c in enumerate(e.classes):
        assert c.contributions == [] and c.score == pytest.approx(softmax_clf.model.theta[-1, k])


@pytest.mark.parametrize("which", ["mlp_clf", "binary_mlp_clf"])
def test_network_attribution_is_gradient_times_input(which, request):
    """aⱼ = xⱼ·∂z/∂xⱼ, the derivative checked against a central difference of the score."""
    clf = request.getfixturevalue(which)
    text = TOPIC_DOCUMENTS[2] if which == "mlp_clf" else DOCUMENTS[2]
    e = explain(clf, text)
    assert e.method == "gradient × input" and not e.exact
    X = clf.transform([text]).tocsr()
    baseline = clf.model.decision_function(clf.transform([""])).reshape(1, -1)[0]
    for k, c in enumerate(e.classes):
        assert c.baseline == pytest.approx(baseline[k], abs=1e-12)
        total = c.baseline + sum(i.contribution for i in c.contributions) + c.remainder
        assert total == pytest.approx(c.score, abs=1e-9)
        for item in c.contributions[:3]:
            column = clf.featurizer.terms.index(item.term)
            position = np.flatnonzero(X.indices == column)[0]
            eps = 1e-6
            scores = []
            for step in (eps, -eps):
                Xs = X.copy()
                Xs.data[position] += step
                scores.append(clf.model.decision_function(Xs).reshape(1, -1)[0, k])
            derivative = (scores[0] - scores[1]) / (2 * eps)
            # the weight is per unit of the term's own value: ∂z/∂xⱼ times the nb scale sⱼ
            scale = clf.featurizer.column_scale()[column]
            assert item.weight == pytest.approx(derivative * scale, rel=1e-5, abs=1e-8)
            assert item.value == pytest.approx(X.data[position] / scale) and item.value >= 0
            assert item.contribution == pytest.approx(item.weight * item.value, abs=1e-15)


def test_network_explanation_is_stated_as_such(mlp_clf, binary_mlp_clf):
    text = explain(mlp_clf, TOPIC_DOCUMENTS[0]).format()
    assert "gradient × input" in text and "not an exact decomposition" in text
    assert "baseline: score of an empty document" in text and "remainder" in text
    e = explain(binary_mlp_clf, "")
    (c,) = e.classes
    assert c.contributions == [] and c.remainder == pytest.approx(0.0, abs=1e-12)
    assert c.probability == pytest.approx(sigmoid(c.score), abs=1e-12)


def test_cli_explain_all_classes_and_json(softmax_clf, tmp_path, capsys):
    path = tmp_path / "topics.textclf"
    softmax_clf.save(path)
    assert main(["explain", str(path), TOPIC_DOCUMENTS[2], "--all-classes"]) == 0
    out = capsys.readouterr().out
    for label in softmax_clf.labels:
        assert f"score z toward {label}" in out
    assert main(["explain", str(path), TOPIC_DOCUMENTS[2], "--class", "sports"]) == 0
    out = capsys.readouterr().out
    assert "score z toward sports" in out and "score z toward tech" not in out
    assert main(["explain", str(path), TOPIC_DOCUMENTS[2], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["label"] for c in data["classes"]] == softmax_clf.labels
