"""What a fit learns to predict, settled once from the labels before any other work.

A :class:`Problem` holds the label names (in the order of the model's outputs), the type
the labels were given in, whether the data is multi-label, the model kind for them
(:func:`~textclf.fitting.kinds.model_kind`), the training documents' targets (class indices
or the 0/1 label matrix) and their weights sᵢ = c_{yᵢ}·wᵢ (a class weight times the
document's own: :mod:`textclf.training.weights`). Every way of training builds one, from
labels given in memory (:func:`problem_of`) or from the names a first pass over a stream
or a cluster found (:func:`problem_of_names`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from textclf.corpus.documents import checked_label_sets
from textclf.errors import DataError
from textclf.features.naive_bayes import Targets, check_interpolation
from textclf.fitting.kinds import model_kind
from textclf.fitting.labels import encode, label_names, label_names_of, read_targets
from textclf.fitting.settings import FitSettings
from textclf.training.weights import checked_sample_weights, document_weights, weighted_rows


@dataclass
class Problem:
    """The labels, their type, multi-label or not, the model kind, and the training
    documents' targets ``y`` and weights (``y`` None: a stream's, made chunk by chunk)."""

    labels: list[str]
    label_type: str
    multi_label: bool
    kind: str
    y: np.ndarray | None = None
    weights: np.ndarray | None = None  # sᵢ = c_{yᵢ}·wᵢ; None: every document weighs 1

    @property
    def n_outputs(self) -> int:
        return len(self.labels)

    def encode(self, sets: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Targets of label sets whose labels are all the problem's."""
        return encode(sets, self.labels, self.multi_label)

    def nb_targets(self, y: np.ndarray | None = None) -> Targets:
        """What the nb ratios learn from: ``y`` (default: the training targets) over every
        label of the problem."""
        return Targets(self.y if y is None else y, self.n_outputs, self.multi_label)

    def training_rows(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(the rows that take steps, their weights scaled to mean 1): documents of weight
        0 are left out; (None, None) without weights."""
        return weighted_rows(self.weights)

    def subset(self, rows: np.ndarray) -> Problem:
        """The problem of some of the training documents (a hold-out's rest)."""
        return replace(self, y=self.y[rows],
                       weights=None if self.weights is None else self.weights[rows])

    def weigh(self, y: np.ndarray, sample_weight: np.ndarray | None,
              class_weight) -> np.ndarray | None:
        """sᵢ = c_{yᵢ}·wᵢ of documents with targets ``y`` (e.g. the dev set's)."""
        return document_weights(y, self.labels, class_weight, sample_weight)


def problem_of(labels: object, settings: FitSettings, sample_weight=None,
               n_documents: int | None = None, classes: object = None) -> Problem:
    """The problem of labels given to ``fit``: strings, integers (Python or numpy),
    booleans, or per document a collection of them (multi-label); one weight per document
    in ``sample_weight``. ``n_documents``: the number of texts, which must match;
    ``classes``: every label the model is to know (default: those of the data)."""
    named, label_type = label_names_of(labels)
    sets, multi_label = read_targets(named, settings.model.multi_label)
    if n_documents is not None and n_documents != len(sets):
        raise DataError(f"{n_documents} texts but {len(sets)} labels")
    names = label_names(sets, label_type)
    if classes is not None:
        given, _ = label_names_of(classes, "classes")
        every = label_names(checked_label_sets(given, "classes")[0], label_type)
        missing = sorted(set(names) - set(every))
        if missing:
            raise DataError(f"labels {', '.join(missing[:10])} are not among the classes")
        names = every
    problem = problem_of_names(names, settings, multi_label, label_type)
    problem.y = problem.encode(sets)
    problem.weights = problem.weigh(problem.y, checked_sample_weights(sample_weight, len(sets)),
                                    settings.training.get("class_weight"))
    return problem


def problem_of_targets(y: np.ndarray, names: Sequence[str], settings: FitSettings,
                       sample_weight: np.ndarray | None = None) -> Problem:
    """The problem of targets already encoded: class indices into ``names``, or a 0/1 matrix
    with a column per name (multi-label); a scikit-learn estimator's ``y``."""
    problem = problem_of_names(names, settings, np.ndim(y) == 2)
    problem.y = y
    problem.weights = problem.weigh(y, sample_weight, settings.training.get("class_weight"))
    return problem


def problem_of_names(names: Sequence[str], settings: FitSettings, multi_label: bool,
                     label_type: str = "str") -> Problem:
    """The problem of labels known by name (a stream's first pass, a cluster's scan, the
    classes of a scikit-learn ``y``): the model kind checked against them."""
    kind = model_kind(settings.model.model, list(names), multi_label)
    check_interpolation(settings.features, kind)
    return Problem(list(names), label_type, multi_label, kind)
