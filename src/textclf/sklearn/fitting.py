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
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from textclf.corpus.splits import hold_out
from textclf.models import Model, ModelSettings, new_model
from textclf.training.calibration import fit_temperature
from textclf.training.loop import Trainer, train
from textclf.training.settings import TrainingSettings, default_settings
from textclf.training.sources import InMemoryRows
from textclf.training.weights import (
    BALANCED,
    checked_sample_weights,
    document_weights,
    mean_one,
)

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
    return checked_sample_weights(sample_weight, n)


def is_multilabel(y: Any) -> bool:
    """Whether y is a label-indicator matrix (n × L of 0/1), scikit-learn's multi-label y."""
    return type_of_target(y, input_name="y") == "multilabel-indicator"


def targets_of(y: Any) -> np.ndarray:
    """y as an array: a label-indicator matrix stays 2-D, a column vector becomes 1-D (with
    scikit-learn's DataConversionWarning)."""
    if y is None:
        raise ValueError("this estimator requires y to be passed, but the target y is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    if y.ndim == 2 and not is_multilabel(y):
        raise ValueError(f"y of type {type_of_target(y, input_name='y')} (several outputs "
                         "with several classes each) is not supported; y must be one label "
                         "per sample or a label-indicator matrix (multi-label)")
    return y


def logits_of(model: Model, X: sp.csr_matrix) -> np.ndarray:
    """decision_function's logits: (n,) for two classes (two softmax logits as their
    difference z₁ − z₀), (n, K) for more, (n, L) for a multi-label model."""
    Z = model.decision_function(X)
    if Z.ndim == 2 and Z.shape[1] == 2 and not model.multi_label:
        return Z[:, 1] - Z[:, 0]
    return Z


def encode_targets(y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``classes_`` (sorted) and each row's class index; refuse fewer than two classes.
    A label-indicator matrix y gives ``classes_`` = 0..L−1 and the 0/1 matrix itself."""
    if is_multilabel(y):
        Y = np.asarray(y)
        return np.arange(Y.shape[1]), (Y != 0).astype(np.uint8)
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
    classes: np.ndarray,
    weights: np.ndarray | None,
    settings: TrainingSettings,
    network: dict[str, Any] | None = None,
    validation_fraction: float = 0.1,
    hold_out_dev: bool = False,
) -> tuple[Model, list[dict], tuple | None]:
    """Train a fresh ``kind`` model on [X | 1] (bias column included) with textclf's loop.

    Each row's weight is its class weight (``settings.class_weight``) times its sample
    weight; rows of weight 0 are removed and the rest scaled to mean 1 (sᵢ·n/Σⱼsⱼ), so that
    η keeps its scale (:mod:`textclf.training.weights`). With early stopping
    (``settings.patience``), calibration (``settings.calibrate``: temperature scaling, fitted
    on the held-out rows after θ) or ``hold_out_dev`` (for what else is fitted there), a
    stratified ``validation_fraction`` of the rows is held out as the dev set, its loss
    weighted the same way. Returns the model, its history and that dev set (or None).
    """
    n_classes = len(classes)
    multi_label = targets.ndim == 2
    if multi_label and kind == "softmax":
        raise ValueError("softmax regression gives each sample one class; a label-indicator "
                         "y (multi-label) needs LogisticRegressionClassifier (a sigmoid per "
                         "label) or MLPClassifier")
    if multi_label and kind == "logistic":
        kind = "multilabel"  # one logistic regression per label, trained together
    elif kind == "logistic" and n_classes != 2:
        raise ValueError("Only binary classification is supported by (binary) logistic "
                         f"regression; y has {n_classes} classes: use softmax regression "
                         "for more")
    model = new_model(kind, X.shape[1], n_classes, init=settings.init, seed=settings.seed,
                      multi_label=multi_label, **(network or {}))
    labels = [str(c) for c in classes]
    weights = document_weights(targets, labels, settings.class_weight, weights)
    rows = np.arange(X.shape[0]) if weights is None else np.flatnonzero(weights > 0)
    dev = None
    if settings.patience is not None or settings.calibrate or hold_out_dev:
        if not (isinstance(validation_fraction, numbers.Real)
                and not isinstance(validation_fraction, bool)):
            raise ValueError(f"validation_fraction must be a number, got "
                             f"{validation_fraction!r}")
        strata = targets[rows] if not multi_label else np.zeros(len(rows), np.int64)
        kept, held = hold_out(strata, float(validation_fraction), settings.seed)
        if len(held) == 0:
            raise ValueError("a validation set (for early stopping, or what is fitted on "
                             "held-out data) needs a class with two samples to spare one")
        rows, dev_rows = rows[kept], rows[held]
        dev = (X[dev_rows], targets[dev_rows]) if weights is None \
            else (X[dev_rows], targets[dev_rows], weights[dev_rows])
    row_weights = None if weights is None else mean_one(weights[rows])
    history = train(model, X[rows], targets[rows], settings, dev=dev, weights=row_weights)
    if settings.calibrate:  # temperature scaling on the held-out rows
        model.temperature = fit_temperature(model, dev).temperature
    return model, history, dev


def partial_fit_model(estimator, kind: str, X: sp.csr_matrix, y: np.ndarray, classes: Any,
                      sample_weight: Any, network: dict[str, Any] | None = None) -> None:
    """One pass of mini-batch SGD over [X | 1] and y for ``estimator``, as scikit-learn's
    ``SGDClassifier.partial_fit``: the first call (or the first after ``fit``) needs
    ``classes`` (every class y will hold; a label-indicator y gives its columns) and makes
    ``classes_``, ``model_`` and ``trainer_``; later calls go on from them, with the
    optimiser's state and the step count; η is constant."""
    multi_label = is_multilabel(y)
    fresh = not hasattr(estimator, "model_")
    if fresh:
        if classes is None and not multi_label:
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(every class y will hold)")
        estimator.classes_ = np.arange(y.shape[1]) if multi_label \
            else np.unique(np.asarray(classes))
        settings = training_settings(kind, estimator.get_params(), estimator.random_state)
        if multi_label and kind == "softmax":
            raise ValueError("softmax regression gives each sample one class; a "
                             "label-indicator y needs LogisticRegressionClassifier or "
                             "MLPClassifier")
        model_kind = "multilabel" if multi_label and kind == "logistic" else kind
        if model_kind == "logistic" and len(estimator.classes_) != 2:
            raise ValueError("Only binary classification is supported by (binary) logistic "
                             f"regression; classes holds {len(estimator.classes_)}")
        estimator.model_ = new_model(model_kind, X.shape[1], len(estimator.classes_),
                                     init=settings.init, seed=settings.seed,
                                     multi_label=multi_label, **(network or {}))
        estimator.training_ = settings
    elif classes is not None and not multi_label \
            and not np.array_equal(np.unique(np.asarray(classes)), estimator.classes_):
        raise ValueError(f"classes {np.unique(classes)} differ from the classes of the first "
                         f"call to partial_fit {estimator.classes_}")
    if estimator.training_.class_weight == BALANCED:
        raise ValueError("class_weight 'balanced' needs the class counts of all the data; "
                         "partial_fit takes a dict {class: weight}, as SGDClassifier does")
    if multi_label != estimator.model_.multi_label:
        raise ValueError("y is multi-label where the model is not, or the reverse")
    if multi_label:
        targets = (np.asarray(y) != 0).astype(np.uint8)
        if targets.shape[1] != len(estimator.classes_):
            raise ValueError(f"y has {targets.shape[1]} labels, the model "
                             f"{len(estimator.classes_)}")
    else:
        targets = np.searchsorted(estimator.classes_, y)
        outside = (targets >= len(estimator.classes_)) \
            | (estimator.classes_[np.minimum(targets, len(estimator.classes_) - 1)] != y)
        if outside.any():
            raise ValueError(f"y holds {y[outside][0]!r}, which is not in classes "
                             f"{list(estimator.classes_)}")
    trainer = getattr(estimator, "trainer_", None)
    if trainer is None or trainer.model is not estimator.model_:
        trainer = estimator.trainer_ = Trainer(estimator.model_, estimator.training_)
        trainer.history = list(getattr(estimator, "history_", [])) if not fresh else []
        trainer.epoch = len(trainer.history)
    weights = document_weights(targets, [str(c) for c in estimator.classes_],
                               estimator.training_.class_weight,
                               sample_weights(sample_weight, X.shape[0]))
    trainer.partial_fit(InMemoryRows(X, targets, weights))
    estimator.model_.temperature = 1.0  # a new θ: the T fitted for the old one no more
    estimator.history_ = trainer.history
    estimator.n_iter_ = len(trainer.history)
