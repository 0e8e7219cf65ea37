"""Three topics of made-up sentences, for the softmax and network tests."""

from __future__ import annotations

import numpy as np

TOPICS = {
    "cooking": ["bake", "oven", "flour", "recipe", "sauce", "garlic", "simmer", "dough"],
    "football": ["goal", "striker", "penalty", "league", "keeper", "match", "referee", "pitch"],
    "space": ["orbit", "rocket", "planet", "nasa", "launch", "moon", "telescope", "comet"],
}
FILLER = ["the", "a", "today", "we", "really", "some", "new", "about", "and", "was"]


def topic_corpus(n_per_class: int, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            chosen = list(rng.choice(words, size=3)) + list(rng.choice(FILLER, size=4))
            rng.shuffle(chosen)
            texts.append(" ".join(chosen))
            labels.append(label)
    return texts, labels


TRAIN = topic_corpus(30, seed=0)
TEST = topic_corpus(10, seed=1)


def multilabel_corpus(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Documents about any subset of the topics (none, one, two or all three): each topic of
    the document contributes two of its words."""
    rng = np.random.default_rng(seed)
    names = sorted(TOPICS)
    texts, label_sets = [], []
    for _ in range(n):
        chosen = [name for name in names if rng.random() < 0.4]
        words = [w for name in chosen for w in rng.choice(TOPICS[name], size=2)]
        words += list(rng.choice(FILLER, size=4))
        rng.shuffle(words)
        texts.append(" ".join(words))
        label_sets.append(chosen)
    return texts, label_sets


MULTI_TRAIN = multilabel_corpus(150, seed=2)
MULTI_DEV = multilabel_corpus(40, seed=3)
MULTI_TEST = multilabel_corpus(40, seed=4)
