"""Continued and incremental training (issue 17, part 4): --init-from, --extend-vocabulary,
TextClassifier.continue_training and partial_fit, the scikit-learn estimators' partial_fit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DEV_DOCS, SMALL, TRAIN_LABELS, TRAIN_TEXTS, run_cli
from topic_corpus import MULTI_TRAIN, TEST, TRAIN

from textclf import TextClassifier
from textclf.errors import DataError, SettingsError
from textclf.features import Featurizer
from textclf.fitting.incremental import extended_featurizer, widened

FULL_BATCH = dict(min_df=1, batch_size=1000, schedule="constant", eta=2.0, weighting="binary")
DEV_TEXTS, DEV_LABELS = [t for t, _ in DEV_DOCS], [label for _, label in DEV_DOCS]
NEW_TEXTS = ["a splendid, luminous film", "a tedious slog of a film", "splendid acting",
             "tedious and dull"]
NEW_LABELS = ["pos", "neg", "pos", "neg"]


# --init-from: the saved θ, the optimiser's state -------------------------------------------
@pytest.mark.parametrize("model", ["logistic", "softmax", "mlp"])
def test_training_on_from_a_saved_model_continues_its_theta(model, tmp_path):
    """Full-batch descent at a constant η: 3 epochs, saved, loaded and 4 more equal 7 in
    one run (SGD keeps no state; the network's Adam has none stored, so it uses plain SGD
    here too)."""
    options = dict(FULL_BATCH, model=model, optimizer="sgd", dropout=0.0)
    first = TextClassifier(**options, epochs=3).fit(TRAIN_TEXTS, TRAIN_LABELS)
    first.save(tmp_path / "m.textclf")
    again = TextClassifier.load(tmp_path / "m.textclf")
    assert again.continue_training(TRAIN_TEXTS, TRAIN_LABELS, epochs=4) == 0
    whole = TextClassifier(**options, epochs=7).fit(TRAIN_TEXTS, TRAIN_LABELS)
    for name, array in whole.model.parameters().items():
        np.testing.assert_allclose(again.model.parameters()[name], array, rtol=1e-10,
                                   atol=1e-12)
    assert len(again.history) == 4


def test_the_optimisers_averages_in_a_checkpoint_are_taken_on(tmp_path):
    """A checkpoint written after epoch 2 of a momentum run holds the velocity: training on
    from it for the 3 remaining epochs gives the uninterrupted 5-epoch θ; without the
    velocity the θ differs."""
    options = dict(FULL_BATCH, optimizer="momentum", eta=0.5)
    path = tmp_path / "checkpoint.textclf"

    def stop_after_two(epoch, record):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        TextClassifier(**options, epochs=5).fit(TRAIN_TEXTS, TRAIN_LABELS,
                                                on_epoch_end=stop_after_two, checkpoint=path)
    resumed = TextClassifier.load(path)
    assert resumed.fitted.step_state is not None
    resumed.continue_training(TRAIN_TEXTS, TRAIN_LABELS, epochs=3)
    whole = TextClassifier(**options, epochs=5).fit(TRAIN_TEXTS, TRAIN_LABELS)
    np.testing.assert_allclose(resumed.model.theta, whole.model.theta, rtol=1e-10, atol=1e-12)
    fresh = TextClassifier.load(path)
    fresh.fitted.step_state = None
    fresh.continue_training(TRAIN_TEXTS, TRAIN_LABELS, epochs=3)
    assert np.abs(fresh.model.theta - whole.model.theta).max() > 1e-3


# the vocabulary -------------------------------------------------------------------------------
def test_extending_the_vocabulary_adds_terms_with_theta_zero_and_keeps_the_scores():
    """Binary features (no idf): the widened model scores every text as before, its new
    rows are 0, and the document frequencies are those of all the documents."""
    clf = TextClassifier(**SMALL, weighting="binary").fit(TRAIN_TEXTS, TRAIN_LABELS)
    before = clf.model.decision_function(clf.transform(NEW_TEXTS + TRAIN_TEXTS))
    featurizer, added = extended_featurizer(clf.featurizer, NEW_TEXTS)
    old = list(clf.featurizer.terms)
    assert list(featurizer.terms)[: len(old)] == old and added == len(featurizer.terms) - len(old)
    assert {"splendid", "tedious", "luminous"} <= set(list(featurizer.terms)[len(old):])
    both = Featurizer(clf.featurizer.settings.replace()).fit(TRAIN_TEXTS + NEW_TEXTS)
    df_both = dict(zip(both.terms, both.document_frequency, strict=True))
    for term, df in zip(featurizer.terms, featurizer.document_frequency, strict=True):
        assert df == df_both[term], term
    assert featurizer.n_documents == len(TRAIN_TEXTS) + len(NEW_TEXTS)
    model = widened(clf.model, added)
    assert model.theta.shape == (featurizer.n_features,)
    np.testing.assert_array_equal(model.theta[len(old):-1], 0.0)
    assert model.theta[-1] == clf.model.theta[-1]
    after = model.decision_function(featurizer.transform(NEW_TEXTS + TRAIN_TEXTS))
    np.testing.assert_allclose(after, before, rtol=1e-12)


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_training_on_with_new_terms_learns_them(model, tmp_path):
    eta = 0.05 if model == "mlp" else 1.0  # (Adam at η = 1 kills the network's units)
    clf = TextClassifier(**{**SMALL, "eta": eta}, model=model, hidden=(8,))
    clf.fit(TRAIN_TEXTS, TRAIN_LABELS)
    clf.save(tmp_path / "m.textclf")
    fixed = TextClassifier.load(tmp_path / "m.textclf")
    fixed.continue_training(NEW_TEXTS, NEW_LABELS, epochs=5)
    assert "splendid" not in fixed.featurizer.terms  # the vocabulary stays as it was
    grown = TextClassifier.load(tmp_path / "m.textclf")
    added = grown.continue_training(NEW_TEXTS * 4, NEW_LABELS * 4, epochs=10,
                                    extend_vocabulary=True)
    assert added > 0 and "splendid" in grown.featurizer.terms
    assert grown.predict(["splendid", "tedious"]) == ["pos", "neg"]
    grown.save(tmp_path / "grown.textclf")
    assert TextClassifier.load(tmp_path / "grown.textclf").predict(["tedious"]) == ["neg"]


def test_hashed_features_need_no_extension():
    clf = TextClassifier(**SMALL, hash_bits=12).fit(TRAIN_TEXTS, TRAIN_LABELS)
    columns = clf.featurizer.n_features
    assert clf.continue_training(NEW_TEXTS, NEW_LABELS, extend_vocabulary=True) == 0
    assert clf.featurizer.n_features == columns


def test_what_cannot_go_on_is_refused():
    clf = TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS)
    with pytest.raises(DataError, match="label 'meh' is not one the model knows"):
        clf.continue_training(["so so"], ["meh"])
    with pytest.raises(DataError, match="2 labels, and the model gives one class"):
        clf.continue_training(["so so"], [["pos", "neg"]])
    with pytest.raises(SettingsError, match="not training settings: ngrams"):
        clf.continue_training(TRAIN_TEXTS, TRAIN_LABELS, ngrams=3)
    with pytest.raises(SettingsError, match="calibration .* is fitted on dev data"):
        clf.continue_training(TRAIN_TEXTS, TRAIN_LABELS, calibrate=True)


def test_a_calibrated_model_drops_its_temperature_or_fits_a_new_one():
    clf = TextClassifier(**SMALL, calibrate=True).fit(TRAIN_TEXTS, TRAIN_LABELS, DEV_TEXTS,
                                                      DEV_LABELS)
    old = clf.model.temperature
    assert old != 1.0
    with pytest.warns(UserWarning, match="temperature is dropped"):
        clf.continue_training(NEW_TEXTS, NEW_LABELS, epochs=2)
    assert clf.model.temperature == 1.0 and clf.calibration is None
    clf.continue_training(NEW_TEXTS, NEW_LABELS, DEV_TEXTS, DEV_LABELS, epochs=2,
                          calibrate=True)
    assert clf.model.temperature != 1.0 and clf.calibration["temperature"] == \
        clf.model.temperature


# partial_fit ----------------------------------------------------------------------------------
def test_partial_fit_is_one_pass_of_the_loop_at_a_constant_eta():
    texts, labels = TRAIN
    clf = TextClassifier(min_df=1, eta=3.0, batch_size=8)
    clf.partial_fit(texts, labels, classes=["football", "cooking", "space"])
    assert clf.labels == ["cooking", "football", "space"] and len(clf.history) == 1
    # one epoch of the loop at a constant η on the same featuriser (the default tfidf-nb's
    # ratios from this batch), from the same seed
    model = TextClassifier(min_df=1, eta=3.0, batch_size=8, schedule="constant",
                           epochs=1).fit(texts, labels).model
    np.testing.assert_allclose(clf.model.theta, model.theta, rtol=1e-12, atol=1e-14)
    theta = clf.model.theta.copy()
    clf.partial_fit(texts[:20], labels[:20])  # goes on: no classes needed after the first
    assert len(clf.history) == 2 and not np.allclose(theta, clf.model.theta)
    assert clf.evaluate(*TEST).accuracy > 0.9


def test_partial_fit_streams_hashed_batches_and_refuses_what_it_cannot_take():
    texts, labels = TRAIN
    with pytest.raises(SettingsError, match="the first partial_fit needs every class"):
        TextClassifier(hash_bits=10).partial_fit(texts, labels)
    clf = TextClassifier(hash_bits=10, eta=2.0)
    for start in range(0, len(texts), 15):
        clf.partial_fit(texts[start:start + 15], labels[start:start + 15],
                        classes=sorted(set(labels)))
    assert len(clf.history) == 6 and clf.evaluate(*TEST).accuracy > 0.8
    with pytest.raises(DataError, match="label 'knitting' is not one the model knows"):
        clf.partial_fit(["wool"], ["knitting"])
    with pytest.raises(SettingsError, match="differ from the classifier's"):
        clf.partial_fit(texts[:3], labels[:3], classes=["cooking", "knitting"])
    with pytest.raises(SettingsError, match="'balanced' needs the class counts"):
        TextClassifier(class_weight="balanced").partial_fit(texts, labels,
                                                            classes=sorted(set(labels)))


def test_partial_fit_takes_multilabel_batches():
    texts, sets = MULTI_TRAIN
    clf = TextClassifier(min_df=1, eta=2.0, batch_size=8)
    for _ in range(10):
        clf.partial_fit(texts, sets, classes=["cooking", "football", "space"])
    assert clf.multi_label and clf.evaluate(texts, sets).micro_f1 > 0.9


def test_scikit_learn_partial_fit_goes_on_from_call_to_call():
    pytest.importorskip("sklearn")
    from textclf.sklearn import RawTextClassifier, SoftmaxRegressionClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    estimator = SoftmaxRegressionClassifier(eta=0.5)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        estimator.partial_fit(X[:100], y[:100])
    for epoch in range(5):
        for start in range(0, 600, 100):
            estimator.partial_fit(X[start:start + 100], y[start:start + 100],
                                  classes=np.unique(y) if epoch == start == 0 else None)
    fitted = SoftmaxRegressionClassifier(eta=0.5).fit(X, y).score(X, y)
    assert estimator.n_iter_ == 30 and estimator.score(X, y) > min(0.9, fitted - 0.03)
    assert estimator.coef_.shape == (3, 4)
    with pytest.raises(ValueError, match="which is not in classes"):
        estimator.partial_fit(X[:5], np.array(["z"] * 5))
    texts, labels = TRAIN
    raw = RawTextClassifier(hash_bits=12, eta=3.0)
    for _ in range(3):
        raw.partial_fit(texts, labels, classes=sorted(set(labels)))
    assert raw.score(*TEST) > 0.9 and raw.n_iter_ == 3


# the command line -------------------------------------------------------------------------------
def test_cli_trains_on_from_a_model(tmp_path, capsys):
    first, new = tmp_path / "first.jsonl", tmp_path / "new.jsonl"
    first.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                             for t, y in zip(TRAIN_TEXTS, TRAIN_LABELS, strict=True)))
    new.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                           for t, y in zip(NEW_TEXTS * 3, NEW_LABELS * 3, strict=True)))
    model, grown = tmp_path / "m.textclf", tmp_path / "g.textclf"
    status, _, err = run_cli(capsys, "train", first, "-o", model, "--min-df", "1", "-q")
    assert status == 0, err
    status, out, err = run_cli(capsys, "train", new, "--init-from", model, "-o", grown,
                               "--extend-vocabulary", "--epochs", "8", "--eta", "5")
    assert status == 0, err
    assert "trained on from" in out and "new terms added to the vocabulary" in out
    clf = TextClassifier.load(grown)
    assert len(clf.history) == 8 and "tedious" in clf.featurizer.terms
    for argv, message in [
        (["--init-from", model, "--stream", "--hash-bits", "8"], "does not --stream"),
        (["--extend-vocabulary"], "--extend-vocabulary extends the vocabulary of --init-from"),
        (["--init-from", tmp_path / "none.textclf"], "no such model file"),
    ]:
        status, _, err = run_cli(capsys, "train", new, "-o", tmp_path / "x.textclf", "-q",
                                 *argv)
        assert status == 1 and message in err.strip().splitlines()[-1], err


def test_widening_a_network_keeps_its_outputs():
    clf = TextClassifier(**SMALL, model="mlp", hidden=(6,), dropout=0.0)
    clf.fit(TRAIN_TEXTS, TRAIN_LABELS)
    X = clf.transform(TRAIN_TEXTS)
    wide = widened(clf.model, 5)
    X_wide = sp.hstack([X[:, :-1], sp.csr_matrix((X.shape[0], 5)), X[:, -1:]], format="csr")
    np.testing.assert_allclose(wide.decision_function(X_wide), clf.model.decision_function(X),
                               rtol=1e-12)
