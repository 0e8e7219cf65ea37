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
