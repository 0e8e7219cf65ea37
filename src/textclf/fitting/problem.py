"""What a fit learns to predict, settled once from the labels before any other work.

Labels as given (:func:`label_names_of`): strings, integers (Python or numpy) or booleans,
or per document a collection of them; inside, a label is its name, and ``predict`` gives it
back in its type. Single-label data (every document has exactly one label): the targets
are class indices into the sorted label names. Multi-label data (a document has zero or
several labels, or ``multi_label=True``): the targets are the 0/1 matrix Y with Yᵢₗ = 1
where document i has label l, a column per label.

The model kind (:func:`model_kind`, the one rule): ``auto`` is binary logistic regression
for two classes and softmax regression for more; multi-label data gets a sigmoid per
label, the multi-label logistic regression, or the network with sigmoid outputs; binary
logistic regression needs exactly two classes, softmax one class per document.
:func:`new_model` is the only place a model is made for training.

A :class:`Problem` holds the label names (in the order of the model's outputs), their
type, whether the data is multi-label, the model kind, the training documents' targets
and their weights sᵢ = c_{yᵢ}·wᵢ (a class weight times the document's own:
:mod:`textclf.training.sources`). Every way of training builds one, from labels given in
memory (:func:`problem_of`), from targets already encoded (:func:`problem_of_targets`) or
from the names a first pass over a stream or a cluster found (:func:`problem_of_names`).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from textclf.corpus.documents import checked_label_sets, sequence_of
from textclf.corpus.splits import hold_out
from textclf.errors import DataError, SettingsError
from textclf.evaluation.multilabel import indicator
from textclf.features.settings import FeatureSettings
from textclf.features.weighting import Targets, check_interpolation
from textclf.fitting.settings import FitSettings
from textclf.models.base import Model
from textclf.models.ensemble import Ensemble
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.models.multilabel import MultiLabelLogisticRegression
from textclf.models.naive_bayes import naive_bayes
from textclf.models.settings import ModelSettings
from textclf.models.softmax import SoftmaxRegression
from textclf.training.settings import TrainingSettings
from textclf.training.sources import checked_sample_weights, document_weights, weighted_rows
from textclf.training.sparse_step import supports

LabelSets = list[tuple[str, ...]]
AUTO = "auto"  # nb_alpha, nb_beta: chosen by the training data (textclf.fitting.choices)


def type_of_label(value: object) -> str | None:
    """"bool", "int" (Python or numpy integers) or "str"; None for anything else (refused
    later, by name)."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int"
    return "str" if isinstance(value, str) else None


def label_names_of(labels: object, what: str = "labels") -> tuple[list, str]:
    """``labels`` (one per document, each a label or a collection of labels) with every
    label as its name, and the type they were given in (``fitted.LABEL_TYPES``): numpy
    integers become ints (named by their decimal digits), booleans "False"/"True". Labels
    of several types are refused (scikit-learn refuses them too)."""
    values = sequence_of(labels, what, "labels")
    if all(type(value) is str for value in values):  # names already (a corpus's labels)
        return values, "str"
    types: set[str] = set()

    def name(value: object) -> object:
        kind = type_of_label(value)
        if kind is not None:
            types.add(kind)
        if kind == "bool":
            return str(bool(value))
        return int(value) if kind == "int" else value

    named = []
    for value in values:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, set | frozenset):
            value = sorted(value, key=str)
        named.append([name(v) for v in value] if isinstance(value, list | tuple)
                     else name(value))
    if len(types) > 1:
        raise DataError(f"{what}: labels of several types ({', '.join(sorted(types))}); give "
                        "every label as the same type")
    return named, types.pop() if types else "str"


def read_targets(labels: object, multi_label: bool | None,
                 what: str = "labels") -> tuple[LabelSets, bool]:
    """Each document's labels as a tuple of names (:func:`label_names_of`), and whether the
    data is multi-label: when a document has zero or several labels (``multi_label``
    None), or when forced (True). ``multi_label`` False refuses such data."""
    named, _ = label_names_of(labels, what)
    sets, _ = checked_label_sets(named, what)
    odd = next((i for i, s in enumerate(sets) if len(s) != 1), None)
    if multi_label is False and odd is not None:
        raise DataError(f"{what}: document {odd} has {len(sets[odd])} labels, and multi_label "
                        "is off (leave it unset, or --multi-label, to train a multi-label "
                        "model)")
    return sets, bool(multi_label) or odd is not None


def label_names(sets: LabelSets, label_type: str = "str") -> list[str]:
    """The labels of the training data in sorted order (integers by value)."""
    return sorted({label for labels in sets for label in labels},
                  key=int if label_type == "int" else None)


def encode(sets: Sequence[tuple[str, ...]], names: Sequence[str],
           multi_label: bool) -> np.ndarray:
    """Class indices (single-label; every label must be known) or the 0/1 label matrix."""
    if multi_label:
        return indicator(sets, names)
    index = {label: i for i, label in enumerate(names)}
    return np.fromiter((index[labels[0]] for labels in sets), dtype=np.int64, count=len(sets))


def known_dev_rows(sets: LabelSets, names: Sequence[str],
                   multi_label: bool) -> tuple[list[int], LabelSets]:
    """The dev documents the model can be scored on, and their labels: single-label, those
    whose label the model knows; multi-label, every document, without the labels the model
    does not know. A warning says what was left out."""
    known = set(names)
    if multi_label:
        dropped = sum(label not in known for labels in sets for label in labels)
        if dropped:
            warnings.warn(f"{dropped} label(s) of dev documents are not in the training data; "
                          "they are left out of the dev loss and accuracy",
                          UserWarning, stacklevel=4)
        return list(range(len(sets))), [tuple(x for x in s if x in known) for s in sets]
    rows = [i for i, labels in enumerate(sets) if labels[0] in known]
    if len(rows) < len(sets):
        warnings.warn(f"{len(sets) - len(rows)} dev document(s) have labels not in the "
                      "training data; they are left out of the dev loss and accuracy",
                      UserWarning, stacklevel=4)
    return rows, [sets[i] for i in rows]


def model_kind(requested: str, labels: Sequence[str], multi_label: bool) -> str:
    """The model kind for ``labels`` (at least two; a single-label problem's classes, or a
    multi-label problem's labels) of the ``requested`` model (auto, logistic, softmax,
    mlp); the problem's shape checked against it."""
    if len(labels) < 2:
        what = "label" if multi_label else "class"
        found = f"one {what} ({labels[0]!r})" if labels else f"no {what}"
        raise DataError(f"the training data has only {found}; a classifier needs at least two")
    if requested in ("nb", "ensemble"):  # they take every shape: two classes, K, multi-label
        return requested
    if multi_label:
        if requested == "softmax":
            raise DataError("softmax regression gives each document one class; multi-label "
                            "data needs --model logistic (a sigmoid per label, the default) "
                            "or --model mlp")
        return "mlp" if requested == "mlp" else "multilabel"
    if requested == "auto":
        return linear_kind(len(labels), multi_label=False)
    if requested == "logistic" and len(labels) != 2:
        raise DataError(f"binary logistic regression needs exactly two classes, the data "
                        f"has {len(labels)}: {', '.join(map(str, labels[:10]))}; use "
                        "--model softmax (or auto)")
    return requested


def linear_kind(n_outputs: int, multi_label: bool) -> str:
    """The linear model for a problem's shape, the kind "auto" means (and an ensemble's
    members are): logistic regression for two classes, softmax regression for more, a
    sigmoid per label for multi-label data."""
    if multi_label:
        return "multilabel"
    return "logistic" if n_outputs == 2 else "softmax"


def architecture(settings: ModelSettings) -> dict[str, Any]:
    """The network's shape from the model settings: hidden sizes, activation, dropout."""
    return {"hidden": settings.hidden, "activation": settings.activation,
            "dropout": settings.dropout}


def new_model(kind: str, n_features: int, n_outputs: int, training: TrainingSettings,
              network: dict[str, Any] | None = None, dtype: Any = np.float64,
              multi_label: bool = False, nb_alpha: float = 1.0,
              layout: tuple | None = None) -> Model:
    """A freshly initialised ``kind`` model over [X | 1] with ``n_features`` columns (the
    dummy feature included) and ``n_outputs`` classes or labels: θ = 0 or small random
    values (``training.init``, ``training.seed``) for the linear models, the network's
    ``network`` shape with its own initialisation (``multi_label``: a sigmoid per label),
    naive Bayes's form for the outputs with its smoothing ``nb_alpha`` (θ counted later),
    an ensemble's members (:func:`linear_kind`) as ``layout`` says: (names, each one's
    columns, each one's scale, row normalisation; :func:`textclf.fitting.ensemble.
    member_layout`).
    With ``dtype`` float32, a linear model's θ is float32 too where the sparse SGD steps
    train it (they update it in place)."""
    if kind == "ensemble":
        if layout is None:
            raise SettingsError("an ensemble's members read groups of text features: it "
                                "needs a featuriser (texts, not a numeric matrix)")
        names, columns, scales, normalise = layout
        base = linear_kind(n_outputs, multi_label)
        members = [new_model(base, len(c), n_outputs, training, dtype=dtype,
                             multi_label=multi_label) for c in columns]
        output = "sigmoids" if multi_label else ("sigmoid" if n_outputs == 2 else "softmax")
        return Ensemble(members, columns, scales, n_features, output, names, normalise)
    if kind == "logistic":
        model = LogisticRegression(n_features, init=training.init, seed=training.seed)
    elif kind == "softmax":
        model = SoftmaxRegression(n_features, n_outputs, init=training.init, seed=training.seed)
    elif kind == "multilabel":
        model = MultiLabelLogisticRegression(n_features, n_outputs, init=training.init,
                                             seed=training.seed)
    elif kind == "mlp":
        model = FeedForwardNetwork(n_features, n_outputs, seed=training.seed,
                                   multi_label=multi_label, **(network or {}))
    elif kind == "nb":
        return naive_bayes(n_features, n_outputs, multi_label, nb_alpha)
    else:
        raise SettingsError(f"unknown model kind {kind!r}")
    if np.dtype(dtype) == np.float32 and supports(model, training):
        model.theta = model.theta.astype(np.float32)  # half θ's memory
    return model


def model_for(problem: Problem, n_features: int, settings: FitSettings,
              training: TrainingSettings, layout: tuple | None = None) -> Model:
    """A fresh model for ``problem`` over ``n_features`` columns, as ``settings`` ask (the
    network's shape, float32, naive Bayes's smoothing) and trained with ``training``.
    Naive Bayes's α "auto" starts at 1: the fit chooses it after counting
    (:func:`textclf.fitting.choices.choose_alpha`)."""
    alpha = settings.features.nb_alpha
    return new_model(problem.kind, n_features, problem.n_outputs, training,
                     architecture(settings.model), settings.dtype, problem.multi_label,
                     1.0 if alpha == AUTO else alpha, layout)


def check_network(settings: ModelSettings) -> None:
    """Refuse a network shape that cannot be built, before any work (the sizes against
    the machine's memory are checked when the model is made)."""
    if settings.model == "mlp":
        FeedForwardNetwork(**architecture(settings))


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

    @property
    def training_kind(self) -> str:
        """The kind whose training defaults apply: an ensemble's members', else its own."""
        if self.kind == "ensemble":
            return linear_kind(self.n_outputs, self.multi_label)
        return self.kind

    def encode(self, sets: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Targets of label sets whose labels are all the problem's."""
        return encode(sets, self.labels, self.multi_label)

    def nb_targets(self, y: np.ndarray | None = None) -> Targets:
        """What the nb ratios learn from: ``y`` (default: the training targets) over every
        label of the problem."""
        return Targets(self.y if y is None else y, self.n_outputs, self.multi_label)

    def training_rows(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(the rows that train, their weights): documents of weight 0 are left out; a
        model that takes steps gets the weights scaled to mean 1 (η keeps its scale), naive
        Bayes them as given (a weight of 2 counts a document twice, also against the
        smoothing α); (None, None) without weights."""
        rows, weights = weighted_rows(self.weights)
        if self.kind == "nb" and rows is not None:
            weights = self.weights[rows]
        return rows, weights

    def subset(self, rows: np.ndarray) -> Problem:
        """The problem of some of the training documents (a hold-out's rest)."""
        return replace(self, y=self.y[rows],
                       weights=None if self.weights is None else self.weights[rows])

    def weigh(self, y: np.ndarray, sample_weight: np.ndarray | None,
              class_weight) -> np.ndarray | None:
        """sᵢ = c_{yᵢ}·wᵢ of documents with targets ``y`` (e.g. the dev set's)."""
        return document_weights(y, self.labels, class_weight, sample_weight)


def problem_of(labels: object, settings: FitSettings, sample_weight=None,
               n_documents: int | None = None, classes: object = None,
               in_memory: bool = False) -> Problem:
    """The problem of labels given to ``fit``: strings, integers (Python or numpy),
    booleans, or per document a collection of them (multi-label); one weight per document
    in ``sample_weight``. ``n_documents``: the number of texts, which must match;
    ``classes``: every label the model is to know (default: those of the data);
    ``in_memory``: see :func:`problem_of_names`."""
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
    problem = problem_of_names(names, settings, multi_label, label_type, in_memory)
    problem.y = problem.encode(sets)
    problem.weights = problem.weigh(problem.y, checked_sample_weights(sample_weight, len(sets)),
                                    settings.training.get("class_weight"))
    return problem


def check_choices(features: FeatureSettings, kind: str, in_memory: bool) -> None:
    """Refuse ``nb_beta`` "auto" where nothing chooses it: on a stream or a cluster (not
    ``in_memory``), or for a model other than binary logistic regression on an nb
    weighting. (``nb_alpha`` "auto" is always allowed: naive Bayes chooses it where it
    can, and takes 1 elsewhere, as the nb weightings do.)"""
    if features.nb_beta != AUTO:
        return
    if not in_memory:
        raise SettingsError("nb_beta auto is chosen on held-out training documents in "
                            "memory; give a number to train from a stream or on a cluster")
    if not (kind == "logistic" and features.uses_labels):
        raise SettingsError("nb_beta auto chooses Wang and Manning's interpolation of binary "
                            "logistic regression on an nb weighting (tfidf-nb, nb): it does not "
                            f"apply to model {kind!r} with weighting {features.weighting!r}")


def problem_of_targets(y: np.ndarray, names: Sequence[str], settings: FitSettings,
                       sample_weight: np.ndarray | None = None) -> Problem:
    """The problem of targets already encoded: class indices into ``names``, or a 0/1 matrix
    with a column per name (multi-label); a scikit-learn estimator's ``y``."""
    problem = problem_of_names(names, settings, np.ndim(y) == 2)
    problem.y = y
    problem.weights = problem.weigh(y, sample_weight, settings.training.get("class_weight"))
    return problem


def problem_of_names(names: Sequence[str], settings: FitSettings, multi_label: bool,
                     label_type: str = "str", in_memory: bool = False) -> Problem:
    """The problem of labels known by name (a stream's first pass, a cluster's scan, the
    classes of a scikit-learn ``y``): the model kind checked against them. ``in_memory``:
    a fit of texts in memory, which can choose ``nb_alpha``/``nb_beta`` "auto" and train an
    ensemble (a stream or a cluster cannot)."""
    kind = model_kind(settings.model.model, list(names), multi_label)
    if kind == "ensemble" and not in_memory:
        raise SettingsError("an ensemble is trained on texts in memory (not from a stream, "
                            "on a cluster or batch by batch)")
    check_choices(settings.features, kind, in_memory)
    check_interpolation(settings.features, kind)
    if kind == "nb" and settings.features.uses_labels:
        raise SettingsError(f"naive Bayes counts feature values ≥ 0: it takes count, binary "
                            f"(its default) or tfidf values, not {settings.features.weighting}")
    return Problem(list(names), label_type, multi_label, kind)


def held_out_rows(problem: Problem, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(the rows kept for training, the rows held out as the dev set): a stratified,
    seeded ``fraction`` of the documents of positive weight (by class; multi-label data
    at random)."""
    if not (isinstance(fraction, numbers.Real) and not isinstance(fraction, bool)):
        raise SettingsError(f"validation_fraction must be a number, got {fraction!r}")
    rows = np.arange(len(problem.y)) if problem.weights is None \
        else np.flatnonzero(problem.weights > 0)
    strata = problem.y[rows] if not problem.multi_label else np.zeros(len(rows), np.int64)
    kept, held = hold_out(strata, float(fraction), seed)
    if len(held) == 0:
        raise SettingsError("a validation set (for early stopping, or what is fitted on "
                            "held-out data) needs a class with two documents to spare one")
    return rows[kept], rows[held]
