"""What a fit makes: the featuriser, the model and the labels, and what goes with them.

A :class:`Fitted` is everything a trained classifier is: it predicts (``predict_proba``,
``predict``), a multi-label one decides its labels (``decision_rule``), explanations and
the model file read it. Every way of training returns one; ``TextClassifier`` holds one.

**The model file** (:func:`write_model_file`, :func:`read_model_file`; the container is
:mod:`textclf.core.modelfile`) holds ``meta.json`` with the labels, the featuriser's state,
the model's configuration, the training settings and history (and the tuner's search, and
a checkpoint's training state, if any), and the arrays ``featurizer.*``, ``model.*`` (and
``resume.*``). A model file is untrusted input: its meta.json is checked against
:data:`META_SCHEMA` and every part against the others before a classifier is built from
it; what does not fit is a :class:`~textclf.errors.ModelFileError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textclf.core import modelfile
from textclf.core.modelfile import SchemaError, check_schema
from textclf.corpus.documents import checked_texts
from textclf.errors import ModelFileError, SettingsError
from textclf.evaluation.decisions import DecisionRule, chosen_labels
from textclf.features.featurizer import Featurizer
from textclf.features.settings import FeatureSettings
from textclf.features.tokens import FAST_PATTERNS
from textclf.fitting.settings import DecisionSettings
from textclf.models.base import Model
from textclf.models.ensemble import Ensemble
from textclf.models.settings import MODEL_KINDS
from textclf.training.settings import TrainingSettings

# The types labels may be given in. Inside, a label is its name (a string: "pos", "3",
# "True"); predict gives it back in the type it was given, as scikit-learn does.
LABEL_TYPES = ("str", "int", "bool")


def typed_label(name: str, label_type: str) -> str | int | bool:
    """A label name back in the type the labels were given in."""
    if label_type == "int":
        return int(name)
    if label_type == "bool":
        return name == "True"
    return name


@dataclass
class Fitted:
    """A trained classifier's parts.

    ``labels``: the label names in the order of the model's outputs (``label_type``: the
    type they were given in, str, int or bool); ``training_settings``: those used;
    ``history``: one record per epoch; ``decision`` and ``chosen_threshold``: how a
    multi-label model decides (the threshold ``auto`` chose on dev data); ``calibration``:
    the temperature fitted on dev data, and why; ``provenance``: where the model came from
    (the data, the date, the dev scores: its model card). ``resume``: a checkpoint's
    training state, written with the model; ``step_state``: the optimiser's averages a
    loaded checkpoint held, to train on from; ``dev_probabilities``: P on the dev rows of
    the fit that made it (not saved), so that a report on the same dev set need not
    featurise it again.
    """

    featurizer: Featurizer | None
    model: Model
    labels: list[str]
    training_settings: TrainingSettings
    history: list[dict] = field(default_factory=list)
    label_type: str = "str"
    decision: DecisionSettings = field(default_factory=DecisionSettings)
    chosen_threshold: float | None = None
    calibration: dict | None = None
    float32: bool = False
    tuning: dict | None = None
    compression: dict | None = None
    provenance: dict = field(default_factory=dict)
    cluster_report: dict | None = None
    resume: tuple[dict, dict] | None = None
    step_state: tuple[dict, dict] | None = None
    dev_probabilities: np.ndarray | None = field(default=None, repr=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["dev_probabilities"] = None  # (a report's convenience, not part of the model)
        return state

    @property
    def multi_label(self) -> bool:
        return bool(self.model.multi_label)

    @property
    def classes(self) -> list:
        """The labels in the type they were given in, in the order of the outputs."""
        return [typed_label(name, self.label_type) for name in self.labels]

    @property
    def decision_rule(self) -> DecisionRule | None:
        """How a multi-label model chooses a document's labels (None: single-label)."""
        return self.decision.rule(self.chosen_threshold) if self.multi_label else None

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """[X | 1] of ``texts`` (any iterable of strings)."""
        return self.featurizer.transform(checked_texts(texts))

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """P(label | text), one column per label (multi-label: each label's own)."""
        return self.model.predict_proba(self.transform(texts))

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Multi-label: the boolean matrix of the labels each document gets."""
        return self.decision.rule(self.chosen_threshold).apply(probabilities)

    def predict(self, texts: Sequence[str]) -> list:
        """Each text's most probable label, in the labels' own type; a multi-label model's
        list of the labels each text gets."""
        X = self.transform(texts)
        classes = self.classes
        if self.multi_label:
            return chosen_labels(self.decide(self.model.predict_proba(X)), classes)
        return [classes[k] for k in self.model.predict(X)]

# the model file --------------------------------------------------------------------------
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
              "temperature?": float, "output?": str, "alpha?": "number",
              "names?": [str], "scales?": [float], "members?": [dict], "normalise?": bool},
    "training": dict,
    "history?": [dict],
    "tuning?": dict,
    "float32?": bool,
    "resume?": dict,
    "decision?": {"threshold?": object, "top_k?": object, "at_least_one?": bool,
                  "chosen_threshold?": object},
    "calibration?": {"temperature": float, "dev_loss_before": "number",
                     "dev_loss_after": "number"},
    "provenance?": dict,
    "compression?": {"quantize?": object, "prune_below?": object, "pruned?": int,
                     "vocabulary?": str, "parameters?": dict},
}
# Token patterns textclf writes itself (they are known to run in linear time); any other
# pattern in a file runs only when the loader trusts the file (trust_pattern).
TRUSTED_PATTERNS = tuple(FAST_PATTERNS)
INTEGER = re.compile(r"-?[0-9]{1,4300}")  # a label name of an int (Python's digit limit)


def write_model_file(path: str | Path, fitted: Fitted, sign_key: bytes | None = None) -> None:
    """Write ``fitted`` to one model file (atomically). θ is stored in the dtype it was
    trained in, so a float32 model predicts the same after loading."""
    featurizer_meta, featurizer_arrays = fitted.featurizer.state()
    meta = {
        "labels": fitted.labels,
        "label_type": fitted.label_type,
        "featurizer": featurizer_meta,
        "model": fitted.model.config(),
        "training": fitted.training_settings.as_dict(),
        "history": fitted.history,
        "float32": fitted.float32,
    }
    if fitted.provenance:
        meta["provenance"] = fitted.provenance
    if fitted.tuning is not None:
        meta["tuning"] = fitted.tuning
    if fitted.multi_label:
        meta["decision"] = {**fitted.decision.as_dict(),
                            "chosen_threshold": fitted.chosen_threshold}
    if fitted.calibration is not None:
        meta["calibration"] = fitted.calibration
    arrays = {f"featurizer.{k}": v for k, v in featurizer_arrays.items()}
    arrays |= {f"model.{k}": np.asarray(v) for k, v in fitted.model.parameters().items()}
    if isinstance(fitted.model, Ensemble):  # each member's columns
        arrays |= {f"model.{k}": v for k, v in fitted.model.structure().items()}
    if fitted.resume is not None:
        resume, resume_arrays = fitted.resume
        meta["resume"] = resume
        arrays |= {f"resume.{k}": v for k, v in resume_arrays.items()}
    if fitted.compression is not None:
        from textclf.fitting import compression  # (only small files need it)

        compression.encode(meta, arrays, fitted.model, fitted.compression)
    modelfile.save(path, meta, arrays, sign_key)


def with_prefix(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays named ``prefix.NAME``, as NAME."""
    return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}


def read_model_file(path: str | Path, trust_pattern: bool = False,
                    sign_key: bytes | None = None) -> Fitted:
    """Read a model file written by :func:`write_model_file`, checking that every part is
    well formed and that the parts fit together (and its signature, with ``sign_key``)."""
    meta, arrays = modelfile.load(path, sign_key)
    try:
        check_schema(meta, META_SCHEMA, "meta.json")
    except SchemaError as err:
        raise ModelFileError(f"{path}: {err}") from err
    try:
        stored, featurizer_meta = meta.get("compression"), meta["featurizer"]
        if stored is not None:
            from textclf.fitting import compression  # (only small files need it)

            featurizer_meta, arrays = compression.decode(meta, arrays)
        featurizer = Featurizer.from_state(featurizer_meta, with_prefix(arrays, "featurizer."))
        kind = meta["model"]["kind"]
        if kind not in MODEL_KINDS:
            raise SettingsError(f"unknown model kind {kind!r}")
        model = MODEL_KINDS[kind].from_config(meta["model"], with_prefix(arrays, "model."))
        training = TrainingSettings.from_dict(meta["training"])
        decision, chosen = checked_decision(meta.get("decision", {}))
    except (KeyError, TypeError, ValueError, SettingsError) as err:
        raise ModelFileError(f"{path}: inconsistent model file ({err})") from err
    labels, label_type = meta["labels"], meta.get("label_type", "str")
    check_parts(path, featurizer, model, labels, trust_pattern)
    check_label_type(path, labels, label_type)
    float32 = bool(meta.get("float32", False))
    for block in (featurizer, *getattr(featurizer, "parts", {}).values()):
        block.dtype = np.dtype(np.float32 if float32 else np.float64)  # values as trained
    resume_arrays = with_prefix(arrays, "resume.")
    fitted = Fitted(featurizer, model, labels, training, meta.get("history", []), label_type,
                    decision, chosen, meta.get("calibration"), float32, meta.get("tuning"),
                    compression_spec(stored), meta.get("provenance", {}))
    if meta.get("resume") is not None:
        fitted.resume = (meta["resume"], resume_arrays)
        trainer = meta["resume"].get("trainer") or {}
        steps = with_prefix(resume_arrays, "step.")
        if isinstance(trainer.get("step_state"), dict) and (steps or trainer["step_state"]):
            fitted.step_state = (trainer["step_state"], steps)
    return fitted


def compression_spec(stored: dict | None) -> dict | None:
    """How a compressed file was made, to write it so again (its quantisation checked)."""
    if stored is None:
        return None
    from textclf.fitting.compression import QUANTIZERS

    quantize = stored.get("quantize")
    if quantize not in (None, *QUANTIZERS):
        raise ModelFileError(f"unknown quantisation {quantize!r}")
    return {"quantize": quantize, "prune_below": stored.get("prune_below"),
            "pruned": stored.get("pruned", 0)}


def checked_decision(decision: dict) -> tuple[DecisionSettings, float | None]:
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
    return settings, chosen


def classifier_arguments(fitted: Fitted) -> dict:
    """The arguments of ``TextClassifier`` that remake the classifier of ``fitted``."""
    model = fitted.model
    values = {s.argument: getattr(fitted.featurizer.settings, s.name)
              for s in FeatureSettings.declared.values()}
    values |= {s.argument: getattr(fitted.training_settings, s.name)
               for s in TrainingSettings.declared.values()}
    values |= {s.argument: getattr(fitted.decision, s.name)
               for s in DecisionSettings.declared.values()}
    values["model"] = "logistic" if model.kind == "multilabel" else model.kind
    values["multi_label"] = True if model.multi_label else None
    if model.kind == "mlp":
        values |= {"hidden": model.hidden, "activation": model.activation,
                   "dropout": model.dropout}
    if isinstance(model, Ensemble):
        values["members"] = ",".join(model.names)
    return values | {"float32": fitted.float32}


def check_parts(path: str | Path, featurizer: Featurizer, model: Model, labels: list[str],
                trust_pattern: bool) -> None:
    """The featuriser, the model and the labels fit together, and the file's token pattern
    is one textclf writes (or the caller trusts the file)."""
    if model.config().get("n_features") != featurizer.n_features:
        raise ModelFileError(
            f"{path}: the model expects {model.config().get('n_features')} features but "
            f"the featuriser produces {featurizer.n_features}"
        )
    outputs = model.config().get("n_classes", 2)  # (one sigmoid score: two classes)
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
