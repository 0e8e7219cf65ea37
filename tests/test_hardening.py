"""Issue 13's defects, each reproduced as it was reported; each must now end in one clear
line (or work), and never lose or corrupt data."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, SMALL, TRAIN_LABELS, TRAIN_TEXTS, run_cli, sealed

from textclf import DataError, ModelFileError, SettingsError, TextClassifier
from textclf.core import modelfile
from textclf.errors import NotFittedError

BASE = CORPUS / "docs.jsonl"
QUICK = ["--min-df", "1", "--epochs", "3", "--batch-size", "4", "-q"]


def refused(status: int, err: str, *fragments: str) -> None:
    assert status != 0
    assert err.strip().splitlines()[-1].startswith("textclf: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


# 1. L2 at or above 1/η --------------------------------------------------------------------------

@pytest.mark.parametrize("l2", ["0.03", "1", "1e6"])
@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_l2_of_any_strength_trains_a_finite_model(tmp_path, capsys, l2, model):
    """--l2 0.03 at η = 40 ended in ZeroDivisionError; --l2 1 in an all-NaN θ; softmax with
    λ 0.03-0.05 in |θ| up to 1e192."""
    path = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", BASE, "-o", path, "--model", model, "--l2", l2,
                             "--min-df", "1", "-q")
    assert status == 0, err
    clf = TextClassifier.load(path)
    assert np.all(np.isfinite(clf.model.theta))
    assert np.abs(clf.model.theta[:-1]).max() < 40.0 / float(l2) + 1.0
    assert all(label in ("neg", "pos") for label in clf.predict(TRAIN_TEXTS))


def test_a_diverging_run_stops_with_advice_and_writes_no_model(tmp_path, capsys):
    path = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", BASE, "-o", path, "--eta", "1e308",
                             "--schedule", "constant", "--weighting", "count", *QUICK)
    refused(status, err, "training diverged in epoch", "lower the learning rate")
    assert not path.exists()


# 2. -o ------------------------------------------------------------------------------------------

def test_the_training_corpus_is_never_overwritten(tmp_path, capsys):
    victim = tmp_path / "victim.jsonl"
    victim.write_bytes(BASE.read_bytes())
    status, _, err = run_cli(capsys, "train", victim, "-o", victim, *QUICK)
    refused(status, err, "exists and is not a textclf model file", "--force")
    assert victim.read_bytes() == BASE.read_bytes()
    status, _, err = run_cli(capsys, "train", victim, "-o", victim, "--force", *QUICK)
    assert status == 0, err  # asked for by name: a model replaces the file
    assert modelfile.is_model_file(victim)


def test_a_device_or_folder_is_never_replaced(tmp_path, capsys):
    status, _, err = run_cli(capsys, "train", BASE, "-o", "/dev/null", *QUICK)
    refused(status, err, "/dev/null: is not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    status, _, err = run_cli(capsys, "train", BASE, "-o", tmp_path, "--force", *QUICK)
    refused(status, err, "is a folder")


def test_output_errors_come_before_training(tmp_path, capsys, monkeypatch):
    status, _, err = run_cli(capsys, "train", BASE, "-o", tmp_path / "no" / "m.textclf",
                             "--min-df", "1", "--epochs", "3")
    refused(status, err, "folder", "does not exist")
    assert "epoch" not in err  # refused before the first epoch
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tmp_path
                        else real_access(path, mode))  # (root may write anywhere)
    status, _, err = run_cli(capsys, "train", BASE, "-o", tmp_path / "m.textclf",
                             "--min-df", "1", "--epochs", "3")
    refused(status, err, "is not writable")
    assert "epoch" not in err


def test_a_new_model_gets_the_umask_mode_and_a_rewritten_one_keeps_its_mode(tmp_path):
    clf = TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS)
    before = os.umask(0o022)
    try:
        clf.save(tmp_path / "new.textclf")
        assert stat.S_IMODE((tmp_path / "new.textclf").stat().st_mode) == 0o644
        os.chmod(tmp_path / "new.textclf", 0o640)
        clf.save(tmp_path / "new.textclf")
        assert stat.S_IMODE((tmp_path / "new.textclf").stat().st_mode) == 0o640
    finally:
        os.umask(before)


def test_stale_temporary_files_of_killed_writers_are_removed(tmp_path):
    clf = TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".m.textclf.{dead}.abc123.tmp"
    live = tmp_path / f".m.textclf.{os.getpid()}.def456.tmp"  # a writer still at work
    stale.write_bytes(b"half a model")
    live.write_bytes(b"being written")
    clf.save(tmp_path / "m.textclf")
    assert not stale.exists() and live.exists()


def test_a_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    clf = TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS)

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ModelFileError, match="No space left on device"):
        clf.save(tmp_path / "m.textclf")
    assert list(tmp_path.iterdir()) == []


# 3. readers -------------------------------------------------------------------------------------

def test_quoted_line_breaks_in_csv_and_tsv_are_kept(tmp_path):
    from textclf.corpus import read_corpus

    csv_path = tmp_path / "d.csv"
    csv_path.write_text('text,label\n"good film\nreally good",pos\n"bad,\r\nbad",neg\n',
                        encoding="utf-8")
    corpus = read_corpus(csv_path)
    assert corpus.texts == ["good film\nreally good", "bad,\r\nbad"]
    assert corpus.ids == ["d.csv:2", "d.csv:4"]  # the line each record starts on
    tsv_path = tmp_path / "d.tsv"
    tsv_path.write_text('text\tlabel\n"a\ttab\nand a break"\tpos\n', encoding="utf-8")
    assert read_corpus(tsv_path, require_labels=True).texts == ["a\ttab\nand a break"]


def test_folder_documents_keep_their_text_byte_for_byte(tmp_path):
    from textclf.corpus import read_corpus

    (tmp_path / "pos").mkdir()
    (tmp_path / "neg").mkdir()
    (tmp_path / "pos" / "a.txt").write_bytes(b"great film\r\n\n")
    (tmp_path / "neg" / "b.txt").write_bytes("\ufeffbad film  \n".encode("utf-8-sig")[3:])
    (tmp_path / "neg" / "c.txt").write_bytes("bad, in UTF-16\n".encode("utf-16"))
    corpus = read_corpus(tmp_path)
    assert corpus.texts == ["bad film  \n", "bad, in UTF-16\n", "great film\r\n\n"]


def test_a_bom_is_skipped_and_utf16_lines_are_refused_by_name(tmp_path):
    from textclf.corpus import read_corpus

    path = tmp_path / "bom.csv"
    path.write_bytes("text,label\ngood,pos\nbad,neg\n".encode("utf-8-sig"))
    assert read_corpus(path).labels == ["pos", "neg"]
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes('{"text": "a", "label": "pos"}\n'.encode("utf-16"))
    with pytest.raises(DataError, match=r"wide\.jsonl: is UTF-16 .* convert it"):
        read_corpus(wide)


# 4. labels --------------------------------------------------------------------------------------

@pytest.mark.parametrize("label", ["1.0", "true", "[1.0]", '{"a": 1}', "1e400", "NaN", '""',
                                   '"a\\nb"', '"tab\\there"', '["ok", ""]', "[[1]]"])
def test_labels_that_are_not_strings_or_integers_are_refused_by_line(tmp_path, label):
    from textclf.corpus import read_corpus

    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "good", "label": "pos"}\n'
                    f'{{"text": "bad", "label": {label}}}\n', encoding="utf-8")
    # (a list is a multi-label document's labels: each is checked, named by its place)
    with pytest.raises(DataError,
                       match=r"labels\.jsonl, line 2, field 'label'(\[\d\])?: the label"):
        read_corpus(path)


def test_integer_labels_become_their_decimal_strings_and_empty_csv_labels_are_refused(tmp_path):
    from textclf.corpus import read_corpus

    path = tmp_path / "ints.jsonl"
    path.write_text('{"text": "good", "label": 1}\n{"text": "bad", "label": 0}\n')
    assert read_corpus(path).labels == ["1", "0"]
    csv_path = tmp_path / "empty.csv"
    csv_path.write_text("text,label\ngood,pos\nbad,\n")
    with pytest.raises(DataError, match=r"empty\.csv, line 3, column 'label': the label is empty"):
        read_corpus(csv_path)
    with pytest.raises(DataError, match="labels, document 1: the label must be a string or an "
                                        "integer, not 1.5"):
        TextClassifier(**SMALL).fit(["a", "b"], ["pos", 1.5])


# 5. tracebacks ----------------------------------------------------------------------------------

def test_a_huge_integer_and_deep_nesting_end_in_one_line(tmp_path, capsys):
    path = tmp_path / "huge.jsonl"
    path.write_text('{"text": "a", "label": ' + "9" * 5000 + "}\n")
    status, _, err = run_cli(capsys, "train", path, "-o", tmp_path / "m.textclf")
    refused(status, err, "huge.jsonl, line 1: a value cannot be read")
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"text": "a", "label": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    status, _, err = run_cli(capsys, "train", deep, "-o", tmp_path / "m.textclf")
    refused(status, err, "deep.jsonl, line 1")


def test_predict_on_a_truncated_gzip_and_an_unreadable_file(tmp_path, capsys, monkeypatch):
    model = tmp_path / "m.textclf"
    TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS).save(model)
    whole = gzip.compress(b"a good film\n" * 1000)
    (tmp_path / "cut.txt.gz").write_bytes(whole[: len(whole) // 2])
    status, _, err = run_cli(capsys, "predict", model, tmp_path / "cut.txt.gz")
    refused(status, err, "cut.txt.gz: cannot be read to the end")
    from textclf.corpus import files

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    (tmp_path / "secret.txt").write_text("x")
    monkeypatch.setattr(files, "open", denied, raising=False)
    status, _, err = run_cli(capsys, "predict", model, tmp_path / "secret.txt")
    refused(status, err, "secret.txt: cannot be read (Permission denied)")


def test_a_network_too_large_for_the_machine_is_refused(tmp_path, capsys):
    status, _, err = run_cli(capsys, "train", BASE, "-o", tmp_path / "m.textclf",
                             "--model", "mlp", "--hidden", "1000000000", "-q")
    refused(status, err, "GiB for its weights alone", "smaller --hidden")


def test_numba_without_a_writable_cache_compiles_anyway(monkeypatch):
    """'cannot cache function' (a user without a writable home) fell through as a
    traceback; now the kernel is compiled without a disk cache."""
    pytest.importorskip("numba")
    from textclf.core import jit

    calls = []
    real_njit = jit._numba().njit  # noqa: SLF001  (the test reaches numba's module)

    def njit(*args, **options):
        if args:  # numba's own modules, imported on the way, compile with njit(function)
            return real_njit(*args, **options)
        calls.append(options["cache"])
        if options["cache"]:
            raise RuntimeError("cannot cache function 'add': no locator available for file")
        return real_njit(**options)

    monkeypatch.setattr(jit._numba(), "njit", njit)  # noqa: SLF001

    def add(a, b):
        return a + b

    assert jit.compile_kernel(add)(2, 3) == 5 and calls == [True, False]


def test_the_python_api_takes_iterables_and_refuses_strings_and_early_predictions():
    clf = TextClassifier(**SMALL)
    with pytest.raises(NotFittedError, match="not trained"):
        clf.predict(["a film"])
    clf.fit((text for text in TRAIN_TEXTS), iter(TRAIN_LABELS))  # generators, read once
    assert clf.predict(text for text in ["a great film"]) == clf.predict(["a great film"])
    with pytest.raises(DataError, match="got a single str; wrap it in a list"):
        clf.predict("a str")
    with pytest.raises(SettingsError, match="ngrams must be an integer ≥ 0 and ≤ 16, got 1.5"):
        TextClassifier(ngrams=1.5)
    with pytest.raises(DataError, match="3 dev texts but 2 dev labels"):
        TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS, TRAIN_TEXTS[:3],
                                    TRAIN_LABELS[:2])


# 6. pipes ---------------------------------------------------------------------------------------

def test_a_pipe_as_data_is_read_once_or_refused_with_stream(tmp_path, capsys):
    fifo = tmp_path / "data.jsonl"
    os.mkfifo(fifo)
    status, _, err = run_cli(capsys, "train", fifo, "-o", tmp_path / "m.textclf",
                             "--stream", "--hash-bits", "10")
    refused(status, err, "not a regular file (a pipe?); --stream reads DATA once")

    def feed():
        with open(fifo, "wb") as handle:
            handle.write(BASE.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    status, _, err = run_cli(capsys, "train", fifo, "-o", tmp_path / "m.textclf", *QUICK)
    writer.join(timeout=10)
    assert status == 0, err


# 7. untrusted model files -------------------------------------------------------------------------

def rewrite(path: Path, change) -> Path:
    """The model at ``path`` with ``change(meta, arrays)`` applied and the checksum redone."""
    meta, arrays = modelfile.load(path)
    for key in ("format", "format_version", "textclf_version", "arrays"):
        meta.pop(key)
    change(meta, arrays)
    out = path.with_name("crafted.textclf")
    out.write_bytes(modelfile.model_bytes(meta, arrays))
    return out


@pytest.fixture
def model_path(tmp_path) -> Path:
    path = tmp_path / "m.textclf"
    TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS).save(path)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda m, a: m.update(labels=5), "meta.json.labels must be a list of a string"),
    (lambda m, a: m["model"].update(n_features="x"), "meta.json.model.n_features must be an "
                                                      "integer"),
    (lambda m, a: m["featurizer"].update(settings=[]), "meta.json.featurizer.settings must be"),
    (lambda m, a: m.update(history={}), "meta.json.history must be a list"),
    (lambda m, a: m.update(labels=["neg", "pos", "meh"]), "3 labels for a model of 2 classes"),
    (lambda m, a: m.update(labels=["neg", "a\nb"]), "holds a tab or line break"),
    (lambda m, a: a["model.theta"].fill(np.nan), "NaN or infinite"),
    (lambda m, a: m["featurizer"]["settings"].update(token_pattern="(a|aa)+$"),
     "not one textclf writes by itself"),
    (lambda m, a: m["featurizer"]["settings"].update(ngrams=-1), "ngrams must be an integer"),
    (lambda m, a: a.update({"featurizer.idf": a["featurizer.idf"][:-1]}), "idf values"),
])
def test_a_crafted_model_file_is_refused_by_name(model_path, change, message):
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("+", r"\+").replace("$", r"\$")):
        TextClassifier.load(rewrite(model_path, change))


def test_a_trusted_file_runs_its_own_token_pattern(model_path):
    crafted = rewrite(model_path, lambda m, a: m["featurizer"]["settings"].update(
        token_pattern=r"[a-z]+"))
    assert TextClassifier.load(crafted, trust_pattern=True).predict(["a fine film"])



def test_a_huge_meta_json_is_refused_before_it_is_inflated(tmp_path):
    """A 1 MB file with a 1 GB meta.json was inflated in full (2.2 GB RSS)."""
    import tracemalloc

    path = tmp_path / "bomb.textclf"
    path.write_bytes(sealed([("meta.json", 300 << 20)]))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"meta\.json is 314572800 bytes"):
            TextClassifier.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # the file itself and bookkeeping, not 300 MB of JSON


def test_an_npy_header_declaring_a_huge_array_is_refused(model_path, tmp_path):
    import io
    import zipfile

    meta = json.loads(zipfile.ZipFile(io.BytesIO(model_path.read_bytes())).read("meta.json"))
    meta["arrays"]["model.theta"]["shape"] = [10**15]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**15,)})
    members = [("meta.json", json.dumps(meta).encode())]
    with zipfile.ZipFile(io.BytesIO(model_path.read_bytes())) as archive:
        for name in archive.namelist():
            if name != "meta.json":
                members.append((name, header.getvalue() if "theta" in name
                                else archive.read(name)))
    crafted = tmp_path / "huge.textclf"
    crafted.write_bytes(sealed(members))
    with pytest.raises(ModelFileError, match="declares 8000000000000000 bytes of data"):
        TextClassifier.load(crafted)


def test_a_duplicated_member_is_refused(model_path, tmp_path):
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(model_path.read_bytes())) as archive:
        members = [(name, archive.read(name)) for name in archive.namelist()]
    crafted = tmp_path / "twice.textclf"
    with pytest.warns(UserWarning, match="Duplicate name"):
        crafted.write_bytes(sealed(members + [("meta.json", members[0][1])]))
    with pytest.raises(ModelFileError, match="a member appears twice"):
        TextClassifier.load(crafted)


# 8. float32 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [{}, {"model": "softmax"}, {"hash_bits": 9},
                                      {"model": "mlp", "hidden": 4, "epochs": 3}])
def test_a_float32_model_predicts_exactly_the_same_after_save_and_load(tmp_path, settings):
    three = [label if i % 3 else "meh" for i, label in enumerate(TRAIN_LABELS)]
    labels = three if settings.get("model") in ("softmax", "mlp") else TRAIN_LABELS
    clf = TextClassifier(**{**SMALL, **settings}, float32=True).fit(TRAIN_TEXTS, labels)
    clf.save(tmp_path / "m.textclf")
    loaded = TextClassifier.load(tmp_path / "m.textclf")
    probe = TRAIN_TEXTS + ["", "an unseen word", "great great great awful awful awful"]
    assert np.array_equal(loaded.predict_proba(probe), clf.predict_proba(probe))
    assert loaded.predict(probe) == clf.predict(probe)


# 9. threads -------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [{}, {"hash_bits": 10}, {"jobs": 2}])
def test_predicting_from_many_threads_gives_the_serial_results(settings):
    """16 threads at once used to fail in about 40% of the calls (KeyError: 'featurizer')."""
    clf = TextClassifier(**{**SMALL, **settings}).fit(TRAIN_TEXTS, TRAIN_LABELS)
    texts = [f"{text} {i}" for i, text in enumerate(TRAIN_TEXTS * 20)]
    serial_proba = clf.predict_proba(texts)
    serial_explained = clf.explain(texts[3]).to_dict()
    failures, results = [], []
    barrier = threading.Barrier(16)

    def work(i: int) -> None:
        try:
            barrier.wait()
            results.append((np.array_equal(clf.predict_proba(texts), serial_proba),
                            clf.explain(texts[3]).to_dict() == serial_explained))
        except Exception as err:  # noqa: BLE001 (any failure counts)
            failures.append(repr(err))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == [] and len(results) == 16 and all(all(r) for r in results)


# resume ---------------------------------------------------------------------------------------

class SimulatedKillError(Exception):
    pass


def interrupt_after(epoch_to_stop: int):
    def on_epoch_end(epoch: int, record: dict) -> None:
        if epoch == epoch_to_stop:
            raise SimulatedKillError  # before the checkpoint of this epoch is written
    return on_epoch_end


@pytest.mark.parametrize("settings", [{}, {"optimizer": "momentum"}, {"model": "mlp", "hidden": 4,
                                                                     "dropout": 0.3}])
def test_an_interrupted_run_resumes_to_the_uninterrupted_theta(tmp_path, settings):
    options = {**SMALL, "epochs": 6, **settings}
    whole = TextClassifier(**options).fit(TRAIN_TEXTS, TRAIN_LABELS)
    path = tmp_path / "m.textclf"
    with pytest.raises(SimulatedKillError):
        TextClassifier(**options).fit(TRAIN_TEXTS, TRAIN_LABELS, checkpoint=path,
                                      on_epoch_end=interrupt_after(4))
    assert TextClassifier.load(path).history[-1]["epoch"] == 3
    resumed = TextClassifier(**options).fit(TRAIN_TEXTS, TRAIN_LABELS, checkpoint=path,
                                            resume=True)
    for name, array in whole.model.parameters().items():
        np.testing.assert_array_equal(resumed.model.parameters()[name], array)
    assert [r["train_loss"] for r in resumed.history] == [r["train_loss"] for r in whole.history]
    again = TextClassifier(**options).fit(TRAIN_TEXTS, TRAIN_LABELS, checkpoint=path,
                                          resume=True, on_epoch_end=interrupt_after(1))
    assert again.history == resumed.history  # a finished run trains nothing more
    with pytest.raises(SettingsError, match="holds no checkpoint of this run"):
        TextClassifier(**{**options, "seed": 9}).fit(TRAIN_TEXTS, TRAIN_LABELS,
                                                     checkpoint=path, resume=True)


def test_an_interrupted_stream_resumes_to_the_uninterrupted_theta(tmp_path):
    from textclf.corpus import iter_documents

    data = CORPUS / "docs.jsonl"
    options = {**SMALL, "epochs": 5, "hash_bits": 10}
    whole = TextClassifier(**options).fit_stream(lambda: iter_documents(data), chunk_docs=8)
    path = tmp_path / "m.textclf"
    with pytest.raises(SimulatedKillError):
        TextClassifier(**options).fit_stream(lambda: iter_documents(data), chunk_docs=8,
                                             checkpoint=path, on_epoch_end=interrupt_after(3))
    resumed = TextClassifier(**options).fit_stream(lambda: iter_documents(data), chunk_docs=8,
                                                   checkpoint=path, resume=True)
    np.testing.assert_array_equal(resumed.model.theta, whole.model.theta)


# signed model files -----------------------------------------------------------------------------

def test_a_signed_model_loads_only_with_its_key(tmp_path, capsys):
    key, other = tmp_path / "team.key", tmp_path / "other.key"
    key.write_bytes(b"a secret of the team")
    other.write_bytes(b"someone else")
    path = tmp_path / "m.textclf"
    status, _, err = run_cli(capsys, "train", BASE, "-o", path, "--sign-key", key, *QUICK)
    assert status == 0, err
    status, out, err = run_cli(capsys, "predict", path, BASE, "--sign-key", key)
    assert status == 0, err
    status, _, err = run_cli(capsys, "predict", path, BASE)
    refused(status, err, "is signed; give its key to load it (--sign-key)")
    status, _, err = run_cli(capsys, "inspect", path, "--sign-key", other)
    refused(status, err, "the signature does not match")
    # re-sealed with a plain checksum after a change: not signed any more, so refused
    crafted = rewrite_unsigned(path, key)
    status, _, err = run_cli(capsys, "inspect", crafted, "--sign-key", key)
    refused(status, err, "is not signed, and a key was given")
    status, _, err = run_cli(capsys, "inspect", path, "--sign-key", tmp_path / "none.key")
    refused(status, err, "none.key: cannot be read")


def rewrite_unsigned(path: Path, key: Path) -> Path:
    meta, arrays = modelfile.load(path, key.read_bytes())
    for name in ("format", "format_version", "textclf_version", "arrays"):
        meta.pop(name)
    meta["labels"] = meta["labels"][::-1]
    out = path.with_name("resealed.textclf")
    out.write_bytes(modelfile.model_bytes(meta, arrays))
    return out


def test_training_on_and_compressing_a_signed_model_keep_its_signature(tmp_path, capsys):
    """--init-from and compress read MODEL with --sign-key and sign what they write."""
    key = tmp_path / "team.key"
    key.write_bytes(b"a secret of the team")
    first, second, small = (tmp_path / name for name in ("a.textclf", "b.textclf", "c.textclf"))
    status, _, err = run_cli(capsys, "train", BASE, "-o", first, "--sign-key", key, *QUICK)
    assert status == 0, err
    status, _, err = run_cli(capsys, "train", BASE, "--init-from", first, "-o", second,
                             "--sign-key", key, "--epochs", "1", "-q")
    assert status == 0, err
    status, _, err = run_cli(capsys, "compress", second, "-o", small, "--bits", "8",
                             "--sign-key", key)
    assert status == 0, err
    for path in (second, small):
        refused(*run_cli(capsys, "inspect", path)[::2], "is signed; give its key")
        assert run_cli(capsys, "inspect", path, "--sign-key", key)[0] == 0
    refused(*run_cli(capsys, "train", BASE, "--init-from", first, "-o", tmp_path / "d.textclf",
                     "-q")[::2], "is signed; give its key")
