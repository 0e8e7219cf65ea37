"""Parquet and Arrow files: columns named as CSV's, read column-wise; they round-trip like
the other formats, and a missing column or a refused value is one line naming it."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import TRAIN_DOCS, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import LABEL, TEXT

from textclf import DataError, read_corpus
from textclf.corpus import columnar, detect_format, iter_documents

WRITERS = {
    "d.parquet": lambda table, path: pq.write_table(table, path),
    "d.arrow": lambda table, path: feather.write_feather(table, path),  # (IPC file format)
    "d.feather": lambda table, path: feather.write_feather(table, path, compression="zstd"),
    "stream.arrow": lambda table, path: write_stream(table, path),
}


def write_stream(table: pa.Table, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def write(tmp_path: Path, name: str, columns: dict) -> Path:
    path = tmp_path / name
    WRITERS.get(name, WRITERS["d.parquet"] if name.endswith(".parquet")
                else WRITERS["d.arrow"])(pa.table(columns), path)
    return path


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.tuples(TEXT, LABEL), min_size=1, max_size=8),
       name=st.sampled_from(sorted(WRITERS)))
def test_parquet_and_arrow_round_trip_any_text_and_label(tmp_path_factory, docs, name):
    path = write(tmp_path_factory.mktemp("col"), name,
                 {"text": [t for t, _ in docs], "label": [y for _, y in docs]})
    corpus = read_corpus(path)
    assert list(zip(corpus.texts, corpus.labels, strict=True)) == docs
    assert corpus.ids == [f"{name}:{i}" for i in range(1, len(docs) + 1)]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label_sets=st.lists(st.lists(LABEL, max_size=4, unique=True), min_size=1, max_size=6),
       name=st.sampled_from(["d.parquet", "d.arrow"]))
def test_a_list_column_gives_several_labels(tmp_path_factory, label_sets, name):
    path = write(tmp_path_factory.mktemp("col"), name,
                 {"text": [f"doc {i}" for i in range(len(label_sets))],
                  "label": pa.array(label_sets, type=pa.list_(pa.string()))})
    corpus = read_corpus(path)
    assert corpus.label_sets == [tuple(y) for y in label_sets]


def test_every_kind_of_column(tmp_path: Path, monkeypatch) -> None:
    n = len(TRAIN_DOCS)
    path = write(tmp_path, "kinds.parquet", {
        "id": list(range(n)),
        "review": pa.array([t for t, _ in TRAIN_DOCS]).dictionary_encode(),  # a category
        "stars": [1 if y == "neg" else 5 for _, y in TRAIN_DOCS],
        "tags": ["a| b" if i % 2 else "c" for i in range(n)],
        "w": [0.5 * i for i in range(n)],
    })
    monkeypatch.setattr(columnar, "BATCH_ROWS", 5)  # rows counted on across batches
    corpus = read_corpus(path, text_field="review", label_field="stars", weight_field="w")
    assert corpus.texts == [t for t, _ in TRAIN_DOCS]
    assert corpus.labels == ["1" if y == "neg" else "5" for _, y in TRAIN_DOCS]
    assert corpus.weights == [0.5 * i for i in range(n)]
    assert corpus.ids[-1] == f"kinds.parquet:{n}"
    tagged = read_corpus(path, text_field="review", label_field="tags", label_sep="|")
    assert tagged.label_sets[:2] == [("c",), ("a", "b")]
    unlabelled = read_corpus(path, text_field="review", label_field=None, require_labels=False)
    assert unlabelled.labels == [None] * n


def test_a_missing_column_is_named_with_the_columns_there(tmp_path: Path) -> None:
    path = write(tmp_path, "cols.parquet", {"review": ["a"], "sentiment": ["pos"]})
    for options, column, option in (({}, "text", "--text-field"),
                                    ({"text_field": "review"}, "label", "--label-field"),
                                    ({"text_field": "review", "label_field": "sentiment",
                                      "weight_field": "w"}, "w", "--weight-field")):
        with pytest.raises(DataError) as caught:
            read_corpus(path, **options)
        assert str(caught.value) == (f"{path}: no column {column!r} (columns: review, "
                                     f"sentiment); name the {'weight' if column == 'w' else column}"
                                     f" column with {option}")


@pytest.mark.parametrize("columns, message", [
    ({"text": ["a", None, "c"], "label": ["x", "y", "z"]},
     r"row 2, column 'text': the text is missing \(null\)"),
    ({"text": [1, 2, 3], "label": ["x", "y", "z"]}, r"column 'text' holds int64, not text"),
    ({"text": ["a", "b", "c"], "label": [True, False, True]},
     r"row 1, column 'label': the label must be a string or an integer, not True"),
    ({"text": ["a", "b", "c"], "label": [None, 1.5, 2.0]},
     r"row 2, column 'label': the label must be a string or an integer, not 1\.5"),
    ({"text": ["a", "b", "c"], "label": ["x", " ", "z"]}, r"row 2, column 'label': .*empty"),
    ({"text": ["a", "b", "c"], "label": [["x"], ["y", "tab\there"], []]},
     r"row 2, column 'label'\[1\]: the label 'tab\\there' holds a tab"),
    ({"text": ["a", "b", "c"], "label": ["x", "y", "z"], "w": [1.0, -2.0, 3.0]},
     r"row 2, column 'w': the weight must be a finite number ≥ 0, got -2\.0"),
    ({"text": ["a", "b", "c"], "label": ["x", "y", "z"], "w": [1.0, None, 3.0]},
     r"row 2, column 'w': the weight is missing"),
])
def test_a_refused_value_names_file_row_and_column(tmp_path: Path, columns, message) -> None:
    for name in ("bad.parquet", "bad.arrow"):
        path = write(tmp_path, name, columns)
        with pytest.raises(DataError, match=message) as caught:
            read_corpus(path, weight_field="w" if "w" in columns else None,
                         require_labels=False)
        assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_file_that_is_not_parquet_or_arrow(tmp_path: Path) -> None:
    for name, kind in (("x.parquet", "Parquet"), ("x.arrow", "Arrow"), ("x.feather", "Arrow")):
        (tmp_path / name).write_text("text,label\na,b\n")
        with pytest.raises(DataError, match=rf"x\.\w+: not a readable {kind} file \(") as caught:
            read_corpus(tmp_path / name)
        assert "\n" not in str(caught.value)
    with pytest.raises(DataError, match="no such file"):
        read_corpus(tmp_path / "none.parquet")


def test_formats_by_name_and_options_that_fit(tmp_path: Path) -> None:
    path = write(tmp_path, "d.parquet", {"text": ["a"], "label": ["x"]})
    assert detect_format(str(path)) == "parquet"
    assert detect_format(str(write(tmp_path, "d.feather", {"text": ["a"]}))) == "arrow"
    with pytest.raises(DataError, match="--no-header applies to CSV/TSV"):
        read_corpus(path, header=False)
    assert [d.id for d in iter_documents(path)] == ["d.parquet:1"]


def test_parquet_on_standard_input(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "d.parquet", {"text": [t for t, _ in TRAIN_DOCS],
                                         "label": [y for _, y in TRAIN_DOCS]})
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    corpus = read_corpus("-", fmt="parquet")
    assert list(zip(corpus.texts, corpus.labels, strict=True)) == TRAIN_DOCS


def test_cli_trains_on_parquet_and_predicts_per_row(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "train.parquet", {"body": [t for t, _ in TRAIN_DOCS],
                                             "y": [y for _, y in TRAIN_DOCS]})
    status, _, err = run_cli(capsys, "train", path, "--text-field", "body", "--label-field",
                             "y", "-o", tmp_path / "m.textclf", "--min-df", "1", "--top", "0")
    assert status == 0, err
    status, out, err = run_cli(capsys, "predict", tmp_path / "m.textclf", path,
                               "--text-field", "body")
    assert status == 0, err
    assert len(out.splitlines()) == len(TRAIN_DOCS)
    status, _, err = run_cli(capsys, "train", path, "-o", tmp_path / "n.textclf")
    assert status == 1 and err.count("\n") == 1
    assert "no column 'text' (columns: body, y)" in err


def test_without_pyarrow_one_line_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "d.parquet", {"text": ["a"], "label": ["x"]})
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # (its import fails)
    with pytest.raises(DataError, match=r"d\.parquet: reading Parquet and Arrow files needs "
                       r"pyarrow \(pip install 'textclf\[parquet\]'\)"):
        read_corpus(path)
