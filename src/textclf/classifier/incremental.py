"""Training on from where a classifier stands: a saved model on new data, batch by batch.

* :func:`continue_training` (``textclf train NEW --init-from MODEL``): the model's θ, its
  featuriser and labels, and its optimiser's averages where the file holds them (a
  checkpoint's), trained for more epochs on new documents. The vocabulary stays as it
  is, unless ``extend_vocabulary`` adds the new documents' terms: their rows of θ start at 0
  and the document frequencies and idf are those of all the documents seen (hashed
  features need nothing: a new n-gram already has its column). With character n-grams
  each block gets its own new terms. With the nb weightings a new term's log-count ratio
  is learned from the new documents (the only ones known to hold it; the old terms keep
  theirs); hashed nb features keep the ratios of the first training, so an n-gram whose
  column no training document had keeps the value 0.
* :func:`partial_fit`: one pass of mini-batch SGD over one batch of documents, as
  scikit-learn's ``SGDClassifier.partial_fit``: every class named on the first call, the
  featuriser fitted on the first batch (with the nb weightings its log-count ratios too,
  kept after: the later batches train θ only), a constant η, the optimiser's state carried
  over; ``nb_beta`` is refused (it interpolates the weights of a finished training).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence

import numpy as np

from textclf.classifier import devset
from textclf.classifier.checkpoints import run_fingerprint
from textclf.classifier.devset import checked_dev
from textclf.classifier.targets import encode, label_names, label_names_of
from textclf.corpus.documents import checked_label_sets, checked_texts
from textclf.errors import DataError, SettingsError
from textclf.features.featurizer import Featurizer
from textclf.features.terms import pack_terms
from textclf.features.weighting import inverse_document_frequency
from textclf.models.base import Model
from textclf.training.loop import Trainer
from textclf.training.settings import TrainingSettings, default_settings
from textclf.training.sources import InMemoryRows
from textclf.training.weights import BALANCED, checked_sample_weights, weighted_rows


def known_targets(clf, labels: object, what: str = "labels") -> list[tuple[str, ...]]:
    """The documents' labels, all of which the classifier must know (single-label: one
    each)."""
    sets, _ = checked_label_sets(label_names_of(labels, what)[0], what)
    known = set(clf.labels)
    for i, labels_of_i in enumerate(sets):
        if not clf.multi_label and len(labels_of_i) != 1:
            raise DataError(f"{what}, document {i}: {len(labels_of_i)} labels, and the model "
                            "gives one class per document")
        unknown = [label for label in labels_of_i if label not in known]
        if unknown:
            raise DataError(f"{what}, document {i}: label {unknown[0]!r} is not one the model "
                            f"knows ({', '.join(clf.labels)}); training on keeps the model's "
                            "labels: train a new model for new ones")
    return sets


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


def continue_training(clf, texts, labels, dev_texts=None, dev_labels=None, *,
                      extend_vocabulary: bool = False, sample_weight=None,
                      dev_sample_weight=None, checkpoint=None, resume: bool = False,
                      on_epoch_end=None, sign_key: bytes | None = None, **settings) -> int:
    """Train the fitted ``clf`` on (see the module docstring); ``settings`` override the
    model's training settings (epochs, eta, ...); ``sign_key`` signs the checkpoints.
    Returns the number of terms added."""
    clf.check_fitted()
    texts = checked_texts(texts)
    sets = known_targets(clf, labels)
    if len(texts) != len(sets) or not texts:
        raise DataError(f"{len(texts)} texts and {len(sets)} labels: training on needs as "
                        "many of each, at least one")
    unknown = sorted(set(settings) - set(TrainingSettings.declared))
    if unknown:
        raise SettingsError(f"not training settings: {', '.join(unknown)} (the featuriser and "
                            "the model come from the model being trained on)")
    dev_texts, dev_labels, has_dev = checked_dev(dev_texts, dev_labels)
    optimizer = clf.training_settings.optimizer
    overrides = {k: TrainingSettings.declared[k].check(v) for k, v in settings.items()
                 if v is not None}
    clf.training_overrides = {**clf.training_overrides, **overrides}
    if not has_dev:  # what needs dev data is asked for here, or only in the model's past
        if overrides.get("calibrate") or "patience" in overrides:
            devset.check_dev_needs(clf, False)  # refused, as by fit
        clf.training_overrides |= {"calibrate": False, "patience": None}
        if clf.model.temperature != 1.0:
            warnings.warn("the model's temperature is dropped: a new θ needs a new T (give "
                          "dev data to calibrate again)", UserWarning, stacklevel=3)
    clf.training_settings = default_settings(clf.model.kind, clf.training_overrides)
    step_state = clf.optimizer_state \
        if clf.training_settings.optimizer == optimizer else None
    y = encode(sets, clf.labels, clf.multi_label)
    weights = clf.document_weights(y, checked_sample_weights(sample_weight, len(texts)))
    added = 0
    if extend_vocabulary and clf.featurizer.kind == "vocabulary":
        clf.featurizer, at = extended_vocabulary(clf.featurizer, texts, clf.nb_targets(y),
                                                 weights)
        added = len(at)
        if added:
            clf.model = widened(clf.model, at)
            step_state = None  # the averages no longer fit θ's rows
    X = clf.featurizer.transform(texts)
    rows, weights = weighted_rows(weights)
    if rows is not None and len(rows) < len(y):
        X, y = X[rows], y[rows]
    dev = clf.dev_set(dev_texts, dev_labels, dev_sample_weight) if has_dev else None
    start = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes()
                                    for a in clf.model.parameters().values())).hexdigest()
    clf.train(InMemoryRows(X, y, weights), dev, on_epoch_end, checkpoint, resume,
              lambda: run_fingerprint([clf.get_settings(), start], clf.labels, X, y, dev,
                                      weights), step_state=step_state, sign_key=sign_key)
    return added


def partial_fit(clf, texts, labels, classes: Sequence | None = None,
                sample_weight=None) -> None:
    """One pass of mini-batch SGD over one batch (see the module docstring)."""
    texts = checked_texts(texts)
    labels, label_type = label_names_of(labels)
    sets, as_lists = checked_label_sets(labels, "labels")
    if len(texts) != len(sets) or not texts:
        raise DataError(f"{len(texts)} texts and {len(sets)} labels: partial_fit needs as "
                        "many of each, at least one")
    if classes is not None:
        classes, label_type = label_names_of(classes, "classes")
    names = None if classes is None else label_names(
        checked_label_sets(list(classes), "classes")[0], True, label_type)
    if clf.training_settings.class_weight == BALANCED:
        raise SettingsError("class_weight 'balanced' needs the class counts of all the data; "
                            "partial_fit takes named weights (LABEL=WEIGHT), as scikit-learn's")
    if clf.model is None:
        if names is None:
            raise SettingsError("classes: the first partial_fit needs every class (label) the "
                                "data will have, as scikit-learn's partial_fit does")
        forced = clf.model_settings.multi_label
        clf.multi_label = bool(forced) or (forced is None and as_lists)
        clf.labels = label_names([(name,) for name in names], clf.multi_label, label_type)
        clf.label_type = label_type
        if clf.feature_settings.nb_beta is not None:
            raise SettingsError("nb_beta interpolates the weights of a finished training; "
                                "partial_fit's training never finishes: leave nb_beta unset")
        clf.featurizer = Featurizer(clf.feature_settings.replace(), jobs=clf.jobs,
                                    dtype=clf.dtype)
        # a vocabulary (or idf, or the nb ratios) from the first batch, kept after
        first = encode(known_targets(clf, [list(s) for s in sets]), clf.labels, clf.multi_label)
        clf.featurizer.fit(texts, clf.nb_targets(first), clf.document_weights(
            first, checked_sample_weights(sample_weight, len(texts))))
        clf.model = clf.build_model(clf.featurizer.n_features)
        clf.history = []
    elif names is not None and names != clf.labels:
        raise SettingsError(f"classes {', '.join(names)} differ from the classifier's "
                            f"({', '.join(clf.labels)})")
    if clf.partial_trainer is None or clf.partial_trainer.model is not clf.model:
        clf.partial_trainer = Trainer(clf.model, clf.training_settings, quiet=True)
        clf.partial_trainer.history, clf.partial_trainer.epoch = clf.history, len(clf.history)
        clf.partial_trainer.step_state = clf.optimizer_state
    y = encode(known_targets(clf, [list(s) for s in sets]), clf.labels, clf.multi_label)
    weights = clf.document_weights(y, checked_sample_weights(sample_weight, len(texts)))
    clf.partial_trainer.partial_fit(InMemoryRows(clf.featurizer.transform(texts), y, weights))
    clf.model.temperature, clf.calibration = 1.0, None  # a new θ: T of the old one no more
