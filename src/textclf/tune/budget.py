"""The tuner's clock: the time left, and what the next trial is predicted to cost."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from textclf.errors import SettingsError
from textclf.tune.space import Point


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
COUNT_SHARE = 1.0  # naive Bayes's count and scoring of every α / a linear model's epoch
CHARS_SLOWDOWN = 5.0  # featurising with character 2-5-grams / words alone, about (imdb: ~6)
SAVE_BYTES_PER_SECOND = 10e6  # the model file deflates its arrays: ~10 MB/s of float64


def save_seconds(clf) -> float:
    """A generous guess of the time to write ``clf``'s model file (deflating its arrays)."""
    arrays = [*clf.model.parameters().values(), *clf.featurizer.state()[1].values()]
    n_bytes = sum(a.nbytes for a in arrays) + 20 * len(clf.featurizer.terms)
    return n_bytes / SAVE_BYTES_PER_SECOND


class Costs:
    """Measured seconds, to predict whether a trial fits in what is left of the budget."""

    def __init__(self) -> None:
        self.featurise: dict[tuple, float] = {}  # (n-gram length, char n-grams) -> seconds
        self.epoch: dict[tuple, float] = {}  # Settings.cost_key() -> seconds of the last epoch

    def featurise_seconds(self, ngrams: int, chars: tuple | None = None) -> float:
        if (ngrams, chars) in self.featurise:
            return self.featurise[ngrams, chars]
        if not self.featurise:
            return 0.0
        (n, measured_chars), seconds = max(self.featurise.items(), key=lambda item: item[1])
        # word n-grams per document grow about linearly with n; characters cost far more
        factor = max(ngrams, 1) / max(n, 1)
        if chars is not None and measured_chars is None:
            factor *= CHARS_SLOWDOWN
        return seconds * factor

    def epoch_seconds(self, settings: Point) -> float:
        key = settings.cost_key()
        if key in self.epoch:
            return self.epoch[key]
        # not measured: the slowest epoch of the same model kind, scaled up for longer
        # n-grams (more features per document); for a first network, a linear model's epoch
        # times NETWORK_SLOWDOWN (H = 64 hidden units and Adam against one or K columns);
        # for naive Bayes, about one epoch (a pass to count, then scoring every α)
        same_kind = [s for k, s in self.epoch.items() if k[0] == settings.model]
        seconds = max(same_kind, default=0.0)
        if not same_kind:
            factor = {"mlp": NETWORK_SLOWDOWN, "nb": COUNT_SHARE}.get(settings.model, 1.0)
            seconds = factor * max(self.epoch.values(), default=0.0)
        return seconds * max(1.0, settings.ngrams / 2)
