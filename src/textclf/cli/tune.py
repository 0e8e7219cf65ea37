"""``textclf tune DATA --budget SECONDS -o MODEL``: search settings, save the best model.

Trials are scored by k-fold cross-validation of the training split (``--folds``; by default
5 folds when it has fewer than 50,000 documents and no ``--dev`` is given), else on a dev
set: ``--dev DEV``, else DATA's dev split, else a stratified, seeded part of the training
data held out for the search. The test split is never read.
"""

from __future__ import annotations

import argparse
import sys
import time

from textclf.cli.common import (
    add_data_options,
    add_output_options,
    add_renamed,
    checked_output,
    read_data,
    sign_key,
)
from textclf.corpus import available_splits, hold_out
from textclf.errors import DataError, SettingsError
from textclf.features import WEIGHTINGS
from textclf.models import MODEL_KINDS
from textclf.tune import (
    DEFAULT_DEV_FRACTION,
    DEFAULT_FOLDS,
    METRICS,
    SearchSpace,
    tune,
    tune_cv,
)

CROSS_VALIDATION_LIMIT = 50_000  # documents: beyond, one held-out part is a good enough judge


def _listed(kind: type, allowed: tuple | None = None):
    """argparse type: a comma-separated list of ``kind`` values (from ``allowed`` if given)."""
    def parse(text: str) -> tuple:
        try:
            values = tuple(kind(part.strip()) for part in text.split(",") if part.strip())
        except ValueError:
            values = ()
        if not values or (allowed is not None and any(v not in allowed for v in values)):
            among = f" of {', '.join(map(str, allowed))}" if allowed is not None else ""
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list{among}, got {text!r}")
        return values
    return parse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune", help="search good settings within a time budget and save the best model",
        description="Search the learning rate, regularisation, n-gram length, feature "
        "weighting, epochs and model kind on a dev set within a time budget (as fastText's "
        "autotune does), print each trial, and save the best model with the search recorded "
        "in its metadata. The test split is never read.",
    )
    parser.add_argument("data", metavar="DATA", help="training data (its train split)")
    add_output_options(parser)
    parser.add_argument("--budget", type=float, required=True, metavar="SECONDS",
                        help="time for the whole search, featurising and training included")
    parser.add_argument("--dev", metavar="DEV",
                        help="dev data to score trials on (default: DATA's dev split, else a "
                        "held-out part of the training data)")
    parser.add_argument("--dev-fraction", type=float, default=DEFAULT_DEV_FRACTION,
                        help="part of the training data held out when there is no dev set "
                        f"(default {DEFAULT_DEV_FRACTION})")
    parser.add_argument("--folds", type=int, default=None, metavar="K",
                        help="score each trial by K-fold cross-validation of the training "
                        "data; 0: on a dev set (default: "
                        f"{DEFAULT_FOLDS} folds under {CROSS_VALIDATION_LIMIT:,} training "
                        "documents without --dev, else 0)")
    parser.add_argument("--metric", choices=METRICS, default="accuracy",
                        help="dev score to maximise (default accuracy)")
    space = SearchSpace()
    single_label_kinds = tuple(k for k, model in MODEL_KINDS.items() if not model.multi_label)
    parser.add_argument("--models", type=_listed(str, single_label_kinds), default=None,
                        help="model kinds to search, comma-separated (default: by "
                        "cross-validation the regression that fits the classes, nb, ensemble "
                        "and mlp; on a dev set the regression and mlp)")
    parser.add_argument("--ngrams", type=_listed(int), default=space.ngrams,
                        help="n-gram lengths to search (default "
                        f"{','.join(map(str, space.ngrams))})")
    parser.add_argument("--weightings", type=_listed(str, WEIGHTINGS), default=space.weightings,
                        help="feature weightings to search (default "
                        f"{','.join(space.weightings)})")
    add_renamed(parser, "--features", "--weightings", "weightings",
                type=_listed(str, WEIGHTINGS))
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the search, the held-out split and training (default 0)")
    add_data_options(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no table of trials")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()  # the budget covers reading the data and saving the model
    if not args.budget > 0:
        raise SettingsError(f"--budget must be a positive number of seconds, got {args.budget}")
    if args.split == "test":
        raise SettingsError("tune never reads the test split: choose another --split")
    checked_output(args)  # found out now, not after the whole search
    sign_key(args)
    if not 0.0 < args.dev_fraction < 1.0:
        raise SettingsError("--dev-fraction: the held-out fraction must be between 0 and 1, "
                            f"got {args.dev_fraction}")
    if args.folds is not None and (args.folds < 0 or args.folds == 1):
        raise SettingsError(f"--folds must be 0 (a dev set) or at least 2, got {args.folds}")
    if args.folds and args.dev:
        raise SettingsError("--folds scores on the training data's folds: leave out --dev "
                            "(or give --folds 0)")
    train = read_data(args, args.data, default_split="train")
    if train.multi_label:
        raise DataError(f"{args.data}: documents with zero or several labels; tune searches "
                        "single-label models (train multi-label models with textclf train: "
                        "docs/multilabel.md)")
    folds = args.folds
    if folds is None:
        small = 2 * DEFAULT_FOLDS <= len(train.texts) < CROSS_VALIDATION_LIMIT
        folds = DEFAULT_FOLDS if small and not args.dev else 0
    if folds:
        return run_cross_validated(args, train, folds, started)
    if args.dev:
        dev = read_data(argparse.Namespace(**{**vars(args), "split": None}), args.dev,
                        default_split="dev")
        dev_source = args.dev
    elif "dev" in available_splits(args.data) and args.split in (None, "train"):
        dev = read_data(argparse.Namespace(**{**vars(args), "split": "dev"}), args.data,
                        default_split="dev")
        dev_source = f"{args.data} (split dev)"
    else:
        dev = None
        dev_source = (f"{args.dev_fraction:g} of {args.data} held out "
                      f"(stratified, seed {args.seed})")
    texts, labels = train.texts, train.labels
    if dev is None:
        kept, held = hold_out(labels, args.dev_fraction, args.seed)
        dev_texts, dev_labels = [texts[i] for i in held], [labels[i] for i in held]
        texts, labels = [texts[i] for i in kept], [labels[i] for i in kept]
    else:
        dev_texts, dev_labels = dev.texts, dev.labels
    out = None if args.quiet else sys.stdout
    if out is not None:
        print(f"tuning on {len(texts)} documents from {args.data}, scoring on "
              f"{len(dev_texts)} dev documents from {dev_source}, budget {args.budget:g} s",
              file=out, flush=True)
    result = tune(texts, labels, dev_texts, dev_labels, args.budget, space=search_space(args),
                  metric=args.metric, seed=args.seed, out=out, started=started)
    result.metadata["train"] = {"data": args.data, "documents": len(texts)}
    result.metadata["dev"] = {"source": dev_source, "documents": len(dev_texts)}
    result.classifier.save(args.output, sign_key(args))
    best = result.best
    print(f"best: trial {best.number}: {described(best)}; dev {result.metric} {best.score:.4f}")
    print(f"{len(result.trials)} trials; model saved to {args.output} "
          f"({time.perf_counter() - started:.1f} s in all)")
    return 0


def search_space(args: argparse.Namespace) -> SearchSpace:
    space = SearchSpace(ngrams=args.ngrams, weightings=args.weightings)
    if args.models is not None:
        space.models = args.models
    return space


def described(trial) -> str:
    chars = "none" if trial.char_ngrams is None else "{}-{}".format(*trial.char_ngrams)
    return (f"model {trial.model}, ngrams {trial.ngrams}, char n-grams {chars}, weighting "
            f"{trial.weighting}, eta {trial.eta:.4g}, l2 {trial.l2:.3g}, epochs "
            f"{trial.max_epochs}")


def run_cross_validated(args: argparse.Namespace, train, folds: int, started: float) -> int:
    """Trials scored by ``folds``-fold cross-validation of DATA's training split."""
    out = None if args.quiet else sys.stdout
    if out is not None:
        print(f"tuning on {len(train.texts)} documents from {args.data} by {folds}-fold "
              f"cross-validation (stratified, seed {args.seed}), budget {args.budget:g} s",
              file=out, flush=True)
    result = tune_cv(train.texts, train.labels, args.budget, folds=folds,
                     space=search_space(args), metric=args.metric, seed=args.seed, out=out,
                     started=started)
    result.metadata["train"] = {"data": args.data, "documents": len(train.texts)}
    result.classifier.save(args.output, sign_key(args))
    best, default = result.best, result.trials[0]
    kept = "the defaults (nothing beat them by more than the standard error)" \
        if best is default else f"trial {best.number}"
    print(f"chosen: {kept}: {described(best)}; {folds}-fold {result.metric} "
          f"{best.score:.4f} (defaults {default.score:.4f}); trained on all "
          f"{len(train.texts)} documents")
    print(f"{len(result.trials)} trials; model saved to {args.output} "
          f"({time.perf_counter() - started:.1f} s in all)")
    return 0
