"""Labels as given to a fit: their names and type, and the targets, single- or multi-label.

Single-label data (every document has exactly one label): the targets are class indices
into the sorted label names. Multi-label data (a document has zero or several labels, or
``multi_label=True``): the targets are the 0/1 matrix Y with Yᵢₗ = 1 where document i has
label l, a column per label.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from textclf.corpus.documents import checked_label_sets, sequence_of
from textclf.errors import DataError
from textclf.evaluation.multilabel import indicator

LabelSets = list[tuple[str, ...]]
# The types labels may be given in. Inside, a label is its name (a string: "pos", "3",
# "True"); predict gives it back in the type it was given, as scikit-learn does.
LABEL_TYPES = ("str", "int", "bool")


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
    label as its name, and the type they were given in (:data:`LABEL_TYPES`): numpy
    integers become ints (named by their decimal digits), booleans "False"/"True". Labels
    of several types are refused (scikit-learn refuses them too)."""
    types: set[str] = set()

    def name(value: object) -> object:
        kind = type_of_label(value)
        if kind is not None:
            types.add(kind)
        if kind == "bool":
            return str(bool(value))
        return int(value) if kind == "int" else value

    named = []
    for value in sequence_of(labels, what, "labels"):
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


def typed_label(name: str, label_type: str) -> str | int | bool:
    """A label name back in the type the labels were given in."""
    if label_type == "int":
        return int(name)
    if label_type == "bool":
        return name == "True"
    return name


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
