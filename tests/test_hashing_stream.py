"""Hashed features, collisions, and training from a stream read from disk."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pytest
from conftest import in_order_fit

from textclf import TextClassifier
from textclf.cli import main
from textclf.corpus import iter_documents, read_corpus
from textclf.features import FeatureSettings, HashingFeaturizer, Tokenizer

MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def _column(tokens: list[str], bits: int) -> int:
    """The hashed column of an n-gram, from its token strings, in plain Python ints."""
    def h(t):
        return int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
    key = h(tokens[0])
    for t in tokens[1:]:
        key = _mix((key * 0x9E3779B97F4A7C15 + h(t)) & MASK)
    return _mix(key) >> (64 - bits)


@pytest.fixture(scope="module")
def rt():
    corpus = read_corpus("builtin:rt", split="train")  # sorted by label: mix it once
    order = np.random.default_rng(0).permutation(len(corpus))[:1200]
    return [corpus.texts[i] for i in order], [corpus.labels[i] for i in order]


def test_hashed_counts_equal_a_naive_reference(rt):
    texts = rt[0][:200]
    settings = FeatureSettings(ngrams=2, weighting="count", hash_bits=12)
    X = HashingFeaturizer(settings).fit_transform(texts)
    tokenizer = Tokenizer(settings)
    expected = np.zeros((len(texts), 1 << 12))
    for i, text in enumerate(texts):
        tokens = tokenizer.tokens(text)
        for n in (1, 2):
            for j in range(len(tokens) - n + 1):
                expected[i, _column(tokens[j : j + n], 12)] += 1
    assert np.array_equal(X[:, :-1].toarray(), expected)


def test_collisions_do_not_crash_and_are_counted(rt):
    texts = rt[0][:300]
    settings = FeatureSettings(ngrams=2, weighting="tfidf", hash_bits=6)  # 64 columns
    featurizer = HashingFeaturizer(settings)
    X = featurizer.fit_transform(texts)
    assert X.shape == (300, 65) and np.all(np.isfinite(X.data))
    tokenizer = Tokenizer(settings)
    grams_of_column: dict[int, set] = {}
    for text in texts:
        tokens = tokenizer.tokens(text)
        for n in (1, 2):
            for j in range(len(tokens) - n + 1):
                gram = tuple(tokens[j : j + n])
                grams_of_column.setdefault(_column(list(gram), 6), set()).add(gram)
    expected = sum(len(grams) >= 2 for grams in grams_of_column.values())
    assert featurizer.collisions.count == expected > 0


def test_hashing_classifier_saves_and_loads(rt, tmp_path):
    texts, labels = rt
    clf = TextClassifier(hash_bits=16, epochs=3).fit(texts, labels)
    clf.save(tmp_path / "h.textclf")
    same = TextClassifier.load(tmp_path / "h.textclf")
    assert np.allclose(same.predict_proba(texts[:50]), clf.predict_proba(texts[:50]))
    assert clf.top_features(2)["pos"][0][0].startswith("#")


def _write_jsonl(path, texts, labels):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for text, label in zip(texts, labels, strict=True):
            handle.write(json.dumps({"text": text, "label": label}) + "\n")


@pytest.mark.parametrize("model", ["logistic", "softmax"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_streaming_gives_the_in_memory_theta_on_the_same_order(rt, tmp_path, model, jobs):
    texts, labels = rt
    path = tmp_path / "train.jsonl.gz"
    _write_jsonl(path, texts, labels)
    options = dict(hash_bits=14, epochs=2, batch_size=16, model=model, eta=2.0)
    reference = in_order_fit(options, texts, labels).model
    streamed = TextClassifier(jobs=jobs, **options)
    streamed.fit_stream(lambda: iter_documents(path), chunk_docs=100, shuffle=False)
    assert np.abs(streamed.model.theta - reference.theta).max() < 1e-10


def test_streaming_reaches_the_in_memory_accuracy(rt, tmp_path):
    texts, labels = rt
    test = read_corpus("builtin:rt", split="test")
    path = tmp_path / "train.jsonl.gz"
    _write_jsonl(path, texts, labels)
    options = dict(hash_bits=16, epochs=5, eta=20.0)
    in_memory = TextClassifier(**options).fit(texts, labels)
    # one chunk holding everything: the same shuffles as in memory, so the same θ
    whole = TextClassifier(**options).fit_stream(lambda: iter_documents(path),
                       chunk_docs=10_000)
    assert np.abs(whole.model.theta - in_memory.model.theta).max() < 1e-10
    # chunks of 256 shuffled within themselves: other steps, about the same accuracy
    chunked = TextClassifier(**options).fit_stream(lambda: iter_documents(path),
                         chunk_docs=256)
    a = in_memory.evaluate(test.texts, test.labels).accuracy
    b = chunked.evaluate(test.texts, test.labels).accuracy
    assert a > 0.65 and abs(a - b) < 0.03


def test_cli_streams_and_reports_collisions(rt, tmp_path, capsys):
    texts, labels = rt
    path = tmp_path / "train.jsonl.gz"
    _write_jsonl(path, texts[:400], labels[:400])
    out = tmp_path / "m.textclf"
    code = main(["train", str(path), "-o", str(out), "--stream", "--hash-bits", "12",
                 "--epochs", "2", "--chunk-docs", "64", "--top", "0"])
    assert code == 0
    assert "hashed columns" in capsys.readouterr().out
    assert TextClassifier.load(out).predict(["a fine film"])[0] in ("neg", "pos")


def test_cli_refuses_stream_without_hash_bits(rt, tmp_path, capsys):
    path = tmp_path / "train.jsonl.gz"
    _write_jsonl(path, *[x[:50] for x in rt])
    code = main(["train", str(path), "-o", str(tmp_path / "m.textclf"), "--stream"])
    assert code != 0
    err = capsys.readouterr().err
    assert "--hash-bits" in err and "Traceback" not in err


def test_cli_refuses_bad_jobs_and_hash_bits(rt, tmp_path, capsys):
    path = tmp_path / "train.jsonl.gz"
    _write_jsonl(path, *[x[:50] for x in rt])
    for option in (["--jobs", "0"], ["--hash-bits", "40"]):
        code = main(["train", str(path), "-o", str(tmp_path / "m.textclf"), *option])
        assert code != 0
        assert "Traceback" not in capsys.readouterr().err


def test_stream_names_a_document_without_label(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"text": "good", "label": "pos"}\n{"text": "bad"}\n')
    from textclf.errors import DataError

    with pytest.raises(DataError, match="train.jsonl:2 has no label"):
        TextClassifier(hash_bits=8).fit_stream(lambda: iter_documents(path))


def test_a_model_streamed_in_float32_saves_loads_and_predicts_the_same(rt, tmp_path):
    path = tmp_path / "train.jsonl.gz"
    _write_jsonl(path, *[x[:400] for x in rt])
    model_path = tmp_path / "m.textclf"
    assert main(["train", str(path), "-o", str(model_path), "--stream", "--hash-bits", "12",
                 "--float32", "--epochs", "2", "--quiet"]) == 0
    loaded = TextClassifier.load(model_path)
    texts = rt[0][:50]
    streamed = TextClassifier(hash_bits=12, float32=True, epochs=2, quiet=True)
    streamed.fit_stream(lambda: iter_documents(path))
    assert streamed.model.theta.dtype == np.float32  # trained in float32 ...
    assert loaded.model.theta.dtype == np.float32  # ... stored and loaded as float32
    assert np.array_equal(loaded.model.theta, streamed.model.theta)
    assert list(loaded.predict(texts)) == list(streamed.predict(texts))
    assert np.array_equal(loaded.predict_proba(texts), streamed.predict_proba(texts))


def test_float32_fits_theta_in_float32_close_to_float64_and_saves_it(rt, tmp_path):
    texts, labels = rt[0][:900], rt[1][:900]
    wide = TextClassifier(quiet=True).fit(texts, labels)
    narrow = TextClassifier(quiet=True, float32=True).fit(texts, labels)
    assert narrow.model.theta.dtype == np.float32 and wide.model.theta.dtype == np.float64
    assert np.max(np.abs(narrow.model.theta - wide.model.theta)) < 1e-3
    held_out = rt[0][900:]
    agree = np.mean(np.asarray(narrow.predict(held_out)) == np.asarray(wide.predict(held_out)))
    assert agree > 0.99
    path = tmp_path / "m.textclf"
    narrow.save(path)
    loaded = TextClassifier.load(path)
    assert list(loaded.predict(held_out)) == list(narrow.predict(held_out))
    network = TextClassifier(quiet=True, float32=True, model="mlp", hidden="8", epochs=1)
    assert network.fit(texts[:200], labels[:200]).model.parameters()["output.W"].dtype \
        == np.float64  # networks keep float64
