"""``textclf tune --budget 60`` against a grid-searched scikit-learn peer, in one run.

For each corpus in ../shared/datasets (gzip JSONL, ``train``/``test`` splits, and ``dev``
where there is one):

* textclf: ``textclf tune TRAIN [--dev DEV] --budget 60 -o MODEL`` as a subprocess (the
  dev split where there is one, else the command's own stratified 10% hold-out of train),
  then ``textclf test MODEL TEST --json``. Its total time is the tune command's wall time:
  reading, featurising, every trial, saving.
* scikit-learn: ``GridSearchCV(Pipeline(TfidfVectorizer(sublinear_tf=True),
  LogisticRegression(max_iter=1000)))`` over C ∈ {1, 10, 100} and ngram_range ∈
  {(1, 1), (1, 2)}, scored on the same dev documents as textclf (``PredefinedSplit``: the
  dev split, or the same seeded 10% of train) and refitted on train + dev, ``n_jobs=1``.
  Its total time is the search plus the refit.

Only the test split's accuracy is reported for both; neither looks at it before.

    python benchmarks/tune_bench.py                      # every corpus, 60 s budget
    python benchmarks/tune_bench.py --corpus mr --budget 30 --json tune_bench.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from textclf.corpus import hold_out, read_corpus
from textclf.tune import DEFAULT_DEV_FRACTION

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
TEXTCLF = [sys.executable, "-c", "import sys; from textclf.cli import main; sys.exit(main())"]
GRID = {"clf__C": [1.0, 10.0, 100.0], "vec__ngram_range": [(1, 1), (1, 2)]}


def run_textclf(folder: Path, budget: float, workdir: Path, use_dev: bool = False) -> dict:
    """``textclf tune`` as a user runs it: by default on the train split alone (cross-
    validated below 50,000 documents); with ``use_dev``, scored on the dev split."""
    model = workdir / f"{folder.name}.textclf"
    command = [*TEXTCLF, "tune", str(folder / "train.jsonl.gz"),
               "--budget", str(budget), "-o", str(model)]
    if use_dev and (folder / "dev.jsonl.gz").exists():
        command += ["--dev", str(folder / "dev.jsonl.gz")]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"textclf tune failed on {folder.name}: {done.stderr}")
    print(done.stdout, file=sys.stderr)
    report = subprocess.run([*TEXTCLF, "test", str(model),
                             str(folder / "test.jsonl.gz"), "--json"],
                            capture_output=True, text=True, check=True)
    from textclf import TextClassifier

    tuning = TextClassifier.load(model).tuning
    best = tuning["trials"][tuning["best_trial"] - 1]
    scores = json.loads(report.stdout)
    chars = best.get("char_ngrams")
    cv = tuning.get("cross_validation")
    return {
        "system": "textclf tune" + (f" ({cv['folds']}-fold CV)" if cv else " (dev split)"),
        "accuracy": scores["accuracy"],
        "macro_f1": scores.get("macro_f1"),
        "seconds": seconds,
        "trials": len(tuning["trials"]),
        "best": (("defaults: " if cv and best["number"] == cv["default_trial"] else "")
                 + f"{best['model']}, ngrams {best['ngrams']}, chars "
                 f"{'-'.join(map(str, chars)) if chars else 'none'}, {best['features']}, "
                 f"eta {best['eta']:.3g}, l2 {best['l2']:.2g}, epochs {best['max_epochs']}"),
    }


def run_sklearn(folder: Path) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, PredefinedSplit
    from sklearn.pipeline import Pipeline

    train = read_corpus(folder / "train.jsonl.gz")
    test = read_corpus(folder / "test.jsonl.gz")
    if (folder / "dev.jsonl.gz").exists():
        dev = read_corpus(folder / "dev.jsonl.gz")
        texts = train.texts + dev.texts
        labels = train.labels + dev.labels
        fold = np.r_[np.full(len(train), -1), np.zeros(len(dev), dtype=int)]
    else:  # the documents textclf tune holds out (same function, fraction and seed)
        _, held = hold_out(train.labels, DEFAULT_DEV_FRACTION, seed=0)
        texts, labels = train.texts, train.labels
        fold = np.full(len(train), -1)
        fold[held] = 0
    pipe = Pipeline([("vec", TfidfVectorizer(sublinear_tf=True)),
                     ("clf", LogisticRegression(max_iter=1000))])
    search = GridSearchCV(pipe, GRID, cv=PredefinedSplit(fold), n_jobs=1, refit=True)
    started = time.perf_counter()
    search.fit(texts, labels)
    seconds = time.perf_counter() - started
    best = search.best_params_
    return {
        "system": "scikit-learn GridSearchCV (tf-idf + LogisticRegression)",
        "accuracy": float(search.score(test.texts, test.labels)),
        "seconds": seconds,
        "trials": len(search.cv_results_["params"]),
        "best": f"C {best['clf__C']:g}, ngram_range {best['vec__ngram_range']}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATASETS)
    parser.add_argument("--corpus", nargs="*", help="corpora (default: every one in --data)")
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--use-dev", action="store_true",
                        help="textclf tune scores on the dev split where there is one "
                        "(default: on the train split alone, cross-validated)")
    parser.add_argument("--systems", nargs="*", choices=("textclf", "sklearn"),
                        default=["textclf", "sklearn"], help="systems to run (default both)")
    args = parser.parse_args(argv)
    names = args.corpus or sorted(p.name for p in args.data.iterdir()
                                  if (p / "train.jsonl.gz").exists())
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            folder = args.data / name
            for system in args.systems:
                if system == "textclf":
                    row = run_textclf(folder, args.budget, Path(workdir), args.use_dev)
                else:
                    row = run_sklearn(folder)
                row["corpus"] = name
                rows.append(row)
                print(f"{name:<14} {row['system']:<56} acc {row['accuracy']:.4f} "
                      f"{row['seconds']:7.1f} s  {row['trials']:>3} trials  {row['best']}",
                      file=sys.stderr, flush=True)
    print("| corpus | system | test accuracy | macro-F1 | total seconds | trials | chosen |\n"
          "|---|---|---:|---:|---:|---:|---|")
    for row in rows:
        f1 = f"{row['macro_f1']:.4f}" if row.get("macro_f1") is not None else "–"
        print(f"| {row['corpus']} | {row['system']} | {row['accuracy']:.4f} | {f1} | "
              f"{row['seconds']:.1f} | {row['trials']} | {row['best']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
