"""``textclf compress MODEL -o SMALL --bits 8``: the same classifier in a smaller file."""

from __future__ import annotations

import argparse
from pathlib import Path

from textclf.cli.common import (
    add_model_options,
    add_output_options,
    checked_output,
    load_model,
    sign_key,
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compress", help="write a model in a smaller file",
        description="Write MODEL to SMALL with θ quantised (--bits 8: int8 with one scale per "
        "output column; --float16: half precision), the vocabulary sorted and front-coded, "
        "and (--prune-below) the features whose weights are all near zero dropped. Without "
        "--bits or --float16 only the vocabulary is made compact (no change to any "
        "prediction). SMALL loads, predicts and explains like any model file "
        "(docs/compression.md).",
    )
    add_model_options(parser)
    add_output_options(parser, sign=False)  # --sign-key checks MODEL and signs SMALL
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--bits", type=int, choices=(8,),
                           help="8: θ as int8, one scale per output column")
    precision.add_argument("--float16", action="store_true", help="θ in half precision")
    parser.add_argument("--prune-below", type=float, metavar="EPS",
                        help="drop the features whose weights are all below EPS in absolute "
                        "value (a hashed model's are set to 0)")
    parser.set_defaults(run=run)


def megabytes(path: str | Path) -> float:
    return Path(path).stat().st_size / 2**20


def run(args: argparse.Namespace) -> int:
    checked_output(args)
    clf = load_model(args)
    quantize = "int8" if args.bits == 8 else "float16" if args.float16 else None
    done = clf.compress(quantize, args.prune_below)
    clf.save(args.output, sign_key(args))
    before, after = megabytes(args.model), megabytes(args.output)
    what = {"int8": "θ as int8 (one scale per output column)", "float16": "θ as float16",
            None: "θ as it was"}[quantize]
    if clf.featurizer.kind == "vocabulary":
        what += f"; {len(clf.featurizer.terms)} terms, sorted and front-coded"
    if args.prune_below is not None:
        verb = "dropped" if clf.featurizer.kind == "vocabulary" else "set to 0"
        what += (f"; {done['pruned']} of {done['features']} features {verb} (all weights "
                 f"below {args.prune_below:g})")
    print(f"{args.model}: {before:.2f} MiB → {args.output}: {after:.2f} MiB "
          f"({before / after:.1f}× smaller); {what}")
    return 0
