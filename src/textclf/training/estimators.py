"""The models with ``fit``: the lecture's math classes plus the one training loop.

``textclf.LogisticRegression(eta=0.1, epochs=50).fit(X, y)`` is
:class:`textclf.models.LogisticRegression` (the math) trained by :func:`~textclf.training.
loop.train`. Settings given to the constructor are the defaults of ``fit``; settings given to
``fit`` override them. Left out, a setting is the lecture's plain loop for the linear models
(:class:`TrainingSettings`'s defaults: SGD at a constant η) and the network defaults of
:data:`MODEL_DEFAULTS` for the network (Adam). ``fit`` twice trains from fresh parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models import logistic, mlp, softmax
from textclf.training.loop import train
from textclf.training.settings import MODEL_DEFAULTS, TrainingSettings

RUN_OPTIONS = ("dev", "quiet", "on_epoch_end", "engine", "shuffle")  # not settings


class FitMixin:
    """``fit(X, y, **settings)``: fresh parameters, then mini-batch training."""

    fit_defaults: ClassVar[dict[str, Any]] = {}

    def fit(self, X: sp.csr_matrix, y: np.ndarray, **settings: Any):
        """Train on the rows of X (CSR, dummy feature 1 last) and class indices y; keyword
        settings (``eta``, ``epochs``, ``batch_size``, ``seed``, ``optimizer``, ...) and
        ``dev=(X_dev, y_dev)``, ``quiet``, ``on_epoch_end``, ``engine``. ``n_classes``
        fixes K (default: the largest index + 1). Returns the model."""
        y = np.asarray(y)
        options = {**self.fit_defaults, **self.fit_settings, **settings}
        n_classes = options.pop("n_classes", None) or self.classes_in(y)
        run = {name: options.pop(name) for name in RUN_OPTIONS if name in options}
        if "seed" in options:
            self.seed = options["seed"]
        if "init" in options and hasattr(self, "init"):
            self.init = options["init"]
        training = TrainingSettings(**{"seed": self.seed,
                                       **({"init": self.init} if hasattr(self, "init") else {}),
                                       **options})
        self.reset(X.shape[1], n_classes)
        self.history = train(self, X, y, training, **run)
        return self

    def classes_in(self, y: np.ndarray) -> int:
        """K when not given: the largest class index + 1."""
        return int(y.max()) + 1 if len(y) else 0


class LogisticRegression(FitMixin, logistic.LogisticRegression):
    """Binary logistic regression ŷ = σ(xθ) with ``fit`` (y: 0 or 1)."""

    def __init__(self, n_features: int | None = None, *, init: str = "zeros", seed: int = 0,
                 **fit_settings: Any):
        super().__init__(n_features, init=init, seed=seed)
        self.fit_settings = fit_settings

    def fit(self, X: sp.csr_matrix, y: np.ndarray, **settings: Any) -> LogisticRegression:
        if not np.isin(np.asarray(y), (0, 1)).all():
            raise SettingsError("LogisticRegression targets must be 0 or 1")
        return super().fit(X, y, **settings)

    def classes_in(self, y: np.ndarray) -> int:
        return 2


class SoftmaxRegression(FitMixin, softmax.SoftmaxRegression):
    """Softmax regression Ŷ = softmax(Xθ) with ``fit`` (y: class indices 0..K−1)."""

    def __init__(self, n_features: int | None = None, n_classes: int | None = None, *,
                 init: str = "zeros", seed: int = 0, **fit_settings: Any):
        super().__init__(n_features, n_classes, init=init, seed=seed)
        self.fit_settings = fit_settings


class FeedForwardNetwork(FitMixin, mlp.FeedForwardNetwork):
    """The feedforward network with ``fit`` (Adam and the network defaults unless given)."""

    fit_defaults = MODEL_DEFAULTS["mlp"]

    def __init__(self, n_features: int | None = None, n_classes: int | None = None, *,
                 hidden: int | str | Sequence[int] = (64,), activation: str = "relu",
                 dropout: float = 0.0, seed: int = 0, **fit_settings: Any):
        super().__init__(n_features, n_classes, hidden=hidden, activation=activation,
                         dropout=dropout, seed=seed)
        self.fit_settings = fit_settings

    def classes_in(self, y: np.ndarray) -> int:
        return max(super().classes_in(y), 2)
