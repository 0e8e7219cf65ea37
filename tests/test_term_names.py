"""The fitted vocabulary's terms, held as token ids and spelled out when asked for."""

import pickle

import numpy as np
import pytest

from textclf.features import Featurizer
from textclf.features.terms import TermNames, term_strings, unpack_terms

TEXTS = ["new york is big", "big new york", "york is new", "is it big"]


@pytest.fixture
def fitted() -> Featurizer:
    return Featurizer(ngrams=2, min_df=1, weighting="count").fit(TEXTS)


def test_terms_are_spelled_like_the_strings(fitted):
    terms = fitted.terms
    assert isinstance(terms, TermNames)
    expected = term_strings(terms.tokens, terms.T, terms.length)
    assert terms.tolist() == expected == list(terms) == terms[:]
    assert [terms[j] for j in range(len(terms))] == expected
    assert terms[-1] == expected[-1] and terms[1:5:2] == expected[1:5:2]
    assert "new york" in terms and "york new" not in terms
    assert terms.index("new york") == expected.index("new york")


def test_terms_compare_like_a_list(fitted):
    expected = fitted.terms.tolist()
    assert fitted.terms == expected and expected == fitted.terms
    assert fitted.terms != tuple(expected)  # as for a list
    assert fitted.terms == TermNames(fitted.terms.tokens, fitted.terms.T, fitted.terms.length)
    assert fitted.terms != expected[:-1]
    assert fitted.terms != [*expected[:-1], "other"]
    assert fitted.terms != "new york"


def test_terms_out_of_range_and_repr(fitted):
    with pytest.raises(IndexError, match=f"of {len(fitted.terms)}"):
        fitted.terms[len(fitted.terms)]
    with pytest.raises(IndexError):
        fitted.terms[-len(fitted.terms) - 1]
    assert repr(fitted.terms).startswith("TermNames(['big', ")
    assert f"{len(fitted.terms)} terms" in repr(fitted.terms)


def test_terms_take_less_memory_than_strings():
    # a vocabulary of 3,000 bigrams over 60 tokens
    tokens = [f"token{i:03d}" for i in range(60)]
    T = np.array([[i % 60, (i // 60) % 60] for i in range(3000)], np.int32)
    names = TermNames(tokens, T, np.full(3000, 2, np.uint8))
    spelled = names.tolist()
    held = names.T.nbytes + names.length.nbytes + sum(map(len, tokens))
    assert held * 4 < sum(len(s) + 49 for s in spelled)  # 49: a str object's overhead
    assert spelled[61] == "token001 token001"


def test_terms_survive_pickle_and_the_model_file(fitted, tmp_path):
    copy = pickle.loads(pickle.dumps(fitted))
    assert copy.terms == fitted.terms
    meta, arrays = fitted.state()
    assert unpack_terms(arrays["terms_utf8"], arrays["terms_offsets"]) == fitted.terms.tolist()
    assert meta["n_terms"] == len(fitted.terms)
    loaded = Featurizer.from_state(meta, arrays)
    assert loaded.terms == fitted.terms
    assert (loaded.transform(TEXTS) != fitted.transform(TEXTS)).nnz == 0


def test_terms_are_kept_once_all_are_spelled_and_tolist_is_a_copy(fitted):
    terms = fitted.terms
    assert terms._spelled is None  # a fit makes no strings
    assert terms[0] == "big"
    assert terms._spelled is None  # one term is spelled alone
    assert "new york" in terms and terms._spelled is not None
    spelled = terms.tolist()
    spelled[0] = "changed"
    assert terms[0] == "big" and terms.tolist()[0] == "big"


@pytest.mark.parametrize("terms", [
    [], [""], ["", "a", ""], ["a b", "é è", "日本 語", "\ud800x"],
    ["line\nbreak", "tab\tand\x01", "plain"],  # the separators tried first occur in terms
    [chr(c) for c in range(1, 128)] + ["x"],  # every ASCII character in some term
])
def test_packed_terms_come_back_exactly(terms):
    from textclf.features.terms import pack_terms

    utf8, offsets = pack_terms(terms)
    assert utf8.dtype == np.uint8 and offsets[0] == 0 and offsets[-1] == len(utf8)
    assert utf8.tobytes() == "".join(terms).encode("utf-8", "surrogatepass")
    assert unpack_terms(utf8, offsets) == terms


def test_unpacking_refuses_bytes_that_are_not_utf8():
    with pytest.raises(ValueError, match="not valid UTF-8"):
        unpack_terms(np.frombuffer(b"ab\xc3", np.uint8), np.array([0, 2, 3]))
    with pytest.raises(ValueError, match="do not fit"):
        unpack_terms(np.frombuffer(b"ab", np.uint8), np.array([0, 3]))
