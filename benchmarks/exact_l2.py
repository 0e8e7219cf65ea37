"""The exact mode's regularisation: test accuracy of full-batch L-BFGS at λ₂ against one
process's default SGD training, with the default features, on the shared corpora.

The exact mode's θ is one process's ``--optimizer lbfgs`` θ (to 1e-8, tested), so one
process measures it here: the default classifier is fitted (its features: tf-idf times the
nb ratios, character n-grams where the documents are short), then logistic or softmax
regression is minimised by L-BFGS on the same rows for each λ₂ (up to 300 iterations).

Usage::

    python benchmarks/exact_l2.py --corpora imdb mr sms_spam movie_reviews --l2 1e-5 3e-6
    (imdb: the built-in train and test splits; the others: ../shared/datasets)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from textclf import TextClassifier
from textclf.corpus import read_corpus
from textclf.fitting.problem import new_model
from textclf.training.lbfgs import FullBatchLBFGS, partial_sums
from textclf.training.settings import default_settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def splits(name: str):
    if name == "imdb":
        return read_corpus("builtin:imdb", split="train"), read_corpus("builtin:imdb",
                                                                       split="test")
    return (read_corpus(SHARED / name / "train.jsonl.gz"),
            read_corpus(SHARED / name / "test.jsonl.gz"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", nargs="+", default=["imdb", "mr", "sms_spam",
                                                         "movie_reviews"])
    parser.add_argument("--l2", type=float, nargs="+", default=[1e-5])
    args = parser.parse_args()
    for name in args.corpora:
        train, test = splits(name)
        started = time.perf_counter()
        clf = TextClassifier().fit(train.texts, train.labels)
        row = {"corpus": name, "documents": len(train.texts),
               "sgd_default": clf.evaluate(test.texts, test.labels).accuracy,
               "sgd_s": round(time.perf_counter() - started, 1),
               "char_ngrams": clf.featurizer.settings.char_ngrams, "lbfgs": {}}
        X, X_test = clf.transform(train.texts), clf.transform(test.texts)
        index = {label: k for k, label in enumerate(clf.labels)}
        y = np.array([index[label] for label in train.labels])
        y_test = np.array([index.get(label, -1) for label in test.labels])
        for l2 in args.l2:
            settings = default_settings(clf.model.kind, {"optimizer": "lbfgs", "l2": l2,
                                                         "epochs": 300})
            model = new_model(clf.model.kind, X.shape[1], len(clf.labels), settings)
            started = time.perf_counter()
            history = FullBatchLBFGS(model, settings).fit(
                lambda m=model, X=X, y=y: partial_sums(m, X, y))
            row["lbfgs"][f"{l2:g}"] = {
                "accuracy": float(np.mean(model.predict(X_test) == y_test)),
                "iterations": len(history), "converged": history[-1]["converged"],
                "seconds": round(time.perf_counter() - started, 1)}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
