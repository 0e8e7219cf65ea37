"""Corpora whose strongest features are known by construction (explain, inspect, report)."""

from __future__ import annotations

import numpy as np

# Corpora whose strongest features are known by construction: every document is filler
# words shared by all classes plus one marker word that occurs only in its own class.
FILLER = ["the", "a", "film", "movie", "story", "plot", "it", "was", "and", "of", "this",
          "that", "with", "actor", "scene"]
BINARY_MARKERS = {"neg": ["dreadful", "terrible"], "pos": ["excellent", "superb"]}
TOPIC_MARKERS = {
    "politics": ["election", "senate"],
    "sports": ["goal", "referee"],
    "tech": ["software", "laptop"],
}


def make_corpus(markers: dict[str, list[str]], n_per_class: int = 60, seed: int = 0,
                length: int = 8) -> tuple[list[str], list[str]]:
    """Texts and labels: ``length`` filler words and one marker of the class, shuffled."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n_per_class):
        for label, words in markers.items():
            tokens = list(rng.choice(FILLER, length)) + [words[i % len(words)]]
            rng.shuffle(tokens)
            texts.append(" ".join(tokens))
            labels.append(label)
    return texts, labels
