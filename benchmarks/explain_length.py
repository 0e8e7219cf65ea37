"""How long one explanation takes as the text grows (issue 25, item 1).

Trains textclf with its defaults on the ``mr`` sentences (short documents: character
n-grams 2-5 beside the words, as ``textclf train`` decides) and, for comparison, a
word-only model, then explains texts of N characters made of the corpus's test sentences
and prints the seconds (the least of ``--repeats`` runs, CPU time of the thread) and the
ratio to the previous length. An explanation linear in the text doubles with the text.

Usage: ``python benchmarks/explain_length.py 10000 20000 100000``
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import time

from corpora import DEFAULT_DATA_DIR

from textclf import TextClassifier


def read(split: str) -> tuple[list[str], list[str]]:
    with gzip.open(DEFAULT_DATA_DIR / "mr" / f"{split}.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    return [r["text"] for r in records], [r["label"] for r in records]


def text_of(sentences: list[str], n_chars: int) -> str:
    out, total, i = [], 0, 0
    while total < n_chars:
        out.append(sentences[i % len(sentences)])
        total += len(out[-1]) + 1
        i += 1
    return " ".join(out)[:n_chars]


def seconds(clf: TextClassifier, text: str, repeats: int) -> float:
    best = float("inf")
    gc.collect()
    for _ in range(repeats):
        start = time.thread_time()
        clf.explain(text)
        best = min(best, time.thread_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lengths", type=int, nargs="+", help="characters of each text")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    texts, labels = read("train")
    test_texts, _ = read("test")
    models = {"default (words + chars 2-5)": TextClassifier(seed=0, quiet=True),
              "words only": TextClassifier(seed=0, quiet=True, char_ngrams=None)}
    for name, clf in models.items():
        clf.fit(texts, labels)
        clf.explain(test_texts[0])  # lookup tables built once
        print(f"{name}: char_ngrams {clf.featurizer.settings.char_ngrams}")
        previous = None
        for n in args.lengths:
            took = seconds(clf, text_of(test_texts, n), args.repeats)
            ratio = "" if previous is None else f"  ({took / previous[1]:.1f}x the time of " \
                f"{previous[0]:,} characters)"
            print(f"  {n:>9,} characters: {took:8.3f} s{ratio}", flush=True)
            previous = (n, took)


if __name__ == "__main__":
    main()
