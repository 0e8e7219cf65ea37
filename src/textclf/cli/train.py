"""``textclf train DATA -o MODEL``: featurise, train, report on dev, save."""

from __future__ import annotations

import argparse
import sys

from textclf.classifier import TextClassifier
from textclf.cli.common import add_data_options, read_data, read_dev
from textclf.cli.options import add_settings, names_in, settings_from
from textclf.corpus import available_splits, iter_documents
from textclf.distributed.cluster import dask_logs_silenced
from textclf.distributed.settings import ClusterSettings
from textclf.errors import ClusterError, SettingsError
from textclf.models import FeedForwardNetwork, LogisticRegression, Model
from textclf.training.loop import best_epoch
from textclf.training.settings import MODEL_DEFAULTS


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
    parser.add_argument("data", metavar="DATA", nargs="+",
                        help="the training data; with --dask one or more files, globs or "
                        "fsspec URLs, each file a shard")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write")
    add_data_options(parser)
    parser.add_argument("--dev", metavar="DATA",
                        help="dev data to report on per epoch (default: the dev split, if any)")
    add_settings(parser.add_argument_group("features"), names_in("features"))
    speed = parser.add_argument_group("speed and memory (docs/speed.md)")
    speed.add_argument("--stream", action="store_true",
                       help="read DATA from disk chunk by chunk in every epoch instead of "
                       "holding it in memory (needs --hash-bits)")
    speed.add_argument("--chunk-docs", type=int, default=2048, metavar="N",
                       help="documents per chunk with --stream (default 2048)")
    add_settings(speed, ["jobs", "float32"])
    cluster = parser.add_argument_group("a Dask cluster (docs/distributed.md)")
    add_settings(cluster, [s.argument for s in ClusterSettings.declared.values()])
    add_settings(parser.add_argument_group("model"), names_in("model"))
    training = parser.add_argument_group(
        "training", "Left out, each setting takes its model's default: "
        + "; ".join(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in defaults.items())
                    for kind, defaults in MODEL_DEFAULTS.items()))
    add_settings(training, names_in("training"))
    training.add_argument("--checkpoint", action="store_true",
                          help="write MODEL after every epoch, so a crash keeps the last epoch")
    parser.add_argument("--top", type=int, default=10,
                        help="strongest features to print per class (default 10)")
    add_settings(parser, ["quiet"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = TextClassifier(**settings_from(args))
    if args.dask:
        return run_dask(args, clf)
    if len(args.data) > 1:
        raise SettingsError(f"{len(args.data)} DATA given: several files are the shards of "
                            "a cluster (--dask local:N or --dask tcp://HOST:PORT); without "
                            "--dask give one")
    args.data = args.data[0]
    if args.stream:
        return run_stream(args, clf)
    train_corpus = read_data(args, args.data, default_split="train")
    dev_corpus = read_dev(args)
    say = print if not args.quiet else (lambda *a, **k: None)
    say(f"training on {len(train_corpus)} documents from {args.data}"
        + (f", reporting on {len(dev_corpus)} dev documents" if dev_corpus else ""),
        file=sys.stderr)
    clf.fit(
        train_corpus.texts, train_corpus.labels,
        dev_corpus.texts if dev_corpus else None, dev_corpus.labels if dev_corpus else None,
        on_epoch_end=(lambda epoch, record: clf.save(args.output)) if args.checkpoint else None,
    )
    clf.save(args.output)
    report(args, clf, dev_corpus)
    return 0


def report(args: argparse.Namespace, clf: TextClassifier, dev_corpus) -> None:
    """What training made: the model, early stopping, the dev set, the strongest terms."""
    print_summary(clf)
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


def print_summary(clf: TextClassifier) -> None:
    what = f"{clf.featurizer.n_features - 1} terms"
    collisions = getattr(clf.featurizer, "collisions", None)
    if collisions is not None:
        what = (f"2^{clf.featurizer.bits} hashed columns ({collisions.count} of them hold "
                "2 or more distinct n-grams)")
    print(f"model: {describe(clf.model)}; features: {what} + bias; "
          f"classes: {', '.join(clf.labels)}")


def run_stream(args: argparse.Namespace, clf: TextClassifier) -> int:
    """``--stream``: train from DATA read chunk by chunk, pass after pass."""
    if args.hash_bits is None:
        raise SettingsError("--stream needs --hash-bits (hashed features need no vocabulary)")
    if args.chunk_docs < 1:
        raise SettingsError(f"--chunk-docs must be at least 1, got {args.chunk_docs}")
    split = args.split or ("train" if "train" in available_splits(args.data) else None)

    def open_documents():
        return iter_documents(args.data, split, args.format, args.text_field,
                              args.label_field)

    dev_corpus = read_dev(args)
    if not args.quiet:
        print(f"streaming {args.data} in chunks of {args.chunk_docs} documents",
              file=sys.stderr)
    clf.fit_stream(open_documents,
                   dev=(dev_corpus.texts, dev_corpus.labels) if dev_corpus else None,
                   chunk_docs=args.chunk_docs,
                   on_epoch_end=(lambda epoch, record: clf.save(args.output))
                   if args.checkpoint else None)
    clf.save(args.output)
    print_summary(clf)
    if dev_corpus is not None:
        print("\nevaluation on the dev set\n")
        print(clf.evaluate(dev_corpus.texts, dev_corpus.labels).format())
    print(f"\nmodel saved to {args.output}")
    return 0


def run_dask(args: argparse.Namespace, clf: TextClassifier) -> int:
    """``--dask``: train on a Dask cluster, each file of DATA a shard read by a worker."""
    for option, given in (("--stream", args.stream), ("--split", args.split)):
        if given:
            raise SettingsError(f"{option} does not apply with --dask: the workers hold "
                                "their shards in memory, and DATA is files (no splits)")
    dev_corpus = read_dev(args) if args.dev else None
    saved: list[str] = []

    def checkpoint(epoch: int, record: dict) -> None:
        clf.save(args.output)
        saved.append(f"{'iteration' if 'objective' in record else 'epoch'} {epoch}")

    if not args.quiet:
        print(f"training on the Dask cluster {args.dask} ({args.distributed} mode) from "
              f"{' '.join(args.data)}", file=sys.stderr)
    try:
        with dask_logs_silenced():  # what goes wrong is said in one line, below
            clf.fit_dask(None, args.data,
                         dev=(dev_corpus.texts, dev_corpus.labels) if dev_corpus else None,
                         fmt=args.format, text_field=args.text_field,
                         label_field=args.label_field,
                         on_epoch_end=checkpoint if args.checkpoint else None)
    except ClusterError as err:
        if saved:
            raise ClusterError(f"{err}; {args.output} holds the model of {saved[-1]} "
                               "(--checkpoint)") from err
        raise
    clf.save(args.output)
    print_cluster_report(clf)
    report(args, clf, dev_corpus)
    return 0


def print_cluster_report(clf: TextClassifier) -> None:
    """The shards, the data the workers held, and the bytes sent per epoch or iteration."""
    facts = clf.cluster_report
    sent = [r.get("bytes_to_workers", 0) + r.get("bytes_from_workers", 0)
            for r in clf.history]
    noun = "iteration" if clf.training_settings.optimizer == "lbfgs" else "epoch"
    mib = [f"{max(facts['group_text_characters']) / 1e6:.1f}",
           f"{max(facts['group_data_bytes']) / 2**20:.1f}"]
    print(f"cluster: {facts['documents']} documents in {facts['shards']} shard(s) on "
          f"{facts['groups']} worker thread(s); [X | 1] {facts['data_bytes'] / 2**20:.1f} MiB "
          f"on the workers, per thread at most {mib[0]} M characters of text and "
          f"{mib[1]} MiB of [X | 1]; sent {sum(sent) / max(len(sent), 1) / 2**20:.1f} MiB per "
          f"{noun} (θ and sums)")
