"""What the estimators share: their parameters (from the settings' declarations), checking
inputs, and fitting through textclf's fitting route."""

from __future__ import annotations

import dataclasses
import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from textclf.fitting import FitSettings, Fitted, fit_features, problem_of_names
from textclf.fitting.incremental import PartialFit
from textclf.fitting.problem import problem_of_targets
from textclf.fitting.settings import RENAMED_ARGUMENTS, renamed
from textclf.models import Model
from textclf.training.settings import BALANCED, TrainingSettings, default_settings
from textclf.training.sources import checked_sample_weights

# Every training setting is a parameter; scikit-learn's random_state stands for the seed.
TRAINING_PARAMETERS = tuple(name for name in TrainingSettings.declared if name != "seed")
ESTIMATOR_PARAMETERS = {"validation_fraction": 0.1, "random_state": 0}


def parameters_init(defaults: Mapping[str, Any], doc: str = "") -> Callable[..., None]:
    """An ``__init__(self, *, name=default, ...)`` that stores each parameter as an
    attribute and checks nothing (scikit-learn's convention: parameters are checked in
    ``fit``), its signature listing ``defaults`` for ``get_params`` and ``clone``."""
    names = tuple(defaults)

    def __init__(self, **params: Any) -> None:  # noqa: N807 (it becomes the class's __init__)
        params = renamed(params) if set(params) & set(RENAMED_ARGUMENTS) else params
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


def kind_parameters(kind: str, without: tuple[str, ...] = (),
                    **chosen: Any) -> dict[str, Any]:
    """The training parameters of a model kind with its out-of-the-box values (``chosen``
    on top: e.g. the full-batch solver)."""
    settings = default_settings(kind, chosen)
    return {name: getattr(settings, name) for name in TRAINING_PARAMETERS
            if name not in without}


def seed_of(random_state: Any) -> int:
    """An int seed for textclf's generators from scikit-learn's ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def architecture(params: Mapping[str, Any]) -> dict[str, Any]:
    """The network's hidden sizes, activation and dropout from estimator parameters
    (checked with the other settings, by :func:`estimator_settings`)."""
    return {name: params[name] for name in ("hidden", "activation", "dropout")}


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


def class_indices(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each label's index in ``classes`` (sorted); a label not there is a ValueError."""
    targets = np.searchsorted(classes, y)
    outside = (targets >= len(classes)) | (classes[np.minimum(targets, len(classes) - 1)] != y)
    if outside.any():
        raise ValueError(f"y holds {np.asarray(y)[outside][0]!r}, which is not in classes "
                         f"{list(classes)}")
    return targets


# training --------------------------------------------------------------------------------------
def estimator_settings(requested: str, params: Mapping[str, Any], random_state: Any,
                       network: Mapping[str, Any] | None = None) -> FitSettings:
    """The settings of a fit from estimator parameters: the model asked for, every training
    parameter given (None: the kind's default), the seed from ``random_state``."""
    training = {name: params[name] for name in TRAINING_PARAMETERS
                if params.get(name) is not None}
    return FitSettings.from_arguments(model=requested, seed=seed_of(random_state),
                                      **training, **(network or {}))


def fit_numeric(requested: str, X: sp.csr_matrix, targets: np.ndarray, classes: np.ndarray,
                weights: np.ndarray | None, settings: FitSettings,
                validation_fraction: float = 0.1) -> Fitted:
    """A fresh model fitted to [X | 1] (bias column included) and encoded ``targets``
    (:func:`encode_targets`), by textclf's fitting route (:func:`textclf.fitting.fit_features`):
    each row's weight its class weight times its sample weight (rows of weight 0 take no
    step), a stratified ``validation_fraction`` held out where early stopping, calibration
    or the threshold ``auto`` needs a dev set."""
    problem = problem_of_targets(targets, [str(c) for c in classes], settings, weights)
    return fit_features(problem, X, settings, validation_fraction)


def mini_batch(settings: FitSettings) -> FitSettings:
    """``partial_fit`` takes mini-batch steps: with the full-batch solver (the linear
    estimators' default) they are plain SGD's, at the η given or the kind's default."""
    if settings.training.get("optimizer") != "lbfgs":
        return settings
    return dataclasses.replace(settings, training={**settings.training, "optimizer": "sgd"})


def partial_fit_numeric(estimator, requested: str, X: sp.csr_matrix, y: np.ndarray,
                        classes: Any, sample_weight: Any,
                        network: Mapping[str, Any] | None = None) -> None:
    """One pass of mini-batch SGD over [X | 1] and y for ``estimator``, as scikit-learn's
    ``SGDClassifier.partial_fit``: the first call (or the first after ``fit``) needs
    ``classes`` (every class y will hold; a label-indicator y gives its columns) and makes
    ``classes_``, ``model_`` and ``partial_``; later calls go on from them, with the
    optimiser's state and the step count; η is constant."""
    multi_label = is_multilabel(y)
    partial = getattr(estimator, "partial_", None)
    if partial is None:
        settings = mini_batch(estimator_settings(requested, estimator.get_params(),
                                                 estimator.random_state, network))
        if hasattr(estimator, "fitted_"):  # after fit: on from its θ
            fitted = dataclasses.replace(estimator.fitted_, training_settings=settings.
                                         training_for(estimator.fitted_.model.kind))
            partial = estimator.partial_ = PartialFit(settings, fitted)
    if partial is None:
        if classes is None and not multi_label:
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(every class y will hold)")
        estimator.classes_ = np.arange(y.shape[1]) if multi_label \
            else np.unique(np.asarray(classes))
        if settings.training.get("class_weight") == BALANCED:
            raise ValueError("class_weight 'balanced' needs the class counts of all the data; "
                             "partial_fit takes a dict {class: weight}, as SGDClassifier does")
        problem = problem_of_names([str(c) for c in estimator.classes_], settings, multi_label)
        partial = estimator.partial_ = PartialFit(settings)
        partial.start(problem, X.shape[1])
    elif classes is not None and not multi_label \
            and not np.array_equal(np.unique(np.asarray(classes)), estimator.classes_):
        raise ValueError(f"classes {np.unique(classes)} differ from the classes of the first "
                         f"call to partial_fit {estimator.classes_}")
    if multi_label != partial.fitted.multi_label:
        raise ValueError("y is multi-label where the model is not, or the reverse")
    if multi_label:
        targets = (np.asarray(y) != 0).astype(np.uint8)
        if targets.shape[1] != len(estimator.classes_):
            raise ValueError(f"y has {targets.shape[1]} labels, the model "
                             f"{len(estimator.classes_)}")
    else:
        targets = class_indices(y, estimator.classes_)
    fitted = partial.step_rows(X, targets, sample_weights(sample_weight, X.shape[0]))
    estimator.model_, estimator.training_ = fitted.model, fitted.training_settings
    estimator.history_ = fitted.history
    estimator.n_iter_ = len(fitted.history)
