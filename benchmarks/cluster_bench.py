"""Training on a Dask cluster against one process (issue 23): accuracy, and time end to end.

Parts (``--parts``, any of them, in this order):

* ``imdb``: the built-in IMDB train split (20,000 reviews), shuffled (seed 0) and written as
  JSONL in 8 shards (and one file of the same documents in the same order); with the
  defaults, one process against ``--dask local:2`` in both modes and against a real
  ``dask scheduler`` with 2 ``dask worker`` processes (one thread each) on 127.0.0.1, both
  modes. Test accuracy on the built-in IMDB test split (2,500 reviews).
* ``generated``: ``--documents`` documents (default 200,000) in 16 shards, made from the
  IMDB train split as ``dask_bench.py`` makes them; one process and ``--dask local:W`` for
  each W of ``--workers`` (average mode; exact mode for the largest W), with the defaults
  and ``--hash-bits 20`` (``--settings`` adds options, e.g. the issue's ``--weighting
  tfidf --epochs 5``). Test accuracy on the IMDB dev and test splits (5,000 reviews the
  corpus was not made from).
* ``overhead``: on the generated corpus, ``--repeat`` alternating runs of one process with
  ``--jobs 1`` and of ``--dask local:1``: wall seconds of each whole process.

Each run is its own ``textclf train`` process (wall seconds from its start to the saved
model; the peak memory of it and of its worker processes). Prints (and with ``--json``
writes) the figures as JSON.

Usage::

    python benchmarks/cluster_bench.py --workdir /tmp/cluster-bench --parts imdb generated \\
        overhead --json /tmp/cluster-bench.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_bench import TEXTCLF, generate, machine, report, run_measured  # noqa: E402

SOURCE = str(Path(__file__).resolve().parents[1] / "src")


def write_imdb(folder: Path, shards: int = 8, seed: int = 0) -> dict:
    """The IMDB train split, shuffled, in ``shards`` JSONL files and ``all.jsonl``."""
    from textclf.corpus import iter_builtin

    documents = list(iter_builtin("imdb", "train"))
    random.Random(seed).shuffle(documents)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as files:
        handles = [files.enter_context(open(folder / f"part-{i}.jsonl", "w", encoding="utf-8"))
                   for i in range(shards)]
        everything = files.enter_context(open(folder / "all.jsonl", "w", encoding="utf-8"))
        for i, doc in enumerate(documents):
            line = json.dumps({"text": doc.text, "label": doc.label}) + "\n"
            handles[i * shards // len(documents)].write(line)
            everything.write(line)
    return {"documents": len(documents), "shards": shards, "all": str(folder / "all.jsonl"),
            "pattern": str(folder / "part-*.jsonl")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dask_processes(workers: int) -> Iterator[str]:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1."""
    import distributed

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    environment = {**os.environ, "PYTHONPATH": SOURCE + os.pathsep
                   + os.environ.get("PYTHONPATH", "")}

    def start(*command: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", *command], env=environment,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    started = [start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                     str(port), "--no-dashboard")]
    try:
        started += [start("distributed.cli.dask_worker", address, "--nthreads", "1",
                          "--no-dashboard") for _ in range(workers)]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for process in reversed(started):
            os.killpg(process.pid, 15)
            process.wait(timeout=30)


def scored(model: Path, test) -> dict:
    from textclf import TextClassifier

    clf = TextClassifier.load(model)
    return {"test_accuracy": clf.evaluate(test.texts, test.labels).accuracy,
            "epochs_or_iterations": len(clf.history),
            "train_s": round(sum(r.get("train_seconds", 0.0) for r in clf.history), 2),
            "features": clf.featurizer.settings.weighting,
            "char_ngrams": clf.featurizer.settings.char_ngrams}


def train(name: str, options: list[str], workdir: Path, test, results: list) -> dict:
    """One ``textclf train`` process; its figures appended to ``results``."""
    model = workdir / f"{name}.textclf"
    load = os.getloadavg()[0]
    run = run_measured([*TEXTCLF, "train", *options, "-o", str(model), "--top", "0",
                        "--force"])
    run.update(name=name, load_average_1min=(round(load, 2), round(os.getloadavg()[0], 2)),
               **scored(model, test))
    run["wall_s"] = round(run["wall_s"], 2)
    run["output"] = run["output"][-600:]
    results.append(run)
    print(json.dumps({k: v for k, v in run.items() if k != "output"}), file=sys.stderr,
          flush=True)
    model.unlink()
    return run


def part_imdb(workdir: Path, results: list) -> None:
    from textclf.corpus import read_corpus

    corpus = write_imdb(workdir / "imdb")
    test = read_corpus("builtin:imdb", split="test")
    train("imdb one process", [corpus["all"]], workdir, test, results)
    for mode in ("average", "exact"):
        train(f"imdb local:2 {mode}", [corpus["pattern"], "--dask", "local:2",
                                       "--distributed", mode], workdir, test, results)
    with dask_processes(2) as address:
        for mode in ("average", "exact"):
            train(f"imdb dask scheduler + 2 dask workers {mode}",
                  [corpus["pattern"], "--dask", address, "--distributed", mode], workdir,
                  test, results)


def held_out():
    """The IMDB dev and test splits: reviews the generated corpus was not made from."""
    from textclf.corpus import read_corpus

    dev, test = read_corpus("builtin:imdb", split="dev"), read_corpus("builtin:imdb",
                                                                       split="test")
    dev.texts += test.texts
    dev.labels += test.labels
    return dev


def generated(workdir: Path, documents: int) -> dict:
    folder = workdir / f"generated-{documents}"
    if not (folder / "all.jsonl").exists():
        corpus = generate(folder, documents, 16)
    else:
        corpus = {"all": str(folder / "all.jsonl")}
    return {"all": corpus["all"], "pattern": str(folder / "part-*.jsonl")}


def part_generated(workdir: Path, results: list, args: argparse.Namespace) -> None:
    corpus = generated(workdir, args.documents)
    test = held_out()
    common = ["--hash-bits", "20", *args.settings]
    train("generated one process", [corpus["all"], *common], workdir, test, results)
    for workers in args.workers:
        train(f"generated local:{workers} average",
              [corpus["pattern"], *common, "--dask", f"local:{workers}"], workdir, test,
              results)
    exact = [option for i, option in enumerate(common)  # no --epochs E: --max-iter
             if option != "--epochs" and (i == 0 or common[i - 1] != "--epochs")]
    train(f"generated local:{max(args.workers)} exact",
          [corpus["pattern"], *exact, "--dask", f"local:{max(args.workers)}", "--distributed",
           "exact"], workdir, test, results)


def part_overhead(workdir: Path, results: list, args: argparse.Namespace) -> None:
    corpus = generated(workdir, args.documents)
    test = held_out()
    common = ["--hash-bits", "20", *args.settings]
    for i in range(args.repeat):
        train(f"overhead one process --jobs 1 #{i + 1}", [corpus["all"], *common, "--jobs",
                                                         "1"], workdir, test, results)
        train(f"overhead local:1 #{i + 1}", [corpus["pattern"], *common, "--dask", "local:1"],
              workdir, test, results)


def summary(runs: list[dict]) -> dict:
    """The targets' figures: accuracy gaps, the speed-up from 1 to W workers, and one
    worker's wall time against one process's (--jobs 1), from the runs made."""
    by_name = {run["name"]: run for run in runs}
    found: dict = {}
    one = by_name.get("imdb one process")
    if one:
        found["imdb_gap_points"] = {name: round(100 * (run["test_accuracy"]
                                                       - one["test_accuracy"]), 2)
                                    for name, run in by_name.items()
                                    if name.startswith("imdb ") and run is not one}
    one = by_name.get("generated one process")
    single = by_name.get("generated local:1 average")
    if one and single:
        found["generated_gap_points_vs_one_process"] = {
            name: round(100 * (run["test_accuracy"] - one["test_accuracy"]), 2)
            for name, run in by_name.items() if name.startswith("generated local:")}
        found["generated_gap_points_vs_one_worker"] = {
            name: round(100 * (run["test_accuracy"] - single["test_accuracy"]), 2)
            for name, run in by_name.items() if name.startswith("generated local:")}
        found["speedup_vs_one_worker"] = {
            name: round(single["wall_s"] / run["wall_s"], 2)
            for name, run in by_name.items() if name.endswith(" average")
            and name.startswith("generated local:")}
    alone = [run["wall_s"] for name, run in by_name.items()
             if name.startswith("overhead one process")]
    cluster = [run["wall_s"] for name, run in by_name.items()
               if name.startswith("overhead local:1")]
    if alone and cluster:
        found["one_worker_over_one_process"] = {
            "ratios": [round(c / a, 2) for a, c in zip(alone, cluster, strict=False)],
            "of_means": round(sum(cluster) / len(cluster) / (sum(alone) / len(alone)), 2)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cluster-bench"))
    parser.add_argument("--parts", nargs="+", default=["imdb", "generated", "overhead"],
                        choices=["imdb", "generated", "overhead"])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--settings", nargs=argparse.REMAINDER, default=[],
                        help="more textclf train options for the generated corpus (last)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                     "command": " ".join(sys.argv), "machine": machine(), "runs": []}
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        for part in args.parts:
            if part == "imdb":
                part_imdb(args.workdir, results["runs"])
            elif part == "generated":
                part_generated(args.workdir, results["runs"], args)
            else:
                part_overhead(args.workdir, results["runs"], args)
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        results["summary"] = summary(results["runs"])
        report(results, args.json)


if __name__ == "__main__":
    main()
