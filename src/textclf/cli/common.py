"""Options and helpers shared by several verbs."""

from __future__ import annotations

import argparse
from pathlib import Path

from textclf.classifier import TextClassifier
from textclf.core.modelfile import is_model_file
from textclf.core.output import check_output
from textclf.corpus import FORMATS, Corpus, available_splits, read_corpus
from textclf.errors import DataError


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """How to read DATA: format, field names, split."""
    group = parser.add_argument_group("reading the data")
    group.add_argument("--format", choices=FORMATS, help="input format (default: guessed)")
    group.add_argument("--text-field", default="text",
                       help="JSON field / CSV column holding the text (default: text)")
    group.add_argument("--label-field", default="label",
                       help="JSON field / CSV column holding the label (default: label)")
    group.add_argument("--split", help="split to read from split folders or a built-in corpus")


def read_data(args: argparse.Namespace, spec: str, default_split: str | None,
              require_labels: bool = True, split: str | None = None) -> Corpus:
    """Read ``spec`` with the data options; the split is ``split``, else ``--split``, else
    ``default_split`` where the data has splits."""
    split = split or args.split
    split = split or (default_split if default_split in available_splits(spec) else None)
    return read_corpus(spec, split=split, fmt=args.format, text_field=args.text_field,
                       label_field=args.label_field, require_labels=require_labels)


def read_dev(args: argparse.Namespace) -> Corpus | None:
    """The dev data: ``--dev DATA`` (its dev split, if it has splits), else DATA's dev split
    when training on its train split, else None."""
    if args.dev:
        return read_corpus(args.dev, split="dev" if "dev" in available_splits(args.dev)
                           else None, fmt=args.format, text_field=args.text_field,
                           label_field=args.label_field)
    if "dev" in available_splits(args.data) and args.split in (None, "train"):
        return read_data(args, args.data, default_split="dev", split="dev")
    return None


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """MODEL, and whether its token pattern may run (docs/reliability.md)."""
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--trust-pattern", action="store_true",
                        help="run the model file's token pattern even if it is not one textclf "
                        "writes (only for a file you trust: a pattern can take exponential time)")
    add_key_option(parser, "check MODEL's signature with the key in this file (a signed "
                   "model loads only so)")


def add_key_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--sign-key", metavar="KEYFILE", help=help_text)


def sign_key(args: argparse.Namespace) -> bytes | None:
    """The bytes of ``--sign-key KEYFILE`` (None without it)."""
    if args.sign_key is None:
        return None
    try:
        key = Path(args.sign_key).read_bytes()
    except OSError as err:
        raise DataError(f"{args.sign_key}: cannot be read ({err.strerror or err}) "
                        "(--sign-key)") from err
    if not key.strip():
        raise DataError(f"{args.sign_key}: the key file is empty (--sign-key)")
    return key


def load_model(args: argparse.Namespace) -> TextClassifier:
    return TextClassifier.load(args.model, trust_pattern=args.trust_pattern,
                               sign_key=sign_key(args))


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """-o MODEL and --force."""
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write (a new file, or a textclf model file)")
    parser.add_argument("--force", action="store_true",
                        help="replace -o even if it is a file that is not a textclf model")
    add_key_option(parser, "sign MODEL with the key in this file (HMAC-SHA256), for teams "
                   "that need to know who wrote a model")


def checked_output(args: argparse.Namespace) -> Path:
    """-o, checked before any work starts: nothing but a new file or a model is replaced."""
    return check_output(args.output, is_model_file, force=args.force)
