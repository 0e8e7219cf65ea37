"""``textclf train DATA -o MODEL``: featurise, train, report on dev, save."""

from __future__ import annotations

import argparse
import sys

from textclf.cli.common import add_data_options, read_data
from textclf.corpus import available_splits, iter_documents
from textclf.errors import SettingsError
from textclf.features import WEIGHTINGS, FeatureSettings
from textclf.models import FeedForwardNetwork, LogisticRegression, Model
from textclf.models.layers import ACTIVATIONS
from textclf.optim import OPTIMIZERS, SCHEDULES
from textclf.pipeline import DEFAULT_DROPOUT, DEFAULT_HIDDEN, MODEL_CHOICES, TextClassifier
from textclf.train import MODEL_DEFAULTS, best_epoch

_F = FeatureSettings()


def describe(model: Model) -> str:
    """One line naming the model and its shape."""
    if isinstance(model, FeedForwardNetwork):
        sizes = " → ".join(map(str, [model.n_features, *model.hidden, model.n_outputs]))
        return (f"mlp {sizes} ({model.activation}, dropout {model.dropout}, "
                f"{'sigmoid' if model.n_outputs == 1 else 'softmax'} output)")
    return model.kind


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
    features.add_argument("--hash-bits", type=int, metavar="B",
                          help="hash n-grams into 2^B columns instead of learning a vocabulary "
                          "(no vocabulary pass; needed by --stream)")
    speed = parser.add_argument_group("speed and memory (docs/speed.md)")
    speed.add_argument("--stream", action="store_true",
                       help="read DATA from disk chunk by chunk in every epoch instead of "
                       "holding it in memory (needs --hash-bits)")
    speed.add_argument("--chunk-docs", type=int, default=2048, metavar="N",
                       help="documents per chunk with --stream (default 2048)")
    speed.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="workers that featurise in parallel (same result; default: one "
                       "thread per core with the compiled kernels of textclf[fast], else 1)")
    speed.add_argument("--float32", action="store_true",
                       help="feature values in float32 (8 bytes per non-zero of X instead of 12), "
                       "and θ of logistic/softmax regression with SGD (half its memory)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=MODEL_CHOICES, default="auto",
                       help="logistic (2 classes), softmax (K classes), mlp (feedforward "
                       "network); auto: logistic for 2 classes, softmax for more "
                       "(default auto)")
    model.add_argument("--hidden", default=",".join(map(str, DEFAULT_HIDDEN)),
                       help="mlp hidden layer sizes, e.g. 256 or 256,64 "
                       f"(default {','.join(map(str, DEFAULT_HIDDEN))})")
    model.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                       help="mlp hidden activation (default relu)")
    model.add_argument("--dropout", type=float, default=DEFAULT_DROPOUT,
                       help=f"mlp dropout probability in [0, 1) (default {DEFAULT_DROPOUT})")
    training = parser.add_argument_group(
        "training", "Left out, each setting takes its model's default: "
        + "; ".join(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in defaults.items())
                    for kind, defaults in MODEL_DEFAULTS.items()))
    training.add_argument("--batch-size", type=int, help="mini-batch size m")
    training.add_argument("--epochs", type=int, help="passes over the data")
    training.add_argument("--eta", type=float, help="learning rate η (the first, with a schedule)")
    training.add_argument("--optimizer", choices=OPTIMIZERS,
                          help="sgd (θ ← θ − η∇), momentum or adam")
    training.add_argument("--momentum", type=float, help="momentum μ (default 0.9)")
    training.add_argument("--schedule", choices=SCHEDULES,
                          help="learning rate over the steps: constant, invtime "
                          "(η/(1 + decay·epochs done)) or linear (down to 0)")
    training.add_argument("--decay", type=float, help="decay of the invtime schedule per epoch")
    training.add_argument("--l2", "--weight-decay", dest="l2", type=float,
                          help="L2 penalty (λ/2)‖w‖² on the weights, bias excluded "
                          "(weight decay for mlp; default 0)")
    training.add_argument("--l1", type=float,
                          help="L1 penalty λ‖w‖₁ on the weights, bias excluded (default 0)")
    training.add_argument("--patience", type=int,
                          help="early stopping: stop after this many epochs without a lower "
                          "dev loss and keep the best epoch (needs dev data)")
    training.add_argument("--bias-rate", type=float,
                          help="the bias's learning rate as a fraction of η (SGD, momentum)")
    training.add_argument("--init", choices=("zeros", "random"),
                          help="initial θ of logistic/softmax (default zeros)")
    training.add_argument("--seed", type=int,
                          help="seed for shuffling, initialisation and dropout (default 0)")
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
        model=args.model, hidden=args.hidden, activation=args.activation,
        dropout=args.dropout, optimizer=args.optimizer, momentum=args.momentum,
        schedule=args.schedule, decay=args.decay, l2=args.l2, l1=args.l1,
        patience=args.patience, bias_rate=args.bias_rate, quiet=args.quiet,
        hash_bits=args.hash_bits, jobs=args.jobs, float32=args.float32,
    )
    if args.stream:
        return _run_stream(args, clf)
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
    _print_summary(clf)
    best = best_epoch(clf.history)
    if best is not None and best != clf.history[-1]["epoch"]:
        print(f"early stopping kept epoch {best} of {clf.history[-1]['epoch']} "
              "(lowest dev loss)")
    if dev_corpus is not None:
        print("\nevaluation on the dev set\n")
        print(clf.evaluate(dev_corpus.texts, dev_corpus.labels).format())
    if args.top > 0:
        bias = (f" (bias b = {clf.model.bias:+.4f})"
                if isinstance(clf.model, LogisticRegression) else "")
        print(f"\nstrongest features per class{bias}")
        for label, features in clf.top_features(args.top).items():
            print(f"  {label}: " + ", ".join(f"{t} ({w:+.3f})" for t, w in features))
    print(f"\nmodel saved to {args.output}")
    return 0


def _print_summary(clf: TextClassifier) -> None:
    what = f"{clf.featurizer.n_features - 1} terms"
    collisions = getattr(clf.featurizer, "collisions", None)
    if collisions is not None:
        what = (f"2^{clf.featurizer.bits} hashed columns ({collisions.count} of them hold "
                "2 or more distinct n-grams)")
    print(f"model: {describe(clf.model)}; features: {what} + bias; "
          f"classes: {', '.join(clf.labels)}")


def _run_stream(args: argparse.Namespace, clf: TextClassifier) -> int:
    """``--stream``: train from DATA read chunk by chunk, pass after pass."""
    from textclf.stream import fit_stream

    if args.hash_bits is None:
        raise SettingsError("--stream needs --hash-bits (hashed features need no vocabulary)")
    if args.chunk_docs < 1:
        raise SettingsError(f"--chunk-docs must be at least 1, got {args.chunk_docs}")
    split = args.split or ("train" if "train" in available_splits(args.data) else None)

    def open_documents():
        return iter_documents(args.data, split, args.format, args.text_field,
                              args.label_field)

    dev_corpus = None
    if args.dev:
        dev_corpus = read_data(argparse.Namespace(**{**vars(args), "split": None}), args.dev,
                               default_split="dev")
    elif "dev" in available_splits(args.data) and args.split in (None, "train"):
        dev_corpus = read_data(argparse.Namespace(**{**vars(args), "split": "dev"}),
                               args.data, default_split="dev")
    if not args.quiet:
        print(f"streaming {args.data} in chunks of {args.chunk_docs} documents",
              file=sys.stderr)
    fit_stream(clf, open_documents,
               dev=(dev_corpus.texts, dev_corpus.labels) if dev_corpus else None,
               chunk_docs=args.chunk_docs,
               on_epoch_end=(lambda epoch, record: clf.save(args.output))
               if args.checkpoint else None)
    clf.save(args.output)
    _print_summary(clf)
    if dev_corpus is not None:
        print("\nevaluation on the dev set\n")
        print(clf.evaluate(dev_corpus.texts, dev_corpus.labels).format())
    print(f"\nmodel saved to {args.output}")
    return 0
