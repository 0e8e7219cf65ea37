"""What the tuner searches, derived from the settings' declarations (their ``search``)."""

from __future__ import annotations

from dataclasses import dataclass

from textclf.errors import SettingsError
from textclf.features.settings import WEIGHTINGS, FeatureSettings
from textclf.fitting.choices import ALPHAS, BETAS
from textclf.fitting.problem import linear_kind
from textclf.models import MODEL_KINDS
from textclf.training.settings import TrainingSettings

# lbfgs trials: λ from strong to weak, each started from the last one's θ (a warm start)
L2_PATH = (1e-5, 3e-6, 1e-6)
LBFGS_PATH_ITERATIONS = 40  # at most, per λ of the path
OPTIMIZERS = ("default", "lbfgs")  # the model kind's own (SGD for linear models), or L-BFGS


@dataclass
class SearchSpace:
    """What the search may choose from.

    ``models`` None means every kind that fits the number of classes K: logistic regression
    (K = 2) or softmax regression (K > 2) and the network; cross-validation adds naive Bayes
    and the ensemble, which it scores cheaply (docs/tune.md). ``alphas``: naive Bayes's
    smoothing, all scored from one count per fold; ``betas``: Wang and Manning's
    interpolation of logistic regression on nb features, all scored on one trained model;
    ``l2_path``: the penalties of an L-BFGS trial, each warm-started from the last and
    given at most ``path_iterations``.
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
    alphas: tuple[float, ...] = ALPHAS
    betas: tuple[float, ...] = BETAS
    l2_path: tuple[float, ...] = L2_PATH
    optimizers: tuple[str, ...] = OPTIMIZERS
    path_iterations: int = LBFGS_PATH_ITERATIONS

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
        if any(o not in OPTIMIZERS for o in self.optimizers) or not self.optimizers:
            raise SettingsError(f"optimizers must be among {', '.join(OPTIMIZERS)}, got "
                                f"{self.optimizers!r}")
        for name, values, check in (("alphas", self.alphas, FeatureSettings.nb_alpha),
                                    ("betas", self.betas, FeatureSettings.nb_beta),
                                    ("l2_path", self.l2_path, TrainingSettings.l2)):
            if not values or any(isinstance(v, str) for v in values):
                raise SettingsError(f"{name} needs at least one number, got {values!r}")
            for value in values:
                check.check(value)

    def model_kinds(self, n_classes: int, cross_validated: bool = False) -> tuple[str, ...]:
        if self.models is None:
            usual = linear_kind(n_classes, multi_label=False)
            return (usual, "nb", "ensemble", "mlp") if cross_validated else (usual, "mlp")
        if "ensemble" in self.models and not cross_validated:
            raise SettingsError("the ensemble is searched by cross-validation (--folds K), "
                                "not on a dev set")
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
    optimizer: str = "default"  # the model kind's own, or lbfgs
    alpha: float | None = None  # naive Bayes's smoothing (None: each of the space's)
    beta: float | None = None  # Wang and Manning's β (None: none)

    def features_key(self) -> tuple:
        return (self.ngrams, self.weighting, self.char_ngrams)

    def cost_key(self) -> tuple:
        # an L2 penalty touches every weight at every step: another cost per epoch
        return (self.model, self.ngrams, self.weighting, self.l2 > 0, self.char_ngrams,
                self.optimizer)

    def key(self) -> tuple:
        """Settings this close count as already tried."""
        return (self.model, self.ngrams, self.weighting, round(self.eta_exponent, 2),
                float(f"{self.l2:.2g}"), self.max_epochs, self.char_ngrams, self.optimizer,
                self.alpha, self.beta)

    def feature_settings(self) -> dict:
        """The point's TextClassifier arguments for its features."""
        return {"ngrams": self.ngrams, "weighting": self.weighting,
                "char_ngrams": self.char_ngrams}

    def model_settings(self, eta: float | None) -> dict:
        """The point's TextClassifier arguments for its model and training (``eta``: its
        learning rate, None: the kind's default)."""
        if self.model == "nb":  # counted: no steps to take
            return {"model": "nb", "nb_alpha": 1.0 if self.alpha is None else self.alpha}
        values = {"model": self.model, "l2": self.l2, "nb_beta": self.beta}
        if self.optimizer == "lbfgs":
            return values | {"optimizer": "lbfgs"}
        return values | {"eta": eta, "epochs": self.max_epochs}
