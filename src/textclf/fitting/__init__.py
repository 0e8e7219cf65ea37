"""The fitting layer: the one route every way of training takes, from labels to a Fitted.

Below the classifier, above training, features and models. ``settings`` (every setting of
a fit, by group: :class:`FitSettings`), ``labels`` (labels as given: names, type, targets),
``kinds`` (the model kind for a problem, and the one place models are made), ``problem``
(:class:`Problem`: labels, type, multi-label, model kind, targets, weights, settled once),
``devset`` (the dev set, a held-out part, what is fitted on it after θ), ``run`` (one
training run: the loop, checkpoints, what follows θ), ``pipeline`` (:func:`fit` of texts in
memory; :func:`fit_features` of a feature matrix), ``streaming`` (:func:`fit_stream`),
``incremental`` (training on: :func:`continue_fit`, :class:`PartialFit`), ``cluster``
(:func:`fit_cluster`), ``fitted`` (:class:`Fitted`: what a fit makes), ``persistence``,
``checkpoints`` and ``compression`` (a Fitted in the model file).
"""

from textclf.fitting.fitted import Fitted
from textclf.fitting.pipeline import fit, fit_features
from textclf.fitting.problem import Problem, model_kind, new_model, problem_of, problem_of_names
from textclf.fitting.run import RunOptions
from textclf.fitting.settings import (
    ARGUMENTS,
    GROUPS,
    DecisionSettings,
    FitSettings,
    RunSettings,
)

__all__ = [
    "ARGUMENTS",
    "GROUPS",
    "DecisionSettings",
    "FitSettings",
    "Fitted",
    "Problem",
    "RunOptions",
    "RunSettings",
    "fit",
    "fit_features",
    "model_kind",
    "new_model",
    "problem_of",
    "problem_of_names",
]
