"""Featurising on many threads (issue 22): the same X and the same θ whatever ``jobs`` is, and
the compiled kernels equal to the numpy steps bit for bit."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import shared_corpus

from textclf import TextClassifier, read_corpus
from textclf.core import jit, parallel
from textclf.features import FeatureSettings, Featurizer
from textclf.features.weighting import NaiveBayesScale, Targets, present_totals, weight_counts

pytestmark = pytest.mark.skipif(not jit.enabled(), reason="compiled kernels switched off")


def same_matrix(A: sp.csr_matrix, B: sp.csr_matrix) -> bool:
    return A.shape == B.shape and A.dtype == B.dtype and all(
        np.array_equal(getattr(A, name), getattr(B, name))
        for name in ("indptr", "indices", "data"))


@pytest.fixture(scope="module")
def rt() -> tuple[list[str], list[str]]:
    corpus = read_corpus("builtin:rt", split="train")
    chosen = np.random.default_rng(0).permutation(len(corpus.texts))[:1200]
    return [corpus.texts[i] for i in chosen], [corpus.labels[i] for i in chosen]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_naive_bayes_kernels_equal_the_numpy_steps(rt, dtype, weighted):
    texts, labels = rt
    X = Featurizer(FeatureSettings(char_ngrams=None), dtype=dtype).fit_transform(texts)
    y = np.array([label == "pos" for label in labels], np.int64) + np.arange(len(labels)) % 2
    weights = np.linspace(0.5, 2.0, len(labels)) if weighted else None
    with jit.forced():
        S = present_totals(X, y, 3, weights)
        scaled = NaiveBayesScale.fit(X, Targets(y, 3), 1.0, weights).apply(X.copy())
    with jit.disabled():
        assert np.array_equal(S, present_totals(X, y, 3, weights))
        plain = NaiveBayesScale.fit(X, Targets(y, 3), 1.0, weights).apply(X.copy())
    assert same_matrix(scaled, plain)


def test_the_compiled_transform_equals_the_numpy_steps(rt):
    texts, labels = rt
    featurizer = Featurizer(FeatureSettings(weighting="tfidf-nb", ngrams=3, char_ngrams=(2, 4)))
    featurizer.fit_transform(texts[:800], labels[:800])
    with jit.forced():
        compiled = featurizer.transform(texts[800:] + ["", "zzz unseen", "a"])
    with jit.disabled():
        plain = featurizer.transform(texts[800:] + ["", "zzz unseen", "a"])
    assert same_matrix(compiled, plain)


def corpus(name: str, n: int) -> tuple[list[str], list[str]]:
    """``n`` documents of the corpus's training split, chosen at random (seeded)."""
    if name.startswith("builtin:"):
        data = read_corpus(name, split="train")
    else:
        data = read_corpus(str(shared_corpus(name) / "train.jsonl.gz"))
    chosen = np.random.default_rng(0).permutation(len(data.texts))[:n]
    return [data.texts[i] for i in chosen], [data.labels[i] for i in chosen]


@pytest.mark.parametrize("name, n, settings", [
    ("builtin:rt", 1500, {}),  # the defaults: tf-idf-nb words and character n-grams
    ("sms_spam", 1500, {"features": "tfidf", "ngrams": 3}),
    ("news20", 600, {"char_ngrams": None}),  # softmax over 20 classes
    ("builtin:rt", 1500, {"hash_bits": 16, "features": "tfidf-nb"}),
])
def test_theta_does_not_depend_on_the_number_of_workers(monkeypatch, name, n, settings):
    monkeypatch.setattr(parallel, "CHUNK_CHARACTERS", 40_000)  # many chunks
    texts, labels = corpus(name, n)
    thetas = {}
    for jobs in sorted({1, 2, 3, os.cpu_count() or 1}):
        clf = TextClassifier(seed=0, epochs=2, jobs=jobs, **settings).fit(texts, labels)
        thetas[jobs] = np.asarray(clf.model.theta)
    first = thetas[1]
    for jobs, theta in thetas.items():
        assert theta.dtype == first.dtype and np.array_equal(theta, first), f"jobs={jobs}"


@pytest.mark.parametrize("settings", [
    {"hash_bits": 14, "ngrams": 3, "weighting": "tfidf", "char_ngrams": None},
    {"hash_bits": 10, "ngrams": 2, "weighting": "count", "char_ngrams": (2, 4)},
    {"hash_bits": 18, "ngrams": 0, "weighting": "binary", "char_ngrams": (1, 3),
     "char_mode": "text"},
])
def test_the_compiled_hashing_equals_the_numpy_steps(rt, monkeypatch, settings):
    monkeypatch.setattr(parallel, "CHUNK_CHARACTERS", 30_000)
    texts, _ = rt
    texts = [*texts[:600], "", "   ", "a", "ΑΣ. ΣΑΣ émoji 😀 \ud800"]

    def featurised():
        featurizer = Featurizer(FeatureSettings(**settings), jobs=2)
        X = featurizer.fit_transform(texts)
        return featurizer, X, featurizer.transform(texts[::-1])

    with jit.forced():
        compiled = featurised()
    with jit.disabled():
        plain = featurised()
    assert same_matrix(compiled[1], plain[1]) and same_matrix(compiled[2], plain[2])
    assert np.array_equal(compiled[0].document_frequency, plain[0].document_frequency)
    assert compiled[0].collisions.count == plain[0].collisions.count > 0


def test_both_ways_of_ordering_a_rows_columns_give_the_same_rows():
    """fill_rows sorts each row's columns by a counting sort over |F| where the chunk has
    many entries for |F| (a vocabulary), else over the ranks of the chunk's columns (2^b
    hashed columns)."""
    from textclf.core.sparse import RowFiller
    from textclf.features.weighting import fill_weighted

    rng = np.random.default_rng(0)
    n, width = 50, 40
    counts = sp.random(n, width, density=0.3, random_state=0, format="csr",
                       data_rvs=lambda k: rng.integers(1, 5, k)).astype(np.int32)
    for i in range(n):  # each row's entries in any order
        lo, hi = counts.indptr[i], counts.indptr[i + 1]
        order = lo + rng.permutation(hi - lo)
        counts.indices[lo:hi], counts.data[lo:hi] = counts.indices[order], counts.data[order]
    settings = FeatureSettings(weighting="tfidf")
    filled = []
    for n_columns in (width, 10**6):  # few columns: by column; many: by rank
        out = RowFiller(counts.nnz + n, n, n_columns + 1, np.float64)
        idf = np.ones(n_columns)
        idf[:width] = np.linspace(1.0, 3.0, width)
        assert fill_weighted(out, counts, None, settings, idf, 0, 0) == counts.nnz + n
        out.row, out.at = n, counts.nnz + n
        X = out.matrix()
        assert np.all(X[:, -1].toarray() == 1.0)
        filled.append(X[:, :-1])
    expected = weight_counts(counts, settings, np.linspace(1.0, 3.0, width))[:, :-1]
    assert same_matrix(filled[0], expected.astype(np.float64))
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(filled[0], name), getattr(filled[1], name))


def test_the_compiled_hash_table_answers_as_the_numpy_one():
    from textclf.features.terms import IntTable

    rng = np.random.default_rng(0)
    keys = rng.choice(10**12, size=5000, replace=False).astype(np.int64)
    values = rng.integers(0, 10**6, size=5000)
    queries = np.concatenate([keys, rng.integers(0, 10**12, size=5000)])
    with jit.forced():
        compiled = IntTable(keys, values).get(queries)
    with jit.disabled():
        plain = IntTable(keys, values).get(queries)
    assert np.array_equal(compiled, plain) and np.array_equal(compiled[:5000], values)
