"""Every core (issue 22, targets 1–3): one run on a many-core machine, textclf beside its peers.

* ``imdb``: ``textclf train DATA/imdb/train.jsonl.gz`` with the defaults, whole process: a
  first run on an empty numba cache, then ``--repeats`` warm runs, alternating with
  scikit-learn's in-process fit (:mod:`whole_process`) and fastText's (bigrams, 5 epochs,
  all threads; in-process fit from its script's start, writing its training file included);
  each with its test accuracy and numba's compilations per textclf run.
* ``hashed``: ``--docs`` documents made from the IMDB training reviews (2–4 consecutive
  sentences of one review and one sentence of another of the same label), hashed 2^20
  bigrams, tf-idf, 5 epochs: one process with all cores (the default ``--jobs``) and with
  ``--jobs 1``, for each source tree of ``--src`` (alternating), beside scikit-learn's
  HashingVectorizer + TfidfTransformer + SGDClassifier (log loss, 5 epochs).

Usage (``benchmarks/devrun.sh`` prepares what a machine without internet needs)::

    python benchmarks/speed.py --data-dir DATA --only multicore --docs 200000 --json out.json
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

from whole_process import _SKLEARN, child, textclf

# fastText as a user runs it; prints 'acc X fit_s Y' (fit: from the script's start)
_FASTTEXT = r"""
import gzip, json, os, sys, tempfile, time
t0 = time.perf_counter()
import fasttext
def rows(path):
    return [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
train = os.path.join(tempfile.mkdtemp(), "train.txt")
with open(train, "w", encoding="utf-8") as out:
    for r in rows(sys.argv[1] + "/train.jsonl.gz"):
        out.write(f"__label__{r['label']} " + " ".join(r["text"].split()) + "\n")
model = fasttext.train_supervised(train, wordNgrams=2, epoch=5, lr=0.5, verbose=0,
                                  thread=os.cpu_count())
fit = time.perf_counter() - t0
test = rows(sys.argv[1] + "/test.jsonl.gz")
labels = model.predict([" ".join(r["text"].split()) for r in test])[0]
acc = sum(p[0] == "__label__" + r["label"] for p, r in zip(labels, test)) / len(test)
print(f"acc {acc:.4f} fit_s {fit:.2f}")
"""

# scikit-learn for a big corpus as a user writes it; prints 'acc X fit_s Y'
_SKLEARN_HASHED = r"""
import gzip, json, sys, time
t0 = time.perf_counter()
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
hashing = HashingVectorizer(n_features=2**20, ngram_range=(1, 2), alternate_sign=False,
                            norm=None)
tfidf = TfidfTransformer(sublinear_tf=True)
X = tfidf.fit_transform(hashing.transform([r["text"] for r in rows]))
model = SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=5, tol=None)
model.fit(X, [r["label"] for r in rows])
fit = time.perf_counter() - t0
test = [json.loads(line) for line in gzip.open(sys.argv[2], "rt", encoding="utf-8")]
predicted = model.predict(tfidf.transform(hashing.transform([r["text"] for r in test])))
acc = (predicted == [r["label"] for r in test]).mean()
print(f"acc {acc:.4f} fit_s {fit:.2f}")
"""

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
HASHED = ["--hash-bits", "20", "--features", "tfidf", "--char-ngrams", "none", "--ngrams",
          "2", "--epochs", "5", "--quiet"]


def make_documents(train: Path, n: int, out: Path, seed: int = 0) -> Path:
    """``n`` labelled documents in one JSONL file: each 2–4 consecutive sentences of a
    training review and one sentence of another review of the same label."""
    by_label: dict[str, list[list[str]]] = {}
    with gzip.open(train, "rt", encoding="utf-8") as reviews:
        for line in reviews:
            row = json.loads(line)
            by_label.setdefault(row["label"], []).append(SENTENCE_END.split(row["text"]))
    rng, labels = random.Random(seed), sorted(by_label)
    with open(out, "w", encoding="utf-8") as handle:
        for i in range(n):
            label = labels[i % len(labels)]
            one, other = rng.choice(by_label[label]), rng.choice(by_label[label])
            k = rng.randint(2, 4)
            start = rng.randrange(max(1, len(one) - k + 1))
            text = " ".join([*one[start : start + k], rng.choice(other)])
            handle.write(json.dumps({"text": text, "label": label}) + "\n")
    return out


def peer(script: str, *args: str) -> dict:
    """A peer's run: wall seconds of its process, its accuracy and in-process fit."""
    out = child([sys.executable, "-c", script, *args])
    fields = out["stdout"].split()
    if out["rc"] == 0 and len(fields) >= 4:
        out.update(accuracy=float(fields[1]), in_process_fit_s=float(fields[3]))
    return out


def accuracy(src: str, model: Path, test: Path, env: dict) -> float | None:
    out = textclf(src, "test", model, test, "--json", env=env)
    return json.loads(out["stdout"])["accuracy"] if out["rc"] == 0 else None


def imdb(src: str, data: Path, repeats: int, work: Path) -> dict:
    env = {"NUMBA_CACHE_DIR": str(work / "numba")}
    train, test = data / "train.jsonl.gz", data / "test.jsonl.gz"
    runs: dict = {"first": textclf(src, "train", train, "-o", work / "first.textclf",
                                   "--quiet", env=env),
                  "warm": [], "sklearn": [], "fasttext": []}
    for i in range(repeats):
        runs["sklearn"].append(peer(_SKLEARN, str(data)))
        runs["warm"].append(textclf(src, "train", train, "-o", work / f"warm{i}.textclf",
                                    "--quiet", env=env))
        runs["fasttext"].append(peer(_FASTTEXT, str(data)))
    warm = statistics.median(r["wall_s"] for r in runs["warm"])
    fits = {name: [r.get("in_process_fit_s") for r in runs[name]]
            for name in ("sklearn", "fasttext")}
    medians = {name: statistics.median(v) if all(x is not None for x in v) else None
               for name, v in fits.items()}
    return {"runs": runs, "summary": {
        "textclf_first_s": runs["first"]["wall_s"],
        "textclf_warm_s": [r["wall_s"] for r in runs["warm"]],
        "first_over_warm": round(runs["first"]["wall_s"] / warm, 2),
        "compilations_first_warm": [runs["first"].get("numba_compilations"),
                                    [r.get("numba_compilations") for r in runs["warm"]]],
        "textclf_accuracy": accuracy(src, work / "warm0.textclf", test, env),
        "sklearn_fit_s": fits["sklearn"], "fasttext_fit_s": fits["fasttext"],
        "sklearn_accuracy": runs["sklearn"][0].get("accuracy"),
        "fasttext_accuracy": runs["fasttext"][0].get("accuracy"),
        "warm_over_sklearn": medians["sklearn"] and round(warm / medians["sklearn"], 3),
        "warm_over_fasttext": medians["fasttext"] and round(warm / medians["fasttext"], 3),
    }}


def hashed(sources: dict[str, str], data: Path, docs: int, repeats: int, work: Path) -> dict:
    """The generated corpus hashed by each source tree with all cores and with one
    (``repeats`` rounds, alternating, after one unmeasured run that fills numba's cache),
    and by scikit-learn."""
    corpus = make_documents(data / "train.jsonl.gz", docs, work / "generated.jsonl")
    test = data / "test.jsonl.gz"
    runs: dict = {label: {"all_cores": [], "jobs_1": []} for label in sources}
    envs = {label: {"NUMBA_CACHE_DIR": str(work / f"numba-{label}")} for label in sources}
    for label, src in sources.items():
        textclf(src, "train", corpus, *HASHED, "-o", work / "warmup.textclf", env=envs[label])
    for _ in range(repeats):
        for label, src in sources.items():
            for name, extra in (("all_cores", []), ("jobs_1", ["--jobs", "1"])):
                runs[label][name].append(textclf(src, "train", corpus, *HASHED, *extra, "-o",
                                                 work / f"{label}-{name}.textclf",
                                                 env=envs[label]))
    runs["sklearn"] = peer(_SKLEARN_HASHED, str(corpus), str(test))
    fit = runs["sklearn"].get("in_process_fit_s")
    summary: dict = {"documents": docs, "sklearn_fit_s": fit,
                     "sklearn_accuracy": runs["sklearn"].get("accuracy")}
    for label, src in sources.items():
        wall = {name: statistics.median(r["wall_s"] for r in runs[label][name])
                for name in ("all_cores", "jobs_1")}
        summary[label] = {
            "all_cores_s": [r["wall_s"] for r in runs[label]["all_cores"]],
            "jobs_1_s": [r["wall_s"] for r in runs[label]["jobs_1"]],
            "cpu_s": {name: [r["cpu_s"] for r in runs[label][name]]
                      for name in ("all_cores", "jobs_1")},
            "speedup_over_jobs_1": round(wall["jobs_1"] / wall["all_cores"], 2),
            "sklearn_over_all_cores": fit and round(fit / wall["all_cores"], 2),
            "accuracy": [accuracy(src, work / f"{label}-{name}.textclf", test, envs[label])
                         for name in ("all_cores", "jobs_1")],
            "peak_mib": {name: max(r.get("peak_mib", 0) for r in runs[label][name])
                         for name in ("all_cores", "jobs_1")},
        }
    return {"runs": runs, "summary": summary}


def run(data_dir: Path, sources: dict[str, str], repeats: int, docs: int,
        parts: list[str]) -> dict:
    """The parts asked for: ``imdb`` for the first source tree, ``hashed`` for each."""
    data = data_dir / "imdb"
    results = {}
    with tempfile.TemporaryDirectory(prefix="textclf-multicore-") as folder:
        work = Path(folder)
        if "imdb" in parts:
            results["imdb"] = imdb(next(iter(sources.values())), data, repeats, work)
            print(json.dumps(results["imdb"]["summary"]), file=sys.stderr, flush=True)
        if "hashed" in parts:
            results["hashed"] = hashed(sources, data, docs, repeats, work)
            print(json.dumps(results["hashed"]["summary"]), file=sys.stderr, flush=True)
    return results
