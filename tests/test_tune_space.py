"""tune's wider space (issue 24): naive Bayes, β, the L-BFGS penalty path and the ensemble,
each scored cheaply on the folds, and still never worse than the defaults."""

from __future__ import annotations

import numpy as np
import pytest
from test_tune import trigram_corpus
from topic_corpus import TRAIN

from textclf import TextClassifier
from textclf.corpus import stratified_folds
from textclf.errors import SettingsError
from textclf.tune import SearchSpace, beats, tune, tune_cv


def fold_accuracy(settings: dict, texts, labels, folds, fold: int) -> float:
    """A plain fit of ``settings`` on the other folds, scored on ``fold``."""
    rest = [i for i in range(len(texts)) if folds[i] != fold]
    held = [i for i in range(len(texts)) if folds[i] == fold]
    clf = TextClassifier(seed=0, min_df=2, **settings)
    clf.fit([texts[i] for i in rest], [labels[i] for i in rest])
    return float(np.mean(np.array(clf.predict([texts[i] for i in held]))
                         == np.array([labels[i] for i in held])))


def test_the_default_space_holds_the_peers_points():
    space = SearchSpace()
    space.validate()
    assert space.model_kinds(2, cross_validated=True) == ("logistic", "nb", "ensemble", "mlp")
    assert space.model_kinds(5, cross_validated=True)[0] == "softmax"
    assert max(space.ngrams) == 3 and (2, 5) in space.char_ngrams
    assert "lbfgs" in space.optimizers and min(space.l2_path) <= 1e-6  # C ≈ 100 and beyond
    assert {"nb", "tfidf-nb"} <= set(space.weightings)
    with pytest.raises(SettingsError, match="by cross-validation"):
        SearchSpace(models=("ensemble",)).model_kinds(2)
    with pytest.raises(SettingsError, match="optimizers"):
        SearchSpace(optimizers=("adagrad",)).validate()


def test_every_variant_scores_what_a_plain_fit_of_it_scores_on_the_folds():
    """Naive Bayes's α (one count per fold), β (one trained θ per fold) and the L-BFGS
    penalties (each warm-started from the last) give the fold scores of plain fits."""
    texts, labels = trigram_corpus(90, seed=7, noise=0.2)
    space = SearchSpace(models=("logistic", "nb"), ngrams=(3,), weightings=("tfidf-nb",),
                        char_ngrams=(None,), alphas=(0.1, 1.0), betas=(0.5, 1.0),
                        l2_path=(1e-3, 1e-4), path_iterations=100)
    result = tune_cv(texts, labels, 120, folds=3, seed=0, space=space, max_trials=16)
    folds = stratified_folds(labels, 3, 0)
    checked = set()
    for trial in result.trials:
        if trial.status != "ok":
            continue
        common = dict(ngrams=trial.ngrams, weighting=trial.weighting, char_ngrams=None)
        if trial.model == "nb":
            settings = dict(common, model="nb", nb_alpha=trial.alpha)
        elif trial.optimizer == "lbfgs":
            if trial.weighting != "tfidf-nb":  # (rows of unit length: both converge)
                continue
            settings = dict(common, optimizer="lbfgs", l2=trial.l2)
        else:
            settings = dict(common, nb_beta=trial.beta, eta=trial.eta, l2=trial.l2,
                            epochs=trial.max_epochs)
        key = (trial.model, trial.optimizer, trial.alpha, trial.beta, trial.l2,
               trial.weighting, round(trial.eta, 6))
        if key in checked:
            continue
        checked.add(key)
        for fold in range(3):
            assert trial.fold_scores[fold] == pytest.approx(
                fold_accuracy(settings, texts, labels, folds, fold)), key
    kinds = {(k[0], k[1], k[2] is not None, k[3] is not None) for k in checked}
    assert ("nb", "default", True, False) in kinds and ("logistic", "lbfgs", False, False) \
        in kinds and ("logistic", "default", False, True) in kinds
    assert {t.alpha for t in result.trials if t.model == "nb"} == {0.1, 1.0}
    assert {k[4] for k in checked if k[1] == "lbfgs"} == {1e-3, 1e-4}  # the warm-started too


def test_the_ensemble_is_searched_and_refitted():
    texts, labels = TRAIN
    space = SearchSpace(models=("softmax", "ensemble"), ngrams=(1,), weightings=("tfidf",),
                        char_ngrams=((2, 3),), optimizers=("default",))
    result = tune_cv(texts, labels, 120, folds=3, seed=0, space=space, max_trials=3)
    ensemble = [t for t in result.trials if t.model == "ensemble"]
    assert ensemble and ensemble[0].status == "ok" and len(ensemble[0].fold_scores) == 3
    assert result.classifier.predict(["rocket orbit launch"]) == ["space"]
    with pytest.raises(SettingsError, match="cross-validation"):
        tune(texts, labels, texts, labels, 10, space=SearchSpace(models=("ensemble",)))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_wider_space_never_chooses_a_trial_that_does_not_beat_the_defaults(seed):
    texts, labels = trigram_corpus(90, seed=10 + seed, noise=0.25)
    result = tune_cv(texts, labels, 120, folds=3, seed=seed, max_trials=14)
    default = result.trials[0]
    assert default.model == "logistic" and default.optimizer == "default"
    assert {t.model for t in result.trials} >= {"logistic", "nb"}
    best = result.best
    assert best is default or beats(best.fold_scores, default.fold_scores)
    chosen = result.classifier
    assert chosen.feature_settings.ngrams == best.ngrams
    assert chosen.model.kind == best.model
