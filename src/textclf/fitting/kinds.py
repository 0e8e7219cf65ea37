"""Which model a problem gets, and a fresh one: the one place either is decided.

The rule (:func:`model_kind`): ``auto`` is binary logistic regression for two classes and
softmax regression for more; multi-label data (any number of labels per document) gets a
sigmoid per label, the multi-label logistic regression, or the network with sigmoid
outputs; binary logistic regression needs exactly two classes, softmax one class per
document. :func:`new_model` is the only place a model is made for training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from textclf.errors import DataError, SettingsError
from textclf.models import (
    FeedForwardNetwork,
    LogisticRegression,
    Model,
    MultiLabelLogisticRegression,
    SoftmaxRegression,
)
from textclf.models.settings import ModelSettings
from textclf.training.settings import TrainingSettings
from textclf.training.sparse_step import supports


def model_kind(requested: str, labels: Sequence[str], multi_label: bool) -> str:
    """The model kind for ``labels`` (at least two; a single-label problem's classes, or a
    multi-label problem's labels) of the ``requested`` model (auto, logistic, softmax,
    mlp); the problem's shape checked against it."""
    if len(labels) < 2:
        what = "label" if multi_label else "class"
        found = f"one {what} ({labels[0]!r})" if labels else f"no {what}"
        raise DataError(f"the training data has only {found}; a classifier needs at least two")
    if multi_label:
        if requested == "softmax":
            raise DataError("softmax regression gives each document one class; multi-label "
                            "data needs --model logistic (a sigmoid per label, the default) "
                            "or --model mlp")
        return "mlp" if requested == "mlp" else "multilabel"
    if requested == "auto":
        return "logistic" if len(labels) == 2 else "softmax"
    if requested == "logistic" and len(labels) != 2:
        raise DataError(f"binary logistic regression needs exactly two classes, the data "
                        f"has {len(labels)}: {', '.join(map(str, labels[:10]))}; use "
                        "--model softmax (or auto)")
    return requested


def architecture(settings: ModelSettings) -> dict[str, Any]:
    """The network's shape from the model settings: hidden sizes, activation, dropout."""
    return {"hidden": settings.hidden, "activation": settings.activation,
            "dropout": settings.dropout}


def new_model(kind: str, n_features: int, n_outputs: int, training: TrainingSettings,
              network: dict[str, Any] | None = None, dtype: Any = np.float64,
              multi_label: bool = False) -> Model:
    """A freshly initialised ``kind`` model over [X | 1] with ``n_features`` columns (the
    dummy feature included) and ``n_outputs`` classes or labels: θ = 0 or small random
    values (``training.init``, ``training.seed``) for the linear models, the network's
    ``network`` shape with its own initialisation (``multi_label``: a sigmoid per label).
    With ``dtype`` float32, a linear model's θ is float32 too where the sparse SGD steps
    train it (they update it in place)."""
    if kind == "logistic":
        model = LogisticRegression(n_features, init=training.init, seed=training.seed)
    elif kind == "softmax":
        model = SoftmaxRegression(n_features, n_outputs, init=training.init, seed=training.seed)
    elif kind == "multilabel":
        model = MultiLabelLogisticRegression(n_features, n_outputs, init=training.init,
                                             seed=training.seed)
    elif kind == "mlp":
        model = FeedForwardNetwork(n_features, n_outputs, seed=training.seed,
                                   multi_label=multi_label, **(network or {}))
    else:
        raise SettingsError(f"unknown model kind {kind!r}")
    if np.dtype(dtype) == np.float32 and supports(model, training):
        model.theta = model.theta.astype(np.float32)  # half θ's memory
    return model


def check_network(settings: ModelSettings) -> None:
    """Refuse a network shape that cannot be built, before any work (the sizes against
    the machine's memory are checked when the model is made)."""
    if settings.model == "mlp":
        FeedForwardNetwork(**architecture(settings))
