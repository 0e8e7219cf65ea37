"""Larger than memory: train ``textclf`` from a generated corpus of several GB on disk.

1. Generates ``--gb`` GB of JSONL in ``--workdir`` from the built-in IMDB train split: each
   document is the sentences of one review, shuffled, with sentences of other reviews of
   the same label mixed in (so the labels stay learnable and the texts are all new).
2. Trains ``textclf train BIG.jsonl --stream --hash-bits B`` in a child process, sampling
   the memory (PSS) of the child and of its worker processes together every 0.2 s.
3. Scores the model on the IMDB test split.
4. On IMDB itself (fits in memory), compares test accuracy of: in-memory training with the
   default vocabulary, in-memory with hashed features, and streaming from disk.
5. Deletes the generated files (``--keep`` to keep them).

Usage::

    python benchmarks/stream_big.py --workdir /tmp/textclf-big --gb 2.1 --json /tmp/big.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def generate(path: Path, gigabytes: float, seed: int = 0) -> dict:
    """Write at least ``gigabytes`` GB of labelled JSONL made from IMDB train reviews."""
    from textclf.corpus import iter_builtin

    docs = list(iter_builtin("imdb", "train"))
    by_label: dict[str, list[list[str]]] = {}
    for doc in docs:
        by_label.setdefault(doc.label, []).append(_SENTENCE.split(doc.text))
    rng = random.Random(seed)
    labels = sorted(by_label)
    target = int(gigabytes * 1e9)
    written = n = 0
    with open(path, "w", encoding="utf-8") as handle:
        while written < target:
            label = rng.choice(labels)
            pool = by_label[label]
            sentences = list(rng.choice(pool))
            sentences += rng.choice(pool)[:3]
            rng.shuffle(sentences)
            line = json.dumps({"text": " ".join(sentences), "label": label}) + "\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    return {"path": str(path), "bytes": written, "documents": n}


def _tree_rss_mib(pid: int) -> float:
    """Memory of a process and all its descendants, in MiB: the sum of their PSS
    (proportional set size: a page shared by k processes, e.g. after fork, counts 1/k in
    each), so the total is what the tree holds, without counting shared pages twice."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) / 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    stack.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_measured(command: list[str]) -> dict:
    """Run ``command``; peak of the summed PSS of it and its children, wall seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mib(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output}")
    return {"command": " ".join(command), "wall_s": time.perf_counter() - started,
            "peak_pss_tree_mib": peak[0], "output_tail": output[-1500:]}


def test_accuracy(model: Path) -> float:
    from textclf import TextClassifier
    from textclf.corpus import read_corpus

    test = read_corpus("builtin:imdb", split="test")
    return TextClassifier.load(model).evaluate(test.texts, test.labels).accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/textclf-big"))
    parser.add_argument("--gb", type=float, default=2.1)
    parser.add_argument("--hash-bits", type=int, default=22)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                        help="more options for textclf train (after --extra)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    textclf = [sys.executable, "-c", "import sys; from textclf.cli import main; "
               "sys.exit(main())"]
    results: dict = {"started": time.ctime(), "command": " ".join(sys.argv)}
    try:
        big = args.workdir / "big.jsonl"
        started = time.perf_counter()
        results["corpus"] = generate(big, args.gb)
        results["corpus"]["generate_s"] = time.perf_counter() - started
        print(json.dumps(results["corpus"]), file=sys.stderr, flush=True)
        model = args.workdir / "big.textclf"
        run = run_measured([*textclf, "train", str(big), "-o", str(model), "--stream",
                            "--hash-bits", str(args.hash_bits), "--jobs", str(args.jobs),
                            "--epochs", str(args.epochs), "--top", "0", *args.extra])
        run["test_accuracy_imdb"] = test_accuracy(model)
        results["big"] = run
        print(json.dumps(run), file=sys.stderr, flush=True)
        # IMDB, which fits in memory: the same accuracy streaming or not?
        from textclf.corpus import iter_builtin

        docs = list(iter_builtin("imdb", "train"))
        random.Random(0).shuffle(docs)
        small = args.workdir / "imdb-train.jsonl"
        with open(small, "w", encoding="utf-8") as handle:
            for doc in docs:
                handle.write(json.dumps({"text": doc.text, "label": doc.label}) + "\n")
        results["imdb"] = []
        for name, options in (
            ("in memory, vocabulary", []),
            ("in memory, hashed", ["--hash-bits", str(args.hash_bits)]),
            ("streaming, hashed", ["--hash-bits", str(args.hash_bits), "--stream"]),
        ):
            out = args.workdir / "imdb.textclf"
            run = run_measured([*textclf, "train", str(small), "-o", str(out), "--top", "0",
                                *options])
            run["name"] = name
            run["test_accuracy_imdb"] = test_accuracy(out)
            results["imdb"].append(run)
            print(json.dumps({k: run[k] for k in ("name", "wall_s", "peak_pss_tree_mib",
                                                  "test_accuracy_imdb")}),
                  file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    results["finished"] = time.ctime()
    text = json.dumps(results, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
