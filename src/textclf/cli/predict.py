"""``textclf predict MODEL [FILE...]``: the label and its probability per document."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from textclf.cli.common import add_decision_options, add_model_options, load_model
from textclf.corpus import read_lines

BATCH = 10_000  # documents featurised together when reading stdin


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="label documents",
        description="Label each FILE (a whole file is one document) or, without FILE, each "
        "line of standard input. A multi-label model prints each document's labels, comma "
        "separated, and their probabilities.",
    )
    add_model_options(parser)
    parser.add_argument("files", metavar="FILE", nargs="*")
    parser.add_argument("--json", action="store_true", help="one JSON object per document")
    add_decision_options(parser)
    parser.set_defaults(run=run)


def _batches(texts, size: int):
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run(args: argparse.Namespace) -> int:
    clf = load_model(args)
    names = iter(args.files) if args.files else None
    out = sys.stdout
    for batch in _batches(read_lines(args.files), BATCH):
        probabilities = clf.predict_proba(batch)
        for row, (labels, chosen) in enumerate(predictions(clf, probabilities)):
            name = next(names) if names is not None else None
            if args.json:
                record = {"labels": labels} if clf.multi_label \
                    else {"label": labels[0], "probability": float(probabilities[row, chosen[0]])}
                record["probabilities"] = dict(zip(clf.labels, probabilities[row].tolist(),
                                                   strict=True))
                if name is not None:
                    record["file"] = name
                out.write(json.dumps(record) + "\n")
            else:
                shown = ",".join(f"{probabilities[row, j]:.4f}" for j in chosen)
                out.write((f"{name}\t" if name is not None else "")
                          + f"{','.join(labels)}\t{shown}\n")
    out.flush()
    return 0


def predictions(clf, probabilities: np.ndarray) -> list[tuple[list[str], list[int]]]:
    """Per document: its label (for a multi-label model its labels, the most probable
    first, possibly none) and their columns."""
    if not clf.multi_label:
        return [([clf.labels[k]], [k]) for k in np.argmax(probabilities, axis=1)]
    found = []
    for row, chosen in enumerate(clf.decide(probabilities)):
        columns = sorted(np.flatnonzero(chosen).tolist(), key=lambda j: -probabilities[row, j])
        found.append(([clf.labels[j] for j in columns], columns))
    return found
