"""Class weights on imbalanced corpora (issue 17, part 2): macro-F1 with and without.

    python benchmarks/weights_bench.py [--data-dir ../shared/datasets] [--markdown]

Corpora: ``sms_spam`` as it is (13% spam), and ``news20`` made imbalanced: of the train split,
class k (labels sorted) keeps a share 0.05^(k/19) of its documents, chosen with a seeded
generator (the first class keeps all, the last 5%); the test split stays whole, so every
class counts the same in its macro-F1. Systems, fitted on the same texts in one run:
textclf with its defaults, and with ``class_weight="balanced"``; scikit-learn
``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` + ``LogisticRegression(C=100)``
(the C tuned for these corpora, benchmarks/peers.py), without and with
``class_weight="balanced"``. Fit seconds are wall clock, raw text to trained model.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DEFAULT_DATA_DIR, Split, accuracy, load_corpus, macro_f1  # noqa: E402

SHARE_OF_LAST = 0.05


def imbalanced(split: Split, seed: int = 0) -> Split:
    """Class k of K (sorted) keeps round(n_k · SHARE_OF_LAST^(k/(K−1))) documents."""
    labels = sorted(set(split.labels))
    rng = np.random.default_rng(seed)
    keep = []
    for k, label in enumerate(labels):
        rows = [i for i, y in enumerate(split.labels) if y == label]
        share = SHARE_OF_LAST ** (k / (len(labels) - 1))
        keep += rng.choice(rows, size=max(1, round(share * len(rows))), replace=False).tolist()
    keep.sort()
    return Split([split.texts[i] for i in keep], [split.labels[i] for i in keep])


def textclf_system(**settings):
    from textclf import TextClassifier

    class System:
        def fit(self, texts, labels):
            self.clf = TextClassifier(seed=0, **settings).fit(texts, labels)

        def predict(self, texts):
            return self.clf.predict(texts)

    return System()


def sklearn_system(**settings):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    class System:
        def fit(self, texts, labels):
            self.model = make_pipeline(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                LogisticRegression(C=100.0, max_iter=1000, **settings)).fit(texts, labels)

        def predict(self, texts):
            return list(self.model.predict(texts))

    return System()


SYSTEMS = {
    "textclf": lambda: textclf_system(),
    "textclf balanced": lambda: textclf_system(class_weight="balanced"),
    "sklearn-lr": lambda: sklearn_system(),
    "sklearn-lr balanced": lambda: sklearn_system(class_weight="balanced"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--corpus", nargs="+", default=["sms_spam", "news20"])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    args = parser.parse_args()
    print(f"- Machine: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {platform.platform()}")
    for name in args.corpus:
        corpus = load_corpus(args.data_dir, name)
        train = corpus.train if name == "sms_spam" else imbalanced(corpus.train)
        counts = {label: train.labels.count(label) for label in sorted(set(train.labels))}
        print(f"\n#### {name}{'' if name == 'sms_spam' else ' (imbalanced)'}: train "
              f"{len(train)} ({min(counts.values())}–{max(counts.values())} per class), "
              f"test {len(corpus.test)}\n")
        print("| system | accuracy | macro-F1 | fit s |")
        print("|---|---:|---:|---:|")
        for system_name in args.systems:
            system = SYSTEMS[system_name]()
            started = time.perf_counter()
            system.fit(train.texts, train.labels)
            seconds = time.perf_counter() - started
            predicted = system.predict(corpus.test.texts)
            print(f"| {system_name} | {accuracy(corpus.test.labels, predicted):.4f} | "
                  f"{macro_f1(corpus.test.labels, predicted):.4f} | {seconds:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
