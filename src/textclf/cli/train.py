"""``textclf train DATA -o MODEL``: featurise, train, report on dev, save."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from textclf.classifier import TextClassifier
from textclf.classifier.scoring import evaluate
from textclf.cli.common import (
    add_data_options,
    add_output_options,
    add_settings,
    add_weight_option,
    checked_output,
    data_card,
    dialect,
    labels_for,
    names_in,
    read_data,
    read_dev,
    settings_from,
    sign_key,
)
from textclf.corpus.files import is_regular_file
from textclf.corpus.sources import available_splits, iter_documents
from textclf.distributed.cluster import dask_logs_silenced
from textclf.distributed.settings import ClusterSettings
from textclf.distributed.shards import ReadOptions
from textclf.errors import ClusterError, SettingsError
from textclf.models.base import Model
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.training.loop import best_epoch
from textclf.training.settings import MODEL_DEFAULTS


def describe(model: Model) -> str:
    """One line naming the model and its shape."""
    if isinstance(model, FeedForwardNetwork):
        sizes = " → ".join(map(str, [model.n_features, *model.hidden, model.n_outputs]))
        output = "a sigmoid per label" if model.multi_label \
            else "sigmoid" if model.n_outputs == 1 else "softmax"
        return f"mlp {sizes} ({model.activation}, dropout {model.dropout}, {output} output)"
    if model.multi_label:
        return f"multi-label logistic regression ({model.n_classes} sigmoid outputs)"
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
    add_output_options(parser)
    add_data_options(parser)
    add_weight_option(parser)
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
    add_settings(parser.add_argument_group(
        "multi-label decisions (docs/multilabel.md)"), names_in("decision"))
    training.add_argument("--checkpoint", action="store_true",
                          help="write MODEL after every epoch, with what a run needs to go on, "
                          "so a crash keeps the last finished epoch")
    training.add_argument("--resume", action="store_true",
                          help="go on from the checkpoint in MODEL (the same data and settings; "
                          "implies --checkpoint): the final θ is that of an uninterrupted run")
    more = parser.add_argument_group("training on (docs/continued-training.md)")
    more.add_argument("--init-from", metavar="MODEL",
                      help="start from MODEL's θ, featuriser and labels and train on DATA (the "
                      "feature and model options are MODEL's; training options given here "
                      "replace MODEL's)")
    more.add_argument("--extend-vocabulary", action="store_true",
                      help="with --init-from: add DATA's terms to MODEL's vocabulary (their rows "
                      "of θ start at 0); hashed features need nothing")
    more.add_argument("--trust-pattern", action="store_true",
                      help="run MODEL's token pattern even if textclf did not write it")
    parser.add_argument("--top", type=int, default=10,
                        help="strongest features to print per class (default 10)")
    add_settings(parser, ["quiet"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = TextClassifier(**settings_from(args))
    checked_output(args)  # before any work: -o is a new file or a model, in a writable folder
    sign_key(args)  # (a key file that cannot be read is found out now, too)
    args.checkpoint = args.checkpoint or args.resume
    if args.dask:
        return run_dask(args, clf)
    if args.max_iter is not None:
        raise SettingsError("--max-iter counts the L-BFGS iterations of --dask ... "
                            "--distributed exact; in one process, --optimizer lbfgs counts "
                            "them with --epochs")
    if len(args.data) > 1:
        raise SettingsError(f"{len(args.data)} DATA given: several files are the shards of "
                            "a cluster (--dask local:N or --dask tcp://HOST:PORT); without "
                            "--dask give one")
    args.data = args.data[0]
    if args.init_from:
        return run_init_from(args)
    if args.extend_vocabulary:
        raise SettingsError("--extend-vocabulary extends the vocabulary of --init-from MODEL")
    if args.stream:
        return run_stream(args, clf)
    train_corpus = read_data(args, args.data, default_split="train")
    dev_corpus = read_dev(args)
    if not args.quiet:
        print(f"training on {len(train_corpus)} documents from {args.data}"
              + (f", reporting on {len(dev_corpus)} dev documents" if dev_corpus else ""),
              file=sys.stderr)
    with resumable(args):
        clf.fit(
            train_corpus.texts, train_corpus.targets(args.multi_label),
            dev_corpus.texts if dev_corpus else None,
            dev_corpus.targets(clf.multi_label) if dev_corpus else None,
            sample_weight=train_corpus.weights,
            dev_sample_weight=dev_corpus.weights if dev_corpus else None,
            checkpoint=args.output if args.checkpoint else None, resume=args.resume,
            sign_key=sign_key(args),
        )
    save(args, clf)
    report(args, clf, dev_corpus)
    return 0


@contextmanager
def resumable(args: argparse.Namespace) -> Iterator[None]:
    """Ctrl-C while training: say how to make the run resumable, or how to resume it."""
    try:
        yield
    except KeyboardInterrupt:
        if args.checkpoint:
            hint = (f"{args.output} holds the last finished epoch: run the same command with "
                    "--resume to go on from it")
        else:
            hint = ("nothing was saved; train with --checkpoint to keep each finished epoch "
                    "and go on after an interruption with --resume")
        raise KeyboardInterrupt(hint) from None


def save(args: argparse.Namespace, clf: TextClassifier) -> None:
    """MODEL, with the training data's names and SHA-256 in its model card."""
    clf.provenance["data"] = data_card(args)
    clf.save(args.output, sign_key(args))


def report(args: argparse.Namespace, clf: TextClassifier, dev_corpus) -> None:
    """What training made: the model, early stopping, the dev set, the strongest terms
    (nothing with --quiet)."""
    if args.quiet:
        return
    print_summary(clf)
    best = best_epoch(clf.history)
    if best is not None and best != clf.history[-1]["epoch"]:
        print(f"early stopping kept epoch {best} of {clf.history[-1]['epoch']} "
              "(lowest dev loss)")
    print_dev(clf, dev_corpus)
    if args.top > 0:
        bias = (f" (bias b = {clf.model.bias:+.4f})"
                if isinstance(clf.model, LogisticRegression) else "")
        print(f"\nstrongest features per class{bias}")
        for label, features in clf.top_features(args.top).items():
            print(f"  {label}: " + ", ".join(f"{t} ({w:+.3f})" for t, w in features))
    print(f"\nmodel saved to {args.output}")


def run_init_from(args: argparse.Namespace) -> int:
    """``--init-from MODEL``: MODEL's θ, featuriser and labels, trained on DATA."""
    if args.stream:
        raise SettingsError("--init-from trains on DATA held in memory; it does not --stream")
    # --sign-key: MODEL must carry that key's signature, and the new model gets it
    clf = TextClassifier.load(args.init_from, trust_pattern=args.trust_pattern,
                              sign_key=sign_key(args))
    clf.settings.run = clf.settings.run.replace(quiet=args.quiet, jobs=args.jobs)
    train_corpus = read_data(args, args.data, default_split="train")
    dev_corpus = read_dev(args)
    given = {name: value for name, value in settings_from(args).items()
             if name in names_in("training") and value is not None}
    with resumable(args):
        added = clf.continue_training(
            train_corpus.texts, train_corpus.targets(clf.multi_label),
            dev_corpus.texts if dev_corpus else None,
            dev_corpus.targets(clf.multi_label) if dev_corpus else None,
            extend_vocabulary=args.extend_vocabulary, sample_weight=train_corpus.weights,
            dev_sample_weight=dev_corpus.weights if dev_corpus else None,
            checkpoint=args.output if args.checkpoint else None, resume=args.resume,
            sign_key=sign_key(args), **given)
    save(args, clf)
    if not args.quiet:
        print(f"trained on from {args.init_from}: {len(clf.history)} epoch(s) on "
              f"{len(train_corpus)} documents" + (
                  f"; {added} new terms added to the vocabulary" if args.extend_vocabulary
                  else ""))
        print_summary(clf)
        print_dev(clf, dev_corpus)
        print(f"\nmodel saved to {args.output}")
    return 0


def print_dev(clf: TextClassifier, dev_corpus) -> None:
    """The evaluation on the dev set, if any (and the threshold chosen on it)."""
    if dev_corpus is None:
        return
    print("\nevaluation on the dev set\n")
    if clf.calibration is not None:
        c = clf.calibration
        print(f"temperature T = {c['temperature']:.4f} fitted on the dev set (its log-loss "
              f"{c['dev_loss_before']:.4f} → {c['dev_loss_after']:.4f}); probabilities are "
              "of z/T")
    if clf.chosen_threshold is not None:
        print(f"threshold chosen on the dev set (best micro-F1): {clf.chosen_threshold:g}")
    P = clf.fitted.dev_probabilities  # the fit's own, if it kept every dev document
    if P is not None and len(P) != len(dev_corpus):
        P = None
    print(evaluate(clf.fitted, dev_corpus.texts, labels_for(clf, dev_corpus), P).format())


def print_summary(clf: TextClassifier) -> None:
    what = f"{clf.featurizer.n_features - 1} terms"
    collisions = getattr(clf.featurizer, "collisions", None)
    if collisions is not None:
        what = (f"2^{clf.featurizer.bits} hashed columns ({collisions.count} of them hold "
                "2 or more distinct n-grams)")
    print(f"model: {describe(clf.model)}; features: {what} + bias; "
          f"{'labels' if clf.multi_label else 'classes'}: {', '.join(clf.labels)}")


def run_stream(args: argparse.Namespace, clf: TextClassifier) -> int:
    """``--stream``: train from DATA read chunk by chunk, pass after pass."""
    if args.hash_bits is None:
        raise SettingsError("--stream needs --hash-bits (hashed features need no vocabulary)")
    if args.chunk_docs < 1:
        raise SettingsError(f"--chunk-docs must be at least 1, got {args.chunk_docs}")
    if not args.data.startswith("builtin:") and not Path(args.data).is_dir() \
            and not is_regular_file(Path(args.data)):
        raise SettingsError(f"{args.data}: not a regular file (a pipe?); --stream reads DATA "
                            "once to count and once per epoch: give a file")
    split = args.split or ("train" if "train" in available_splits(args.data) else None)

    def open_documents():
        return iter_documents(args.data, split, args.format, args.text_field,
                              args.label_field, args.weight_field, args.label_sep,
                              **dialect(args))

    dev_corpus = read_dev(args)
    if not args.quiet:
        print(f"streaming {args.data} in chunks of {args.chunk_docs} documents",
              file=sys.stderr)
    dev = None if dev_corpus is None else (dev_corpus.texts, dev_corpus.label_sets,
                                           dev_corpus.weights)
    with resumable(args):
        clf.fit_stream(open_documents, dev=dev,
                       chunk_docs=args.chunk_docs,
                       checkpoint=args.output if args.checkpoint else None,
                       resume=args.resume, sign_key=sign_key(args))
    save(args, clf)
    if not args.quiet:
        print_summary(clf)
        print_dev(clf, dev_corpus)
        print(f"\nmodel saved to {args.output}")
    return 0


def run_dask(args: argparse.Namespace, clf: TextClassifier) -> int:
    """``--dask``: train on a Dask cluster, each file of DATA a shard read by a worker; with
    ``--init-from MODEL``, train MODEL on (its featuriser, labels and θ)."""
    from textclf.fitting.cluster import fit_cluster  # (the cluster's route, when asked for)

    for option, given in (("--stream", args.stream), ("--split", args.split)):
        if given:
            raise SettingsError(f"{option} does not apply with --dask: the workers hold "
                                "their shards in memory, and DATA is files (no splits)")
    if args.extend_vocabulary:
        raise SettingsError("--extend-vocabulary does not apply with --dask: training on "
                            "from MODEL on a cluster keeps its vocabulary (hashed features "
                            "need none)")
    start, overrides = None, None
    if args.init_from:
        cluster = clf.settings.run
        clf = TextClassifier.load(args.init_from, trust_pattern=args.trust_pattern,
                                  sign_key=sign_key(args))
        clf.settings.run = cluster.replace(float32=clf.settings.run.float32)  # MODEL's
        start = clf.fitted
        overrides = {name: value for name, value in settings_from(args).items()
                     if name in names_in("training") and value is not None}
    dev_corpus = read_dev(args) if args.dev else None
    dev = None if dev_corpus is None else (dev_corpus.texts, dev_corpus.label_sets,
                                           dev_corpus.weights)
    saved: list[str] = []

    def note(epoch: int, record: dict) -> None:
        saved.append(f"{'iteration' if 'objective' in record else 'epoch'} {epoch}")

    if not args.quiet:
        print(f"training on the Dask cluster {args.dask} ({args.distributed} mode) from "
              f"{' '.join(args.data)}" + (f", on from {args.init_from}" if start else ""),
              file=sys.stderr)
    read = ReadOptions(args.format, args.text_field, args.label_field, args.weight_field,
                       args.label_sep)
    options = clf.run_options(note, args.output if args.checkpoint else None, args.resume,
                              sign_key(args))
    try:
        with dask_logs_silenced(), resumable(args):  # what goes wrong: one line, below
            clf.fitted = fit_cluster(clf.settings, None, args.data, dev=dev, read=read,
                                     options=options, start=start, overrides=overrides)
    except ClusterError as err:
        if saved and args.checkpoint:
            raise ClusterError(f"{err}; {args.output} holds the model of {saved[-1]} "
                               "(--checkpoint)") from err
        raise
    save(args, clf)
    if not args.quiet:
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
