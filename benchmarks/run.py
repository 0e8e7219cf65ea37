"""Benchmark textclf against its peers on the shared corpora, in one run.

Usage (from the repository root)::

    python benchmarks/run.py                      # every corpus, every system
    python benchmarks/run.py --corpus mr sms_spam --systems textclf fasttext
    python benchmarks/run.py --markdown --json benchmarks/results.json
    python benchmarks/run.py --corpus movie_reviews --cv 10   # 10-fold CV over all documents

Each (corpus, system) pair runs in a fresh child process (multiprocessing "spawn"), so
its peak RSS (VmHWM) is its own. In the child: load the corpus, build the system (its
library is imported here, off the clock), time ``fit`` on the raw train texts, time
``predict`` on the raw test texts, read VmHWM, score. With ``--cv K`` each pair runs K
times, once per fold of a stratified K-fold cross-validation over all the corpus's
documents (train, dev and test pooled): the mean accuracy over the folds and its standard
deviation. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import importlib.util
import json
import multiprocessing as mp
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from corpora import (
    DEFAULT_DATA_DIR,
    REPO_ROOT,
    accuracy,
    available_corpora,
    cross_validation_fold,
    load_corpus,
    macro_f1,
)
from peers import ALL_SYSTEMS, DEFAULT_SYSTEMS, make_system, system_settings

Result = dict[str, Any]


# ----------------------------------------------------------------------------- child


def _proc_status_mib(field: str) -> float:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM, ...) in MiB."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _use_repo_textclf() -> str:
    """Make ``import textclf`` work from the repo's src/ if it is not installed."""
    if importlib.util.find_spec("textclf") is not None:
        return "installed"
    src = REPO_ROOT / "src"
    if (src / "textclf").is_dir():
        sys.path.insert(0, str(src))
        return f"{src} (not installed)"
    return "not found"


def measure(
    data_dir: str,
    corpus_name: str,
    system: str,
    overrides: dict[str, Any],
    fold: tuple[int, int] | None = None,
) -> Result:
    """Fit and score one system on one corpus, in the current process; ``fold`` = (k, i):
    on fold i of the k-fold cross-validation over all the corpus's documents."""
    corpus = load_corpus(Path(data_dir), corpus_name)
    if fold is not None:
        corpus = cross_validation_fold(corpus, *fold)
    result: Result = {"corpus": corpus_name, "system": system}
    if fold is not None:
        result["fold"] = fold[1]
    if system == "textclf":
        result["textclf_from"] = _use_repo_textclf()
    try:
        model = make_system(system, corpus_name, overrides)
    except ImportError as exc:
        return {**result, "status": "skipped", "reason": f"cannot import: {exc}"}
    result["rss_before_fit_mib"] = round(_proc_status_mib("VmRSS"), 1)
    dev = corpus.dev
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    model.fit(
        corpus.train.texts,
        corpus.train.labels,
        dev_texts=dev.texts if dev else None,
        dev_labels=dev.labels if dev else None,
    )
    cpu1, t1 = _cpu_seconds(), time.perf_counter()
    predicted = list(model.predict(corpus.test.texts))
    cpu2, t2 = _cpu_seconds(), time.perf_counter()
    peak = _proc_status_mib("VmHWM")
    y_true = corpus.test.labels
    if hasattr(model, "chosen"):  # what textclf tune chose
        result["chosen"] = model.chosen
    return {
        **result,
        "status": "ok",
        "accuracy": accuracy(y_true, predicted),
        "macro_f1": macro_f1(y_true, predicted),
        "fit_s": t1 - t0,
        "predict_s": t2 - t1,
        "fit_cpu_s": cpu1 - cpu0,
        "predict_cpu_s": cpu2 - cpu1,
        "peak_rss_mib": round(peak, 1),
    }


def _child(
    conn: Any, data_dir: str, corpus: str, system: str, overrides: dict, fold: tuple | None
) -> None:
    """Child-process entry: run ``measure`` and send its result (or the error) back."""
    try:
        result = measure(data_dir, corpus, system, overrides, fold)
    except BaseException as exc:  # every failure is reported back, not raised here
        result = {
            "corpus": corpus,
            "system": system,
            "status": "error",
            "reason": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    conn.send(result)
    conn.close()


def run_in_child(
    data_dir: Path,
    corpus: str,
    system: str,
    overrides: dict[str, Any],
    timeout: float,
    fold: tuple[int, int] | None = None,
) -> Result:
    """Run ``measure`` in a fresh spawned process and return its result."""
    ctx = mp.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(sender, str(data_dir), corpus, system, overrides, fold)
    )
    proc.start()
    sender.close()
    result: Result | None = None
    if receiver.poll(timeout):
        try:
            result = receiver.recv()
        except EOFError:
            result = None
    else:
        proc.terminate()
        result = {"status": "error", "reason": f"timed out after {timeout:.0f} s"}
    proc.join()
    if result is None:
        result = {"status": "error", "reason": f"child process died (exit code {proc.exitcode})"}
    return {"corpus": corpus, "system": system, **result}


# ------------------------------------------------------------------------- reporting


def environment() -> dict[str, Any]:
    """Date, machine, Python and library versions, for the report."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = float("nan")
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            mem_gib = int(handle.readline().split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        pass

    def version(dist: str) -> str | None:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return None

    libs: dict[str, str | None] = {
        d: version(d) for d in ("numpy", "scipy", "scikit-learn", "vowpalwabbit", "textclf")
    }
    if libs["textclf"] is None and (REPO_ROOT / "src" / "textclf").is_dir():
        libs["textclf"] = f"{_src_version()} (from src/, not installed)"
    # Several PyPI distributions provide the `fasttext` module: name the one installed.
    for dist in md.packages_distributions().get("fasttext", []) or ["fasttext"]:
        libs[dist] = version(dist)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_gib, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "libraries": libs,
        "repo_commit": _repo_commit(),
    }


def _src_version() -> str:
    """``__version__`` of src/textclf, read without importing it."""
    init = REPO_ROOT / "src" / "textclf" / "__init__.py"
    match = re.search(r"__version__\s*=\s*[\"']([^\"']+)", init.read_text(encoding="utf-8"))
    return match.group(1) if match else "?"


def _repo_commit() -> str:
    """Short commit of the repository, with "+changes" if the work tree differs."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(REPO_ROOT), *args],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def summarize(runs: list[Result]) -> Result:
    """One row from the repeats of a (corpus, system): mean scores, median seconds."""
    ok = [r for r in runs if r["status"] == "ok"]
    first = runs[0]
    row: Result = {k: first[k] for k in ("corpus", "system")}
    row["settings"] = first.get("settings", {})
    if not ok:
        row["status"] = first["status"]
        row["reason"] = first.get("reason", "")
        return row
    row["status"] = "ok"
    row["runs"] = len(ok)
    for key in ("accuracy", "macro_f1"):
        row[key] = statistics.fmean(r[key] for r in ok)
    if len(ok) > 1:
        row["accuracy_std"] = statistics.stdev(r["accuracy"] for r in ok)
    for key in ("fit_s", "predict_s", "fit_cpu_s", "predict_cpu_s"):
        row[key] = statistics.median(r[key] for r in ok)
    row["peak_rss_mib"] = max(r["peak_rss_mib"] for r in ok)
    if len(ok) < len(runs):
        row["reason"] = f"{len(runs) - len(ok)} of {len(runs)} runs failed"
    return row


COLUMNS = ["system", "accuracy", "macro-F1", "fit s", "predict s", "peak RSS MiB"]


def _cells(row: Result, ref: Result | None) -> list[str]:
    """Formatted cells of one ok row (ratios against ``ref`` if given)."""
    spread = f" ± {row['accuracy_std']:.4f}" if "accuracy_std" in row else ""
    cells = [
        row["system"],
        f"{row['accuracy']:.4f}{spread}",
        f"{row['macro_f1']:.4f}",
        f"{row['fit_s']:.2f}",
        f"{row['predict_s']:.3f}",
        f"{row['peak_rss_mib']:.0f}",
    ]
    if ref is not None:
        cells += [
            f"{row['fit_s'] / ref['fit_s']:.2f}" if ref["fit_s"] > 0 else "-",
            f"{row['predict_s'] / ref['predict_s']:.2f}" if ref["predict_s"] > 0 else "-",
        ]
    return cells


def _settings_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or "defaults"


def _reference(rows: list[Result], ref_name: str | None) -> Result | None:
    for row in rows:
        if row["system"] == ref_name and row["status"] == "ok":
            return row
    return None


def corpus_heading(info: Result) -> str:
    """``name: train N (+ dev N), test N, K classes``."""
    dev = f" (+ dev {info['dev']})" if info.get("dev") else ""
    if info.get("folds"):
        documents = info["train"] + info.get("dev", 0) + info["test"]
        return (f"{info['name']}: {info['folds']}-fold cross-validation over all {documents} "
                f"documents, {info['classes']} classes")
    sizes = f"train {info['train']}{dev}, test {info['test']}, {info['classes']} classes"
    return f"{info['name']}: {sizes}"


def text_table(info: Result, rows: list[Result], ref_name: str | None) -> str:
    """Plain-text table of one corpus, with notes for skipped or failed systems."""
    ref = _reference(rows, ref_name)
    header = COLUMNS + ([f"fit/{ref_name}", f"pred/{ref_name}"] if ref else [])
    body = [_cells(r, ref) for r in rows if r["status"] == "ok"]
    widths = [max(len(c) for c in col) for col in zip(header, *body, strict=True)]
    lines = [corpus_heading(info)]
    fmt = [f"{{:<{widths[0]}}}"] + [f"{{:>{w}}}" for w in widths[1:]]
    for cells in [header, *body]:
        lines.append("  " + "  ".join(f.format(c) for f, c in zip(fmt, cells, strict=True)))
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"  {r['system']}: {r['status']} - {r.get('reason', '')}")
        elif r.get("reason"):
            lines.append(f"  {r['system']}: note - {r['reason']}")
    return "\n".join(lines)


def markdown_report(
    env: Result, command: str, infos: list[Result], rows: list[Result], ref_name: str | None
) -> str:
    """Markdown section for RESULTS.md: run facts, then one table per corpus."""
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v)
    missing = [k for k, v in env["libraries"].items() if not v]
    lines = [
        f"### Run of {env['date']}",
        "",
        f"- Machine: {env['cpu']}, {env['cores']} cores ({env['usable_cores']} usable), "
        f"{env['memory_gib']} GiB RAM; {env['os']}",
        f"- Python {env['python']}; {libs}"
        + (f" (not installed: {', '.join(missing)})" if missing else ""),
        f"- Command: `{command}` (textclf repo at commit {env['repo_commit']})",
        "- Each system ran in its own process. fit s: raw train texts to trained model; "
        "predict s: raw test texts to labels (wall clock). Peak RSS: VmHWM of that process "
        "(includes the interpreter, the libraries and the loaded corpus).",
    ]
    for info in infos:
        mine = [r for r in rows if r["corpus"] == info["name"]]
        ref = _reference(mine, ref_name)
        header = COLUMNS + ([f"fit ÷ {ref_name}", f"predict ÷ {ref_name}"] if ref else [])
        header.append("settings")
        lines += ["", f"#### {corpus_heading(info)}", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|---|" + "---:|" * (len(header) - 2) + "---|")
        for r in mine:
            if r["status"] == "ok":
                cells = _cells(r, ref) + [_settings_text(r["settings"])]
                lines.append("| " + " | ".join(cells) + " |")
        notes = [r for r in mine if r["status"] != "ok" or r.get("reason")]
        if notes:
            lines.append("")
            lines += [f"- {r['system']}: {r['status']}: {r.get('reason', '')}" for r in notes]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def parse_opts(items: list[str]) -> dict[str, dict[str, Any]]:
    """``SYSTEM.KEY=VALUE`` items into {system: {key: value}} (VALUE as JSON if it parses)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        target, sep, raw = item.partition("=")
        system, dot, key = target.partition(".")
        if not sep or not dot or not key:
            raise SystemExit(f"--opt {item!r}: expected SYSTEM.KEY=VALUE")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(system, {})[key] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", metavar="NAME", help="default: all in --data-dir")
    parser.add_argument(
        "--systems", nargs="+", default=DEFAULT_SYSTEMS, choices=ALL_SYSTEMS, metavar="SYSTEM",
        help=f"default: {' '.join(DEFAULT_SYSTEMS)}; also textclf-tune (tune --budget 60)",
    )  # fmt: skip
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per pair: mean scores, median seconds"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per run (default 3600)"
    )
    parser.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="SYSTEM.KEY=VALUE",
        help="override a setting, e.g. fasttext.epoch=10 or textclf.epochs=5",
    )
    parser.add_argument(
        "--ref", default="textclf", help="ratio columns against this system (default textclf)"
    )
    parser.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="K-fold cross-validation over all of each corpus's documents (train, dev and "
        "test pooled): each pair runs once per fold; mean accuracy ± its std over the folds",
    )
    parser.add_argument("--markdown", action="store_true", help="also print a markdown report")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all results as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run every requested (corpus, system) pair and report."""
    args = build_parser().parse_args(argv)
    data_dir: Path = args.data_dir.resolve()
    if not data_dir.is_dir():
        raise SystemExit(f"data dir not found: {data_dir}")
    corpora = args.corpus or available_corpora(data_dir)
    unknown = [c for c in corpora if not (data_dir / c / "train.jsonl.gz").is_file()]
    if unknown:
        raise SystemExit(f"no such corpus in {data_dir}: {', '.join(unknown)}")
    opts = parse_opts(args.opt)
    if args.cv is not None and (args.cv < 2 or args.repeat != 1):
        raise SystemExit("--cv K needs K >= 2, and no --repeat (the folds are the runs)")
    runs_per_pair = args.cv or args.repeat
    command = shlex.join(["python", "benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    env = environment()
    print(
        f"{env['date']} | {env['cpu']} | {env['cores']} cores | Python {env['python']}", flush=True
    )

    runs: list[Result] = []
    rows: list[Result] = []
    infos: list[Result] = []
    total = len(corpora) * len(args.systems) * runs_per_pair
    done = 0
    for corpus_name in corpora:
        corpus = load_corpus(data_dir, corpus_name)
        info = {
            "name": corpus_name,
            "train": len(corpus.train),
            "dev": len(corpus.dev) if corpus.dev else 0,
            "test": len(corpus.test),
            "classes": len(corpus.classes),
            "folds": args.cv,
        }
        infos.append(info)
        del corpus
        corpus_rows = []
        for system in args.systems:
            overrides = opts.get(system, {})
            settings = system_settings(system, corpus_name, overrides)
            pair_runs = []
            for rep in range(runs_per_pair):
                done += 1
                print(
                    f"[{done}/{total}] {corpus_name} / {system} ...",
                    end=" ",
                    file=sys.stderr,
                    flush=True,
                )
                start = time.perf_counter()
                fold = (args.cv, rep) if args.cv else None
                result = run_in_child(
                    data_dir, corpus_name, system, overrides, args.timeout, fold
                )
                result.update(repeat=rep, settings=settings)
                status = result["status"]
                extra = (
                    f"acc {result['accuracy']:.4f}" if status == "ok" else result.get("reason", "")
                ) + (f"; chose {result['chosen']}" if "chosen" in result else "")
                print(
                    f"{status} in {time.perf_counter() - start:.1f} s ({extra})",
                    file=sys.stderr,
                    flush=True,
                )
                if status == "error" and result.get("traceback"):
                    print(result["traceback"], file=sys.stderr)
                pair_runs.append(result)
                if status == "skipped":
                    break
            runs += pair_runs
            corpus_rows.append(summarize(pair_runs))
        rows += corpus_rows
        print("\n" + text_table(info, corpus_rows, args.ref), flush=True)

    if args.markdown:
        print("\n" + markdown_report(env, command, infos, rows, args.ref))
    if args.json:
        payload = {
            "environment": env,
            "command": command,
            "corpora": infos,
            "summary": rows,
            "runs": runs,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}", file=sys.stderr)
    return 1 if any(r["status"] == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
