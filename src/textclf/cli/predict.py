"""``textclf predict MODEL [INPUT...]``: the label and its probability per document."""

from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

from textclf.cli.common import (
    add_decision_options,
    add_input_options,
    apply_decision_options,
    input_options,
    load_model,
)
from textclf.cli.outputs import checked_predictions_path, prediction_record, record_sink

BATCH = 10_000  # documents featurised together


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="label documents",
        description="Label every document of each INPUT, one answer per record, in order: a "
        "corpus file (JSONL, CSV/TSV, fastText lines) one per record, a folder one per file, "
        "any other file one per line (--whole-files: one per file), - or no INPUT the lines "
        "of standard input, --text a text itself. Each answer: the document's id (with INPUT "
        "files), its label and probability; a multi-label model's labels, comma separated, and "
        "their probabilities.",
    )
    add_input_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per document")
    parser.add_argument("--all-probabilities", action="store_true",
                        help="every class's probability as well (JSON holds them always)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write the answers to OUT (.csv, .tsv or .jsonl): a row per "
                        "document with its id, label(s), probability, the top k and every "
                        "probability when asked (written atomically)")
    parser.add_argument("--keep-fields", action="store_true",
                        help="with -o: each record's own fields (JSON fields, CSV columns) too")
    parser.add_argument("--force", action="store_true",
                        help="replace -o even if it is a file predict did not write")
    add_decision_options(parser, top_k_for_all=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    output = None
    if args.output is not None:
        output = checked_predictions_path(args.output, args.inputs, args.force)
    elif args.keep_fields:
        args.keep_fields = False  # only a file has room for them
    clf = load_model(args, decisions=False)
    top_k = None
    if not clf.multi_label:  # --top-k: a single-label model lists its K most probable classes
        top_k, args.top_k = args.top_k, None
    apply_decision_options(clf, args)  # a multi-label model's, for clf.decide
    show_ids = bool(args.inputs) or output is not None  # a file always has the id column
    json_lines = args.json or (output is not None and output.suffix.lower() != ".csv"
                               and output.suffix.lower() != ".tsv")
    every_probability = args.all_probabilities or json_lines  # JSON always holds them
    documents = iter(documents_to_label(args))
    with record_sink(output, args.json, sys.stdout) as write:
        while batch := list(itertools.islice(documents, BATCH)):
            probabilities = clf.predict_proba([doc.text for doc in batch])
            for doc, row, chosen in zip(batch, probabilities, chosen_columns(clf, probabilities),
                                        strict=True):
                write(prediction_record(doc.id if show_ids else None, clf.labels, row,
                                        chosen, clf.multi_label, top_k,
                                        every_probability,
                                        doc.fields if args.keep_fields else None))
    return 0


def documents_to_label(args: argparse.Namespace):
    from textclf.corpus.inputs import iter_inputs

    return iter_inputs(args.inputs, args.texts or (), input_options(args))


def chosen_columns(clf, probabilities: np.ndarray) -> list[list[int]]:
    """Per document the columns of its label: the most probable class, or a multi-label
    model's labels (:meth:`~textclf.TextClassifier.decide`), the most probable first."""
    if not clf.multi_label:
        return [[k] for k in np.argmax(probabilities, axis=1).tolist()]
    return [sorted(np.flatnonzero(chosen).tolist(), key=lambda j, row=row: -row[j])
            for row, chosen in zip(probabilities, clf.decide(probabilities), strict=True)]
