"""Automatic tuning: search settings on a dev set within a time budget.

``space`` (what is searched, from the settings' declarations), ``budget`` (the clock and
the predicted cost of a trial), ``scoring`` (dev accuracy or macro-F1), ``search`` (the
trials, and :func:`tune`).
"""

from textclf.corpus.splits import hold_out
from textclf.tune.budget import Budget, save_seconds
from textclf.tune.crossval import DEFAULT_FOLDS, beats, standard_error, tune_cv
from textclf.tune.scoring import METRICS, score
from textclf.tune.search import DEFAULT_DEV_FRACTION, Trial, Tuner, TuneResult, tune
from textclf.tune.space import Point, SearchSpace

__all__ = [
    "DEFAULT_DEV_FRACTION",
    "DEFAULT_FOLDS",
    "METRICS",
    "Budget",
    "Point",
    "SearchSpace",
    "Trial",
    "TuneResult",
    "beats",
    "Tuner",
    "hold_out",
    "save_seconds",
    "score",
    "standard_error",
    "tune",
    "tune_cv",
]
