"""The compiled kernels (textclf.kernels, compiled by textclf.core.jit) against plain Python
references."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("numba")

from textclf.core import jit  # noqa: E402
from textclf.kernels.ngrams import count_ngrams, number_codes  # noqa: E402
from textclf.kernels.pieces import expand_pieces, joined_pieces, number_pieces  # noqa: E402
from textclf.kernels.rows import fill_rows  # noqa: E402


def _pieces_by_dict(data: bytes):
    pieces = data.split(b" ")
    pieces = [p for p in pieces if p]
    numbers: dict[bytes, int] = {}
    raw = [numbers.setdefault(p, len(numbers)) for p in pieces]
    return raw, list(numbers)


@pytest.mark.parametrize("data", [b"", b"   ", b"a", b" a  b a ", b"ab ba ab\x01 \x01",
                                  "é é\u00a0x".encode()])
def test_number_pieces_on_small_inputs(data):
    raw, starts, lengths = number_pieces(np.frombuffer(data, np.uint8))
    expected_raw, expected_distinct = _pieces_by_dict(data)
    assert raw.tolist() == expected_raw
    assert [data[s : s + n] for s, n in zip(starts, lengths, strict=True)] == expected_distinct


def test_number_pieces_grows_its_table_and_keeps_every_piece():
    rng = np.random.default_rng(1)
    words = [bytes(rng.integers(97, 123, size=rng.integers(1, 9)).astype(np.uint8))
             for _ in range(30_000)]  # many distinct pieces: the table doubles several times
    data = b" ".join(words[i] for i in rng.integers(0, len(words), size=60_000))
    raw, starts, lengths = number_pieces(np.frombuffer(data, np.uint8))
    expected_raw, expected_distinct = _pieces_by_dict(data)
    assert raw.tolist() == expected_raw
    assert [data[s : s + n] for s, n in zip(starts, lengths, strict=True)] == expected_distinct


def test_expand_pieces_follows_markers_and_multi_token_pieces():
    # pieces: 0 = "a" (token 5), 1 = marker, 2 = "don't!" (tokens 7, 8), 3 = unknown (−1)
    is_mark = np.array([False, True, False, False])
    lengths = np.array([1, 0, 2, 1])
    starts = np.array([0, 1, 1, 3])
    flat = np.array([5, 7, 8, -1])
    raw = np.array([0, 2, 1, 3, 0, 1, 1, 2])
    tok, doc = expand_pieces(raw, is_mark, lengths, starts, flat)
    assert tok.tolist() == [5, 7, 8, -1, 5, 7, 8]
    assert doc.tolist() == [0, 0, 0, 1, 1, 3, 3]


def _naive_ngram_counts(tok, doc, n_docs, ngrams):
    rows = [Counter() for _ in range(n_docs)]
    for k in range(1, ngrams + 1):
        for i in range(len(tok) - k + 1):
            window = tok[i : i + k]
            if min(window) >= 0 and doc[i] == doc[i + k - 1]:
                rows[doc[i]][tuple(window)] += 1
    return rows


@pytest.mark.parametrize("ngrams", [1, 2, 3])
def test_count_ngrams_equals_counting_tuples(ngrams):
    rng = np.random.default_rng(ngrams)
    V, n_docs = 40, 60
    tok = rng.integers(-1, V, size=3000)  # −1: unknown tokens, which break n-grams
    doc = np.sort(rng.integers(0, n_docs - 5, size=3000))  # the last documents are empty
    flat, sizes, indptr, indices, counts = count_ngrams(tok, doc, V, ngrams, n_docs)
    level_codes = np.split(flat, np.cumsum(sizes)[:-1]) if len(sizes) else []
    # each column's token tuple, from the level codes (code = prefix id · V + last token)
    names = [(t,) for t in range(V)]
    below = names
    for codes in level_codes:
        level = [(*below[c // V], c % V) for c in codes.tolist()]
        names += level
        below = level
    assert len(indptr) == n_docs + 1 and indptr[-1] == len(indices)
    got = [Counter({names[j]: c for j, c in zip(indices[indptr[d] : indptr[d + 1]],
                                                 counts[indptr[d] : indptr[d + 1]], strict=True)})
           for d in range(n_docs)]
    for d in range(n_docs):  # no column twice in a row
        assert len(set(indices[indptr[d] : indptr[d + 1]].tolist())) == indptr[d + 1] - indptr[d]
    assert got == _naive_ngram_counts(tok.tolist(), doc.tolist(), n_docs, ngrams)


def test_the_switch_turns_the_kernels_off_and_back_on():
    before = jit.enabled()
    with jit.disabled():
        assert not jit.enabled()
    assert jit.enabled() == before


def test_number_pieces_at_another_separator_and_joined_pieces():
    data = b"ab\x00cd\x00\x00ab\x00e f"
    raw, starts, lengths = number_pieces(np.frombuffer(data, np.uint8), 0)
    assert raw.tolist() == [0, 1, 0, 2]
    joined = joined_pieces(np.frombuffer(data, np.uint8), starts, lengths, 10)
    assert joined.tobytes() == b"ab\ncd\ne f"
    empty = joined_pieces(np.frombuffer(b"", np.uint8), starts[:0], lengths[:0], 10)
    assert empty.tobytes() == b""


@pytest.mark.parametrize("n", [0, 1, 5_000, 20_000])
def test_number_codes_numbers_by_first_occurrence(n):
    rng = np.random.default_rng(n)
    codes = rng.integers(0, 2**62, size=max(n // 3, 1))[rng.integers(0, max(n // 3, 1), n)]
    ids, distinct = number_codes(codes)
    first = dict.fromkeys(codes.tolist())  # insertion order = first occurrence
    assert distinct.tolist() == list(first)
    assert ids.dtype == np.int32 and np.array_equal(distinct[ids], codes)


def test_fill_rows_of_no_documents_writes_nothing():
    out_indptr = np.zeros(1, np.int64)
    end = fill_rows(np.zeros(1, np.int64), np.empty(0, np.int32), np.empty(0, np.int32),
                    np.empty(0, np.int32), np.empty(0, np.int32), 0, np.ones(1), np.ones(0),
                    True, out_indptr, np.empty(0, np.int32), np.empty(0), 0, 0)
    assert end == 0 and out_indptr.tolist() == [0]
