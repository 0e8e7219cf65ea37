"""Bytes to text: UTF-8 with a warning (not a crash) for bad bytes, gzip opened transparently;
local files or fsspec URLs (:mod:`textclf.corpus.locations`)."""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Iterator
from pathlib import Path

from textclf.corpus.locations import RemoteFile
from textclf.errors import DataError


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


def open_binary(path: Path | RemoteFile):
    """Open a file for binary reading, transparently un-gzipping ``.gz`` files."""
    if isinstance(path, RemoteFile):
        return path.open_binary()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, expected a file")
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def numbered_lines(path: Path | RemoteFile) -> Iterator[tuple[int, str]]:
    """Yield (line number from 1, decoded line without its newline)."""
    with open_binary(path) as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                yield number, decode(raw, f"{path}, line {number}").rstrip("\r\n")
        except (OSError, EOFError) as err:  # e.g. a truncated gzip file
            raise DataError(f"{path}: cannot be read to the end ({err})") from err
