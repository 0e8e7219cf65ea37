"""Fitting an ensemble (``model="ensemble"``): what each member reads, and training them.

The members share one featurisation [X | 1]; member m reads a group of its columns
(:data:`~textclf.models.settings.MEMBER_GROUPS`): ``words`` (the word n-grams' block),
``chars`` (the character n-grams' block), ``unigrams`` (the word n-grams of one token) or
``all``. ``members="auto"`` takes words and chars where the features have character
n-grams (a word-level and a character-level model), else unigrams and all. The groups need
a vocabulary, whose columns are named (not hashed columns).

Each member is logistic regression (two classes), softmax regression (more) or the
multi-label logistic regression, with that kind's training defaults, trained by the one
loop on its own columns: each row's part scaled to unit length where the weighting makes
rows of unit length (tf-idf, the nb weightings: as if the group were featurised alone),
else by c_m = 1/√(mean ‖x_{C_m}‖²) over the training rows, so that its rows have unit
mean length, as the defaults assume. The history has each member's epochs (``member``
names it) and, last, the ensemble's own record (training and dev loss and accuracy of the
averaged probabilities).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.features.featurizer import Featurizer
from textclf.features.vocabulary import NORMALIZED_WEIGHTINGS
from textclf.models.ensemble import Ensemble
from textclf.training.history import EpochCallback, accuracy_of, dev_record
from textclf.training.loop import Trainer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import InMemoryRows, RowSource


def member_groups(members: str, featurizer: Featurizer) -> list[str]:
    """The groups of ``members`` ("auto" decided by the featuriser's blocks)."""
    if members != "auto":
        return members.split(",")
    return ["words", "chars"] if len(getattr(featurizer, "parts", {})) == 2 \
        else ["unigrams", "all"]


def group_columns(featurizer: Featurizer, group: str) -> np.ndarray:
    """The feature columns of ``group`` (without the bias column)."""
    if featurizer.kind != "vocabulary":
        raise SettingsError("an ensemble's members read groups of named features: it needs a "
                            "vocabulary (no hash_bits)")
    n_terms = len(featurizer.terms)
    parts = getattr(featurizer, "parts", {})
    blocks, start = {}, 0
    for name, part in parts.items():
        blocks[name] = np.arange(start, start + len(part.terms))
        start += len(part.terms)
    if not parts:  # one block: words, or characters alone
        blocks["chars" if featurizer.settings.ngrams == 0 else "words"] = np.arange(n_terms)
    if group == "all":
        return np.arange(n_terms)
    if group == "unigrams":
        words = blocks.get("words")
        if words is None:
            raise SettingsError("an ensemble member of unigrams needs word n-grams (ngrams ≥ 1)")
        names = parts["words"].terms if parts else featurizer.terms
        return words[np.fromiter((" " not in name for name in names), bool, len(words))]
    if group not in blocks:
        what = "character n-grams (char_ngrams)" if group == "chars" else "word n-grams"
        raise SettingsError(f"an ensemble member of {group} needs {what} among the features")
    return blocks[group]


def member_layout(featurizer: Featurizer, X: sp.csr_matrix,
                  members: str) -> tuple[list[str], list[np.ndarray], list[float], bool]:
    """(names, columns with the bias column last, scales c_m, whether each member's part of
    a row is scaled to unit length) of the members: unit length where the weighting makes
    rows of unit length, else one factor per member (the rows' mean length)."""
    names = member_groups(members, featurizer)
    normalise = featurizer.settings.weighting in NORMALIZED_WEIGHTINGS
    bias = X.shape[1] - 1
    columns, scales = [], []
    for group in names:
        terms = group_columns(featurizer, group)
        if not len(terms):
            raise SettingsError(f"an ensemble member of {group}: the training data has none")
        part = X[:, terms]
        mean_square = float(part.multiply(part).sum()) / max(X.shape[0], 1)
        columns.append(np.append(terms, bias))
        scales.append(1.0 if normalise or mean_square == 0 else 1.0 / np.sqrt(mean_square))
    return names, columns, scales, normalise


def train_members(model: Ensemble, training: TrainingSettings, source: RowSource,
                  dev: tuple | None, quiet: bool = True,
                  on_epoch_end: EpochCallback | None = None,
                  shuffle: bool = True) -> list[dict]:
    """Train each member on its columns of ``source``'s rows (held in memory), reporting
    on its columns of ``dev``; the history (see the module)."""
    if not isinstance(source, InMemoryRows):
        raise SettingsError("an ensemble trains on documents held in memory (not a stream or "
                            "a cluster)")
    X, y, weights = source.X, source.y, source.weights
    history: list[dict] = []
    for m, (member, name) in enumerate(zip(model.members, model.names, strict=True)):
        member_dev = None if dev is None else (model.member_rows(dev[0], m), *dev[1:])

        def report(epoch: int, record: dict, name=name) -> None:
            record["member"] = name
            if on_epoch_end is not None:
                on_epoch_end(epoch, record)

        trainer = Trainer(member, training, quiet=quiet, on_epoch_end=report)
        history += trainer.fit(InMemoryRows(model.member_rows(X, m), y, weights), member_dev,
                               shuffle=shuffle)
    total = float(np.sum(weights)) if weights is not None else len(y)
    record = {"epoch": max(r["epoch"] for r in history), "member": "ensemble",
              "train_loss": model.loss_sum(X, y, weights) / max(total, 1e-300),
              "train_accuracy": accuracy_of(model, X, y), **dev_record(model, dev)}
    if on_epoch_end is not None:
        on_epoch_end(record["epoch"], record)
    return [*history, record]
