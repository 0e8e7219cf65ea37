"""Multinomial naive Bayes: the lecture's foil, written as the linear model it is.

Naive Bayes assumes the features of a document independent given its class c:

    P(c | x) ∝ P(c) · Πⱼ P(j | c)^xⱼ,   so   log P(c | x) = log π_c + Σⱼ xⱼ log p_jc − log Z(x),

with xⱼ a count (or 1 where the term is present: binarised naive Bayes), π_c the share of
the training documents in class c and, with smoothing α,

    p_jc = (S_jc + α) / Σⱼ' (S_j'c + α),     S_jc = Σ_{i: yᵢ = c} sᵢ xᵢⱼ

(sᵢ a document's weight, 1 without). The score of class c is linear in x: z_c = xθ_c + b_c
with θ_jc = log p_jc and b_c = log π_c, which is softmax regression's form; logistic
regression learns θ by gradient steps, naive Bayes counts it in one pass (no independence
assumed there). So a naive Bayes model is one of textclf's linear models with θ counted:

* two classes: one score z = log(π₁/π₀) + Σⱼ xⱼ log(p_j1/p_j0), P(labels[1] | x) = σ(z), as
  logistic regression's; a term's weight is its log-likelihood ratio;
* K classes: z_c = log π_c + Σⱼ xⱼ log p_jc, each term's row centred over the classes
  (softmax sees only differences), P(c | x) = softmax(z)_c;
* multi-label data: each label l against the documents without it (one-vs-rest), a sigmoid
  per label: z_l = log(π_l/(1 − π_l)) + Σⱼ xⱼ log(p_jl/p_j¬l).

A feature no training document had gets θⱼ = 0 (it tells nothing), and the sums over j run
over the features seen. Explanations, inspection, the model file and the service read it as
any linear model.
"""

from __future__ import annotations

import numpy as np

from textclf.errors import SettingsError
from textclf.models.base import Model
from textclf.models.logistic import LogisticRegression
from textclf.models.multilabel import MultiLabelLogisticRegression
from textclf.models.softmax import SoftmaxRegression

OUTPUTS = ("sigmoid", "softmax", "sigmoids")  # two classes, K classes, multi-label


def log_probabilities(S: np.ndarray, alpha: float, rows: np.ndarray | None = None) -> np.ndarray:
    """log p_jc = log((S_jc + α) / Σⱼ' (S_j'c + α)) for the (|F|, C) totals S, the sums
    over the features seen (Σ_c S_jc > 0); the rows of unseen features are 0. ``rows``:
    only those features' rows (the sums still over all seen)."""
    seen = S.sum(axis=1) > 0
    normaliser = S.sum(axis=0) + alpha * np.count_nonzero(seen)  # (unseen rows hold 0)
    if rows is not None:
        S, seen = S[rows], seen[rows]
    logs = np.full(S.shape, np.log(alpha))  # log(0 + α): most totals of many classes are 0
    counted = S > 0
    logs[counted] = np.log(S[counted] + alpha)
    logs -= np.log(normaliser)
    logs[~seen] = 0.0
    return logs


def check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not alpha > 0 \
            or not np.isfinite(alpha):
        raise SettingsError(f"naive Bayes smoothing α must be a finite number > 0, got {alpha!r}")
    return float(alpha)


class NaiveBayes:
    """What the three forms share: the smoothing α, counting θ from class totals, and the
    model file's configuration (kind ``nb``, with its output)."""

    kind = "nb"
    output = ""
    closed_form = True  # θ is counted in one pass, not stepped to (training.loop)
    alpha = 1.0

    def set_from_totals(self, S: np.ndarray, documents: np.ndarray,
                        total: tuple | None = None, rows: np.ndarray | None = None) -> None:
        """θ from the (|F|, C) feature totals S of each class (or label) and the (weighted)
        number of its documents; multi-label: ``total`` holds the totals over all documents
        (the column sums T_j, then N), for the one-vs-rest complements. ``rows``: a model
        over those features alone (θ's rows for them and the bias; the probabilities are
        still those of all the features seen: cross-validating α, fitting.choices)."""
        raise NotImplementedError

    def nb_config(self, config: dict) -> dict:
        return {**config, "kind": self.kind, "output": self.output, "alpha": self.alpha}


class BinaryNaiveBayes(NaiveBayes, LogisticRegression):
    """Two classes: θⱼ = log(p_j1/p_j0), b = log(π₁/π₀)."""

    output = "sigmoid"

    def set_from_totals(self, S, documents, total=None, rows=None) -> None:
        logs = log_probabilities(S, self.alpha, rows)
        prior = np.log(np.maximum(documents, 1e-300))
        self.theta = np.append(logs[:, 1] - logs[:, 0], prior[1] - prior[0])

    def config(self) -> dict:
        return self.nb_config(super().config())


class MulticlassNaiveBayes(NaiveBayes, SoftmaxRegression):
    """K classes: θ_jc = log p_jc and b_c = log π_c, each row centred over the classes."""

    output = "softmax"

    def set_from_totals(self, S, documents, total=None, rows=None) -> None:
        theta = np.vstack([log_probabilities(S, self.alpha, rows),
                           np.log(np.maximum(documents, 1e-300))])
        self.theta = theta - theta.mean(axis=1, keepdims=True)

    def config(self) -> dict:
        return self.nb_config(super().config())


class MultiLabelNaiveBayes(NaiveBayes, MultiLabelLogisticRegression):
    """A sigmoid per label l, its documents against the others: θ_jl = log(p_jl/p_j¬l),
    b_l = log(π_l/(1 − π_l)) (counts smoothed by 1, so a label of no or every document
    stays finite)."""

    output = "sigmoids"

    def set_from_totals(self, S, documents, total=None, rows=None) -> None:
        T, N = total
        theta = np.empty((S.shape[0] + 1 if rows is None else len(rows) + 1, S.shape[1]))
        for label in range(S.shape[1]):
            pair = np.column_stack([np.maximum(T - S[:, label], 0.0), S[:, label]])
            logs = log_probabilities(pair, self.alpha, rows)
            theta[:-1, label] = logs[:, 1] - logs[:, 0]
            theta[-1, label] = np.log((documents[label] + 1.0) / (N - documents[label] + 1.0))
        self.theta = theta

    def config(self) -> dict:
        return self.nb_config(super().config())


FORMS: dict[str, type] = {form.output: form for form in
                          (BinaryNaiveBayes, MulticlassNaiveBayes, MultiLabelNaiveBayes)}


def naive_bayes(n_features: int, n_outputs: int, multi_label: bool = False,
                alpha: float = 1.0) -> Model:
    """A naive Bayes model of the form the outputs ask for, θ = 0 until counted."""
    if multi_label:
        model = MultiLabelNaiveBayes(n_features, n_outputs)
    elif n_outputs == 2:
        model = BinaryNaiveBayes(n_features)
    else:
        model = MulticlassNaiveBayes(n_features, n_outputs)
    model.alpha = check_alpha(alpha)
    return model


class NaiveBayesModels:
    """The model file's entry for kind ``nb``: the form its configuration names."""

    kind = "nb"
    multi_label = False  # (a form of it is; the kind serves single-label data too)

    @classmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> Model:
        output = config.get("output")
        if output not in FORMS:
            raise SettingsError(f"naive Bayes output must be one of {', '.join(OUTPUTS)}, "
                                f"got {output!r}")
        model = FORMS[output].from_config(config, arrays)
        model.alpha = check_alpha(config.get("alpha", 1.0))
        return model
