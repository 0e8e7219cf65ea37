"""The search: trials one after another on a dev set, within a time budget (fastText's
autotune is the model). docs/tune.md explains the strategy and the clock.

1. the defaults for the data; 2. one change at a time around the best so far; 3. random
steps from the best, shorter as the budget runs out. Epochs are searched inside each trial:
the parameters of its best-scoring epoch are kept. A trial starts only if its predicted
cost fits in what is left, takes at most a third of the budget, and stops within one
mini-batch of the deadline (:class:`~textclf.tune.trial.ClockGuard`). The test split is
never read: :func:`tune` takes training and dev texts only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from textclf.classifier import TextClassifier
from textclf.errors import DataError, SettingsError, TextclfError
from textclf.features.featurizer import Featurizer
from textclf.features.settings import FeatureSettings
from textclf.features.weighting import Targets
from textclf.fitting import FitSettings, Fitted, problem_of, problem_of_names
from textclf.fitting.fitted import typed_label
from textclf.fitting.problem import model_for
from textclf.models.base import Model
from textclf.models.settings import LINEAR_KINDS
from textclf.training.settings import MODEL_DEFAULTS, TrainingSettings
from textclf.tune.budget import TRIAL_SHARE, Budget, Costs, save_seconds
from textclf.tune.proposals import after_defaults, default_point, longer, neighbours, perturb
from textclf.tune.scoring import METRICS, score
from textclf.tune.space import Point, SearchSpace
from textclf.tune.trial import (
    CachedFeatures,
    ClockGuard,
    NoProgressError,
    OutOfTimeError,
    Trial,
    TrialCappedError,
    table_header,
    train,
)

DEFAULT_DEV_FRACTION = 0.1


@dataclass
class TuneResult:
    """What the search found: the best classifier, its trial, and every trial."""

    classifier: TextClassifier  # the best trial's, at its best epoch; tuning metadata set
    best: Trial
    trials: list[Trial]
    seconds: float
    metric: str
    metadata: dict = field(default_factory=dict)


class Tuner:
    """Runs the trials; see the module docstring for the strategy."""

    cross_validated = False  # (the ensemble is searched by cross-validation only)

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        dev_texts: Sequence[str] | None,
        dev_labels: Sequence[str] | None,
        budget: Budget,
        *,
        space: SearchSpace | None = None,
        metric: str = "accuracy",
        seed: int = 0,
        out: TextIO | None = None,
    ):
        if metric not in METRICS:
            raise SettingsError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        if len(texts) != len(labels):
            raise DataError("the number of texts and of labels differ")
        if not len(texts):
            raise DataError("the training corpus is empty")
        problem = problem_of(labels, FitSettings.from_arguments(multi_label=False))
        self.labels, self.label_type, self.y = problem.labels, problem.label_type, problem.y
        self.classes = [typed_label(name, self.label_type) for name in self.labels]
        index = {label: i for i, label in enumerate(self.labels)}
        self.texts = list(texts)
        if dev_texts is not None:  # (None: the subclass scores otherwise, by folds)
            if len(dev_texts) != len(dev_labels):
                raise DataError("the number of dev texts and of dev labels differ")
            if not len(dev_texts):
                raise DataError("the dev set is empty: the search needs dev documents to "
                                "score")
            known = [i for i, label in enumerate(dev_labels) if str(label) in index]
            if not known:
                raise DataError("no dev document has a label seen in the training data")
            self.dev_texts = [dev_texts[i] for i in known]
            self.y_dev = np.asarray([index[str(dev_labels[i])] for i in known], np.int64)
        self.space = space or SearchSpace()
        self.space.validate()
        self.models = self.space.model_kinds(len(self.labels), self.cross_validated)
        self.budget = budget
        self.metric = metric
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.out = out
        self.costs = Costs()
        self.cache: dict[tuple[int, str], CachedFeatures] = {}
        self.trials: list[Trial] = []
        self.best: tuple[Trial, Point, TextClassifier] | None = None
        self.best_of_kind: dict[str, tuple[Trial, Point]] = {}
        # no trial takes more than a third of the budget: at least three get their turn
        self.trial_cap = budget.seconds * TRIAL_SHARE
        self.tried: set[tuple] = set()

    # choosing settings ------------------------------------------------------------------------
    def predicted_seconds(self, settings: Point) -> float:
        featurise = (0.0 if settings.features_key() in self.cache
                     else self.costs.featurise_seconds(settings.ngrams, settings.char_ngrams))
        return featurise + self.costs.epoch_seconds(settings)

    def fits(self, settings: Point) -> bool:
        """The trial's predicted cost fits the time left, and one epoch fits its cap."""
        return (self.budget.fits(self.predicted_seconds(settings))
                and self.costs.epoch_seconds(settings) <= self.trial_cap)

    def next_settings(self, queue: list[Point]) -> Point | None:
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
            time_left = self.budget.left() / self.budget.seconds
            settings = perturb(self.centre(), self.space, self.models, self.rng, time_left)
            if settings.key() not in self.tried and self.fits(settings):
                return settings
        return None

    def centre(self) -> Point:
        """Where the next random step starts: mostly the best settings so far, sometimes the
        best of another model kind, so that every kind keeps being refined."""
        others = [kind for kind in self.best_of_kind if kind != self.best[1].model]
        if others and self.rng.random() < 0.3:
            return self.best_of_kind[others[int(self.rng.integers(len(others)))]][1]
        return self.best[1]

    # running a trial --------------------------------------------------------------------------
    def features(self, settings: Point) -> CachedFeatures:
        key = settings.features_key()
        if key not in self.cache:
            started = self.budget.clock()
            featurizer = Featurizer(FeatureSettings(
                ngrams=settings.ngrams, weighting=settings.weighting, min_df=self.space.min_df,
                char_ngrams=settings.char_ngrams))
            X = featurizer.fit_transform(self.texts, Targets(self.y, len(self.labels)))
            X_dev = featurizer.transform(self.dev_texts)
            mean_squared_norm = float(X.multiply(X).sum()) / X.shape[0]
            cost_key = (settings.ngrams, settings.char_ngrams)
            self.costs.featurise[cost_key] = max(
                self.budget.clock() - started, self.costs.featurise.get(cost_key, 0.0))
            self.cache[key] = CachedFeatures(featurizer, X, X_dev, mean_squared_norm)
        return self.cache[key]

    def trial_model(self, settings: Point, eta: float | None, n_features: int,
                    layout: tuple | None = None) -> tuple[FitSettings, TrainingSettings, Model]:
        """A trial's settings, its training settings, and a fresh model for them (made by
        the fitting layer, as every model is; ``layout``: an ensemble's members)."""
        fit_settings = FitSettings.from_arguments(
            **settings.feature_settings(), min_df=self.space.min_df,
            **settings.model_settings(eta), seed=self.seed)
        problem = problem_of_names(self.labels, fit_settings, False, self.label_type,
                                   in_memory=True)
        training = fit_settings.training_for(problem.training_kind)
        return fit_settings, training, model_for(problem, n_features, fit_settings, training,
                                                 layout)

    def classifier_of(self, settings: FitSettings, training: TrainingSettings,
                      featurizer: Featurizer, model: Model,
                      history: list[dict]) -> TextClassifier:
        """A classifier of the trial's featuriser and model (at its best epoch)."""
        clf = TextClassifier(**settings.arguments())
        clf.fitted = Fitted(featurizer, model, self.labels, training, history,
                            label_type=self.label_type)
        return clf

    def learning_rate(self, settings: Point, features: CachedFeatures) -> float:
        base = MODEL_DEFAULTS[settings.model]["eta"]
        if settings.model in LINEAR_KINDS:
            base *= 2.0 / max(features.mean_squared_norm, 1e-12)
        return base * 10**settings.eta_exponent

    def run_trial(self, settings: Point) -> Trial:
        started = self.budget.clock()
        features = self.features(settings)
        eta = self.learning_rate(settings, features)
        trial = Trial(len(self.trials) + 1, settings.model, settings.ngrams, settings.weighting,
                      eta, settings.l2, settings.max_epochs, started=started - self.budget.started,
                      char_ngrams=settings.char_ngrams)
        try:
            fit_settings, model_training, model = self.trial_model(settings, eta,
                                                                   features.X.shape[1])
        except TextclfError as err:
            trial.status = f"failed: {err}"
            return self._finish(trial, started)
        best: dict = {"score": -math.inf, "epoch": 0, "parameters": None}
        progress = {"epoch": 0, "dev_loss": math.inf}  # the last epoch that improved anything
        history: list[dict] = []
        training_started = self.budget.clock()  # the cap counts training, not featurising
        epoch_started = [training_started]
        guard = ClockGuard(model, self.budget, enforce=bool(self.trials),
                           cap_until=training_started + self.trial_cap)

        def after_epoch(epoch: int, record: dict) -> None:
            guard.enforce = True
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
                raise NoProgressError
            if epoch < settings.max_epochs and not self.budget.fits(epoch_seconds):
                raise OutOfTimeError
            if (epoch < settings.max_epochs
                    and now - training_started + epoch_seconds > self.trial_cap):
                raise TrialCappedError

        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                train(model, features.X, self.y, model_training, after_epoch, guard)
        except NoProgressError:
            pass
        except (OutOfTimeError, TrialCappedError) as stop:
            trial.status = "out of time" if isinstance(stop, OutOfTimeError) else "capped"
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
        trial.still_improving = best["epoch"] == settings.max_epochs
        for record in history:  # as early stopping marks the epoch whose parameters are kept
            record["best"] = record["epoch"] == best["epoch"]
        clf = self.classifier_of(fit_settings, model_training, features.featurizer, model,
                                 history)
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

    score_name = "dev"  # what the score column is

    def report(self, trial: Trial) -> None:
        """One row of the table of trials as it finishes (the header before the first)."""
        if self.out is None:
            return
        if len(self.trials) == 1:
            print(f"score: {self.score_description()}", file=self.out)
            print(table_header(f"{self.score_name} {self.metric[:3]}"), file=self.out)
        print(trial.format(), file=self.out, flush=True)

    def score_description(self) -> str:
        return f"{self.metric} on the dev set, at each trial's best epoch"

    def report_kept(self, trial: Trial) -> None:
        """The row of the trial whose model is kept, marked, after the search."""
        if self.out is not None:
            print(trial.format("*kept"), file=self.out, flush=True)

    # the loop ---------------------------------------------------------------------------------
    def run(self, max_trials: int | None = None) -> TuneResult:
        start = default_point(self.space, self.models, len(self.labels), self.texts)
        self.tried.add(start.key())
        self.run_trial(start)  # the first trial runs whatever the budget: there must be a model
        queue = after_defaults(self.trials[0], start, self.space, self.models)
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
                queue = neighbours(self.best[1], self.space, self.models) + queue
            queue = longer(trial, settings, self.space) + queue
        if self.best is None:
            reasons = "; ".join(sorted({t.status for t in self.trials}))
            raise TextclfError(f"no trial produced a model within the budget ({reasons})")
        trial, _, clf = self.best
        self.report_kept(trial)
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
    result.metadata = search_metadata(result, tuner, budget, seed)
    result.classifier.tuning = result.metadata
    return result


def search_metadata(result: TuneResult, tuner: Tuner, budget: Budget, seed: int) -> dict:
    """What the model file records of the search."""
    metric = result.metric
    return {
        "metric": metric,
        "budget_seconds": budget.seconds,
        "seconds": result.seconds,
        "seed": seed,
        "models": list(tuner.models),
        "best_trial": result.best.number,
        "best_score": result.best.score,
        "trials": [trial.as_dict() for trial in result.trials],
    }
