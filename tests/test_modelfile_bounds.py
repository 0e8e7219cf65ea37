"""The model file's codecs and what a crafted file can make the loader allocate (issue 22:
save and load are a copy; issue 25, item 11: sizes and shapes checked before parsing)."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import sealed

from textclf import ModelFileError, TextClassifier
from textclf.core import modelfile


def test_floats_are_stored_and_what_deflate_shrinks_is_deflated(tmp_path: Path):
    rng = np.random.default_rng(0)
    arrays = {"theta": rng.normal(size=50_000),  # trained weights: incompressible
              "offsets": np.arange(50_000, dtype=np.int64),  # shrinks a lot
              "tiny": np.zeros(3)}
    path = tmp_path / "m.textclf"
    modelfile.save(path, {"note": 1}, arrays)
    with zipfile.ZipFile(path) as archive:
        methods = {info.filename: info.compress_type for info in archive.infolist()}
    assert methods["arrays/theta.npy"] == zipfile.ZIP_STORED
    assert methods["arrays/offsets.npy"] == zipfile.ZIP_DEFLATED
    assert methods["arrays/tiny.npy"] == zipfile.ZIP_STORED
    meta, back = modelfile.load(path)
    assert meta["note"] == 1
    for name, array in arrays.items():
        assert back[name].dtype == array.dtype and np.array_equal(back[name], array)


def meta_file(tmp_path: Path, meta_bytes: bytes, name: str = "m.textclf") -> Path:
    path = tmp_path / name
    path.write_bytes(sealed({"meta.json": meta_bytes}))
    return path


def refused_with_peak(path: Path, message: str) -> int:
    """The bytes Python allocated at most while refusing to load ``path`` with ``message``."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=message):
            modelfile.load(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_meta_json_of_many_small_objects_is_refused_before_it_is_parsed(tmp_path: Path):
    """8 MiB of ``{},`` parse to 2.8 million dicts (hundreds of MB); it is counted first."""
    crafted = b'{"format": "textclf-model", "format_version": 2, "x": [' \
        + b"{}," * 2_500_000 + b'{}]}'
    peak = refused_with_peak(meta_file(tmp_path, crafted), "more objects, lists or values")
    assert peak < 40 << 20  # the file and its meta.json's bytes, no parse


def test_a_large_meta_json_is_read_only_for_a_version_1_file(tmp_path: Path):
    """Above 8 MiB only a version-1 file's meta.json (its vocabulary was there) is parsed;
    any other is refused having been inflated piece by piece, never held whole."""
    filler = b'"' + b"a" * (9 << 20) + b'"'
    other = b'{"format": "textclf-model", "format_version": 2, "x": ' + filler + b"}"
    assert refused_with_peak(meta_file(tmp_path, other), "only version-1 files") < 8 << 20
    legacy = json.dumps({"terms": ["a" * 1000] * 9500, "arrays": {},
                         "format": "textclf-model", "format_version": 1}).encode()
    assert len(legacy) > modelfile.MAX_META_BYTES
    meta, arrays = modelfile.load(meta_file(tmp_path, legacy, "legacy.textclf"))
    assert meta["format_version"] == 1 and len(meta["terms"]) == 9500 and arrays == {}
    # a file that claims version 1 in its text but is not one is refused after the parse
    forged = other[:-1] + b', "y": {"format_version": 1}}'
    with pytest.raises(ModelFileError, match="more than a version-2 file holds"):
        modelfile.load(meta_file(tmp_path, forged, "forged.textclf"))


def test_members_compressed_with_other_methods_are_refused(tmp_path: Path, model_file: Path):
    with zipfile.ZipFile(model_file) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_LZMA) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.comment = b"\0" * modelfile.TRAILER_LENGTH
    body = buffer.getvalue()[: -modelfile.TRAILER_LENGTH]
    import hashlib

    path = tmp_path / "lzma.textclf"
    path.write_bytes(body + modelfile.CHECKSUM_PREFIX
                     + hashlib.sha256(body).hexdigest().encode("ascii"))
    with pytest.raises(ModelFileError, match="compressed with method 14; textclf stores or "
                                             "deflates"):
        TextClassifier.load(path)
