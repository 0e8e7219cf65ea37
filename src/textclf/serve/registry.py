"""The models a server answers with, and switching to a new file without dropping a request.

Each model is a :class:`ServedModel`: an immutable snapshot of a classifier read from one
version of its file. A request takes the snapshot once and uses it to the end, so
replacing the registry's entry (one reference assignment) switches the model *between*
requests. A new file is read in the background (the file watcher) or on SIGHUP; when it
cannot be read (corrupt, of another format version, half-copied by a non-atomic writer)
the old snapshot stays in service and the reason is logged and shown by ``GET /v1/models``.

A file's version is the SHA-256 of its bytes. Reading is checked against the file changing
underneath: the file's identity (device, inode, size, modification time) is taken before
and after; a replacement in between means reading again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from textclf.classifier import TextClassifier
from textclf.errors import ModelFileError, TextclfError

log = logging.getLogger("textclf.serve")
READ_ATTEMPTS = 3
STRONGEST = 10  # features per class shown among a model's facts
WARM_UP_TEXT = "a short text to warm up the model"


class UnknownModelError(LookupError):
    """No model is served under the name a request gave."""

    def __init__(self, name: str, served: list[str]):
        super().__init__(f"no model named {name!r}; served: {', '.join(served)}")


@dataclass(frozen=True)
class FileVersion:
    """One version of a model file: its digest, size and modification time."""

    sha256: str
    size: int
    modified: float
    identity: tuple[int, int, int, int]  # (device, inode, size, mtime in ns)

    @property
    def version(self) -> str:
        """A short name for the version: the digest's first 12 hex digits."""
        return self.sha256[:12]


def identity(path: str | Path) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or rewritten."""
    try:
        st = os.stat(path)
    except FileNotFoundError as err:
        raise ModelFileError(f"{path}: no such model file") from err
    except OSError as err:
        raise ModelFileError(f"{path}: cannot be read ({err.strerror})") from err
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise ModelFileError(f"{path}: cannot be read ({err.strerror})") from err
    return digest.hexdigest()


def model_facts(clf: TextClassifier) -> dict[str, Any]:
    """What a client may want to know about a classifier (computed once per load)."""
    summary = clf.inspect(top=STRONGEST).to_dict()
    history = clf.history
    return {
        "labels": list(clf.labels),
        "model_kind": summary["model_kind"],
        "model_name": summary["model_name"],
        "featurizer": summary["featurizer_kind"],
        "n_features": clf.featurizer.n_features,
        "n_terms": summary["n_terms"],
        "n_training_documents": summary["n_training_documents"],
        "settings": summary["settings"],
        "history": {"epochs": len(history), "last": history[-1] if history else None},
        "strongest": summary["strongest"],
        "measure": summary["measure"],
        "multi_label": bool(clf.multi_label),
        "decision": summary["decision"],  # multi-label: threshold as applied, top_k, ...
        "provenance": summary["provenance"],  # the model card
    }


@dataclass(frozen=True)
class ServedModel:
    """A classifier read from one version of its file, with what is known about it."""

    name: str
    path: str
    classifier: TextClassifier
    file: FileVersion
    loaded_at: float
    facts: dict[str, Any] = field(repr=False)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.file.version,
            **self.facts,
            "file": {"path": self.path, "sha256": self.file.sha256, "size": self.file.size,
                     "modified": iso_time(self.file.modified)},
            "loaded_at": iso_time(self.loaded_at),
        }


def iso_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def load_model(name: str, path: str, options: dict[str, Any] | None = None) -> ServedModel:
    """Read ``path`` as a classifier (``options``: TextClassifier.load's), with the digest
    of exactly the bytes that were read."""
    for _ in range(READ_ATTEMPTS):
        before = identity(path)
        clf = TextClassifier.load(path, **(options or {}))
        digest = file_digest(path)
        if identity(path) == before:
            break
    else:
        raise ModelFileError(f"{path}: the file kept changing while it was read")
    warm_up(path, clf)
    version = FileVersion(digest, before[2], before[3] / 1e9, before)
    return ServedModel(name, path, clf, version, time.time(), model_facts(clf))


def warm_up(path: str, clf: TextClassifier) -> None:
    """Predict and explain once, so that the first request does not wait for the compiled
    kernels to be compiled (numba) or the featuriser's lookup tables to be built; a model
    whose probabilities are not finite numbers is refused (a reload keeps the old one)."""
    probabilities = clf.predict_proba([WARM_UP_TEXT, ""])
    if not np.all(np.isfinite(probabilities)):
        raise ModelFileError(f"{path}: the model gives probabilities that are not finite "
                             "numbers")
    clf.explain(WARM_UP_TEXT)


@dataclass
class Entry:
    """A name's live model, and the last file that could not replace it."""

    live: ServedModel
    refused: tuple[int, int, int, int] | None = None
    refusal: str | None = None


class ModelRegistry:
    """name → the live :class:`ServedModel`; reloads changed files, keeping the old model
    when a new file cannot be read."""

    def __init__(self, models: dict[str, str], load_options: dict[str, Any] | None = None):
        self.load_options = load_options or {}  # how every file is read, reloads included
        self.entries = {name: Entry(load_model(name, os.path.abspath(path), self.load_options))
                        for name, path in models.items()}
        self.lock = threading.Lock()  # one reload at a time (watcher and SIGHUP)
        self.stop = threading.Event()
        self.watcher: threading.Thread | None = None

    @property
    def names(self) -> list[str]:
        return list(self.entries)

    def get(self, name: str) -> ServedModel:
        entry = self.entries.get(name)
        if entry is None:
            raise UnknownModelError(name, self.names)
        return entry.live

    def describe(self, name: str) -> dict[str, Any]:
        entry = self.entries.get(name)
        if entry is None:
            raise UnknownModelError(name, self.names)
        return entry.live.describe() | {"reload_error": entry.refusal}

    # reloading ---------------------------------------------------------------------------------
    def reload(self, force: bool = False) -> list[str]:
        """Read every model file that changed (every file, with ``force``); return the names
        switched to a new version."""
        switched = []
        with self.lock:
            for name, entry in self.entries.items():
                if self.reload_one(name, entry, force):
                    switched.append(name)
        return switched

    def reload_one(self, name: str, entry: Entry, force: bool) -> bool:
        path = entry.live.path
        try:
            current = identity(path)
        except ModelFileError as err:
            return self.refuse(entry, None, str(err), force)
        if not force and current in (entry.live.file.identity, entry.refused):
            return False
        try:
            fresh = load_model(name, path, self.load_options)
        except TextclfError as err:
            return self.refuse(entry, current, str(err), force)
        except Exception as err:  # a file no check foresaw must not stop the server
            return self.refuse(entry, current, f"{path}: {type(err).__name__}: {err}", force)
        entry.refused = entry.refusal = None
        if fresh.file.sha256 == entry.live.file.sha256:  # touched or copied, same bytes
            entry.live = ServedModel(name, path, entry.live.classifier, fresh.file,
                                     entry.live.loaded_at, entry.live.facts)
            return False
        log.info("model %s: now serving version %s from %s (was %s)", name,
                 fresh.file.version, path, entry.live.file.version)
        entry.live = fresh
        return True

    def refuse(self, entry: Entry, current, reason: str, force: bool) -> bool:
        """Keep the live model; log why once per refused file (and on every SIGHUP)."""
        if force or current != entry.refused or reason != entry.refusal:
            log.warning("model %s: keeping version %s; the new file was not loaded: %s",
                        entry.live.name, entry.live.file.version, reason)
        entry.refused, entry.refusal = current, reason
        return False

    # the file watcher ---------------------------------------------------------------------------
    def watch(self, interval: float) -> None:
        """Look at the files every ``interval`` seconds in a background thread (0: never)."""
        if interval <= 0 or self.watcher is not None:
            return
        self.stop.clear()
        self.watcher = threading.Thread(target=self.watch_loop, args=(interval,),
                                        name="textclf-model-watcher", daemon=True)
        self.watcher.start()

    def watch_loop(self, interval: float) -> None:
        while not self.stop.wait(interval):
            self.reload()

    def stop_watching(self) -> None:
        self.stop.set()
        if self.watcher is not None:
            self.watcher.join(timeout=10)
            self.watcher = None
