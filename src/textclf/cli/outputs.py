"""Where ``textclf predict`` writes its answers: lines on standard output, or a file.

One record per document (:func:`prediction_record`): its id, the predicted label (a
multi-label model: its labels) and probability, the K most probable labels with
``--top-k``, every class's probability with ``--all-probabilities``, the document's own
fields with ``--keep-fields``. On standard output a record is a tab-separated line (or a
JSON object with ``--json``); ``-o OUT.csv|.tsv|.jsonl`` writes them as a table or JSON
lines, atomically (a crash leaves the old file or the new one).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from textclf.core.escape import escape_controls
from textclf.core.output import atomic_file, check_output
from textclf.errors import SettingsError

TABLE_FORMATS = {".csv": ",", ".tsv": "\t"}
JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")
LIST_SEP = "|"  # several labels (or probabilities) in one field of a table


def ranked(probabilities: np.ndarray, k: int) -> list[int]:
    """The columns of the k largest probabilities, the largest first (ties: first column)."""
    order = np.argsort(-probabilities, kind="stable")
    return order[:k].tolist()


def prediction_record(doc_id: str | None, labels: list[str], probabilities: np.ndarray,
                      chosen: list[int], multi_label: bool, top_k: int | None = None,
                      all_probabilities: bool = False,
                      fields: dict | None = None) -> dict[str, Any]:
    """One document's answer: ``chosen`` are the columns of its label(s), most probable
    first (one for a single-label model); ``top_k`` lists the K most probable labels."""
    record: dict[str, Any] = {} if doc_id is None else {"id": doc_id}
    if multi_label:
        record["labels"] = [labels[j] for j in chosen]
        record["label_probabilities"] = [float(probabilities[j]) for j in chosen]
    else:
        record["label"] = labels[chosen[0]]
        record["probability"] = float(probabilities[chosen[0]])
        if top_k is not None:
            record["top_k"] = [{"label": labels[j], "probability": float(probabilities[j])}
                               for j in ranked(probabilities, top_k)]
    if all_probabilities:
        record["probabilities"] = dict(zip(labels, probabilities.tolist(), strict=True))
    if fields is not None:
        record["fields"] = fields
    return record


def text_line(record: dict[str, Any], escape: bool = False) -> str:
    """``[ID<tab>]LABEL(S)<tab>PROBABILITY(IES)[<tab>LABEL=P,...]``: the labels (the top k,
    or a multi-label model's) comma-separated, their probabilities likewise; with
    ``escape`` (a terminal) every cell's control characters escaped, so that a label
    cannot move the cursor or break the line."""
    if "labels" in record:
        names, values = record["labels"], record["label_probabilities"]
    elif "top_k" in record:
        names = [entry["label"] for entry in record["top_k"]]
        values = [entry["probability"] for entry in record["top_k"]]
    else:
        names, values = [record["label"]], [record["probability"]]
    cells = [record["id"]] if "id" in record else []
    cells += [",".join(names), ",".join(f"{p:.4f}" for p in values)]
    if "probabilities" in record:
        cells.append(",".join(f"{k}={p:.4f}" for k, p in record["probabilities"].items()))
    return "\t".join(map(escape_controls, cells) if escape else cells)


def json_line(record: dict[str, Any]) -> str:
    """The record as one JSON object (a multi-label model's labels without their
    probabilities, which ``probabilities`` holds)."""
    shown = {k: v for k, v in record.items() if k != "label_probabilities"}
    return json.dumps(shown, ensure_ascii=False)


def table_row(record: dict[str, Any]) -> dict[str, str]:
    """The record flattened into columns: id, label(s), probability(ies), the top k as
    label_2, probability_2, ..., every class as ``p:LABEL``, then the document's fields
    (one named like an answer column gets the prefix ``input.``)."""
    row: dict[str, str] = {}
    if "id" in record:
        row["id"] = record["id"]
    if "labels" in record:
        row["labels"] = LIST_SEP.join(record["labels"])
        row["probabilities"] = LIST_SEP.join(f"{p:.6g}" for p in record["label_probabilities"])
    else:
        row["label"], row["probability"] = record["label"], f"{record['probability']:.6g}"
        for rank, entry in enumerate(record.get("top_k", [])[1:], start=2):
            row[f"label_{rank}"] = entry["label"]
            row[f"probability_{rank}"] = f"{entry['probability']:.6g}"
    for label, p in record.get("probabilities", {}).items():
        row[f"p:{label}"] = f"{p:.6g}"
    for name, value in (record.get("fields") or {}).items():
        key = f"input.{name}" if name in row else name
        row[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return row


def output_kind(path: Path) -> str:
    """``csv``, ``tsv`` or ``jsonl``, from the name of ``-o``."""
    suffix = path.suffix.lower()
    if suffix in TABLE_FORMATS:
        return suffix[1:]
    if suffix in JSON_SUFFIXES:
        return "jsonl"
    raise SettingsError(f"{path}: -o writes .csv, .tsv or .jsonl files (the name says which)")


def is_predictions_file(path: Path) -> bool:
    """A file ``predict -o`` wrote (or an empty one): a table whose header starts with
    ``id`` and ``label`` or ``labels``, or JSON lines whose first object has an ``id`` and a
    label."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return False
    kind = output_kind(path)
    if kind == "jsonl":
        try:
            record = json.loads(first)
        except ValueError:
            return not first.strip()  # an empty file
        return isinstance(record, dict) and "id" in record \
            and ("label" in record or "labels" in record)
    cells = first.rstrip("\r\n").split(TABLE_FORMATS[f".{kind}"])
    return not first.strip() or cells[:2] in (["id", "label"], ["id", "labels"])


def checked_predictions_path(output: str, inputs: list[str], force: bool) -> Path:
    """``-o``, before anything is read: a .csv/.tsv/.jsonl name, never one of the inputs,
    and a new file or one ``predict -o`` wrote (any regular file with ``--force``)."""
    path = Path(output)
    output_kind(path)
    for spec in inputs:
        if spec != "-" and Path(spec).exists() and path.exists() \
                and Path(spec).resolve() == path.resolve():
            raise SettingsError(f"{path}: is an input; -o names a new file for the answers")
    return check_output(path, is_predictions_file, force, what="predictions file")


class TableWriter:
    """CSV/TSV rows whose header is the first record's columns."""

    def __init__(self, stream: TextIO, delimiter: str):
        self.stream, self.delimiter = stream, delimiter
        self.writer: csv.DictWriter | None = None

    def write(self, record: dict[str, Any]) -> None:
        row = table_row(record)
        if self.writer is None:
            self.writer = csv.DictWriter(self.stream, list(row), delimiter=self.delimiter,
                                         extrasaction="ignore", lineterminator="\n")
            self.writer.writeheader()
        self.writer.writerow(row)


@contextmanager
def record_sink(output: Path | None, json_lines: bool, stdout: TextIO) -> Iterator:
    """A function that takes one record after the other: printed to ``stdout`` (a line,
    or JSON), or written to ``output`` (atomically, when the block ends without error)."""
    if output is None:
        terminal = stdout.isatty()
        yield lambda record: stdout.write((json_line(record) if json_lines
                                           else text_line(record, terminal)) + "\n")
        stdout.flush()
        return
    kind = output_kind(output)
    with atomic_file(output) as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        if kind == "jsonl":
            yield lambda record: stream.write(json_line(record) + "\n")
        else:
            yield TableWriter(stream, TABLE_FORMATS[f".{kind}"]).write
        stream.flush()
        stream.detach()
