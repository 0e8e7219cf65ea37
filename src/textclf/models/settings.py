"""The model's architecture: each setting declared once (see :mod:`textclf.core.settings`);
the model kinds by name (:data:`MODEL_KINDS`: the class a model file's kind is read with,
imported when first asked for, so that a logistic regression's file does not import the
network's layers)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from textclf.core.settings import Setting, Settings
from textclf.errors import SettingsError

ACTIVATIONS = ("relu", "tanh", "sigmoid")  # a network's hidden activations
INITS = ("zeros", "random")  # θ of the linear models at the start


def parse_hidden(hidden: int | str | Sequence[int]) -> tuple[int, ...]:
    """Hidden layer sizes from 256, "256,64" or (256, 64); each must be a positive integer."""
    if isinstance(hidden, str):
        parts = [part.strip() for part in hidden.split(",")]
        try:
            sizes = tuple(int(part) for part in parts)
        except ValueError:
            raise SettingsError(
                f"hidden must be layer sizes separated by commas, e.g. 256 or 256,64; "
                f"got {hidden!r}"
            ) from None
    elif isinstance(hidden, int | np.integer) and not isinstance(hidden, bool):
        sizes = (int(hidden),)
    elif not isinstance(hidden, Sequence):
        raise SettingsError(f"hidden must be layer sizes such as 256 or 256,64, got {hidden!r}")
    else:
        sizes = tuple(hidden)
    if not sizes:
        raise SettingsError("hidden needs at least one layer size")
    for size in sizes:
        if not isinstance(size, int | np.integer) or isinstance(size, bool) or size <= 0:
            raise SettingsError(f"hidden layer sizes must be positive integers, got {hidden!r}")
    return tuple(int(size) for size in sizes)


MODEL_CHOICES = ("auto", "logistic", "softmax", "mlp", "nb", "ensemble")
MEMBER_GROUPS = ("all", "words", "chars", "unigrams")  # what an ensemble's member reads


def checked_members(value: str) -> str:
    """"auto", or a comma-separated list of 2 to 16 groups of :data:`MEMBER_GROUPS`."""
    if value == "auto":
        return value
    groups = [part.strip() for part in value.split(",")]
    if not 2 <= len(groups) <= 16 or any(g not in MEMBER_GROUPS for g in groups):
        raise SettingsError(f"members must be auto or 2 to 16 of {', '.join(MEMBER_GROUPS)}, "
                            f"comma-separated, got {value!r}")
    return ",".join(groups)


class ModelSettings(Settings):
    """Which model, and the network's shape (``hidden``, ``activation``, ``dropout`` apply to
    ``mlp`` only). ``multi_label``: None decides from the data (multi-label where a document
    has zero or several labels), True forces it, False refuses such data."""

    model = Setting(str, "auto", "logistic (2 classes; with multi-label data one per label), "
                    "softmax (K classes), mlp (feedforward network), nb (multinomial naive "
                    "Bayes, counted in one pass; binary values by default), ensemble (the "
                    "averaged probabilities of a logistic or softmax regression per group of "
                    "features: --members); auto: logistic for 2 classes or multi-label data, "
                    "softmax for more", choices=MODEL_CHOICES)
    members = Setting(str, "auto", "ensemble: the feature groups of its members, comma-"
                      "separated, of all, words (word n-grams), chars (character n-grams), "
                      "unigrams (word unigrams); auto: words,chars where there are character "
                      "n-grams, else unigrams,all", check=checked_members,
                      metavar="GROUPS")
    multi_label = Setting(bool, None, "any number of labels per document, a sigmoid output "
                          "per label (default: when a document of the data has zero or "
                          "several labels)")
    hidden = Setting(tuple, (64,), "mlp hidden layer sizes, e.g. 256 or 256,64",
                     parse=parse_hidden, metavar="SIZES")
    activation = Setting(str, "relu", "mlp hidden activation", choices=ACTIVATIONS)
    dropout = Setting(float, 0.5, "mlp dropout probability", minimum=0.0, below=1.0)

LINEAR_KINDS = ("logistic", "softmax", "multilabel", "nb")  # the score is exactly Σⱼ θⱼₖxⱼ + b_k

# catalog ------------------------------------------------------------------------------
# kind → (module, class) of what reads its configuration (``from_config``)
KINDS = {
    "logistic": ("textclf.models.logistic", "LogisticRegression"),
    "softmax": ("textclf.models.softmax", "SoftmaxRegression"),
    "multilabel": ("textclf.models.multilabel", "MultiLabelLogisticRegression"),
    "mlp": ("textclf.models.mlp", "FeedForwardNetwork"),
    "nb": ("textclf.models.naive_bayes", "NaiveBayesModels"),
    "ensemble": ("textclf.models.ensemble", "Ensemble"),
}


class ModelKinds(Mapping):
    """kind → class, each class imported when first asked for."""

    def __getitem__(self, kind: str) -> type:
        module, name = KINDS[kind]
        return getattr(importlib.import_module(module), name)

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


MODEL_KINDS = ModelKinds()
