"""Training on from where a classifier stands: a saved model on new data, batch by batch.

* :func:`continue_fit` (``textclf train NEW --init-from MODEL``): the model's θ, its
  featuriser and labels, and its optimiser's averages where the file holds them (a
  checkpoint's), trained for more epochs on new documents. The vocabulary stays as it
  is, unless ``extend_vocabulary`` adds the new documents' terms: their rows of θ start at 0
  and the document frequencies and idf are those of all the documents seen (hashed
  features need nothing: a new n-gram already has its column). With character n-grams
  each block gets its own new terms. With the nb weightings a new term's log-count ratio
  is learned from the new documents (the only ones known to hold it; the old terms keep
  theirs); hashed nb features keep the ratios of the first training, so an n-gram whose
  column no training document had keeps the value 0.
* :class:`PartialFit`: one pass of mini-batch SGD over one batch of documents, as
  scikit-learn's ``SGDClassifier.partial_fit``: every class named on the first call, the
  featuriser fitted on the first batch (with the nb weightings its log-count ratios too,
  kept after: the later batches train θ only), a constant η, the optimiser's state carried
  over; ``nb_beta`` is refused (it interpolates the weights of a finished training).
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings

import numpy as np

from textclf.corpus.documents import checked_label_sets, checked_texts
from textclf.errors import DataError, SettingsError
from textclf.features.featurizer import Featurizer
from textclf.features.terms import pack_terms
from textclf.features.weighting import inverse_document_frequency
from textclf.fitting.checkpoints import run_fingerprint
from textclf.fitting.fitted import Fitted
from textclf.fitting.pipeline import (
    check_dev_needs,
    checked_dev,
    dev_rows,
    train_fitted,
    warn_cluster_only,
)
from textclf.fitting.problem import (
    Problem,
    encode,
    label_names,
    label_names_of,
    model_for,
    problem_of_names,
)
from textclf.fitting.settings import FitSettings, RunOptions
from textclf.models.base import Model
from textclf.training.loop import Trainer
from textclf.training.settings import BALANCED, TrainingSettings, default_settings
from textclf.training.sources import InMemoryRows, checked_sample_weights, document_weights


def known_targets(names: list[str], multi_label: bool, labels: object,
                  what: str = "labels") -> np.ndarray:
    """The targets of documents whose labels must all be among a model's ``names`` (a
    single-label model: one each)."""
    sets, _ = checked_label_sets(label_names_of(labels, what)[0], what)
    known = set(names)
    for i, labels_of_i in enumerate(sets):
        if not multi_label and len(labels_of_i) != 1:
            raise DataError(f"{what}, document {i}: {len(labels_of_i)} labels, and the model "
                            "gives one class per document")
        unknown = [label for label in labels_of_i if label not in known]
        if unknown:
            raise DataError(f"{what}, document {i}: label {unknown[0]!r} is not one the model "
                            f"knows ({', '.join(names)}); training on keeps the model's "
                            "labels: train a new model for new ones")
    return encode(sets, names, multi_label)


def problem_of_fitted(fitted: Fitted, y: np.ndarray, sample_weight,
                      class_weight) -> Problem:
    """The problem of a trained model's labels, for documents with targets ``y``."""
    problem = Problem(fitted.labels, fitted.label_type, fitted.multi_label, fitted.model.kind,
                      y)
    problem.weights = problem.weigh(y, checked_sample_weights(sample_weight, len(y)),
                                    class_weight)
    return problem


def widened(model: Model, at: int | np.ndarray) -> Model:
    """The model with a new feature column before each old column index in ``at`` (the
    bias's index: at the end; an int n: n columns at the end): their rows of θ (of the
    network's first layer) are 0, everything else as it was."""
    arrays = {name: np.array(array) for name, array in model.parameters().items()}
    name = "hidden1.W" if "hidden1.W" in arrays else "theta"
    if isinstance(at, int | np.integer):
        at = np.full(int(at), len(arrays[name]) - 1)
    arrays[name] = np.insert(arrays[name], at, 0, axis=0)
    config = model.config()
    config["n_features"] = int(config["n_features"]) + len(at)
    return type(model).from_config(config, arrays)


def extended_featurizer(featurizer: Featurizer, texts: list[str], targets=None,
                        weights: np.ndarray | None = None) -> tuple[Featurizer, int]:
    """:func:`extended_vocabulary`, and the number of terms added."""
    extended, at = extended_vocabulary(featurizer, texts, targets, weights)
    return extended, len(at)


def extended_vocabulary(featurizer: Featurizer, texts: list[str], targets=None,
                        weights: np.ndarray | None = None) -> tuple[Featurizer, np.ndarray]:
    """The vocabulary with the terms of ``texts`` added (each block's after its own: words,
    characters), and for each term added the old column it goes before. ``targets`` and
    ``weights``: the nb ratios of the new terms, learned from ``texts``."""
    if not featurizer.parts:
        extended, added = extended_block(featurizer, texts, targets, weights)
        return extended, np.full(added, len(featurizer.terms))
    blocks, at, start = {}, [], 0
    for unit, part in featurizer.parts.items():
        blocks[unit], added = extended_block(part, texts, targets, weights)
        start += len(part.terms)
        at.append(np.full(added, start))
    extended = type(featurizer)(featurizer.settings, jobs=featurizer.jobs,
                                dtype=featurizer.dtype)
    extended.parts = blocks
    extended.learned_from_parts()
    return extended, np.concatenate(at)


def extended_block(featurizer: Featurizer, texts: list[str], targets,
                   weights: np.ndarray | None) -> tuple[Featurizer, int]:
    """One vocabulary with the terms of ``texts`` (kept by the same settings, min_df
    counted in ``texts``) added after its own, and the document frequencies of all the
    documents seen; the number of terms added. With an nb weighting a new term's ratio is
    learned from ``texts`` (the only documents known to hold it), the old ones' kept."""
    old_terms = list(featurizer.terms)
    fresh = type(featurizer)(featurizer.settings.replace(), jobs=featurizer.jobs,
                             dtype=featurizer.dtype, unit=featurizer.unit)
    fresh.fit(texts, targets, weights)
    known = set(old_terms)
    added = [j for j, term in enumerate(fresh.terms) if term not in known]
    # df of the old terms in the new texts, counted exactly through the old featuriser
    X_old = featurizer.transform(texts)[:, :-1]
    old_df = np.asarray(featurizer.document_frequency) + np.diff(X_old.tocsc().indptr)
    df = np.concatenate([old_df, np.asarray(fresh.document_frequency)[added]]).astype(np.int64)
    n_documents = featurizer.n_documents + len(texts)
    utf8, offsets = pack_terms(old_terms + [fresh.terms[j] for j in added])
    meta = {"settings": featurizer.settings.as_dict(), "n_documents": n_documents,
            "n_terms": len(df), "unit": featurizer.unit}
    arrays = {"document_frequency": df, "idf": inverse_document_frequency(df, n_documents),
              "terms_utf8": utf8, "terms_offsets": offsets}
    if featurizer.nb is not None:
        arrays["nb_scale"] = np.concatenate([featurizer.nb.scale, fresh.nb.scale[added]])
    extended = type(featurizer).from_state(meta, arrays)
    extended.jobs, extended.dtype = featurizer.jobs, featurizer.dtype
    return extended, len(added)


def continued_settings(fitted: Fitted, settings: FitSettings, overrides: dict,
                       has_dev: bool) -> tuple[TrainingSettings, tuple | None, dict]:
    """The training settings of training ``fitted`` on: the model's own (``settings``) with
    ``overrides`` on top, without what needs dev data when there is none; the optimiser's
    state to go on from (the same optimiser's only); the settings given."""
    given = {k: TrainingSettings.declared[k].check(v) for k, v in overrides.items()
             if v is not None}
    wanted = {**settings.training, **given}
    if not has_dev:  # what needs dev data is asked for here, or only in the model's past
        if given.get("calibrate") or "patience" in given:
            check_dev_needs(settings.replace(**given), fitted.multi_label, False)  # refused
        wanted |= {"calibrate": False, "patience": None}
        if fitted.model.temperature != 1.0:
            warnings.warn("the model's temperature is dropped: a new θ needs a new T (give "
                          "dev data to calibrate again)", UserWarning, stacklevel=4)
    training = default_settings(fitted.model.kind, wanted)
    step_state = fitted.step_state \
        if training.optimizer == fitted.training_settings.optimizer else None
    return training, step_state, given


def continue_fit(fitted: Fitted, settings: FitSettings, texts, labels, dev_texts=None,
                 dev_labels=None, *, extend_vocabulary: bool = False, sample_weight=None,
                 dev_sample_weight=None, options: RunOptions | None = None,
                 **overrides) -> tuple[Fitted, int]:
    """``fitted`` trained on (see the module docstring) with the training settings of
    ``settings`` and ``overrides`` (epochs, eta, ...) on top of the model's own: the new
    :class:`Fitted` and the number of terms added."""
    options = options or RunOptions()
    warn_cluster_only(settings)
    texts = checked_texts(texts)
    y = known_targets(fitted.labels, fitted.multi_label, labels)
    if len(texts) != len(y) or not texts:
        raise DataError(f"{len(texts)} texts and {len(y)} labels: training on needs as "
                        "many of each, at least one")
    unknown = sorted(set(overrides) - set(TrainingSettings.declared))
    if unknown:
        raise SettingsError(f"not training settings: {', '.join(unknown)} (the featuriser and "
                            "the model come from the model being trained on)")
    dev_texts, dev_labels, has_dev = checked_dev(dev_texts, dev_labels)
    training, step_state, given = continued_settings(fitted, settings, overrides, has_dev)
    problem = problem_of_fitted(fitted, y, sample_weight, training.class_weight)
    featurizer, model, added = fitted.featurizer, fitted.model, 0
    if extend_vocabulary and featurizer.kind == "vocabulary":
        featurizer, at = extended_vocabulary(featurizer, texts, problem.nb_targets(),
                                             problem.weights)
        added = len(at)
        if added:
            model = widened(model, at)
            step_state = None  # the averages no longer fit θ's rows
    X = featurizer.transform(texts)
    rows, weights = problem.training_rows()
    if rows is not None and len(rows) < len(y):
        X, y = X[rows], y[rows]
    dev = dev_rows(featurizer, problem, dev_texts, dev_labels, dev_sample_weight,
                   training.class_weight) if has_dev else None
    start = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes()
                                    for a in fitted.model.parameters().values())).hexdigest()
    arguments = settings.replace(**given).arguments()
    trained = dataclasses.replace(fitted, featurizer=featurizer, model=model,
                                  training_settings=training, step_state=step_state,
                                  decision=fitted.decision)
    trained = train_fitted(trained, InMemoryRows(X, y, weights), dev, options,
                           lambda: run_fingerprint([arguments, start], fitted.labels, X, y,
                                                   dev, weights))
    return trained, added


class PartialFit:
    """``partial_fit``'s state between calls: the fitted parts and the loop's trainer (the
    optimiser's averages, the step count, the shuffling generator)."""

    def __init__(self, settings: FitSettings, fitted: Fitted | None = None):
        if settings.training.get("class_weight") == BALANCED:
            raise SettingsError("class_weight 'balanced' needs the class counts of all the "
                                "data; partial_fit takes named weights (LABEL=WEIGHT), as "
                                "scikit-learn's")
        if settings.features.nb_beta is not None and fitted is None:
            raise SettingsError("nb_beta interpolates the weights of a finished training; "
                                "partial_fit's training never finishes: leave nb_beta unset")
        self.settings = settings
        self.fitted = fitted  # None: the first call makes it; else a trained model goes on
        self.trainer: Trainer | None = None

    def start(self, problem: Problem, n_features: int,
              featurizer: Featurizer | None = None) -> None:
        """The first call: a fresh model for ``problem`` over ``n_features`` columns."""
        settings = self.settings
        training = settings.training_for(problem.kind)
        model = model_for(problem, n_features, settings, training)
        self.fitted = Fitted(featurizer, model, problem.labels, training,
                             label_type=problem.label_type, decision=settings.decision,
                             float32=settings.run.float32)

    def step(self, texts, labels, classes=None, sample_weight=None) -> Fitted:
        """One pass of mini-batch SGD over one batch of texts (see the module docstring):
        the first call names every class and fits the featuriser on its batch (a
        vocabulary, idf, the nb ratios: kept after)."""
        texts = checked_texts(texts)
        labels, label_type = label_names_of(labels)
        sets, as_lists = checked_label_sets(labels, "labels")
        if len(texts) != len(sets) or not texts:
            raise DataError(f"{len(texts)} texts and {len(sets)} labels: partial_fit needs as "
                            "many of each, at least one")
        names = None
        if classes is not None:
            classes, label_type = label_names_of(classes, "classes")
            names = label_names(checked_label_sets(list(classes), "classes")[0], label_type)
        if self.fitted is None:
            if names is None:
                raise SettingsError("classes: the first partial_fit needs every class (label) "
                                    "the data will have, as scikit-learn's partial_fit does")
            forced = self.settings.model.multi_label
            problem = problem_of_names(names, self.settings, bool(forced) or (
                forced is None and as_lists), label_type)
            problem.y = known_targets(problem.labels, problem.multi_label,
                                      [list(s) for s in sets])
            problem.weights = problem.weigh(problem.y, checked_sample_weights(
                sample_weight, len(texts)), self.settings.training.get("class_weight"))
            featurizer = Featurizer(self.settings.features.replace(),
                                    jobs=self.settings.run.jobs, dtype=self.settings.dtype)
            featurizer.fit(texts, problem.nb_targets(), problem.weights)
            self.start(problem, featurizer.n_features, featurizer)
        elif names is not None and names != self.fitted.labels:
            raise SettingsError(f"classes {', '.join(names)} differ from the classifier's "
                                f"({', '.join(self.fitted.labels)})")
        fitted = self.fitted
        y = known_targets(fitted.labels, fitted.multi_label, [list(s) for s in sets])
        return self.step_rows(fitted.featurizer.transform(texts), y,
                              checked_sample_weights(sample_weight, len(texts)))

    def step_rows(self, X, y: np.ndarray, sample_weight: np.ndarray | None) -> Fitted:
        """One pass over the rows of [X | 1] with targets ``y``: mini-batch steps at a
        constant η from where the last pass stood."""
        fitted = self.fitted
        if self.trainer is None:
            self.trainer = Trainer(fitted.model, fitted.training_settings, quiet=True)
            self.trainer.history, self.trainer.epoch = fitted.history, len(fitted.history)
            self.trainer.step_state = fitted.step_state
        weights = document_weights(y, fitted.labels, fitted.training_settings.class_weight,
                                   sample_weight)
        self.trainer.partial_fit(InMemoryRows(X, y, weights))
        fitted.history = self.trainer.history
        fitted.model.temperature, fitted.calibration = 1.0, None  # a new θ: no old T
        fitted.dev_probabilities = None  # (nor the old θ's dev probabilities)
        return fitted
