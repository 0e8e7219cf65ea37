"""Training on a Dask cluster (textclf.distributed): what one process trains, with the same
vocabulary, features, ratios and θ; the two modes; training on, checkpoints and resuming; a
killed worker, bad input and unreachable schedulers.

The clusters are LocalClusters of worker processes on this machine (two workers unless a
test needs one), shared by the tests of this module; the command-line tests start
``dask scheduler`` and ``dask worker``."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from cluster_corpus import noisy_corpus, tagged_corpus, write_jsonl_shards, write_shards

from textclf import ClusterError, DataError, SettingsError, TextClassifier
from textclf.corpus import read_corpus
from textclf.distributed.reduction import worker_transfer_bytes
from textclf.features import Featurizer
from textclf.fitting.cluster import fit_cluster
from textclf.fitting.settings import RunOptions

distributed = pytest.importorskip("distributed", reason="the dask extra: pip install "
                                  "'textclf[dask]'")

# L-BFGS run to its minimum: on the cluster its iterations are max_iter, in one process epochs
TIGHT = {"l2": 1e-2, "tolerance": 1e-10}
# A few L-BFGS iterations: the same sums give the same path, to rounding
FEW = {"l2": 1e-2, "max_iter": 6, "distributed": "exact"}
# What the average mode holds against one process on these small corpora (300-400 texts
# scored on 300 others: one text is 0.33 points)
AVERAGE_TOLERANCE = 0.04


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


@pytest.fixture(scope="module")
def weighted(tmp_path_factory) -> tuple[list[Path], list[str], list[str], list[float]]:
    """Three classes, each document with a weight (some 0) in a JSONL field."""
    texts, labels = noisy_corpus(300, classes=3, seed=6)
    weights = [float(w) for w in np.random.default_rng(6).choice([0, 0.5, 1, 3], 300)]
    paths = write_jsonl_shards(tmp_path_factory.mktemp("weighted"), texts, labels,
                               weights=weights)
    return paths, texts, labels, weights


@pytest.fixture(scope="module")
def tagged(tmp_path_factory) -> tuple[list[Path], list[str], list[list[str]]]:
    """Multi-label documents (any number of three labels) in JSONL shards."""
    texts, labels = tagged_corpus(300, seed=7)
    return write_jsonl_shards(tmp_path_factory.mktemp("tagged"), texts, labels), texts, labels


def trained(client, paths, *, options: RunOptions | None = None,
            start: TextClassifier | None = None, overrides=None,
            **settings) -> TextClassifier:
    """A classifier of ``settings`` trained on the shards ``paths`` (weights from the field
    ``weight``, where the shards have it), or ``start`` trained on with ``overrides`` (as
    ``textclf train --dask ... --init-from``)."""
    clf = TextClassifier(**settings)
    if start is not None:
        start.settings.run, clf = clf.settings.run, start
    weighted_shards = "weight" in Path(paths[0]).read_text().split("\n", 1)[0]
    if start is None and options is None:
        return clf.fit_dask(client, paths, weight_field="weight" if weighted_shards else None)
    clf.fitted = fit_cluster(clf.settings, client, paths, options=options,
                             start=None if start is None else start.fitted,
                             overrides=overrides,
                             weight_field="weight" if weighted_shards else None)
    return clf


def accuracy(clf: TextClassifier, test: tuple) -> float:
    return clf.evaluate(*test).accuracy


@pytest.mark.parametrize("corpus", ["binary", "three_classes"])
def test_exact_mode_gives_the_single_process_lbfgs_theta_with_the_default_features(
        client, corpus, request):
    paths, texts, labels = request.getfixturevalue(corpus)
    on_cluster = TextClassifier(distributed="exact", max_iter=500, **TIGHT).fit_dask(client,
                                                                                   paths)
    alone = TextClassifier(optimizer="lbfgs", epochs=500, **TIGHT).fit(texts, labels)
    assert on_cluster.model.kind == ("logistic" if corpus == "binary" else "softmax")
    # the out-of-the-box features: tf-idf times the nb ratios, character n-grams for these
    # short documents (auto), decided and learned as one process does
    settings = on_cluster.featurizer.settings
    assert settings.weighting == "tfidf-nb" and settings.char_ngrams == (2, 5)
    assert list(on_cluster.featurizer.terms) == list(alone.featurizer.terms)
    for mine, theirs in zip(on_cluster.featurizer.parts.values(),
                            alone.featurizer.parts.values(), strict=True):
        np.testing.assert_array_equal(mine.idf, theirs.idf)
        np.testing.assert_allclose(mine.nb.scale, theirs.nb.scale, rtol=0, atol=1e-12)
    assert on_cluster.training_settings.optimizer == "lbfgs"
    assert on_cluster.training_settings.epochs == 500  # max_iter
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
    alone = TextClassifier(**settings).fit(texts, labels)  # the shards' rows in path order
    np.testing.assert_array_equal(on_cluster.model.theta, alone.model.theta)
    assert [r["train_accuracy"] for r in on_cluster.history] == \
        [r["train_accuracy"] for r in alone.history]


def test_weights_and_multi_label_on_one_worker_are_a_local_sgd_run(one_worker, weighted,
                                                                    tagged):
    paths, texts, labels, weights = weighted
    on_cluster = trained(one_worker, paths, epochs=3, class_weight="balanced")
    alone = TextClassifier(epochs=3, class_weight="balanced").fit(texts, labels,
                                                                  sample_weight=weights)
    # the same rows and steps; the weights' scale to mean 1 summed in another order
    np.testing.assert_allclose(on_cluster.model.theta, alone.model.theta, rtol=1e-12,
                               atol=1e-12)
    paths, texts, labels = tagged
    on_cluster = trained(one_worker, paths, epochs=3)
    alone = TextClassifier(epochs=3).fit(texts, labels)
    assert on_cluster.model.kind == "multilabel" and on_cluster.labels == alone.labels
    np.testing.assert_array_equal(on_cluster.model.theta, alone.model.theta)


def test_the_corpus_stays_on_the_workers(one_worker, tmp_path):
    """What the worker sends outside training (to the client: facts, the featuriser, the
    nb totals) does not grow with the number of documents."""

    def sent_outside_training(documents: int) -> int:
        texts, labels = noisy_corpus(documents, classes=2, seed=documents)
        paths = write_shards(tmp_path / str(documents), texts, labels)
        before = worker_transfer_bytes(one_worker)
        clf = TextClassifier(hash_bits=10, char_ngrams=None, epochs=1).fit_dask(one_worker,
                                                                               paths)
        training = sum(r["bytes_from_workers"] for r in clf.history)
        assert clf.cluster_report["data_bytes"] > documents * 100  # what stayed
        return worker_transfer_bytes(one_worker) - before - training

    small, large = sent_outside_training(400), sent_outside_training(4000)
    assert abs(large - small) < 0.02 * small


def test_average_mode_on_two_workers_holds_one_process_accuracy(client, binary,
                                                                three_classes):
    for corpus, classes in ((binary, 2), (three_classes, 3)):
        paths, texts, labels = corpus
        mixed = TextClassifier(distributed="average").fit_dask(client, paths)
        alone = TextClassifier().fit(texts, labels)
        assert mixed.history[-1]["groups"] == 2
        assert not np.array_equal(mixed.model.theta, alone.model.theta)  # averaged
        test = noisy_corpus(300, classes=classes, seed=9)
        assert abs(accuracy(mixed, test) - accuracy(alone, test)) <= AVERAGE_TOLERANCE


def test_multi_label_data_and_weights_train_on_two_workers(client, weighted, tagged):
    paths, texts, labels, weights = weighted
    on_cluster = trained(client, paths, distributed="exact", max_iter=500,
                         class_weight="balanced", **TIGHT)
    alone = TextClassifier(optimizer="lbfgs", epochs=500, class_weight="balanced",
                           **TIGHT).fit(texts, labels, sample_weight=weights)
    np.testing.assert_allclose(on_cluster.model.theta, alone.model.theta, rtol=0, atol=1e-8)
    assert on_cluster.provenance["documents"] == sum(w > 0 for w in weights)
    paths, texts, labels = tagged
    on_cluster = trained(client, paths, distributed="exact", max_iter=500, **TIGHT)
    alone = TextClassifier(optimizer="lbfgs", epochs=500, **TIGHT).fit(texts, labels)
    assert on_cluster.multi_label and on_cluster.labels == ["mixed", "neg", "pos"]
    np.testing.assert_allclose(on_cluster.model.theta, alone.model.theta, rtol=0, atol=1e-8)
    mixed, alone = trained(client, paths), TextClassifier().fit(texts, labels)
    test_texts, test_labels = tagged_corpus(300, seed=8)
    scores = [clf.evaluate(test_texts, test_labels).micro_f1 for clf in (mixed, alone)]
    assert abs(scores[0] - scores[1]) <= AVERAGE_TOLERANCE


def test_character_ngrams_by_length_and_nb_beta(client, binary):
    paths, texts, labels = binary
    settings = {"char_ngrams": "2-4", "ngrams": 0, "weighting": "nb", "nb_beta": 0.5,
                "min_df": 1, **TIGHT}
    on_cluster = TextClassifier(distributed="exact", max_iter=500, **settings).fit_dask(
        client, paths)
    alone = TextClassifier(optimizer="lbfgs", epochs=500, **settings).fit(texts, labels)
    assert list(on_cluster.featurizer.parts) == ["chars"]
    assert list(on_cluster.featurizer.terms) == list(alone.featurizer.terms)
    np.testing.assert_allclose(on_cluster.model.theta, alone.model.theta, rtol=0, atol=1e-8)


def test_vocabulary_and_idf_are_those_of_one_process(client, binary):
    paths, texts, labels = binary
    for settings in ({"min_df": 2, "char_ngrams": None},
                     {"min_df": 1, "max_features": 40, "ngrams": 3, "weighting": "tfidf"}):
        clf = TextClassifier(**settings, epochs=1).fit_dask(client, paths)
        alone = Featurizer(clf.featurizer.settings.replace()).fit(texts, labels)
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
    clf = TextClassifier(hash_bits=12, distributed="exact", max_iter=500, **TIGHT).fit_dask(
        client, shards)
    alone = TextClassifier(hash_bits=12, optimizer="lbfgs", epochs=500, **TIGHT).fit(texts,
                                                                                     labels)
    np.testing.assert_array_equal(clf.featurizer.document_frequency,
                                  alone.featurizer.document_frequency)
    np.testing.assert_allclose(clf.featurizer.nb.scale, alone.featurizer.nb.scale, atol=1e-12)
    assert clf.featurizer.collisions.count == alone.featurizer.collisions.count > 0
    np.testing.assert_allclose(clf.model.theta, alone.model.theta, rtol=0, atol=1e-8)


def test_training_on_from_a_model_gives_the_single_process_theta(client, binary, tmp_path):
    paths, texts, labels = binary
    first = TextClassifier(epochs=2).fit(texts[:200], labels[:200])
    first.save(tmp_path / "first.textclf")
    start = TextClassifier.load(tmp_path / "first.textclf")
    featurizer = start.featurizer
    on_cluster = start.continue_training_dask(client, paths, distributed="exact",
                                              max_iter=500, **TIGHT)
    alone = TextClassifier.load(tmp_path / "first.textclf")
    alone.continue_training(texts, labels, optimizer="lbfgs", epochs=500, **TIGHT)
    assert on_cluster.featurizer is featurizer  # the model's own, kept
    np.testing.assert_allclose(on_cluster.model.theta, alone.model.theta, rtol=0, atol=1e-8)
    with pytest.raises(DataError, match="label 'mixed' is not one the model knows"):
        trained(client, write_shards(tmp_path / "three", *noisy_corpus(40, classes=3)),
                start=TextClassifier.load(tmp_path / "first.textclf"), overrides={})


def test_checkpoints_resume_to_the_theta_of_an_uninterrupted_run(client, binary, tmp_path):
    paths, texts, labels = binary
    whole = trained(client, paths, epochs=4, distributed="average")

    class StoppedError(Exception):
        pass

    def stop_after_two(epoch: int, record: dict) -> None:
        if epoch == 2:
            raise StoppedError

    model = tmp_path / "ckpt.textclf"
    with pytest.raises(StoppedError):
        trained(client, paths, epochs=4, options=RunOptions(stop_after_two, model))
    assert len(TextClassifier.load(model).history) == 2  # the model file of epoch 2
    resumed = trained(client, paths, epochs=4, options=RunOptions(checkpoint=model,
                                                                  resume=True))
    np.testing.assert_array_equal(resumed.model.theta, whole.model.theta)
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3, 4]
    with pytest.raises(SettingsError, match="holds no checkpoint of this run"):
        trained(client, paths, epochs=5, options=RunOptions(checkpoint=model, resume=True))
    # exact mode: L-BFGS starts again from the checkpoint's θ and ends at the same minimum
    exact = tmp_path / "exact.textclf"
    settings = {"distributed": "exact", "max_iter": 500, **TIGHT}
    with pytest.raises(StoppedError):
        trained(client, paths, options=RunOptions(stop_after_two, exact), **settings)
    resumed = trained(client, paths, options=RunOptions(checkpoint=exact, resume=True),
                      **settings)
    alone = TextClassifier(optimizer="lbfgs", epochs=500, **TIGHT).fit(texts, labels)
    assert resumed.history[2]["epoch"] == 3 and resumed.history[-1]["converged"]
    np.testing.assert_allclose(resumed.model.theta, alone.model.theta, rtol=0, atol=1e-6)


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
    alone = TextClassifier(optimizer="lbfgs", epochs=6, l2=1e-2).fit(texts, labels)
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


def test_shards_with_and_without_weights_are_refused(client, weighted, binary):
    with pytest.raises(DataError, match=rf"{binary[0][0]}, line 1: field 'weight' \(the "
                       r"weight\) is missing"):
        trained(client, [*weighted[0][:2], binary[0][0]])
    import dask.bag as db

    bag = db.from_sequence([{"text": "a b", "label": "x", "w": 1}, {"text": "c", "label": "y"}],
                           npartitions=1)
    with pytest.raises(DataError, match="item 1: some documents have a weight and others not"):
        fit_cluster(TextClassifier().settings, client, bag, weight_field="w")


def test_missing_shards_and_folders_are_refused_before_any_work(client, tmp_path):
    with pytest.raises(DataError, match="no file matches"):
        TextClassifier().fit_dask(client, str(tmp_path / "nothing-*.jsonl"))
    with pytest.raises(DataError, match="is a folder"):
        TextClassifier().fit_dask(client, str(tmp_path))


def test_settings_a_mode_cannot_use_are_refused(client, binary):
    paths, _, _ = binary
    with pytest.raises(SettingsError, match="exact mode .* minimises with L-BFGS, not adam"):
        TextClassifier(distributed="exact", optimizer="adam").fit_dask(client, paths)
    with pytest.raises(SettingsError, match=r"epochs \(--epochs\) counts the SGD epochs .* "
                       r"give max_iter \(--max-iter N\)"):
        TextClassifier(distributed="exact", epochs=5).fit_dask(client, paths)
    with pytest.raises(SettingsError, match="average mode .* runs SGD epochs"):
        TextClassifier(distributed="average", optimizer="lbfgs").fit_dask(client, paths)
    with pytest.raises(SettingsError, match=r"max_iter \(--max-iter\) counts the L-BFGS"):
        TextClassifier(distributed="average", max_iter=5).fit_dask(client, paths)
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
