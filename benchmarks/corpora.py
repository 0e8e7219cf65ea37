"""Corpus loading, held-out splits, shared tokenisation and scoring for the benchmarks.

Kept free of third-party imports so that the parent process of ``run.py`` stays small
and every system is measured in a child process of its own.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "datasets"
SHUFFLE_SEED = 0
HOLDOUT_FRACTION = 0.10

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


@dataclass
class Split:
    """Texts and their labels, in the same order."""

    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Corpus:
    """One corpus: train (shuffled once with a fixed seed), optional dev, test."""

    name: str
    train: Split
    dev: Split | None
    test: Split

    @property
    def classes(self) -> list[str]:
        """Sorted label set of the train split."""
        return sorted(set(self.train.labels))


def read_jsonl_gz(path: Path) -> Split:
    """Read a gzip JSONL file of ``{"text", "label"}`` objects."""
    texts: list[str] = []
    labels: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(str(row["label"]))
    return Split(texts, labels)


def shuffled(split: Split, seed: int = SHUFFLE_SEED) -> Split:
    """Return the split in a fixed random order (the files are sorted by label)."""
    order = list(range(len(split)))
    random.Random(seed).shuffle(order)
    return Split([split.texts[i] for i in order], [split.labels[i] for i in order])


def available_corpora(data_dir: Path) -> list[str]:
    """Names of the corpus folders in ``data_dir`` that have a train and a test split."""
    return sorted(
        p.name
        for p in data_dir.iterdir()
        if (p / "train.jsonl.gz").is_file() and (p / "test.jsonl.gz").is_file()
    )


def load_corpus(data_dir: Path, name: str) -> Corpus:
    """Load ``data_dir/name/{train,dev,test}.jsonl.gz``; train is shuffled (seed 0)."""
    folder = data_dir / name
    dev_path = folder / "dev.jsonl.gz"
    return Corpus(
        name=name,
        train=shuffled(read_jsonl_gz(folder / "train.jsonl.gz")),
        dev=read_jsonl_gz(dev_path) if dev_path.is_file() else None,
        test=read_jsonl_gz(folder / "test.jsonl.gz"),
    )


def _take(split: Split, idx: list[int]) -> Split:
    return Split([split.texts[i] for i in idx], [split.labels[i] for i in idx])


def tuning_splits(corpus: Corpus, folds: int = 3) -> list[tuple[Split, Split]]:
    """(fit, held-out) pairs for choosing peer settings; the test split is never used.

    ``folds >= 2``: stratified ``folds``-fold cross-validation over the train split
    (seed 0): each label's examples are shuffled and dealt round-robin to the folds.
    ``folds == 1``: one pair, the corpus's dev split where it has one (movie_reviews),
    otherwise a stratified 10% of the train split held out from the other 90%.
    """
    train = corpus.train
    if folds == 1 and corpus.dev is not None:
        return [(train, corpus.dev)]
    rng = random.Random(SHUFFLE_SEED)
    fold_of = [0] * len(train)
    n_parts = folds if folds >= 2 else round(1 / HOLDOUT_FRACTION)
    for label in sorted(set(train.labels)):
        idx = [i for i, y in enumerate(train.labels) if y == label]
        rng.shuffle(idx)
        for position, i in enumerate(idx):
            fold_of[i] = position % n_parts
    pairs = []
    for fold in range(folds if folds >= 2 else 1):
        fit_idx = [i for i in range(len(train)) if fold_of[i] != fold]
        held_idx = [i for i in range(len(train)) if fold_of[i] == fold]
        pairs.append((_take(train, fit_idx), _take(train, held_idx)))
    return pairs


def cross_validation_fold(corpus: Corpus, folds: int, fold: int) -> Corpus:
    """Fold ``fold`` of a stratified ``folds``-fold cross-validation over all the corpus's
    documents (train, dev and test together, as the literature reports movie_reviews):
    the other folds are the train split (shuffled, seed 0), this fold the test split.

    Each label's documents (in the files' order) are shuffled with seed 0 and dealt
    round-robin to the folds, so every fold has ⌊n_c/k⌋ or ⌈n_c/k⌉ of label c."""
    if not (folds >= 2 and 0 <= fold < folds):
        raise ValueError(f"fold {fold} of {folds}")
    pooled = Split([], [])
    for split in (corpus.train, corpus.dev, corpus.test):
        if split is not None:
            pooled.texts += split.texts
            pooled.labels += split.labels
    rng = random.Random(SHUFFLE_SEED)
    fold_of = [0] * len(pooled)
    for label in sorted(set(pooled.labels)):
        idx = [i for i, y in enumerate(pooled.labels) if y == label]
        rng.shuffle(idx)
        for position, i in enumerate(idx):
            fold_of[i] = position % folds
    rest = [i for i in range(len(pooled)) if fold_of[i] != fold]
    held = [i for i in range(len(pooled)) if fold_of[i] == fold]
    return Corpus(f"{corpus.name} fold {fold + 1}/{folds}", shuffled(_take(pooled, rest)),
                  None, _take(pooled, held))


def tokenize(text: str) -> list[str]:
    """Lower-case, then split into word runs and single punctuation marks.

    The preprocessing fastText's own classification tutorial applies before training
    (lower-casing, punctuation split off); used for fastText and Vowpal Wabbit, which
    only split on whitespace. scikit-learn peers keep their own tokenizer.
    """
    return _TOKEN_RE.findall(text.lower())


def accuracy(y_true: list[str], y_pred: list[str]) -> float:
    """Fraction of exact label matches."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / max(len(y_true), 1)


def macro_f1(y_true: list[str], y_pred: list[str]) -> float:
    """Unweighted mean of per-label F1 over the labels in ``y_true`` or ``y_pred``.

    Same definition as scikit-learn's ``f1_score(average="macro")``; a label with no
    true and no predicted example cannot occur, one with precision + recall = 0 scores 0.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    tp: Counter[str] = Counter()
    n_true = Counter(y_true)
    n_pred = Counter(y_pred)
    for t, p in zip(y_true, y_pred, strict=True):
        if t == p:
            tp[t] += 1
    labels = set(n_true) | set(n_pred)
    if not labels:
        return 0.0
    total = 0.0
    for label in labels:
        denom = n_true[label] + n_pred[label]
        total += 2 * tp[label] / denom if denom else 0.0
    return total / len(labels)
