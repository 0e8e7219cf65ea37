"""The fast featuriser gives exactly the counts of the naive one and of scikit-learn.

The tests taking ``engine`` run twice: on the numpy path and on the compiled kernels
(:mod:`textclf.core.jit`, where numba is installed).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp

from textclf.core import jit, parallel
from textclf.core.parallel import text_chunks
from textclf.errors import DataError, SettingsError
from textclf.features import FeatureSettings, Featurizer, Tokenizer, naive_count_matrix
from textclf.features.counting import count_chunk, merge_chunks
from textclf.features.terms import term_strings
from textclf.features.tokens import (
    DEFAULT_TOKEN_PATTERN,
    SKLEARN_TOKEN_PATTERN,
    Splitter,
    Vocabulary,
    encode,
)
from textclf.features.weighting import count_values

TRICKY = [
    "Don't stop!! It's 'quoted' -- and ''double'' and a'''b and rock'n'roll'",
    "Café naïve résumé — em dash… ellipsis «guillemets» ½ ² ٣ x²",
    "ΑΣ. ΣΑΣ ΟΔΟΣ όσος İstanbul ǅemal ß ﬁne",
    "tabs\tand\nnewlines\r\nand\u00a0no-break\u2003em-space\u200bzero-width",
    "under_score __init__ snake_case_name 3.14 1,000 v2 A1B2",
    "ctrl\x01chars\x00here\x1fand\x7fthere",
    "",
    "   ",
    "?!?! what?! yes!",
    "emoji 😀 works 🎉fine and \ud800 lone surrogate",
    "q'uote' 'lead trail' don''t x'",
]


@pytest.fixture(autouse=True)
def compiled_on_short_texts():
    """The compiled kernels, where on, run even on texts too short for loading numba to
    pay (:func:`textclf.core.jit.worth`): these tests are about them."""
    with jit.forced():
        yield


@pytest.fixture(params=["numpy", "numba"])
def engine(request):
    """Run the test on the numpy code path, then on the compiled kernels."""
    if request.param == "numpy":
        with jit.disabled():
            yield request.param
        return
    pytest.importorskip("numba")
    if not jit.enabled():
        pytest.skip("compiled kernels switched off (TEXTCLF_NO_JIT)")
    yield request.param


def _reference_tokens(texts, pattern, lowercase=True):
    find = re.compile(pattern).findall
    return [find(t.lower() if lowercase else t) for t in texts]


def _decoded(texts, pattern, lowercase=True):
    splitter = Splitter(pattern, lowercase)
    vocabulary = Vocabulary(grow=True)
    tok, doc = encode(texts, splitter, vocabulary)
    tokens = vocabulary.tokens()
    out = [[] for _ in texts]
    for t, d in zip(tok, doc, strict=True):
        out[d].append(tokens[t])
    return out


@pytest.mark.parametrize("pattern", [DEFAULT_TOKEN_PATTERN, SKLEARN_TOKEN_PATTERN,
                                     r"[a-z]+", r"\S+"])
@pytest.mark.parametrize("lowercase", [True, False])
def test_fast_tokens_equal_the_regex(pattern, lowercase, engine):
    assert _decoded(TRICKY, pattern, lowercase) == _reference_tokens(TRICKY, pattern,
                                                                      lowercase)


def test_fast_tokens_on_random_text(engine):
    rng = np.random.default_rng(0)
    alphabet = list("ab '!?-_.\t\n\x01é—Σ2") + ["\u00a0", "\u0301"]
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(300)]
    for pattern in (DEFAULT_TOKEN_PATTERN, SKLEARN_TOKEN_PATTERN):
        assert _decoded(texts, pattern) == _reference_tokens(texts, pattern)


def _naive(texts, settings):
    """Vocabulary and counts as the lecture computes them: strings and a dict."""
    tokenizer = Tokenizer(settings)
    vocabulary: dict[str, int] = {}
    counts = naive_count_matrix(texts, tokenizer, vocabulary, grow=True)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    terms = sorted(t for t, j in vocabulary.items() if df[j] >= settings.min_df)
    return terms, naive_count_matrix(texts, tokenizer, {t: i for i, t in enumerate(terms)},
                                     grow=False)


@pytest.fixture(scope="module")
def reviews():
    from textclf.corpus import read_corpus

    corpus = read_corpus("builtin:rt", split="train")
    return corpus.texts[:1500] + TRICKY, corpus.texts[1500:2000]


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("min_df", [1, 2])
def test_counts_equal_the_naive_featurizer(reviews, n, min_df, engine):
    texts, unseen = reviews
    settings = FeatureSettings(ngrams=n, weighting="count", min_df=min_df)
    featurizer = Featurizer(settings)
    X = featurizer.fit_transform(texts)
    terms, counts = _naive(texts, settings)
    assert featurizer.terms == terms
    assert (X[:, :-1] != counts).nnz == 0
    assert np.all(X[:, -1].toarray() == 1)  # the bias column
    assert (featurizer.transform(unseen)[:, :-1] != featurizer.naive_counts(unseen)).nnz == 0


def test_counts_equal_scikit_learn_count_vectorizer(reviews, engine):
    from sklearn.feature_extraction.text import CountVectorizer

    texts, _ = reviews
    vectorizer = CountVectorizer(ngram_range=(1, 2), token_pattern=DEFAULT_TOKEN_PATTERN,
                                 lowercase=True)
    expected = vectorizer.fit_transform(texts)
    featurizer = Featurizer(ngrams=2, weighting="count", min_df=1)
    X = featurizer.fit_transform(texts)
    assert featurizer.terms == list(vectorizer.get_feature_names_out())
    assert (X[:, :-1] != expected).nnz == 0


def test_max_features_keeps_the_most_frequent_ties_by_term(reviews):
    texts, _ = reviews
    featurizer = Featurizer(ngrams=2, weighting="count", min_df=1, max_features=300)
    featurizer.fit(texts)
    full = Featurizer(ngrams=2, weighting="count", min_df=1)
    full.fit(texts)
    df = dict(zip(full.terms, full.document_frequency, strict=True))
    expected = sorted(sorted(df, key=lambda t: (-df[t], t))[:300])
    assert featurizer.terms == expected


@pytest.mark.parametrize("weighting", ["tfidf", "binary", "count"])
def test_transform_after_saving_equals_fit_transform(reviews, weighting, engine):
    texts, _ = reviews
    featurizer = Featurizer(ngrams=3, weighting=weighting)
    X = featurizer.fit_transform(texts)
    loaded = Featurizer.from_state(*featurizer.state())  # index rebuilt from the strings
    Y = loaded.transform(texts)
    assert abs(X - Y).max() < 1e-12
    assert abs(featurizer.transform(texts) - X).max() < 1e-12


def test_parallel_and_chunked_featurisation_are_identical(reviews, monkeypatch, engine):
    texts, unseen = reviews
    one = Featurizer(jobs=1)
    X1 = one.fit_transform(texts)
    monkeypatch.setattr(parallel, "CHUNK_CHARACTERS", 5_000)  # many chunks
    two = Featurizer(jobs=2)
    X2 = two.fit_transform(texts)
    assert two.terms == one.terms
    assert np.array_equal(two.document_frequency, one.document_frequency)
    for A, B in ((X1, X2), (one.transform(unseen), two.transform(unseen))):
        assert np.array_equal(A.indptr, B.indptr)
        assert np.array_equal(A.indices, B.indices)
        assert np.array_equal(A.data, B.data)


def test_float32_features(reviews):
    texts, _ = reviews
    X64 = Featurizer().fit_transform(texts)
    X32 = Featurizer(dtype=np.float32).fit_transform(texts)
    assert X32.dtype == np.float32
    assert abs(X64 - X32.astype(np.float64)).max() < 1e-6


def test_rows_come_out_with_sorted_indices(reviews, engine):
    texts, _ = reviews
    X = Featurizer(ngrams=3).fit_transform(texts)
    for i in range(0, X.shape[0], 97):
        row = X.indices[X.indptr[i] : X.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)
    assert sp.isspmatrix_csr(X)


def test_a_document_that_is_not_a_string_is_named():
    with pytest.raises(DataError, match="document 1 is not a string but float"):
        Featurizer().fit_transform(["fine", 3.5, "also fine"])


def test_tokens_with_spaces_are_refused():
    with pytest.raises(SettingsError, match="space"):
        Featurizer(token_pattern=r"\w+ \w+", min_df=1).fit_transform(["a b c d", "a b"])


def test_bad_jobs_and_hash_bits_are_refused():
    with pytest.raises(SettingsError, match="jobs"):
        Featurizer(jobs=0)
    with pytest.raises(SettingsError, match="hash_bits"):
        FeatureSettings(hash_bits=99).validate()


def test_empty_texts_and_empty_corpus(engine):
    X = Featurizer(min_df=1).fit_transform(["", "a b", "   "])
    assert X.shape[0] == 3 and X[0].nnz == 1  # the bias alone
    with pytest.raises(SettingsError, match="zero documents"):
        Featurizer().fit_transform([])


def test_both_engines_give_the_same_chunk_counts(reviews):
    """The compiled counting numbers a chunk's n-grams by first occurrence, the numpy path
    by code: each document's counts of each n-gram are the same."""
    texts, _ = reviews
    splitter = Splitter(DEFAULT_TOKEN_PATTERN)
    pytest.importorskip("numba")
    if not jit.enabled():
        pytest.skip("compiled kernels switched off (TEXTCLF_NO_JIT)")

    def named_counts(chunk):  # per document: n-gram (as token tuples) → count
        names = [(t,) for t in chunk.tokens]
        below = names
        for level in chunk.levels:
            below = [(*below[p], chunk.tokens[t]) for p, t in zip(level.prefix.tolist(),
                                                                  level.last.tolist(),
                                                                  strict=True)]
            names += below
        X = chunk.X
        return [{names[j]: c for j, c in zip(X.indices[X.indptr[d]:X.indptr[d + 1]].tolist(),
                                              X.data[X.indptr[d]:X.indptr[d + 1]].tolist(),
                                              strict=True)} for d in range(X.shape[0])]

    for n in (1, 2, 3, 4):
        compiled = count_chunk(texts, splitter, n)
        with jit.disabled():
            plain = count_chunk(texts, splitter, n)
        assert compiled.tokens == plain.tokens and compiled.X.dtype == plain.X.dtype
        assert named_counts(compiled) == named_counts(plain)


@pytest.mark.parametrize("weighting, sublinear_tf", [("tfidf", True), ("tfidf", False),
                                                     ("count", True), ("binary", True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_engines_fill_x_bit_for_bit(reviews, monkeypatch, weighting, sublinear_tf, dtype):
    """The compiled filling of [X | 1] (textclf.weight_kernels) equals the numpy steps
    exactly, over many chunks, with dropped columns, a row that loses every term to
    min_df, an empty row, a count above 255 and one above 65,535."""
    pytest.importorskip("numba")
    if not jit.enabled():
        pytest.skip("compiled kernels switched off (TEXTCLF_NO_JIT)")
    texts, _ = reviews
    texts = [*texts, "zzqx qqzy wwvk", "", "the " * 300, "the film " * 70_000]
    monkeypatch.setattr(parallel, "CHUNK_CHARACTERS", 20_000)  # several chunks

    def featurised():
        settings = FeatureSettings(weighting=weighting, sublinear_tf=sublinear_tf, min_df=3)
        return Featurizer(settings, dtype=dtype, jobs=2).fit_transform(texts)

    compiled = featurised()
    with jit.disabled():
        plain = featurised()
    assert compiled.shape == plain.shape and compiled.dtype == plain.dtype == dtype
    assert compiled[-4].nnz == 1 and compiled[-3].nnz == 1  # the bias alone
    assert compiled[-1, -1] == 1.0 and compiled[-2, -1] == 1.0
    for attribute in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(compiled, attribute), getattr(plain, attribute))


@pytest.mark.parametrize("pattern", [DEFAULT_TOKEN_PATTERN, r"\w*", r"\S+"])  # empty tokens;
# \S+: a lone surrogate as a token
def test_both_engines_merge_chunks_to_the_same_ids(reviews, pattern):
    """The compiled merge numbers tokens as the dict does (first occurrence, chunk by
    chunk), odd Unicode and lone surrogates included (empty tokens take the dict), and
    maps every chunk column to the same term as the numpy merge."""
    pytest.importorskip("numba")
    if not jit.enabled():
        pytest.skip("compiled kernels switched off (TEXTCLF_NO_JIT)")
    texts, _ = reviews
    splitter = Splitter(pattern)
    parts = [TRICKY, texts[:40], TRICKY[::-1], [], texts[40:90]]
    chunks = [count_chunk(part, splitter, 2) for part in parts]
    compiled = merge_chunks(chunks)
    chunks = [count_chunk(part, splitter, 2) for part in parts]
    with jit.disabled():
        plain = merge_chunks(chunks)
    assert compiled.tokens == plain.tokens
    assert "naïve" in compiled.tokens
    assert ("\ud800" in compiled.tokens) == (pattern == r"\S+")
    assert compiled.n_columns == plain.n_columns
    for a, b in zip(compiled.column_maps, plain.column_maps, strict=True):
        # n-gram ids may differ (first occurrence against sorted codes); the terms may not
        spelled = [term_strings(merged.tokens, *merged.token_matrix(column_map))
                   for merged, column_map in ((compiled, a), (plain, b))]
        assert spelled[0] == spelled[1]


def test_token_matrix_of_some_columns_equals_those_rows_of_the_whole(reviews):
    texts, _ = reviews
    splitter = Splitter(DEFAULT_TOKEN_PATTERN)
    chunks = [count_chunk(part, splitter, 3)
              for part in text_chunks(texts, characters=20_000)]
    merged = merge_chunks(chunks)
    T_all, length_all = merged.token_matrix()
    some = np.random.default_rng(0).choice(merged.n_columns, size=500, replace=False)
    T, length = merged.token_matrix(some)
    assert np.array_equal(T, T_all[some]) and np.array_equal(length, length_all[some])
    assert set(length_all.tolist()) == {1, 2, 3}
    # every column spells a distinct n-gram
    assert len({tuple(row) for row in T_all.tolist()}) == merged.n_columns


def test_memory_helpers_find_glibc_here_and_can_be_called_twice():
    import platform

    from textclf.core import memory

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory._glibc() is not None
    memory.release_free_memory()
    with memory.large_blocks_mapped():
        block = np.ones(1 << 18)  # 2 MiB: mapped on its own inside the block
        assert block.sum() == 1 << 18
    memory.release_free_memory()


def test_default_workers_are_threads_with_the_kernels_and_one_without(monkeypatch):
    import os

    from textclf.features.featurizer import MAX_AUTO_WORKERS, workers

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert workers(3) == 3  # asked for: as asked
    with jit.disabled():
        assert workers(None) == 1
    if jit.enabled():
        assert workers(None) == min(8, MAX_AUTO_WORKERS)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert workers(None) == 1


def square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("threads", [True, False])
def test_ordered_map_keeps_order_and_reads_a_bounded_number_ahead(threads: bool):
    """Threads or processes: results in order, at most ``ahead``·jobs items in flight."""
    from textclf.core.parallel import ordered_map

    consumed = []

    def source():
        for i in range(50):
            consumed.append(i)
            yield i

    results = ordered_map(square, source(), jobs=2, threads=threads, ahead=2)
    assert next(results) == 0
    assert len(consumed) <= 2 * 2  # the first result came after at most 4 chunks were read
    assert [0, *results] == [x * x for x in range(50)]
    assert list(ordered_map(str, [3, 1, 2], jobs=1)) == ["3", "1", "2"]


@pytest.mark.parametrize("threads", [True, False])
def test_ordered_map_starts_no_pool_for_a_single_item(threads: bool, monkeypatch):
    """Predicting one short document (a served request) is one chunk: no workers to start."""

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for one item")

    monkeypatch.setattr(parallel, "ThreadPoolExecutor", no_pool)
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    assert list(parallel.ordered_map(square, [3], jobs=2, threads=threads)) == [9]
    assert list(parallel.ordered_map(square, iter([]), jobs=2, threads=threads)) == []
    with pytest.raises(AssertionError, match="pool was started"):
        list(parallel.ordered_map(square, [1, 2], jobs=2, threads=threads))


def test_vocabulary_lookup_of_distinct_tokens_equals_the_general_lookup():
    words = ["b", "a", "c", "a b"]
    fresh, general = Vocabulary(grow=True), Vocabulary(grow=True)
    assert fresh.lookup(words, distinct=True).tolist() == general.lookup(words).tolist()
    assert fresh.tokens() == general.tokens()
    # a vocabulary that holds tokens already takes the general path
    assert fresh.lookup(["c", "d"], distinct=True).tolist() == [2, 4]
    assert Vocabulary(["x"], grow=False).lookup(["x", "y"], distinct=True).tolist() == [0, -1]
    repeated = Vocabulary(grow=True)  # told "distinct" wrongly: still right
    assert repeated.lookup(["a", "b", "a"], distinct=True).tolist() == [0, 1, 0]


@pytest.mark.parametrize("weighting, sublinear_tf, formula", [
    ("tfidf", True, lambda c: 1.0 + np.log(c.astype(float))),
    ("tfidf", False, lambda c: c.astype(float)),
    ("count", True, lambda c: c.astype(float)),
    ("binary", True, lambda c: np.ones(len(c))),
])
def test_count_values_table_small_and_huge_counts(weighting, sublinear_tf, formula):
    settings = FeatureSettings(weighting=weighting, sublinear_tf=sublinear_tf)
    for counts in (np.array([1, 3, 2, 3], np.uint8), np.array([1, 3, 70_000, 3], np.uint32)):
        index, value = count_values(counts, settings)
        assert np.allclose(value[index], formula(counts), rtol=1e-15)
        assert len(value) <= max(counts.max() + 1, 3) and len(value) < 70_000


def test_a_chunk_whose_only_token_is_empty(engine):
    """A pattern that matches "" can make a chunk whose one token is "": not the same as a
    chunk with no tokens (the packed string is "" for both)."""
    featurizer = Featurizer(min_df=1, token_pattern=r"\w*", ngrams=1)
    X = featurizer.fit_transform(["!!"])
    assert featurizer.terms == [""] and X.shape == (1, 2)
    assert Featurizer(min_df=1, token_pattern=r"\w*").fit_transform(["!!", "a!"]).shape[0] == 2


@pytest.mark.parametrize("n_rows, n_columns, n_pairs", [(1, 400_000, 30), (3, 50, 0),
                                                         (5, 20, 400), (40, 1_000, 600)])
def test_counting_few_pairs_by_sorting_gives_the_counting_sort_matrix(n_rows, n_columns,
                                                                      n_pairs):
    """One document against a large vocabulary takes the O(nnz log nnz) path; it must give
    the matrix of the O(nnz + |F|) counting sorts: counts, int32, sorted, no duplicates."""
    from textclf.core.sparse import count_by_columns, count_matrix, count_pairs

    rng = np.random.default_rng(n_pairs)
    rows = np.sort(rng.integers(0, n_rows, n_pairs))  # non-decreasing, as the featuriser gives
    columns = rng.integers(0, min(n_columns, 25), n_pairs)  # repeats within rows
    by_sorting = count_pairs(rows, columns, (n_rows, n_columns))
    by_counting = count_by_columns(rows, columns, (n_rows, n_columns))
    chosen = count_matrix(rows, columns, (n_rows, n_columns))
    expected = sp.coo_matrix((np.ones(n_pairs), (rows, columns)), (n_rows, n_columns)).toarray()
    for X in (by_sorting, by_counting, chosen):
        assert X.dtype == np.int32 and X.indices.dtype == np.int32
        assert X.has_sorted_indices and X.has_canonical_format
        assert (X.toarray() == expected).all()
    assert by_sorting.indptr.tolist() == by_counting.indptr.tolist()
    assert by_sorting.indices.tolist() == by_counting.indices.tolist()
