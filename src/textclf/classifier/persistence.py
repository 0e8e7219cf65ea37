"""A classifier in the model file: what is written, and checking everything read back.

The file (:mod:`textclf.core.modelfile`) holds ``meta.json`` with the labels, the
featuriser's state, the model's configuration, the training settings and history (and the
tuner's search, and a checkpoint's training state, if any), and the arrays
``featurizer.*``, ``model.*`` (and ``resume.*``). A model file is untrusted input: its
meta.json is checked against :data:`META_SCHEMA` and every part against the others before
a classifier is built from it; what does not fit is a :class:`ModelFileError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textclf.classifier import compression
from textclf.classifier.settings import DecisionSettings
from textclf.classifier.targets import LABEL_TYPES
from textclf.core import modelfile
from textclf.core.schema import SchemaError, check
from textclf.errors import ModelFileError, SettingsError
from textclf.features.featurizer import Featurizer
from textclf.features.settings import FeatureSettings
from textclf.features.splitter import FAST_PATTERNS
from textclf.models.base import Model
from textclf.models.catalog import MODEL_KINDS
from textclf.training.settings import TrainingSettings

# A vocabulary (or one block of it: words or character n-grams); its arrays: terms_utf8 and
# terms_offsets (or front-coded), document_frequency, idf, and nb_scale for the nb weightings.
BLOCK_SCHEMA = {"settings": dict, "n_documents": int, "terms?": [str], "n_terms?": int,
                "unit?": str}
META_SCHEMA = {
    "labels": [str],
    "label_type?": str,
    "featurizer": {**BLOCK_SCHEMA, "collisions?": int,
                   "parts?": {"words?": BLOCK_SCHEMA, "chars?": BLOCK_SCHEMA}},
    "model": {"kind": str, "n_features": int, "n_classes?": int, "init?": str, "seed?": int,
              "hidden?": [int], "activation?": str, "dropout?": float, "multi_label?": bool,
              "temperature?": float},
    "training": dict,
    "history?": [dict],
    "tuning?": dict,
    "float32?": bool,
    "resume?": dict,
    "decision?": {"threshold?": object, "top_k?": object, "at_least_one?": bool,
                  "chosen_threshold?": object},
    "calibration?": {"temperature": float, "dev_loss_before": "number",
                     "dev_loss_after": "number"},
    "compression?": {"quantize?": object, "prune_below?": object, "pruned?": int,
                     "vocabulary?": str, "parameters?": dict},
}
# Token patterns textclf writes itself (they are known to run in linear time); any other
# pattern in a file runs only when the loader trusts the file (trust_pattern).
TRUSTED_PATTERNS = tuple(FAST_PATTERNS)
INTEGER = re.compile(r"-?[0-9]{1,4300}")  # a label name of an int (Python's digit limit)


@dataclass
class ClassifierParts:
    """Everything a trained classifier is made of."""

    featurizer: Featurizer
    model: Model
    labels: list[str]
    training_settings: TrainingSettings
    history: list[dict]
    tuning: dict | None = None
    float32: bool = False
    resume: dict | None = None  # a checkpoint's training state (meta and arrays)
    resume_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    decision: dict = field(default_factory=dict)  # a multi-label model's decision settings
    calibration: dict | None = None  # the fitted temperature and the dev losses
    compression: dict | None = None  # how to write it small (classifier.compression)
    label_type: str = "str"  # the type the labels were given in (targets.LABEL_TYPES)


def write(path: str | Path, parts: ClassifierParts, sign_key: bytes | None = None) -> None:
    """Write ``parts`` to one model file (atomically). θ is stored in the dtype it was
    trained in, so a float32 model predicts the same after loading."""
    featurizer_meta, featurizer_arrays = parts.featurizer.state()
    meta = {
        "labels": parts.labels,
        "label_type": parts.label_type,
        "featurizer": featurizer_meta,
        "model": parts.model.config(),
        "training": parts.training_settings.as_dict(),
        "history": parts.history,
        "float32": parts.float32,
    }
    if parts.tuning is not None:
        meta["tuning"] = parts.tuning
    if parts.model.multi_label:
        meta["decision"] = parts.decision
    if parts.calibration is not None:
        meta["calibration"] = parts.calibration
    arrays = {f"featurizer.{k}": v for k, v in featurizer_arrays.items()}
    arrays |= {f"model.{k}": np.asarray(v) for k, v in parts.model.parameters().items()}
    if parts.resume is not None:
        meta["resume"] = parts.resume
        arrays |= {f"resume.{k}": v for k, v in parts.resume_arrays.items()}
    if parts.compression is not None:
        compression.encode(meta, arrays, parts.model, parts.compression)
    modelfile.save(path, meta, arrays, sign_key)


def with_prefix(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays named ``prefix.NAME``, as NAME."""
    return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}


def read(path: str | Path, trust_pattern: bool = False,
         sign_key: bytes | None = None) -> ClassifierParts:
    """Read a model file written by :func:`write`, checking that every part is well formed
    and that the parts fit together (and its signature, with ``sign_key``)."""
    meta, arrays = modelfile.load(path, sign_key)
    try:
        check(meta, META_SCHEMA, "meta.json")
    except SchemaError as err:
        raise ModelFileError(f"{path}: {err}") from err
    try:
        stored, featurizer_meta = meta.get("compression"), meta["featurizer"]
        if stored is not None:
            featurizer_meta, arrays = compression.decode(meta, arrays)
        featurizer = Featurizer.from_state(featurizer_meta, with_prefix(arrays, "featurizer."))
        kind = meta["model"]["kind"]
        if kind not in MODEL_KINDS:
            raise SettingsError(f"unknown model kind {kind!r}")
        model = MODEL_KINDS[kind].from_config(meta["model"], with_prefix(arrays, "model."))
        training = TrainingSettings.from_dict(meta["training"])
        decision = checked_decision(meta.get("decision", {}))
    except (KeyError, TypeError, ValueError, SettingsError) as err:
        raise ModelFileError(f"{path}: inconsistent model file ({err})") from err
    labels, label_type = meta["labels"], meta.get("label_type", "str")
    check_parts(path, featurizer, model, labels, trust_pattern)
    check_label_type(path, labels, label_type)
    return ClassifierParts(featurizer, model, labels, training, meta.get("history", []),
                           meta.get("tuning"), bool(meta.get("float32", False)),
                           meta.get("resume"), with_prefix(arrays, "resume."), decision,
                           meta.get("calibration"), compression_spec(stored), label_type)


def check_label_type(path: str | Path, labels: list[str], label_type: str) -> None:
    """The labels' type is one textclf knows, and every label is a name of that type."""
    if label_type not in LABEL_TYPES:
        raise ModelFileError(f"{path}: unknown label type {label_type!r} (known: "
                             f"{', '.join(LABEL_TYPES)})")
    names_a = {"int": lambda name: bool(INTEGER.fullmatch(name)) and name == str(int(name)),
               "bool": lambda name: name in ("False", "True"),
               "str": lambda name: True}[label_type]
    bad = next((label for label in labels if not names_a(label)), None)
    if bad is not None:
        raise ModelFileError(f"{path}: label {bad!r} is not the name of a {label_type}")


def compression_spec(stored: dict | None) -> dict | None:
    """How a compressed file was made, to write it so again (its quantisation checked)."""
    if stored is None:
        return None
    quantize = stored.get("quantize")
    if quantize not in (None, *compression.QUANTIZERS):
        raise ModelFileError(f"unknown quantisation {quantize!r}")
    return {"quantize": quantize, "prune_below": stored.get("prune_below"),
            "pruned": stored.get("pruned", 0)}


def checked_decision(decision: dict) -> dict:
    """A multi-label model's decision settings, each checked by its declaration, and the
    threshold chosen on dev data (a number in (0, 1), or None)."""
    settings = DecisionSettings.from_dict(decision)
    chosen = decision.get("chosen_threshold")
    if chosen is not None:
        chosen = DecisionSettings.threshold.check(chosen)
        if chosen == "auto":
            raise SettingsError("the chosen threshold must be a number")
    if settings.threshold == "auto" and chosen is None:
        raise SettingsError("threshold 'auto' without the threshold it chose")
    return {**settings.as_dict(), "chosen_threshold": chosen}


def arguments(parts: ClassifierParts) -> dict:
    """The arguments of ``TextClassifier`` that remake the classifier of ``parts``."""
    model = parts.model
    values = {s.argument: getattr(parts.featurizer.settings, s.name)
              for s in FeatureSettings.declared.values()}
    values |= {s.argument: getattr(parts.training_settings, s.name)
               for s in TrainingSettings.declared.values()}
    values |= {s.argument: parts.decision[s.name] for s in DecisionSettings.declared.values()
               if s.name in parts.decision}
    values["model"] = "logistic" if model.kind == "multilabel" else model.kind
    values["multi_label"] = True if model.multi_label else None
    if model.kind == "mlp":
        values |= {"hidden": model.hidden, "activation": model.activation,
                   "dropout": model.dropout}
    return values | {"float32": parts.float32}


def check_parts(path: str | Path, featurizer: Featurizer, model: Model, labels: list[str],
                trust_pattern: bool) -> None:
    """The featuriser, the model and the labels fit together, and the file's token pattern
    is one textclf writes (or the caller trusts the file)."""
    if model.config().get("n_features") != featurizer.n_features:
        raise ModelFileError(
            f"{path}: the model expects {model.config().get('n_features')} features but "
            f"the featuriser produces {featurizer.n_features}"
        )
    outputs = 2 if model.kind == "logistic" else model.config().get("n_classes")
    if len(labels) != outputs or len(set(labels)) != len(labels):
        raise ModelFileError(f"{path}: {len(labels)} labels for a model of {outputs} classes "
                             "(or a label appears twice)")
    bad = next((label for label in labels if not label or any(c in label for c in "\t\r\n")),
               None)
    if bad is not None:
        raise ModelFileError(f"{path}: label {bad!r} is empty or holds a tab or line break")
    pattern = featurizer.settings.token_pattern
    if pattern not in TRUSTED_PATTERNS and not trust_pattern:
        raise ModelFileError(
            f"{path}: its token pattern {pattern!r} is not one textclf writes by itself; a "
            "pattern can take exponential time on some texts, so it runs only for a file you "
            "trust: load it with trust_pattern=True (textclf: --trust-pattern)"
        )


def restore(cls, parts: ClassifierParts):
    """A classifier of class ``cls`` (``TextClassifier``) made of ``parts``; an optimiser's
    averages the file keeps (a checkpoint's) are kept for training on."""
    clf = cls(**arguments(parts))
    for featurizer in (parts.featurizer, *getattr(parts.featurizer, "parts", {}).values()):
        featurizer.dtype = np.dtype(clf.dtype)  # each block's too: the values as trained
    clf.training_settings = parts.training_settings
    clf.featurizer, clf.model, clf.labels = parts.featurizer, parts.model, parts.labels
    clf.history, clf.tuning = parts.history, parts.tuning
    clf.label_type = parts.label_type
    clf.multi_label = parts.model.multi_label
    clf.chosen_threshold = parts.decision.get("chosen_threshold")
    clf.calibration, clf.compression = parts.calibration, parts.compression
    trainer = (parts.resume or {}).get("trainer") or {}
    steps = with_prefix(parts.resume_arrays, "step.")
    if isinstance(trainer.get("step_state"), dict) and (steps or trainer["step_state"]):
        clf.optimizer_state = (trainer["step_state"], steps)
    return clf
