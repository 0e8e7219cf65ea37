"""A document longer than PIECE_CHARACTERS is counted in pieces (textclf.features.counting):
its row of [X | 1] is the row of counting it whole, for every featuriser and weighting,
with the compiled kernels and without."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textclf.core import jit
from textclf.features import Featurizer
from textclf.features import counting as pieces
from textclf.features import hashing as hashing_module
from textclf.features import vocabulary as vocabulary_module

WORDS = ["good", "bad", "film", "Ωμέγα", "it's", "!!", "--", "...", "a", "plot?", "ΣΑΣ"]
GAPS = [" ", "  ", "\n", "\t", " \u3000 "]


def text_of(draw_words: list[str], gaps: list[str]) -> str:
    return "".join(word + gap for word, gap in zip(draw_words, gaps, strict=True))


words_and_gaps = st.integers(40, 300).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=n, max_size=n),
    st.lists(st.sampled_from(GAPS), min_size=n, max_size=n)))

SETTINGS = [
    dict(ngrams=3, char_ngrams=None, weighting="count"),
    dict(ngrams=2, char_ngrams=(2, 5), char_mode="text", weighting="tfidf"),
    dict(ngrams=1, char_ngrams=(3, 4), char_mode="words", weighting="binary"),
    dict(ngrams=4, char_ngrams=None, weighting="tfidf", sublinear_tf=True),
    dict(ngrams=2, char_ngrams=(1, 6), hash_bits=12, weighting="tfidf"),
    dict(ngrams=3, char_ngrams=(2, 4), char_mode="text", hash_bits=14, weighting="count"),
]


def fitted(features: dict) -> Featurizer:
    featurizer = Featurizer(min_df=1, **features)
    corpus = [" ".join(WORDS), "good film", "bad plot? -- a", "ΣΑΣ Ωμέγα !!"]
    featurizer.fit(corpus)
    return featurizer


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def engine(request, monkeypatch):
    if request.param and not jit.enabled():
        pytest.skip("numba is not installed (the fast extra)")
    monkeypatch.setattr(jit, "enabled", lambda: request.param)
    return request.param


@pytest.mark.parametrize("features", SETTINGS, ids=lambda f: "-".join(map(str, f.values())))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(drawn=words_and_gaps, size=st.integers(8, 120))
def test_a_long_document_in_pieces_is_the_document_counted_whole(features, drawn, size,
                                                                  engine, monkeypatch):
    text = text_of(*drawn)
    featurizer = fitted(features)
    whole = featurizer.transform([text, "good film"]).toarray()
    for module in (vocabulary_module, hashing_module):
        monkeypatch.setattr(module, "PIECE_CHARACTERS", size)
    monkeypatch.setattr(pieces, "FIRST_CONTEXT", 4)  # contexts too short at first
    in_pieces = featurizer.transform([text, "good film"]).toarray()
    assert len(pieces.cuts(text, size)) > 1
    np.testing.assert_allclose(in_pieces, whole, rtol=1e-12, atol=1e-12)


def test_cuts_fall_on_whitespace_and_a_text_without_any_is_one_piece() -> None:
    text = "aaaa bbbb cccc dddd"
    starts = pieces.cuts(text, 6)
    assert starts[0] == 0 and all(text[s].isspace() for s in starts[1:])
    assert pieces.cuts("x" * 50, 6) == [0]


def test_a_context_reaches_back_until_it_holds_enough_tokens() -> None:
    featurizer = fitted(dict(ngrams=3, char_ngrams=None, weighting="count"))
    text = "good film " + "-- " * 400 + "bad plot"
    start = text.index(" bad")
    begin = pieces.context_start(text, start, featurizer.context_holds)
    assert featurizer.tokens(text[begin:start])[-2:] == ["--", "--"] or begin == 0
    assert len(featurizer.tokens(text[begin:start])) >= 2
