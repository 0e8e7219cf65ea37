"""How the average mode's accuracy holds as workers are added: the mixing of G groups' SGD
epochs at η (the scheme before issue 23) and at η·N/n_g (the linear scaling rule, now),
against one process.

No cluster is needed: the groups' epochs are the average mode's own function
(``textclf.distributed.average.group_epoch``, the one the workers run), called here one
after the other, θ mixed by the groups' shares after each epoch, exactly as
``fit_average`` mixes them. The corpus is featurised once, as one process featurises it,
and cut into G contiguous groups of rows (the shards in path order).

Usage (the corpus: ``--generated N`` documents made as ``dask_bench.py`` makes them, or
a file; the test documents: the IMDB dev and test splits, or files)::

    python benchmarks/average_schemes.py --generated 200000 --settings '{"hash_bits": 20}' \\
        --groups 1 2 4 8 16 32
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from textclf import TextClassifier
from textclf.corpus import read_corpus
from textclf.distributed.average import group_epoch
from textclf.distributed.featurising import FeaturisedShard
from textclf.fitting.problem import new_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_bench import generate  # noqa: E402


def mixed(model0, X, y, settings, groups: int, scaled: bool):
    """θ after ``settings.epochs`` epochs of ``groups`` groups, mixed after each."""
    n = X.shape[0]
    bounds = np.linspace(0, n, groups + 1).astype(int)
    rows = [FeaturisedShard(f"group {g}", X[a:b], y[a:b])
            for g, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))]
    shares = [(b - a) / n for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    states = {g: np.random.default_rng(settings.seed + g).bit_generator.state
              for g in range(groups)}
    model = copy.deepcopy(model0)
    for epoch in range(1, settings.epochs + 1):
        total = None
        for g, part in enumerate(rows):
            # the earlier scheme: every group at η (group_epoch divides η by the share)
            at = settings if scaled else settings.replace(eta=settings.eta * shares[g])
            result = group_epoch(model, part, at, epoch, g, states[g], shares[g])
            total = result if total is None else total + result
        for name, array in model.parameters().items():
            array[...] = total.parameters[name]
        states = total.states
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="a corpus file (default: --generated)")
    parser.add_argument("--generated", type=int, default=200_000)
    parser.add_argument("--tests", nargs="+", help="test files (default: IMDB dev + test)")
    parser.add_argument("--settings", type=json.loads, default={})
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    args = parser.parse_args()
    if args.corpus is None:
        with tempfile.TemporaryDirectory() as folder:
            train = read_corpus(generate(Path(folder), args.generated, 16)["all"])
    else:
        train = read_corpus(args.corpus)
    tests = [read_corpus(path) for path in args.tests] if args.tests else \
        [read_corpus("builtin:imdb", split=split) for split in ("dev", "test")]
    texts = [t for test in tests for t in test.texts]
    labels = [label for test in tests for label in test.labels]
    started = time.perf_counter()
    alone = TextClassifier(**args.settings).fit(train.texts, train.labels)
    results = {"command_settings": args.settings, "documents": len(train.texts),
               "test_documents": len(texts),
               "one_process": alone.evaluate(texts, labels).accuracy,
               "one_process_s": round(time.perf_counter() - started, 1), "groups": {}}
    X, X_test = alone.transform(train.texts), alone.transform(texts)
    index = {label: k for k, label in enumerate(alone.labels)}
    y = np.array([index[label] for label in train.labels])
    y_test = np.array([index[label] for label in labels])
    settings = alone.training_settings
    model0 = new_model(alone.model.kind, X.shape[1], len(alone.labels), settings)
    for groups in args.groups:
        row = {}
        for scaled in (False, True):
            model = mixed(model0, X, y, settings, groups, scaled)
            row["eta_times_N_over_n_g" if scaled else "eta"] = float(
                np.mean(model.predict(X_test) == y_test))
        results["groups"][groups] = row
        print(json.dumps({"groups": groups, **row}), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
