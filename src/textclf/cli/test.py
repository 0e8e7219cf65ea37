"""``textclf test MODEL DATA``: accuracy, per-class scores and the confusion matrix."""

from __future__ import annotations

import argparse
import json

from textclf.cli.common import (
    add_data_options,
    add_decision_options,
    add_model_options,
    labels_for,
    load_model,
    read_data,
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "test", help="evaluate a model on labelled data",
        description="Evaluate MODEL on DATA (its test split when it has splits). A multi-label "
        "model reports micro- and macro-averaged precision, recall and F1, subset accuracy, "
        "Hamming loss, P@k and R@k and a per-label table.",
    )
    add_model_options(parser)
    parser.add_argument("data", metavar="DATA")
    add_data_options(parser)
    add_decision_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = load_model(args)
    corpus = read_data(args, args.data, default_split="test")
    report = clf.evaluate(corpus.texts, labels_for(clf, corpus))
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.format())
    return 0
