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
   what follows θ (:func:`train_fitted`).

Estimators over a numeric matrix start at :func:`fit_features`.

**One training run** (:func:`train_fitted`) is where every way of training in one process
runs the loop (:class:`~textclf.training.loop.Trainer`): in memory, from a stream (the
streaming route), training on. With a checkpoint file the model file is rewritten after
every epoch and a run can resume (:mod:`textclf.fitting.checkpoints`). After the epochs
come, in this order (:func:`after_theta`, which the cluster's run calls too): nb's β
interpolation of the weights (two classes), the temperature T of temperature scaling
(``calibrate``: :mod:`textclf.training.calibration`) and a multi-label model's threshold
``auto`` (the one with the best micro-F1 on the calibrated probabilities), both fitted on
the dev set, and the model's provenance.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sp

from textclf.core.version import __version__
from textclf.corpus.documents import checked_texts
from textclf.errors import DataError, SettingsError
from textclf.evaluation.decisions import best_threshold
from textclf.features.featurizer import Featurizer
from textclf.features.weighting import interpolate_trained
from textclf.fitting.checkpoints import COMPLETED, Checkpoints, run_fingerprint
from textclf.fitting.choices import NB_FOLDS, choose_alpha, choose_beta, needs_held_out
from textclf.fitting.ensemble import member_layout, train_members
from textclf.fitting.fitted import Fitted
from textclf.fitting.problem import (
    AUTO,
    Problem,
    held_out_rows,
    known_dev_rows,
    model_for,
    problem_of,
    read_targets,
)
from textclf.fitting.settings import DecisionSettings, FitSettings, RunOptions
from textclf.models.base import Model
from textclf.models.ensemble import Ensemble
from textclf.training.calibration import fit_temperature
from textclf.training.loop import Trainer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import InMemoryRows, RowSource, checked_sample_weights


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


# one training run ---------------------------------------------------------------------
def warn_cluster_only(settings: FitSettings) -> None:
    """Warn of the settings only a cluster uses, given to a fit in one process."""
    if settings.run.max_iter is not None:
        warnings.warn("max_iter counts the L-BFGS iterations of a cluster's exact mode "
                      "(fit_dask); in one process optimizer='lbfgs' counts them with epochs",
                      stacklevel=3)


def checked_dev(texts, labels) -> tuple[list[str] | None, list | None, bool]:
    """The dev texts and labels as lists, and whether there are any."""
    if texts is None or labels is None:
        return None, None, False
    texts, labels = checked_texts(texts, "dev texts"), list(labels)
    if len(texts) != len(labels):
        raise DataError(f"{len(texts)} dev texts but {len(labels)} dev labels")
    return texts, labels, len(texts) > 0


def dev_rows(featurizer: Featurizer, problem: Problem, texts: Sequence[str], labels: Sequence,
             sample_weight: Sequence[float] | None, class_weight) -> tuple:
    """(X, y) of the dev documents the model can be scored on (warning of the rest:
    :func:`~textclf.fitting.problem.known_dev_rows`), and their weights when there are
    any: (X, y, weights)."""
    sample_weight = checked_sample_weights(sample_weight, len(labels), "dev_sample_weight")
    sets, _ = read_targets(labels, problem.multi_label, "dev labels")
    rows, sets = known_dev_rows(sets, problem.labels, problem.multi_label)
    X_dev = featurizer.transform([texts[i] for i in rows])
    y_dev = problem.encode(sets)
    weights = problem.weigh(y_dev, None if sample_weight is None else sample_weight[rows],
                            class_weight)
    return (X_dev, y_dev) if weights is None else (X_dev, y_dev, weights)


def needs_dev(settings: FitSettings, multi_label: bool) -> str | None:
    """What in ``settings`` needs dev data (None: nothing)."""
    if settings.training.get("patience") is not None:
        return "early stopping (patience) needs dev data to watch"
    if settings.training.get("calibrate"):
        return "calibration (temperature scaling) is fitted on dev data"
    if multi_label and settings.decision.threshold == "auto":
        return "threshold 'auto' is chosen on dev data"
    return None


def check_dev_needs(settings: FitSettings, multi_label: bool, has_dev: bool) -> None:
    """Refuse settings that need dev data when there is none, before any work (and say
    that multi-label decision settings do nothing for single-label data)."""
    s = settings.decision
    if not multi_label and (s.threshold is not None or s.top_k is not None or s.at_least_one):
        warnings.warn("threshold, top_k and at_least_one decide the labels of a multi-label "
                      "model; this data has one label per document, so they are not used",
                      UserWarning, stacklevel=4)
    need = needs_dev(settings, multi_label)
    if need is not None and not has_dev:
        raise SettingsError(f"{need}: give dev texts and labels (on the command line --dev "
                            "DATA, or data with a dev split)")


def fit_on_dev(model: Model, training: TrainingSettings, decision: DecisionSettings,
               dev: tuple | None) -> tuple[dict | None, float | None, np.ndarray | None]:
    """The temperature (``calibrate``, set on ``model``), then a multi-label model's
    threshold ``auto``: (the calibration record, the chosen threshold, P of the dev rows
    with that temperature)."""
    model.temperature, calibration, chosen = 1.0, None, None
    if training.calibrate:
        fitted = fit_temperature(model, dev)
        model.temperature = fitted.temperature
        calibration = asdict(fitted)
    P_dev = None if dev is None else model.predict_proba(dev[0])
    if model.multi_label and decision.threshold == "auto" and P_dev is not None:
        chosen = best_threshold(P_dev, dev[1], decision.top_k, decision.at_least_one)
    return calibration, chosen, P_dev


def train_fitted(fitted: Fitted, source: RowSource, dev: tuple | None, options: RunOptions,
                 fingerprint: Callable[[], str]) -> Fitted:
    """Train ``fitted.model`` on the rows of ``source`` (reporting on ``dev``: (X, y) or
    (X, y, weights)), from the optimiser state ``fitted.step_state`` if any; then what
    follows θ (see the module). ``fingerprint`` names the run for its checkpoints."""
    fitted.resume = None
    if isinstance(fitted.model, Ensemble):
        if options.checkpoint or options.resume:
            raise SettingsError("checkpoints hold one model's training state; an ensemble "
                                "trains its members one after the other: train it without "
                                "--checkpoint")
        fitted.history = train_members(fitted.model, fitted.training_settings, source, dev,
                                       options.quiet, options.on_epoch_end, options.shuffle)
        # (no β: an ensemble's members are not interpolated)
        after_theta(fitted, dev, source.n_rows, trained=False)
        return fitted
    checkpoints = Checkpoints(options.checkpoint, fingerprint(), options.sign_key) \
        if options.checkpoint else None
    trainer = Trainer(fitted.model, fitted.training_settings, quiet=options.quiet)
    trainer.step_state = fitted.step_state
    state = checkpoints.resume(fitted) if checkpoints and options.resume else None
    if state != COMPLETED:  # (a completed run's θ and history are back: only what follows)
        def after_epoch(epoch: int, record: dict) -> None:
            if options.on_epoch_end is not None:
                options.on_epoch_end(epoch, record)
            if checkpoints is not None:
                checkpoints.write(fitted, trainer)

        trainer.on_epoch_end = after_epoch
        fitted.history = trainer.fit(source, dev, shuffle=options.shuffle, resume=state)
    after_theta(fitted, dev, source.n_rows, trained=state != COMPLETED)
    if checkpoints is not None:
        checkpoints.finish(fitted)
    return fitted


def after_theta(fitted: Fitted, dev: tuple | None, n_documents: int,
                trained: bool = True) -> None:
    """What follows θ, whichever way it was trained (see the module docstring): nb's β
    interpolation (``trained``: θ is new, not a finished run's, already interpolated), the
    temperature and the threshold fitted on ``dev``, the provenance."""
    if trained and fitted.featurizer is not None:
        interpolate_trained(fitted.model, fitted.featurizer.settings)  # nb_beta, if any
    fitted.step_state = None  # (θ moved on: a loaded optimiser state no longer applies)
    fitted.calibration, fitted.chosen_threshold, fitted.dev_probabilities = fit_on_dev(
        fitted.model, fitted.training_settings, fitted.decision, dev)
    fitted.provenance = provenance(fitted, n_documents)


def provenance(fitted: Fitted, n_documents: int) -> dict:
    """Where the model came from (its model card): when and by which textclf it was trained,
    on how many documents, its scores on the dev set and its decision threshold. The command
    line adds the training data's names and SHA-256."""
    last = fitted.history[-1] if fitted.history else {}
    card = {"trained": datetime.now(UTC).isoformat(timespec="seconds"),
            "textclf_version": __version__, "documents": int(n_documents),
            **{key: fitted.provenance[key] for key in ("data", "chosen")
               if key in fitted.provenance}}
    dev = {key.removeprefix("dev_"): value for key, value in last.items()
           if key.startswith("dev_") and isinstance(value, float) and math.isfinite(value)}
    if dev:
        card["dev"] = dev
    if fitted.multi_label:
        card["threshold"] = fitted.decision.effective_threshold(fitted.chosen_threshold)
    return card
