"""Command-line options made from the settings' declarations (one option per setting).

Each declared setting becomes ``--name`` (its ``flag``), with its type, allowed values, help
text and default; :func:`settings_from` turns the parsed options back into
``TextClassifier``'s arguments, checking each against its declaration and naming the option
when a value is refused.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from typing import Any

from textclf.errors import SettingsError
from textclf.fitting.settings import ARGUMENTS, Argument

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
