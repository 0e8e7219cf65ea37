#!/usr/bin/env python
"""Run the commands whose outputs the docs show; check those outputs, or write them anew.

    python docs/make_outputs.py             # run the marked commands, rewrite what changed
    python docs/make_outputs.py --check     # only compare; exit 1 on a difference
    python docs/make_outputs.py docs/tutorial.md --fast --workdir /tmp/t   # one page, keep files

A page marks what it shows with HTML comments, which the rendered page hides:

``<!-- output -->`` before a fenced block
    the block shows the output of the fenced block just before the marker: what a python
    block prints, or what the commands of any other block print (run by bash). When the
    marked block's lines start with ``$ ``, it is a transcript instead: each ``$`` line is
    run and the lines after it are its output.
``<!-- output: CMD -->`` before a fenced block
    the block shows the output of CMD.
``<!-- run: CMD -->``
    CMD runs at this point of the page (something the page needs but does not show); it
    must succeed. CMD may span lines.

Flags go between the word and the colon: ``<!-- output slow: CMD -->``. ``slow``: run only
by this script, or by the test with ``TEXTCLF_DOCS_SLOW=1`` (a command that trains on a
large corpus, or starts a server). ``json``: the block is JSON with parts left out
(``...``); its ``"key": value`` pairs are compared, in order, with those of the output.

A page runs as one session in a fresh folder, in page order: every python block (in one
namespace), every ``run`` and every marked command. The folder stands where the repository
stands, so ``../shared/datasets`` is the shared corpora; ``textclf`` and ``python`` run this
checkout's code. Output is standard output and standard error together, with
``NO_COLOR=1``.

How a shown output is compared with what ran, line by line (whitespace runs count as one
space): the text must be equal and every number must equal the printed one to within one
unit of the last digit the page shows (integers exactly). A line holding only ``⋮`` stands
for any number of lines; ``…`` in a line stands for any text; a number followed directly
by ``s`` (``(0.1s)``) is a duration and any value passes.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHARED = ROOT.parent / "shared"
TIMEOUT = 900  # seconds for one command

MARKER = re.compile(r"<!--\s*(output|run)((?:\s+(?:slow|json))*)\s*(?::(.*?))?-->", re.S)
FENCE = re.compile(r"^(```+)(\S*)\s*$")
NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
ELLIPSIS, VERTICAL = "…", "⋮"


@dataclass
class Block:
    """A fenced block of a page: its lines (without the fences) and where it is."""

    start: int  # index of the opening fence's line
    end: int  # index of the closing fence's line
    lang: str
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Step:
    """One thing a page's session runs: a python block or a command, and the block of
    the page that shows its output (if any)."""

    kind: str  # "python" or "shell"
    code: str
    line: int  # 1-based line of the page, for messages
    shown: Block | None = None
    mode: str = "lines"  # or "json"
    slow: bool = False
    setup: bool = False


@dataclass
class Page:
    path: Path
    lines: list[str]
    steps: list[Step] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def has_checks(self, slow: bool) -> bool:
        return any(s.shown is not None and (slow or not s.slow) for s in self.steps)


def fenced_blocks(lines: list[str]) -> list[Block]:
    blocks, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match:
            fence = match.group(1)
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].strip() == fence), None)
            if end is None:
                raise ValueError(f"line {i + 1}: a fence that is never closed")
            blocks.append(Block(i, end, match.group(2), lines[i + 1:end]))
            i = end
        i += 1
    return blocks


def transcript(block: Block) -> list[tuple[str, list[str]]]:
    """A ``$ `` transcript's commands, each with the lines shown after it."""
    parts: list[tuple[str, list[str]]] = []
    lines = iter(block.lines)
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command += "\n" + next(lines)
            parts.append((command, []))
        elif parts:
            parts[-1][1].append(line)
        else:
            raise ValueError(f"line {block.start + 2}: a transcript starts with '$ '")
    return parts


def parse(path: Path) -> Page:
    """The page's steps, in page order; a malformed marker is a ValueError naming its line."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    page = Page(path, lines)
    blocks = fenced_blocks(lines)
    inside = {i for b in blocks for i in range(b.start, b.end + 1)}
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    markers = []
    for match in MARKER.finditer(text):
        first = bisect.bisect_right(offsets, match.start()) - 1
        last = bisect.bisect_right(offsets, match.end() - 1) - 1
        if first not in inside:
            markers.append((first, last, match))
    python = {b.start: Step("python", b.text, b.start + 1) for b in blocks if b.lang == "python"}
    events: list[tuple[int, Step]] = [(start, step) for start, step in python.items()]
    for first, last, match in markers:
        word, flags, command = match.group(1), match.group(2).split(), match.group(3)
        where = f"{path.name}, line {first + 1}"
        slow, mode = "slow" in flags, "json" if "json" in flags else "lines"
        if word == "run":
            if not command or not command.strip():
                raise ValueError(f"{where}: <!-- run: CMD --> needs its command")
            events.append((first, Step("shell", command.strip(), first + 1, slow=slow,
                                       setup=True)))
            continue
        shown = next((b for b in blocks if b.start > last), None)
        if shown is None or any(lines[i].strip() for i in range(last + 1, shown.start)):
            raise ValueError(f"{where}: an output marker must stand right before a fenced block")
        if command and command.strip():
            events.append((first, Step("shell", command.strip(), first + 1, shown, mode, slow)))
        elif shown.lines and shown.lines[0].startswith("$ "):
            for command, _ in transcript(shown):
                events.append((first, Step("shell", command, first + 1, shown, mode, slow)))
        else:
            before = next((b for b in reversed(blocks) if b.end < first), None)
            if before is None or any(lines[i].strip() for i in range(before.end + 1, first)):
                raise ValueError(f"{where}: <!-- output --> must follow the block whose "
                                 "output it marks (or name the command: <!-- output: CMD -->)")
            if before.start in python:
                step = python[before.start]
                step.shown, step.mode, step.slow = shown, mode, slow
            else:
                events.append((first, Step("shell", before.text, before.start + 1, shown,
                                           mode, slow)))
    page.steps = [step for _, step in sorted(events, key=lambda e: e[0])]
    return page


# --- running a page --------------------------------------------------------------------------

RUNNER = r'''
import contextlib, io, json, subprocess, sys, traceback
steps = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__"}
results = []
for step in steps:
    if step["kind"] == "python":
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(step["code"], step["where"], "exec"), namespace)
            results.append({"output": out.getvalue(), "status": 0})
        except BaseException:
            results.append({"output": out.getvalue() + traceback.format_exc(), "status": 1})
    else:
        try:
            done = subprocess.run(["bash", "-c", step["code"]], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  text=True, timeout=float(sys.argv[3]))
            results.append({"output": done.stdout, "status": done.returncode})
        except subprocess.TimeoutExpired as err:
            results.append({"output": f"timed out after {err.timeout} s", "status": 124})
    sys.stdout.flush()
json.dump(results, open(sys.argv[2], "w", encoding="utf-8"))
'''


def environment(folder: Path) -> dict[str, str]:
    """The environment of a session: this checkout's ``textclf`` and ``python`` first on
    PATH, plain output."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "textclf"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "import sys; from textclf.cli '
                        f'import main; sys.exit(main())" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n',
                                    encoding="utf-8")
    (bin_dir / "python").chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH"))
                                        if p)
    env.update(NO_COLOR="1", PYTHONUNBUFFERED="1", COLUMNS="100", TZ="UTC")
    return env


def run_page(page: Page, folder: Path, slow: bool) -> list[tuple[Step, str, int]]:
    """Run the page's steps (the slow ones too if ``slow``) in ``folder``, which stands
    beside a link to the shared corpora; each step with its output and exit status."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder.parent / "shared"
    if SHARED.is_dir() and not link.exists():
        link.symlink_to(SHARED, target_is_directory=True)
    steps = [s for s in page.steps if slow or not s.slow]
    plan = folder / ".steps.json"
    plan.write_text(json.dumps([{"kind": s.kind, "code": s.code,
                                 "where": f"{page.name}:{s.line}"} for s in steps]),
                    encoding="utf-8")
    results = folder / ".results.json"
    subprocess.run([sys.executable, "-c", RUNNER, str(plan), str(results), str(TIMEOUT)],
                   cwd=folder, env=environment(folder), check=True)
    answers = json.loads(results.read_text(encoding="utf-8"))
    return [(s, a["output"], a["status"]) for s, a in zip(steps, answers, strict=True)]


# --- comparing -----------------------------------------------------------------------------

def decimals(number: str) -> float:
    """One unit of the last digit ``number`` shows (0 for an integer)."""
    mantissa, _, exponent = number.lower().partition("e")
    digits = len(mantissa.partition(".")[2])
    if not digits and not exponent:
        return 0.0
    return 10.0 ** (int(exponent or 0) - digits)


def line_pattern(shown: str) -> tuple[re.Pattern, list[str | None]]:
    """A regular expression for the lines ``shown`` stands for, and the numbers it shows
    (None where a number is a duration)."""
    pattern, numbers, position = [], [], 0
    tokens = re.finditer(rf"(?P<number>{NUMBER})(?P<seconds>s\b)?|(?P<space>\s+)|"
                         rf"(?P<any>{ELLIPSIS})", shown.strip())
    text = shown.strip()
    for token in tokens:
        pattern.append(re.escape(text[position:token.start()]))
        position = token.end()
        if token.group("number"):
            pattern.append(f"({NUMBER})")
            if token.group("seconds"):
                pattern.append("s")
                numbers.append(None)
            else:
                numbers.append(token.group("number"))
        elif token.group("space"):
            pattern.append(r"\s+")
        else:
            pattern.append(".*?")
    pattern.append(re.escape(text[position:]))
    return re.compile("".join(pattern)), numbers


def same_line(shown: str, actual: str) -> bool:
    pattern, numbers = line_pattern(shown)
    match = pattern.fullmatch(actual.strip())
    if match is None:
        return False
    for expected, got in zip(numbers, match.groups(), strict=True):
        if expected is None:
            continue
        unit = decimals(expected)
        if not math.isclose(float(expected), float(got), rel_tol=0, abs_tol=unit * 1.0001):
            return False
    return True


def match_lines(shown: list[str], actual: list[str]) -> bool:
    """Whether the shown lines (``⋮`` for any run of lines) stand for the actual ones."""
    if not shown:
        return not actual
    if shown[0].strip() == VERTICAL:
        return any(match_lines(shown[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and same_line(shown[0], actual[0]) and match_lines(shown[1:], actual[1:])


def trimmed(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def json_text(output: str) -> str:
    """The output's JSON documents written as json.dumps writes them (``"key": value``)."""
    try:
        return json.dumps(json.loads(output), ensure_ascii=False)
    except ValueError:
        return "\n".join(json.dumps(json.loads(line), ensure_ascii=False)
                         for line in output.splitlines() if line.strip())


SCALAR = rf'"(?:[^"\\]|\\.)*"|{NUMBER}|true|false|null'
VALUE = rf"{SCALAR}|\[\s*(?:(?:{SCALAR})\s*,\s*)*(?:{SCALAR})?\s*\]"  # a scalar or a list of them
KEY = re.compile(r'"(?P<key>[^"\\]+)":\s*')


def json_pairs(shown: str, actual: str) -> list[tuple[re.Match, str | None]]:
    """Each ``"key": value`` pair shown (a scalar or a list of scalars), with the actual
    value. Every key shown, whatever its value, is found at its next place in the output
    after the key before it, so that a key is looked for inside the object shown around it
    (``"neg": [{"term": ...`` finds the ``term`` of ``neg``)."""
    pairs, position = [], 0
    for key in KEY.finditer(shown):
        value = re.compile(VALUE).match(shown, key.end())
        name = re.escape(json.dumps(key.group("key"), ensure_ascii=False))
        found = re.compile(rf"{name}:\s*").search(actual, position)
        got = None
        if found:
            position = found.end()
            got = re.compile(VALUE).match(actual, position)
        if value:
            pairs.append((value, got.group(0) if got else None))
    return pairs


def same_value(shown: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if shown.startswith("["):
        items = [re.findall(SCALAR, text) for text in (shown, actual)]
        return len(items[0]) == len(items[1]) and all(
            same_value(a, b) for a, b in zip(*items, strict=True))
    if re.fullmatch(NUMBER, shown) and re.fullmatch(NUMBER, actual):
        return math.isclose(float(shown), float(actual), rel_tol=0,
                            abs_tol=max(decimals(shown), 1e-12) * 1.0001)
    if shown.startswith('"') and ELLIPSIS in shown:
        return re.fullmatch(".*?".join(map(re.escape, shown.split(ELLIPSIS))), actual) is not None
    return shown == actual


def matches(step: Step, output: str, shown_lines: list[str]) -> bool:
    if step.mode == "json":
        actual = json_text(output)
        return all(same_value(p.group(0), got) for p, got in json_pairs(
            "\n".join(shown_lines), actual))
    return match_lines(shown_lines, trimmed(output))


# --- rewriting -----------------------------------------------------------------------------

def merged(shown: list[str], actual: list[str]) -> list[str]:
    """New lines for a block: the shown line where it still stands for the actual one
    (keeping its ``…`` and durations), else the actual line; a ``⋮`` keeps the shown
    block's lines before and after it."""
    if VERTICAL in [s.strip() for s in shown]:
        cut = [s.strip() for s in shown].index(VERTICAL)
        head, tail = shown[:cut], shown[cut + 1:]
        if len(actual) > len(head) + len(tail):
            return (merged(head, actual[:len(head)]) + [shown[cut]]
                    + merged(tail, actual[len(actual) - len(tail):]))
        return actual
    if len(shown) != len(actual):
        return actual
    return [s if same_line(s, a) else a for s, a in zip(shown, actual, strict=True)]


def shown_like(shown: str, actual: str) -> str:
    """``actual`` written as ``shown`` is: numbers to the decimals shown, ``…`` kept."""
    if shown.startswith("["):
        pairs = zip(re.findall(SCALAR, shown), re.findall(SCALAR, actual), strict=False)
        return "[" + ", ".join(shown_like(a, b) for a, b in pairs) + "]"
    if same_value(shown, actual):
        return shown
    if re.fullmatch(NUMBER, shown) and re.fullmatch(NUMBER, actual) and "." in shown:
        return f"{float(actual):.{len(shown.partition('.')[2])}f}"
    return actual


def json_rewritten(shown: str, output: str) -> str:
    pieces, position = [], 0
    for pair, got in json_pairs(shown, json_text(output)):
        value = pair.group(0)
        if got is None or same_value(value, got):
            continue
        pieces.append(shown[position:pair.start()] + shown_like(value, got))
        position = pair.end()
    return "".join(pieces) + shown[position:]


@dataclass
class Difference:
    page: Page
    step: Step
    output: str
    status: int
    writable: bool  # the command ran as the page expects, and printed something else

    def describe(self) -> str:
        return (f"{self.page.name}, line {self.step.line}: {self.step.code.splitlines()[0]!r}"
                f" (exit {self.status}) printed:\n{self.output.rstrip()}\n--- the page shows:\n"
                + "\n".join(self.step.shown.lines if self.step.shown else []))


def differences(page: Page, ran: list[tuple[Step, str, int]]) -> list[Difference]:
    """The steps that failed, or whose output the page shows otherwise."""
    found = []
    for step, output, status in ran:
        if step.shown is None:
            if status != 0:
                found.append(Difference(page, step, output, status, writable=False))
            continue
        shown = step.shown.lines
        if shown and shown[0].startswith("$ "):
            shown = next(lines for command, lines in transcript(step.shown)
                         if command == step.code)
        as_expected = status == 0 or any("error:" in line for line in shown)
        if not as_expected or not matches(step, output, shown):
            found.append(Difference(page, step, output, status, writable=as_expected))
    return found


def rewrite(page: Page, found: list[Difference]) -> None:
    """Write the outputs of ``found`` into the page's blocks."""
    lines = list(page.lines)
    by_block: dict[int, list[Difference]] = {}
    for difference in found:
        by_block.setdefault(difference.step.shown.start, []).append(difference)
    for start in sorted(by_block, reverse=True):
        block = by_block[start][0].step.shown
        outputs = {d.step.code: d.output for d in by_block[start]}
        step = by_block[start][0].step
        if step.mode == "json":
            new = json_rewritten(block.text, outputs[step.code]).split("\n")
        elif block.lines and block.lines[0].startswith("$ "):
            new = []
            for command, shown in transcript(block):
                got = shown if command not in outputs else merged(shown, trimmed(outputs[command]))
                new += ["$ " + command] + got
        else:
            new = merged(block.lines, trimmed(outputs[step.code]))
        lines[block.start + 1:block.end] = new
    page.path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="pages (default: README.md, docs/*.md)")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    parser.add_argument("--fast", action="store_true", help="leave out the slow commands")
    parser.add_argument("--workdir", type=Path, help="run here and keep the files (default: a "
                        "temporary folder)")
    args = parser.parse_args(argv)
    pages = [parse(p.resolve()) for p in (args.pages or PAGES)]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="textclf-docs-"))
    status = 0
    for page in pages:
        if not page.has_checks(slow=not args.fast):
            continue
        print(f"{page.name}: running {len(page.steps)} steps in {work / page.path.stem}",
              file=sys.stderr)
        found = differences(page, run_page(page, work / page.path.stem / "repo",
                                           slow=not args.fast))
        for difference in found:
            print(difference.describe(), file=sys.stderr)
        writable = [d for d in found if d.writable]
        if writable and not args.check:
            rewrite(page, writable)
            print(f"{page.name}: rewrote {len(writable)} output(s)", file=sys.stderr)
        status |= bool(found)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
