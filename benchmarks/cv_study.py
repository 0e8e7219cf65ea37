"""Cross-validation of TextClassifier settings on a corpus's train split, and of averages
of their probabilities: the study behind issue 24's choices (docs/models.md).

Every setting is fitted on k − 1 stratified, seeded folds of the train split (never the
test split; the folds of ``textclf tune``) and its held-out probabilities of the k-th fold
are cached (``--cache``), so that an average of several settings' probabilities (an
ensemble of models featurised apart) is scored without fitting again. A setting is a JSON
object of TextClassifier arguments; ``"betas": [...]`` also scores Wang and Manning's
interpolation of that one trained model for each β (``SETTING#beta0.5`` names it).

    python benchmarks/cv_study.py --corpus mr --folds 5 \\
        --fit '{}' '{"ngrams": 3}' '{"model": "nb"}' \\
        --compare '{}' '{"ngrams": 3}' '{} + {"model": "nb"}'

prints, per compared setting, its mean accuracy and the fold-by-fold difference from the
first one (mean, folds better/worse, and t with Nadeau and Bengio's correction).
Corpora: the shared ones by name, imdb (builtin:imdb), goemo1 (the GoEmotions comments
with one emotion, 28 classes).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from textclf import TextClassifier, read_corpus
from textclf.corpus import stratified_folds
from textclf.features.weighting import interpolate

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def train_split(corpus: str) -> tuple[list[str], list[str]]:
    """The texts and labels of a corpus's train split (never its test split)."""
    if corpus == "imdb":
        split = read_corpus("builtin:imdb", split="train")
        return split.texts, split.labels
    if corpus == "goemo1":
        with gzip.open(DATASETS / "goemotions" / "train.jsonl.gz", "rt") as handle:
            rows = [json.loads(line) for line in handle]
        rows = [r for r in rows if len(r["labels"]) == 1]
        return [r["text"] for r in rows], [str(r["labels"][0]) for r in rows]
    split = read_corpus(DATASETS / corpus / "train.jsonl.gz")
    return split.texts, split.labels


def cached(cache: Path, corpus: str, k: int, fold: int, setting: dict) -> Path:
    digest = hashlib.sha1(json.dumps([corpus, k, fold, setting], sort_keys=True).encode())
    return cache / f"{digest.hexdigest()[:16]}.npz"


def fit_folds(corpus: str, k: int, settings: list[dict], cache: Path) -> None:
    """Fit every setting on every fold (those not cached yet)."""
    texts, labels = train_split(corpus)
    folds = stratified_folds(labels, k, 0)
    names = sorted(set(labels))
    y = np.array([names.index(label) for label in labels])
    cache.mkdir(parents=True, exist_ok=True)
    for fold in range(k):
        held = folds == fold
        rest, test = np.flatnonzero(~held), np.flatnonzero(held)
        np.save(cache / f"{corpus}-k{k}-f{fold}-y.npy", y[test])
        for setting in settings:
            out = cached(cache, corpus, k, fold, setting)
            if out.exists():
                continue
            betas = setting.get("betas", [])
            arguments = {"seed": 0, **{k_: v for k_, v in setting.items() if k_ != "betas"}}
            started = time.perf_counter()
            clf = TextClassifier(**arguments).fit([texts[i] for i in rest],
                                                  [labels[i] for i in rest])
            seconds = time.perf_counter() - started
            X = clf.transform([texts[i] for i in test])
            saved = {"p": clf.model.predict_proba(X), "fit_s": seconds}
            theta = clf.model.theta[:-1].copy()
            for beta in betas:
                clf.model.theta[:-1] = interpolate(theta, beta)
                saved[f"beta{beta:g}"] = clf.model.predict_proba(X)
            np.savez(out, **saved)
            accuracy = float(np.mean(saved["p"].argmax(axis=1) == y[test]))
            print(f"{corpus} fold {fold + 1}/{k} {json.dumps(setting)}: {accuracy:.4f} "
                  f"({seconds:.1f} s)", flush=True)


def fold_accuracies(corpus: str, k: int, spec: str, cache: Path) -> np.ndarray:
    """Accuracy on each fold of ``spec``: a setting (JSON, optionally ``#betaB``) or an
    average of several joined by `` + ``."""
    scores = []
    for fold in range(k):
        y = np.load(cache / f"{corpus}-k{k}-f{fold}-y.npy")
        probabilities = []
        for part in spec.split(" + "):
            setting, _, key = part.partition("#")
            stored = np.load(cached(cache, corpus, k, fold, json.loads(setting)))
            probabilities.append(stored[key or "p"])
        scores.append(float(np.mean(np.mean(probabilities, axis=0).argmax(axis=1) == y)))
    return np.array(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fit", nargs="*", default=[], metavar="SETTING")
    parser.add_argument("--compare", nargs="*", default=[], metavar="SPEC")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/textclf-cv-study"))
    args = parser.parse_args()
    fit_folds(args.corpus, args.folds, [json.loads(s) for s in args.fit], args.cache)
    if not args.compare:
        return
    k = args.folds
    base = fold_accuracies(args.corpus, k, args.compare[0], args.cache)
    print(f"\n{args.corpus}, {k}-fold cross-validation of the train split (seed 0)")
    for spec in args.compare:
        a = fold_accuracies(args.corpus, k, spec, args.cache)
        d = a - base
        sd = d.std(ddof=1)
        t = d.mean() / np.sqrt((1 / k + 1 / (k - 1)) * sd**2) if sd > 0 else 0.0
        print(f"{a.mean():.4f}  Δ {d.mean():+.4f} ± {sd:.4f}  t {t:+.1f}  "
              f"{int((d > 0).sum())}/{int((d < 0).sum())}  {spec}")


if __name__ == "__main__":
    main()
