"""Every setting of a fit, from the layers that declare them.

Each setting is declared once, where it belongs: how text becomes features
(:class:`~textclf.features.FeatureSettings`), which model (:class:`~textclf.models.
ModelSettings`), how it is trained (:class:`~textclf.training.TrainingSettings`), how a
multi-label model decides its labels (:class:`DecisionSettings`, here) and how the work is
run (:class:`RunSettings`, here, with the cluster's settings of
:class:`~textclf.distributed.ClusterSettings`). :data:`ARGUMENTS` lists them by the names users
pass; ``TextClassifier``'s arguments, the command line's options, the scikit-learn
estimators' parameters and the tuner's search space are made from it.

Training settings left out take the defaults of the model kind (``MODEL_DEFAULTS``), so
their argument's default is None. :class:`FitSettings` holds one fit's settings, grouped.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from textclf.core.settings import Setting, Settings
from textclf.distributed.settings import ClusterSettings
from textclf.errors import SettingsError
from textclf.evaluation.decisions import DecisionRule
from textclf.features.settings import CLASSIFIER_DEFAULTS, FeatureSettings
from textclf.models.settings import ModelSettings
from textclf.training.settings import TrainingSettings, default_settings

if TYPE_CHECKING:
    from textclf.training.history import EpochCallback


class RunSettings(ClusterSettings):
    """How the work is run; not stored in the model file (results do not depend on it,
    except ``float32``, which rounds X and θ, and the cluster's mode)."""

    quiet = Setting(bool, True, "no progress bar, no per-epoch lines")
    jobs = Setting(int, None, "workers that featurise (default: one thread per core with "
                   "numba, else 1); results do not depend on it", minimum=1, metavar="J")
    float32 = Setting(bool, False, "feature values in float32 (8 bytes per non-zero of X "
                      "instead of 12), and θ of logistic/softmax regression with SGD (half "
                      "its memory)")


class DecisionSettings(Settings):
    """Which labels a multi-label model gives a document, from the labels' probabilities
    (:mod:`textclf.evaluation.decisions`); stored in the model file, and changeable when
    predicting."""

    threshold = Setting(float, None, "multi-label: give the labels whose probability reaches "
                        "T; auto: the T with the best micro-F1 on the dev set (default 0.5, or "
                        "no threshold with --top-k)", above=0.0, below=1.0, words=("auto",),
                        metavar="T")
    top_k = Setting(int, None, "multi-label: give each document its K most probable labels "
                    "(with --threshold, those of them that reach it)", minimum=1, metavar="K")
    at_least_one = Setting(bool, False, "multi-label: give a document its most probable label "
                           "when no label reaches the threshold")

    def effective_threshold(self, chosen: float | None = None) -> float:
        """The threshold applied: the one ``auto`` chose, the one given, 0.5 by default,
        or none (0) when only ``top_k`` is given."""
        if self.threshold == "auto":
            if chosen is None:
                raise SettingsError("threshold 'auto' is chosen on dev data when training; "
                                    "this model has no chosen threshold")
            return chosen
        if self.threshold is not None:
            return self.threshold
        return 0.0 if self.top_k is not None else 0.5

    def rule(self, chosen: float | None = None) -> DecisionRule:
        """The rule these settings give (``chosen``: the threshold ``auto`` chose)."""
        return DecisionRule(self.effective_threshold(chosen), self.top_k, self.at_least_one)


GROUPS: dict[str, type[Settings]] = {
    "features": FeatureSettings,
    "model": ModelSettings,
    "training": TrainingSettings,
    "decision": DecisionSettings,
    "run": RunSettings,
}


@dataclass(frozen=True)
class Argument:
    """One of the classifier's arguments: its group and declaration."""

    group: str
    setting: Setting

    @property
    def name(self) -> str:
        return self.setting.argument

    @property
    def default(self) -> Any:
        """None for training settings (the model kind's default); for features the
        classifier's out-of-the-box value (``CLASSIFIER_DEFAULTS``); else the declared one."""
        if self.group == "training":
            return None
        if self.group == "features":
            return CLASSIFIER_DEFAULTS.get(self.setting.name, self.setting.default)
        return self.setting.default


ARGUMENTS: dict[str, Argument] = {
    setting.argument: Argument(group, setting)
    for group, cls in GROUPS.items() for setting in cls.declared.values()
}


def signature(names: list[str] | None = None, **defaults: Any) -> inspect.Signature:
    """The signature of ``__init__(self, *, ...)`` over the arguments ``names`` (default:
    all), with their defaults (``defaults`` overrides some)."""
    self = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return inspect.Signature([self, *(
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                          default=defaults.get(name, ARGUMENTS[name].default))
        for name in (names or ARGUMENTS))])


def split_arguments(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Argument values by group, keyed by the settings' attribute names; unknown names are
    refused (a TypeError, as Python gives for an unknown keyword)."""
    unknown = sorted(set(values) - set(ARGUMENTS))
    if unknown:
        raise TypeError(f"unknown setting(s): {', '.join(unknown)} (known: "
                        f"{', '.join(ARGUMENTS)})")
    grouped: dict[str, dict[str, Any]] = {group: {} for group in GROUPS}
    for name, value in values.items():
        argument = ARGUMENTS[name]
        grouped[argument.group][argument.setting.name] = value
    return grouped


DEFAULT_CHUNK_DOCS = 2048  # documents a stream reads and featurises at a time (fit_stream)

# Old spellings of arguments, accepted with a warning naming the new one.
RENAMED_ARGUMENTS = {argument.setting.renamed_from: name for name, argument in ARGUMENTS.items()
                     if argument.setting.renamed_from}


def renamed(values: Mapping[str, Any], stacklevel: int = 3) -> dict[str, Any]:
    """``values`` with old argument names replaced by their new ones (and a warning)."""
    values = dict(values)
    for old, new in RENAMED_ARGUMENTS.items():
        if old in values:
            if new in values:
                raise TypeError(f"give {new!r} or its old name {old!r}, not both")
            warnings.warn(f"the argument {old!r} is now called {new!r}", FutureWarning,
                          stacklevel=stacklevel)
            values[new] = values.pop(old)
    return values


@dataclass
class FitSettings:
    """The settings of one fit, by group: how text becomes features, which model, its
    training settings as given (left out: the model kind's defaults, :meth:`training_for`),
    a multi-label model's decisions, how the work is run."""

    features: FeatureSettings = field(default_factory=lambda: FeatureSettings(
        **CLASSIFIER_DEFAULTS).for_model("auto"))
    model: ModelSettings = field(default_factory=ModelSettings)
    training: dict[str, Any] = field(default_factory=dict)
    decision: DecisionSettings = field(default_factory=DecisionSettings)
    run: RunSettings = field(default_factory=RunSettings)

    @classmethod
    def from_arguments(cls, **values: Any) -> FitSettings:
        """From the classifier's arguments (:data:`ARGUMENTS`), each checked by its
        declaration; unknown names are a TypeError."""
        grouped = split_arguments(renamed(values, stacklevel=4))
        model = ModelSettings(**grouped["model"])
        features = FeatureSettings(**{**CLASSIFIER_DEFAULTS, **grouped["features"]})
        return cls(features.for_model(model.model), model,
                   {name: TrainingSettings.declared[name].check(value)
                    for name, value in grouped["training"].items() if value is not None},
                   DecisionSettings(**grouped["decision"]), RunSettings(**grouped["run"]))

    def arguments(self) -> dict[str, Any]:
        """The arguments that make these settings (training ones: None = the default)."""
        values = {s.argument: getattr(self.features, s.name)
                  for s in FeatureSettings.declared.values()}
        values |= {s.argument: getattr(self.model, s.name)
                   for s in ModelSettings.declared.values()}
        values |= {s.argument: self.training.get(s.name)
                   for s in TrainingSettings.declared.values()}
        values |= {s.argument: getattr(self.decision, s.name)
                   for s in DecisionSettings.declared.values()}
        return values | {s.argument: getattr(self.run, s.name)
                         for s in RunSettings.declared.values()}

    def training_for(self, kind: str, overrides: Mapping[str, Any] | None = None
                     ) -> TrainingSettings:
        """The training settings of a ``kind`` model: its defaults, the settings given,
        then ``overrides``."""
        return default_settings(kind, {**self.training, **(overrides or {})})

    def replace(self, **changes: Any) -> FitSettings:
        """These settings with some arguments changed (by their argument names)."""
        return FitSettings.from_arguments(**{**self.arguments(), **changes})

    @property
    def dtype(self) -> type:
        """The type of X's values (and of a linear model's θ during SGD training)."""
        return np.float32 if self.run.float32 else np.float64


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
