"""The multi-label model's step strategies on GoEmotions: the same 10 epochs taken by the
plain step (∇ from the model, θ ← θ − η∇: a dense |F| × L update per batch), the numpy
sparse step and the compiled kernel (O(nnz·L) per epoch); their θ agree to 1e-10.

    python benchmarks/multilabel_steps.py [--data-dir ../shared/datasets]

The features are made once (textclf's defaults); each strategy trains a fresh model with
the multi-label defaults (η = 40 decaying linearly, batches of 32, bias at full rate).
Seconds: the training loop alone, wall clock; the compiled kernel after one warm-up epoch
(numba compiles on first use).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DEFAULT_DATA_DIR  # noqa: E402


def main() -> None:
    from textclf import TextClassifier, read_corpus
    from textclf.training import train

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    corpus = read_corpus(args.data_dir / "goemotions" / "train.jsonl.gz")
    clf = TextClassifier(seed=0)
    clf.multi_label, clf.labels = True, sorted({y for s in corpus.label_sets for y in s})
    from textclf.features import Featurizer

    clf.featurizer = Featurizer(clf.feature_settings)
    X = clf.featurizer.fit_transform(corpus.texts)
    Y = clf.targets(corpus.label_sets)
    print(f"- Machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"\nX: {X.shape[0]} × {X.shape[1]}, {X.nnz} non-zeros; {Y.shape[1]} labels\n")
    print("| step | seconds (10 epochs) | final train loss | max abs Δθ vs plain |")
    print("|---|---:|---:|---:|")
    reference = None
    for engine in ("plain", "sparse", "compiled"):
        model = clf.build_model(X.shape[1])
        settings = clf.training_settings
        if engine == "compiled":  # compile outside the clock
            train(clf.build_model(X.shape[1]), X[:64], Y[:64], settings.replace(epochs=1),
                  engine="compiled")
        started = time.perf_counter()
        history = train(model, X, Y, settings, engine=engine)
        seconds = time.perf_counter() - started
        difference = 0.0 if reference is None else float(np.abs(model.theta - reference).max())
        reference = model.theta.copy() if reference is None else reference
        print(f"| {engine} | {seconds:.2f} | {history[-1]['train_loss']:.4f} | "
              f"{difference:.1e} |", flush=True)


if __name__ == "__main__":
    main()
