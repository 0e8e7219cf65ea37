"""A corpus file: where it is, and its bytes as text. Every error names the file (and line).

Where: a local path, standard input (``-``), or an fsspec URL (``s3://bucket/part-0.jsonl.gz``,
``gs://...``, ``https://...``) read through fsspec and the file system's own package
(s3fs, gcsfs, ...); a cluster's workers read their shards this way from shared storage.
``file://`` URLs are plain local paths; fsspec is imported only when a URL is read (it
comes with the ``dask`` extra).

Text: UTF-8 (a byte order mark skipped), gzip opened transparently, and a warning, not a
crash, for bytes that are not UTF-8.
"""

from __future__ import annotations

import codecs
import gzip
import io
import stat
import sys
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from textclf.errors import DataError

# Byte order marks of encodings a line reader cannot split on b"\n", longest first.
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
             (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)
GZIP_MAGIC = b"\x1f\x8b"


class DecodingWarning(UserWarning):
    """Bytes that are not valid UTF-8 were replaced while reading a corpus."""


def decode(raw: bytes, where: str) -> str:
    """UTF-8 decode; undecodable bytes become U+FFFD and a warning names ``where``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        warnings.warn(
            f"{where}: bytes that are not valid UTF-8 (first at byte {err.start}) "
            "were replaced by U+FFFD",
            DecodingWarning,
            stacklevel=3,
        )
        return raw.decode("utf-8", errors="replace")


def decode_document(raw: bytes, where: str) -> str:
    """A whole document's text: UTF-8 (its BOM dropped), or UTF-16/32 when it starts with
    their byte order mark."""
    if raw.startswith(codecs.BOM_UTF8):
        return decode(raw[len(codecs.BOM_UTF8):], where)
    for bom, name in WIDE_BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(name.lower().replace("-", ""))
            except UnicodeDecodeError as err:
                raise DataError(f"{where}: starts as {name} but is not valid {name} "
                                f"({err.reason})") from err
    return decode(raw, where)


def open_binary(path: Path | RemoteFile | StandardInput) -> IO[bytes]:
    """Open a file (or a pipe, a URL, standard input) for binary reading, un-gzipping
    ``.gz`` files (and gzip bytes on standard input)."""
    if isinstance(path, StandardInput):
        return open_standard_input()
    if isinstance(path, RemoteFile):
        handle = path.open_binary()
        return GzipReader(handle) if path.suffix == ".gz" else handle
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(f"{path}: no such file or folder") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: is a folder, expected a file")
    try:
        handle = open(path, "rb")  # noqa: SIM115 (returned to the caller, who closes it)
    except OSError as err:  # e.g. PermissionError
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err
    if path.suffix == ".gz":
        return GzipReader(handle)
    return handle


LAST_READ: list = [None]  # the standard input stream read last: it cannot be read again


def open_standard_input() -> IO[bytes]:
    """Standard input's bytes, left open when the reader closes them (the process owns it).
    It can be read once: opening it again is a :class:`DataError`, not an empty corpus."""
    if sys.stdin is LAST_READ[0]:
        raise DataError("<stdin>: standard input was read already and can be read once (to "
                        "read data more than once, e.g. an epoch at a time, give a file)")
    LAST_READ[0] = sys.stdin
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # a text stream put in its place (e.g. by a test): its text as UTF-8
        raw = io.BytesIO(sys.stdin.read().encode("utf-8"))
    peek = getattr(raw, "peek", None)
    if peek is not None and peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # (closing it leaves raw open)
    return KeptOpen(raw)


class KeptOpen:
    """A binary stream whose ``close`` leaves it open: what a reader closes when done."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle

    def __getattr__(self, name: str):
        return getattr(self.handle, name)

    def __iter__(self):
        return iter(self.handle)

    def __enter__(self) -> KeptOpen:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def close(self) -> None:
        pass


class GzipReader(gzip.GzipFile):
    """A gzip stream that closes the file it reads (a GzipFile leaves a given file open)."""

    def __init__(self, raw: IO[bytes]):
        super().__init__(fileobj=raw, mode="rb")
        self.raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.raw.close()


def is_regular_file(path: Path | RemoteFile | StandardInput) -> bool:
    """A file that can be read twice (not a pipe, socket, device or standard input; a URL
    can)."""
    if isinstance(path, StandardInput):
        return False
    if isinstance(path, RemoteFile):
        return True
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def numbered_lines(path: Path | RemoteFile | StandardInput,
                   keep_ends: bool = False) -> Iterator[tuple[int, str]]:
    """Yield (line number from 1, decoded line) without its line end (or with it, for a
    reader that must see quoted line breaks). A UTF-8 BOM is dropped; a UTF-16/32 file is
    refused by name (its lines cannot be split on the byte 10)."""
    with open_binary(path) as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                if number == 1:
                    raw = first_line_bytes(path, raw)
                line = decode(raw, f"{path}, line {number}")
                yield number, line if keep_ends else line.rstrip("\r\n")
        except READ_ERRORS as err:  # e.g. a truncated gzip file
            raise DataError(f"{path}: cannot be read to the end ({err})") from err


def first_line_bytes(path: Path, raw: bytes) -> bytes:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):]
    for bom, name in WIDE_BOMS:
        if raw.startswith(bom):
            raise DataError(f"{path}: is {name} (it starts with a byte order mark); textclf "
                            f"reads UTF-8 text: convert it (iconv -f {name} -t UTF-8)")
    return raw


def read_document(path: Path) -> str:
    """A whole file as one document (see :func:`decode_document`)."""
    with open_binary(path) as handle:
        try:
            raw = handle.read()
        except READ_ERRORS as err:
            raise DataError(f"{path}: cannot be read to the end ({err})") from err
    return decode_document(raw, str(path))

# where a file is ----------------------------------------------------------------------------
def is_url(spec: str | Path) -> bool:
    """Whether ``spec`` names a file by a URL other than ``file://``."""
    text = str(spec)
    return "://" in text and not text.startswith("file://")


def require_fsspec(url: str) -> Any:
    try:
        import fsspec
    except ImportError:
        raise DataError(f"{url}: reading a URL needs fsspec (pip install fsspec, or "
                        "'textclf[dask]', and the package of its file system, e.g. s3fs)") \
            from None
    return fsspec


class RemoteFile(str):
    """A file named by an fsspec URL; the string is the URL, so messages name it as given.
    It answers the questions the readers ask of a :class:`~pathlib.Path`."""

    @property
    def name(self) -> str:
        return self.rstrip("/").rsplit("/", 1)[-1]

    @property
    def suffixes(self) -> list[str]:
        return PurePosixPath(self.name).suffixes

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    def file_system(self) -> Any:
        fsspec = require_fsspec(self)
        try:
            fs, path = fsspec.core.url_to_fs(str(self))
        except (ImportError, ValueError) as err:  # e.g. s3:// without s3fs
            raise DataError(f"{self}: cannot read this URL ({err})") from err
        return fs, path

    def exists(self) -> bool:
        fs, path = self.file_system()
        return bool(fs.exists(path))

    def is_dir(self) -> bool:
        fs, path = self.file_system()
        return bool(fs.isdir(path))

    def open_binary(self) -> IO[bytes]:
        """The file's bytes as stored (:func:`~textclf.corpus.files.open_binary`
        un-gzips a ``.gz`` name)."""
        fs, path = self.file_system()
        try:
            return fs.open(path, "rb")
        except FileNotFoundError:
            raise DataError(f"{self}: no such file or folder") from None
        except OSError as err:
            raise DataError(f"{self}: cannot be read ({err})") from err


class StandardInput(str):
    """Standard input named as a corpus file (``-``): read once, as it comes. The string is
    ``<stdin>``, the name messages and document ids give it."""

    name = "<stdin>"
    suffixes: tuple[str, ...] = ()
    suffix = ""

    def __new__(cls) -> StandardInput:
        return super().__new__(cls, "<stdin>")

    def exists(self) -> bool:
        return True

    def is_dir(self) -> bool:
        return False


STDIN = "-"


def file_path(spec: str | Path) -> Path | RemoteFile | StandardInput:
    """A local :class:`~pathlib.Path` (``file://`` stripped), :class:`StandardInput` for
    ``-``, or a :class:`RemoteFile`."""
    if isinstance(spec, Path | RemoteFile | StandardInput):
        return spec
    text = str(spec)
    if text == STDIN:
        return StandardInput()
    if is_url(text):
        return RemoteFile(text)
    return Path(text.removeprefix("file://"))
