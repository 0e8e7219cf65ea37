"""Full-batch L-BFGS in one process (optimizer="lbfgs"), and the pieces a cluster builds on:
partial sums that add up, rows held in shards, a vocabulary from merged document
frequencies, merged collision counts, corpus files at URLs."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import scipy.sparse as sp
from cluster_corpus import noisy_corpus
from conftest import TRAIN_LABELS, TRAIN_TEXTS, run_cli

from textclf import DataError, SettingsError, TextClassifier
from textclf.corpus import read_corpus
from textclf.features import Featurizer, HashingFeaturizer, VocabularyFeaturizer
from textclf.features.hashing import CollisionCounter
from textclf.models import LogisticRegression, SoftmaxRegression
from textclf.training import InMemoryRows, Objective, ShardedRows, TrainingSettings, train
from textclf.training.lbfgs import block_sums, partial_sums
from textclf.training.loop import Trainer

TEXTS, LABELS = noisy_corpus(300, classes=3, seed=7)


@pytest.fixture(scope="module")
def rows():
    X = Featurizer(min_df=1).fit_transform(TEXTS)
    index = {label: k for k, label in enumerate(sorted(set(LABELS)))}
    return X, np.array([index[label] for label in LABELS])


def test_partial_sums_over_any_split_add_up_to_the_whole(rows):
    X, y = rows
    model = SoftmaxRegression(X.shape[1], 3, init="random", seed=1)
    whole = partial_sums(model, X, y)
    parts = block_sums(model, [(X[a:b], y[a:b], None, None) for a, b in ((0, 70), (70, 71),
                                                                     (71, 300))])
    assert parts.rows == whole.rows == 300
    assert parts.loss == pytest.approx(whole.loss, rel=1e-12)
    np.testing.assert_allclose(parts.gradient["theta"], whole.gradient["theta"], atol=1e-12)


def test_the_objective_is_the_mean_loss_plus_l2_and_its_gradient_checks(rows):
    X, y = rows
    model = SoftmaxRegression(X.shape[1], 3, init="random", seed=2)
    objective = Objective(model, l2=0.1)
    theta = objective.vector()
    value, gradient = objective.value_and_gradient(partial_sums(model, X, y))
    w = model.theta[:-1]
    assert value == pytest.approx(model.loss_sum(X, y) / 300 + 0.05 * np.sum(w * w))
    rng = np.random.default_rng(0)
    for j in rng.choice(len(theta), 8, replace=False):  # central differences
        step = np.zeros_like(theta)
        step[j] = 1e-6
        values = []
        for sign in (1, -1):
            objective.assign(theta + sign * step)
            values.append(objective.value_and_gradient(partial_sums(model, X, y))[0])
        assert gradient[j] == pytest.approx((values[0] - values[1]) / 2e-6, abs=1e-7)
    assert gradient.reshape(model.theta.shape)[-1] @ np.ones(3) == pytest.approx(0, abs=1e-12)


def test_lbfgs_reaches_the_minimum_where_the_gradient_vanishes(rows):
    X, y = rows
    model = SoftmaxRegression(X.shape[1], 3)
    settings = TrainingSettings(optimizer="lbfgs", l2=1e-2, tolerance=1e-9, epochs=300)
    history = train(model, X, y, settings)
    assert history[-1]["converged"]
    objective = Objective(model, 1e-2)
    _, gradient = objective.value_and_gradient(partial_sums(model, X, y))
    assert np.abs(gradient).max() <= 1e-8
    losses = [record["objective"] for record in history]
    assert all(b <= a + 1e-15 for a, b in zip(losses, losses[1:], strict=False))
    # the same minimum from another start (J is strictly convex with L2, but for the
    # softmax biases' common shift, which no gradient changes)
    other = SoftmaxRegression(X.shape[1], 3, init="random", seed=5)
    shift = other.theta[-1].mean()
    train(other, X, y, settings)
    assert other.theta[-1].mean() == pytest.approx(shift, abs=1e-12)
    other.theta[-1] -= shift
    np.testing.assert_allclose(other.theta, model.theta, atol=1e-7)


def test_lbfgs_matches_scikit_learn_on_the_same_objective(rows):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = rows
    binary = y == 0
    model = LogisticRegression(X.shape[1])
    train(model, X, binary.astype(int), TrainingSettings(optimizer="lbfgs", l2=1e-2,
                                                         tolerance=1e-10, epochs=500))
    # scikit-learn: C·Σ loss + ½‖w‖² = N·C·(mean loss + (1/(2NC))‖w‖²), so λ₂ = 1/(N·C)
    peer = linear_model.LogisticRegression(C=1 / (1e-2 * X.shape[0]), tol=1e-12,
                                           max_iter=5000)
    peer.fit(X[:, :-1], binary)
    np.testing.assert_allclose(model.theta[:-1], peer.coef_[0], atol=1e-5)
    assert model.theta[-1] == pytest.approx(peer.intercept_[0], abs=1e-5)


def test_textclf_train_with_lbfgs_on_one_machine(capsys, tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                            for t, y in zip(TEXTS, LABELS, strict=True)))
    status, out, err = run_cli(capsys, "train", data, "-o", tmp_path / "m.textclf",
                               "--optimizer", "lbfgs", "--l2", "1e-3", "--top", "0")
    assert status == 0, err
    assert "iteration   1/100" in err and "L-BFGS: CONVERGENCE" in err
    clf = TextClassifier.load(tmp_path / "m.textclf")
    assert clf.training_settings.optimizer == "lbfgs" and clf.training_settings.epochs == 100
    assert clf.history[-1]["converged"] and clf.history[-1]["evaluations"] >= len(clf.history)


def test_lbfgs_refuses_what_it_cannot_minimise():
    with pytest.raises(SettingsError, match="L1 needs the proximal steps"):
        TextClassifier(optimizer="lbfgs", l1=1e-4, min_df=1).fit(TRAIN_TEXTS, TRAIN_LABELS)
    with pytest.raises(SettingsError, match="set dropout to 0"):
        TextClassifier(model="mlp", optimizer="lbfgs", min_df=1).fit(TRAIN_TEXTS, TRAIN_LABELS)
    with pytest.raises(SettingsError, match="tolerance must be a number > 0"):
        TextClassifier(tolerance=0.0)


def test_lbfgs_trains_a_network_without_dropout_and_stops_early_on_dev():
    clf = TextClassifier(model="mlp", optimizer="lbfgs", dropout=0.0, hidden=(8,), min_df=1,
                         epochs=40, patience=2)
    dev_texts, dev_labels = noisy_corpus(60, classes=3, seed=8)
    clf.fit(TEXTS, LABELS, dev_texts, dev_labels)
    best = [r for r in clf.history if r.get("best")]
    assert len(best) == 1
    assert clf.evaluate(dev_texts, dev_labels).accuracy > 0.6


@pytest.mark.parametrize("block", [32, 96, 1000])
def test_rows_in_shards_train_exactly_as_the_stacked_rows(rows, block):
    X, y = rows
    shards = [(X[:50], y[:50]), (X[50:51], y[50:51]), (X[51:220], y[51:220]),
              (X[220:], y[220:])]
    settings = TrainingSettings(epochs=3, batch_size=32, eta=1.0, schedule="linear", seed=4)
    thetas = []
    for source in (InMemoryRows(X, y), ShardedRows(shards, block)):
        model = SoftmaxRegression(X.shape[1], 3)
        Trainer(model, settings).fit(source)
        thetas.append(model.theta)
    np.testing.assert_array_equal(thetas[0], thetas[1])


def test_sharded_rows_gather_the_rows_asked_for_in_their_order(rows):
    X, y = rows
    rows = ShardedRows([(X[:100], y[:100]), (X[100:], y[100:])], 64)
    wanted = np.array([250, 3, 99, 100, 17, 299])
    assert (rows.rows(wanted) != X[wanted]).nnz == 0


@pytest.mark.parametrize("settings", [{"min_df": 1}, {"min_df": 3},
                                      {"min_df": 1, "max_features": 25, "ngrams": 3}])
def test_a_vocabulary_from_merged_document_frequencies_is_the_fitted_one(settings):
    fitted = Featurizer(**settings).fit(TEXTS)
    counts: dict[str, int] = {}
    for part in (TEXTS[:90], TEXTS[90:91], TEXTS[91:]):  # counted apart, added up
        counter = VocabularyFeaturizer(ngrams=settings.get("ngrams", 2), min_df=1).fit(part)
        for term, df in zip(counter.terms, counter.document_frequency, strict=True):
            counts[term] = counts.get(term, 0) + int(df)
    merged = VocabularyFeaturizer.from_document_frequencies(counts, len(TEXTS),
                                                            fitted.settings)
    assert merged.terms == list(fitted.terms)
    np.testing.assert_array_equal(merged.idf, fitted.idf)
    assert (merged.transform(TEXTS) != fitted.transform(TEXTS)).nnz == 0
    with pytest.raises(SettingsError, match="zero documents"):
        VocabularyFeaturizer.from_document_frequencies({}, 0, fitted.settings)


def test_collision_counts_merge_to_those_of_one_pass():
    whole = HashingFeaturizer(hash_bits=6, ngrams=2)
    whole.fit(TEXTS)
    merged = CollisionCounter(1 << 6)
    for part in (TEXTS[:120], TEXTS[120:]):
        half = HashingFeaturizer(hash_bits=6, ngrams=2)
        half.fit(part)
        merged.merge(half.collisions)
    assert merged.count == whole.collisions.count > 0
    np.testing.assert_array_equal(merged.shared, whole.collisions.shared)


def test_a_corpus_file_at_a_url_is_read_through_fsspec(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    url = "memory://textclf-test/part-0.jsonl.gz"
    with fsspec.open(url, "wb") as handle:
        handle.write(gzip.compress(b'{"text": "a fine film", "label": "pos"}\n{"text": 3}\n'))
    with pytest.raises(DataError, match=r"memory://textclf-test/part-0.jsonl.gz, line 2: "
                       "field 'text' is not a string"):
        read_corpus(url)
    with pytest.raises(DataError, match="memory://textclf-test/none.jsonl: no such file"):
        read_corpus("memory://textclf-test/none.jsonl")
    local = tmp_path / "local.jsonl"
    local.write_text('{"text": "a film", "label": "pos"}\n')
    assert read_corpus(f"file://{local}").texts == ["a film"]


def test_sums_of_sparse_x_in_float32_stay_float64():
    X = sp.csr_matrix(np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 1.0]], dtype=np.float32))
    model = LogisticRegression(3)
    sums = partial_sums(model, X, np.array([0, 1]))
    assert sums.gradient["theta"].dtype == np.float64


def test_a_model_weighs_what_its_parameters_weigh():
    import sys

    model = SoftmaxRegression(1000, 4)
    assert sys.getsizeof(model) >= model.theta.nbytes  # what a Dask scheduler weighs


def test_a_weight_of_two_counts_a_row_twice_in_the_sums(rows):
    X, y = rows
    model = SoftmaxRegression(X.shape[1], 3, init="random", seed=1)
    new = block_sums(model, [(X, y, None, None)])
    assert new.rows == 300
    doubled = block_sums(model, [(X, y, np.full(300, 2.0), None)])
    assert doubled.rows == 600 and doubled.loss == pytest.approx(2 * new.loss, rel=1e-12)


def test_an_lbfgs_run_checkpoints_its_iterations_and_refuses_partial_fit(tmp_path):
    texts = [f"{w} film {i}" for i in range(40) for w in ("good", "bad")]
    labels = ["pos", "neg"] * 40
    path = tmp_path / "m.textclf"
    clf = TextClassifier(optimizer="lbfgs", epochs=5, min_df=1, weighting="tfidf",
                         char_ngrams=None)
    clf.fit(texts, labels, checkpoint=path)
    saved = TextClassifier.load(path)
    assert len(saved.history) == len(clf.history) >= 1
    assert saved.history[-1]["epoch"] == clf.history[-1]["epoch"]
    with pytest.raises(SettingsError, match="partial_fit takes mini-batch steps"):
        TextClassifier(optimizer="lbfgs", hash_bits=8).partial_fit(texts, labels,
                                                                   classes=["neg", "pos"])
