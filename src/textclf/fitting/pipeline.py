"""The one fit of labelled documents held in memory, from texts to a :class:`Fitted`.

:func:`fit` is what ``TextClassifier.fit``, ``textclf train`` and scikit-learn's text
estimator run:

1. the :class:`~textclf.fitting.problem.Problem` from the labels (names, type, multi-label,
   model kind, targets, weights);
2. the dev set: dev documents given, or a held-out ``validation_fraction`` of the training
   documents where something needs one and none is given;
3. ``nb_beta`` "auto" of logistic regression on nb features chosen on a held-out part
   of the training documents (:mod:`textclf.fitting.choices`);
4. the featuriser fitted on the training texts (and, for the nb weightings, their labels);
5. :func:`fit_rows`: a fresh model for the problem, trained on the rows by the one loop, and
   what follows θ (:func:`~textclf.fitting.run.train_fitted`).

Estimators over a numeric matrix start at :func:`fit_features`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import scipy.sparse as sp

from textclf.corpus.documents import checked_texts
from textclf.errors import DataError
from textclf.features.featurizer import Featurizer
from textclf.fitting.checkpoints import run_fingerprint
from textclf.fitting.choices import NB_FOLDS, choose_alpha, choose_beta, needs_held_out
from textclf.fitting.ensemble import member_layout
from textclf.fitting.fitted import Fitted
from textclf.fitting.problem import AUTO, Problem, model_for, problem_of
from textclf.fitting.run import (
    check_dev_needs,
    checked_dev,
    dev_rows,
    held_out_rows,
    needs_dev,
    train_fitted,
    warn_cluster_only,
)
from textclf.fitting.settings import FitSettings, RunOptions
from textclf.training.sources import InMemoryRows


def fit(settings: FitSettings, texts: Iterable[str], labels: Iterable, *,
        dev_texts: Iterable[str] | None = None, dev_labels: Iterable | None = None,
        sample_weight: Sequence[float] | None = None,
        dev_sample_weight: Sequence[float] | None = None,
        validation_fraction: float | None = None, classes: Iterable | None = None,
        options: RunOptions | None = None) -> Fitted:
    """Fit a featuriser and a model to labelled texts (see the module docstring).
    ``validation_fraction``: without dev documents, the share of the training documents
    held out as the dev set where early stopping, calibration or the threshold ``auto``
    needs one; ``classes``: every label the model is to know (default: the data's)."""
    texts = checked_texts(texts)
    if not texts:
        raise DataError("the training corpus is empty")
    problem = problem_of(labels, settings, sample_weight, len(texts), classes, in_memory=True)
    dev_texts, dev_labels, has_dev = checked_dev(dev_texts, dev_labels)
    held = None
    if not has_dev and validation_fraction is not None \
            and needs_dev(settings, problem.multi_label):
        kept, held = held_out_rows(problem, validation_fraction, seed_of(settings, problem))
    check_dev_needs(settings, problem.multi_label, has_dev or held is not None)
    if held is not None:  # the held-out documents are the dev set, the rest train
        dev_texts, dev_y = [texts[i] for i in held], problem.y[held]
        dev_weights = None if problem.weights is None else problem.weights[held]
        texts, problem = [texts[i] for i in kept], problem.subset(kept)
    chosen = None
    if needs_held_out(settings.features, problem.kind):  # nb_beta auto
        chosen = choose_beta(settings, texts, problem, seed_of(settings, problem))
        settings = replace(settings, features=settings.features.replace(nb_beta=chosen.beta))
    featurizer = Featurizer(settings.features.replace(), jobs=settings.run.jobs,
                            dtype=settings.dtype)
    X = featurizer.fit_transform(texts, problem.nb_targets(), problem.weights)
    if held is not None:
        X_dev = featurizer.transform(dev_texts)
        dev = (X_dev, dev_y) if dev_weights is None else (X_dev, dev_y, dev_weights)
    else:
        dev = dev_rows(featurizer, problem, dev_texts, dev_labels, dev_sample_weight,
                       settings.training.get("class_weight")) if has_dev else None
    return fit_rows(problem, X, settings, dev, options or RunOptions(), featurizer,
                    None if chosen is None else chosen.record())


def fit_rows(problem: Problem, X: sp.csr_matrix, settings: FitSettings, dev: tuple | None,
             options: RunOptions, featurizer: Featurizer | None = None,
             chosen: dict | None = None) -> Fitted:
    """A fresh model for ``problem`` trained on the rows of [X | 1] (documents of weight 0
    take no step), reporting on ``dev``; naive Bayes's α "auto" chosen by cross-validation
    of the rows first. ``chosen``: what the data chose before (for the model card)."""
    warn_cluster_only(settings)
    training = settings.training_for(problem.training_kind)
    layout = None
    if problem.kind == "ensemble" and featurizer is not None:  # its members' columns
        layout = member_layout(featurizer, X, settings.model.members)
    model = model_for(problem, X.shape[1], settings, training, layout)
    rows, weights = problem.training_rows()
    y = problem.y
    if rows is not None and len(rows) < len(y):
        X, y = X[rows], y[rows]
    if problem.kind == "nb" and settings.features.nb_alpha == AUTO:
        model.alpha, scores = choose_alpha(model, X, y, weights, training.seed)
        chosen = {"nb_alpha": model.alpha, "judged_by": f"{NB_FOLDS}-fold cross-validation "
                  f"of the {X.shape[0]} training documents (stratified, seed {training.seed})",
                  "scores": scores}
        if featurizer is not None:  # the file records the α used
            featurizer.settings = featurizer.settings.replace(nb_alpha=model.alpha)
    fitted = Fitted(featurizer, model, problem.labels, training, label_type=problem.label_type,
                    decision=settings.decision, float32=settings.run.float32,
                    provenance={"chosen": chosen} if chosen else {})
    return train_fitted(fitted, InMemoryRows(X, y, weights), dev, options,
                        lambda: run_fingerprint(settings.arguments(), problem.labels, X, y,
                                                dev, weights))


def fit_features(problem: Problem, X: sp.csr_matrix, settings: FitSettings,
                 validation_fraction: float | None = None,
                 options: RunOptions | None = None) -> Fitted:
    """Fit a model to the rows of a feature matrix [X | 1] (no featuriser: scikit-learn's
    numeric estimators), holding out ``validation_fraction`` of the rows as the dev set
    where something needs one."""
    dev = None
    if validation_fraction is not None and needs_dev(settings, problem.multi_label):
        kept, held = held_out_rows(problem, validation_fraction, seed_of(settings, problem))
        dev = (X[held], problem.y[held]) if problem.weights is None \
            else (X[held], problem.y[held], problem.weights[held])
        X, problem = X[kept], problem.subset(kept)
    check_dev_needs(settings, problem.multi_label, dev is not None)
    return fit_rows(problem, X, settings, dev, options or RunOptions())


def seed_of(settings: FitSettings, problem: Problem) -> int:
    """The run's seed (it draws the held-out documents too)."""
    return settings.training_for(problem.training_kind).seed
