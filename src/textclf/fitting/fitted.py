"""What a fit makes: the featuriser, the model and the labels, and what goes with them.

A :class:`Fitted` is everything a trained classifier is: it predicts (``predict_proba``,
``predict``), a multi-label one decides its labels (``decision_rule``), explanations and
the model file read it. Every way of training returns one; ``TextClassifier`` holds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from textclf.corpus.documents import checked_texts
from textclf.evaluation.decisions import DecisionRule, chosen_labels
from textclf.features.featurizer import Featurizer
from textclf.fitting.settings import DecisionSettings
from textclf.models.base import Model
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
    loaded checkpoint held, to train on from.
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
