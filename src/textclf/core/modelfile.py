"""The model file: one zip, no pickle, versioned, checked on load, written atomically.

Layout::

    meta.json            format name and version, textclf version, everything JSON-able
    arrays/NAME.npy      each array, read back with allow_pickle=False

``meta.json`` lists every array with its dtype and shape; loading refuses a member that is
not listed, a listed member that is missing, or an array of another dtype or shape. The zip
comment holds ``textclf-sha256:`` and the SHA-256 of every byte before it, so a truncated
file or a changed byte anywhere is refused. The file is written to a temporary file in the
same folder and renamed over the target, so a crash never leaves half a model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from textclf.core.version import __version__
from textclf.errors import ModelFileError

FORMAT_NAME = "textclf-model"
FORMAT_VERSION = 1
_CHECKSUM_PREFIX = b"textclf-sha256:"
_TRAILER_LENGTH = len(_CHECKSUM_PREFIX) + 64
_ALLOWED_DTYPES = {"float64", "float32", "int64", "int32", "bool"}


def _array_member(name: str) -> str:
    return f"arrays/{name}.npy"


def model_bytes(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """Serialise ``meta`` and ``arrays`` to the bytes of a model file."""
    meta = dict(meta)
    meta["format"] = FORMAT_NAME
    meta["format_version"] = FORMAT_VERSION
    meta["textclf_version"] = __version__
    meta["arrays"] = {
        name: {"dtype": str(a.dtype), "shape": list(a.shape)} for name, a in arrays.items()
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
        for name, array in arrays.items():
            if str(array.dtype) not in _ALLOWED_DTYPES:
                raise ValueError(f"array {name!r} has unsupported dtype {array.dtype}")
            member = io.BytesIO()
            np.save(member, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(_array_member(name), member.getvalue())
        archive.comment = b"\0" * _TRAILER_LENGTH  # placeholder of the trailer's length
    body = buffer.getvalue()[:-_TRAILER_LENGTH]
    digest = hashlib.sha256(body).hexdigest().encode("ascii")
    return body + _CHECKSUM_PREFIX + digest


def save(path: str | Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write a model file atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    data = model_bytes(meta, arrays)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ModelFileError(f"{path}: folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:  # e.g. no permission to write in the folder
        raise ModelFileError(f"{path}: cannot be written ({err})") from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as err:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(err, OSError):  # e.g. disk full, or the target is a folder
            raise ModelFileError(f"{path}: cannot be written ({err})") from err
        raise


def _verify_checksum(path: Path, data: bytes) -> None:
    trailer = data[-_TRAILER_LENGTH:]
    if len(data) < _TRAILER_LENGTH or not trailer.startswith(_CHECKSUM_PREFIX):
        raise ModelFileError(
            f"{path}: not a complete textclf model file (no checksum at its end: "
            "truncated, or another kind of file)"
        )
    expected = trailer[len(_CHECKSUM_PREFIX):]
    actual = hashlib.sha256(data[:-_TRAILER_LENGTH]).hexdigest().encode("ascii")
    if actual != expected:
        raise ModelFileError(f"{path}: checksum mismatch: the file is damaged or was changed")


def load(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and validate a model file; return its metadata and arrays."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelFileError(f"{path}: cannot be read ({err.strerror})") from err
    _verify_checksum(path, data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise ModelFileError(f"{path}: not a textclf model file ({err})") from err
    with archive:
        names = set(archive.namelist())
        if "meta.json" not in names:
            raise ModelFileError(f"{path}: meta.json is missing")
        try:
            meta = json.loads(archive.read("meta.json").decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise ModelFileError(f"{path}: meta.json is not valid JSON ({err})") from err
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ModelFileError(f"{path}: not a textclf model file (format field)")
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelFileError(
                f"{path}: model format version {version!r}; this textclf "
                f"({__version__}) reads version {FORMAT_VERSION}"
            )
        listed = meta.get("arrays")
        if not isinstance(listed, dict):
            raise ModelFileError(f"{path}: meta.json lists no arrays")
        expected = {"meta.json"} | {_array_member(name) for name in listed}
        if names != expected:
            extra, missing = sorted(names - expected), sorted(expected - names)
            raise ModelFileError(
                f"{path}: unexpected contents"
                + (f"; members not allowed: {', '.join(extra)}" if extra else "")
                + (f"; members missing: {', '.join(missing)}" if missing else "")
            )
        arrays = {}
        for name, spec in listed.items():
            try:
                array = np.load(io.BytesIO(archive.read(_array_member(name))),
                                allow_pickle=False)
            except ValueError as err:
                raise ModelFileError(f"{path}: array {name!r} cannot be read ({err})") from err
            if str(array.dtype) != spec.get("dtype") or list(array.shape) != spec.get("shape"):
                raise ModelFileError(
                    f"{path}: array {name!r} is {array.dtype}{list(array.shape)}, "
                    f"meta.json says {spec.get('dtype')}{spec.get('shape')}"
                )
            arrays[name] = array
    return meta, arrays
