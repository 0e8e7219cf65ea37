"""The ``textclf`` command: one verb per job, as fastText does it.

Each verb lives in its own module with ``add_parser(subparsers)`` and ``run(args)``; add a
new verb by writing such a module and listing it in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from textclf.cli import (
    compress,
    explain,
    gradcheck,
    inspect,
    predict,
    report,
    serve,
    test,
    train,
    tune,
)
from textclf.core.version import __version__
from textclf.errors import TextclfError

COMMANDS = [train, test, predict, gradcheck, tune, inspect, explain, report, compress, serve]


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"textclf: warning: {message}", file=sys.stderr)


# What ran out of memory, by the package of the innermost textclf frame, and what helps.
MEMORY_ADVICE = {
    "corpus": "while reading the data: a line or record too large to hold in memory (is "
              "DATA a text corpus, not a device or a binary file?)",
    "features": "while featurising: shorter documents, or to train, --hash-bits B with "
                "--stream, or a smaller --max-features",
    "models": "for the model's parameters: fewer features (--max-features, --hash-bits) or "
              "classes, a smaller --hidden, or --float32",
    "training": "while training: a smaller --batch-size or model (--max-features, --hidden), "
                "--float32, or --stream --hash-bits B",
    "distributed": "on the Dask client: fewer or smaller shards, or workers with more memory",
}


def memory_advice(err: MemoryError) -> str:
    """Where ``err`` was raised (the package of its innermost textclf frame) and what needs
    less memory there."""
    package = None
    trace = err.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        if module.startswith("textclf."):
            package = module.split(".")[1]
        trace = trace.tb_next
    return MEMORY_ADVICE.get(package, "(a smaller model or less data at once needs less)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textclf",
        description="Train, evaluate and use text classifiers: logistic regression and on.",
    )
    parser.add_argument("--version", action="version", version=f"textclf {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; user errors print one line and return a non-zero status."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return args.run(args) or 0
    except TextclfError as err:
        print(f"textclf: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:  # (a verb may say what to do next)
        print(f"textclf: interrupted{'; ' + str(interrupt) if str(interrupt) else ''}",
              file=sys.stderr)
        return 130
    except MemoryError as err:
        print(f"textclf: error: not enough memory {memory_advice(err)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `textclf predict ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
