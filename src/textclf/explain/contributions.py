"""Reading a model: which features push a document to which class, and by how much.

Linear models (logistic and softmax regression) decompose exactly. The score of class k is

    z_k = Σⱼ θⱼₖ xⱼ + b_k,

so each feature j present in the document *contributes* cⱼₖ = θⱼₖ xⱼ, and the contributions
plus the bias add up to the score. Binary logistic regression has one score z (toward
``labels[1]``; negative values point to ``labels[0]``) and P(labels[1] | x) = σ(z); softmax
regression has one score per class and P(k | x) = softmax(z)ₖ; multi-label logistic
regression one score per label, each on its own: P(l | x) = σ(zₗ).

A network's score is not a sum over features. Its explanation is the first-order
*gradient × input* attribution

    aⱼₖ = xⱼ · ∂z_k/∂xⱼ,

measured against a baseline, the score of an empty document z_k(0) (for a linear model that
is exactly b_k). What the attributions do not account for (the network's curvature) is
reported as the remainder z_k − z_k(0) − Σⱼ aⱼₖ, so nothing is hidden.

Words. A feature is an n-gram (or, hashed, a column shared by the n-grams that fall in it);
its contribution is shared equally by its occurrences in the document and, within an
occurrence, equally by the n words, so the shares of the words add up to the sum of the
contributions. This is what the coloured text shows. A character n-gram's words are the
tokens it overlaps ("e c" of "the cat": both), or the nearest token where it overlaps none
(punctuation, spaces), so that the shares still add up to the contributions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from textclf.errors import NotFittedError
from textclf.explain.effects import (
    METHOD_GRADIENT,
    METHOD_LINEAR,
    empty_documents,
    is_linear,
    linear_theta,
    output_labels,
    scores,
)
from textclf.explain.records import ClassExplanation, Contribution, Explanation, Token
from textclf.features.featurizer import Featurizer
from textclf.features.tokens import ngram_occurrences
from textclf.models.base import Model


def spread_shares(occurrences: Sequence[tuple[Hashable, int, int]],
                  contribution: Mapping[Hashable, float], n_tokens: int) -> np.ndarray:
    """Each token's share: a feature occurring o times with contribution c gives c / (o·n)
    to each of the n words of each occurrence ``(feature, first token, n)``."""
    kept = [occurrence for occurrence in occurrences if occurrence[2] > 0]
    counts = Counter(feature for feature, _, _ in kept)
    share = np.fromiter((contribution[f] / (counts[f] * n) for f, _, n in kept), np.float64,
                        len(kept))
    first = np.fromiter((i for _, i, _ in kept), np.int64, len(kept))
    width = np.fromiter((n for _, _, n in kept), np.int64, len(kept))
    # every word of every occurrence, in order: first, first + 1, ..., first + n − 1
    starts = np.repeat(np.cumsum(width) - width, width)
    words = np.repeat(first, width) + np.arange(int(width.sum())) - starts
    shares = np.zeros(n_tokens)
    np.add.at(shares, words, np.repeat(share, width))  # the loop's order of additions
    return shares


def word_shares(tokens: list[str], ngrams: int, contribution_of: dict[str, float]) -> list[float]:
    """Each token's share of the contributions of the n-gram terms in ``contribution_of``;
    the shares add up to Σ c over the terms found in the text."""
    found = [o for o in ngram_occurrences(tokens, ngrams) if o[0] in contribution_of]
    return spread_shares(found, contribution_of, len(tokens)).tolist()


def feature_names(featurizer: Featurizer, occurrences: Sequence[tuple[int, int, int, str]],
                  columns: np.ndarray) -> dict[int, str]:
    """A readable name for each column of the document: the n-grams of the document that
    make it (``a | b`` when several fall in one hashed column), else its term."""
    grams: dict[int, dict[str, None]] = {}  # each column's n-grams, in order, once
    for j, _, _, gram in occurrences:
        grams.setdefault(j, {})[gram] = None
    terms = featurizer.terms
    return {j: " | ".join(grams[j]) if j in grams else terms[j] for j in columns.tolist()}


def class_explanation(label: str, opposite: str | None, score: float, baseline: float,
                      probability: float, names: Mapping[int, str], columns: np.ndarray,
                      values: np.ndarray, weights: np.ndarray, exact: bool,
                      occurrences: Sequence[tuple[int, int, int]],
                      n_tokens: int) -> ClassExplanation:
    """One score's account: contributions cⱼ = weightⱼ·xⱼ sorted by |cⱼ|, and the rest."""
    c = weights * values
    order = np.lexsort((columns, -np.abs(c)))  # by |c| descending, ties by column
    items = [Contribution(names[j], float(v), float(w), float(cj))
             for j, v, w, cj in zip(columns[order].tolist(), values[order], weights[order],
                                    c[order], strict=True)]
    remainder = 0.0 if exact else score - baseline - float(np.sum(c))
    contribution = dict(zip(columns.tolist(), c.tolist(), strict=True))
    shares = spread_shares(occurrences, contribution, n_tokens).tolist()
    return ClassExplanation(label=label, opposite=opposite, score=score, baseline=baseline,
                            remainder=remainder, probability=probability,
                            contributions=items, word_shares=shares)


class Trained(Protocol):
    """What explanations read of a trained classifier (a ``Fitted``, or a classifier that
    holds one): its featuriser, model and label names, and for a multi-label model the rule
    that chooses a document's labels."""

    featurizer: Featurizer
    model: Model
    labels: list[str]
    decision_rule: Any  # a multi-label model's DecisionRule (evaluation.decisions); None


def explain_rows(trained: Trained, texts: list[str]) -> list[Explanation]:
    """Explanations of several documents (features computed together)."""
    featurizer, model, labels = trained.featurizer, trained.model, trained.labels
    if model is None:
        raise NotFittedError("the classifier is not trained: call fit or load first")
    X = featurizer.transform(texts).tocsr()
    X.sort_indices()
    Z = scores(model, X)
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    n_outputs = Z.shape[1]
    multi_label = bool(model.multi_label)
    targets = output_labels(labels, n_outputs, multi_label)
    opposite = labels[0] if n_outputs == 1 and not multi_label else None
    chosen = trained.decision_rule.apply(P) if multi_label else None  # each one's labels
    bias_column = X.shape[1] - 1
    scale = featurizer.column_scale()  # sⱼ: xⱼ = sⱼ·(the term's own value)
    linear = is_linear(model)
    if linear:
        theta = linear_theta(model)
        baseline = theta[-1]  # b_k: the score of a document without features
    else:
        baseline = scores(model, empty_documents(X.shape[1]))[0]
    results = []
    for row, text in enumerate(texts):
        start, end = X.indptr[row], X.indptr[row + 1]
        columns, values = X.indices[start:end], X.data[start:end]
        is_term = columns != bias_column
        columns, x = columns[is_term], values[is_term].astype(np.float64)
        s = scale[columns]
        # the value before the label-dependent scaling: count, binary or tf-idf (≥ 0)
        values = np.divide(x, s, out=np.zeros(len(x)), where=s != 0)
        display, spans = featurizer.token_spans(text)
        tokens = [token for token, _, _ in spans]
        present = set(columns.tolist())
        named = [o for o in featurizer.named_occurrences(text) if o[0] in present]
        names = feature_names(featurizer, named, columns)
        occurrences = [(j, i, n) for j, i, n, _ in named]
        if linear:
            gradient = theta[columns]  # ∂z_k/∂xⱼ = θⱼₖ, shape (nnz, C)
        else:  # ∂z_k/∂xⱼ at this document, one backward pass per score
            gradient = np.column_stack([
                np.asarray(model.input_gradient(X[row], k), dtype=np.float64)[0, columns]
                for k in range(n_outputs)
            ]).reshape(len(columns), n_outputs)
        weights = gradient * s[:, None]  # per unit of the value: θⱼₖ·sⱼ (weight × value = θⱼₖxⱼ)
        explained = [
            class_explanation(label, opposite, float(Z[row, k]), float(baseline[k]),
                              float(P[row, labels.index(label)]), names, columns, values,
                              weights[:, k], linear, occurrences, len(tokens))
            for k, label in enumerate(targets)
        ]
        covered = np.zeros(len(tokens), dtype=bool)
        for _, i, n in occurrences:
            covered[i : i + n] = True
        results.append(Explanation(
            text=text,
            model_kind=model.kind,
            method=METHOD_LINEAR if linear else METHOD_GRADIENT,
            labels=list(labels),
            predicted=labels[int(np.argmax(P[row]))],
            probabilities={label: float(p) for label, p in zip(labels, P[row], strict=True)},
            multi_label=multi_label,
            temperature=float(model.temperature),
            weighting=featurizer.settings.weighting,
            predicted_labels=None if chosen is None
            else [labels[j] for j in np.flatnonzero(chosen[row])],
            classes=explained,
            tokens=[Token(token, s, e) for token, s, e in spans],
            display_text=display,
            n_unknown_tokens=int(len(tokens) - covered.sum()),
        ))
    return results


def explain(trained: Trained, text: str) -> Explanation:
    """Why a trained classifier (a ``Fitted``, or a ``TextClassifier``) labels ``text``.

    Example::

        from textclf.explain import explain
        e = explain(clf, "a wonderful, moving film")
        e.predicted, e.probabilities
        for c in e.predicted_class.contributions[:5]:
            print(c.term, c.contribution)       # weight × value = θⱼxⱼ, largest first
        print(e.format(top=10))
    """
    return explain_rows(trained, [text])[0]
