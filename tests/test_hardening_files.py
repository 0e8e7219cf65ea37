"""Issue 25's defects of model files, the command line and the cluster, each reproduced as
it was reported: a model file is refused for the numbers it holds (not only for its
structure) in one line, never predicts NaN; an unreachable cluster fails within
--dask-timeout; out of memory says what ran out; two writers of one file cannot both
"save" it. The last test is a property: whatever number a model file holds, it loads and
predicts finite probabilities, or is refused in one line, in bounded memory."""

from __future__ import annotations

import io
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, SMALL, TRAIN_LABELS, TRAIN_TEXTS, run_cli, sealed
from crafting import crafted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textclf import ModelFileError, SettingsError, TextClassifier
from textclf.core import modelfile
from textclf.errors import ClusterError

BASE = CORPUS / "docs.jsonl"
QUICK = ["--min-df", "1", "--epochs", "3", "--batch-size", "4", "-q"]
PROBES = ["a great film", "", "awful awful awful " * 50, "café — 映画 !!"]


def refused(status: int, err: str, *fragments: str) -> None:
    """Exit status 1 and one error line (after any warnings), no traceback."""
    lines = err.strip().splitlines()
    assert status == 1 and lines[-1].startswith("textclf: error: "), err
    assert all(line.startswith("textclf: warning: ") for line in lines[:-1]), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


THREE = [label if i % 3 else "meh" for i, label in enumerate(TRAIN_LABELS)]
KINDS = {  # small models of every kind, and the featurisers and weightings with numbers
    "logistic": ({}, TRAIN_LABELS),
    "softmax": ({"model": "softmax"}, THREE),
    "mlp": ({"model": "mlp", "hidden": (4,)}, THREE),
    "hashing": ({"hash_bits": 6, "features": "tfidf"}, TRAIN_LABELS),
    "chars": ({"char_ngrams": (2, 3)}, TRAIN_LABELS),
    "multilabel": ({}, [[label] if i % 2 else [] for i, label in enumerate(TRAIN_LABELS)]),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("kinds")
    paths = {}
    for kind, (options, labels) in KINDS.items():
        paths[kind] = folder / f"{kind}.textclf"
        TextClassifier(**{**SMALL, "epochs": 5, **options}).fit(TRAIN_TEXTS, labels).save(
            paths[kind])
    return paths


def set_first(name: str, *values):
    """A change setting the first entries of array ``name`` to ``values``."""
    def change(meta, arrays):
        arrays[name].reshape(-1)[: len(values)] = values
    return change


# 10. numbers that cannot give probabilities ---------------------------------------------------

NUMBERS = [
    ("logistic", set_first("model.theta", 1e308, -1e308), "can make scores overflow"),
    ("logistic", lambda m, a: m["model"].update(temperature=5e-324), "temperature must be"),
    ("logistic", lambda m, a: m["model"].update(temperature=1e308), "temperature must be"),
    ("mlp", lambda m, a: [a[k].fill(1e200) for k in a if k.startswith("model.")],
     "can make scores overflow"),
    ("hashing", set_first("featurizer.document_frequency", -1), "document frequency is below"),
    ("logistic", set_first("featurizer.idf", -1.0), "idf values are not"),
    ("logistic", set_first("featurizer.idf", 1e300), "idf values are not"),
    ("logistic", set_first("featurizer.nb_scale", 1e300), "nb_scale holds values"),
    ("logistic", lambda m, a: m["featurizer"].update(n_documents=10**400), "n_documents"),
    ("softmax", lambda m, a: m["model"].update(temperature=0.0), "temperature must be"),
]


@pytest.mark.parametrize("kind, change, message", NUMBERS,
                         ids=[f"{kind}-{message.split()[-1]}-{i}"
                              for i, (kind, _, message) in enumerate(NUMBERS)])
def test_numbers_that_cannot_give_probabilities_are_refused_in_one_line(saved, capsys, kind,
                                                                        change, message):
    """θ of 1e308, a temperature of 5e-324 or 1e308, network weights of 1e200, document
    frequencies of −1, idf of −1 or 1e300 passed every check: `textclf predict` printed
    nan and exited 0."""
    path = crafted(saved[kind], change)
    with pytest.raises(ModelFileError, match=message):
        TextClassifier.load(path)
    for verb in ("predict", "explain"):
        status, out, err = run_cli(capsys, verb, path, "--text", "a great film")
        refused(status, err, message)
        assert "nan" not in out


# 11. settings that size work --------------------------------------------------------------------

def test_an_ngram_order_that_would_allocate_gigabytes_is_refused(saved):
    """A 600 KB file with ngrams 12000 peaked at 2.5 GB on its first prediction."""
    path = crafted(saved["logistic"], lambda m, a: m["featurizer"]["settings"].update(
        ngrams=12000))
    with pytest.raises(ModelFileError, match="ngrams must be an integer ≥ 0 and ≤ 16"):
        TextClassifier.load(path)


def meta_member(meta: dict, padding: int) -> bytes:
    """meta.json with ``padding`` bytes of ``{},`` in a list of its own (valid JSON)."""
    items = b"{}," * (padding // 3)
    return json.dumps(meta).encode()[:-1] + b', "padding": [' + items + b"{}]}"


def test_a_large_meta_json_is_refused_before_it_is_parsed(saved, monkeypatch):
    """A 100 KB file with 100 MiB of `{},` in meta.json peaked at 2.7 GB before being
    refused: it was parsed, then found too large. (9 MiB here; json.loads must not run.)"""
    with zipfile.ZipFile(saved["logistic"]) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["meta.json"] = meta_member(json.loads(members["meta.json"]), 9 << 20)
    path = saved["logistic"].with_name("large_meta.textclf")
    path.write_bytes(sealed(members))
    parsed = []
    real_loads = modelfile.json.loads
    monkeypatch.setattr(modelfile.json, "loads", lambda *a, **k: parsed.append(1) or
                        real_loads(*a, **k))
    with pytest.raises(ModelFileError, match="meta.json is"):
        TextClassifier.load(path)
    assert parsed == []


# 13. tracebacks where one line is promised ------------------------------------------------------

def fewer_classes(n: int):
    def change(meta, arrays):
        meta["labels"] = meta["labels"][:n]
        meta["model"]["n_classes"] = n
        arrays["model.theta"] = np.ascontiguousarray(arrays["model.theta"][:, :n])
    return change


@pytest.mark.parametrize("n_classes", [0, 1])
@pytest.mark.parametrize("verb", ["predict", "inspect", "explain"])
def test_models_of_fewer_than_two_classes_are_refused_in_one_line(saved, capsys, n_classes,
                                                                  verb):
    path = crafted(saved["softmax"], fewer_classes(n_classes))
    text = [] if verb == "inspect" else ["--text", "a great film"]
    status, _, err = run_cli(capsys, verb, path, *text)
    refused(status, err, f"a softmax model of {n_classes} classes (it needs at least 2)")


def npy_with_header(array_member: bytes, header: str) -> bytes:
    """An npy member of the same data under another header (padded as npy pads it)."""
    length = int.from_bytes(array_member[8:10], "little")
    text = header.encode("latin-1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return array_member[:8] + len(text).to_bytes(2, "little") + text + array_member[10 + length:]


@pytest.mark.parametrize("extra", ["1: 2", "'x': {[]: 1}"])
def test_an_npy_header_numpy_cannot_sort_is_refused_in_one_line(saved, extra):
    with zipfile.ZipFile(saved["logistic"]) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = "arrays/model.theta.npy"
    shape = np.load(io.BytesIO(members[name])).shape
    members[name] = npy_with_header(members[name], f"{{'descr': '<f8', 'fortran_order': False, "
                                                   f"'shape': {shape}, {extra}}}")
    path = saved["logistic"].with_name("header.textclf")
    path.write_bytes(sealed(members))
    with pytest.raises(ModelFileError, match="no valid npy header"):
        TextClassifier.load(path)


def test_an_address_dask_does_not_know_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    status, _, err = run_cli(capsys, "train", BASE, "-o", tmp_path / "m.textclf", "--dask",
                             "foo://bar", "--dask-timeout", "5", *QUICK)
    refused(status, err, "foo://bar: not an address Dask can reach")


# 14. the cluster within --dask-timeout; what ran out of memory ------------------------------------

@pytest.fixture
def listener():
    """A TCP port that accepts connections and either never answers (``answer`` None) or
    sends ``answer`` at once; its connections stay open until the test ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held, stop, reply = [], threading.Event(), {"answer": None}

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            if reply["answer"] is not None:
                connection.sendall(reply["answer"])
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], reply
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.parametrize("answer", [None, b"SSH-2.0-OpenSSH_9.6\r\n" + b"\xff" * 64],
                         ids=["silent", "another protocol"])
def test_a_service_that_is_not_a_dask_scheduler_fails_within_the_timeout(listener, answer):
    """A TCP service that never answers was still waited for at 60 s with --dask-timeout 5;
    one that answers something else ended in 'not enough memory (a smaller --hidden…)'."""
    pytest.importorskip("distributed")
    from textclf.distributed.cluster import connect

    port, reply = listener
    reply["answer"] = answer
    start = time.monotonic()
    with pytest.raises(ClusterError, match="did not answer within 1 s|does not answer as a "
                       "Dask scheduler"), connect(f"tcp://127.0.0.1:{port}", 1.0):
        pass
    assert time.monotonic() - start < 1.0 + 4.0


def test_a_scheduler_file_that_does_not_exist_fails_within_the_timeout(tmp_path):
    pytest.importorskip("distributed")
    from textclf.distributed.cluster import connect

    start = time.monotonic()
    with pytest.raises(ClusterError, match="scheduler file .* does not exist \\(waited 1 s"), \
            connect(str(tmp_path / "scheduler.json"), 1.0):
        pass
    assert time.monotonic() - start < 1.0 + 4.0


@pytest.mark.parametrize("where, advice", [
    ("textclf.corpus.sources.block_batches", "while reading the data"),  # (JSONL's reader)
    ("textclf.models.logistic.initial_parameters", "for the model's parameters"),
])
def test_out_of_memory_says_what_ran_out(tmp_path, capsys, monkeypatch, where, advice):
    """/dev/zero as DATA and 100k distinct labels both ended in 'a smaller --hidden ...'."""
    import importlib

    module_name, name = where.rsplit(".", 1)
    module = importlib.import_module(module_name)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(module, name, exhausted)
    status, _, err = run_cli(capsys, "train", BASE, "-o", tmp_path / "m.textclf", *QUICK)
    refused(status, err, "not enough memory " + advice)
    if "reading" in advice:
        assert "--hidden" not in err


# 15. one writer of a file at a time; nothing but regular files ------------------------------------

def test_a_second_writer_of_the_same_file_fails_in_one_line(tmp_path, capsys):
    """Two `train -o same.textclf` at once both said "model saved"; one model was lost."""
    path = tmp_path / "same.textclf"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from textclf.core.output import claim\n"
         "claim(__import__('pathlib').Path(sys.argv[1]))\n"
         "print('held', flush=True)\n"
         "time.sleep(60)\n", str(path)],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    try:
        assert holder.stdout.readline().strip() == "held"
        status, _, err = run_cli(capsys, "train", BASE, "-o", path, *QUICK)
        refused(status, err, "another textclf process", f"pid {holder.pid}", "is writing")
        assert not path.exists()
    finally:
        holder.kill()
        holder.wait(timeout=10)
    status, _, err = run_cli(capsys, "train", BASE, "-o", path, *QUICK)  # its lock is free
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.textclf"]  # no lock left


def test_a_symbolic_link_is_never_replaced_even_with_force(tmp_path, capsys):
    """`train -o /dev/stdout --force` as root replaced the /dev/stdout link with the model
    (a link to a regular file passed every check)."""
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    link = tmp_path / "stdout"
    link.symlink_to(target)
    status, _, err = run_cli(capsys, "train", BASE, "-o", link, "--force", *QUICK)
    refused(status, err, "is a symbolic link")
    assert link.is_symlink() and target.read_text() == "keep me"
    clf = TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS)
    with pytest.raises(ModelFileError, match="symbolic link"):
        clf.save(link)
    assert link.is_symlink() and target.read_text() == "keep me"


# every number of a model file ---------------------------------------------------------------------

def numeric_settings(meta, path=()) -> list[tuple]:
    """The paths of every number in ``meta`` (booleans are not numbers here)."""
    if isinstance(meta, dict):
        return [found for key, value in meta.items() if key not in ("arrays", "format_version")
                for found in numeric_settings(value, (*path, key))]
    if isinstance(meta, list):
        return [found for i, value in enumerate(meta)
                for found in numeric_settings(value, (*path, i))]
    if isinstance(meta, int | float) and not isinstance(meta, bool):
        return [path]
    return []


def put(meta, path: tuple, value) -> None:
    for key in path[:-1]:
        meta = meta[key]
    meta[path[-1]] = value


def in_dtype(value: float | int, dtype: np.dtype) -> float | int:
    """``value`` as an array of ``dtype`` can hold it: an integer clipped to its range (a
    float that is not finite as 0), a float (an integer beyond its range as ±inf)."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        whole = int(value) if not isinstance(value, float) or math.isfinite(value) else 0
        return min(max(whole, int(info.min)), int(info.max))
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


NUMBERS_ANYWHERE = (st.floats(allow_nan=True, allow_infinity=True)
                    | st.sampled_from([0, -1, 1, 2, 10**6, 2**63, -(2**63), 10**400, 1e-320,
                                       5e-324, 1e308, -1e308])
                    | st.integers(-(2**70), 2**70))
MEMORY_BOUND = 200 << 20  # bytes; the files are a few KB, the probes a few hundred characters


def checked(path: Path) -> None:
    """Loaded and predicting finite probabilities, or refused in one line."""
    try:
        clf = TextClassifier.load(path)
    except ModelFileError as err:
        assert "\n" not in str(err)
        return
    probabilities = clf.predict_proba(PROBES)
    assert np.all(np.isfinite(probabilities))
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    if not clf.multi_label:
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    clf.explain(PROBES[0])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(sorted(KINDS)), in_meta=st.booleans(),
       value=NUMBERS_ANYWHERE, everywhere=st.booleans())
def test_any_number_in_a_model_file_loads_and_predicts_finite_or_is_refused(
        saved, data, kind, in_meta, value, everywhere):
    meta, arrays = modelfile.load(saved[kind])
    if in_meta:
        where = data.draw(st.sampled_from(numeric_settings(meta)), label="setting")

        def change(meta, arrays):
            put(meta, where, value)
    else:
        name = data.draw(st.sampled_from(sorted(arrays)), label="array")
        number = in_dtype(value, arrays[name].dtype)
        assume_size = arrays[name].size
        index = 0 if everywhere or assume_size == 0 else data.draw(
            st.integers(0, assume_size - 1), label="index")

        def change(meta, arrays):
            flat = arrays[name].reshape(-1)
            with np.errstate(over="ignore", invalid="ignore"):
                if everywhere:
                    flat[:] = number
                elif flat.size:
                    flat[index] = number

    path = crafted(saved[kind], change, f"any-{kind}.textclf")
    tracemalloc.start()
    try:
        checked(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, peak


# 13. crafted checkpoints on --resume: one line, never a traceback ------------------------------

def _checkpoint(tmp_path: Path, capsys) -> Path:
    """A momentum run's checkpoint after its first epochs (killed at epoch 3 of 6)."""
    model = tmp_path / "m.textclf"
    clf = TextClassifier(min_df=1, epochs=6, batch_size=4, optimizer="momentum", eta=0.5)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(TRAIN_TEXTS, TRAIN_LABELS, checkpoint=model,
                on_epoch_end=lambda epoch, _: (_ for _ in ()).throw(KeyboardInterrupt)
                if epoch == 3 else None)
    return model


@pytest.mark.parametrize("change", [
    lambda meta, arrays: meta["resume"]["trainer"].update(step_state=[1, 2]),
    lambda meta, arrays: meta["resume"]["trainer"].update(epoch=-5),
    lambda meta, arrays: meta["resume"]["trainer"].update(epoch=10**30),
    lambda meta, arrays: meta["resume"]["trainer"].update(step="many"),
    lambda meta, arrays: arrays.update({k: np.zeros(3) for k in arrays
                                        if k.startswith("resume.step.")}),
    lambda meta, arrays: arrays.update({k: np.full_like(v, np.nan) for k, v in arrays.items()
                                        if k.startswith("resume.step.")}),
], ids=["state-list", "epoch-negative", "epoch-huge", "step-text", "shape", "nan"])
def test_a_crafted_checkpoint_is_refused_in_one_line_on_resume(tmp_path, capsys, change):
    model = _checkpoint(tmp_path, capsys)
    bad = crafted(model, change, "m.textclf")  # in place of the checkpoint
    assert bad == model
    clf = TextClassifier(min_df=1, epochs=6, batch_size=4, optimizer="momentum", eta=0.5)
    with pytest.raises(SettingsError, match="the checkpoint's training state cannot be used"):
        clf.fit(TRAIN_TEXTS, TRAIN_LABELS, checkpoint=model, resume=True)
