"""The model file: round trip, and refusal of anything damaged, foreign or inconsistent."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import DEV_DOCS, TEST_DOCS, TRAIN_TEXTS, sealed

from textclf import ModelFileError, TextClassifier
from textclf.core import modelfile as persist

TEXTS = TRAIN_TEXTS + [t for t, _ in DEV_DOCS + TEST_DOCS] + ["", "never seen words only"]


# --- helpers to build files that pass the checksum ------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}



def with_meta(path: Path, change) -> bytes:
    """The file's members with meta.json passed through ``change(meta)``, resealed."""
    contents = members(path)
    meta = json.loads(contents["meta.json"])
    change(meta)
    contents["meta.json"] = json.dumps(meta).encode("utf-8")
    return sealed(contents)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- round trip ---------------------------------------------------------------------------------


def test_save_load_gives_identical_predictions(model_file: Path, small_classifier) -> None:
    loaded = TextClassifier.load(model_file)
    assert loaded.predict(TEXTS) == small_classifier.predict(TEXTS)
    assert np.array_equal(loaded.predict_proba(TEXTS), small_classifier.predict_proba(TEXTS))
    assert np.array_equal(loaded.model.theta, small_classifier.model.theta)
    assert loaded.labels == small_classifier.labels
    assert loaded.featurizer.terms == small_classifier.featurizer.terms
    assert loaded.feature_settings == small_classifier.feature_settings
    assert loaded.training_settings == small_classifier.training_settings
    assert loaded.history == small_classifier.history
    assert loaded.top_features(3) == small_classifier.top_features(3)


def test_file_layout(model_file: Path, small_classifier) -> None:
    contents = members(model_file)
    assert set(contents) == {"meta.json", "arrays/model.theta.npy", "arrays/featurizer.idf.npy",
                             "arrays/featurizer.document_frequency.npy",
                             "arrays/featurizer.terms_utf8.npy",
                             "arrays/featurizer.terms_offsets.npy",
                             "arrays/featurizer.nb_scale.npy"}  # the default tfidf-nb's r
    meta = json.loads(contents["meta.json"])
    assert meta["format"] == "textclf-model" and meta["format_version"] == persist.FORMAT_VERSION
    assert meta["labels"] == ["neg", "pos"]
    assert meta["arrays"]["model.theta"] == {
        "dtype": "float64", "shape": [small_classifier.featurizer.n_features]}
    assert [record["epoch"] for record in meta["history"]] == list(
        range(1, small_classifier.training_settings.epochs + 1))
    assert all({"train_loss", "dev_loss", "dev_accuracy"} <= set(r) for r in meta["history"])
    data = model_file.read_bytes()
    assert data[-persist.TRAILER_LENGTH:].startswith(b"textclf-sha256:")


def test_resealing_an_unchanged_file_loads(model_file: Path, tmp_path: Path) -> None:
    """The helper below builds valid files: a refusal in the next tests is about the change."""
    path = write(tmp_path / "same.textclf", with_meta(model_file, lambda meta: None))
    assert TextClassifier.load(path).labels == ["neg", "pos"]


# --- damaged files ------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 10, 0.5, -1, -persist.TRAILER_LENGTH, -200])
def test_truncated_file_is_refused(model_file: Path, tmp_path: Path, keep) -> None:
    data = model_file.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path = write(tmp_path / "cut.textclf", data[:cut])
    with pytest.raises(ModelFileError, match=r"cut\.textclf: (not a complete|checksum)"):
        TextClassifier.load(path)


def _meta_data_offset(path: Path) -> int:
    """Where meta.json's (compressed) bytes start inside the file."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("meta.json")
    return info.header_offset + 30 + len(info.filename) + len(info.extra) + 5


@pytest.mark.parametrize("where", ["start", "meta", "middle", "before trailer", "end"])
def test_changed_byte_is_refused(model_file: Path, tmp_path: Path, where: str) -> None:
    data = bytearray(model_file.read_bytes())
    position = {
        "start": 0,
        "meta": _meta_data_offset(model_file),
        "middle": len(data) // 2,
        "before trailer": len(data) - persist.TRAILER_LENGTH - 1,
        "end": len(data) - 1,
    }[where]
    data[position] ^= 0x01
    path = write(tmp_path / "changed.textclf", bytes(data))
    with pytest.raises(ModelFileError, match=r"changed\.textclf: checksum mismatch"):
        TextClassifier.load(path)


def test_other_kind_of_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.textclf", b"just text, not a model\n" * 10)
    with pytest.raises(ModelFileError, match="not a complete textclf model file"):
        TextClassifier.load(path)
    foreign = write(tmp_path / "foreign.textclf", sealed({"meta.json": b'{"format": "other"}'}))
    with pytest.raises(ModelFileError, match=r"not a textclf model file \(format field\)"):
        TextClassifier.load(foreign)


def test_missing_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"absent\.textclf: no such model file"):
        TextClassifier.load(tmp_path / "absent.textclf")


# --- well-sealed but unacceptable files --------------------------------------------------------


@pytest.mark.parametrize("version", [3, 0, "1", None, True])
def test_wrong_format_version_is_refused(model_file: Path, tmp_path: Path, version) -> None:
    def change(meta):
        meta["format_version"] = version

    path = write(tmp_path / "version.textclf", with_meta(model_file, change))
    with pytest.raises(ModelFileError,
                       match=rf"model format version {version!r}.*reads versions 1, 2"):
        TextClassifier.load(path)


def test_unexpected_member_is_refused(model_file: Path, tmp_path: Path) -> None:
    contents = members(model_file) | {"arrays/evil.pkl": b"cos\nsystem\n"}
    path = write(tmp_path / "extra.textclf", sealed(contents))
    with pytest.raises(ModelFileError, match="members not allowed: arrays/evil.pkl"):
        TextClassifier.load(path)


def test_missing_member_is_refused(model_file: Path, tmp_path: Path) -> None:
    contents = members(model_file)
    del contents["arrays/model.theta.npy"]
    path = write(tmp_path / "missing.textclf", sealed(contents))
    with pytest.raises(ModelFileError, match=r"members missing: arrays/model\.theta\.npy"):
        TextClassifier.load(path)


def test_array_not_as_listed_is_refused(model_file: Path, tmp_path: Path) -> None:
    contents = members(model_file)
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3, dtype=np.float32))
    contents["arrays/featurizer.idf.npy"] = buffer.getvalue()
    path = write(tmp_path / "dtype.textclf", sealed(contents))
    with pytest.raises(ModelFileError, match=r"array 'featurizer\.idf' is float32\[3\]"):
        TextClassifier.load(path)


def test_a_shape_of_zero_size_but_enormous_dimensions_is_refused(model_file: Path,
                                                                   tmp_path: Path) -> None:
    """(0, 10⁸, 10¹⁰) holds no data, as its empty member says, but numpy cannot even make
    an empty array of it (found by tests/test_properties.py)."""
    contents = members(model_file)
    meta = json.loads(contents["meta.json"])
    shape = [0, 107344567, 10740380598]
    meta["arrays"]["featurizer.idf"]["shape"] = shape
    contents["meta.json"] = json.dumps(meta).encode("utf-8")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": tuple(shape)})
    contents["arrays/featurizer.idf.npy"] = header.getvalue()
    path = write(tmp_path / "zero.textclf", sealed(contents))
    with pytest.raises(ModelFileError, match="impossible shape"):
        TextClassifier.load(path)


def test_pickled_array_is_refused(model_file: Path, tmp_path: Path) -> None:
    contents = members(model_file)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    contents["arrays/model.theta.npy"] = buffer.getvalue()
    path = write(tmp_path / "pickle.textclf", sealed(contents))
    with pytest.raises(ModelFileError, match=r"array 'model\.theta' is of dtype object"):
        TextClassifier.load(path)


def test_theta_length_must_match_the_vocabulary(model_file: Path, tmp_path: Path) -> None:
    meta, arrays = persist.load(model_file)
    n_features = meta["featurizer"]["n_terms"] + 1
    # θ one entry short, and meta saying so: model and featuriser disagree
    arrays["model.theta"] = arrays["model.theta"][:-1]
    meta["model"]["n_features"] = n_features - 1
    path = write(tmp_path / "short.textclf", persist.model_bytes(meta, arrays))
    with pytest.raises(ModelFileError, match=rf"expects {n_features - 1} features but the "
                                              rf"featuriser produces {n_features}"):
        TextClassifier.load(path)
    # θ one entry short while the model's config still says n_features
    meta["model"]["n_features"] = n_features
    path = write(tmp_path / "short2.textclf", persist.model_bytes(meta, arrays))
    with pytest.raises(ModelFileError, match=r"short2\.textclf: inconsistent model file.*theta"):
        TextClassifier.load(path)


def test_missing_parts_of_meta_are_refused(model_file: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "nofeat.textclf",
                 with_meta(model_file, lambda meta: meta.pop("featurizer")))
    with pytest.raises(ModelFileError, match=r"meta\.json\.featurizer is missing"):
        TextClassifier.load(path)

    def unknown_kind(meta):
        meta["model"]["kind"] = "transformer"

    path = write(tmp_path / "kind.textclf", with_meta(model_file, unknown_kind))
    with pytest.raises(ModelFileError, match="unknown model kind 'transformer'"):
        TextClassifier.load(path)


# --- atomic save ------------------------------------------------------------------------------


def test_save_leaves_no_temporary_files(tmp_path: Path, small_classifier) -> None:
    small_classifier.save(tmp_path / "m.textclf")
    small_classifier.save(tmp_path / "m.textclf")  # overwriting too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.textclf"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_save_keeps_the_old_file(
    tmp_path: Path, small_classifier, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    path = tmp_path / "m.textclf"
    path.write_bytes(b"the old model")

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(os, "replace", fail)
    expected = ModelFileError if isinstance(error, OSError) else type(error)
    with pytest.raises(expected):
        small_classifier.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == b"the old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.textclf"]


def test_save_into_a_missing_folder_or_onto_a_folder(tmp_path: Path, small_classifier) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        small_classifier.save(tmp_path / "no" / "m.textclf")
    (tmp_path / "dir.textclf").mkdir()
    with pytest.raises(ModelFileError, match=r"dir\.textclf: cannot be written"):
        small_classifier.save(tmp_path / "dir.textclf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.textclf"]


def test_unfitted_classifier_cannot_be_saved(tmp_path: Path) -> None:
    from textclf.errors import NotFittedError

    with pytest.raises(NotFittedError, match="not trained"):
        TextClassifier().save(tmp_path / "m.textclf")
