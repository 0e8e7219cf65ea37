"""The nb weightings and character n-grams (issue 16) with issue 17's multi-label data, weights,
streaming, continued training and compression, and with the model file's checks."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import SMALL, TRAIN_LABELS, TRAIN_TEXTS, sealed
from topic_corpus import MULTI_TRAIN, TRAIN

from textclf import ModelFileError, TextClassifier
from textclf.corpus.documents import labelled
from textclf.errors import SettingsError
from textclf.features import Featurizer
from textclf.features.weighting import NaiveBayesScale, Targets
from textclf.fitting.incremental import extended_vocabulary, widened
from textclf.sklearn import RawTextClassifier

WORDS = {**SMALL, "weighting": "nb"}  # words alone, binary values times r
NB = {"min_df": 1, "weighting": "nb", "char_ngrams": None}  # the same, for a featuriser
NEW_TEXTS = ["a splendid luminous film", "tedious and dull", "splendid work", "tedious plot"]
NEW_LABELS = ["pos", "neg", "pos", "neg"]


def direct_ratios(X: sp.csr_matrix, Y: np.ndarray, alpha: float,
                  s: np.ndarray | None = None) -> np.ndarray:
    """R[j, l] by the definition, one-vs-rest per label: p over the documents having l, q
    over those not having it, each document counted s times."""
    B = (X[:, :-1].toarray() != 0).astype(float)
    s = np.ones(len(B)) if s is None else s
    R = np.zeros((B.shape[1], Y.shape[1]))
    seen = (B * s[:, None]).sum(axis=0) > 0
    for label in range(Y.shape[1]):
        has = Y[:, label] == 1
        p = alpha + (B[has] * s[has, None]).sum(axis=0)
        q = alpha + (B[~has] * s[~has, None]).sum(axis=0)
        R[:, label] = np.log(p / p[seen].sum()) - np.log(q / q[seen].sum())
    R[~seen] = 0.0
    return R


# multi-label and weights -------------------------------------------------------------------
@pytest.mark.parametrize("hashed", [False, True])
def test_multi_label_ratios_are_one_vs_rest_per_label(hashed):
    texts, sets = MULTI_TRAIN
    names = sorted({label for s in sets for label in s})
    Y = np.array([[label in s for label in names] for s in sets], dtype=np.uint8)
    s = np.random.default_rng(0).uniform(0.0, 3.0, len(texts))
    settings = {"ngrams": 1, "min_df": 1, "weighting": "nb", "char_ngrams": None,
                "hash_bits": 12 if hashed else None}
    f = Featurizer(**settings)
    f.fit_transform(texts, Targets(Y, len(names), True), s)
    binary = Featurizer(**{**settings, "weighting": "binary"})
    R = direct_ratios(binary.fit_transform(texts), Y, 1.0, s)
    np.testing.assert_allclose(f.nb.scale, np.abs(R).max(axis=1), rtol=1e-10, atol=1e-12)
    assert any(len(x) != 1 for x in sets)  # documents of no label, or several, among them


def test_a_weight_of_two_counts_a_document_twice():
    X = Featurizer(min_df=1, weighting="binary", char_ngrams=None).fit_transform(
        TRAIN_TEXTS + TRAIN_TEXTS[:1])
    twice = NaiveBayesScale.fit(X, TRAIN_LABELS + TRAIN_LABELS[:1], 1.0)
    weights = np.ones(len(TRAIN_TEXTS))
    weights[0] = 2.0
    weighted = NaiveBayesScale.fit(X[:-1], TRAIN_LABELS, 1.0, weights)
    np.testing.assert_allclose(weighted.scale, twice.scale, rtol=1e-12)


def test_the_classifier_counts_class_and_sample_weights():
    w = np.linspace(0.5, 2.0, len(TRAIN_TEXTS))
    clf = TextClassifier(**WORDS, class_weight={"pos": 3.0}).fit(
        TRAIN_TEXTS, TRAIN_LABELS, sample_weight=w)
    X = Featurizer(**{**NB, "weighting": "binary"}).fit_transform(TRAIN_TEXTS)
    s = w * np.where(np.array(TRAIN_LABELS) == "pos", 3.0, 1.0)
    Y = np.column_stack([np.array(TRAIN_LABELS) == name for name in clf.labels]).astype(int)
    np.testing.assert_allclose(clf.featurizer.nb.scale, direct_ratios(X, Y, 1.0, s)[:, 1],
                               rtol=1e-10)


def test_multi_label_classifier_with_the_default_features(tmp_path):
    texts, sets = MULTI_TRAIN
    clf = TextClassifier(min_df=1, epochs=20, batch_size=8, eta=2.0).fit(texts, sets)
    assert clf.multi_label and clf.featurizer.settings.weighting == "tfidf-nb"
    assert clf.featurizer.settings.char_ngrams == (2, 5)  # auto: short documents
    assert clf.evaluate(texts, sets).micro_f1 > 0.8
    assert set(clf.top_features(3)) == set(clf.labels)
    clf.save(tmp_path / "m.textclf")
    loaded = TextClassifier.load(tmp_path / "m.textclf")
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    explained = loaded.explain(texts[0])
    assert explained.multi_label and explained.tokens
    assert explained.probabilities == clf.explain(texts[0]).probabilities
    with pytest.raises(SettingsError, match="nb_beta"):
        TextClassifier(min_df=1, nb_beta=0.5).fit(texts, sets)


# streaming ---------------------------------------------------------------------------------
def streamed_documents(texts, sets, weights=None):
    return lambda: [labelled(text, tuple(s), str(i), None if weights is None else weights[i])
                    for i, (text, s) in enumerate(zip(texts, sets, strict=True))]


@pytest.mark.parametrize("multi", [False, True])
def test_streamed_ratios_are_those_of_the_whole_corpus(multi):
    texts, sets = MULTI_TRAIN if multi else (TRAIN[0], [[x] for x in TRAIN[1]])
    weights = list(np.random.default_rng(1).uniform(0.5, 2.0, len(texts)))
    options = {"ngrams": 2, "hash_bits": 12, "min_df": 1, "epochs": 2}
    if not multi:
        options["class_weight"] = {"space": 2.0}
    streamed = TextClassifier(**options).fit_stream(streamed_documents(texts, sets, weights),
                                                    chunk_docs=16, shuffle=False)
    labels = sets if multi else [s[0] for s in sets]
    whole = TextClassifier(**options).fit(texts, labels, sample_weight=weights)
    assert streamed.featurizer.settings.char_ngrams == (2, 5)  # auto, on the first chunk
    assert streamed.featurizer.settings.weighting == "tfidf-nb"
    np.testing.assert_allclose(streamed.featurizer.nb.scale, whole.featurizer.nb.scale,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(streamed.transform(texts).toarray(),
                               whole.transform(texts).toarray(), rtol=1e-9, atol=1e-12)


def test_char_ngrams_auto_resolves_when_streaming_long_documents():
    texts = [" ".join([t] * 80) for t in TRAIN_TEXTS]  # means over 400 characters
    clf = TextClassifier(hash_bits=10, epochs=1).fit_stream(
        streamed_documents(texts, [[x] for x in TRAIN_LABELS]))
    assert clf.featurizer.settings.char_ngrams is None and clf.featurizer.chars is None


# partial_fit ---------------------------------------------------------------------------------
def test_partial_fit_learns_the_ratios_from_the_first_batch():
    clf = TextClassifier(**WORDS, hash_bits=10)
    clf.partial_fit(TRAIN_TEXTS[:10], TRAIN_LABELS[:10], classes=["neg", "pos"])
    first = clf.featurizer.nb.scale.copy()
    alone = Featurizer(**NB, hash_bits=10).fit(TRAIN_TEXTS[:10], TRAIN_LABELS[:10])
    np.testing.assert_array_equal(first, alone.nb.scale)
    clf.partial_fit(TRAIN_TEXTS[10:], TRAIN_LABELS[10:])
    np.testing.assert_array_equal(clf.featurizer.nb.scale, first)  # θ trains, r stays
    one_class = TextClassifier(**WORDS)  # a first batch of one class: the other counts 0
    one_class.partial_fit(["good fun"] * 3, ["pos"] * 3, classes=["neg", "pos"])
    assert np.all(np.isfinite(one_class.featurizer.nb.scale))
    with pytest.raises(SettingsError, match="nb_beta"):
        TextClassifier(**WORDS, nb_beta=0.5).partial_fit(TRAIN_TEXTS, TRAIN_LABELS,
                                                          classes=["neg", "pos"])


def test_scikit_learn_estimator_with_nb_partial_fit_and_label_matrix():
    texts, sets = MULTI_TRAIN
    names = sorted({label for s in sets for label in s})
    Y = np.array([[label in s for label in names] for s in sets], dtype=int)
    est = RawTextClassifier(min_df=1, epochs=20, batch_size=8, eta=2.0).fit(texts, Y)
    blocks = est.featurizer_.parts  # the defaults: words and characters, each its own r
    assert list(blocks) == ["words", "chars"]
    assert all(part.nb.scale.shape == (len(part.terms),) for part in blocks.values())
    assert est.predict(texts).shape == Y.shape
    part = RawTextClassifier(min_df=1, char_ngrams=None, weighting="nb")
    part.partial_fit(TRAIN_TEXTS, np.array(TRAIN_LABELS), classes=["neg", "pos"])
    assert part.featurizer_.nb is not None and part.score(TRAIN_TEXTS, TRAIN_LABELS) > 0.5


# continued training --------------------------------------------------------------------------
@pytest.mark.parametrize("chars", [None, (2, 3)])
def test_extending_an_nb_vocabulary_learns_the_new_terms_ratios(chars, tmp_path):
    clf = TextClassifier(**{**WORDS, "char_ngrams": chars}).fit(TRAIN_TEXTS, TRAIN_LABELS)
    old = clf.featurizer
    y = np.array([clf.labels.index(label) for label in NEW_LABELS])
    new, at = extended_vocabulary(old, NEW_TEXTS, Targets(y, len(clf.labels)))
    old_blocks = list(old.parts.values()) if chars else [old]
    new_blocks = list(new.parts.values()) if chars else [new]
    rows, start = [], 0
    for before, after in zip(old_blocks, new_blocks, strict=True):
        assert list(after.terms)[: len(before.terms)] == list(before.terms)  # each block
        np.testing.assert_array_equal(after.nb.scale[: len(before.terms)], before.nb.scale)
        rows += list(range(start, start + len(before.terms)))
        start += len(after.terms)
    assert len(at) == len(new.terms) - len(old.terms) > 0
    model = widened(clf.model, at)  # old rows of θ where their terms went, new rows 0
    np.testing.assert_array_equal(model.theta[rows], clf.model.theta[:-1])
    assert np.count_nonzero(np.delete(model.theta[:-1], rows)) == 0
    # a new term's r is the one the new documents alone give it
    words = new_blocks[0]
    fresh = Featurizer(**NB).fit(NEW_TEXTS, NEW_LABELS)
    splendid = list(words.terms).index("splendid")
    assert words.nb.scale[splendid] == pytest.approx(
        fresh.nb.scale[list(fresh.terms).index("splendid")])
    assert words.nb.scale[splendid] > 0  # a word of the pos documents only
    added = clf.continue_training(NEW_TEXTS, NEW_LABELS, extend_vocabulary=True, epochs=2)
    assert added == len(at) and clf.featurizer.n_features == new.n_features
    clf.save(tmp_path / "m.textclf")
    np.testing.assert_array_equal(TextClassifier.load(tmp_path / "m.textclf").predict_proba(
        NEW_TEXTS), clf.predict_proba(NEW_TEXTS))


# compression ---------------------------------------------------------------------------------
@pytest.mark.parametrize("prune", [None, 0.05])
def test_compression_keeps_each_terms_ratio(prune, tmp_path):
    clf = TextClassifier(**{**SMALL, "char_ngrams": (2, 3), "model": "softmax"}).fit(*TRAIN)
    before = {(unit, term): r for unit, part in clf.featurizer.parts.items()
              for term, r in zip(part.terms, part.nb.scale, strict=True)}
    probabilities = clf.predict_proba(TRAIN[0])
    report = clf.compress(quantize=None, prune_below=prune)
    assert (report["pruned"] > 0) == (prune is not None)
    clf.save(tmp_path / "small.textclf")
    loaded = TextClassifier.load(tmp_path / "small.textclf")
    assert list(loaded.featurizer.parts) == ["words", "chars"]
    for unit, part in loaded.featurizer.parts.items():
        terms = list(part.terms)
        assert terms == sorted(terms)  # sorted within its block
        np.testing.assert_allclose(part.nb.scale, [before[unit, t] for t in terms], rtol=1e-6)
    if prune is None:  # nothing dropped: the same model, its columns permuted
        np.testing.assert_allclose(loaded.predict_proba(TRAIN[0]), probabilities, rtol=1e-5)
    else:
        assert np.mean(loaded.predict(TRAIN[0]) == np.array(TRAIN[1])) > 0.9


def test_compressed_hashed_nb_model_keeps_its_ratios(tmp_path):
    clf = TextClassifier(**WORDS, hash_bits=10).fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf.compress("int8", prune_below=0.01)
    clf.save(tmp_path / "h.textclf")
    loaded = TextClassifier.load(tmp_path / "h.textclf")
    np.testing.assert_array_equal(loaded.featurizer.nb.scale, clf.featurizer.nb.scale)


# the model file --------------------------------------------------------------------------------
def replaced_array(path, name: str, array: np.ndarray) -> bytes:
    with zipfile.ZipFile(path) as archive:
        contents = {member: archive.read(member) for member in archive.namelist()}
    buffer = io.BytesIO()
    np.save(buffer, array)
    contents[f"arrays/{name}.npy"] = buffer.getvalue()
    return sealed(contents)


@pytest.mark.parametrize(("chars", "name"), [(None, "featurizer.nb_scale"),
                                             ((2, 3), "featurizer.chars.nb_scale"),
                                             ((2, 3), "featurizer.words.nb_scale")])
@pytest.mark.parametrize("damage", ["shape", "dtype", "nan", "missing"])
def test_a_damaged_nb_scale_is_refused(chars, name, damage, tmp_path):
    clf = TextClassifier(**{**WORDS, "char_ngrams": chars}).fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf.save(tmp_path / "m.textclf")
    with zipfile.ZipFile(tmp_path / "m.textclf") as archive:
        scale = np.load(io.BytesIO(archive.read(f"arrays/{name}.npy")))
    if damage == "missing":
        with zipfile.ZipFile(tmp_path / "m.textclf") as archive:
            contents = {m: archive.read(m) for m in archive.namelist()
                        if m != f"arrays/{name}.npy"}
        import json
        meta = json.loads(contents["meta.json"])
        meta["arrays"] = {k: v for k, v in meta["arrays"].items() if k != name} \
            if isinstance(meta.get("arrays"), dict) else meta.get("arrays")
        contents["meta.json"] = json.dumps(meta).encode("utf-8")
        data = sealed(contents)
    else:
        bad = {"shape": scale[:-1], "dtype": scale.astype(np.int64),
               "nan": np.where(np.arange(len(scale)) == 0, np.nan, scale)}[damage]
        data = replaced_array(tmp_path / "m.textclf", name, bad)
    (tmp_path / "bad.textclf").write_bytes(data)
    with pytest.raises(ModelFileError):
        TextClassifier.load(tmp_path / "bad.textclf")


def test_a_featuriser_without_its_character_blocks_is_refused(tmp_path):
    import json
    clf = TextClassifier(**{**WORDS, "char_ngrams": (2, 3)}).fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf.save(tmp_path / "m.textclf")
    with zipfile.ZipFile(tmp_path / "m.textclf") as archive:
        contents = {m: archive.read(m) for m in archive.namelist()}
    meta = json.loads(contents["meta.json"])
    del meta["featurizer"]["parts"]
    contents["meta.json"] = json.dumps(meta).encode("utf-8")
    (tmp_path / "bad.textclf").write_bytes(sealed(contents))
    with pytest.raises(ModelFileError):
        TextClassifier.load(tmp_path / "bad.textclf")


def test_a_blocks_own_settings_cannot_bring_an_untrusted_pattern(tmp_path):
    """Each block is read with the featuriser's settings, the ones the loader checks: a
    token pattern slipped into a block's meta is never run."""
    import json
    clf = TextClassifier(**{**WORDS, "char_ngrams": (2, 3)}).fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf.save(tmp_path / "m.textclf")
    with zipfile.ZipFile(tmp_path / "m.textclf") as archive:
        contents = {m: archive.read(m) for m in archive.namelist()}
    meta = json.loads(contents["meta.json"])
    meta["featurizer"]["parts"]["words"]["settings"]["token_pattern"] = "(a|aa)+$"
    contents["meta.json"] = json.dumps(meta).encode("utf-8")
    (tmp_path / "crafted.textclf").write_bytes(sealed(contents))
    loaded = TextClassifier.load(tmp_path / "crafted.textclf")
    assert loaded.featurizer.parts["words"].settings == clf.featurizer.settings
    np.testing.assert_array_equal(loaded.predict_proba(TRAIN_TEXTS),
                                  clf.predict_proba(TRAIN_TEXTS))


@pytest.mark.parametrize("hashed", [False, True])
def test_float32_blocks_and_empty_texts_load_exactly(hashed, tmp_path):
    """Found by tests/test_properties.py: each block computes in the classifier's dtype
    after loading too, and hashed character n-grams of texts without a character are none."""
    texts = ["", "?", "???", "", "ab cd", "ab ef"]
    options = {"min_df": 1, "epochs": 2, "batch_size": 3, "float32": True,
               "hash_bits": 6 if hashed else None}
    clf = TextClassifier(**options).fit(texts, ["x", "y"] * 3)
    assert clf.featurizer.settings.char_ngrams == (2, 5)
    clf.save(tmp_path / "m.textclf")
    probe = [*texts, "", "unseen words here"]
    np.testing.assert_array_equal(TextClassifier.load(tmp_path / "m.textclf").predict_proba(
        probe), clf.predict_proba(probe))
    empty = TextClassifier(**options, weighting="count").fit(["", "", "", ""], ["x", "y"] * 2)
    assert empty.transform(["", ""]).nnz == 2  # the bias alone
