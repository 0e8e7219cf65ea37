"""Training on a Dask cluster against one process, on a corpus of a million documents.

1. Generates ``--documents`` documents (default 1,000,000) in ``--shards`` JSONL shards
   (default 20) from the built-in IMDB train split, as ``stream_big.py`` does: each
   document is 2 to 4 consecutive sentences of one review and one sentence of another
   review of the same label (new texts, learnable labels); and one file holding the
   shards one after the other, for the single-process runs.
2. Runs, each as its own ``textclf train`` process, with hashed features (``--hash-bits``):

   * ``stream``: one process, ``--stream`` (SGD, reading the file in every epoch);
   * ``lbfgs``: one process, in memory, ``--optimizer lbfgs`` (exact mode's optimiser);
   * ``local:1`` and ``local:2``, ``--distributed exact`` and ``average``: a LocalCluster of
     1 or 2 worker processes started by the command.

   For each: wall seconds from start to saved model (documents per second end to end),
   the seconds spent in epochs or iterations, the peak resident memory (VmHWM) of the
   command's process and of each worker process, what each worker held (text and
   [X | 1], from the command's own report) and the bytes sent per epoch or iteration
   (from the model file's history).
3. Scores every model on the IMDB test split (reviews the corpus was not made from).
4. Deletes the generated files unless ``--keep``; prints (and with ``--json`` writes) the
   figures as JSON.

Usage::

    flock /tmp/textclf-bench.lock python benchmarks/dask_bench.py --workdir /tmp/dask-bench \\
        --json /tmp/dask-bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

SENTENCE = re.compile(r"(?<=[.!?])\s+")
TEXTCLF = [sys.executable, "-c", "import sys; from textclf.cli import main; sys.exit(main())"]


def generate(folder: Path, documents: int, shards: int, seed: int = 0) -> dict:
    """``documents`` labelled JSONL documents in ``shards`` files, and ``all.jsonl``."""
    from textclf.corpus import iter_builtin

    by_label: dict[str, list[list[str]]] = {}
    for doc in iter_builtin("imdb", "train"):
        by_label.setdefault(doc.label, []).append(SENTENCE.split(doc.text))
    rng = random.Random(seed)
    labels = sorted(by_label)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part-{i:03d}.jsonl" for i in range(shards)]
    sizes = [documents * (i + 1) // shards - documents * i // shards for i in range(shards)]
    written = 0
    with open(folder / "all.jsonl", "w", encoding="utf-8") as everything:
        for path, size in zip(paths, sizes, strict=True):
            with open(path, "w", encoding="utf-8") as shard:
                for _ in range(size):
                    label = rng.choice(labels)
                    review = rng.choice(by_label[label])
                    start = rng.randrange(len(review))
                    sentences = review[start : start + rng.randint(2, 4)]
                    sentences.append(rng.choice(rng.choice(by_label[label])))
                    line = json.dumps({"text": " ".join(sentences), "label": label}) + "\n"
                    shard.write(line)
                    everything.write(line)
                    written += len(line.encode("utf-8"))
    return {"documents": documents, "shards": shards, "bytes": written,
            "paths": [str(p) for p in paths], "all": str(folder / "all.jsonl")}


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    children = [int(c) for c in handle.read().split()]
                found += children
                stack += children
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def peak_mib(pid: int) -> float | None:
    """VmHWM: the most resident memory the process ever had, in MiB."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def run_measured(command: list[str]) -> dict:
    """Run ``command``; wall seconds, its output, and the peak memory of it and of each
    worker process it started (multiprocessing children, not its resource tracker)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    peaks: dict[int, float] = {}
    workers: set[int] = set()

    def sample() -> None:
        while process.poll() is None:
            for pid in [process.pid, *descendants(process.pid)]:
                peak = peak_mib(pid)
                if peak is not None:
                    peaks[pid] = max(peaks.get(pid, 0.0), peak)
                    line = command_line(pid)
                    if "spawn_main" in line and "resource_tracker" not in line:
                        workers.add(pid)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return {"command": " ".join(command[3:]), "wall_s": time.perf_counter() - started,
            "peak_mib_command": peaks.get(process.pid),
            "peak_mib_workers": sorted(peaks[p] for p in workers),
            "output": output}


def cluster_facts(output: str) -> dict:
    """What the command reported of the workers' data (textclf train's cluster line)."""
    match = re.search(r"per thread at most ([\d.]+) M characters of text and ([\d.]+) MiB of "
                      r"\[X \| 1\]; sent ([\d.]+) MiB per (\w+)", output)
    if match is None:
        return {}
    return {"worker_text_mib": float(match.group(1)) * 1e6 / 2**20,
            "worker_csr_mib": float(match.group(2)), "sent_mib_per_step": float(match.group(3)),
            "step": match.group(4)}


def score(model: Path, test) -> dict:
    from textclf import TextClassifier

    clf = TextClassifier.load(model)
    history = clf.history
    sent = [r.get("bytes_to_workers", 0) + r.get("bytes_from_workers", 0) for r in history]
    return {"test_accuracy": clf.evaluate(test.texts, test.labels).accuracy,
            "steps": len(history), "train_s": sum(r["train_seconds"] for r in history),
            "evaluations": history[-1].get("evaluations"),
            "theta_mib": clf.model.theta.nbytes / 2**20,
            "bytes_per_step": {key: sum(r.get(key, 0) for r in history) / max(len(history), 1)
                               for key in ("bytes_to_workers", "bytes_from_workers")}
            if any(sent) else None}


def machine() -> dict:
    import numpy

    import textclf

    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cores": os.cpu_count(), "numpy": numpy.__version__,
            "textclf": textclf.__version__}
    try:
        import dask
        import distributed

        info |= {"dask": dask.__version__, "distributed": distributed.__version__}
    except ImportError:
        pass
    with open("/proc/meminfo") as handle:
        info["memory_gib"] = round(int(handle.readline().split()[1]) / 2**20, 1)
    with open("/proc/cpuinfo") as handle:
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle
                            if line.startswith("model name")), "?")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/dask-bench"))
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=20)
    parser.add_argument("--hash-bits", type=int, default=20)
    parser.add_argument("--runs", nargs="+", default=["stream", "lbfgs", "local:1 exact",
                                                      "local:1 average", "local:2 exact",
                                                      "local:2 average"])
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from textclf.corpus import read_corpus

    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                     "command": " ".join(sys.argv), "machine": machine(),
                     "load_average_before": os.getloadavg()}
    test = read_corpus("builtin:imdb", split="test")
    try:
        started = time.perf_counter()
        corpus = generate(args.workdir / "shards", args.documents, args.shards)
        results["corpus"] = {k: v for k, v in corpus.items() if k != "paths"} | {
            "generate_s": time.perf_counter() - started}
        print(json.dumps(results["corpus"]), file=sys.stderr, flush=True)
        common = ["--hash-bits", str(args.hash_bits), "--top", "0"]
        results["runs"] = []
        for name in args.runs:
            model = args.workdir / f"{name.replace(':', '').replace(' ', '-')}.textclf"
            if name == "stream":
                options = [corpus["all"], "--stream"]
            elif name == "lbfgs":
                options = [corpus["all"], "--optimizer", "lbfgs"]
            else:
                cluster, mode = name.split()
                shards = str(Path(corpus["paths"][0]).parent / "part-*.jsonl")
                options = [shards, "--dask", cluster, "--distributed", mode]
            load_before = os.getloadavg()[0]
            run = run_measured([*TEXTCLF, "train", *options, "-o", str(model), *common])
            run.update(name=name, docs_per_s=args.documents / run["wall_s"],
                       load_average_1min=(load_before, os.getloadavg()[0]),
                       **cluster_facts(run["output"]), **score(model, test))
            run["output"] = run["output"][-2500:]
            results["runs"].append(run)
            print(json.dumps({k: v for k, v in run.items() if k != "output"}), file=sys.stderr,
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["load_average_after"] = os.getloadavg()
    report(results, args.json)


def report(results: dict, path: Path | None) -> None:
    """The results as JSON: printed, and written to ``path`` if given."""
    text = json.dumps(results, indent=1)
    if path:
        path.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
