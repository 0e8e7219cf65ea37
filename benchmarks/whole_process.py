"""Whole processes, side by side in one run (issue 22, targets 3–7 on one machine):

* ``textclf train builtin:imdb -o M --quiet`` (the defaults), wall seconds of the whole
  process, alternating with scikit-learn's pipeline as a user writes it (TfidfVectorizer
  1-2 + LogisticRegression C=10, its in-process fit: from the start of its script to the
  fitted model, reading and imports included, as ``../shared/multicore/sk_fit.py``);
* a first run with an empty numba cache (``NUMBA_CACHE_DIR``: the first run after
  installing), then the warm runs with that cache, counting numba's compilations in each;
* ``textclf --help`` (CPU seconds) and ``textclf predict`` of one text with a small model
  (wall seconds), medians of several;
* saving and loading the IMDB model (in one process, medians), ``compress --bits 8``: the
  sizes and both models' test accuracy;
* each textclf process's peak memory (VmHWM).

``--src`` names the source trees to measure (``label=PATH``), e.g. the commit before a
change beside the working tree, so that before and after run on the same machine state.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# textclf's command line in a child process, from a given source tree; prints its peak
# memory and the kernels it compiled (not loaded from numba's cache) to stderr as it exits
# (it imports nothing the command would not)
_CLI = r"""
import atexit, sys
sys.path.insert(0, sys.argv.pop(1))
def report():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("@@peak_kib", line.split()[1], file=sys.stderr)
    jit = sys.modules.get("textclf.core.jit")
    if jit is not None and hasattr(jit, "compilations") and "numba" in sys.modules:
        print("@@compiled", jit.compilations(), file=sys.stderr)
atexit.register(report)
from textclf.cli import main
sys.exit(main(sys.argv[1:]))
"""

# scikit-learn as a user writes it; prints 'acc X fit_s Y' (fit: from the script's start)
_SKLEARN = r"""
import gzip, json, sys, time
t0 = time.perf_counter()
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
def load(p):
    rows = [json.loads(l) for l in gzip.open(p, 'rt', encoding='utf-8')]
    return [r['text'] for r in rows], [r['label'] for r in rows]
X, y = load(sys.argv[1] + '/train.jsonl.gz')
vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
clf = LogisticRegression(C=10.0, max_iter=1000).fit(vec.fit_transform(X), y)
fit = time.perf_counter() - t0
Xt, yt = load(sys.argv[1] + '/test.jsonl.gz')
acc = (clf.predict(vec.transform(Xt)) == yt).mean()
print(f'acc {acc:.4f} fit_s {fit:.2f}')
"""

# saving and loading a model in one process; prints JSON
_SAVE_LOAD = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from textclf import TextClassifier
path, out, repeats = sys.argv[2], sys.argv[3], int(sys.argv[4])
def median(action):
    action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
clf = TextClassifier.load(path)
print(json.dumps({"load_s": median(lambda: TextClassifier.load(path)),
                  "save_s": median(lambda: clf.save(out))}))
"""


def clock() -> tuple[float, float]:
    t = os.times()
    return time.perf_counter(), t.children_user + t.children_system


def child(argv: list[str], env: dict | None = None, timeout: float = 900) -> dict:
    """Run a child process; its wall and CPU seconds, its output, and what ``_CLI``
    reported (peak memory, compilations)."""
    wall0, cpu0 = clock()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    wall1, cpu1 = clock()
    result = {"wall_s": round(wall1 - wall0, 3), "cpu_s": round(cpu1 - cpu0, 3),
              "rc": done.returncode, "stdout": done.stdout}
    for line in done.stderr.splitlines():
        if line.startswith("@@peak_kib"):
            result["peak_mib"] = round(int(line.split()[1]) / 1024, 1)
        elif line.startswith("@@compiled"):
            result["numba_compilations"] = int(line.split()[1])
    if done.returncode != 0:
        result["stderr"] = done.stderr[-2000:]
    print(" ".join(map(str, argv[3:]))[:150], "→",
          {k: v for k, v in result.items() if k != "stdout"}, file=sys.stderr, flush=True)
    return result


def textclf(src: str, *args: str, env: dict | None = None) -> dict:
    return child([sys.executable, "-c", _CLI, src, *map(str, args)], env)


def accuracy(src: str, model: Path, env: dict) -> float:
    out = textclf(src, "test", model, "builtin:imdb", "--json", env=env)
    return json.loads(out["stdout"])["accuracy"]


def imdb(sources: dict[str, str], data_dir: Path, repeats: int, work: Path) -> dict:
    """The IMDB runs: per source a first run on an empty numba cache, then ``repeats``
    warm runs alternating with scikit-learn's; save, load and compress of the model."""
    runs: dict = {label: {"warm": []} for label in sources}
    runs["sklearn"] = []
    caches = {label: {"NUMBA_CACHE_DIR": str(work / f"numba-{label}")} for label in sources}
    for label, src in sources.items():
        runs[label]["first"] = textclf(src, "train", "builtin:imdb", "-o",
                                       work / f"{label}-first.textclf", "--quiet",
                                       env=caches[label])
    for i in range(repeats):
        out = child([sys.executable, "-c", _SKLEARN, str(data_dir / "imdb")])
        fields = out["stdout"].split()
        out.update(accuracy=float(fields[1]), in_process_fit_s=float(fields[3]))
        runs["sklearn"].append(out)
        for label, src in sources.items():
            model = work / f"{label}-{i}.textclf"
            out = textclf(src, "train", "builtin:imdb", "-o", model, "--quiet",
                          env=caches[label])
            runs[label]["warm"].append(out)
    fit = statistics.median(r["in_process_fit_s"] for r in runs["sklearn"])
    summary: dict = {"sklearn_in_process_fit_s": fit,
                     "sklearn_accuracy": runs["sklearn"][0]["accuracy"],
                     "sklearn_process_cpu_s": statistics.median(r["cpu_s"]
                                                                for r in runs["sklearn"])}
    for label, src in sources.items():
        warm = statistics.median(r["wall_s"] for r in runs[label]["warm"])
        model = work / f"{label}-0.textclf"
        small = work / f"{label}-0.int8.textclf"
        textclf(src, "compress", model, "-o", small, "--bits", "8", env=caches[label])
        save_load = child([sys.executable, "-c", _SAVE_LOAD, src, str(model),
                           str(work / f"{label}-resaved.textclf"), "7"])
        summary[label] = {
            "first_run_s": runs[label]["first"]["wall_s"],
            "first_run_compilations": runs[label]["first"].get("numba_compilations"),
            "warm_runs_s": [r["wall_s"] for r in runs[label]["warm"]],
            "warm_compilations": [r.get("numba_compilations") for r in runs[label]["warm"]],
            "warm_median_s": warm,
            "warm_cpu_median_s": statistics.median(r["cpu_s"] for r in runs[label]["warm"]),
            "first_over_warm": round(runs[label]["first"]["wall_s"] / warm, 2),
            "ratio_to_sklearn_fit": round(warm / fit, 3),
            "peak_mib": max(r.get("peak_mib", 0) for r in runs[label]["warm"]),
            **json.loads(save_load["stdout"] or "{}"),
            "model_bytes": model.stat().st_size,
            "int8_bytes": small.stat().st_size,
            "int8_times_smaller": round(model.stat().st_size / small.stat().st_size, 2),
            "test_accuracy": accuracy(src, model, caches[label]),
            "int8_test_accuracy": accuracy(src, small, caches[label]),
        }
        print(label, summary[label], file=sys.stderr, flush=True)
    return {"runs": runs, "summary": summary}


def small_commands(sources: dict[str, str], data_dir: Path, repeats: int, work: Path) -> dict:
    """``textclf --help`` (CPU s) and ``predict`` of one text with a small model (wall s):
    medians of ``repeats`` after one unmeasured run."""
    summary = {}
    for label, src in sources.items():
        model = work / f"{label}-small.textclf"
        textclf(src, "train", data_dir / "sms_spam" / "train.jsonl.gz", "-o", model,
                "--quiet")
        help_runs = [textclf(src, "--help") for _ in range(repeats + 1)][1:]
        predict = ["predict", model, "--text", "Free entry: win a prize now, text WIN"]
        predict_runs = [textclf(src, *predict) for _ in range(repeats + 1)][1:]
        summary[label] = {
            "help_cpu_s": statistics.median(r["cpu_s"] for r in help_runs),
            "help_wall_s": statistics.median(r["wall_s"] for r in help_runs),
            "predict_wall_s": statistics.median(r["wall_s"] for r in predict_runs),
            "predict_cpu_s": statistics.median(r["cpu_s"] for r in predict_runs),
            "small_model_bytes": model.stat().st_size,
        }
        print(label, summary[label], file=sys.stderr, flush=True)
    return summary


def markdown(results: dict) -> str:
    """The tables for RESULTS.md."""
    imdb_part, small = results["imdb"]["summary"], results["small"]
    labels = [k for k in imdb_part if not k.startswith("sklearn_")]
    lines = [f"scikit-learn in-process fit (median): {imdb_part['sklearn_in_process_fit_s']} "
             f"s (its whole process's CPU: {imdb_part['sklearn_process_cpu_s']} s), test "
             f"accuracy {imdb_part['sklearn_accuracy']}", "",
             "| measure | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    rows = [("IMDB train, warm runs (s)", lambda s: ", ".join(map(str, s["warm_runs_s"]))),
            ("warm median ÷ scikit-learn's fit", lambda s: s["ratio_to_sklearn_fit"]),
            ("CPU s of a warm run (median)", lambda s: s["warm_cpu_median_s"]),
            ("first run, empty numba cache (s)", lambda s: s["first_run_s"]),
            ("first ÷ warm", lambda s: s["first_over_warm"]),
            ("numba compilations: first run / warm runs",
             lambda s: f"{s['first_run_compilations']} / {s['warm_compilations']}"),
            ("peak memory of a warm run (MiB)", lambda s: s["peak_mib"]),
            ("save IMDB model (s, median)", lambda s: round(s.get("save_s", float("nan")), 3)),
            ("load IMDB model (s, median)", lambda s: round(s.get("load_s", float("nan")), 3)),
            ("model file (MB)", lambda s: round(s["model_bytes"] / 1e6, 2)),
            ("--bits 8 file (MB); × smaller",
             lambda s: f"{s['int8_bytes'] / 1e6:.2f}; {s['int8_times_smaller']}"),
            ("test accuracy: model / --bits 8",
             lambda s: f"{s['test_accuracy']:.4f} / {s['int8_test_accuracy']:.4f}")]
    for name, value in rows:
        lines.append(f"| {name} | " + " | ".join(str(value(imdb_part[k])) for k in labels)
                     + " |")
    for name, key in (("textclf --help, CPU s (median)", "help_cpu_s"),
                      ("predict one text, small model, wall s (median)", "predict_wall_s"),
                      ("predict one text, CPU s (median)", "predict_cpu_s")):
        lines.append(f"| {name} | " + " | ".join(str(small[k][key]) for k in labels) + " |")
    return "\n".join(lines)


def run(data_dir: Path, sources: dict[str, str], repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="textclf-whole-") as folder:
        work = Path(folder)
        results = {"imdb": imdb(sources, data_dir, repeats, work),
                   "small": small_commands(sources, data_dir, 5, work)}
    results["markdown"] = markdown(results)
    print(results["markdown"], file=sys.stderr, flush=True)
    return results
