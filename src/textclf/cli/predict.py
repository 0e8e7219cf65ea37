"""``textclf predict MODEL [FILE...]``: the label and its probability per document."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from textclf.cli.common import add_model_options, load_model
from textclf.corpus import read_lines

BATCH = 10_000  # documents featurised together when reading stdin


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="label documents",
        description="Label each FILE (a whole file is one document) or, without FILE, each "
        "line of standard input.",
    )
    add_model_options(parser)
    parser.add_argument("files", metavar="FILE", nargs="*")
    parser.add_argument("--json", action="store_true", help="one JSON object per document")
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
        best = np.argmax(probabilities, axis=1)
        for row, k in enumerate(best):
            label, p = clf.labels[k], float(probabilities[row, k])
            name = next(names) if names is not None else None
            if args.json:
                record = {"label": label, "probability": p,
                          "probabilities": dict(zip(clf.labels, probabilities[row].tolist(),
                                                    strict=True))}
                if name is not None:
                    record["file"] = name
                out.write(json.dumps(record) + "\n")
            else:
                out.write((f"{name}\t" if name is not None else "") + f"{label}\t{p:.4f}\n")
    out.flush()
    return 0
