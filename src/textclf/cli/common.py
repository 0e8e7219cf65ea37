"""Options and helpers shared by several verbs; the options made from the settings'
declarations (one option per setting: ``--name``, its type, allowed values, help text and
default), and :func:`settings_from`, which turns the parsed options back into
``TextClassifier``'s arguments, naming the option when a value is refused."""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textclf.classifier import TextClassifier
from textclf.core.modelfile import is_model_file
from textclf.core.output import check_output
from textclf.corpus.documents import Corpus
from textclf.corpus.inputs import INPUT_FORMATS
from textclf.corpus.sources import FORMATS, available_splits, read_corpus
from textclf.errors import DataError, SettingsError
from textclf.fitting.settings import ARGUMENTS, Argument


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """How to read DATA: format, field names, split, CSV's dialect."""
    group = parser.add_argument_group("reading the data")
    group.add_argument("--format", choices=FORMATS,
                       help="input format (default: guessed from the name; give it for "
                       "standard input, DATA -)")
    group.add_argument("--text-field", default="text",
                       help="JSON field / CSV or Parquet column holding the text (default: "
                       "text; with --no-header a column number, from 1)")
    group.add_argument("--label-field", default="label",
                       help="JSON field / CSV or Parquet column holding the label (default: "
                       "label; with --no-header a column number, from 1)")
    group.add_argument("--split", help="split to read from split folders or a built-in corpus")
    group.add_argument("--label-sep", metavar="SEP",
                       help="CSV/TSV (or a Parquet string column): the label field holds "
                       "several labels separated by SEP (multi-label data; JSONL uses a list, "
                       "fastText several __label__ tags)")
    group.add_argument("--delimiter", type=delimiter_option, metavar="CHAR",
                       help="CSV/TSV: the character between fields (tab: '\\t' or tab; "
                       "default: a tab for .tsv, guessed among , ; | and tab for .csv)")
    group.add_argument("--no-header", action="store_true",
                       help="CSV/TSV: the first row is a record, not column names; "
                       "--text-field, --label-field and --weight-field give column numbers "
                       "(from 1, as cut counts)")


def delimiter_option(text: str) -> str:
    """--delimiter's value: one character, or a tab written as \\t or tab."""
    if text in ("\\t", "tab", "TAB"):
        return "\t"
    if len(text) != 1 or text in '"\r\n':
        raise argparse.ArgumentTypeError(f"expected one character (a tab: '\\t'), other than "
                                         f"a quote or a line break, got {text!r}")
    return text


def add_weight_option(parser: argparse.ArgumentParser) -> None:
    """--weight-field: each document's weight from a JSON field or CSV/TSV column."""
    parser.add_argument("--weight-field", metavar="FIELD",
                        help="JSON field / CSV or Parquet column holding each document's "
                        "weight (a number ≥ 0 multiplying its loss; docs/weights.md); in DATA "
                        "and --dev")


def dialect(args: argparse.Namespace) -> dict:
    """The CSV dialect options given, as :func:`~textclf.corpus.read_corpus` takes them."""
    return {"delimiter": getattr(args, "delimiter", None),
            "header": not getattr(args, "no_header", False)}


def read_data(args: argparse.Namespace, spec: str, default_split: str | None,
              require_labels: bool = True, split: str | None = None) -> Corpus:
    """Read ``spec`` (``-``: standard input) with the data options; the split is ``split``,
    else ``--split``, else ``default_split`` where the data has splits."""
    split = split or args.split
    split = split or (default_split if default_split in available_splits(spec) else None)
    return read_corpus(spec, split=split, fmt=args.format, text_field=args.text_field,
                       label_field=args.label_field, require_labels=require_labels,
                       weight_field=getattr(args, "weight_field", None),
                       label_sep=args.label_sep, **dialect(args))


def read_dev(args: argparse.Namespace) -> Corpus | None:
    """The dev data: ``--dev DATA`` (its dev split, if it has splits), else DATA's dev split
    when training on its train split, else None."""
    if args.dev:
        return read_corpus(args.dev, split="dev" if "dev" in available_splits(args.dev)
                           else None, fmt=args.format, text_field=args.text_field,
                           label_field=args.label_field,
                           weight_field=getattr(args, "weight_field", None),
                           label_sep=args.label_sep, **dialect(args))
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


def load_model(args: argparse.Namespace, decisions: bool = True) -> TextClassifier:
    """MODEL, with the decision options given on the command line (if the verb has them,
    and ``decisions``)."""
    clf = TextClassifier.load(args.model, trust_pattern=args.trust_pattern,
                              sign_key=sign_key(args))
    if decisions:
        apply_decision_options(clf, args)
    return clf


def add_decision_options(parser: argparse.ArgumentParser, top_k_for_all: bool = False) -> None:
    """--threshold, --top-k, --at-least-one for a multi-label MODEL, in place of its own
    (``top_k_for_all``: --top-k also lists a single-label model's K most probable classes)."""
    group = parser.add_argument_group("multi-label decisions (default: the model's)")
    for name in names_in("decision"):
        if name == "top_k" and top_k_for_all:
            group.add_argument("--top-k", type=positive_int, metavar="K",
                               help="the K most probable labels with their probabilities (a "
                               "multi-label model: its K most probable labels, with "
                               "--threshold those of them that reach it)")
            continue
        add_setting(group, name, model_default=True)


def positive_int(text: str) -> int:
    """An option's value that must be a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """MODEL and the documents to label (:mod:`textclf.corpus.inputs`): INPUT..., --text,
    and how to read them."""
    add_model_options(parser)
    parser.add_argument("inputs", metavar="INPUT", nargs="*",
                        help="a corpus file (one document per record), a folder (one per file), "
                        "a text file (one per line), or - (standard input, the default)")
    group = parser.add_argument_group("the documents")
    group.add_argument("--text", dest="texts", action="append", metavar="TEXT",
                       help="a document's text itself (repeatable; before the INPUTs)")
    group.add_argument("--format", choices=INPUT_FORMATS,
                       help="how to read every INPUT (default: from its name; lines = plain "
                       "text, one document per line)")
    group.add_argument("--text-field", default="text",
                       help="JSON field / CSV column holding the text (default: text)")
    group.add_argument("--whole-files", action="store_true",
                       help="a plain text file is one document (not one per line)")
    group.add_argument("--split", help="the split of a built-in corpus (default: test)")


def input_options(args: argparse.Namespace):
    """The :class:`~textclf.corpus.inputs.InputOptions` of the options."""
    from textclf.corpus.inputs import InputOptions

    return InputOptions(args.format, args.text_field, args.whole_files,
                        getattr(args, "keep_fields", False), args.split)


def apply_decision_options(clf: TextClassifier, args: argparse.Namespace) -> None:
    """The decision settings given as options replace the model's (multi-label only)."""
    given = {}
    for name in names_in("decision"):
        if getattr(args, name, None) is not None:
            setting = ARGUMENTS[name].setting
            try:
                given[name] = setting.check(getattr(args, name))
            except SettingsError as err:
                raise SettingsError(f"{setting.flag}: {err}") from err
    if not given:
        return
    if not clf.multi_label:
        raise SettingsError(f"{', '.join('--' + n.replace('_', '-') for n in given)}: "
                            "decide the labels of a multi-label model; this one gives one "
                            "class per document")
    if given.get("threshold") == "auto" and clf.chosen_threshold is None:
        raise SettingsError("--threshold auto: this model chose no threshold on dev data "
                            "(train it with --threshold auto and a dev set)")
    if "top_k" in given and "threshold" not in given:
        given["threshold"] = None  # --top-k alone: the k most probable labels, no threshold
    clf.decision_settings = clf.decision_settings.replace(**given)


def labels_for(clf: TextClassifier, corpus: Corpus) -> list:
    """The corpus's labels as ``clf`` is evaluated on them: label sets for a multi-label
    model; single labels (refusing multi-label data) otherwise."""
    if clf.multi_label:
        return corpus.label_sets
    if corpus.multi_label:
        odd = next(i for i, s in enumerate(corpus.label_sets) if s is not None and len(s) != 1)
        raise DataError(f"{corpus.source}: document {corpus.ids[odd]} has "
                        f"{len(corpus.label_sets[odd])} labels, and the model gives one class "
                        "per document (train a multi-label model on such data)")
    return corpus.labels


def add_output_options(parser: argparse.ArgumentParser, sign: bool = True) -> None:
    """-o MODEL and --force (and --sign-key unless the verb has it already)."""
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write (a new file, or a textclf model file)")
    parser.add_argument("--force", action="store_true",
                        help="replace -o even if it is a file that is not a textclf model")
    if sign:
        add_key_option(parser, "sign MODEL with the key in this file (HMAC-SHA256), for "
                       "teams that need to know who wrote a model")


def checked_output(args: argparse.Namespace) -> Path:
    """-o, checked before any work starts: nothing but a new file or a model is replaced."""
    return check_output(args.output, is_model_file, force=args.force)


def data_card(args: argparse.Namespace) -> list[dict]:
    """The training (and dev) data for a model card: each name, and the SHA-256 of its bytes
    (a folder: of its files' paths and bytes, in order; a built-in corpus: its name)."""
    specs = [("train", spec) for spec in ([args.data] if isinstance(args.data, str)
                                          else args.data)]
    if getattr(args, "dev", None):
        specs.append(("dev", args.dev))
    return [{"role": role, "name": str(spec), **digest_of(str(spec))} for role, spec in specs]


def digest_of(spec: str) -> dict:
    """``{"sha256": ...}`` of a local file or folder (nothing for other sources)."""
    path = Path(spec)
    if spec.startswith("builtin:") or not (path.is_file() or path.is_dir()):
        return {}
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode("utf-8") + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return {"sha256": digest.hexdigest()}

# options ------------------------------------------------------------------------------
# On the command line a run shows its progress unless asked not to.
COMMAND_LINE_DEFAULTS = {"quiet": False}


# where a setting's help already says its default in words, e.g. "(default: all)"
STATED_DEFAULT = re.compile(r"\(default\b|; default\b")


def help_with_default(help_text: str, shown: str, model_default: bool) -> str:
    """``help_text`` with its default said once: appended as "(default: shown)" unless the
    help says it in words; an option whose default is the model's drops the setting's own
    (training) default for that."""
    if model_default:
        help_text = re.sub(r" \(default\b[^()]*\)", "", help_text)
    elif STATED_DEFAULT.search(help_text):
        return help_text
    return f"{help_text} (default: {shown})"


def default_text(argument: Argument, default: Any) -> str:
    if argument.group == "training" and default is None \
            and argument.setting.default is not None:
        return "the model's"
    if default is None:
        return "none"
    if isinstance(default, tuple):
        return ",".join(map(str, default))
    return str(default).lower() if isinstance(default, bool) else str(default)


class RenamedOption(argparse.Action):
    """An option's old spelling: still works, with a warning that names the new one."""

    def __init__(self, *args: Any, new_flag: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.new_flag = new_flag

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"textclf: warning: {option_string} is now called {self.new_flag}; the old "
              "name will go", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_renamed(group: Any, old_flag: str, new_flag: str, dest: str, **kwargs: Any) -> None:
    """Accept ``old_flag`` for the option now called ``new_flag`` (hidden from --help)."""
    group.add_argument(old_flag, dest=dest, action=RenamedOption, new_flag=new_flag,
                       help=argparse.SUPPRESS, **kwargs)


def add_setting(group: Any, name: str, model_default: bool = False) -> None:
    """Add the option of the setting ``name`` (its argument name) to ``group`` (a parser
    or an argument group). ``model_default``: left out, the option is None (a loaded
    model's own value stays), and a yes/no option has both forms."""
    argument = ARGUMENTS[name]
    setting = argument.setting
    default = None if model_default else COMMAND_LINE_DEFAULTS.get(name, argument.default)
    flags = [setting.flag, *setting.aliases] + (["-q"] if name == "quiet" else [])
    shown = "the model's" if model_default else default_text(argument, default)
    help_text = help_with_default(setting.help, shown, model_default)
    if setting.kind is bool:
        action = argparse.BooleanOptionalAction if default or model_default else "store_true"
        group.add_argument(*flags, dest=name, action=action, default=default, help=help_text)
        return
    kind = setting.kind if setting.kind in (int, float) and not setting.words else str
    group.add_argument(*flags, dest=name, type=kind, choices=setting.choices, default=default,
                       metavar=None if setting.choices else setting.metavar, help=help_text)
    if setting.renamed_from:
        add_renamed(group, "--" + setting.renamed_from.replace("_", "-"), setting.flag, name,
                    type=kind, choices=setting.choices)


def add_settings(group: Any, names: Iterable[str]) -> None:
    for name in names:
        add_setting(group, name)


def names_in(group: str) -> list[str]:
    """The argument names of one group of settings (features, model, training, run)."""
    return [name for name, argument in ARGUMENTS.items() if argument.group == group]


def settings_from(args: argparse.Namespace) -> dict[str, Any]:
    """``TextClassifier``'s arguments from the parsed options, each checked; a refused value
    names its option."""
    values = {}
    for name, argument in ARGUMENTS.items():
        if not hasattr(args, name):
            continue
        value = getattr(args, name)
        try:
            values[name] = None if value is None and argument.group in ("training", "decision") \
                else argument.setting.check(value)
        except SettingsError as err:
            raise SettingsError(f"{argument.setting.flag}: {err}") from err
    return values
