"""Reading the files people have: CSV dialects (a delimiter given or guessed, no header),
training from standard input, and a label column that looks like lists of labels."""

from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
from pathlib import Path

import pytest
from conftest import TRAIN_DOCS, run_cli

from textclf import DataError, read_corpus
from textclf.corpus import ReadingWarning, iter_documents

TRAINING = ["--min-df", "1", "--epochs", "3", "--top", "0", "--char-ngrams", "none"]


def write_csv(path: Path, rows: list, delimiter: str = ",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def pairs(corpus) -> list[tuple[str, str]]:
    return list(zip(corpus.texts, corpus.labels, strict=True))


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
def test_a_csv_file_in_another_delimiter_is_guessed_and_said(tmp_path: Path, delimiter) -> None:
    path = write_csv(tmp_path / "other.csv", [["text", "label"], *TRAIN_DOCS], delimiter)
    with pytest.warns(ReadingWarning, match=r"other\.csv: read as \w+-separated \("
                      + re.escape(repr(delimiter)) + ", guessed .*--delimiter"):
        assert pairs(read_corpus(path)) == TRAIN_DOCS


def test_a_comma_file_is_read_without_a_word(tmp_path: Path) -> None:
    # texts full of semicolons and bars do not fool the guess: the header names the columns
    docs = [(f"{t}; or | {i}", y) for i, (t, y) in enumerate(TRAIN_DOCS)]
    path = write_csv(tmp_path / "comma.csv", [["text", "label"], *docs])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pairs(read_corpus(path)) == docs


def test_the_guess_without_the_text_column_in_the_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["review", "sentiment"], *TRAIN_DOCS], ";")
    with pytest.warns(ReadingWarning, match="semicolon"):
        corpus = read_corpus(path, text_field="review", label_field="sentiment")
    assert pairs(corpus) == TRAIN_DOCS


def test_a_delimiter_given_is_used(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.txt", [["text", "label"], *TRAIN_DOCS], "#")
    assert pairs(read_corpus(path, fmt="csv", delimiter="#")) == TRAIN_DOCS
    with pytest.raises(DataError, match="one character"):
        read_corpus(path, fmt="csv", delimiter="##")
    with pytest.raises(DataError, match="--delimiter applies to CSV/TSV"):
        read_corpus(path, fmt="fasttext", delimiter="#")


def test_a_missing_column_names_the_columns_and_the_delimiter(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "semi.tsv", [["text", "label"], *TRAIN_DOCS], ";")
    with pytest.raises(DataError) as caught:
        read_corpus(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "semi.tsv: no column 'text' in the header (columns: text;label)" in message
    assert "--delimiter ';'" in message
    path = write_csv(tmp_path / "labels.csv", [["text", "sentiment"], *TRAIN_DOCS])
    with pytest.raises(DataError, match=r"no column 'label' in the header \(columns: text, "
                       r"sentiment\); name the label column with --label-field"):
        read_corpus(path)
    assert read_corpus(path, require_labels=False).labels == [None] * len(TRAIN_DOCS)


def test_no_header_names_columns_by_number(tmp_path: Path) -> None:
    rows = [[y, str(i), t, "2.5"] for i, (t, y) in enumerate(TRAIN_DOCS)]
    path = write_csv(tmp_path / "bare.csv", rows)
    corpus = read_corpus(path, text_field="3", label_field="1", weight_field="4", header=False)
    assert pairs(corpus) == TRAIN_DOCS
    assert corpus.weights == [2.5] * len(TRAIN_DOCS)
    assert corpus.ids[0] == "bare.csv:1"  # the first row is a record
    with pytest.raises(DataError, match=r"bare\.csv: without a header \(--no-header\) columns "
                       r"are named by number.*'text' is not one \(--text-field N\)"):
        read_corpus(path, header=False)
    with pytest.raises(DataError, match=r"no column '3' in the header .*; with --no-header "
                       "columns are named by number"):
        read_corpus(path, text_field="3", label_field="1")
    with pytest.raises(DataError, match=r"no column 7 \(the label column, --label-field\): "
                       "the first row has 4 fields"):
        read_corpus(path, text_field="3", label_field="7", header=False)
    path.write_text(path.read_text() + "short,row\n")
    with pytest.raises(DataError, match=r"line 17: 2 fields where line 1 has 4"):
        read_corpus(path, text_field="3", label_field="1", header=False)


def test_no_header_in_a_guessed_delimiter(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bare.csv", [[y, t] for t, y in TRAIN_DOCS], "|")
    with pytest.warns(ReadingWarning, match="bar-separated"):
        corpus = read_corpus(path, text_field="2", label_field="1", header=False)
    assert pairs(corpus) == TRAIN_DOCS


def test_standard_input_is_read_once_in_the_format_named(monkeypatch) -> None:
    jsonl = "".join(f'{{"text": "{t}", "label": "{y}"}}\n' for t, y in TRAIN_DOCS[:3]
                    if '"' not in t)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(jsonl.encode())))
    corpus = read_corpus("-", fmt="jsonl")
    assert corpus.texts == [t for t, _ in TRAIN_DOCS[:3]] and corpus.ids[0] == "<stdin>:1"
    with pytest.raises(DataError, match="-: standard input has no name to tell its format by; "
                       "give --format"):
        read_corpus("-")
    with pytest.raises(DataError, match="<stdin>: standard input was read already and can "
                       "be read once"):  # (an epoch at a time would read nothing the second)
        list(iter_documents("-", fmt="jsonl"))
    packed = io.BufferedReader(io.BytesIO(gzip.compress(jsonl.encode())))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(packed))
    assert read_corpus("-", fmt="jsonl").texts == corpus.texts  # gzip bytes, un-gzipped


def test_standard_input_in_every_line_format(monkeypatch) -> None:
    formats = {"csv": "text;label\n" + "".join(f"{t.replace(';', ',')};{y}\n"
                                                for t, y in TRAIN_DOCS if '"' not in t),
               "tsv": "text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in TRAIN_DOCS
                                                 if '"' not in t),
               "fasttext": "".join(f"__label__{y} {t}\n" for t, y in TRAIN_DOCS)}
    for fmt, content in formats.items():
        monkeypatch.setattr("sys.stdin", io.StringIO(content))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReadingWarning)
            labels = [d.label for d in iter_documents("-", fmt=fmt)]
        assert labels == [y for t, y in TRAIN_DOCS if fmt == "fasttext" or '"' not in t], fmt


def test_a_label_column_of_label_lists_is_warned_of(tmp_path: Path) -> None:
    tags = [f"t{i}" for i in range(12)]
    rows = [["text", "label"]] + [[f"doc {i}", f"{tags[i % 12]}|{tags[(i * 7) % 11]}"]
                                  for i in range(200)]
    path = write_csv(tmp_path / "tags.csv", rows)
    with pytest.warns(ReadingWarning, match=r"tags\.csv: the label column 'label' has \d+ "
                      r"distinct values and most rows hold '\|'.*--label-sep '\|'"):
        corpus = read_corpus(path)
    assert len(set(corpus.labels)) > 50
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_corpus(path, label_sep="|").label_sets[1] == ("t1", "t7")  # no warning
        few = write_csv(tmp_path / "few.csv", rows[:40])  # 39 classes: not many
        read_corpus(few)


def test_cli_trains_on_a_semicolon_csv_and_on_a_headerless_csv(tmp_path: Path,
                                                               capsys) -> None:
    semi = write_csv(tmp_path / "semi.csv", [["text", "label"], *TRAIN_DOCS], ";")
    status, _, err = run_cli(capsys, "train", semi, "-o", tmp_path / "a.textclf", *TRAINING)
    assert status == 0, err
    said = [line for line in err.splitlines() if "warning" in line]
    assert len(said) == 1 and "read as semicolon-separated (';', guessed" in said[0]
    bare = write_csv(tmp_path / "bare.csv", [[y, t] for t, y in TRAIN_DOCS])
    status, _, err = run_cli(capsys, "train", bare, "--no-header", "--text-field", "2",
                             "--label-field", "1", "-o", tmp_path / "b.textclf", *TRAINING)
    assert status == 0, err
    status, out, _ = run_cli(capsys, "test", tmp_path / "b.textclf", semi, "--delimiter", ";")
    assert status == 0 and "accuracy" in out
    status, _, err = run_cli(capsys, "train", bare, "-o", tmp_path / "c.textclf", *TRAINING)
    assert status == 1 and err.startswith("textclf: error: ") and err.count("\n") == 1
    assert "no column 'text' in the header" in err


def test_cli_trains_from_standard_input(tmp_path: Path, capsys, monkeypatch) -> None:
    content = "text,label\n" + "".join(f'"{t.replace(chr(34), 2 * chr(34))}",{y}\n'
                                       for t, y in TRAIN_DOCS)
    monkeypatch.setattr("sys.stdin", io.StringIO(content))
    status, _, err = run_cli(capsys, "train", "-", "--format", "csv", "-o",
                             tmp_path / "m.textclf", *TRAINING)
    assert status == 0, err
    assert (tmp_path / "m.textclf").is_file()
    monkeypatch.setattr("sys.stdin", io.StringIO(content))
    status, _, err = run_cli(capsys, "train", "-", "--format", "csv", "--stream",
                             "--hash-bits", "12", "-o", tmp_path / "s.textclf", *TRAINING)
    assert status == 1 and err.count("\n") == 1 and "--stream reads DATA" in err
    status, _, err = run_cli(capsys, "train", "-", "-o", tmp_path / "n.textclf", *TRAINING)
    assert status == 1 and "give --format" in err


def test_a_bad_row_among_the_first_lines_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b"text;label\na;b\nc\rx;d\ne;f\n")  # (a lone CR ends a csv line)
    with pytest.warns(ReadingWarning), pytest.raises(DataError, match=r"cr\.csv, line 3: "
                                                     "new-line character seen"):
        read_corpus(path)
    path.write_bytes(b'"te\nxt",label\na,b\n')
    with pytest.raises(DataError) as caught:
        read_corpus(path)
    assert "(columns: 'te\\nxt', label)" in str(caught.value)
    assert "\n" not in str(caught.value)
