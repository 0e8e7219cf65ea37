"""A small noisy corpus written as shards in every line format, for the cluster tests."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np

CLASS_WORDS = {
    "neg": ["dull", "boring", "awful", "weak", "tedious", "clumsy", "flat", "messy"],
    "pos": ["superb", "moving", "clever", "lovely", "sharp", "warm", "bold", "fresh"],
    "mixed": ["uneven", "odd", "patchy", "curious", "strange", "modest", "quiet", "long"],
}
FILLER = ["the", "a", "film", "story", "plot", "it", "was", "and", "of", "this", "that",
          "with", "actor", "scene", "music", "ending", "script", "cast", "some", "very"]


def noisy_corpus(n: int, classes: int = 2, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` documents of ``classes`` labels: filler words, and words of the document's
    class (or, one time in four, of another class), so that no class is separable."""
    rng = np.random.default_rng(seed)
    labels = list(CLASS_WORDS)[:classes]
    texts, out = [], []
    for _ in range(n):
        label = labels[rng.integers(classes)]
        words = list(rng.choice(FILLER, 8))
        for _ in range(3):
            source = label if rng.random() < 0.75 else labels[rng.integers(classes)]
            words.append(str(rng.choice(CLASS_WORDS[source])))
        rng.shuffle(words)
        texts.append(" ".join(words))
        out.append(label)
    return texts, out


def write_shards(folder: Path, texts: list[str], labels: list[str]) -> list[Path]:
    """Four shards of the documents, in order: JSONL, gzipped JSONL, CSV and fastText."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(texts), 5).astype(int)
    parts = [list(zip(texts[a:b], labels[a:b], strict=True))
             for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    paths = [folder / "part-0.jsonl", folder / "part-1.jsonl.gz", folder / "part-2.csv",
             folder / "part-3.ft"]
    with open(paths[0], "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({"text": t, "label": y}) + "\n" for t, y in parts[0])
    with gzip.open(paths[1], "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps({"text": t, "label": y}) + "\n" for t, y in parts[1])
    with open(paths[2], "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(parts[2])
    with open(paths[3], "w", encoding="utf-8") as handle:
        handle.writelines(f"__label__{y} {t}\n" for t, y in parts[3])
    return paths


def tagged_corpus(n: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """``n`` documents with any number of the labels neg, pos, mixed (multi-label): each
    label's words where a document has it, filler words always."""
    rng = np.random.default_rng(seed)
    texts, tags = [], []
    for _ in range(n):
        labels = [label for label in CLASS_WORDS if rng.random() < 0.4]
        words = list(rng.choice(FILLER, 6))
        for label in labels:
            words += [str(w) for w in rng.choice(CLASS_WORDS[label], 2)]
        rng.shuffle(words)
        texts.append(" ".join(words))
        tags.append(labels)
    return texts, tags


def write_jsonl_shards(folder: Path, texts: list[str], labels: list, shards: int = 4,
                       weights: list[float] | None = None) -> list[Path]:
    """The documents in ``shards`` JSONL files, in order; labels as given (a label, or a
    list of labels), and a ``weight`` field when ``weights`` are given."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(texts), shards + 1).astype(int)
    paths = []
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        path = folder / f"part-{k}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for i in range(a, b):
                record = {"text": texts[i], "label": labels[i]}
                if weights is not None:
                    record["weight"] = weights[i]
                handle.write(json.dumps(record) + "\n")
        paths.append(path)
    return paths
