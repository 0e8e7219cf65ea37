"""Where a cluster run stands after each epoch or iteration: what a checkpoint keeps, and
what a resumed run starts from.

:class:`Progress` has the interface of the training loop's trainer that
:mod:`textclf.fitting.checkpoints` writes (``history`` and ``state()``), so a cluster run's
checkpoint is the model file of one process with a training state of its own mode:
``average``, the epoch, each group's shuffling generator and the best epoch of early
stopping; ``exact``, the L-BFGS iterations done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from textclf.errors import SettingsError
from textclf.training.history import EarlyStopping
from textclf.training.loop import TrainingState


@dataclass
class Progress:
    """The history so far, and the mode's state after the last record (``meta``, JSON-able;
    ``arrays``)."""

    history: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def state(self) -> TrainingState:
        return TrainingState({**self.meta, "history": self.history}, dict(self.arrays))

    def keep(self, stopping: EarlyStopping, **meta) -> None:
        """The state after a record: ``meta`` and the best epoch of early stopping."""
        best = stopping.best
        self.meta = {**meta, "best": None if best is None else [best[0], best[1]]}
        self.arrays = {} if best is None else {f"best.{k}": v for k, v in best[2].items()}


def resumed(state: TrainingState, mode: str, stopping: EarlyStopping) -> tuple[dict, list]:
    """A checkpoint's state for ``mode``: its meta and history, the best epoch put back into
    ``stopping``; a checkpoint of the other mode is refused."""
    meta = state.meta
    if meta.get("mode") != mode:
        raise SettingsError(f"the checkpoint was written by a {meta.get('mode') or 'local'} "
                            f"run, not --distributed {mode}: train without --resume")
    try:
        history = [dict(record) for record in meta["history"]]
        if meta.get("best") is not None:
            loss, epoch = meta["best"]
            stopping.best = (float(loss), int(epoch), {
                k.removeprefix("best."): np.array(v) for k, v in state.arrays.items()
                if k.startswith("best.")})
    except (KeyError, TypeError, ValueError) as err:
        raise SettingsError(f"the checkpoint's training state cannot be used ({err})") from err
    return meta, history
