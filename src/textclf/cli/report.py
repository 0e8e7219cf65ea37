"""``textclf report MODEL DATA -o DIR``: plots and an HTML page about a model on data."""

from __future__ import annotations

import argparse
from pathlib import Path

from textclf.cli.common import (
    add_data_options,
    add_decision_options,
    add_model_options,
    labels_for,
    load_model,
    read_data,
)
from textclf.report import report
from textclf.report.plots import require_matplotlib


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="write plots and an HTML report",
        description="Evaluate MODEL on DATA (its test split when it has splits) and write to "
        "DIR: loss and accuracy per epoch, confusion matrix, precision/recall/F1 per class, "
        "the strongest features, ROC and precision-recall curves (binary models), and the "
        "most confidently wrong documents with their explanations, as PNG files and "
        "DIR/report.html. Needs matplotlib: pip install 'textclf[plots]'.",
    )
    add_model_options(parser)
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="folder to write the report into (created if missing)")
    add_data_options(parser)
    add_decision_options(parser)
    parser.add_argument("--top", type=int, default=10,
                        help="strongest features to plot per class (default 10)")
    parser.add_argument("--wrong", type=int, default=10,
                        help="most confidently wrong documents to explain (default 10)")
    parser.add_argument("--embed-images", action="store_true",
                        help="also inline the images in report.html, so the page travels alone")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require_matplotlib()  # before loading anything, say how to install it if missing
    clf = load_model(args)
    corpus = read_data(args, args.data, default_split="test")
    data_name = Path(args.data).name + (f" ({args.split})" if args.split else "")
    result = report(clf, corpus.texts, labels_for(clf, corpus), args.output, ids=corpus.ids,
                    data_name=data_name, model_name=Path(args.model).name,
                    top=max(args.top, 1), n_wrong=max(args.wrong, 0),
                    embed_images=args.embed_images)
    ev = result.evaluation
    line = f"accuracy {ev.accuracy:.4f}, macro F1 {ev.macro_f1:.4f}" if not clf.multi_label \
        else f"micro F1 {ev.micro_f1:.4f}, macro F1 {ev.macro_f1:.4f}, subset accuracy " \
        f"{ev.subset_accuracy:.4f}"
    if result.roc_auc is not None:
        line += f", ROC AUC {result.roc_auc:.4f}, average precision {result.average_precision:.4f}"
    print(f"{ev.n_documents} documents: {line}")
    for path in result.images.values():
        print(f"  {path}")
    print(f"report written to {result.html}")
    return 0
