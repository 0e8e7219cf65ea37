"""One fold of a cross-validated trial, and the variants it scores for the price of one fit.

A trial trains on the fold's other k − 1 parts (their features cached, fitted on them only)
and scores on the fold; some settings cost nothing more to score once that is done:

* naive Bayes: one count of the class totals, then every α of the space (θ for the fold's
  own features only: :func:`textclf.fitting.choices.alpha_models`);
* logistic regression on nb features: every β of the space, applied to the one trained θ;
* L-BFGS: the penalties of the space's path, strong to weak, each started from the last
  one's θ (a warm start: the weaker penalty's optimum is near);
* the ensemble: its members trained one after the other on their columns (the one
  featurisation), then scored together.

Each variant becomes a trial row of its own, with its fold scores, judged by the same
rule against the defaults (:mod:`textclf.tune.crossval`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from textclf.errors import SettingsError
from textclf.features.weighting import interpolate
from textclf.fitting.choices import alpha_models
from textclf.fitting.ensemble import member_layout
from textclf.models.ensemble import Ensemble
from textclf.training.counted import class_sums
from textclf.tune.scoring import score
from textclf.tune.space import Point
from textclf.tune.trial import CachedFeatures, ClockGuard, OutOfTimeError, Trial, TrialCappedError


@dataclass
class Scored:
    """A variant of the trial's point and its score on the fold; ``curve``: the score after
    each epoch, where the trial trained by epochs."""

    point: Point
    score: float
    curve: list[float] | None = None


class FoldVariants:
    """The part of the cross-validated tuner that trains and scores one fold (a mixin of
    :class:`~textclf.tune.crossval.CrossValidatedTuner`, which provides the folds, the
    models, the clock and the metric)."""

    def cap_of(self, started: float) -> float:
        """When a trial begun at ``started`` has had its share of the budget. The defaults
        have no cap: they are what every other trial is compared with (the budget itself
        still stops them: :meth:`rest_of_first_trial`)."""
        return math.inf if self.default is None else started + self.trial_cap

    def fold_score(self, model, X_dev, y_dev) -> float:
        return score(self.metric, y_dev, model.predict(X_dev), len(self.labels))

    def variants_on_fold(self, point: Point, fold: int, started: float,
                         trial: Trial) -> list[Scored]:
        """The point's variants scored on ``fold`` (see the module)."""
        features = self.fold_features(point, fold)
        held = self.fold_of == fold
        y, y_dev = self.y[~held], self.y[held]
        trial.eta = 0.0 if point.model == "nb" or point.optimizer == "lbfgs" \
            else self.eta(point, features)
        if point.model == "nb":
            return self.counted_fold(point, features, y, y_dev, trial)
        if point.optimizer == "lbfgs":
            return self.path_fold(point, features, y, y_dev, trial, started)
        return self.trained_fold(point, features, y, y_dev, trial, started)

    def epoch_clock(self, point: Point, trial: Trial, started: float, limits: bool):
        """A function for the end of every epoch (or L-BFGS iteration): it records the
        epoch's time, refuses a loss that is not finite and, with ``limits``, stops at the
        deadline or the trial's cap (L-BFGS has no mini-batches for the guard to watch)."""
        epoch_started = [self.budget.clock()]

        def tick(record: dict) -> None:
            now = self.budget.clock()
            self.costs.epoch[point.cost_key()] = now - epoch_started[0]
            epoch_started[0] = now
            trial.epochs_run += 1
            if not math.isfinite(record["train_loss"]):
                raise FloatingPointError("the training loss is not finite (η too large?)")
            if limits and self.budget.left() <= 0:
                raise OutOfTimeError
            if limits and now > self.cap_of(started):
                raise TrialCappedError
        return tick

    def counted_fold(self, point: Point, features: CachedFeatures, y, y_dev,
                     trial: Trial) -> list[Scored]:
        """Naive Bayes: one count, every α of the space."""
        if features.featurizer.settings.uses_labels:
            raise SettingsError("naive Bayes counts feature values ≥ 0, not nb ratios")
        tick = self.epoch_clock(point, trial, 0.0, limits=False)
        totals = class_sums(features.X, y, len(self.labels), None)
        scored = [Scored(replace(point, alpha=alpha), self.fold_score(model, X_dev, y_dev))
                  for alpha, model, X_dev in alpha_models(totals, features.X_dev,
                                                          self.space.alphas,
                                                          len(self.labels), False)]
        tick({"train_loss": 0.0})
        return scored

    def path_fold(self, point: Point, features: CachedFeatures, y, y_dev, trial: Trial,
                  started: float) -> list[Scored]:
        """L-BFGS along the penalties of the space's path, each from the last one's θ."""
        scored = []
        model = None
        tick = self.epoch_clock(point, trial, started, limits=True)
        for l2 in self.space.l2_path:
            variant = replace(point, l2=l2)
            _, training, fresh = self.trial_model(variant, None, features.X.shape[1])
            model = model or fresh  # (the first λ starts from θ = 0, the next from the last)
            training = training.replace(epochs=point.max_epochs)  # (its iterations)
            guard = ClockGuard(model, self.budget, enforce=True,
                               cap_until=self.cap_of(started))
            with np.errstate(over="ignore", invalid="ignore"):
                self.fit_model(model, features.X, y, training, lambda e, r: tick(r), guard)
            scored.append(Scored(variant, self.fold_score(model, features.X_dev, y_dev)))
        return scored

    def trained_fold(self, point: Point, features: CachedFeatures, y, y_dev, trial: Trial,
                     started: float) -> list[Scored]:
        """A model trained by epochs (an ensemble: member by member); for logistic
        regression on nb features, every β of the space on the trained θ too."""
        layout = None
        if point.model == "ensemble":
            layout = member_layout(features.featurizer, features.X, "auto")
        _, training, model = self.trial_model(point, trial.eta, features.X.shape[1], layout)
        tick = self.epoch_clock(point, trial, started, limits=False)
        guard = ClockGuard(model, self.budget, enforce=True, cap_until=self.cap_of(started))
        curve: list[float] = []
        with np.errstate(over="ignore", invalid="ignore"):
            if isinstance(model, Ensemble):
                for m, member in enumerate(model.members):
                    self.fit_model(member, model.member_rows(features.X, m), y, training,
                                   lambda e, r: tick(r), guard)
                curve = None
            else:
                def after_epoch(epoch: int, record: dict) -> None:
                    tick(record)
                    curve.append(self.fold_score(model, features.X_dev, y_dev))

                self.fit_model(model, features.X, y, training, after_epoch, guard)
        last = self.fold_score(model, features.X_dev, y_dev) if curve is None else curve[-1]
        scored = [Scored(point, last, curve)]
        if point.model == "logistic" and features.featurizer.settings.uses_labels:
            theta = model.theta[:-1].copy()
            for beta in (b for b in self.space.betas if b != 1.0):
                model.theta[:-1] = interpolate(theta, beta)
                scored.append(Scored(replace(point, beta=beta),
                                     self.fold_score(model, features.X_dev, y_dev)))
            model.theta[:-1] = theta
        return scored
