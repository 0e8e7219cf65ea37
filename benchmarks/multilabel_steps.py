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
    from textclf import read_corpus
    from textclf.training import train

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    corpus = read_corpus(args.data_dir / "goemotions" / "train.jsonl.gz")
    from textclf.features import Featurizer
    from textclf.fitting import FitSettings, new_model, problem_of

    settings = FitSettings.from_arguments(seed=0)
    problem = problem_of(corpus.label_sets, settings)  # multi-label: a 0/1 column per label
    X = Featurizer(settings.features).fit_transform(corpus.texts, problem.nb_targets())
    Y = problem.y
    training = settings.training_for(problem.kind)

    def fresh_model():
        return new_model(problem.kind, X.shape[1], problem.n_outputs, training)

    print(f"- Machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"\nX: {X.shape[0]} × {X.shape[1]}, {X.nnz} non-zeros; {Y.shape[1]} labels\n")
    print("| step | seconds (10 epochs) | final train loss | max abs Δθ vs plain |")
    print("|---|---:|---:|---:|")
    reference = None
    for engine in ("plain", "sparse", "compiled"):
        model = fresh_model()
        if engine == "compiled":  # compile outside the clock
            train(fresh_model(), X[:64], Y[:64], training.replace(epochs=1), engine="compiled")
        started = time.perf_counter()
        history = train(model, X, Y, training, engine=engine)
        seconds = time.perf_counter() - started
        difference = 0.0 if reference is None else float(np.abs(model.theta - reference).max())
        reference = model.theta.copy() if reference is None else reference
        print(f"| {engine} | {seconds:.2f} | {history[-1]['train_loss']:.4f} | "
              f"{difference:.1e} |", flush=True)


if __name__ == "__main__":
    main()
