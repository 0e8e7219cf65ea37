"""Writing a file safely: only where the user asked, atomically, keeping its mode, one
writer at a time.

``textclf train -o MODEL`` writes MODEL and nothing else. :func:`check_output` refuses,
before any work starts, a target that is not a new path or a file this program writes
(a corpus), anything that is not a regular file (a folder, a device, a symbolic link such
as ``/dev/stdout``: even with ``--force``), a missing folder and a folder that cannot be
written. :func:`write_atomically` writes to a temporary file beside the target and renames
it over the target, so a reader or a crash sees the old file or the new one, never half of
one. The temporary file is removed on every failure path, and those left by killed runs
(their writer's process is gone) are removed by the next write.

One writer at a time: :func:`check_output` (and each write) takes a lock beside the target,
``.NAME.lock`` (``flock``, which the system releases when its process ends, however it
ends); a second process about to write the same file fails at once, in one line, instead
of both saying they saved it and one model being lost. The lock is released, and its file
removed, once the target is written, when a command of the command line ends, or when the
process ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from textclf.errors import ModelFileError

try:
    import fcntl
except ImportError:  # not on Unix: no locks beside the files
    fcntl = None  # type: ignore[assignment]

# The locks this process holds: target path → the lock file's descriptor. (Process-wide
# on purpose: a lock belongs to the process, as flock's do.)
HELD: dict[Path, int] = {}
HELD_GUARD = threading.Lock()


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
    kind = not_regular(path)
    if kind is not None:
        raise ModelFileError(f"{path}: is {kind}; {option} names the {what} to write")
    if path.exists() and not force and not is_ours(path):
        raise ModelFileError(f"{path}: exists and is not a textclf {what}; refusing to "
                             f"replace it (choose another {option}, or add --force)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ModelFileError(f"{path}: folder {folder} is not writable ({option})")
    claim(path, option)
    return path


def not_regular(path: Path) -> str | None:
    """What ``path`` is when it is there and not a regular file (a symbolic link counts as
    one of those, wherever it points: renaming over it would replace the link); else
    None."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ModelFileError(f"{path}: cannot be examined ({err.strerror or err})") from err
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link (name the file it points to)"
    return "a folder" if stat.S_ISDIR(mode) else "not a regular file"


def lock_path(path: Path) -> Path:
    """The lock of ``path``: ``.NAME.lock`` beside it."""
    return folder_of(path) / f".{path.name}.lock"


def claim(path: Path, option: str = "-o") -> bool:
    """Hold the lock beside ``path`` for this process; False if it held it already. A
    :class:`ModelFileError` if another process holds it (naming that process)."""
    if fcntl is None:
        return False
    key = Path(os.path.abspath(path))
    with HELD_GUARD:
        if key in HELD:
            return False
        lock = lock_path(key)
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise ModelFileError(f"{path}: cannot be written ({err.strerror or err})") \
                    from err
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise ModelFileError(f"{path}: another textclf process (pid {holder}) is "
                                     f"writing this file; wait for it to end, or choose another "
                                     f"{option}") from None
            if same_file(fd, lock):
                break
            os.close(fd)  # its last holder removed it as we opened it: take a new one
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        HELD[key] = fd
    return True


def same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def release(path: str | Path) -> None:
    """Let go of the lock beside ``path`` (if this process holds it) and remove it."""
    key = Path(os.path.abspath(path))
    with HELD_GUARD:
        fd = HELD.pop(key, None)
        if fd is None:
            return
        with contextlib.suppress(OSError):
            lock_path(key).unlink()
        os.close(fd)


def held() -> set[Path]:
    """The targets whose locks this process holds."""
    with HELD_GUARD:
        return set(HELD)


@atexit.register
def release_all() -> None:
    for path in held():
        release(path)


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
    kind = not_regular(path)
    if kind is not None:
        raise ModelFileError(f"{path}: cannot be written (it is {kind}, not a regular file)")
    claim(path, "the path")
    try:
        with writing(path) as handle:
            yield handle
    finally:
        release(path)  # written, or not: the next writer may go on


@contextlib.contextmanager
def writing(path: Path) -> Iterator[BinaryIO]:
    """The temporary file of :func:`atomic_file`, renamed over ``path`` at the end."""
    folder = folder_of(path)
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
