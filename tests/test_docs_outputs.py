"""What the docs show is what the commands print now, and the options they name exist.

Each page that marks its outputs (``<!-- output -->``, ``<!-- output: CMD -->``, ``<!-- run:
CMD -->``; ``docs/make_outputs.py`` defines them and how outputs are compared) is run as one
session in a fresh folder: its python blocks and its marked commands, in page order; every
number a marked block shows must be what the command printed, to the digits shown.

Which outputs this test runs: every marked one except those marked ``slow`` (training on
builtin:imdb or a large shared corpus, ``textclf tune`` with its budget, a running server).
The slow ones run with ``TEXTCLF_DOCS_SLOW=1`` in the environment, and
``python docs/make_outputs.py`` runs them all and rewrites the blocks that changed (that
script is how the pages are brought up to date: one command). The fast ones are small:
builtin:rt, the tutorial's XOR corpus, gradient checks on random data, short corpora made
on the page.

Beside the outputs: every ``--option`` the README and docs/*.md spell exists in the parser
of the command it is given to (or of some textclf command, in prose; or is another tool's,
listed in :data:`OTHER_TOOLS`), and the defaults the option tables state (the README's
training options in brackets, the tables of ``tune`` and ``serve`` in their default column)
are the parsers' (for training settings left to the model, the logistic model's).
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest
from docs_pages import PAGES, ROOT, make_outputs, session_pages

from textclf.cli import COMMANDS, build_parser
from textclf.training.settings import MODEL_DEFAULTS, TrainingSettings

SLOW = bool(os.environ.get("TEXTCLF_DOCS_SLOW"))


@pytest.mark.parametrize("page", session_pages(SLOW), ids=lambda p: p.name)
def test_the_outputs_a_page_shows_are_what_its_commands_print(page, tmp_path: Path) -> None:
    ran = make_outputs.run_page(page, tmp_path / "repo", slow=SLOW)
    found = make_outputs.differences(page, ran)
    assert not found, "\n\n".join(d.describe() for d in found) + (
        "\n\n(python docs/make_outputs.py rewrites the blocks)")


def test_markers_are_well_formed_and_the_fast_ones_cover_the_tutorial() -> None:
    """Parsing every page raises on a marker that marks nothing (done at import); the
    pages whose outputs matter most are checked by the fast run."""
    fast = {page.name for page in session_pages()}
    assert {"tutorial.md", "models.md"} <= fast
    assert all(step.shown is not None or step.setup for page in PAGES for step in page.steps
               if step.kind == "shell")


def test_a_shown_output_is_compared_number_by_number() -> None:
    """The comparison itself: digits shown, durations, elisions."""
    same = make_outputs.match_lines
    assert same(["epoch 1/10  loss 0.6590  (0.0s)"], ["epoch 1/10  loss 0.65904  (3.2s)"])
    assert not same(["epoch 1/10  loss 0.6590"], ["epoch 1/10  loss 0.6612"])
    assert not same(["epoch 1/10  loss 0.6590"], ["epoch 2/10  loss 0.6590"])
    assert not same(["bias b = -0.0345 (toward pos)"], ["bias b = -0.0345 (toward neg)"])
    assert same(["a", "   ⋮", "z 1"], ["a", "b", "c", "z 1"])
    assert not same(["a", "z 1"], ["a", "b", "z 1"])
    assert same(["trained  …", "n 3"], ["trained  2026-12-04T18:04:07", "n 3"])
    step = make_outputs.Step("shell", "", 1, mode="json")
    output = '{"pos": [{"term": "great", "w": 9.1}, {"term": "fun", "w": 2}], "neg": [{"term": ' \
             '"dull", "w": -9.1487}], "data": [0.5, 0.25], "version": "1dd97"}'
    assert make_outputs.matches(step, output, ['{"pos": [{"term": "great", ...}, ...],',
                                               ' "neg": [{"term": "dull", "w": -9.15}],',
                                               ' "data": [0.50, 0.25], "version": "…"}'])
    assert not make_outputs.matches(step, output, ['{"neg": [{"term": "dull", "w": 9.15}]}'])
    assert not make_outputs.matches(step, output, ['{"neg": [{"term": "fun"}]}'])
    assert not make_outputs.matches(step, output, ['{"data": [0.5]}'])


# --- options ---------------------------------------------------------------------------------

# Options of other tools that the docs show (with the tool); textclf's own are checked.
OTHER_TOOLS = {
    "--nthreads": "dask worker",
    "--data-dir": "benchmarks", "--corpus": "benchmarks", "--markdown": "benchmarks",
    "--json": "benchmarks and textclf", "--gb": "benchmarks/stream_big.py",
    "--folds": "benchmarks/tune_models.py and textclf tune", "--classifier": "benchmarks",
    "--baseline": "benchmarks", "--grid": "benchmarks", "--systems": "benchmarks",
    "--budget": "benchmarks and textclf tune", "--only": "benchmarks", "--src": "benchmarks",
    "--repeats": "benchmarks", "--parts": "benchmarks", "--docs": "benchmarks and gradcheck",
    "--fit": "benchmarks (cv_study)", "--compare": "benchmarks (cv_study)",
}
OPTION = re.compile(r"(?<![\w-])--[a-zA-Z][\w-]*")
COMMAND = re.compile(r"\btextclf\s+(" + "|".join(COMMANDS) + r")\b([^\n`|;]*(?:\\\n[^\n`|;]*)*)")


def parsers() -> dict[str, argparse.ArgumentParser]:
    root = build_parser()
    verbs = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    return dict(verbs.choices)


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The parser's options by every name, those it hides (old spellings) left out."""
    return {name: action for action in parser._actions if action.help != argparse.SUPPRESS
            for name in action.option_strings}


def documented() -> list[tuple[str, str]]:
    return [(path.name, path.read_text(encoding="utf-8")) for path in make_outputs.PAGES
            if path.name != "architecture.md"]


def test_every_option_the_docs_give_a_command_is_one_it_takes() -> None:
    verbs = {verb: options(parser) for verb, parser in parsers().items()}
    wrong, commands = [], 0
    for name, text in documented():
        for command in COMMAND.finditer(text):
            verb, rest = command.group(1), command.group(2)
            commands += 1
            for option in OPTION.findall(rest):
                if option not in verbs[verb]:
                    wrong.append(f"{name}: textclf {verb} has no {option}")
    assert not wrong, "\n".join(wrong)
    assert commands > 100


def test_every_option_the_docs_name_exists() -> None:
    """In prose an option must be one of some command, and not an old spelling that a
    command still takes quietly (``--features`` for ``--weighting``)."""
    known = {name for parser in parsers().values() for name in options(parser)}
    old = {name for parser in parsers().values() for action in parser._actions
           if action.help == argparse.SUPPRESS for name in action.option_strings}
    wrong = set()
    for name, text in documented():
        for option in OPTION.findall(text):
            if option not in known and option not in OTHER_TOOLS:
                wrong.add(f"{name}: {option} is no option of textclf's")
        for option in OPTION.findall(COMMAND.sub("", text)):
            if option in old:
                wrong.add(f"{name}: {option} is an old spelling")
    assert not wrong, "\n".join(sorted(wrong))


def stated_default(action: argparse.Action):
    """The default the parser takes, or for a training setting left to the model the logistic
    model's, or else the one its help states, "(default: X)" or "(default X; ...)"."""
    if action.default is not None:
        return ",".join(map(str, action.default)) if isinstance(action.default, tuple) \
            else action.default
    if action.dest in TrainingSettings.declared:
        declared = TrainingSettings.declared[action.dest].default
        return MODEL_DEFAULTS["logistic"].get(action.dest, declared)
    stated = re.search(r"\(default:? ([^;)]*)", " ".join(action.help.split()))
    return stated.group(1) if stated else None


def first_word(text: str) -> str:
    return re.split(r"[;:,\s]", str(text).strip(), maxsplit=1)[0]


def same_default(shown: str, value) -> bool:
    """``shown``'s first word against the default's (numbers as numbers)."""
    value = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
    shown, value = first_word(shown), first_word(value)
    try:
        return float(shown) == float(value)
    except ValueError:
        return shown == value


def test_the_readmes_training_defaults_are_the_parsers() -> None:
    """A row of the README's training options gives a default in brackets after an option:
    ``--ngrams N`` [2]; the first word of the bracket is the default (``[40; softmax 160]``,
    ``[auto: ...]``)."""
    train = options(parsers()["train"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `--")]
    checked, wrong = 0, []
    for row in rows:
        for option, shown in re.findall(r"`(--[\w-]+)[^`]*`\s*\[([^\]]+)\]", row):
            action = train[option]
            default = stated_default(action)
            if action.dest == "lowercase":
                default = "lowercase" if default else "no-lowercase"
            checked += 1
            if not same_default(shown, default):
                wrong.append(f"README: {option} [{shown}], the parser's default: {default!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 15


@pytest.mark.parametrize("page, verb", [("tune.md", "tune"), ("serving.md", "serve")])
def test_an_option_tables_defaults_are_the_parsers(page: str, verb: str) -> None:
    """Rows of a table with a default column: ``| `--opt ARG` | meaning | default |``."""
    actions = options(parsers()[verb])
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    checked, wrong = 0, []
    for option, shown in re.findall(r"^\| `(--[\w-]+)[^|]*\|[^|]*\| ([^|]*) \|$", text, re.M):
        value = stated_default(actions[option])
        if not shown.strip() or shown.strip() == "required":
            continue
        checked += 1
        if not same_default(shown, value):
            wrong.append(f"{page}: {option} shows {shown.strip()!r}, the parser's: {value!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 3
