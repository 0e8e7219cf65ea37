"""A classifier in the model file: what is written, and checking that the parts fit.

The file (:mod:`textclf.core.modelfile`) holds ``meta.json`` with the labels, the
featuriser's state, the model's configuration, the training settings and history (and the
tuner's search, if any), and the arrays ``featurizer.*`` and ``model.*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textclf.core import modelfile
from textclf.errors import ModelFileError, SettingsError
from textclf.features.featurizer import Featurizer
from textclf.models.base import Model
from textclf.models.catalog import MODEL_KINDS
from textclf.training.settings import TrainingSettings


@dataclass
class ClassifierParts:
    """Everything a trained classifier is made of."""

    featurizer: Featurizer
    model: Model
    labels: list[str]
    training_settings: TrainingSettings
    history: list[dict]
    tuning: dict | None = None


def write(path: str | Path, parts: ClassifierParts) -> None:
    """Write ``parts`` to one model file (atomically)."""
    featurizer_meta, featurizer_arrays = parts.featurizer.state()
    meta = {
        "labels": parts.labels,
        "featurizer": featurizer_meta,
        "model": parts.model.config(),
        "training": parts.training_settings.as_dict(),
        "history": parts.history,
    }
    if parts.tuning is not None:
        meta["tuning"] = parts.tuning
    arrays = {f"featurizer.{k}": v for k, v in featurizer_arrays.items()}
    # the file holds θ in float64 whatever it was trained in (float32 with --float32)
    arrays |= {f"model.{k}": np.asarray(v, np.float64)
               for k, v in parts.model.parameters().items()}
    modelfile.save(path, meta, arrays)


def with_prefix(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays named ``prefix.NAME``, as NAME."""
    return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}


def read(path: str | Path) -> ClassifierParts:
    """Read a model file written by :func:`write`, checking that its parts fit together."""
    meta, arrays = modelfile.load(path)
    try:
        featurizer = Featurizer.from_state(meta["featurizer"], with_prefix(arrays, "featurizer."))
        kind = meta["model"]["kind"]
        if kind not in MODEL_KINDS:
            raise ModelFileError(f"{path}: unknown model kind {kind!r}")
        model = MODEL_KINDS[kind].from_config(meta["model"], with_prefix(arrays, "model."))
        training = TrainingSettings.from_dict(meta["training"])
        labels = [str(label) for label in meta["labels"]]
    except (KeyError, TypeError, SettingsError) as err:
        raise ModelFileError(f"{path}: inconsistent model file ({err})") from err
    if model.config().get("n_features") != featurizer.n_features:
        raise ModelFileError(
            f"{path}: the model expects {model.config().get('n_features')} features but "
            f"the featuriser produces {featurizer.n_features}"
        )
    return ClassifierParts(featurizer, model, labels, training, list(meta.get("history", [])),
                           meta.get("tuning"))
