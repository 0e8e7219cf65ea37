"""One training run of a fresh (or loaded) model: the loop, checkpoints, what follows θ.

:func:`train_fitted` is where every way of training in one process runs the loop
(:class:`~textclf.training.loop.Trainer`): in memory, from a stream, training on. With a
checkpoint file the model file is rewritten after every epoch and a run can resume
(:mod:`textclf.fitting.checkpoints`). After the epochs come, in this order: nb's β
interpolation of the weights (two classes), the temperature and a multi-label threshold
fitted on the dev set (:mod:`textclf.fitting.devset`), and the model's provenance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textclf.core.version import __version__
from textclf.features.naive_bayes import interpolate_trained
from textclf.fitting.checkpoints import COMPLETED, Checkpoints
from textclf.fitting.devset import fit_on_dev
from textclf.fitting.fitted import Fitted
from textclf.training.history import EpochCallback
from textclf.training.loop import Trainer
from textclf.training.sources import RowSource


@dataclass
class RunOptions:
    """How a run goes, besides its settings: a function called after every epoch, a
    checkpoint file (rewritten after every epoch) and whether to resume from it, the key
    that signs it, progress on the terminal, shuffling."""

    on_epoch_end: EpochCallback | None = None
    checkpoint: str | Path | None = None
    resume: bool = False
    sign_key: bytes | None = None
    quiet: bool = True
    shuffle: bool = True


def train_fitted(fitted: Fitted, source: RowSource, dev: tuple | None, options: RunOptions,
                 fingerprint: Callable[[], str]) -> Fitted:
    """Train ``fitted.model`` on the rows of ``source`` (reporting on ``dev``: (X, y) or
    (X, y, weights)), from the optimiser state ``fitted.step_state`` if any; then what
    follows θ (see the module). ``fingerprint`` names the run for its checkpoints."""
    fitted.resume = None
    checkpoints = Checkpoints(options.checkpoint, fingerprint(), options.sign_key) \
        if options.checkpoint else None
    trainer = Trainer(fitted.model, fitted.training_settings, quiet=options.quiet)
    trainer.step_state = fitted.step_state
    state = checkpoints.resume(fitted) if checkpoints and options.resume else None
    if state != COMPLETED:  # (a completed run's θ and history are back: only what follows)
        def after_epoch(epoch: int, record: dict) -> None:
            if options.on_epoch_end is not None:
                options.on_epoch_end(epoch, record)
            if checkpoints is not None:
                checkpoints.write(fitted, trainer)

        trainer.on_epoch_end = after_epoch
        fitted.history = trainer.fit(source, dev, shuffle=options.shuffle, resume=state)
        if fitted.featurizer is not None:
            interpolate_trained(fitted.model, fitted.featurizer.settings)  # nb_beta, if any
    fitted.step_state = None  # (θ moved on: a loaded optimiser state no longer applies)
    fitted.calibration, fitted.chosen_threshold = fit_on_dev(
        fitted.model, fitted.training_settings, fitted.decision, dev)
    fitted.provenance = provenance(fitted, source.n_rows)
    if checkpoints is not None:
        checkpoints.finish(fitted)
    return fitted


def provenance(fitted: Fitted, n_documents: int) -> dict:
    """Where the model came from (its model card): when and by which textclf it was trained,
    on how many documents, its scores on the dev set and its decision threshold. The command
    line adds the training data's names and SHA-256."""
    last = fitted.history[-1] if fitted.history else {}
    card = {"trained": datetime.now(UTC).isoformat(timespec="seconds"),
            "textclf_version": __version__, "documents": int(n_documents),
            **{key: fitted.provenance[key] for key in ("data",) if key in fitted.provenance}}
    dev = {key.removeprefix("dev_"): value for key, value in last.items()
           if key.startswith("dev_") and isinstance(value, float) and math.isfinite(value)}
    if dev:
        card["dev"] = dev
    if fitted.multi_label:
        card["threshold"] = fitted.decision.effective_threshold(fitted.chosen_threshold)
    return card
