"""The ``textclf`` command: one verb per job, as fastText does it.

Each verb lives in its own module with ``add_parser(subparsers)`` and ``run(args)``; add a
new verb by writing such a module and listing it, with its one-line help, in ``COMMANDS``.
Only the module of the verb being run is imported (``textclf --help`` lists the verbs from
``COMMANDS`` alone), so a command pays only for the libraries it uses.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from textclf.core.version import __version__
from textclf.errors import TextclfError

# verb → its line in `textclf --help` (the same as its module's own help: a test holds them
# equal)
COMMANDS = {
    "train": "train a classifier and save it",
    "test": "evaluate a model on labelled data",
    "predict": "label documents",
    "gradcheck": "check the gradients of a model by finite differences",
    "tune": "search good settings within a time budget and save the best model",
    "inspect": "show what a model has learned",
    "explain": "explain the labels of documents",
    "report": "write plots and an HTML report",
    "compress": "write a model in a smaller file",
    "serve": "serve models over HTTP (JSON API, Open Inference Protocol, web page)",
}


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


def build_parser(verbs: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the full options of ``verbs`` (default: every verb); each other verb
    is listed by its name and help line only."""
    parser = argparse.ArgumentParser(
        prog="textclf",
        description="Train, evaluate and use text classifiers: logistic regression and on.",
    )
    parser.add_argument("--version", action="version", version=f"textclf {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for verb, help_line in COMMANDS.items():
        if verbs is None or verb in verbs:
            importlib.import_module(f"textclf.cli.{verb}").add_parser(subparsers)
        else:
            subparsers.add_parser(verb, help=help_line, add_help=False)
    return parser


def chosen_verb(argv: Sequence[str]) -> str | None:
    """The verb ``argv`` runs: its first argument that is not an option (the command's own
    options, ``--help`` and ``--version``, take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; user errors print one line and return a non-zero status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # `textclf` alone: the commands, a line each (as `git` and `pip` answer)
        build_parser([]).print_help()
        return 0
    args = build_parser([chosen_verb(argv)]).parse_args(argv)
    warnings.showwarning = _show_warning
    from textclf.core import output  # (the output locks this command takes end with it)

    held_before = output.held()
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
    finally:  # the command is over, refused or done: its output files are free again
        for path in output.held() - held_before:
            output.release(path)


if __name__ == "__main__":
    sys.exit(main())
