"""Reading corpora into memory: textclf's readers before and after a change, in one run.

1. Generates ``--documents`` JSONL documents (default 200,000) as ``dask_bench.py`` does
   (2-4 sentences of an IMDB train review and one of another of the same label), in one file,
   its gzip copy, and the same documents as CSV.
2. Exports the readers of ``--before REV`` (``git archive``) beside this checkout's.
3. Times ``read_corpus`` on each file and on ``builtin:imdb`` (its train and dev splits, as
   ``train`` reads them), each in a process of its own, alternating the trees: before, after,
   and for JSONL after without msgspec (the standard json module's path); with ``--train``, the
   whole ``textclf train builtin:imdb -o m`` process. Prints a Markdown table: median and
   every run's seconds, and the largest peak resident memory (VmHWM) of the runs. The
   peer, in the same alternation: pandas (``read_json(lines=True)``, ``read_csv``) to lists
   of texts and labels.

Usage::

    python benchmarks/read_bench.py --before 524d123 --runs 5 --train
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_bench import generate, machine  # noqa: E402 (a script beside this one)

ROOT = Path(__file__).resolve().parents[1]
PEAK = """
def peak():  # VmHWM, kB: this process's own peak (ru_maxrss keeps the parent's across exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
"""
READ = PEAK + """
import sys, time
if sys.argv[2] == "json":
    sys.modules["msgspec"] = None  # (an import of it fails: the standard json path)
from textclf.corpus import read_corpus
spec = sys.argv[1]
start = time.perf_counter()
n = len(read_corpus(spec))
if spec.startswith("builtin:"):
    n += len(read_corpus(spec, split="dev"))
print(time.perf_counter() - start, peak(), n)
"""
PANDAS = PEAK + """
import sys, time
import pandas
spec = sys.argv[1]
start = time.perf_counter()
frame = (pandas.read_csv(spec) if spec.endswith(".csv") else pandas.read_json(spec, lines=True))
texts, labels = frame["text"].tolist(), frame["label"].tolist()
print(time.perf_counter() - start, peak(),
      len(texts))
"""
TRAIN = PEAK + """
import sys
from textclf.cli import main
main(["train", "builtin:imdb", "-o", sys.argv[1], "--quiet", "--top", "0"])
print(peak())
"""


def files(folder: Path, documents: int) -> list[str]:
    """The generated JSONL file, its gzip copy and the same documents as CSV."""
    made = Path(generate(folder, documents, 1)["all"])
    (folder / "part-000.jsonl").unlink()
    with open(made, "rb") as plain, gzip.open(folder / "all.jsonl.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    with open(made, encoding="utf-8") as lines, \
            open(folder / "all.csv", "w", encoding="utf-8", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["text", "label"])
        for line in lines:
            record = json.loads(line)
            writer.writerow([record["text"], record["label"]])
    return [str(made), str(folder / "all.jsonl.gz"), str(folder / "all.csv")]


def measured(command: list[str], src: Path) -> list[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(src)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the revision to compare with")
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--train", action="store_true",
                        help="also time the whole `textclf train builtin:imdb` process")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="read-bench-"))
    try:
        subprocess.run(f"git -C {ROOT} archive {args.before} src | tar -x -C {work}",
                       shell=True, check=True)
        trees = {"before": (work / "src", "-"), "after": (ROOT / "src", "-"),
                 "after, json": (ROOT / "src", "json")}
        specs = [*files(work / "data", args.documents), "builtin:imdb"]
        print(f"machine: {json.dumps(machine())}; load {os.getloadavg()}", flush=True)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for spec in specs:
            for _ in range(args.runs):
                for tree, (src, flag) in trees.items():
                    if flag == "json" and "jsonl" not in spec:
                        continue  # (only JSON lines have a msgspec path)
                    seconds, rss, _ = measured([sys.executable, "-c", READ, spec, flag], src)
                    times.setdefault((spec, tree), []).append((float(seconds),
                                                               float(rss) / 1024))
                if not spec.startswith("builtin:"):  # the peer: pandas, to lists of str
                    seconds, rss, _ = measured([sys.executable, "-c", PANDAS, spec], ROOT)
                    times.setdefault((spec, "pandas (peer)"), []).append(
                        (float(seconds), float(rss) / 1024))
        if args.train:
            for _ in range(args.runs):
                for tree in ("before", "after"):
                    start = time.perf_counter()
                    rss = measured([sys.executable, "-c", TRAIN, str(work / "m.textclf")],
                                   trees[tree][0])[-1]
                    times.setdefault(("train builtin:imdb (whole process)", tree), []).append(
                        (time.perf_counter() - start, float(rss) / 1024))
        print(f"load {os.getloadavg()}\n")
        print("| input | readers | median s | runs (s) | peak RSS MiB |\n|---|---|---:|---|---:|")
        for (spec, tree), found in times.items():
            seconds = [s for s, _ in found]
            print(f"| {Path(spec).name} | {tree} | {statistics.median(seconds):.2f} | "
                  f"{' '.join(f'{s:.2f}' for s in seconds)} | {max(m for _, m in found):.0f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
