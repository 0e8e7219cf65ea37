"""Speed and memory of textclf's fast paths, side by side with the peers, in one run.

Measures (see docs/speed.md and benchmarks/results-fast.md):

* ``featurize``: documents per second of ``Featurizer.fit_transform`` (counts of uni- and
  bigrams, min_df 1) against scikit-learn ``CountVectorizer(ngram_range=(1, 2))`` with the
  same token pattern and lowercasing, and that the two give the same counts (a sample);
  serial and with ``jobs=2``.
* ``epochs``: seconds per training epoch (the sparse SGD path) as trigrams are added:
  |F| grows far more than nnz, and the epoch time follows nnz.
* ``predict``: documents per second, raw text to labels, on short documents (~20
  tokens), against fastText's ``predict`` on the same texts (trained on the same corpus).
* ``memory``: peak RSS of a fresh process fitting with the default settings, against
  2 × (raw text + CSR matrix).
* ``whole``: whole processes (:mod:`whole_process`): ``textclf train builtin:imdb`` against
  scikit-learn's in-process fit, a first run on an empty numba cache, ``--help``,
  ``predict`` of one text, saving, loading and compressing the IMDB model; ``--src`` runs
  them for several source trees in the same run (before and after a change).
* ``multicore``: many cores (:mod:`multicore`): IMDB against scikit-learn and fastText with
  all their threads, and a generated corpus of ``--docs`` documents hashed with all cores
  and with one (``benchmarks/devrun.sh`` prepares and runs it on another machine).

Every measurement of one invocation runs on the same machine state, one after the other;
ratios are what count. Usage::

    python benchmarks/speed.py --data-dir /tmp/bench-data --json /tmp/speed.json
    python benchmarks/speed.py --data-dir /tmp/bench-data --only whole \
        --src before=/tmp/textclf-before/src after=src --json /tmp/whole.json

(``benchmarks/export_imdb.py`` writes the IMDB folder; ``--harness`` is the folder of the
harness's ``peers.py`` and ``corpora.py``, by default this file's folder.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _clock():
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def timed(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process and its children)."""
    wall0, cpu0 = _clock()
    result = function(*args, **kwargs)
    wall1, cpu1 = _clock()
    return result, wall1 - wall0, cpu1 - cpu0


def load(data_dir: Path, name: str):
    from corpora import load_corpus

    return load_corpus(data_dir, name)


# ----------------------------------------------------------------------------- featurize
def featurize(data_dir: Path, corpora: list[str]) -> list[dict]:
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from textclf.features import Featurizer
    from textclf.features.tokens import DEFAULT_TOKEN_PATTERN, SKLEARN_TOKEN_PATTERN

    rows = []
    for name in corpora:
        texts = load(data_dir, name).train.texts
        for pattern, label in ((DEFAULT_TOKEN_PATTERN, "textclf's"),
                               (SKLEARN_TOKEN_PATTERN, "scikit-learn's")):
            vectorizer = CountVectorizer(ngram_range=(1, 2), token_pattern=pattern)
            expected, sk_wall, sk_cpu = timed(vectorizer.fit_transform, texts)
            row = {"corpus": name, "token_pattern": label, "documents": len(texts),
                   "sklearn_wall_s": sk_wall, "sklearn_cpu_s": sk_cpu}
            for jobs in (1, 2):
                featurizer = Featurizer(ngrams=2, weighting="count", min_df=1, jobs=jobs,
                                        token_pattern=pattern)
                X, wall, cpu = timed(featurizer.fit_transform, texts)
                row[f"textclf_jobs{jobs}_wall_s"] = wall
                row[f"textclf_jobs{jobs}_cpu_s"] = cpu
                if jobs == 1:
                    first = X
                else:
                    row["jobs2_identical"] = bool(
                        np.array_equal(first.indices, X.indices)
                        and np.array_equal(first.data, X.data)
                        and np.array_equal(first.indptr, X.indptr))
            # the same counts: whole vocabulary, and every count of a sample of rows
            same_terms = featurizer.terms == list(vectorizer.get_feature_names_out())
            sample = np.random.default_rng(0).choice(len(texts), size=min(2000, len(texts)),
                                                     replace=False)
            row["same_counts_on_sample"] = bool(
                same_terms and (first[sample][:, :-1] != expected[sample]).nnz == 0)
            row["sample_rows"] = len(sample)
            row["speedup_serial_wall"] = sk_wall / row["textclf_jobs1_wall_s"]
            row["speedup_jobs2_wall"] = sk_wall / row["textclf_jobs2_wall_s"]
            row["speedup_serial_cpu"] = sk_cpu / row["textclf_jobs1_cpu_s"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


# -------------------------------------------------------------------------------- epochs
def epochs(data_dir: Path, corpus: str) -> list[dict]:
    import contextlib

    import numpy as np

    from textclf.core import jit
    from textclf.features import Featurizer
    from textclf.models import LogisticRegression, SoftmaxRegression
    from textclf.training import TrainingSettings, train

    data = load(data_dir, corpus)
    labels = sorted(set(data.train.labels))
    y = np.asarray([labels.index(label) for label in data.train.labels])
    rows = []
    for n in (1, 2, 3):
        X = Featurizer(ngrams=n).fit_transform(data.train.texts)
        # compiled: the numba epoch; numpy: the same sparse steps in numpy; plain: the loop
        for name, engine in (("compiled", "auto"), ("numpy", "auto"), ("plain", "plain")):
            model = LogisticRegression(X.shape[1]) if len(labels) == 2 \
                else SoftmaxRegression(X.shape[1], len(labels))
            settings = TrainingSettings(eta=1.0, epochs=1 if name == "plain" else 3)
            switch = jit.disabled() if name == "numpy" else contextlib.nullcontext()
            started = time.process_time()
            with switch:
                history = train(model, X, y, settings, engine=engine)
            cpu = (time.process_time() - started) / settings.epochs
            seconds = float(np.median([h["train_seconds"] for h in history]))
            row = {"corpus": corpus, "ngrams": n, "features": X.shape[1], "nnz": X.nnz,
                   "engine": name, "epoch_wall_s": seconds, "epoch_cpu_s": cpu,
                   "ns_per_nnz_cpu": 1e9 * cpu / X.nnz}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


# ------------------------------------------------------------------------------- predict
def predict(data_dir: Path, corpus: str, short: str, n_docs: int,
            fasttext_epochs: int) -> list[dict]:
    import numpy as np
    from peers import make_system

    from textclf import TextClassifier

    data = load(data_dir, corpus)
    sentences = load(data_dir, short).train.texts
    texts = (sentences * (n_docs // len(sentences) + 1))[:n_docs]
    tokens = float(np.mean([len(t.split()) for t in texts[:5000]]))
    rows = []
    clf = TextClassifier(seed=0).fit(data.train.texts, data.train.labels)
    clf.predict(texts[:100])  # build the lookup tables outside the clock
    for jobs in (1, 2):
        clf.featurizer.jobs = jobs
        _, wall, cpu = timed(clf.predict, texts)
        rows.append({"system": f"textclf (jobs={jobs})", "documents": len(texts),
                     "mean_whitespace_tokens": tokens, "wall_s": wall, "cpu_s": cpu,
                     "docs_per_s": len(texts) / wall})
    # fastText's predict speed depends on its model's size (dim, buckets, vocabulary),
    # not on how many epochs trained it: fewer epochs here save minutes
    peer = make_system("fasttext", corpus, {"epoch": fasttext_epochs})
    peer.fit(data.train.texts, data.train.labels)
    peer.predict(texts[:100])
    _, wall, cpu = timed(peer.predict, texts)
    rows.append({"system": "fastText predict (harness: tokenise + predict list)",
                 "documents": len(texts), "wall_s": wall, "cpu_s": cpu,
                 "docs_per_s": len(texts) / wall})
    from peers import _one_line

    lines = [_one_line(t) for t in texts]
    _, wall, cpu = timed(peer.model.predict, lines, k=1)
    rows.append({"system": "fastText predict (pre-tokenised lines, its C++ only)",
                 "documents": len(texts), "wall_s": wall, "cpu_s": cpu,
                 "docs_per_s": len(texts) / wall})
    for row in rows:
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


# -------------------------------------------------------------------------------- memory
_MEMORY_CHILD = r"""
import json, sys, time
sys.path.insert(0, {harness!r})
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
import numpy, scipy.sparse, textclf
from textclf import TextClassifier
from corpora import read_jsonl_gz, shuffled
from pathlib import Path
if {kernels_first!r}:  # load numba and the compiled kernels before the baseline
    TextClassifier(seed=0).fit(["a b c", "b c d", "c d e", "d e f"], ["x", "y", "x", "y"])
baseline = status("VmRSS")
# only the train split: the dev and test texts are not the fit's to hold
train = shuffled(read_jsonl_gz(Path({data_dir!r}) / {corpus!r} / "train.jsonl.gz"))
texts, labels = train.texts, train.labels
loaded = status("VmRSS")
clf = TextClassifier(seed=0, **{options})
clf.fit(texts, labels)
peak = status("VmHWM")
X = clf.transform(texts)
print(json.dumps({{"baseline_mib": baseline, "after_loading_mib": loaded, "peak_mib": peak,
    "text_mib": sum(len(t.encode()) for t in texts) / 2**20,
    "csr_mib": (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20}}))
"""


# (label, TEXTCLF_NO_JIT, load the kernels before the baseline, TextClassifier options)
MEMORY_MODES = (
    ("compiled kernels, loaded inside the fit", "0", False, {}),
    ("compiled kernels, loaded before the baseline", "0", True, {}),
    ("compiled kernels, loaded before the baseline, float32", "0", True, {"float32": True}),
    ("numpy paths (TEXTCLF_NO_JIT=1)", "1", False, {}),
)


def memory(data_dir: Path, corpora: list[str], harness: Path) -> list[dict]:
    rows = []
    for name in corpora:
        for label, no_jit, kernels_first, options in MEMORY_MODES:
            code = _MEMORY_CHILD.format(harness=str(harness), data_dir=str(data_dir),
                                        corpus=name, options=repr(options),
                                        kernels_first=kernels_first)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True, env={**os.environ, "TEXTCLF_NO_JIT": no_jit})
            row = {"corpus": name, "mode": label, "options": options,
                   **json.loads(out.stdout)}
            row["budget_mib"] = 2 * (row["text_mib"] + row["csr_mib"])
            row["fit_peak_above_baseline_mib"] = row["peak_mib"] - row["baseline_mib"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--harness", type=Path, default=HERE,
                        help="folder of the harness's corpora.py and peers.py")
    parser.add_argument("--corpus", nargs="+", default=["imdb", "news20"])
    parser.add_argument("--short", default="mr", help="corpus of short documents to predict")
    parser.add_argument("--predict-docs", type=int, default=100_000)
    parser.add_argument("--fasttext-epochs", type=int, default=5,
                        help="epochs of the fastText model whose predict is timed")
    parser.add_argument("--only", nargs="+",
                        choices=["featurize", "epochs", "predict", "memory", "whole",
                                 "multicore"],
                        default=["featurize", "epochs", "predict", "memory"])
    parser.add_argument("--src", nargs="+", default=[f"this={HERE.parent / 'src'}"],
                        metavar="LABEL=PATH",
                        help="whole: the source trees to measure, side by side")
    parser.add_argument("--repeats", type=int, default=3,
                        help="whole, multicore: warm IMDB runs per system, alternating")
    parser.add_argument("--docs", type=int, default=200_000,
                        help="multicore: documents of the generated corpus")
    parser.add_argument("--parts", nargs="+", default=["imdb", "hashed"],
                        choices=["imdb", "hashed"], help="multicore: which parts to run")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(args.harness))
    results: dict = {"command": " ".join(sys.argv), "started": time.ctime()}
    if "featurize" in args.only:
        results["featurize"] = featurize(args.data_dir, args.corpus)
    if "epochs" in args.only:
        results["epochs"] = [r for c in args.corpus for r in epochs(args.data_dir, c)]
    if "predict" in args.only:
        results["predict"] = predict(args.data_dir, args.corpus[0], args.short,
                                     args.predict_docs, args.fasttext_epochs)
    if "memory" in args.only:
        results["memory"] = memory(args.data_dir, args.corpus, args.harness)
    if "whole" in args.only:
        from whole_process import run

        sources = dict(item.split("=", 1) for item in args.src)
        results["whole"] = run(args.data_dir, {k: str(Path(v).resolve())
                                               for k, v in sources.items()}, args.repeats)
    if "multicore" in args.only:
        import multicore

        sources = dict(item.split("=", 1) for item in args.src)
        results["multicore"] = multicore.run(args.data_dir, {k: str(Path(v).resolve())
                                                             for k, v in sources.items()},
                                             args.repeats, args.docs, args.parts)
    results["finished"] = time.ctime()
    text = json.dumps(results, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
