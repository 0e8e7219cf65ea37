"""``textclf explain MODEL TEXT``: each feature's part in the score of one document."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from textclf.cli.common import add_model_options, load_model
from textclf.corpus import read_lines
from textclf.errors import DataError, SettingsError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="explain the label of one document",
        description="Show the document's features with their contributions θⱼ·xⱼ to the score "
        "(per class for softmax; gradient × input for networks), the bias, the score and the "
        "probability, largest contributions first. On a terminal the words are coloured by "
        "their share of the contributions.",
    )
    add_model_options(parser)
    parser.add_argument("text", metavar="TEXT", nargs="?",
                        help="the document, right after MODEL (or - to read it from standard "
                        "input)")
    parser.add_argument("--file", metavar="PATH", help="read the document from a file")
    parser.add_argument("--top", type=int, default=20,
                        help="features to list per class (default 20; 0 = all)")
    parser.add_argument("--class", dest="classes", action="append", metavar="LABEL",
                        help="explain this class's score (repeatable; default: the predicted "
                        "class)")
    parser.add_argument("--all-classes", action="store_true",
                        help="explain the score of every class")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the words: auto = on a terminal unless NO_COLOR is set")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with every feature and word share")
    parser.set_defaults(run=run)


def _document(args: argparse.Namespace) -> str:
    if args.file and args.text is not None:
        raise SettingsError("give the document either as TEXT or with --file, not both")
    if args.file:
        if not Path(args.file).is_file():
            raise DataError(f"{args.file}: no such file")
        return next(read_lines([args.file]))
    if args.text == "-":
        return sys.stdin.read().rstrip("\r\n")
    if args.text is None:
        raise SettingsError("no document: give TEXT, --file PATH, or - to read standard input")
    return args.text


def use_color(choice: str, stream=None) -> bool:
    """Colours when asked for, or on a terminal when NO_COLOR is not set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    stream = stream or sys.stdout
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    clf = load_model(args)
    text = _document(args)
    explanation = clf.explain(text)
    if args.json:
        print(json.dumps(explanation.to_dict(), ensure_ascii=False))
        return 0
    classes = args.classes
    if args.all_classes:
        classes = list(clf.labels)
    for label in classes or []:
        if label not in clf.labels:
            raise SettingsError(f"--class {label!r}: the model's classes are "
                                f"{', '.join(clf.labels)}")
    print(explanation.format(top=args.top or None, classes=classes,
                             color=use_color(args.color)))
    return 0
