"""JSON lines read fast (blocks, msgspec, labels tested a block at a time) give exactly what a
line-by-line reader with the standard json module gives: the same documents, ids, weights,
fields, warnings and error messages; the same without msgspec. A built-in corpus read once
for all its splits gives what its CSV says."""

from __future__ import annotations

import csv
import gzip
import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textclf.corpus import (
    DecodingWarning,
    builtin_split_assignment,
    iter_documents,
    jsonlines,
    read_corpus,
)
from textclf.corpus.builtin import builtin_csv
from textclf.corpus.documents import Corpus
from textclf.corpus.files import numbered_lines
from textclf.corpus.jsonlines import JsonFields, jsonl_batches, record_document
from textclf.errors import DataError

# Lines a corpus may hold, plain and odd: each is read the same way on every path.
GOOD = [
    b'{"text": "a fine film", "label": "pos", "w": 1}',
    b'{"text": "caf\\u00e9 \\ud83d\\ude00", "label": "neg", "w": 2}',
    b'{"label": 7, "text": "an integer label", "w": 0.5}',
    b'{"text": "several", "labels": ["a", "b", "a"], "w": 1}',
    b'{"text": "none of them", "labels": [], "w": 3}',
    b'{"text": "one in a list", "label": ["x"], "w": 1e-3}',
    b'{"text": "unlabelled", "label": null, "w": 1}',
    b'{"text": "no label field", "w": 1}',
    b'{"text": "dup", "text": "duplicate keys: the last", "label": "pos", "w": 1}',
    b'  {"text": "spaces around", "label": "pos", "w": 1}  \r',
    b'{"text": "\xc3\xa9t\xc3\xa9 in UTF-8", "label": "\xc3\xa9", "w": 1, "x": [[{"y": 1}]]}',
    b'{"text": "big int elsewhere", "label": "pos", "w": 1, "n": 123456789012345678901234567890}',
    b'{"text": "nan elsewhere", "label": "pos", "w": 1, "n": NaN}',
    b'{"text": "inf elsewhere", "label": "pos", "w": 1, "n": 1e999}',
    b'{"text": "lone surrogate", "label": "pos", "w": 1, "s": "\\ud800"}',
    b'',
    b'\r',
    b'   ',
    b'\x0c',
]
BAD = [
    b'{"text": "a", "label": true, "w": 1}',
    b'{"text": "a", "label": 1.5, "w": 1}',
    b'{"text": "a", "label": "", "w": 1}',
    b'{"text": "a", "label": "tab\\there", "w": 1}',
    b'{"text": "a", "labels": ["ok", false], "w": 1}',
    b'{"text": 3, "label": "x", "w": 1}',
    b'{"label": "x", "w": 1}',
    b'{"text": "a", "label": "x", "w": -1}',
    b'{"text": "a", "label": "x", "w": "1.5"}',
    b'{"text": "a", "label": "x", "w": NaN}',
    b'{"text": "a", "label": "x", "w": 1e999}',
    b'{"text": "a", "label": "x", "w": 1' + b"0" * 400 + b'}',
    b'{"text": "a", "label": "x"}',
    b'{"text": "a", "label": "x", "w": 1, "n": 1' + b"0" * 5000 + b'}',
    b'{"text": "a", "label": "x", "w": 1, "deep": ' + b"[" * 3000 + b"]" * 3000 + b'}',
    b'{"text": "a", "label": "x", "w": 1} trailing',
    b'["a list"]',
    b'{"text": "bad bytes \xff here", "label": "x", "w": 1}',
    b'{"text": "a", "label": "x", "w": 1, "junk": "\xfe"}',
    b'{"text": "control \x01 char", "label": "x", "w": 1}',
    b'not json at all',
]
FIELDS = JsonFields(weight="w", keep=True)


def outcome(read) -> tuple[list, list[str], str | None]:
    """What reading gives: the documents (with their fields), the warnings, the error."""
    docs, error = [], None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for doc in read():
                docs.append((doc, doc.fields))
        except DataError as err:
            error = str(err)
    return docs, [str(w.message) for w in caught], error


def line_by_line(path: Path, fields: JsonFields):
    """Today's reader: one line at a time, the standard json module."""
    for number, line in numbered_lines(path):
        doc = record_document(line, number, path, fields)
        if doc is not None:
            yield doc


def fast(path: Path, fields: JsonFields):
    for batch in jsonl_batches(path, fields):
        yield from batch.documents()


def every_way(path: Path, monkeypatch: pytest.MonkeyPatch, fields: JsonFields = FIELDS):
    """The outcome of the line reader, the fast path with msgspec and with json."""
    reference = outcome(lambda: line_by_line(path, fields))
    with_msgspec = outcome(lambda: fast(path, fields))
    with monkeypatch.context() as patch:
        patch.setattr(jsonlines, "fast_decoder", lambda: None)
        with_json = outcome(lambda: fast(path, fields))
    return reference, with_msgspec, with_json


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.sampled_from(GOOD) | st.sampled_from(BAD), min_size=1, max_size=12),
       bom=st.booleans(), final_newline=st.booleans(), block_bytes=st.sampled_from([16, 200]))
def test_any_mix_of_lines_reads_the_same_on_every_path(tmp_path_factory, monkeypatch, lines,
                                                       bom, final_newline, block_bytes):
    path = tmp_path_factory.mktemp("jsonl") / "mix.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines)
                     + (b"\n" if final_newline else b""))
    monkeypatch.setattr(jsonlines, "BLOCK_BYTES", block_bytes)  # many blocks, cut anywhere
    reference, with_msgspec, with_json = every_way(path, monkeypatch)
    assert with_msgspec == reference
    assert with_json == reference


def test_every_odd_line_alone_reads_the_same(tmp_path: Path, monkeypatch) -> None:
    for i, line in enumerate(GOOD + BAD):
        path = tmp_path / f"{i}.jsonl"
        path.write_bytes(b'{"text": "first", "label": "a", "w": 1}\n' + line + b"\n")
        reference, with_msgspec, with_json = every_way(path, monkeypatch)
        assert with_msgspec == reference, line
        assert with_json == reference, line
    assert any(error for _, _, error in [reference])  # (the last line is not JSON)


def test_the_fast_path_is_taken_for_plain_records(tmp_path: Path) -> None:
    assert jsonlines.fast_decoder() is not None  # msgspec: the test extra installs it
    path = tmp_path / "plain.jsonl"
    path.write_bytes(b"\n".join(GOOD[:12]) + b"\n")
    parse = jsonlines.block_parser(path, FIELDS)
    block = next(jsonlines.line_blocks(path))
    batch = parse(block)
    assert batch is not None and len(batch) == 12
    assert batch.ids[0] == "plain.jsonl:1" and batch.labels[2] == "7"
    assert batch.label_lists[3] == ("a", "b") and batch.weights[1] == 2.0
    # a block with a bad record goes to the line reader, which names it
    path.write_bytes(GOOD[0] + b"\n" + BAD[0] + b"\n")
    assert parse(next(jsonlines.line_blocks(path))) is None


def test_errors_name_file_and_line_as_before(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join([GOOD[0]] * 50 + [BAD[0]] + [GOOD[0]]) + b"\n")
    monkeypatch.setattr(jsonlines, "BLOCK_BYTES", 300)
    docs, _, error = outcome(lambda: fast(path, JsonFields()))
    assert len(docs) == 50
    assert error == (f"{path}, line 51, field 'label': the label must be a string or an "
                     "integer, not True")


def test_undecodable_bytes_warn_once_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(GOOD[0] + b"\n" + b'{"text": "caf\xe9", "label": "x"}\n')
    with pytest.warns(DecodingWarning, match=r"bytes\.jsonl, line 2: bytes that are not"):
        corpus = read_corpus(path)
    assert corpus.texts[1] == "caf\ufffd"


def test_gzip_and_plain_give_the_same_corpus(tmp_path: Path, monkeypatch) -> None:
    lines = b"\n".join(GOOD[:12] * 40) + b"\n"
    (tmp_path / "c.jsonl").write_bytes(lines)
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(lines))
    monkeypatch.setattr(jsonlines, "BLOCK_BYTES", 1000)
    plain = read_corpus(tmp_path / "c.jsonl", weight_field="w", require_labels=False)
    packed = read_corpus(tmp_path / "c.jsonl.gz", weight_field="w", require_labels=False)
    assert (plain.texts, plain.label_sets, plain.weights) == \
        (packed.texts, packed.label_sets, packed.weights)
    assert [i.split(":")[1] for i in plain.ids] == [i.split(":")[1] for i in packed.ids]
    reference = Corpus.from_documents(line_by_line(tmp_path / "c.jsonl", JsonFields(weight="w")))
    assert (plain.texts, plain.labels, plain.label_sets, plain.ids, plain.weights) == \
        (reference.texts, reference.labels, reference.label_sets, reference.ids,
         reference.weights)


def test_a_truncated_gzip_file_keeps_the_lines_before_then_says_so(tmp_path: Path) -> None:
    data = gzip.compress(b'{"text": "a", "label": "x"}\n' * 20000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    docs, _, error = outcome(lambda: fast(path, JsonFields()))
    assert error is not None and error.startswith(f"{path}: cannot be read to the end")
    assert 0 < len(docs) < 20000 and docs[-1][0].id == f"cut.jsonl.gz:{len(docs)}"


def test_a_wide_byte_order_mark_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "u16.jsonl"
    path.write_bytes('{"text": "a", "label": "x"}\n'.encode("utf-16"))
    with pytest.raises(DataError, match=r"u16\.jsonl: is UTF-16"):
        read_corpus(path)


def test_json_round_trip_through_the_fast_path(tmp_path: Path) -> None:
    docs = [{"text": f"doc {i} \u00e9\n\t\"q\"", "label": ["x", "y", "z"][i % 3], "w": i / 7}
            for i in range(3000)]
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    corpus = read_corpus(path, weight_field="w")
    assert corpus.texts == [d["text"] for d in docs]
    assert corpus.labels == [d["label"] for d in docs]
    assert corpus.weights == [d["w"] for d in docs]
    assert corpus.ids[-1] == "many.jsonl:3000"


def test_a_builtin_corpus_gives_what_its_csv_says() -> None:
    with builtin_csv() as handle:
        rows = [r for r in csv.DictReader(handle) if r["source"] == "rotten_tomatoes"]
    labels = [{"0": "neg", "1": "pos"}[r["label"]] for r in rows]
    splits = builtin_split_assignment(labels)
    for split in ("train", "dev", "test"):
        expected = [(r["text"], y, f"builtin:rt:{i}")
                    for i, (r, y, s) in enumerate(zip(rows, labels, splits, strict=True))
                    if s == split]
        docs = [(d.text, d.label, d.id) for d in iter_documents("builtin:rt", split)]
        corpus = read_corpus("builtin:rt", split=split)
        assert docs == expected
        assert list(zip(corpus.texts, corpus.labels, corpus.ids, strict=True)) == expected
