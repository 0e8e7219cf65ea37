"""Calibrated probabilities (issue 17, part 3): ECE and Brier on test, before and after
temperature scaling, on every corpus.

    python benchmarks/calibration_bench.py [--data-dir ../shared/datasets]

For each corpus textclf is trained once with its defaults; the test split is scored with the
model as trained (T = 1), then with T fitted on the dev split by minimising its log-loss
(``calibrate=True`` does exactly this after training: the same θ). Dev splits: the corpus's
own (movie_reviews, builtin:imdb, builtin:rt, goemotions), else a stratified 10% of train
held out (seed 0; mr, sms_spam, news20), the model trained on the other 90%. ECE: 15
equal-width bins of the predicted class's probability (multi-label: of every
document-label pair); Brier as docs/calibration.md defines it. Peer in the same run, on the
same training texts: scikit-learn ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)``
+ ``LogisticRegression(C=10)`` (single-label corpora), whose probabilities are scored the
same way.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DEFAULT_DATA_DIR, Split, load_corpus, tuning_splits  # noqa: E402

CORPORA = ["movie_reviews", "mr", "sms_spam", "news20", "builtin:rt", "builtin:imdb",
           "goemotions"]


def splits(data_dir: Path, name: str) -> tuple[Split, Split, Split]:
    from textclf import read_corpus

    if name.startswith("builtin:"):
        parts = [read_corpus(name, split=s) for s in ("train", "dev", "test")]
        return tuple(Split(c.texts, c.labels) for c in parts)
    if name == "goemotions":
        parts = [read_corpus(data_dir / name / f"{s}.jsonl.gz") for s in ("train", "dev", "test")]
        return tuple(Split(c.texts, c.label_sets) for c in parts)
    corpus = load_corpus(data_dir, name)
    if corpus.dev is not None:
        return corpus.train, corpus.dev, corpus.test
    fit, held = tuning_splits(corpus, folds=1)[0]
    return fit, held, corpus.test


def row(name: str, report, seconds: float | None = None, temperature: float = 1.0) -> str:
    accuracy = report.micro_f1 if getattr(report, "multi_label", False) else report.accuracy
    seconds = "" if seconds is None else f"{seconds:.2f}"
    return (f"| {name} | {accuracy:.4f} | {report.calibration.ece:.4f} | "
            f"{report.calibration.brier:.4f} | {temperature:.3f} | {seconds} |")


def peer_report(train: Split, test: Split):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from textclf.evaluation.calibration import calibration_of_classes
    from textclf.evaluation.metrics import evaluate_labels

    started = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                          LogisticRegression(C=10.0, max_iter=1000)).fit(train.texts,
                                                                         train.labels)
    seconds = time.perf_counter() - started
    P = model.predict_proba(test.texts)
    classes = [str(c) for c in model.classes_]
    report = evaluate_labels(test.labels, [classes[k] for k in P.argmax(axis=1)], classes)
    index = {c: k for k, c in enumerate(classes)}
    report.calibration = calibration_of_classes(P, [index.get(y, -1) for y in test.labels])
    return report, seconds


def main() -> None:
    from textclf import TextClassifier
    from textclf.training.calibration import fit_temperature

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--corpus", nargs="+", default=CORPORA)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    print(f"- Machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{platform.platform()}")
    for name in args.corpus:
        train, dev, test = splits(args.data_dir, name)
        print(f"\n#### {name}: train {len(train)}, dev {len(dev)}, test {len(test)}\n")
        print("| system | accuracy (micro-F1) | ECE | Brier | T | fit s |")
        print("|---|---:|---:|---:|---:|---:|")
        started = time.perf_counter()
        clf = TextClassifier(seed=0).fit(train.texts, train.labels)
        seconds = time.perf_counter() - started
        print(row("textclf", clf.evaluate(test.texts, test.labels), seconds), flush=True)
        y_dev = np.array([clf.labels.index(label) for label in dev.labels])
        fitted = fit_temperature(clf.model, (clf.transform(dev.texts), y_dev))
        clf.model.temperature = fitted.temperature
        print(row("textclf + temperature", clf.evaluate(test.texts, test.labels), None,
                  fitted.temperature), flush=True)
        if not args.no_peer and not clf.multi_label:
            report, seconds = peer_report(train, test)
            print(row("sklearn-lr C=10", report, seconds), flush=True)


if __name__ == "__main__":
    main()
