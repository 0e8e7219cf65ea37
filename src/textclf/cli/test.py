"""``textclf test MODEL DATA``: accuracy, per-class scores and the confusion matrix."""

from __future__ import annotations

import argparse
import json

from textclf.cli.common import add_data_options, add_model_options, load_model, read_data


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "test", help="evaluate a model on labelled data",
        description="Evaluate MODEL on DATA (its test split when it has splits).",
    )
    add_model_options(parser)
    parser.add_argument("data", metavar="DATA")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = load_model(args)
    corpus = read_data(args, args.data, default_split="test")
    report = clf.evaluate(corpus.texts, corpus.labels)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.format())
    return 0
