"""Automatic tuning: search settings on a dev set within a time budget, as fastText's autotune.

The search looks for the settings that maximise a dev-set score (accuracy or macro-F1)
over the model kind, the learning rate η, the L2 penalty λ, the n-gram length, the feature
weighting and the number of epochs. It runs trials one after another until the budget is
spent:

1. the defaults for the data (logistic regression for two classes, softmax for more);
2. one change at a time around the best so far: each other model kind, η a decade up and
   down, each other n-gram length and weighting, so that every value of those is tried
   early; and a trial still improving at its last epoch is tried again with the next
   epoch limit;
3. random steps from the best so far (or, three times in ten, from the best of another
   model kind): log η and log λ move by a normal step whose width shrinks as the budget
   runs out (explore first, refine last); a categorical setting changes with a small
   probability. Steps already tried are skipped.

Epochs are searched inside each trial: after every epoch the dev score and dev loss are
measured, the parameters of the best-scoring epoch are kept, and the trial stops after
``patience`` epochs in which neither the score rose nor the loss fell (or at its epoch
limit). The saved model is the best trial's model at its best epoch (marked ``best`` in
its history, as early stopping marks it), trained on the training documents only.

The learning rate is drawn around a base that depends on the model and the features. For
SGD on a linear model a stable step is about 1/‖x‖², so η = η₀ · 2/mean‖x‖² · 10^u, with η₀
the model's default (chosen for tf-idf rows, ‖x‖² = 2 with the dummy feature) and u
uniform; for the network (Adam, whose steps do not scale with the gradient) η = η₀ · 10^u.

Time: the clock starts when :func:`tune` is called (or at ``started``). A trial starts only
if its predicted cost (featurising, unless its features are cached, plus one epoch, both
measured on earlier trials) fits in what is left. No trial trains for more than a third
of the budget (``TRIAL_SHARE``), so that at least three get a turn. Within a trial, an
epoch starts only if an epoch as long as the last one still fits (in the budget and in
the trial's share), and every mini-batch checks the clock, so that a trial whose epochs
were underestimated stops within one mini-batch of the deadline or of its share (keeping
its best finished epoch, if any). Only the first trial's first epoch runs whatever the
budget, so that there is a model; the time to save the best model is kept in reserve.

The test split is never read: :func:`tune` takes training and dev texts only, and the
command line reads only the train split and the dev split (or holds out part of train).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TextIO

import numpy as np
import scipy.sparse as sp

from textclf.errors import DataError, SettingsError, TextclfError
from textclf.features import WEIGHTINGS, FeatureSettings, Featurizer
from textclf.models import MODEL_KINDS
from textclf.models.proxy import ModelProxy
from textclf.pipeline import TextClassifier
from textclf.train import MODEL_DEFAULTS, train

METRICS = ("accuracy", "macro_f1")
DEFAULT_DEV_FRACTION = 0.1
LINEAR_KINDS = ("logistic", "softmax")


# ---------------------------------------------------------------------------------------------
# What is searched


@dataclass
class SearchSpace:
    """What the search may choose from.

    ``models`` None means every kind that fits the number of classes K: logistic regression
    and the network for K = 2, softmax regression and the network for K > 2.
    """

    models: tuple[str, ...] | None = None
    ngrams: tuple[int, ...] = (1, 2, 3)
    weightings: tuple[str, ...] = WEIGHTINGS
    eta_decades: float = 1.5  # η = base η · 10^u, u ∈ [−1.5, 1.5]
    l2: tuple[float, float] = (1e-7, 1e-3)  # λ log-uniform in this range, or 0
    max_epochs: tuple[int, ...] = (5, 10, 20, 40)
    patience: int = 3  # epochs without a better dev score before a trial stops
    min_df: int = 2

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

    def model_kinds(self, n_classes: int) -> tuple[str, ...]:
        if self.models is None:
            return ("logistic", "mlp") if n_classes == 2 else ("softmax", "mlp")
        if "logistic" in self.models and n_classes != 2:
            raise SettingsError(f"logistic regression is binary and the data has {n_classes} "
                                "classes: search softmax or mlp instead")
        return self.models


@dataclass
class Settings:
    """One point of the search."""

    model: str
    ngrams: int
    features: str
    eta_exponent: float  # u: η = base η · 10^u
    l2: float
    max_epochs: int

    def features_key(self) -> tuple[int, str]:
        return (self.ngrams, self.features)

    def cost_key(self) -> tuple[str, int, str, bool]:
        # an L2 penalty touches every weight at every step: another cost per epoch
        return (self.model, self.ngrams, self.features, self.l2 > 0)

    def key(self) -> tuple:
        """Settings this close count as already tried."""
        return (self.model, self.ngrams, self.features, round(self.eta_exponent, 2),
                float(f"{self.l2:.2g}"), self.max_epochs)


@dataclass
class Trial:
    """What one trial tried and how it did on the dev set."""

    number: int
    model: str
    ngrams: int
    features: str
    eta: float
    l2: float
    max_epochs: int
    epochs: int = 0  # the best epoch: the model kept is the one after this epoch
    epochs_run: int = 0
    score: float = float("nan")
    started: float = 0.0  # seconds into the search when the trial began
    seconds: float = 0.0
    status: str = "ok"  # ok | out of time | failed: reason

    def as_dict(self) -> dict:
        record = asdict(self)
        if math.isnan(record["score"]):
            record["score"] = None  # JSON has no NaN
        return record


@dataclass
class TuneResult:
    classifier: TextClassifier  # the best trial's, at its best epoch; tuning metadata set
    best: Trial
    trials: list[Trial]
    seconds: float
    metric: str
    metadata: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Scores and splits


def score(metric: str, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Accuracy, or macro-F1 = mean over classes of 2·TP/(2·TP + FP + FN).

    Classes absent from both the true and the predicted labels are left out of the mean.
    """
    if metric == "accuracy":
        return float(np.mean(y_true == y_pred))
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    tp = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)  # 2TP + FP + FN
    present = denominator > 0
    return float(np.mean(2 * tp[present] / denominator[present]))


def hold_out(labels: Sequence, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded split of row indices into (kept, held out).

    Of each class with n ≥ 2 rows, round(fraction·n) rows (at least 1, at most n − 1) are
    held out; a class with one row stays whole.
    """
    if not (isinstance(fraction, int | float) and 0.0 < fraction < 1.0):
        raise SettingsError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, dtype=object)
    held = []
    for label in sorted(set(labels.tolist()), key=str):
        rows = np.flatnonzero(labels == label)
        if len(rows) < 2:
            continue
        n_held = min(len(rows) - 1, max(1, round(fraction * len(rows))))
        held.extend(rng.permutation(rows)[:n_held].tolist())
    is_held = np.zeros(len(labels), dtype=bool)
    is_held[np.asarray(held, dtype=np.int64)] = True
    return np.flatnonzero(~is_held), np.flatnonzero(is_held)


# ---------------------------------------------------------------------------------------------
# Time


class _OutOfTimeError(Exception):
    """Raised in a trial's epoch loop when the next epoch would not fit the budget."""


class _NoProgressError(Exception):
    """Raised in a trial's epoch loop when the dev score stopped improving."""


class _TrialCapError(Exception):
    """Raised in a trial when it would run past its share of the budget."""


class _Guarded(ModelProxy):
    """A model as the trainer sees it in a trial: every mini-batch first checks the clock.

    So a trial stops within one mini-batch of the deadline, or of its own time cap
    (``cap_until``), even in the middle of an epoch; its parameters then go back to its
    best finished epoch, if any. ``enforce`` is False only during the first trial's first
    epoch, which must finish so that there is a model.
    """

    def __init__(self, model, budget: Budget, enforce: bool, cap_until: float):
        super().__init__(model)
        self.budget, self.enforce, self.cap_until = budget, enforce, cap_until

    def loss_and_gradient_sum(self, X, y):
        if self.enforce:
            if self.budget.left() <= 0:
                raise _OutOfTimeError
            if self.budget.clock() > self.cap_until:
                raise _TrialCapError
        return self.model.loss_and_gradient_sum(X, y)


class Budget:
    """Seconds left until the deadline, read from an injectable clock.

    ``started`` is the clock reading the budget counts from (default: now); ``reserve`` is
    kept back at the end for saving the best model.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.perf_counter,
                 started: float | None = None):
        if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
            raise SettingsError(f"the budget must be a positive number of seconds, got {seconds}")
        self.clock = clock
        self.seconds = float(seconds)
        self.started = clock() if started is None else started
        self.deadline = self.started + self.seconds
        self.reserve = 0.0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def left(self) -> float:
        return self.deadline - self.reserve - self.clock()

    def fits(self, seconds: float) -> bool:
        return seconds <= self.left()


TRIAL_SHARE = 1 / 3  # the most of the budget one trial's training may take
NETWORK_SLOWDOWN = 20.0  # a network's epoch / a linear model's, measured on the corpora
SAVE_BYTES_PER_SECOND = 10e6  # the model file deflates its arrays: ~10 MB/s of float64


def save_seconds(clf: TextClassifier) -> float:
    """A generous guess of the time to write ``clf``'s model file (deflating its arrays)."""
    arrays = [*clf.model.parameters().values(), *clf.featurizer.state()[1].values()]
    n_bytes = sum(a.nbytes for a in arrays) + 20 * len(clf.featurizer.terms)
    return n_bytes / SAVE_BYTES_PER_SECOND


class _Costs:
    """Measured seconds, to predict whether a trial fits in what is left of the budget."""

    def __init__(self) -> None:
        self.featurise: dict[int, float] = {}  # n-gram length -> seconds
        self.epoch: dict[tuple, float] = {}  # Settings.cost_key() -> seconds of the last epoch

    def featurise_seconds(self, ngrams: int) -> float:
        if ngrams in self.featurise:
            return self.featurise[ngrams]
        if not self.featurise:
            return 0.0
        n, seconds = max(self.featurise.items(), key=lambda item: item[1])
        return seconds * ngrams / n  # n-grams per document grow about linearly with n

    def epoch_seconds(self, settings: Settings) -> float:
        key = settings.cost_key()
        if key in self.epoch:
            return self.epoch[key]
        # not measured: the slowest epoch of the same model kind, scaled up for longer
        # n-grams (more features per document); for a first network, a linear model's epoch
        # times NETWORK_SLOWDOWN (H = 64 hidden units and Adam against one or K columns)
        same_kind = [s for k, s in self.epoch.items() if k[0] == settings.model]
        seconds = max(same_kind, default=0.0)
        if not same_kind:
            factor = NETWORK_SLOWDOWN if settings.model == "mlp" else 1.0
            seconds = factor * max(self.epoch.values(), default=0.0)
        return seconds * max(1.0, settings.ngrams / 2)


# ---------------------------------------------------------------------------------------------
# The search


@dataclass
class _Features:
    featurizer: Featurizer
    X: sp.csr_matrix
    X_dev: sp.csr_matrix
    mean_squared_norm: float  # mean ‖x‖² of the training rows, dummy feature included


class Tuner:
    """Runs the trials; see the module docstring for the strategy."""

    HEADER = (f"{'trial':>5}  {'model':<8} {'ngrams':>6}  {'features':<8} {'eta':>9} "
              f"{'l2':>8} {'epochs':>7} {'score':>7} {'seconds':>8}  status")

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        dev_texts: Sequence[str],
        dev_labels: Sequence[str],
        budget: Budget,
        *,
        space: SearchSpace | None = None,
        metric: str = "accuracy",
        seed: int = 0,
        out: TextIO | None = None,
    ):
        if metric not in METRICS:
            raise SettingsError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        if len(texts) != len(labels) or len(dev_texts) != len(dev_labels):
            raise DataError("the number of texts and of labels differ")
        if not len(texts):
            raise DataError("the training corpus is empty")
        if not len(dev_texts):
            raise DataError("the dev set is empty: the search needs dev documents to score")
        self.labels = sorted(set(map(str, labels)))
        if len(self.labels) < 2:
            raise DataError(f"the training data has only one class ({self.labels[0]!r}); "
                            "a classifier needs at least two")
        index = {label: i for i, label in enumerate(self.labels)}
        known = [i for i, label in enumerate(dev_labels) if str(label) in index]
        if not known:
            raise DataError("no dev document has a label seen in the training data")
        self.texts = list(texts)
        self.y = np.asarray([index[str(label)] for label in labels], dtype=np.int64)
        self.dev_texts = [dev_texts[i] for i in known]
        self.y_dev = np.asarray([index[str(dev_labels[i])] for i in known], dtype=np.int64)
        self.space = space or SearchSpace()
        self.space.validate()
        self.models = self.space.model_kinds(len(self.labels))
        self.budget = budget
        self.metric = metric
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.out = out
        self.costs = _Costs()
        self.cache: dict[tuple[int, str], _Features] = {}
        self.trials: list[Trial] = []
        self.best: tuple[Trial, Settings, TextClassifier] | None = None
        self.best_of_kind: dict[str, tuple[Trial, Settings]] = {}
        # no trial takes more than a third of the budget: at least three get their turn
        self.trial_cap = budget.seconds * TRIAL_SHARE
        self.tried: set[tuple] = set()

    # choosing settings ------------------------------------------------------------------------
    def default_settings(self) -> Settings:
        space, defaults = self.space, FeatureSettings()
        usual = "logistic" if len(self.labels) == 2 else "softmax"
        model = usual if usual in self.models else self.models[0]
        ngrams = defaults.ngrams if defaults.ngrams in space.ngrams else space.ngrams[0]
        features = (defaults.weighting if defaults.weighting in space.weightings
                    else space.weightings[0])
        epochs = MODEL_DEFAULTS[model]["epochs"]
        max_epochs = min(space.max_epochs, key=lambda e: (abs(e - epochs), e))
        return Settings(model, ngrams, features, 0.0, 0.0, max_epochs)

    def neighbours(self, settings: Settings) -> list[Settings]:
        """One change at a time: every other model kind, η a decade up and down, every other
        n-gram length and weighting."""
        changed = [Settings(**{**asdict(settings), "model": model})
                   for model in self.models if model != settings.model]
        for step in (1.0, -1.0):
            exponent = settings.eta_exponent + step
            if abs(exponent) <= self.space.eta_decades:
                changed.append(Settings(**{**asdict(settings), "eta_exponent": exponent}))
        for key, choices in (("ngrams", self.space.ngrams), ("features", self.space.weightings)):
            for value in choices:
                if value != getattr(settings, key):
                    changed.append(Settings(**{**asdict(settings), key: value}))
        return changed

    def longer(self, trial: Trial, settings: Settings) -> list[Settings]:
        """A trial still improving at its last epoch: the same with the next epoch limit."""
        limits = [e for e in self.space.max_epochs if e > settings.max_epochs]
        if trial.status != "ok" or trial.epochs < settings.max_epochs or not limits:
            return []
        return [Settings(**{**asdict(settings), "max_epochs": min(limits)})]

    def perturb(self, settings: Settings) -> Settings:
        """A random step from ``settings``, shorter as the budget runs out."""
        rng, space = self.rng, self.space
        left = max(0.0, min(1.0, self.budget.left() / self.budget.seconds))
        radius = 0.25 + 0.75 * left  # standard deviation of the step of log10 η
        new = asdict(settings)
        new["eta_exponent"] = float(np.clip(settings.eta_exponent + rng.normal(0, radius),
                                            -space.eta_decades, space.eta_decades))
        low, high = math.log10(space.l2[0]), math.log10(space.l2[1])
        if settings.l2 == 0.0:
            new["l2"] = 0.0 if rng.random() < 0.5 else float(10 ** rng.uniform(low, high))
        elif rng.random() < 0.15:
            new["l2"] = 0.0
        else:
            step = math.log10(settings.l2) + rng.normal(0, 2 * radius)
            new["l2"] = float(10 ** np.clip(step, low, high))
        if rng.random() < 0.3:
            new["max_epochs"] = int(rng.choice(space.max_epochs))
        for key, choices in (("model", self.models), ("ngrams", space.ngrams),
                             ("features", space.weightings)):
            if len(choices) > 1 and rng.random() < 0.15:
                new[key] = choices[int(rng.integers(len(choices)))]
        new["ngrams"] = int(new["ngrams"])
        return Settings(**new)

    def predicted_seconds(self, settings: Settings) -> float:
        featurise = (0.0 if settings.features_key() in self.cache
                     else self.costs.featurise_seconds(settings.ngrams))
        return featurise + self.costs.epoch_seconds(settings)

    def fits(self, settings: Settings) -> bool:
        """The trial's predicted cost fits the time left, and one epoch fits its cap."""
        return (self.budget.fits(self.predicted_seconds(settings))
                and self.costs.epoch_seconds(settings) <= self.trial_cap)

    def next_settings(self, queue: list[Settings]) -> Settings | None:
        """The next untried settings that fit in the time left, or None."""
        while queue and self.budget.left() > 0:
            settings = queue.pop(0)
            if settings.key() not in self.tried and self.fits(settings):
                return settings
        if self.best is None:
            return None
        for _ in range(100):  # random steps; skip those tried and those too slow
            if self.budget.left() <= 0:
                return None
            settings = self.perturb(self.centre())
            if settings.key() not in self.tried and self.fits(settings):
                return settings
        return None

    def centre(self) -> Settings:
        """Where the next random step starts: mostly the best settings so far, sometimes the
        best of another model kind, so that every kind keeps being refined."""
        others = [kind for kind in self.best_of_kind if kind != self.best[1].model]
        if others and self.rng.random() < 0.3:
            return self.best_of_kind[others[int(self.rng.integers(len(others)))]][1]
        return self.best[1]

    # running a trial --------------------------------------------------------------------------
    def features(self, settings: Settings) -> _Features:
        key = settings.features_key()
        if key not in self.cache:
            started = self.budget.clock()
            featurizer = Featurizer(FeatureSettings(
                ngrams=settings.ngrams, weighting=settings.features, min_df=self.space.min_df))
            X = featurizer.fit_transform(self.texts)
            X_dev = featurizer.transform(self.dev_texts)
            mean_squared_norm = float(X.multiply(X).sum()) / X.shape[0]
            self.costs.featurise[settings.ngrams] = max(
                self.budget.clock() - started, self.costs.featurise.get(settings.ngrams, 0.0))
            self.cache[key] = _Features(featurizer, X, X_dev, mean_squared_norm)
        return self.cache[key]

    def learning_rate(self, settings: Settings, features: _Features) -> float:
        base = MODEL_DEFAULTS[settings.model]["eta"]
        if settings.model in LINEAR_KINDS:
            base *= 2.0 / max(features.mean_squared_norm, 1e-12)
        return base * 10**settings.eta_exponent

    def run_trial(self, settings: Settings) -> Trial:
        started = self.budget.clock()
        features = self.features(settings)
        eta = self.learning_rate(settings, features)
        trial = Trial(len(self.trials) + 1, settings.model, settings.ngrams, settings.features,
                      eta, settings.l2, settings.max_epochs, started=started - self.budget.started)
        try:
            clf = TextClassifier(
                ngrams=settings.ngrams, features=settings.features, min_df=self.space.min_df,
                model=settings.model, eta=eta, epochs=settings.max_epochs, l2=settings.l2,
                seed=self.seed,
            )
            clf.labels = self.labels
            model = clf._choose_model(features.X.shape[1])  # also settles clf.training
        except TextclfError as err:
            trial.status = f"failed: {err}"
            return self._finish(trial, started)
        best: dict = {"score": -math.inf, "epoch": 0, "parameters": None}
        progress = {"epoch": 0, "dev_loss": math.inf}  # the last epoch that improved anything
        history: list[dict] = []
        training_started = self.budget.clock()  # the cap counts training, not featurising
        epoch_started = [training_started]
        guarded = _Guarded(model, self.budget, enforce=bool(self.trials),
                           cap_until=training_started + self.trial_cap)

        def after_epoch(epoch: int, record: dict) -> None:
            guarded.enforce = True
            now = self.budget.clock()
            epoch_seconds, epoch_started[0] = now - epoch_started[0], now
            self.costs.epoch[settings.cost_key()] = epoch_seconds
            history.append(record)
            trial.epochs_run = epoch
            if not math.isfinite(record["train_loss"]):
                raise FloatingPointError("the training loss is not finite (η too large?)")
            value = score(self.metric, self.y_dev, model.predict(features.X_dev),
                          len(self.labels))
            dev_loss = model.loss_sum(features.X_dev, self.y_dev) / len(self.y_dev)
            record[f"dev_{self.metric}"], record["dev_loss"] = value, dev_loss
            if value > best["score"]:
                best.update(score=value, epoch=epoch,
                            parameters={k: v.copy() for k, v in model.parameters().items()})
            # a falling dev loss is progress too: the score may sit on a plateau (e.g. the
            # majority class) while the model is still learning
            if value >= best["score"] or dev_loss < progress["dev_loss"]:
                progress["epoch"] = epoch
            progress["dev_loss"] = min(progress["dev_loss"], dev_loss)
            if epoch - progress["epoch"] >= self.space.patience:
                raise _NoProgressError
            if epoch < settings.max_epochs and not self.budget.fits(epoch_seconds):
                raise _OutOfTimeError
            if (epoch < settings.max_epochs
                    and now - training_started + epoch_seconds > self.trial_cap):
                raise _TrialCapError

        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                train(guarded, features.X, self.y, clf.training, on_epoch_end=after_epoch)
        except _NoProgressError:
            pass
        except (_OutOfTimeError, _TrialCapError) as stop:
            trial.status = "out of time" if isinstance(stop, _OutOfTimeError) else "capped"
            # stopped mid-epoch or not: an epoch of these settings takes at least this long
            partial = self.budget.clock() - epoch_started[0]
            key = settings.cost_key()
            self.costs.epoch[key] = max(self.costs.epoch.get(key, 0.0), partial)
        except (FloatingPointError, OverflowError, TextclfError) as err:
            trial.status = f"failed: {err}"
        if best["parameters"] is None:
            if trial.status == "ok":
                trial.status = "failed: no epoch finished"
            return self._finish(trial, started)
        for name, array in model.parameters().items():
            array[...] = best["parameters"][name]  # back to the best epoch, in place
        trial.score, trial.epochs = best["score"], best["epoch"]
        clf.featurizer, clf.model = features.featurizer, model
        for record in history:  # as early stopping marks the epoch whose parameters are kept
            record["best"] = record["epoch"] == best["epoch"]
        clf.history = history
        if self.best is None or trial.score > self.best[0].score:
            self.best = (trial, settings, clf)
            self.budget.reserve = save_seconds(clf)
        if (settings.model not in self.best_of_kind
                or trial.score > self.best_of_kind[settings.model][0].score):
            self.best_of_kind[settings.model] = (trial, settings)
        return self._finish(trial, started)

    def _finish(self, trial: Trial, started: float) -> Trial:
        trial.seconds = self.budget.clock() - started
        self.trials.append(trial)
        self.report(trial)
        return trial

    def report(self, trial: Trial) -> None:
        """One row of the table of trials (the header before the first)."""
        if self.out is None:
            return
        if len(self.trials) == 1:
            print(f"score: dev {self.metric}", file=self.out)
            print(self.HEADER, file=self.out)
        is_best = self.best is not None and self.best[0] is trial
        score_text = "-" if math.isnan(trial.score) else f"{trial.score:.4f}"
        epochs = f"{trial.epochs}/{trial.max_epochs}"
        print(f"{trial.number:>5}  {trial.model:<8} {trial.ngrams:>6}  {trial.features:<8} "
              f"{trial.eta:>9.3g} {trial.l2:>8.2g} {epochs:>7} {score_text:>7} "
              f"{trial.seconds:>8.1f}  {trial.status}{'  *best' if is_best else ''}",
              file=self.out, flush=True)

    # the loop ---------------------------------------------------------------------------------
    def run(self, max_trials: int | None = None) -> TuneResult:
        start = self.default_settings()
        self.tried.add(start.key())
        self.run_trial(start)  # the first trial runs whatever the budget: there must be a model
        queue = self.longer(self.trials[0], start) + self.neighbours(start)
        while max_trials is None or len(self.trials) < max_trials:
            if self.best is not None and self.best[0].score >= 1.0:
                break  # a perfect dev score cannot be beaten
            settings = self.next_settings(queue)
            if settings is None:
                break
            self.tried.add(settings.key())
            before = self.best
            trial = self.run_trial(settings)
            if self.best is not before:  # a new best: look one change at a time around it too
                queue = self.neighbours(self.best[1]) + queue
            queue = self.longer(trial, settings) + queue
        if self.best is None:
            reasons = "; ".join(sorted({t.status for t in self.trials}))
            raise TextclfError(f"no trial produced a model within the budget ({reasons})")
        trial, _, clf = self.best
        return TuneResult(clf, trial, self.trials, self.budget.elapsed(), self.metric)


def tune(
    texts: Sequence[str],
    labels: Sequence[str],
    dev_texts: Sequence[str],
    dev_labels: Sequence[str],
    budget_seconds: float,
    *,
    space: SearchSpace | None = None,
    metric: str = "accuracy",
    seed: int = 0,
    out: TextIO | None = None,
    clock: Callable[[], float] = time.perf_counter,
    started: float | None = None,
    max_trials: int | None = None,
) -> TuneResult:
    """Search settings on (dev_texts, dev_labels) within ``budget_seconds``; see the module.

    Returns the best classifier (trained on ``texts``, at its best epoch, with the search
    in its ``tuning`` metadata), the best trial and all trials. ``out`` receives the table
    of trials as they finish; ``clock`` is the time source (seconds), and ``started`` the
    clock reading the budget counts from (default: now; the command line passes the time it
    started, so that reading the corpus counts too). Time to save the best model is kept in
    reserve at the end (see :func:`save_seconds`).
    """
    budget = Budget(budget_seconds, clock, started)
    tuner = Tuner(texts, labels, dev_texts, dev_labels, budget, space=space, metric=metric,
                  seed=seed, out=out)
    result = tuner.run(max_trials=max_trials)
    result.metadata = {
        "metric": metric,
        "budget_seconds": budget.seconds,
        "seconds": result.seconds,
        "seed": seed,
        "models": list(tuner.models),
        "best_trial": result.best.number,
        "best_score": result.best.score,
        "trials": [trial.as_dict() for trial in result.trials],
    }
    result.classifier.tuning = result.metadata
    return result
