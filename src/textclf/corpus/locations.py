"""Where a corpus file is: a local path, standard input (``-``), or an fsspec URL (``s3://bucket/part-0.jsonl.gz``,
``gs://...``, ``https://...``) read through fsspec and the file system's own package
(s3fs, gcsfs, ...). A cluster's workers read their shards this way from shared storage.

``file://`` URLs are plain local paths. fsspec is imported only when a URL is read; it
comes with the ``dask`` extra.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import IO, Any

from textclf.errors import DataError


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
        """The file's bytes as stored (:func:`~textclf.corpus.decoding.open_binary`
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
