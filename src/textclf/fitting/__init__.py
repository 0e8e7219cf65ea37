"""The fitting layer: the one route every way of training takes, from labels to a Fitted.

Below the classifier, above training, features and models. ``settings`` (every setting of
a fit, by group: :class:`FitSettings`), ``problem`` (:class:`Problem`: labels as given,
their type, multi-label, the model kind, targets, weights, settled once; the one place
models are made),
``pipeline`` (:func:`fit` of texts in memory; :func:`fit_features` of a feature matrix;
one training run: the dev set, the loop, checkpoints, what follows θ), ``choices`` (what
the training data chooses: naive Bayes's α, β), ``ensemble`` (an ensemble's members),
``streaming`` (:func:`fit_stream`), ``incremental`` (training on: :func:`continue_fit`,
:class:`PartialFit`), ``cluster`` (:func:`fit_cluster`), ``fitted`` (:class:`Fitted`:
what a fit makes, and the model file), ``checkpoints`` and ``compression`` (a Fitted in
the model file).
"""

from textclf.core.exports import lazy_exports

# (names imported when first used: predicting with a loaded model needs none of the routes)
__getattr__, __dir__ = lazy_exports(__name__, {
    "Fitted": "textclf.fitting.fitted",
    "model_kind": "textclf.fitting.problem",
    "new_model": "textclf.fitting.problem",
    "Problem": "textclf.fitting.problem",
    "problem_of": "textclf.fitting.problem",
    "problem_of_names": "textclf.fitting.problem",
    "fit": "textclf.fitting.pipeline",
    "fit_features": "textclf.fitting.pipeline",
    "RunOptions": "textclf.fitting.settings",
    "ARGUMENTS": "textclf.fitting.settings",
    "GROUPS": "textclf.fitting.settings",
    "DecisionSettings": "textclf.fitting.settings",
    "FitSettings": "textclf.fitting.settings",
    "RunSettings": "textclf.fitting.settings",
})

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
