"""``textclf inspect MODEL``: strongest features per class, bias, settings, history."""

from __future__ import annotations

import argparse
import json

from textclf.cli.common import add_model_options, load_model


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect", help="show what a model has learned",
        description="Print the strongest features of each class (weight and number of "
        "training documents containing each), the bias, the model's settings and its "
        "training history.",
    )
    add_model_options(parser)
    parser.add_argument("--top", type=int, default=10,
                        help="features to show per class (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = load_model(args)
    summary = clf.inspect(top=max(args.top, 0))
    print(json.dumps(summary.to_dict()) if args.json else summary.format())
    return 0
