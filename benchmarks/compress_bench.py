"""Small model files (issue 17, part 5): size, test accuracy and loading time, textclf
compressed and not, beside fastText's own quantisation.

    python benchmarks/compress_bench.py [--data-dir ../shared/datasets] [--repeats 7]

Corpora: ``builtin:imdb`` (its fixed train/test split) and ``news20`` (train/test). textclf:
``TextClassifier(seed=0)`` with its defaults, saved as trained, then ``textclf compress``'s
variants of that same model: the vocabulary made compact only (lossless), ``--float16``,
``--bits 8``, and ``--bits 8 --prune-below 0.05`` (ε = 0.05 picked by hand, not tuned on
any split). fastText (peer, same run): ``train_supervised`` (word bigrams, 25 epochs,
lr 0.5, 2 threads) saved as ``.bin``, then ``quantize(input=train, qnorm=True,
retrain=True, cutoff=100000)`` saved as ``.ftz``, its documented way to small models.
Loading: the median of ``--repeats`` loads of the file into a usable model, in this
process, after one unmeasured load (the file in the page cache for every system alike).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DEFAULT_DATA_DIR, Split, load_corpus, tokenize  # noqa: E402


def splits(data_dir: Path, name: str) -> tuple[Split, Split]:
    if name.startswith("builtin:"):
        from textclf import read_corpus

        train, test = (read_corpus(name, split=s) for s in ("train", "test"))
        return Split(train.texts, train.labels), Split(test.texts, test.labels)
    corpus = load_corpus(data_dir, name)
    return corpus.train, corpus.test


def load_seconds(load, path: Path, repeats: int) -> float:
    load(path)  # once unmeasured: the file in the page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        load(path)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def row(name: str, path: Path, accuracy: float, seconds: float, full: Path) -> str:
    size = path.stat().st_size
    return (f"| {name} | {size / 2**20:.2f} | {full.stat().st_size / size:.2f} | "
            f"{accuracy:.4f} | {seconds:.3f} |")


def textclf_rows(train: Split, test: Split, folder: Path, repeats: int) -> list[str]:
    from textclf import TextClassifier

    clf = TextClassifier(seed=0).fit(train.texts, train.labels)
    full = folder / "full.textclf"
    clf.save(full)
    rows = []
    for name, quantize, prune in [("textclf", None, None), ("textclf compact", None, None),
                                  ("textclf --float16", "float16", None),
                                  ("textclf --bits 8", "int8", None),
                                  ("textclf --bits 8 --prune-below 0.05", "int8", 0.05)]:
        path = full if name == "textclf" else folder / "small.textclf"
        if name != "textclf":
            small = TextClassifier.load(full)
            small.compress(quantize, prune)
            small.save(path)
        seconds = load_seconds(TextClassifier.load, path, repeats)
        accuracy = TextClassifier.load(path).evaluate(test.texts, test.labels).accuracy
        rows.append(row(name, path, accuracy, seconds, full))
    return rows


def fasttext_rows(train: Split, test: Split, folder: Path, repeats: int) -> list[str]:
    import fasttext

    data = folder / "train.txt"
    with open(data, "w", encoding="utf-8") as handle:
        for text, label in zip(train.texts, train.labels, strict=True):
            handle.write(f"__label__{label} {' '.join(tokenize(text))}\n")
    model = fasttext.train_supervised(str(data), wordNgrams=2, epoch=25, lr=0.5, thread=2,
                                      verbose=0)
    full = folder / "model.bin"
    model.save_model(str(full))
    texts = [" ".join(tokenize(t)) for t in test.texts]

    def accuracy(m) -> float:
        labels, _ = m.predict(texts)
        return sum(p[0] == f"__label__{y}" for p, y in zip(labels, test.labels, strict=True)) \
            / len(texts)

    rows = [row("fasttext .bin", full, accuracy(model),
                load_seconds(lambda p: fasttext.load_model(str(p)), full, repeats), full)]
    model.quantize(input=str(data), qnorm=True, retrain=True, cutoff=100000, thread=2,
                   verbose=0)
    small = folder / "model.ftz"
    model.save_model(str(small))
    rows.append(row("fasttext .ftz (quantize)", small, accuracy(model),
                    load_seconds(lambda p: fasttext.load_model(str(p)), small, repeats),
                    full))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--corpus", nargs="+", default=["builtin:imdb", "news20"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    print(f"- Machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{platform.platform()}, {os.cpu_count()} cores")
    for name in args.corpus:
        train, test = splits(args.data_dir, name)
        print(f"\n#### {name}: train {len(train)}, test {len(test)}\n")
        print("| model file | MiB | × smaller | test accuracy | load s (median) |")
        print("|---|---:|---:|---:|---:|")
        with tempfile.TemporaryDirectory() as folder:
            for line in textclf_rows(train, test, Path(folder), args.repeats):
                print(line, flush=True)
            if not args.no_peer:
                for line in fasttext_rows(train, test, Path(folder), args.repeats):
                    print(line, flush=True)


if __name__ == "__main__":
    main()
