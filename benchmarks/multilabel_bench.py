"""Multi-label classification on GoEmotions (issue 17, part 1): textclf beside its peers.

    python benchmarks/multilabel_bench.py [--data-dir ../shared/datasets]

Fitted on the train split (43,410 Reddit comments, 28 labels), scored on the test split
(5,427), in one run, each system in the same process one after the other:

* ``sklearn-ovr``: the issue's baseline, ``TfidfVectorizer(ngram_range=(1, 2), min_df=2,
  sublinear_tf=True)`` + ``OneVsRestClassifier(LogisticRegression(C=10, max_iter=1000))`` on
  ``MultiLabelBinarizer`` targets, labels where P ≥ 0.5 (``predict``);
* ``fasttext-ova``: fastText's one-vs-all loss (``-loss ova``, one sigmoid per label, its
  multi-label mode), word uni+bigrams, 25 epochs, lr 0.5 (fastText's settings used across
  the corpora in benchmarks/peers.py), labels where P ≥ 0.5;
* ``textclf``: ``TextClassifier(seed=0)`` with its defaults (multi-label logistic
  regression, threshold 0.5);
* ``textclf auto``: the same with ``threshold="auto"``: one threshold chosen on the dev
  split for the best micro-F1 (the dev split is read and scored inside its fit time).

Fit seconds: raw train texts to a trained model (wall clock). Metrics: micro/macro F1
(macro with zero_division=0 over the 28 labels), subset accuracy, Hamming loss.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DEFAULT_DATA_DIR, tokenize  # noqa: E402


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    texts, sets = [], []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts.append(record["text"])
            sets.append(record["labels"])
    return texts, sets


def scores(Y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss

    return {"micro-F1": f1_score(Y, predicted, average="micro", zero_division=0),
            "macro-F1": f1_score(Y, predicted, average="macro", zero_division=0),
            "subset acc": accuracy_score(Y, predicted), "Hamming": hamming_loss(Y, predicted)}


def sklearn_ovr(train, dev, test_texts, labels):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    started = time.perf_counter()
    Y = MultiLabelBinarizer(classes=labels).fit_transform(train[1])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = OneVsRestClassifier(LogisticRegression(C=10, max_iter=1000))
    model.fit(vectorizer.fit_transform(train[0]), Y)
    seconds = time.perf_counter() - started
    return model.predict(vectorizer.transform(test_texts)), seconds


def fasttext_ova(train, dev, test_texts, labels):
    import fasttext

    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as handle:
        for text, sets in zip(*train, strict=True):
            tags = " ".join(f"__label__{label}" for label in sets)
            handle.write(f"{tags} {' '.join(tokenize(text))}\n")
        handle.flush()
        model = fasttext.train_supervised(handle.name, loss="ova", wordNgrams=2, epoch=25,
                                          lr=0.5, thread=2, verbose=0)
    seconds = time.perf_counter() - started
    found, _ = model.predict([" ".join(tokenize(t)) for t in test_texts], k=-1, threshold=0.5)
    column = {label: j for j, label in enumerate(labels)}
    predicted = np.zeros((len(test_texts), len(labels)), dtype=int)
    for i, tags in enumerate(found):
        for tag in tags:
            predicted[i, column[tag.removeprefix("__label__")]] = 1
    return predicted, seconds


def textclf_system(**settings):
    def fit_and_predict(train, dev, test_texts, labels):
        from textclf import TextClassifier

        started = time.perf_counter()
        clf = TextClassifier(seed=0, **settings).fit(train[0], train[1], *dev)
        seconds = time.perf_counter() - started
        assert clf.labels == labels
        P = clf.predict_proba(test_texts)
        return clf.decide(P).astype(int), seconds
    return fit_and_predict


SYSTEMS = {
    "sklearn-ovr": sklearn_ovr,
    "fasttext-ova": fasttext_ova,
    "textclf": textclf_system(),
    "textclf auto": textclf_system(threshold="auto"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    args = parser.parse_args()
    folder = args.data_dir / "goemotions"
    train, dev, test = (read(folder / f"{split}.jsonl.gz") for split in ("train", "dev", "test"))
    labels = sorted({label for sets in train[1] for label in sets})
    Y_test = np.array([[label in s for label in labels] for s in test[1]], dtype=int)
    print(f"- Machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"\ngoemotions: train {len(train[0])}, dev {len(dev[0])}, test {len(test[0])}, "
          f"{len(labels)} labels\n")
    print("| system | micro-F1 | macro-F1 | subset acc | Hamming | fit s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.systems:
        uses_dev = name == "textclf auto"
        predicted, seconds = SYSTEMS[name](train, dev if uses_dev else (), test[0], labels)
        s = scores(Y_test, predicted)
        print(f"| {name} | {s['micro-F1']:.4f} | {s['macro-F1']:.4f} | {s['subset acc']:.4f} | "
              f"{s['Hamming']:.5f} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
