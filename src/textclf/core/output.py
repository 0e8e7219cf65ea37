"""Writing a file safely: only where the user asked, atomically, keeping its mode.

``textclf train -o MODEL`` writes MODEL and nothing else. :func:`check_output` refuses,
before any work starts, a target that is not a new path or a file this program writes
(a corpus, a folder, a device), a missing folder and a folder that cannot be written.
:func:`write_atomically` writes to a temporary file beside the target and renames it over
the target, so a reader or a crash sees the old file or the new one, never half of one.
The temporary file is removed on every failure path, and those left by killed runs
(their writer's process is gone) are removed by the next write.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from textclf.errors import ModelFileError


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def check_output(path: str | Path, is_ours: Callable[[Path], bool], force: bool = False,
                 option: str = "-o", what: str = "model file") -> Path:
    """``path`` if it may be written: a new file in a writable folder, or an existing file
    that ``is_ours`` recognises (or any regular file with ``force``). Otherwise a
    :class:`ModelFileError` naming the path and what to do."""
    path = Path(path)
    folder = folder_of(path)
    if not folder.is_dir():
        raise ModelFileError(f"{path}: folder {folder} does not exist ({option})")
    if path.exists() or path.is_symlink():
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            mode = path.stat().st_mode if path.exists() else 0
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise ModelFileError(f"{path}: is {kind}; {option} names the {what} to write")
        if not force and not is_ours(path):
            raise ModelFileError(f"{path}: exists and is not a textclf {what}; refusing to "
                                 f"replace it (choose another {option}, or add --force)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ModelFileError(f"{path}: folder {folder} is not writable ({option})")
    return path


def temporary_prefix(path: Path) -> str:
    """Temporary files of ``path`` are ``.NAME.PID.<random>.tmp`` beside it."""
    return f".{path.name}."


def remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files of ``path`` whose writing process no longer runs."""
    prefix = temporary_prefix(path)
    with contextlib.suppress(OSError):
        for entry in folder_of(path).iterdir():
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            pid_text = name[len(prefix):].split(".", 1)[0]
            if pid_text.isdigit() and not process_runs(int(pid_text)):
                with contextlib.suppress(OSError):
                    entry.unlink()


def process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (:func:`atomic_file`)."""
    with atomic_file(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A file to write ``path`` through: a temporary file beside it, renamed over ``path``
    when the block ends without an error (removed when it raises), so a reader or a crash
    sees the old file or the new one, never half of one. A file that existed keeps its
    permissions; a new one gets those the umask gives (as ``open`` would)."""
    path = Path(path)
    folder = folder_of(path)
    if not folder.is_dir():
        raise ModelFileError(f"{path}: folder {folder} does not exist")
    remove_stale_temporaries(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~current_umask()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f"{temporary_prefix(path)}{os.getpid()}.",
                                        suffix=".tmp", dir=folder)
    except OSError as err:  # e.g. no permission to write in the folder
        raise ModelFileError(f"{path}: cannot be written ({err.strerror or err})") from err
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException as err:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(err, OSError):  # e.g. disk full, or the target is a folder
            raise ModelFileError(f"{path}: cannot be written ({err.strerror or err})") from err
        raise
