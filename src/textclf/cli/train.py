"""``textclf train DATA -o MODEL``: featurise, train, report on dev, save."""

from __future__ import annotations

import argparse
import sys

from textclf.cli.common import add_data_options, read_data
from textclf.corpus import available_splits
from textclf.features import WEIGHTINGS, FeatureSettings
from textclf.pipeline import TextClassifier
from textclf.train import TrainingSettings

_F = FeatureSettings()
_T = TrainingSettings()


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a classifier and save it",
        description="Train a classifier on DATA (folder tree, JSONL, CSV/TSV, fastText lines or "
        "builtin:imdb / builtin:rt) and save it to MODEL.",
    )
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write")
    add_data_options(parser)
    parser.add_argument("--dev", metavar="DATA",
                        help="dev data to report on per epoch (default: the dev split, if any)")
    features = parser.add_argument_group("features")
    features.add_argument("--ngrams", type=int, default=_F.ngrams,
                          help=f"1 = unigrams, 2 = uni+bigrams, ... (default {_F.ngrams})")
    features.add_argument("--features", choices=WEIGHTINGS, default=_F.weighting,
                          help=f"feature values (default {_F.weighting})")
    features.add_argument("--min-df", type=int, default=_F.min_df,
                          help=f"keep terms in at least this many documents (default {_F.min_df})")
    features.add_argument("--max-features", type=int, default=_F.max_features,
                          help="keep only the most frequent terms (default: all)")
    features.add_argument("--lowercase", action=argparse.BooleanOptionalAction,
                          default=_F.lowercase, help="lowercase text before tokenising")
    training = parser.add_argument_group("training")
    training.add_argument("--batch-size", type=int, default=_T.batch_size,
                          help=f"mini-batch size m (default {_T.batch_size})")
    training.add_argument("--epochs", type=int, default=_T.epochs,
                          help=f"passes over the data (default {_T.epochs})")
    training.add_argument("--eta", type=float, default=_T.eta,
                          help=f"learning rate η (default {_T.eta})")
    training.add_argument("--init", choices=("zeros", "random"), default=_T.init,
                          help=f"initial θ (default {_T.init})")
    training.add_argument("--seed", type=int, default=_T.seed,
                          help=f"seed for shuffling and initialisation (default {_T.seed})")
    training.add_argument("--checkpoint", action="store_true",
                          help="write MODEL after every epoch, so a crash keeps the last epoch")
    parser.add_argument("--top", type=int, default=10,
                        help="strongest features to print per class (default 10)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar, no per-epoch lines")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = TextClassifier(
        ngrams=args.ngrams, features=args.features, min_df=args.min_df,
        max_features=args.max_features, lowercase=args.lowercase, eta=args.eta,
        epochs=args.epochs, batch_size=args.batch_size, init=args.init, seed=args.seed,
        quiet=args.quiet,
    )
    train_corpus = read_data(args, args.data, default_split="train")
    dev_corpus = None
    if args.dev:
        dev_args = argparse.Namespace(**{**vars(args), "split": None})
        dev_corpus = read_data(dev_args, args.dev, default_split="dev")
    elif "dev" in available_splits(args.data) and args.split in (None, "train"):
        dev_corpus = read_data(argparse.Namespace(**{**vars(args), "split": "dev"}),
                               args.data, default_split="dev")
    say = print if not args.quiet else (lambda *a, **k: None)
    say(f"training on {len(train_corpus)} documents from {args.data}"
        + (f", reporting on {len(dev_corpus)} dev documents" if dev_corpus else ""),
        file=sys.stderr)

    def checkpoint(epoch: int, record: dict) -> None:
        clf.save(args.output)

    clf.fit(
        train_corpus.texts, train_corpus.labels,
        dev_corpus.texts if dev_corpus else None, dev_corpus.labels if dev_corpus else None,
        on_epoch_end=checkpoint if args.checkpoint else None,
    )
    clf.save(args.output)
    print(f"features: {clf.featurizer.n_features - 1} terms + bias; "
          f"classes: {', '.join(clf.labels)}")
    if dev_corpus is not None:
        print("\nevaluation on the dev set\n")
        print(clf.evaluate(dev_corpus.texts, dev_corpus.labels).format())
    if args.top > 0:
        print(f"\nstrongest features per class (bias b = {clf.model.bias:+.4f})")
        for label, features in clf.top_features(args.top).items():
            print(f"  {label}: " + ", ".join(f"{t} ({w:+.3f})" for t, w in features))
    print(f"\nmodel saved to {args.output}")
    return 0
