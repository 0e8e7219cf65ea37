"""The model file: one zip, no pickle, versioned, checked on load, written atomically.

Layout::

    meta.json            format name and version, textclf version, everything JSON-able
    arrays/NAME.npy      each array, read back without pickle

``meta.json`` lists every array with its dtype and shape. An array is stored as it is where
deflate would not pay (θ's floats: saving and loading are then a copy), and deflated at the
fastest level where it does (term bytes, offsets, document frequencies: :func:`member_codec`).
The zip comment holds ``textclf-sha256:`` and the SHA-256 of every byte before it, so a
truncated file or a changed byte anywhere is refused (or, for a signed file,
``textclf-signed:`` and their HMAC-SHA256 under the signing key, which only its holders can
make). A checksum does not protect against a file made on purpose, so loading also treats
the file as untrusted input (docs/reliability.md), and bounds what it can make the loader
allocate:

* sizes are checked before anything is inflated: ``meta.json`` at most
  :data:`MAX_META_BYTES` (a larger one, up to :data:`LEGACY_MAX_META_BYTES`, only where it
  is a version-1 file's, which kept the vocabulary there); every member at most
  :data:`MAX_EXPANSION` times its compressed size (more is impossible for a real deflate
  stream);
* ``meta.json``'s shape is counted before it is parsed: at most :data:`MAX_META_CONTAINERS`
  objects and lists and :data:`MAX_META_VALUES` values, so parsing it builds a bounded
  number of Python objects (100 MiB of ``{},`` would make 35 million dicts);
* an array's npy header is read first: its dtype must be one this module writes, its shape
  the one ``meta.json`` lists, and its data exactly the member's size; only then is its
  memory allocated, and the data read into it;
* members are stored or deflated (other methods, such as LZMA, whose decoder may ask for
  gigabytes, are refused); duplicate members, members not listed and listed members that
  are missing are refused.

``meta.json``'s shape is checked before anything is built from it, by a schema that is plain
Python (:func:`check`): a type (``str``, ``int``, ``float``, ``bool``, ``dict`` for any
object, ``object`` for anything), a list ``[schema]`` of items that each match, or a dict
``{"key": schema, "key?": schema}`` whose keys ending in ``?`` may be missing (other keys
are allowed, for files of later versions). ``int`` refuses ``True``; ``float`` takes an int
but refuses NaN and infinities unless the schema says ``"number"``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from textclf.core.output import write_atomically
from textclf.core.version import __version__
from textclf.errors import ModelFileError

FORMAT_NAME = "textclf-model"
FORMAT_VERSION = 2  # 2: the vocabulary's terms are arrays, not meta.json
READABLE_VERSIONS = (1, 2)
CHECKSUM_PREFIX = b"textclf-sha256:"
SIGNATURE_PREFIX = b"textclf-signed:"  # HMAC-SHA256 with a key: who wrote it, not only intact
TRAILER_LENGTH = len(CHECKSUM_PREFIX) + 64
# int8 and float16: a compressed model's quantised θ; uint16, uint32: its document
# frequencies (textclf.fitting.compression)
ALLOWED_DTYPES = ("float64", "float32", "float16", "int64", "int32", "int8", "uint32",
                  "uint16", "uint8", "bool")
MAX_META_BYTES = 8 << 20
LEGACY_MAX_META_BYTES = 256 << 20
LEGACY_MARK = b'"format_version": 1'  # how json.dumps wrote a version-1 file's version
MAX_META_CONTAINERS = 100_000  # objects and lists: per epoch, per trial, per setting group
MAX_META_VALUES = 4_000_000  # commas: a version-1 vocabulary's terms
MAX_EXPANSION = 1100  # deflate cannot expand data more than ~1032 times
DEFLATE_LEVEL = 1  # the fastest: on term bytes and integers nearly as small as level 6
PROBE_BYTES = 1 << 16  # deflated to decide whether a member's deflating pays
PAYS = 0.75  # deflate a member whose probe shrinks to at most this part of its size


def array_member(name: str) -> str:
    return f"arrays/{name}.npy"


def model_bytes(meta: dict, arrays: dict[str, np.ndarray], sign_key: bytes | None = None) -> bytes:
    """Serialise ``meta`` and ``arrays`` to the bytes of a model file; with ``sign_key``,
    sealed by HMAC-SHA256 under that key instead of a plain SHA-256."""
    meta = dict(meta)
    meta["format"] = FORMAT_NAME
    meta["format_version"] = FORMAT_VERSION
    meta["textclf_version"] = __version__
    meta["arrays"] = {
        name: {"dtype": str(a.dtype), "shape": list(a.shape)} for name, a in arrays.items()
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta, ensure_ascii=False, allow_nan=False),
                         zipfile.ZIP_DEFLATED, DEFLATE_LEVEL)
        for name, array in arrays.items():
            if str(array.dtype) not in ALLOWED_DTYPES:
                raise ValueError(f"array {name!r} has unsupported dtype {array.dtype}")
            member = io.BytesIO()
            np.save(member, np.ascontiguousarray(array), allow_pickle=False)
            data = member.getbuffer()
            archive.writestr(array_member(name), data, member_codec(data), DEFLATE_LEVEL)
        archive.comment = b"\0" * TRAILER_LENGTH  # placeholder of the trailer's length
    body = buffer.getvalue()[:-TRAILER_LENGTH]
    if sign_key is not None:
        return body + SIGNATURE_PREFIX + hmac.new(sign_key, body, "sha256").hexdigest().encode()
    return body + CHECKSUM_PREFIX + hashlib.sha256(body).hexdigest().encode("ascii")


def member_codec(data: memoryview) -> int:
    """``ZIP_DEFLATED`` where deflating the member pays (its first :data:`PROBE_BYTES`
    shrink to at most :data:`PAYS` of their size), else ``ZIP_STORED``: an array of
    trained floats barely shrinks, and storing it makes saving and loading a copy."""
    probe = data[:PROBE_BYTES]
    if len(probe) < 1024:
        return zipfile.ZIP_STORED
    small = len(zlib.compress(probe, DEFLATE_LEVEL)) <= PAYS * len(probe)
    return zipfile.ZIP_DEFLATED if small else zipfile.ZIP_STORED


def save(path: str | Path, meta: dict, arrays: dict[str, np.ndarray],
         sign_key: bytes | None = None) -> None:
    """Write a model file atomically (temporary file in the same folder, then rename)."""
    write_atomically(path, model_bytes(meta, arrays, sign_key))


def is_model_file(path: str | Path) -> bool:
    """Whether ``path`` ends with this format's checksum trailer (a cheap look, no load)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, io.SEEK_END)
            if handle.tell() < TRAILER_LENGTH:
                return False
            handle.seek(-TRAILER_LENGTH, io.SEEK_END)
            return handle.read(len(CHECKSUM_PREFIX)) in (CHECKSUM_PREFIX, SIGNATURE_PREFIX)
    except OSError:
        return False


def verify_trailer(path: Path, data: bytes, sign_key: bytes | None) -> None:
    """The file's seal: a SHA-256 of its bytes, or (signed files) their HMAC-SHA256 under
    ``sign_key``. A signed file needs the key; with a key, an unsigned file is refused."""
    trailer = data[-TRAILER_LENGTH:]
    prefix = trailer[: len(CHECKSUM_PREFIX)]
    if len(data) < TRAILER_LENGTH or prefix not in (CHECKSUM_PREFIX, SIGNATURE_PREFIX):
        raise ModelFileError(
            f"{path}: not a complete textclf model file (no checksum at its end: "
            "truncated, or another kind of file)"
        )
    body, expected = data[:-TRAILER_LENGTH], trailer[len(prefix):]
    if prefix == SIGNATURE_PREFIX:
        if sign_key is None:
            raise ModelFileError(f"{path}: is signed; give its key to load it (--sign-key)")
        actual = hmac.new(sign_key, body, "sha256").hexdigest().encode()
        if not hmac.compare_digest(actual, expected):
            raise ModelFileError(f"{path}: the signature does not match: another key signed "
                                 "it, or the file was changed")
        return
    if sign_key is not None:
        raise ModelFileError(f"{path}: is not signed, and a key was given to check its "
                             "signature (--sign-key)")
    actual = hashlib.sha256(body).hexdigest().encode("ascii")
    if actual != expected:
        raise ModelFileError(f"{path}: checksum mismatch: the file is damaged or was changed")


def read_file(path: Path) -> bytes:
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if not path.is_file():
        raise ModelFileError(f"{path}: is not a regular file (expected a model file)")
    try:
        return path.read_bytes()
    except OSError as err:
        raise ModelFileError(f"{path}: cannot be read ({err.strerror or err})") from err


def checked_members(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The members by name; duplicates and impossible sizes refused."""
    infos = archive.infolist()
    members = {info.filename: info for info in infos}
    if len(members) != len(infos):
        raise ModelFileError(f"{path}: a member appears twice in the zip")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{path}: member {info.filename} is compressed with method "
                                 f"{info.compress_type}; textclf stores or deflates members")
        if info.file_size > MAX_EXPANSION * info.compress_size + 1024:
            raise ModelFileError(f"{path}: member {info.filename} claims {info.file_size} "
                                 f"bytes from {info.compress_size} (not a real model file)")
    return members


def read_meta(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo | None) -> dict:
    """meta.json, its size and shape checked before it is parsed (see the module
    docstring)."""
    if info is None:
        raise ModelFileError(f"{path}: meta.json is missing")
    if info.file_size > LEGACY_MAX_META_BYTES:
        raise ModelFileError(f"{path}: meta.json is {info.file_size} bytes, more than a "
                             f"model file holds ({LEGACY_MAX_META_BYTES})")
    try:
        raw = archive.read(info) if info.file_size <= MAX_META_BYTES \
            else legacy_meta(path, archive, info)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ModelFileError(f"{path}: meta.json cannot be read ({err})") from err
    containers = raw.count(b"{") + raw.count(b"[")  # (an upper bound: strings may hold them)
    if containers > MAX_META_CONTAINERS or raw.count(b",") > MAX_META_VALUES:
        raise ModelFileError(f"{path}: meta.json holds more objects, lists or values than a "
                             f"model file does (at most {MAX_META_CONTAINERS} objects and "
                             f"lists, {MAX_META_VALUES} values)")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise ModelFileError(f"{path}: meta.json is not valid JSON ({err})") from err
    del raw
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not a textclf model file (format field)")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise ModelFileError(
            f"{path}: model format version {version!r}; this textclf ({__version__}) reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    if version >= 2 and info.file_size > MAX_META_BYTES:
        raise ModelFileError(f"{path}: meta.json is {info.file_size} bytes, more than a "
                             f"version-{version} file holds ({MAX_META_BYTES})")
    return meta


def legacy_meta(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A meta.json above :data:`MAX_META_BYTES`, read only if it is a version-1 file's:
    inflated piece by piece first, looking for :data:`LEGACY_MARK`, so that another one is
    refused without being held whole."""
    found, tail = False, b""
    with archive.open(info) as stream:
        while not found and (piece := stream.read(1 << 20)):
            found = LEGACY_MARK in tail + piece
            tail = piece[-len(LEGACY_MARK):]
    if not found:
        raise ModelFileError(f"{path}: meta.json is {info.file_size} bytes, more than a "
                             f"model file holds ({MAX_META_BYTES}; only version-1 files, "
                             "which kept the vocabulary there, hold more)")
    return archive.read(info)


def read_array(path: Path, name: str, stream: IO[bytes], size: int,
               spec: object) -> np.ndarray:
    """One array: its npy header checked against ``spec`` (meta.json's dtype and shape) and
    the member's ``size`` before its memory is allocated."""
    if not (isinstance(spec, dict) and isinstance(spec.get("dtype"), str)
            and isinstance(spec.get("shape"), list)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                    for n in spec["shape"])):
        raise ModelFileError(f"{path}: meta.json lists array {name!r} without a valid dtype "
                             "and shape")
    try:
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
            else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = header(stream, max_header_size=10_000)
    except (ValueError, OSError, SyntaxError, TypeError, RecursionError, MemoryError,
            zipfile.BadZipFile) as err:  # (TypeError: a dict numpy cannot sort)
        raise ModelFileError(f"{path}: array {name!r} has no valid npy header ({err})") from err
    if str(dtype) not in ALLOWED_DTYPES or dtype.hasobject or fortran_order:
        raise ModelFileError(f"{path}: array {name!r} is of dtype {dtype}, which textclf "
                             "does not write")
    if str(dtype) != spec["dtype"] or list(shape) != spec["shape"]:
        raise ModelFileError(f"{path}: array {name!r} is {dtype}{list(shape)}, meta.json "
                             f"says {spec['dtype']}{spec['shape']}")
    n_bytes = math.prod(shape) * dtype.itemsize
    if stream.tell() + n_bytes != size:
        raise ModelFileError(f"{path}: array {name!r} declares {n_bytes} bytes of data but "
                             f"its member holds {size - stream.tell()}")
    try:  # a product of 0 (one dimension 0) can pass the size check with the rest enormous
        array = np.empty(shape, dtype)
    except (ValueError, MemoryError) as err:
        raise ModelFileError(f"{path}: array {name!r} has the impossible shape "
                             f"{list(shape)} ({err})") from err
    try:
        read = stream.readinto(memoryview(array.reshape(-1).view(np.uint8)))
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ModelFileError(f"{path}: array {name!r} cannot be read ({err})") from err
    if read != n_bytes:
        raise ModelFileError(f"{path}: array {name!r} is shorter than its header says")
    return array


def load(path: str | Path, sign_key: bytes | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and validate a model file (its signature too, with ``sign_key``); return its
    metadata and arrays."""
    path = Path(path)
    data = read_file(path)
    verify_trailer(path, data, sign_key)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise ModelFileError(f"{path}: not a textclf model file ({err})") from err
    with archive:
        members = checked_members(path, archive)
        meta = read_meta(path, archive, members.get("meta.json"))
        listed = meta.get("arrays")
        if not isinstance(listed, dict) or not all(isinstance(k, str) for k in listed):
            raise ModelFileError(f"{path}: meta.json lists no arrays")
        expected = {"meta.json"} | {array_member(name) for name in listed}
        if set(members) != expected:
            extra, missing = sorted(set(members) - expected), sorted(expected - set(members))
            raise ModelFileError(
                f"{path}: unexpected contents"
                + (f"; members not allowed: {', '.join(extra)}" if extra else "")
                + (f"; members missing: {', '.join(missing)}" if missing else "")
            )
        arrays = {}
        for name, spec in listed.items():
            info = members[array_member(name)]
            try:
                with archive.open(info) as stream:
                    arrays[name] = read_array(path, name, stream, info.file_size, spec)
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                raise ModelFileError(f"{path}: array {name!r} cannot be read ({err})") from err
    return meta, arrays

# schema -------------------------------------------------------------------------------
class SchemaError(ValueError):
    """A value does not match its schema; the message names where."""


def schema_name(schema: Any) -> str:
    if isinstance(schema, list):
        return f"a list of {schema_name(schema[0])}"
    if isinstance(schema, dict) or schema is dict:
        return "an object"
    if schema == "number":
        return "a number"
    return {str: "a string", int: "an integer", float: "a finite number",
            bool: "true or false", object: "anything"}.get(schema, str(schema))


def check_schema(value: Any, schema: Any, where: str) -> None:
    """Raise :class:`SchemaError` naming ``where`` (a path such as ``model.n_features``) if
    ``value`` does not match ``schema``."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise SchemaError(f"{where} must be {schema_name(schema)}")
        for key, item_schema in schema.items():
            name, optional = key.rstrip("?"), key.endswith("?")
            if name not in value:
                if optional:
                    continue
                raise SchemaError(f"{where}.{name} is missing")
            check_schema(value[name], item_schema, f"{where}.{name}")
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise SchemaError(f"{where} must be {schema_name(schema)}")
        for i, item in enumerate(value):
            check_schema(item, schema[0], f"{where}[{i}]")
        return
    if schema is object:
        return
    if schema is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif schema is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
    elif schema == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, schema)
    if not ok:
        shown = repr(value) if len(repr(value)) < 60 else f"{type(value).__name__} value"
        raise SchemaError(f"{where} must be {schema_name(schema)}, not {shown}")
