"""Choose default training settings on dev data only (never a test split).

Dev data per corpus: builtin:imdb and movie_reviews have dev splits; for mr, sms_spam and
news20 a seeded, stratified 10% of the train split is held out. Features are textclf's
defaults (tf-idf uni+bigrams, min_df 2), fitted on the training part only.

    python benchmarks/tune_models.py --corpus imdb --model logistic \
        --grid 'eta=0.5,1,2,5 schedule=constant,invtime l2=0,1e-5' --epochs 20

prints one line per setting: dev accuracy after each epoch, and the dev loss.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textclf import read_corpus
from textclf.features import FeatureSettings, Featurizer
from textclf.models import FeedForwardNetwork, LogisticRegression, SoftmaxRegression
from textclf.pipeline import DEFAULT_DROPOUT, DEFAULT_HIDDEN
from textclf.train import MODEL_DEFAULTS, TrainingSettings, train

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
CACHE = Path("/tmp/textclf-tune-cache")


def holdout(labels: list[str], fraction: float = 0.1, seed: int = 0) -> np.ndarray:
    """A stratified, seeded boolean mask of the documents held out as dev."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        mask[rows[: round(fraction * len(rows))]] = True
    return mask


def load(corpus: str, subset: int | None = None):
    """(X_train, y_train, X_dev, y_dev, labels), cached on disk."""
    name = corpus + (f"-{subset}" if subset else "")
    cached = CACHE / name
    if (cached / "meta.json").exists():
        meta = json.loads((cached / "meta.json").read_text())
        arrays = np.load(cached / "y.npz")
        return (sp.load_npz(cached / "X_train.npz"), arrays["y_train"],
                sp.load_npz(cached / "X_dev.npz"), arrays["y_dev"], meta["labels"])
    if corpus == "imdb":
        train_c, dev_c = (read_corpus("builtin:imdb", split=s) for s in ("train", "dev"))
        texts, labels = train_c.texts, train_c.labels
        dev_texts, dev_labels = dev_c.texts, dev_c.labels
    elif corpus == "movie_reviews":
        train_c = read_corpus(DATASETS / corpus / "train.jsonl.gz")
        dev_c = read_corpus(DATASETS / corpus / "dev.jsonl.gz")
        texts, labels = train_c.texts, train_c.labels
        dev_texts, dev_labels = dev_c.texts, dev_c.labels
    else:
        full = read_corpus(DATASETS / corpus / "train.jsonl.gz")
        mask = holdout(full.labels)
        texts = [t for t, m in zip(full.texts, mask, strict=True) if not m]
        labels = [t for t, m in zip(full.labels, mask, strict=True) if not m]
        dev_texts = [t for t, m in zip(full.texts, mask, strict=True) if m]
        dev_labels = [t for t, m in zip(full.labels, mask, strict=True) if m]
    if subset:
        rows = np.random.default_rng(0).permutation(len(texts))[:subset]
        texts, labels = [texts[i] for i in rows], [labels[i] for i in rows]
    names = sorted(set(labels))
    index = {label: i for i, label in enumerate(names)}
    featurizer = Featurizer(FeatureSettings())
    X_train = featurizer.fit_transform(texts)
    X_dev = featurizer.transform(dev_texts)
    y_train = np.array([index[label] for label in labels])
    y_dev = np.array([index[label] for label in dev_labels])
    cached.mkdir(parents=True, exist_ok=True)
    sp.save_npz(cached / "X_train.npz", X_train)
    sp.save_npz(cached / "X_dev.npz", X_dev)
    np.savez(cached / "y.npz", y_train=y_train, y_dev=y_dev)
    (cached / "meta.json").write_text(json.dumps({"labels": names}))
    return X_train, y_train, X_dev, y_dev, names


def parse_grid(text: str) -> list[dict]:
    axes = []
    for part in text.split():
        key, values = part.split("=")
        axes.append([(key, _value(v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None if text == "None" else text


ARCHITECTURE = ("hidden", "activation", "dropout")


def run(corpus: str, kind: str, setting: dict, subset: int | None) -> dict:
    X, y, X_dev, y_dev, labels = load(corpus, subset)
    architecture = {"hidden": DEFAULT_HIDDEN, "dropout": DEFAULT_DROPOUT,
                    **{k: setting[k] for k in ARCHITECTURE if k in setting}}
    if kind == "auto":
        kind = "logistic" if len(labels) == 2 else "softmax"
    options = {**MODEL_DEFAULTS[kind], **{k: v for k, v in setting.items()
                                         if k not in ARCHITECTURE}}
    if kind == "logistic":
        model = LogisticRegression(X.shape[1])
    elif kind == "softmax":
        model = SoftmaxRegression(X.shape[1], len(labels))
    else:
        model = FeedForwardNetwork(X.shape[1], len(labels), **architecture)
    started = time.perf_counter()
    history = train(model, X, y, TrainingSettings(**options), dev=(X_dev, y_dev))
    return {"corpus": corpus, "kind": kind, "setting": setting,
            "dev_accuracy": [round(r["dev_accuracy"], 4) for r in history],
            "dev_loss": [round(r["dev_loss"], 4) for r in history],
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, nargs="+",
                        help="imdb, movie_reviews, mr, sms_spam, news20")
    parser.add_argument("--model", default="auto", choices=("auto", *MODEL_DEFAULTS))
    parser.add_argument("--grid", default="")
    parser.add_argument("--subset", type=int, help="train on a seeded subset of this size")
    parser.add_argument("--jsonl", help="append results to this file")
    args = parser.parse_args()
    for corpus in args.corpus:
        for setting in parse_grid(args.grid):
            result = run(corpus, args.model, setting, args.subset)
            accuracy = result["dev_accuracy"]
            print(f"{corpus:<14}{result['kind']:<9}{json.dumps(setting):<60} last "
                  f"{accuracy[-1]:.4f} best {max(accuracy):.4f}@{int(np.argmax(accuracy)) + 1}"
                  f"  [{' '.join(f'{a:.3f}' for a in accuracy)}]"
                  f"  loss {result['dev_loss'][-1]:.4f}  {result['seconds']}s", flush=True)
            if args.jsonl:
                with open(args.jsonl, "a") as handle:
                    handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    sys.exit(main())
