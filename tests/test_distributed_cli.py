"""``textclf train --dask`` against real clusters: ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1, started and stopped by the tests; a scheduler lost mid-run; and
the one-line errors when dask is missing or the data is not files."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cluster_corpus import noisy_corpus, write_jsonl_shards, write_shards
from conftest import run_cli

import textclf
from textclf import TextClassifier

distributed = pytest.importorskip("distributed", reason="the dask extra: pip install "
                                  "'textclf[dask]'")

SOURCE = str(Path(textclf.__file__).resolve().parents[1])  # this textclf, for the workers
ENVIRONMENT = {**os.environ, "PYTHONPATH": SOURCE + os.pathsep + os.environ.get("PYTHONPATH",
                                                                               "")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(*command: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *command], env=ENVIRONMENT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    """End a process we started, and its children (a worker's nanny starts one)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def dask_cluster(workers: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes; their address."""
    address = f"tcp://127.0.0.1:{free_port()}"
    scheduler = start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                      address.rsplit(":", 1)[1], "--no-dashboard")
    started = [scheduler]
    try:
        started += [start("distributed.cli.dask_worker", address, "--nthreads", "1",
                          "--no-dashboard") for _ in range(workers)]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, scheduler
    finally:
        for process in reversed(started):
            stop(process)


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    texts, labels = noisy_corpus(400, classes=2, seed=4)
    return write_shards(tmp_path_factory.mktemp("shards"), texts, labels)


TEXTCLF = [sys.executable, "-c", "import sys; from textclf.cli import main; sys.exit(main())"]


def textclf_train(*argv: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*TEXTCLF, "train", *argv], env=ENVIRONMENT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_textclf_train_on_a_running_cluster_of_two_workers(shards, tmp_path):
    model, weighted, on = (tmp_path / name for name in ("cluster.textclf", "w.textclf",
                                                         "on.textclf"))
    texts, labels = noisy_corpus(400, classes=2, seed=4)
    weights = [1.0 + i % 3 for i in range(400)]
    weighted_shards = write_jsonl_shards(tmp_path / "weighted", texts, labels, 3, weights)
    with dask_cluster(workers=2) as (address, _):
        result = textclf_train(str(shards[0].parent / "part-*"), "-o", str(model),
                               "--dask", address, "--distributed", "exact", "--l2", "1e-3",
                               "--max-iter", "8", "--top", "2")
        # weights and class weights; then training on from that model, with checkpoints
        weighted_run = textclf_train(*map(str, weighted_shards), "-o", str(weighted),
                                     "--dask", address, "--weight-field", "weight",
                                     "--class-weight", "balanced", "--epochs", "3", "--quiet")
        training_on = textclf_train(*map(str, weighted_shards), "-o", str(on), "--dask",
                                    address, "--init-from", str(weighted), "--weight-field",
                                    "weight", "--epochs", "2", "--checkpoint", "--quiet")
        again = textclf_train(*map(str, weighted_shards), "-o", str(on), "--dask", address,
                              "--init-from", str(weighted), "--weight-field", "weight",
                              "--epochs", "2", "--resume", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 worker(s)" in result.stderr and "iteration   1/8" in result.stderr
    assert "400 documents in 4 shard(s) on 2 worker thread(s)" in result.stdout
    clf = TextClassifier.load(model)
    assert clf.labels == ["neg", "pos"] and clf.training_settings.optimizer == "lbfgs"
    # the model file of one process: the same featuriser, and θ to 1e-8
    alone = TextClassifier(optimizer="lbfgs", l2=1e-3, epochs=8).fit(texts, labels)
    assert clf.featurizer.settings == alone.featurizer.settings
    assert list(clf.featurizer.terms) == list(alone.featurizer.terms)
    np.testing.assert_allclose(clf.model.theta, alone.model.theta, rtol=0, atol=1e-8)
    test_texts, test_labels = noisy_corpus(200, classes=2, seed=5)
    assert clf.evaluate(test_texts, test_labels).accuracy > 0.75
    for run in (weighted_run, training_on, again):
        assert run.returncode == 0 and run.stdout == "", run.stderr
    assert TextClassifier.load(weighted).training_settings.class_weight == "balanced"
    trained_on = TextClassifier.load(on)
    assert len(trained_on.history) == 2  # --resume found the run complete: nothing more
    assert not np.array_equal(trained_on.model.theta, TextClassifier.load(weighted).model.theta)


@pytest.mark.slow
def test_a_lost_scheduler_ends_the_run_and_the_checkpoint_keeps_the_last_epoch(shards,
                                                                              tmp_path):
    model = tmp_path / "lost.textclf"
    with dask_cluster(workers=1) as (address, scheduler):
        run = subprocess.Popen(
            [*TEXTCLF, "train", *map(str, shards), "-o", str(model),
             "--dask", address, "--distributed", "average", "--epochs", "100000",
             "--checkpoint", "--dask-timeout", "5", "--top", "0"],
            env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not model.exists() and run.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            os.killpg(scheduler.pid, signal.SIGKILL)  # the scheduler goes, mid-run
            started = time.monotonic()
            _, stderr = run.communicate(timeout=120)
        finally:
            stop(run)
    assert run.returncode == 1
    assert time.monotonic() - started < 60
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("textclf: error: lost the connection to the Dask scheduler")
    assert f"{model} holds the model of epoch" in last and "Traceback" not in stderr
    saved = TextClassifier.load(model)
    assert saved.labels == ["neg", "pos"] and len(saved.history) >= 1


def test_several_data_files_need_a_cluster(capsys, shards, tmp_path):
    status, _, err = run_cli(capsys, "train", *shards[:2], "-o", tmp_path / "m.textclf")
    assert status == 1 and "several files are the shards of a cluster" in err
    assert not list(tmp_path.iterdir()), "a refused command leaves nothing (not its lock)"


def test_dask_without_the_extra_says_how_to_install_it(capsys, monkeypatch, shards, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    status, _, err = run_cli(capsys, "train", *shards, "-o", tmp_path / "m.textclf",
                             "--dask", "local:2")
    assert status == 1
    assert err.strip().splitlines()[-1] == ("textclf: error: training on a Dask cluster needs "
                                            "dask and distributed: pip install "
                                            "'textclf[dask]'")
    assert not (tmp_path / "m.textclf").exists()


def test_options_that_do_not_apply_to_a_cluster_are_refused(capsys, shards, tmp_path):
    status, _, err = run_cli(capsys, "train", *shards, "-o", tmp_path / "m.textclf",
                             "--dask", "local:1", "--stream", "--hash-bits", "8")
    assert status == 1 and "--stream does not apply with --dask" in err
    # refused before a cluster starts: each a one-line message naming the option to use
    status, _, err = run_cli(capsys, "train", *shards, "-o", tmp_path / "m.textclf",
                             "--dask", "local:1", "--distributed", "exact", "--epochs", "5")
    assert status == 1 and err.strip().splitlines()[-1] == (
        "textclf: error: epochs (--epochs) counts the SGD epochs of --distributed average; "
        "the exact mode runs L-BFGS: give max_iter (--max-iter N) for its iterations")
    status, _, err = run_cli(capsys, "train", str(shards[0]), "-o", tmp_path / "m.textclf",
                             "--max-iter", "5")
    assert status == 1 and "--max-iter counts the L-BFGS iterations of --dask" in err
    status, _, err = run_cli(capsys, "train", *shards, "-o", tmp_path / "m.textclf",
                             "--dask", "local:1", "--init-from", shards[0],
                             "--extend-vocabulary")
    assert status == 1 and "--extend-vocabulary does not apply with --dask" in err
    assert not (tmp_path / "m.textclf").exists()
