"""What the tuner searches, derived from the settings' declarations (their ``search``)."""

from __future__ import annotations

from dataclasses import dataclass

from textclf.errors import SettingsError
from textclf.features.settings import WEIGHTINGS, FeatureSettings
from textclf.models import MODEL_KINDS
from textclf.training.settings import TrainingSettings


@dataclass
class SearchSpace:
    """What the search may choose from.

    ``models`` None means every kind that fits the number of classes K: logistic regression
    and the network for K = 2, softmax regression and the network for K > 2.
    """

    models: tuple[str, ...] | None = None
    ngrams: tuple[int, ...] = FeatureSettings.ngrams.search
    weightings: tuple[str, ...] = FeatureSettings.weighting.search
    char_ngrams: tuple = FeatureSettings.char_ngrams.search  # None: words alone
    eta_decades: float = 1.5  # η = base η · 10^u, u ∈ [−1.5, 1.5]
    l2: tuple[float, float] = TrainingSettings.l2.search  # λ log-uniform in this range, or 0
    max_epochs: tuple[int, ...] = TrainingSettings.epochs.search
    patience: int = 3  # epochs without a better dev score before a trial stops
    min_df: int = FeatureSettings.min_df.default

    def validate(self) -> None:
        if self.models is not None and not self.models:
            raise SettingsError("the search needs at least one model kind")
        for model in self.models or ():
            if model not in MODEL_KINDS:
                raise SettingsError(f"unknown model {model!r} (known: {', '.join(MODEL_KINDS)})")
        if not self.ngrams or any(not isinstance(n, int) or n < 1 for n in self.ngrams):
            raise SettingsError(f"n-gram lengths must be integers >= 1, got {self.ngrams!r}")
        if not self.weightings or any(w not in WEIGHTINGS for w in self.weightings):
            raise SettingsError(
                f"feature weightings must be among {', '.join(WEIGHTINGS)}, got "
                f"{self.weightings!r}")
        if not self.char_ngrams:
            raise SettingsError("char_ngrams needs at least one choice (None: words alone)")
        self.char_ngrams = tuple(None if c is None else FeatureSettings.char_ngrams.check(c)
                                 for c in self.char_ngrams)

    def model_kinds(self, n_classes: int) -> tuple[str, ...]:
        if self.models is None:
            return ("logistic", "mlp") if n_classes == 2 else ("softmax", "mlp")
        if "logistic" in self.models and n_classes != 2:
            raise SettingsError(f"logistic regression is binary and the data has {n_classes} "
                                "classes: search softmax or mlp instead")
        return self.models


@dataclass
class Point:
    """One point of the search."""

    model: str
    ngrams: int
    weighting: str
    eta_exponent: float  # u: η = base η · 10^u
    l2: float
    max_epochs: int
    char_ngrams: tuple[int, int] | None = None

    def features_key(self) -> tuple:
        return (self.ngrams, self.weighting, self.char_ngrams)

    def cost_key(self) -> tuple:
        # an L2 penalty touches every weight at every step: another cost per epoch
        return (self.model, self.ngrams, self.weighting, self.l2 > 0, self.char_ngrams)

    def key(self) -> tuple:
        """Settings this close count as already tried."""
        return (self.model, self.ngrams, self.weighting, round(self.eta_exponent, 2),
                float(f"{self.l2:.2g}"), self.max_epochs, self.char_ngrams)

    def feature_settings(self) -> dict:
        """The point's TextClassifier arguments for its features."""
        return {"ngrams": self.ngrams, "weighting": self.weighting,
                "char_ngrams": self.char_ngrams}
