"""Naive Bayes's smoothing α and Wang and Manning's β chosen by the training data itself
(``nb_alpha="auto"``, ``nb_beta="auto"``), never by a test set.

Naive Bayes (``model="nb"``): its features do not depend on the labels (binary, count or
tf-idf values), so one featurisation serves a k-fold cross-validation of α. The class
totals S of all the rows and of each fold are counted once; fold f's model is counted from
S − S_f, for every α of :data:`ALPHAS` (θ_jc = log((S_jc + α)/Σⱼ'(S_j'c + α)) costs one
pass over the totals), and scored on fold f's rows. The α with the most rows right over
the k folds wins; ties go to the α nearest the textbook's 1.

Logistic regression on an nb weighting (``tfidf-nb``, ``nb``) with ``nb_beta="auto"``: the
features hold the naive Bayes ratios r, learned from the labels, so a held-out document's
own label must not be in them. A stratified, seeded fifth of the training documents is held
out (:data:`HELD_OUT`); the featuriser (vocabulary, idf and r) is fitted on the rest and
the model trained there, as the final fit trains it; then every β of :data:`BETAS` is
applied to that one trained model (w ← (1 − β)·w̄ + β·w, β = 1 leaves w as it is) and
scored on the held-out documents. The best β is kept (ties: the larger, the less
interpolation), and the final model is fitted on all the training documents with it. The
nb weightings' own α is 1 under "auto" (cross-validation on the training splits found no
better general value: docs/models.md). The choice and every score are in the model card
(``provenance["chosen"]``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from textclf.corpus.splits import stratified_folds
from textclf.features.featurizer import Featurizer
from textclf.features.settings import FeatureSettings
from textclf.features.weighting import interpolate
from textclf.fitting.problem import AUTO, Problem, held_out_rows, model_for, new_model
from textclf.fitting.settings import FitSettings
from textclf.models.base import Model
from textclf.training.counted import class_sums
from textclf.training.loop import Trainer
from textclf.training.settings import TrainingSettings
from textclf.training.sources import InMemoryRows

ALPHAS = (0.03, 0.1, 0.3, 1.0)  # naive Bayes's α: one count serves them all
BETAS = (0.25, 0.5, 0.75, 1.0)  # β = 1: no interpolation
HELD_OUT = 0.2  # of the training documents, for β
NB_FOLDS = 3


def preference(alpha: float) -> float:
    """How a tie between α is broken: the α nearest 1 (in ratio) wins."""
    return -abs(math.log(alpha))


def correct_rows(model: Model, X: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    """1 for each row predicted right (a class; multi-label: every label), else 0."""
    right = model.predict(X) == y
    return (right if right.ndim == 1 else right.all(axis=1)).astype(np.float64)


def weighted_share(right: np.ndarray, weights: np.ndarray | None) -> float:
    """Σᵢ sᵢ·rightᵢ / Σᵢ sᵢ (sᵢ = 1 without weights)."""
    if weights is None:
        return float(right.mean()) if len(right) else 0.0
    total = float(np.sum(weights))
    return float(right @ weights) / total if total > 0 else 0.0


# naive Bayes: α by k-fold cross-validation of one count ------------------------------------
def alpha_models(totals: tuple, X_held: sp.csr_matrix, alphas: Sequence[float],
                 n_outputs: int, multi_label: bool) -> Iterator[tuple[float, Model, sp.csr_matrix]]:
    """For each α, naive Bayes counted from ``totals`` = (S, documents, T, N) of other
    rows (:func:`~textclf.training.counted.class_sums`) and the held-out rows [X_held | 1]
    it scores: θ is made only for the features those rows have (and the bias)."""
    bias = X_held.shape[1] - 1
    present = np.flatnonzero(np.bincount(X_held.indices, minlength=X_held.shape[1])[:bias])
    X_present = X_held[:, np.append(present, bias)]
    model = new_model("nb", len(present) + 1, n_outputs, TrainingSettings(),
                      multi_label=multi_label)
    S, documents, T, N = totals
    for alpha in alphas:
        model.alpha = alpha
        model.set_from_totals(S, documents, (T, N), rows=present)
        yield alpha, model, X_present


def choose_alpha(model: Model, X: sp.csr_matrix, y: np.ndarray, weights: np.ndarray | None,
                 seed: int, alphas: Sequence[float] = ALPHAS,
                 folds: int = NB_FOLDS) -> tuple[float, dict[str, float]]:
    """The α of ``alphas`` whose naive Bayes scores best in a ``folds``-fold stratified,
    seeded cross-validation of the rows [X | 1] (see the module), and the (weighted) share
    of rows right for each α. ``model``: a naive Bayes model of the problem (its form)."""
    n = X.shape[0]
    k = min(folds, n)
    if k < 2:
        return 1.0, {}
    strata = np.zeros(n, np.int64) if np.ndim(y) == 2 else np.asarray(y)
    fold_of = stratified_folds(strata.tolist(), k, seed)
    n_outputs = model.theta.shape[1] if model.theta.ndim == 2 else 2
    total = class_sums(X, y, n_outputs, weights)
    right = {alpha: 0.0 for alpha in alphas}
    weight_sum = 0.0
    for fold in range(k):
        held = np.flatnonzero(fold_of == fold)
        if not len(held):
            continue
        w_held = None if weights is None else weights[held]
        part = class_sums(X[held], y[held], n_outputs, w_held)
        rest = tuple(a - b for a, b in zip(total, part, strict=True))
        for alpha, counted, X_held in alpha_models(rest, X[held], alphas, n_outputs,
                                                   np.ndim(y) == 2):
            rows_right = correct_rows(counted, X_held, y[held])
            right[alpha] += float(rows_right.sum() if w_held is None else rows_right @ w_held)
        weight_sum += len(held) if w_held is None else float(np.sum(w_held))
    scores = {f"{alpha:g}": right[alpha] / max(weight_sum, 1e-300) for alpha in alphas}
    best = max(alphas, key=lambda a: (scores[f"{a:g}"], preference(a)))
    return best, scores


# logistic regression on nb features: β on a held-out part ----------------------------------
@dataclass
class Chosen:
    """What the data chose: β (None: no interpolation), the held-out share right for every
    β tried, and which documents judged them."""

    beta: float | None
    scores: dict[str, float]
    judged_by: str

    def record(self) -> dict:
        return {"nb_beta": self.beta, "judged_by": self.judged_by, "scores": self.scores}


def needs_held_out(features: FeatureSettings, kind: str) -> bool:
    """Whether ``features`` ask for β chosen on held-out documents (binary logistic
    regression on an nb weighting with nb_beta "auto")."""
    return features.uses_labels and kind == "logistic" and features.nb_beta == AUTO


def choose_beta(settings: FitSettings, texts: Sequence[str], problem: Problem,
                seed: int) -> Chosen:
    """β for logistic regression on nb features, chosen on a held-out part of the training
    documents (see the module)."""
    kept, held = held_out_rows(problem, HELD_OUT, seed)
    rest = problem.subset(kept)
    held_y = problem.y[held]
    held_w = None if problem.weights is None else problem.weights[held]
    training = settings.training_for(problem.kind)
    featurizer = Featurizer(settings.features.replace(nb_beta=None), jobs=settings.run.jobs,
                            dtype=settings.dtype)
    X = featurizer.fit_transform([texts[i] for i in kept], rest.nb_targets(), rest.weights)
    X_held = featurizer.transform([texts[i] for i in held])
    model = model_for(rest, X.shape[1], settings, training)
    rows, weights = rest.training_rows()
    y = rest.y
    if rows is not None and len(rows) < len(y):
        X, y = X[rows], y[rows]
    Trainer(model, training, quiet=True).fit(InMemoryRows(X, y, weights))
    theta = model.theta[:-1].copy()
    scores = {}
    for beta in BETAS:
        model.theta[:-1] = theta if beta == 1.0 else interpolate(theta, beta)
        scores[beta] = weighted_share(correct_rows(model, X_held, held_y), held_w)
    beta = max(BETAS, key=lambda b: (scores[b], b))
    return Chosen(None if beta == 1.0 else beta, {f"{b:g}": s for b, s in scores.items()},
                  f"{len(held)} held-out training documents (stratified, seed {seed})")
