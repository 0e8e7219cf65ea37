"""Which settings the search tries: the defaults, one change at a time, and random steps."""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np

from textclf.features.settings import CLASSIFIER_DEFAULTS, LABEL_WEIGHTINGS, FeatureSettings
from textclf.fitting.problem import linear_kind
from textclf.training.settings import MODEL_DEFAULTS
from textclf.tune.space import Point, SearchSpace
from textclf.tune.trial import Trial


def default_point(space: SearchSpace, models: tuple[str, ...], n_classes: int,
                  texts: list[str] | None = None) -> Point:
    """The out-of-the-box settings for the data (``texts`` decide char_ngrams "auto"),
    within the space."""
    usual = linear_kind(n_classes, multi_label=False)
    model = usual if usual in models else models[0]
    defaults = FeatureSettings(**CLASSIFIER_DEFAULTS).for_model(model).resolved(texts or [])
    ngrams = defaults.ngrams if defaults.ngrams in space.ngrams else space.ngrams[0]
    weighting = (defaults.weighting if defaults.weighting in space.weightings
                else space.weightings[0])
    trained = usual if model == "ensemble" else model  # (an ensemble's members are these)
    epochs = MODEL_DEFAULTS[trained]["epochs"]
    max_epochs = min(space.max_epochs, key=lambda e: (abs(e - epochs), e))
    chars = defaults.char_ngrams if defaults.char_ngrams in space.char_ngrams \
        else space.char_ngrams[0]
    l2 = MODEL_DEFAULTS[trained].get("l2", 0.0)
    return normalised(Point(model, ngrams, weighting, 0.0, l2, max_epochs, chars), space)


def normalised(point: Point, space: SearchSpace) -> Point:
    """``point`` with what its kind does not use set to one value, so that points that train
    the same model are the same point: naive Bayes takes no η, penalty or epochs (and
    binary values, its default, where the weighting is an nb one: it counts values ≥ 0,
    whatever weightings the space holds), and its trial
    scores every α of the space; an L-BFGS trial takes no η and scores the penalties of
    the space's path; β is scored on every trained logistic regression on nb features."""
    values = asdict(point) | {"alpha": None, "beta": None}
    if point.model == "nb":  # (its own default values where the space's are nb ratios)
        weighting = "binary" if point.weighting in LABEL_WEIGHTINGS else point.weighting
        values |= {"eta_exponent": 0.0, "l2": 0.0, "max_epochs": 1, "optimizer": "default",
                   "weighting": weighting}
    elif point.optimizer == "lbfgs" and point.model in ("logistic", "softmax"):
        values |= {"eta_exponent": 0.0, "l2": 0.0, "max_epochs": space.path_iterations}
    else:
        values["optimizer"] = "default"  # (the network and the ensemble take steps)
        if point.max_epochs not in space.max_epochs:  # from naive Bayes or L-BFGS
            values["max_epochs"] = min(space.max_epochs, key=lambda e: (abs(e - 10), e))
    return Point(**values)


def neighbours(point: Point, space: SearchSpace, models: tuple[str, ...]) -> list[Point]:
    """One change at a time: every other model kind, the other optimizer, η a decade up
    and down, every other n-gram length and weighting (each :func:`normalised`)."""
    changed = [Point(**{**asdict(point), "model": model})
               for model in models if model != point.model]
    for optimizer in space.optimizers:
        if optimizer != point.optimizer and point.model in ("logistic", "softmax"):
            changed.append(Point(**{**asdict(point), "optimizer": optimizer}))
    if point.model != "nb" and point.optimizer != "lbfgs":
        for step in (1.0, -1.0):
            exponent = point.eta_exponent + step
            if abs(exponent) <= space.eta_decades:
                changed.append(Point(**{**asdict(point), "eta_exponent": exponent}))
    for key, choices in (("ngrams", space.ngrams), ("weighting", space.weightings),
                         ("char_ngrams", space.char_ngrams)):
        for value in choices:
            if value != getattr(point, key):
                changed.append(Point(**{**asdict(point), key: value}))
    made = [normalised(p, space) for p in changed]
    return [p for p in made if p.key() != normalised(point, space).key()]


def priority(point: Point, start: Point) -> int:
    """The order of the first changes around the defaults, cheap and likely first: naive
    Bayes (one count per fold), the features, the L-BFGS path, the ensemble, η, and last
    the network (twenty linear epochs each)."""
    if point.model == "mlp":
        return 5
    if point.model == "nb":
        return 0
    if point.optimizer == "lbfgs":
        return 2
    if point.model == "ensemble":
        return 3
    return 1 if point.features_key() != start.features_key() else 4


def longer(trial: Trial, point: Point, space: SearchSpace) -> list[Point]:
    """A trial still improving at its last epoch: the same with the next epoch limit."""
    limits = [e for e in space.max_epochs if e > point.max_epochs]
    if trial.status != "ok" or not trial.still_improving or not limits:
        return []
    return [Point(**{**asdict(point), "max_epochs": min(limits)})]


def after_defaults(first: Trial, start: Point, space: SearchSpace,
                   models: tuple[str, ...]) -> list[Point]:
    """What follows the defaults' trial ``first`` (at ``start``): the same with more epochs
    if it was still improving, then one change at a time, cheap and likely first
    (:func:`priority`)."""
    changes = sorted(neighbours(start, space, models), key=lambda p: priority(p, start))
    return longer(first, start, space) + changes


def perturb(point: Point, space: SearchSpace, models: tuple[str, ...],
            rng: np.random.Generator, time_left: float) -> Point:
    """A random step from ``point``, shorter as the budget runs out (``time_left``: the
    fraction of the budget left)."""
    radius = 0.25 + 0.75 * max(0.0, min(1.0, time_left))  # std of the step of log10 η
    new = asdict(point)
    new["eta_exponent"] = float(np.clip(point.eta_exponent + rng.normal(0, radius),
                                        -space.eta_decades, space.eta_decades))
    low, high = math.log10(space.l2[0]), math.log10(space.l2[1])
    if point.l2 == 0.0:
        new["l2"] = 0.0 if rng.random() < 0.5 else float(10 ** rng.uniform(low, high))
    elif rng.random() < 0.15:
        new["l2"] = 0.0
    else:
        step = math.log10(point.l2) + rng.normal(0, 2 * radius)
        new["l2"] = float(10 ** np.clip(step, low, high))
    if rng.random() < 0.3:
        new["max_epochs"] = int(rng.choice(space.max_epochs))
    for key, choices in (("model", models), ("ngrams", space.ngrams),
                         ("weighting", space.weightings), ("char_ngrams", space.char_ngrams),
                         ("optimizer", space.optimizers)):
        if len(choices) > 1 and rng.random() < 0.15:
            new[key] = choices[int(rng.integers(len(choices)))]
    new["ngrams"] = int(new["ngrams"])
    return normalised(Point(**new), space)
