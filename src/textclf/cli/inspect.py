"""``textclf inspect MODEL``: strongest features per class, bias, settings, history."""

from __future__ import annotations

import argparse
import json
import sys

from textclf.cli.common import add_model_options, load_model
from textclf.core.escape import escape_controls


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
    if args.json:
        print(json.dumps(summary.to_dict()))
    elif sys.stdout.isatty():  # labels and terms must not move the cursor or clear the screen
        print("\n".join(map(escape_controls, summary.format().split("\n"))))
    else:
        print(summary.format())
    return 0
