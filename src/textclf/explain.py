"""Reading a model: which features push a document to which class, and by how much.

Linear models (logistic and softmax regression) decompose exactly. The score of class k is

    z_k = Σⱼ θⱼₖ xⱼ + b_k,

so each feature j present in the document *contributes* cⱼₖ = θⱼₖ xⱼ, and the contributions
plus the bias add up to the score. Binary logistic regression has one score z (toward
``labels[1]``; negative values point to ``labels[0]``) and P(labels[1] | x) = σ(z); softmax
regression has one score per class and P(k | x) = softmax(z)ₖ.

A network's score is not a sum over features. Its explanation is the first-order
*gradient × input* attribution

    aⱼₖ = xⱼ · ∂z_k/∂xⱼ,

measured against a baseline, the score of an empty document z_k(0) (for a linear model that
is exactly b_k). What the attributions do not account for (the network's curvature) is
reported as the remainder z_k − z_k(0) − Σⱼ aⱼₖ, so nothing is hidden.

Words. A feature is an n-gram; its contribution is shared equally by its occurrences in the
document and, within an occurrence, equally by the n words, so the shares of the words add
up to the sum of the contributions. This is what the coloured text shows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

MODEL_NAMES = {
    "logistic": "binary logistic regression",
    "softmax": "softmax regression",
    "mlp": "feedforward network (MLP)",
}
LINEAR_KINDS = ("logistic", "softmax")
METHOD_LINEAR = "weight × value"
METHOD_GRADIENT = "gradient × input"


# ---------------------------------------------------------------------------------------------
# The model's outputs, seen uniformly as C score columns


def is_linear(model) -> bool:
    """True where the score is exactly Σⱼ θⱼₖxⱼ + b_k (logistic and softmax regression)."""
    return getattr(model, "kind", None) in LINEAR_KINDS


def scores(model, X: sp.csr_matrix) -> np.ndarray:
    """The logits as an (n, C) array: C = 1 for a sigmoid output, C = K for softmax."""
    z = np.asarray(model.decision_function(X), dtype=np.float64)
    return z.reshape(X.shape[0], -1)


def output_labels(labels: list[str], n_outputs: int) -> list[str]:
    """The class each score column points to: ``labels[1]`` for one sigmoid score."""
    return [labels[1]] if n_outputs == 1 else list(labels)


def linear_theta(model) -> np.ndarray:
    """θ of a linear model as an (|F|+1, C) matrix, bias in the last row."""
    theta = np.asarray(model.theta, dtype=np.float64)
    return theta.reshape(theta.shape[0], -1)


def _empty_documents(n_columns: int, n: int = 1) -> sp.csr_matrix:
    """n rows [0 … 0 | 1]: documents without any known feature."""
    return sp.csr_matrix(
        (np.ones(n), np.full(n, n_columns - 1), np.arange(n + 1)), shape=(n, n_columns)
    )


def term_effects(model, n_terms: int, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """What each term alone does to each score: an (|F|, C) matrix and the (C,) baseline.

    For a linear model this is the weight matrix w (and the bias b): exactly the change of
    z_k when xⱼ goes from 0 to 1. For a network it is measured the same way, as
    z_k(eⱼ) − z_k(0): the score of a document made of term j alone (value 1, which is also
    what a one-word document gets under tf-idf) minus the score of an empty document. With
    K > 2 softmax outputs a network's effects are centred over the classes (each row minus
    its mean), since softmax only sees differences between logits; this matches
    ``TextClassifier.top_features``.
    """
    if is_linear(model):
        theta = linear_theta(model)
        return theta[:-1], theta[-1]
    n_columns = n_terms + 1
    baseline = scores(model, _empty_documents(n_columns))[0]
    effects = []
    for start in range(0, n_terms, batch):
        rows = np.arange(start, min(start + batch, n_terms))
        m = len(rows)
        indices = np.column_stack([rows, np.full(m, n_terms)]).ravel()
        X = sp.csr_matrix((np.ones(2 * m), indices, np.arange(0, 2 * m + 1, 2)),
                          shape=(m, n_columns))
        effects.append(scores(model, X) - baseline)
    if not effects:
        return np.zeros((0, len(baseline))), baseline
    effects = np.vstack(effects)
    if effects.shape[1] > 1:
        effects -= effects.mean(axis=1, keepdims=True)
    return effects, baseline


# ---------------------------------------------------------------------------------------------
# One document's explanation


@dataclass
class Contribution:
    """One feature of the document: cⱼ = weight · value (or xⱼ · ∂z/∂xⱼ for a network)."""

    term: str
    value: float  # xⱼ, the feature's value in this document
    weight: float  # θⱼₖ, or ∂z_k/∂xⱼ for a network
    contribution: float


@dataclass
class ClassExplanation:
    """How the score of one class comes about: baseline + Σ contributions (+ remainder)."""

    label: str  # the class this score points to
    opposite: str | None  # for a single sigmoid score: the class negative values point to
    score: float  # z_k
    baseline: float  # b_k (linear) or z_k(empty document) (network)
    remainder: float  # z_k − baseline − Σ contributions; 0 up to rounding for linear models
    probability: float  # P(label | x)
    contributions: list[Contribution]  # sorted by |contribution|, largest first
    word_shares: list[float] = field(default_factory=list)  # one per token, see module doc

    def top(self, n: int | None) -> list[Contribution]:
        return self.contributions if n is None else self.contributions[:n]


@dataclass
class Token:
    text: str
    start: int  # character offsets into Explanation.display_text
    end: int


@dataclass
class Explanation:
    """Why the model gives ``text`` its label."""

    text: str
    model_kind: str
    method: str  # METHOD_LINEAR (exact) or METHOD_GRADIENT (first-order)
    labels: list[str]
    predicted: str
    probabilities: dict[str, float]
    classes: list[ClassExplanation]  # one per score: 1 for a sigmoid output, K for softmax
    tokens: list[Token]
    display_text: str  # the text the token offsets refer to
    n_unknown_tokens: int  # tokens in no feature of the vocabulary

    @property
    def exact(self) -> bool:
        return self.method == METHOD_LINEAR

    def for_class(self, label: str) -> ClassExplanation:
        """The explanation of ``label``'s score (for one sigmoid score: the only one)."""
        for explanation in self.classes:
            if label in (explanation.label, explanation.opposite):
                return explanation
        raise KeyError(f"no class {label!r}; classes: {', '.join(self.labels)}")

    @property
    def predicted_class(self) -> ClassExplanation:
        return self.for_class(self.predicted)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["exact"] = self.exact
        return data

    def format(self, top: int | None = 20, classes: list[str] | None = None,
               color: bool = False, max_chars: int = 3000) -> str:
        """A plain-text account (ANSI colours on the words when ``color``)."""
        return format_explanation(self, top=top, classes=classes, color=color,
                                  max_chars=max_chars)


def _tokens_with_offsets(featurizer, text: str) -> tuple[str, list[Token]]:
    """The featuriser's tokens of ``text`` and where they stand in the text shown."""
    tokens = featurizer.tokenizer.tokens(text)
    settings = getattr(featurizer, "settings", None)
    pattern = getattr(settings, "token_pattern", None)
    lowercase = getattr(settings, "lowercase", False)
    searched = text.lower() if lowercase else text
    # lowercasing may change lengths (e.g. 'İ'); then show the lowercased text
    display = text if len(searched) == len(text) else searched
    if pattern is not None:
        found = [(m.group(), m.start(), m.end()) for m in re.finditer(pattern, searched)]
        if [t for t, _, _ in found] == tokens:
            return display, [Token(t, s, e) for t, s, e in found]
    # a tokenizer we cannot retrace: words without positions
    return " ".join(tokens), _consecutive_tokens(tokens)


def _consecutive_tokens(tokens: list[str]) -> list[Token]:
    out, position = [], 0
    for token in tokens:
        out.append(Token(token, position, position + len(token)))
        position += len(token) + 1
    return out


def _occurrences(tokens: list[str], ngrams: int, present) -> list[tuple[str, int, int]]:
    """(gram, first token, n) for every n-gram occurrence of the text that is in ``present``."""
    found = []
    for n in range(1, ngrams + 1):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i] if n == 1 else " ".join(tokens[i : i + n])
            if gram in present:
                found.append((gram, i, n))
    return found


def word_shares(tokens: list[str], ngrams: int, contribution_of: dict[str, float]) -> list[float]:
    """Each token's share of the contributions (see the module docstring).

    An n-gram occurring o times with contribution c gives c / (o·n) to each word of each
    occurrence; the shares then add up to Σ c over the n-grams found in the text.
    """
    occurrences = _occurrences(tokens, ngrams, contribution_of)
    counts = Counter(gram for gram, _, _ in occurrences)
    shares = np.zeros(len(tokens))
    for gram, i, n in occurrences:
        shares[i : i + n] += contribution_of[gram] / (counts[gram] * n)
    return shares.tolist()


def count_uncovered(tokens: list[str], ngrams: int, present: set[str]) -> int:
    """How many tokens belong to no feature of the document."""
    covered = np.zeros(len(tokens), dtype=bool)
    for _, i, n in _occurrences(tokens, ngrams, present):
        covered[i : i + n] = True
    return int(len(tokens) - covered.sum())


def _class_explanation(label: str, opposite: str | None, score: float, baseline: float,
                       probability: float, terms: Mapping[int, str], columns: np.ndarray,
                       values: np.ndarray, weights: np.ndarray, exact: bool,
                       tokens: list[str], ngrams: int) -> ClassExplanation:
    """One score's account: contributions cⱼ = weightⱼ·xⱼ sorted by |cⱼ|, and the rest."""
    c = weights * values
    order = np.lexsort((columns, -np.abs(c)))  # by |c| descending, ties by column
    items = [Contribution(terms[j], float(v), float(w), float(cj))
             for j, v, w, cj in zip(columns[order], values[order], weights[order], c[order],
                                    strict=True)]
    remainder = 0.0 if exact else score - baseline - float(np.sum(c))
    shares = word_shares(tokens, ngrams,
                         {terms[j]: float(cj) for j, cj in zip(columns, c, strict=True)})
    return ClassExplanation(label=label, opposite=opposite, score=score, baseline=baseline,
                            remainder=remainder, probability=probability,
                            contributions=items, word_shares=shares)


def explain_rows(clf, texts: list[str]) -> list[Explanation]:
    """Explanations of several documents (features computed together)."""
    featurizer, model, labels = clf.featurizer, clf.model, clf.labels
    X = featurizer.transform(texts).tocsr()
    X.sort_indices()
    Z = scores(model, X)
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    n_outputs = Z.shape[1]
    targets = output_labels(labels, n_outputs)
    opposite = labels[0] if n_outputs == 1 else None
    terms = featurizer.terms
    bias_column = X.shape[1] - 1
    ngrams = getattr(getattr(featurizer, "settings", None), "ngrams", 1)
    linear = is_linear(model)
    if linear:
        theta = linear_theta(model)
        baseline = theta[-1]  # b_k: the score of a document without features
    else:
        baseline = scores(model, _empty_documents(X.shape[1]))[0]
    results = []
    for row, text in enumerate(texts):
        start, end = X.indptr[row], X.indptr[row + 1]
        columns, values = X.indices[start:end], X.data[start:end]
        is_term = columns != bias_column
        columns, values = columns[is_term], values[is_term]
        names = {j: terms[j] for j in columns.tolist()}  # each term spelled once per row
        if linear:
            weights = theta[columns]  # θⱼₖ, shape (nnz, C)
        else:  # ∂z_k/∂xⱼ at this document, one backward pass per score
            weights = np.column_stack([
                np.asarray(model.input_gradient(X[row], k), dtype=np.float64)[0, columns]
                for k in range(n_outputs)
            ]).reshape(len(columns), n_outputs)
        display, tokens = _tokens_with_offsets(featurizer, text)
        token_texts = [t.text for t in tokens]
        explained = [
            _class_explanation(label, opposite, float(Z[row, k]), float(baseline[k]),
                               float(P[row, labels.index(label)]), names, columns, values,
                               weights[:, k], linear, token_texts, ngrams)
            for k, label in enumerate(targets)
        ]
        results.append(Explanation(
            text=text,
            model_kind=model.kind,
            method=METHOD_LINEAR if linear else METHOD_GRADIENT,
            labels=list(labels),
            predicted=labels[int(np.argmax(P[row]))],
            probabilities={label: float(p) for label, p in zip(labels, P[row], strict=True)},
            classes=explained,
            tokens=tokens,
            display_text=display,
            n_unknown_tokens=count_uncovered(token_texts, ngrams, set(names.values())),
        ))
    return results


def explain(clf, text: str) -> Explanation:
    """Why ``clf`` (a trained :class:`~textclf.pipeline.TextClassifier`) labels ``text``.

    Example::

        from textclf.explain import explain
        e = explain(clf, "a wonderful, moving film")
        e.predicted, e.probabilities
        for c in e.predicted_class.contributions[:5]:
            print(c.term, c.contribution)       # wⱼxⱼ, largest |wⱼxⱼ| first
        print(e.format(top=10))
    """
    clf._check_fitted()
    return explain_rows(clf, [text])[0]


# ---------------------------------------------------------------------------------------------
# Text rendering

_ANSI = {"strong+": "\033[1;32m", "weak+": "\033[32m", "strong-": "\033[1;31m",
         "weak-": "\033[31m"}
_RESET = "\033[0m"


def share_level(share: float, scale: float) -> str | None:
    """'strong+', 'weak+', 'weak-', 'strong-' or None, relative to the largest |share|."""
    if scale <= 0 or abs(share) < 0.1 * scale:
        return None
    strength = "strong" if abs(share) >= 0.5 * scale else "weak"
    return strength + ("+" if share > 0 else "-")


def colour_words(explanation: Explanation, shares: list[float], max_chars: int = 3000) -> str:
    """The document with ANSI colours on its words: green toward the class, red against."""
    text = explanation.display_text
    scale = max((abs(s) for s in shares), default=0.0)
    out, position = [], 0
    for token, share in zip(explanation.tokens, shares, strict=True):
        if token.start >= max_chars:
            break
        word = text[token.start : token.end]
        level = share_level(share, scale)
        out.append(text[position : token.start])
        out.append(f"{_ANSI[level]}{word}{_RESET}" if level else word)
        position = token.end
    shown = "".join(out) + text[position:max_chars]
    if len(text) > max_chars:
        shown += f" … ({len(text) - max_chars} more characters)"
    return shown


def _class_header(c: ClassExplanation) -> str:
    toward = f"score z toward {c.label}"
    if c.opposite is not None:
        toward += f" (negative: toward {c.opposite})"
    return toward


def format_class(e: Explanation, c: ClassExplanation, top: int | None) -> list[str]:
    """The table of one score: contributions sorted by size, bias, sum, probability."""
    exact = e.exact
    lines = [_class_header(c)]
    weight_name = "weight θⱼ" if exact else "∂z/∂xⱼ"
    name = "contribution" if exact else "attribution"
    lines.append(f"  {name:>12} {weight_name:>10} {'value xⱼ':>9}  feature")
    shown = c.top(top)
    for item in shown:
        lines.append(f"  {item.contribution:>+12.4f} {item.weight:>+10.4f} "
                     f"{item.value:>9.4f}  {item.term}")
    if not c.contributions:
        lines.append("  (no word of this document is in the model's vocabulary)")
    rest = c.contributions[len(shown):]
    if rest:
        lines.append(f"  {sum(i.contribution for i in rest):>+12.4f} {'':>10} {'':>9}  "
                     f"({len(rest)} more features)")
    baseline = "bias b" if exact else "baseline: score of an empty document"
    lines.append(f"  {c.baseline:>+12.4f} {'':>10} {'':>9}  {baseline}")
    if not exact:
        lines.append(f"  {c.remainder:>+12.4f} {'':>10} {'':>9}  remainder not captured by "
                     "gradient × input (the network's non-linearity)")
    lines.append(f"  {'─' * 12}")
    if c.opposite is not None:
        prob = f"P({c.label}) = σ(z) = {c.probability:.4f}"
    else:
        prob = f"P({c.label}) = softmax(z)[{c.label}] = {c.probability:.4f}"
    lines.append(f"  {c.score:>+12.4f} {'':>10} {'':>9}  = z;  {prob}")
    return lines


def format_explanation(e: Explanation, top: int | None = 20, classes: list[str] | None = None,
                       color: bool = False, max_chars: int = 3000) -> str:
    """Prediction, one contribution table per explained class, and the coloured words."""
    probabilities = ", ".join(f"{label} {p:.4f}" for label, p in e.probabilities.items())
    lines = [f"prediction: {e.predicted} (P = {e.probabilities[e.predicted]:.4f}; "
             f"{probabilities})"]
    if e.exact:
        lines.append(f"model: {MODEL_NAMES.get(e.model_kind, e.model_kind)}; each contribution "
                     "is θⱼ·xⱼ, and the contributions plus the bias add up to the score z")
    else:
        lines.append(f"model: {MODEL_NAMES.get(e.model_kind, e.model_kind)}; attributions are "
                     "gradient × input, xⱼ·∂z/∂xⱼ: a first-order estimate of each feature's "
                     "part, not an exact decomposition")
    wanted = [e.for_class(label) for label in (classes or [e.predicted])]
    seen: list[ClassExplanation] = []
    for c in wanted:
        if any(c is s for s in seen):
            continue
        seen.append(c)
        lines.append("")
        lines.extend(format_class(e, c, top))
    if e.n_unknown_tokens:
        lines.append(f"\n{e.n_unknown_tokens} of {len(e.tokens)} words are in no feature of the "
                     "vocabulary and do not count")
    if e.tokens:
        c = seen[0]
        if c.opposite is not None:
            legend = f"green: toward {c.label}, red: toward {c.opposite}"
        else:
            legend = f"green: toward {c.label}, red: against it"
        lines.append(f"\nwords ({legend}; bold: the strongest; an n-gram's contribution is "
                     "shared equally by its words):" if color else
                     "\nwords with the largest shares (an n-gram's contribution is shared "
                     "equally by its words):")
        if color:
            lines.append(colour_words(e, c.word_shares, max_chars))
        else:
            lines.append("  " + _strongest_words(e, c.word_shares))
    return "\n".join(lines)


def _strongest_words(e: Explanation, shares: list[float], n: int = 10) -> str:
    per_word: dict[str, float] = {}
    for token, share in zip(e.tokens, shares, strict=True):
        per_word[token.text] = per_word.get(token.text, 0.0) + share
    ranked = sorted(per_word.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:n]
    return ", ".join(f"{word} ({share:+.3f})" for word, share in ranked if share) or "(none)"
