"""A command imports only what it needs (issue 22): `textclf --help` lists the verbs without
importing any of them, and predicting one short text takes the numpy paths without loading
numba."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textclf.cli import COMMANDS, build_parser


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return set(done.stdout.split())


def test_help_lists_every_verb_and_imports_none_of_them():
    loaded = modules_after("from textclf.cli import main\ntry:\n    main(['--help'])\n"
                           "except SystemExit:\n    pass")
    assert "numpy" not in loaded and "scipy" not in loaded
    assert not {f"textclf.cli.{verb}" for verb in COMMANDS} & loaded


def test_the_verbs_help_lines_are_their_modules_own():
    parser = build_parser()  # every verb's module, with its own help
    listed = {action.dest: action.help
              for action in parser._subparsers._group_actions[0]._choices_actions}  # noqa: SLF001
    assert listed == COMMANDS


def test_predicting_a_short_text_does_not_load_numba(model_file: Path):
    loaded = modules_after("from textclf.cli import main\n"
                           f"main(['predict', {str(model_file)!r}, '--text', 'a fine film'])")
    assert "textclf.cli.predict" in loaded and "textclf.cli.train" not in loaded
    assert "numba" not in loaded
