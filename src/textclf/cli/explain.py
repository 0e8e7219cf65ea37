"""``textclf explain MODEL [INPUT...]``: each feature's part in the score of each document."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from textclf.cli.common import add_input_options, input_options, load_model
from textclf.corpus.inputs import iter_inputs
from textclf.errors import DataError, SettingsError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="explain the labels of documents",
        description="Show each document's features with their contributions to the score: "
        "weight × value, where the value is the term's count, binary or tf-idf value and the "
        "weight its effect per unit of that value (per class for softmax; gradient × input "
        "for networks), the bias, the score and the probability, largest contributions first. "
        "The documents are read as predict reads them: INPUT files (one per record or line), "
        "folders, - (standard input) or --text. On a terminal the words are coloured by their "
        "share of the contributions.",
    )
    add_input_options(parser)
    parser.add_argument("--file", metavar="PATH",
                        help="a file that is one document (as INPUT with --whole-files)")
    parser.add_argument("--top", type=int, default=20,
                        help="features to list per class (default 20; 0 = all)")
    parser.add_argument("--class", dest="classes", action="append", metavar="LABEL",
                        help="explain this class's score (repeatable; default: the predicted "
                        "class, or a multi-label model's predicted labels)")
    parser.add_argument("--all-classes", action="store_true",
                        help="explain the score of every class")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the words: auto = on a terminal unless NO_COLOR is set")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per document with every feature and word share")
    parser.set_defaults(run=run)


def literal_texts(args: argparse.Namespace) -> list[str]:
    """The texts given as such: --text, and (deprecated) an INPUT that is no file but a
    text (it holds a space: a mistyped file name is an error that names --text)."""
    texts = list(args.texts or [])
    for spec in list(args.inputs):
        if spec != "-" and not Path(spec).exists() and not spec.startswith("builtin:") \
                and any(c.isspace() for c in spec):
            warnings.warn(f"{spec[:40]!r} is no file: read as the document's text; give a "
                          'text with --text "..." (a TEXT argument will be read as a file)',
                          FutureWarning, stacklevel=2)
            texts.append(spec)
            args.inputs.remove(spec)
    return texts


def documents(args: argparse.Namespace):
    """The documents to explain, in order."""
    texts = literal_texts(args)
    inputs = list(args.inputs)
    if args.file:
        if inputs or texts:
            raise SettingsError("give the documents either as INPUT/--text or with --file, "
                                "not both")
        if not Path(args.file).is_file():
            raise DataError(f"{args.file}: no such file")
        inputs, args.whole_files = [args.file], True
    return iter_inputs(inputs, texts, input_options(args))


def use_color(choice: str, stream=None) -> bool:
    """Colours when asked for, or on a terminal when NO_COLOR is not set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    stream = stream or sys.stdout
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    clf = load_model(args)
    classes = list(clf.labels) if args.all_classes else args.classes
    for label in classes or []:
        if label not in clf.labels:
            raise SettingsError(f"--class {label!r}: the model's classes are "
                                f"{', '.join(clf.labels)}")
    color = use_color(args.color)
    docs = documents(args)  # (an INPUT that is a text moves to the texts)
    show_ids = bool(args.inputs) or len(args.texts or []) > 1 or args.file is not None
    explained = 0
    for doc in docs:
        explanation = clf.explain(doc.text)
        explained += 1
        if args.json:
            record = explanation.to_dict()
            print(json.dumps({"id": doc.id, **record} if show_ids else record,
                             ensure_ascii=False))
            continue
        if show_ids:
            print(("" if explained == 1 else "\n") + f"== {doc.id}")
        print(explanation.format(top=args.top or None, classes=classes, color=color))
    if not explained:
        raise DataError("no document to explain: give INPUT files, --text \"...\", or lines on "
                        "standard input")
    return 0
