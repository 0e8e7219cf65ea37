"""Training on a Dask cluster (textclf.distributed): the same vocabulary, features and θ as
one process, the two modes, a killed worker, bad input and unreachable schedulers.

The clusters are LocalClusters of worker processes on this machine (two workers unless a
test needs one); the command-line tests start ``dask scheduler`` and ``dask worker``."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from cluster_corpus import noisy_corpus, write_shards

from textclf import ClusterError, DataError, SettingsError, TextClassifier
from textclf.corpus import read_corpus
from textclf.features import Featurizer

distributed = pytest.importorskip("distributed", reason="the dask extra: pip install "
                                  "'textclf[dask]'")

# what a cluster makes: word n-grams weighted without labels (the nb weightings and
# character n-grams of the out-of-the-box features are not made on a cluster yet)
WORDS = {"weighting": "tfidf", "char_ngrams": None}
TIGHT = {"l2": 1e-2, "tolerance": 1e-10, "epochs": 500}  # L-BFGS run to its minimum
# A few L-BFGS iterations: the same sums give the same path, to rounding
FEW = {"l2": 1e-2, "epochs": 6, "distributed": "exact"}


def local_cluster(workers: int):
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    silence_logs=logging.CRITICAL, dashboard_address=":0")


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as cluster, distributed.Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def one_worker():
    with local_cluster(1) as cluster, distributed.Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def binary(tmp_path_factory) -> tuple[list[Path], list[str], list[str]]:
    texts, labels = noisy_corpus(400, classes=2, seed=1)
    return write_shards(tmp_path_factory.mktemp("binary"), texts, labels), texts, labels


@pytest.fixture(scope="module")
def three_classes(tmp_path_factory) -> tuple[list[Path], list[str], list[str]]:
    texts, labels = noisy_corpus(300, classes=3, seed=2)
    return write_shards(tmp_path_factory.mktemp("three"), texts, labels), texts, labels


@pytest.mark.parametrize("corpus", ["binary", "three_classes"])
def test_exact_mode_gives_the_single_process_lbfgs_theta(client, corpus, request):
    paths, texts, labels = request.getfixturevalue(corpus)
    on_cluster = TextClassifier(distributed="exact", **TIGHT).fit_dask(client, paths)
    alone = TextClassifier(**WORDS, optimizer="lbfgs", **TIGHT).fit(texts, labels)
    assert on_cluster.model.kind == ("logistic" if corpus == "binary" else "softmax")
    assert on_cluster.featurizer.terms == alone.featurizer.terms
    np.testing.assert_array_equal(on_cluster.featurizer.idf, alone.featurizer.idf)
    assert on_cluster.training_settings.optimizer == "lbfgs"
    assert on_cluster.history[-1]["converged"]
    np.testing.assert_allclose(on_cluster.model.theta, alone.model.theta, rtol=0, atol=1e-8)
    assert on_cluster.cluster_report["shards"] == 4 and on_cluster.cluster_report["groups"] == 2
    theta = on_cluster.model.theta.nbytes  # θ went out, sums came back, per evaluation
    evaluations = on_cluster.history[0]["evaluations"]
    assert on_cluster.history[0]["bytes_to_workers"] == evaluations * theta
    assert on_cluster.history[0]["bytes_from_workers"] >= evaluations * theta


@pytest.mark.parametrize("corpus", ["binary", "three_classes"])
@pytest.mark.parametrize("features", [{}, {"hash_bits": 10}])
def test_average_mode_on_one_worker_is_a_local_sgd_run(one_worker, corpus, features, request):
    paths, texts, labels = request.getfixturevalue(corpus)
    settings = {"epochs": 4, "seed": 3, **features}
    on_cluster = TextClassifier(distributed="average", **settings).fit_dask(one_worker, paths)
    alone = TextClassifier(**WORDS, **settings).fit(texts, labels)  # the shards' rows in path order
    np.testing.assert_array_equal(on_cluster.model.theta, alone.model.theta)
    assert [r["train_accuracy"] for r in on_cluster.history] == \
        [r["train_accuracy"] for r in alone.history]


def test_average_mode_on_two_workers_mixes_two_models_of_similar_quality(client, binary):
    paths, texts, labels = binary
    mixed = TextClassifier(distributed="average", epochs=5).fit_dask(client, paths)
    alone = TextClassifier(**WORDS, epochs=5).fit(texts, labels)
    assert mixed.history[-1]["groups"] == 2
    assert not np.array_equal(mixed.model.theta, alone.model.theta)  # averaged, not one run
    test_texts, test_labels = noisy_corpus(300, classes=2, seed=9)
    gap = alone.evaluate(test_texts, test_labels).accuracy \
        - mixed.evaluate(test_texts, test_labels).accuracy
    assert abs(gap) < 0.05


def test_vocabulary_and_idf_are_those_of_one_process(client, binary):
    paths, texts, _ = binary
    for settings in ({"min_df": 2}, {"min_df": 1, "max_features": 40, "ngrams": 3}):
        clf = TextClassifier(**settings, epochs=1).fit_dask(client, paths)
        assert clf.feature_settings.weighting == "tfidf"  # the cluster's, not tfidf-nb
        alone = Featurizer(clf.featurizer.settings.replace()).fit(texts)
        assert list(clf.featurizer.terms) == list(alone.terms)
        np.testing.assert_array_equal(clf.featurizer.document_frequency,
                                      alone.document_frequency)
        np.testing.assert_array_equal(clf.featurizer.idf, alone.idf)
        assert clf.featurizer.n_documents == len(texts)


def test_hashed_features_are_those_of_one_process_also_from_urls(client, binary):
    paths, texts, labels = binary
    # two shards through fsspec (a URL), two as paths: the workers read both kinds
    shards = [f"simplecache::file://{paths[0]}", str(paths[1]), str(paths[2]),
              f"simplecache::file://{paths[3]}"]
    clf = TextClassifier(hash_bits=12, distributed="exact", **TIGHT).fit_dask(client, shards)
    alone = TextClassifier(**WORDS, hash_bits=12, optimizer="lbfgs", **TIGHT).fit(texts, labels)
    np.testing.assert_array_equal(clf.featurizer.document_frequency,
                                  alone.featurizer.document_frequency)
    assert clf.featurizer.collisions.count == alone.featurizer.collisions.count > 0
    np.testing.assert_allclose(clf.model.theta, alone.model.theta, rtol=0, atol=1e-8)


def test_a_killed_worker_is_replaced_and_exact_mode_ends_with_the_same_theta(binary):
    paths, _, _ = binary
    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        undisturbed = TextClassifier(**FEW).fit_dask(client, paths)
        pids = sorted(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_a_worker(iteration: int, record: dict) -> None:
            if iteration == 2 and not killed:  # its shards die with it
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        disturbed = TextClassifier(**FEW).fit_dask(client, paths, on_epoch_end=kill_a_worker)
        assert killed and killed[0] not in client.run(os.getpid).values()
    np.testing.assert_array_equal(disturbed.model.theta, undisturbed.model.theta)


def test_a_dask_bag_and_a_dask_dataframe_are_shards_too(client, binary):
    import dask.bag as db

    _, texts, labels = binary
    alone = TextClassifier(**WORDS, optimizer="lbfgs", **FEW).fit(texts, labels)
    items = [{"text": t, "label": y} for t, y in zip(texts, labels, strict=True)]
    bag = db.from_sequence(items, npartitions=3)
    from_bag = TextClassifier(**FEW).fit_dask(client, bag)
    np.testing.assert_allclose(from_bag.model.theta, alone.model.theta, rtol=0, atol=1e-10)
    pairs = db.from_sequence(list(zip(texts, labels, strict=True)), npartitions=2)
    assert TextClassifier(epochs=1).fit_dask(client, pairs).labels == ["neg", "pos"]
    dd = pytest.importorskip("dask.dataframe")
    pandas = pytest.importorskip("pandas")
    frame = dd.from_pandas(pandas.DataFrame({"review": texts, "label": labels}), npartitions=3)
    from_frame = TextClassifier(**FEW).fit_dask(client, frame, text_field="review")
    np.testing.assert_allclose(from_frame.model.theta, alone.model.theta, rtol=0, atol=1e-10)
    with pytest.raises(DataError, match=r"partition \d: no column 'text' \(columns: review"):
        TextClassifier().fit_dask(client, frame)


def test_a_bad_item_of_a_bag_is_named(client):
    import dask.bag as db

    bag = db.from_sequence([("a b", "x"), ("c d", "y"), 42], npartitions=1)
    with pytest.raises(DataError, match="partition 0, item 2: expected a Document"):
        TextClassifier().fit_dask(client, bag)


def test_a_broken_shard_stops_the_run_naming_its_file_and_line(client, binary, tmp_path):
    paths, _, _ = binary
    broken = tmp_path / "part-9.jsonl"
    lines = paths[0].read_text().splitlines()
    lines[6] = '{"text": broken'
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"{broken}, line 7: not valid JSON"):
        TextClassifier().fit_dask(client, [*map(str, paths[1:]), str(broken)])
    with pytest.raises(DataError, match=rf"{broken}, line 7: not valid JSON"):
        read_corpus(broken)  # the message of a local run


def test_missing_shards_and_folders_are_refused_before_any_work(client, tmp_path):
    with pytest.raises(DataError, match="no file matches"):
        TextClassifier().fit_dask(client, str(tmp_path / "nothing-*.jsonl"))
    with pytest.raises(DataError, match="is a folder"):
        TextClassifier().fit_dask(client, str(tmp_path))


def test_settings_a_mode_cannot_use_are_refused(client, binary):
    paths, _, _ = binary
    with pytest.raises(SettingsError, match="exact mode .* minimises with L-BFGS, not adam"):
        TextClassifier(distributed="exact", optimizer="adam").fit_dask(client, paths)
    with pytest.raises(SettingsError, match="average mode .* runs SGD epochs"):
        TextClassifier(distributed="average", optimizer="lbfgs").fit_dask(client, paths)
    with pytest.raises(SettingsError, match="logistic and softmax regression"):
        TextClassifier(model="mlp").fit_dask(client, paths)
    with pytest.raises(SettingsError, match="dask must be local:N"):
        TextClassifier(dask="somewhere")


def test_an_unreachable_scheduler_is_a_clear_error_within_the_timeout(binary):
    paths, _, _ = binary
    started = time.monotonic()
    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at "
                       r"tcp://127.0.0.1:1 within 2 s"):
        TextClassifier(dask="tcp://127.0.0.1:1", dask_timeout=2).fit_dask(None, paths)
    assert time.monotonic() - started < 20


def test_average_mode_warns_of_shards_sorted_by_label(client, tmp_path):
    texts, labels = noisy_corpus(200, classes=2, seed=3)
    order = np.argsort(labels, kind="stable")
    paths = write_shards(tmp_path, [texts[i] for i in order], [labels[i] for i in order])
    with pytest.warns(UserWarning, match="worker group 0 hold other labels than the corpus"):
        TextClassifier(distributed="average", epochs=1).fit_dask(client, paths)


def test_a_cluster_run_calibrates_on_dev_data_as_one_process_does(client, binary):
    paths, texts, labels = binary
    clf = TextClassifier(calibrate=True, epochs=3).fit_dask(client, paths,
                                                           dev=(texts[:60], labels[:60]))
    assert clf.calibration is not None and clf.model.temperature == \
        clf.calibration["temperature"] != 1.0
    with pytest.raises(SettingsError, match="calibration .* is fitted on dev data"):
        TextClassifier(calibrate=True).fit_dask(client, paths)
