"""What the estimators share: checking parameters and inputs, making and training a model."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets

from textclf.models import FeedForwardNetwork, LogisticRegression, Model, SoftmaxRegression
from textclf.sklearn.weights import WeightedModel, append_weight_column
from textclf.train import MODEL_DEFAULTS, TrainingSettings, default_settings, train
from textclf.tune import hold_out

TRAINING_FIELDS = ("eta", "epochs", "batch_size", "init", "optimizer", "momentum", "schedule",
                   "decay", "l2", "l1", "patience", "bias_rate")


def kind_defaults(kind: str) -> TrainingSettings:
    """The training settings a model kind gets out of the box (``MODEL_DEFAULTS``)."""
    return TrainingSettings(**MODEL_DEFAULTS[kind])


# parameters --------------------------------------------------------------------------------
def integer(name: str, value: Any) -> int:
    """``value`` as a Python int (numpy integers from a parameter grid included)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise ValueError(f"{name} must be an integer, got {value!r}")


def real(name: str, value: Any) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{name} must be a number, got {value!r}")


def seed_of(random_state: Any) -> int:
    """An int seed for textclf's generators from scikit-learn's ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def training_settings(kind: str, params: dict[str, Any], random_state: Any) -> TrainingSettings:
    """TrainingSettings from estimator parameters; None means the kind's default."""
    values = {}
    for name in TRAINING_FIELDS:
        value = params.get(name)
        if value is None:
            continue
        if name in ("epochs", "batch_size", "patience"):
            value = integer(name, value)
        elif name in ("eta", "momentum", "decay", "l2", "l1", "bias_rate"):
            value = real(name, value)
        values[name] = value
    values["seed"] = seed_of(random_state)
    settings = default_settings(kind, values)  # e.g. η to suit a chosen optimizer
    settings.validate()
    return settings


def architecture(params: dict[str, Any]) -> dict[str, Any]:
    """The network's hidden sizes, activation and dropout from estimator parameters."""
    return {"hidden": params["hidden"], "activation": params["activation"],
            "dropout": real("dropout", params["dropout"])}


# inputs ----------------------------------------------------------------------------------------
def sample_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """Validated weights sᵢ ≥ 0, finite, shape (n,), not all zero; None for no weights."""
    if sample_weight is None:
        return None
    weights = np.array(sample_weight, dtype=np.float64)  # a copy: the caller's stays intact
    if weights.shape != (n,):
        raise ValueError(f"sample_weight has shape {weights.shape}, expected ({n},): "
                         "one weight per sample")
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight must be finite (no NaN or infinity)")
    if (weights < 0).any():
        raise ValueError("sample_weight must be non-negative")
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample; at least one weight "
                         "must be positive")
    return weights


def encode_targets(y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``classes_`` (sorted) and each row's class index; refuse fewer than two classes."""
    check_classification_targets(y)
    classes, targets = np.unique(y, return_inverse=True)
    present = targets if weights is None else targets[weights > 0]
    if len(np.unique(present)) < 2:
        where = "" if weights is None else " among the samples of positive weight"
        raise ValueError(f"a classifier needs samples of at least two classes; y has only "
                         f"one class{where} ({classes[present[0]]!r})")
    return classes, targets.reshape(-1)


# models ------------------------------------------------------------------------------------
def new_model(kind: str, n_features: int, n_classes: int, settings: TrainingSettings,
              network: dict[str, Any] | None = None) -> Model:
    """A freshly initialised model over [X | 1] with ``n_features`` columns."""
    if kind == "logistic":
        if n_classes != 2:
            raise ValueError(
                "Only binary classification is supported by (binary) logistic regression; "
                f"y has {n_classes} classes: use softmax regression for more"
            )
        return LogisticRegression(n_features, init=settings.init, seed=settings.seed)
    if kind == "softmax":
        return SoftmaxRegression(n_features, n_classes, init=settings.init, seed=settings.seed)
    if kind == "mlp":
        return FeedForwardNetwork(n_features, n_classes, seed=settings.seed, **(network or {}))
    raise ValueError(f"unknown model {kind!r} (known: logistic, softmax, mlp)")


def fit_model(
    kind: str,
    X: sp.csr_matrix,
    targets: np.ndarray,
    n_classes: int,
    weights: np.ndarray | None,
    settings: TrainingSettings,
    network: dict[str, Any] | None = None,
    validation_fraction: float = 0.1,
) -> tuple[Model, list[dict]]:
    """Train a fresh ``kind`` model on [X | 1] (bias column included) with textclf's trainer.

    Rows of weight 0 are removed; the other weights are rescaled to mean 1 (sᵢ·n/Σⱼsⱼ) so
    that η keeps its scale. With early stopping (``settings.patience``) a stratified
    ``validation_fraction`` of the rows is held out as the dev set it watches.
    """
    model = new_model(kind, X.shape[1], n_classes, settings, network)
    rows = np.arange(X.shape[0]) if weights is None else np.flatnonzero(weights > 0)
    dev_rows = None
    if settings.patience is not None:
        fraction = real("validation_fraction", validation_fraction)
        kept, held = hold_out(targets[rows], fraction, settings.seed)
        if len(held) == 0:
            raise ValueError("early stopping (patience) needs a validation set, and no class "
                             "has two samples to spare one")
        rows, dev_rows = rows[kept], rows[held]
    if weights is None:
        dev = None if dev_rows is None else (X[dev_rows], targets[dev_rows])
        return model, train(model, X[rows], targets[rows], settings, dev=dev)

    def with_weights(subset: np.ndarray) -> sp.csr_matrix:
        return append_weight_column(X[subset], weights[subset] * (len(rows) / weights[rows].sum()))

    dev = None if dev_rows is None else (with_weights(dev_rows), targets[dev_rows])
    history = train(WeightedModel(model), with_weights(rows), targets[rows], settings, dev=dev)
    return model, history
