"""Training time of the default fit, numpy SparseSGD against the compiled SGD kernel.

Runs ``TextClassifier(seed=0).fit`` with the default settings and times the call of
the training loop in it (``Trainer.fit``; wall and CPU seconds, ``time.perf_counter`` /
``time.process_time``; featurisation is not counted), and within it the wall seconds of the
SGD steps (``SparseSGD.epoch``; the rest is mostly the train accuracy after each epoch);
reports the test accuracy. With numba, the first fit of a process includes loading the
compiled kernels (~0.3 s, plus ~0.3 s to import numba if nothing did before).
Run twice, the engines side by side::

    TEXTCLF_NO_JIT=1 python benchmarks/sgd_kernel.py imdb news20   # numpy path
    python benchmarks/sgd_kernel.py imdb news20                     # compiled kernel

(``--data-dir``: folders ``NAME/{train,test}.jsonl.gz``; default /tmp/final-data.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import load_corpus  # noqa: E402

from textclf import TextClassifier  # noqa: E402
from textclf.core import jit  # noqa: E402
from textclf.training import loop, sparse_step  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/final-data"))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    timings: list[tuple[float, float]] = []
    plain_fit = loop.Trainer.fit

    def timed_fit(*a, **k):
        wall, cpu = time.perf_counter(), time.process_time()
        history = plain_fit(*a, **k)
        timings.append((time.perf_counter() - wall, time.process_time() - cpu))
        return history

    loop.Trainer.fit = timed_fit
    in_epochs = [0.0]  # wall seconds inside the sparse steps' run: the SGD steps alone
    step_class = sparse_step.CompiledStep if jit.enabled() else sparse_step.SparseStep
    plain_run = step_class.run

    def timed_run(*a, **k):
        wall = time.perf_counter()
        result = plain_run(*a, **k)
        in_epochs[0] += time.perf_counter() - wall
        return result

    step_class.run = timed_run
    engine = "numba kernel" if jit.enabled() else "numpy"
    for name in args.corpora:
        corpus = load_corpus(args.data_dir, name)
        for _ in range(args.repeat):
            timings.clear()
            in_epochs[0] = 0.0
            clf = TextClassifier(seed=0, quiet=True).fit(corpus.train.texts,
                                                         corpus.train.labels)
            wall, cpu = timings[0]
            accuracy = clf.evaluate(corpus.test.texts, corpus.test.labels).accuracy
            print(f"{name:8s} {engine:13s} train wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
                  f"(SGD steps {in_epochs[0]:5.2f} s)  test accuracy {accuracy:.4f}", flush=True)


if __name__ == "__main__":
    main()
