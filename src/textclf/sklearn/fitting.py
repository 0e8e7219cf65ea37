"""What the estimators share: their parameters (from the settings' declarations), checking
inputs, and training a model with textclf's loop."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets

from textclf.corpus.splits import hold_out
from textclf.models import Model, ModelSettings, new_model
from textclf.training.loop import train
from textclf.training.settings import TrainingSettings, default_settings
from textclf.training.weights import WeightedModel, append_weight_column

# Every training setting is a parameter; scikit-learn's random_state stands for the seed.
TRAINING_PARAMETERS = tuple(name for name in TrainingSettings.declared if name != "seed")
ESTIMATOR_PARAMETERS = {"validation_fraction": 0.1, "random_state": 0}


def parameters_init(defaults: Mapping[str, Any], doc: str = "") -> Callable[..., None]:
    """An ``__init__(self, *, name=default, ...)`` that stores each parameter as an
    attribute and checks nothing (scikit-learn's convention: parameters are checked in
    ``fit``), its signature listing ``defaults`` for ``get_params`` and ``clone``."""
    names = tuple(defaults)

    def __init__(self, **params: Any) -> None:  # noqa: N807 (it becomes the class's __init__)
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s) "
                            f"{', '.join(unknown)}")
        for name in names:
            setattr(self, name, params.get(name, defaults[name]))

    __init__.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name])
          for name in names)])
    __init__.__doc__ = doc or "Store the parameters (checked by ``fit``)."
    return __init__


def kind_parameters(kind: str, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """The training parameters of a model kind with its out-of-the-box values."""
    settings = default_settings(kind)
    return {name: getattr(settings, name) for name in TRAINING_PARAMETERS
            if name not in without}


def seed_of(random_state: Any) -> int:
    """An int seed for textclf's generators from scikit-learn's ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def training_settings(kind: str, params: Mapping[str, Any],
                      random_state: Any) -> TrainingSettings:
    """TrainingSettings from estimator parameters (each checked by its declaration); None
    means the kind's default."""
    values = {name: params[name] for name in TRAINING_PARAMETERS
              if params.get(name) is not None}
    values["seed"] = seed_of(random_state)
    return default_settings(kind, values)


def architecture(params: Mapping[str, Any]) -> dict[str, Any]:
    """The network's hidden sizes, activation and dropout from estimator parameters."""
    settings = ModelSettings(hidden=params["hidden"], activation=params["activation"],
                             dropout=params["dropout"])
    return {"hidden": settings.hidden, "activation": settings.activation,
            "dropout": settings.dropout}


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


# training --------------------------------------------------------------------------------------
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
    """Train a fresh ``kind`` model on [X | 1] (bias column included) with textclf's loop.

    Rows of weight 0 are removed; the other weights are rescaled to mean 1 (sᵢ·n/Σⱼsⱼ) so
    that η keeps its scale. With early stopping (``settings.patience``) a stratified
    ``validation_fraction`` of the rows is held out as the dev set it watches.
    """
    if kind == "logistic" and n_classes != 2:
        raise ValueError("Only binary classification is supported by (binary) logistic "
                         f"regression; y has {n_classes} classes: use softmax regression "
                         "for more")
    model = new_model(kind, X.shape[1], n_classes, init=settings.init, seed=settings.seed,
                      **(network or {}))
    rows = np.arange(X.shape[0]) if weights is None else np.flatnonzero(weights > 0)
    dev_rows = None
    if settings.patience is not None:
        if not (isinstance(validation_fraction, numbers.Real)
                and not isinstance(validation_fraction, bool)):
            raise ValueError(f"validation_fraction must be a number, got "
                             f"{validation_fraction!r}")
        kept, held = hold_out(targets[rows], float(validation_fraction), settings.seed)
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
