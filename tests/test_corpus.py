"""Corpus readers: every format gives the same documents; bad records name file and line."""

from __future__ import annotations

import collections.abc
import gzip
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, DEV_DOCS, MULTILABEL_LINES, SPLITS, TEST_DOCS, TRAIN_DOCS

from textclf import DataError, TextClassifier, iter_documents, read_corpus
from textclf.corpus import DecodingWarning, detect_format, read_lines

# (spec, reader options): the 16 training documents in every supported form.
SAME_DOCUMENTS = {
    "folders": (CORPUS / "folders", {}),
    "folders with splits": (SPLITS, {}),  # the train split by default
    "jsonl": (CORPUS / "docs.jsonl", {}),
    "jsonl.gz": (CORPUS / "docs.jsonl.gz", {}),
    "csv": (CORPUS / "docs.csv", {}),
    "tsv": (CORPUS / "docs.tsv", {}),
    "fasttext (guessed from the first line)": (CORPUS / "docs.txt", {}),
    "fasttext (named)": (CORPUS / "docs.txt", {"fmt": "fasttext"}),
    "jsonl, custom fields": (
        CORPUS / "custom.jsonl", {"text_field": "review", "label_field": "sentiment"}
    ),
    "csv, custom columns": (
        CORPUS / "custom.csv", {"text_field": "review", "label_field": "sentiment"}
    ),
}


@pytest.mark.parametrize("name", list(SAME_DOCUMENTS))
def test_every_format_reads_the_same_documents(name: str) -> None:
    spec, options = SAME_DOCUMENTS[name]
    corpus = read_corpus(spec, **options)
    assert list(zip(corpus.texts, corpus.labels, strict=True)) == TRAIN_DOCS
    assert len(set(corpus.ids)) == len(corpus)


def test_every_format_trains_the_same_theta() -> None:
    thetas = {}
    for name, (spec, options) in SAME_DOCUMENTS.items():
        corpus = read_corpus(spec, **options)
        clf = TextClassifier(min_df=1, epochs=3, batch_size=5, eta=0.5, seed=7)
        thetas[name] = clf.fit(corpus.texts, corpus.labels).model.theta
    reference = thetas["jsonl"]
    assert np.any(reference != 0)
    for name, theta in thetas.items():
        assert np.array_equal(theta, reference), name


def test_format_is_guessed_from_the_name() -> None:
    assert detect_format(str(CORPUS / "folders")) == "folders"
    assert detect_format(str(CORPUS / "docs.jsonl")) == "jsonl"
    assert detect_format(str(CORPUS / "docs.jsonl.gz")) == "jsonl"
    assert detect_format(str(CORPUS / "docs.csv")) == "csv"
    assert detect_format(str(CORPUS / "docs.tsv")) == "tsv"
    assert detect_format(str(CORPUS / "multilabel.ft")) == "fasttext"
    assert detect_format("builtin:imdb") == "builtin"


def test_unknown_format_asks_for_format_option(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n")
    with pytest.raises(DataError, match=r"notes\.txt.*--format"):
        read_corpus(path)


def test_readers_stream() -> None:
    docs = iter_documents(CORPUS / "docs.jsonl")
    assert isinstance(docs, collections.abc.Iterator)
    first = next(docs)
    assert (first.text, first.label, first.id) == (*TRAIN_DOCS[0], "docs.jsonl:1")


def test_folder_ids_are_paths_relative_to_root() -> None:
    corpus = read_corpus(CORPUS / "folders")
    assert corpus.ids[0] == str(Path("neg") / "00.txt")
    corpus = read_corpus(SPLITS, split="test")
    assert corpus.ids[0] == str(Path("test") / "neg" / "00.txt")


@pytest.mark.parametrize(
    ("split", "expected"), [("train", TRAIN_DOCS), ("dev", DEV_DOCS), ("test", TEST_DOCS)]
)
def test_split_folders(split: str, expected: list[tuple[str, str]]) -> None:
    corpus = read_corpus(SPLITS, split=split)
    assert list(zip(corpus.texts, corpus.labels, strict=True)) == expected


def test_split_errors_name_the_source(tmp_path: Path) -> None:
    (tmp_path / "train" / "pos").mkdir(parents=True)
    (tmp_path / "train" / "pos" / "a.txt").write_text("x")
    with pytest.raises(DataError, match=r"no split folder 'dev' \(found: train\)"):
        read_corpus(tmp_path, split="dev")
    with pytest.raises(DataError, match=r"folders.*has no split folders.*'dev'"):
        read_corpus(CORPUS / "folders", split="dev")
    with pytest.raises(DataError, match=r"docs\.jsonl.*no splits.*'test'"):
        read_corpus(CORPUS / "docs.jsonl", split="test")


def test_fasttext_lines_with_several_labels_make_a_multilabel_corpus() -> None:
    corpus = read_corpus(CORPUS / "multilabel.ft")
    assert corpus.texts == [text for text, _ in MULTILABEL_LINES]
    assert corpus.label_sets == [tuple(labels) for _, labels in MULTILABEL_LINES]
    # `label` is a document's label only where it has exactly one
    assert corpus.labels == [labels[0] if len(labels) == 1 else None
                             for _, labels in MULTILABEL_LINES]
    assert corpus.multi_label and corpus.targets() == corpus.label_sets


# --- bad records: the message names the file and the line -----------------------------------


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def test_invalid_json_line_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", '{"text": "a", "label": "x"}\n\n{"text": "b", lab\n')
    with pytest.raises(DataError, match=r"bad\.jsonl, line 3: not valid JSON"):
        read_corpus(path)


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "list.jsonl", '["a", "b"]\n')
    with pytest.raises(DataError, match=r"list\.jsonl, line 1: expected a JSON object"):
        read_corpus(path)


def test_missing_text_field_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "f.jsonl", '{"text": "a", "label": "x"}\n{"body": "b", "label": "y"}\n')
    with pytest.raises(DataError, match=r"f\.jsonl, line 2: field 'text' is missing"):
        read_corpus(path)
    path = write(tmp_path, "g.jsonl", '{"text": 3, "label": "x"}\n')
    with pytest.raises(DataError, match=r"g\.jsonl, line 1: field 'text' is not a string"):
        read_corpus(path)


def test_missing_label_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "f.jsonl", '{"text": "a", "label": "x"}\n{"text": "b"}\n')
    with pytest.raises(DataError, match=r"f\.jsonl.*f\.jsonl:2 has no label \(field 'label'\)"):
        read_corpus(path)
    # unlabelled text is fine where labels are not needed
    assert read_corpus(path, require_labels=False).labels == ["x", None]


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "review,label\nnice,pos\n")
    with pytest.raises(DataError, match=r"t\.csv: no column 'text'.*columns: review, label"):
        read_corpus(path)


def test_csv_row_with_wrong_field_count(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "text,label\nnice,pos\nbad,neg,extra\n")
    with pytest.raises(DataError, match=r"t\.csv, line 3: 3 fields where the header has 2"):
        read_corpus(path)


def test_csv_line_numbers_count_multiline_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'text,label\n"two\nlines",pos\nbad\n')
    with pytest.raises(DataError, match=r"t\.csv, line 4: 1 fields"):
        read_corpus(path)


def test_fasttext_line_without_label(tmp_path: Path) -> None:
    path = write(tmp_path, "t.ft", "__label__a fine\nno label here\n")
    with pytest.raises(DataError, match=r"t\.ft, line 2: no __label__LABEL at the start"):
        read_corpus(path)


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(b'{"text": "a", "label": "x"}\n' * 200)
    path = write(tmp_path, "cut.jsonl.gz", data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.jsonl\.gz: cannot be read to the end"):
        read_corpus(path)


def test_empty_corpus(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.jsonl", "\n\n")
    with pytest.raises(DataError, match=r"empty\.jsonl: the corpus is empty"):
        read_corpus(path)


def test_missing_file_or_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothing\.jsonl: no such file or folder"):
        read_corpus(tmp_path / "nothing.jsonl")
    with pytest.raises(DataError, match=r"nothing: no such file or folder"):
        read_corpus(tmp_path / "nothing")


def test_folder_without_class_folders(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("loose file")
    with pytest.raises(DataError, match="no class folders"):
        read_corpus(tmp_path)


def test_undecodable_bytes_are_replaced_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.jsonl", b'{"text": "ok", "label": "a"}\n'
                 b'{"text": "caf\xe9", "label": "b"}\n')
    with pytest.warns(DecodingWarning, match=r"latin\.jsonl, line 2: .*not valid UTF-8"):
        corpus = read_corpus(path)
    assert corpus.texts == ["ok", "caf\ufffd"]


def test_undecodable_file_in_folder_tree(tmp_path: Path) -> None:
    (tmp_path / "pos").mkdir()
    (tmp_path / "pos" / "x.txt").write_bytes(b"na\xefve")
    with pytest.warns(DecodingWarning, match=r"x\.txt: .*replaced by U\+FFFD"):
        corpus = read_corpus(tmp_path)
    assert corpus.texts == ["na\ufffdve"]


def test_read_lines_gives_whole_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", "first line\nsecond line\n")
    b = write(tmp_path, "b.txt", "")
    assert list(read_lines([str(a), str(b)])) == ["first line\nsecond line\n", ""]  # exact
    with pytest.raises(DataError, match=r"c\.txt: no such file"):
        list(read_lines([str(tmp_path / "c.txt")]))
