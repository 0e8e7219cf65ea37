"""Checkpoints: the model file rewritten after every epoch, with what a run needs to resume.

``textclf train ... --checkpoint`` rewrites MODEL after each epoch (atomically: a kill
leaves the previous good file or the new one). The file then also holds the training state
(:class:`~textclf.training.loop.TrainingState`: the epoch, the step, the shuffling
generator's state, the optimiser's averages, the best epoch) and a fingerprint of the run:
the settings, the labels and the bytes of X, y and the dev rows. The same command with
``--resume`` finds MODEL, checks the fingerprint (the same data and settings), puts θ and the
state back and trains the remaining epochs: the final θ is exactly that of a run that was
never interrupted. A finished run's file says so; resuming it trains nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.fitting.fitted import Fitted, read_model_file, write_model_file
from textclf.training.loop import Trainer, TrainingState

COMPLETED = "completed"


def run_fingerprint(settings: dict, labels: Sequence[str], X: sp.csr_matrix, y: np.ndarray,
                    dev: tuple | None, weights: np.ndarray | None = None) -> str:
    """SHA-256 of what decides the run's θ: settings, labels, training rows and their
    weights, and the dev rows (and their weights)."""
    digest = hashlib.sha256(json.dumps([settings, list(labels)], sort_keys=True,
                                       default=str).encode("utf-8"))
    for matrix, targets, *extra in [(X, y, weights), *([dev] if dev is not None else [])]:
        digest.update(repr(matrix.shape).encode())
        for array in (matrix.indptr, matrix.indices, matrix.data, targets, *extra):
            if array is not None:
                digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


class Checkpoints:
    """The checkpoints of one run, in the model file at ``path``."""

    def __init__(self, path: str | Path, fingerprint: str, sign_key: bytes | None = None):
        self.path, self.fingerprint, self.sign_key = Path(path), fingerprint, sign_key

    def resume(self, fitted: Fitted) -> TrainingState | str | None:
        """The state to go on from (θ put back into ``fitted.model``), :data:`COMPLETED`
        when the file holds this run finished (θ and history put back), or None when there
        is no file to resume. A file of another run is refused."""
        if not self.path.exists():
            return None
        stored = read_model_file(self.path, trust_pattern=True, sign_key=self.sign_key)
        resume, arrays = stored.resume or ({}, {})
        if resume.get("fingerprint") != self.fingerprint:
            raise SettingsError(
                f"{self.path}: holds no checkpoint of this run (other data or settings, or no "
                "--checkpoint when it was written); remove it or train without --resume")
        for name, array in fitted.model.parameters().items():
            array[...] = stored.model.parameters()[name]
        if resume.get(COMPLETED):
            fitted.history = stored.history
            return COMPLETED
        return TrainingState(resume.get("trainer", {}), arrays)

    def write(self, fitted: Fitted, trainer: Trainer) -> None:
        """Rewrite the model file with θ now and the state to go on from."""
        state = trainer.state()
        fitted.resume = ({"fingerprint": self.fingerprint, "trainer": state.meta},
                         state.arrays)
        fitted.history = trainer.history
        write_model_file(self.path, fitted, self.sign_key)

    def finish(self, fitted: Fitted) -> None:
        """The run is complete: the next save marks it so (no training state kept)."""
        fitted.resume = ({"fingerprint": self.fingerprint, COMPLETED: True}, {})
