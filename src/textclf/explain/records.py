"""What an explanation holds: each feature's contribution to each score, and the words."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from textclf.explain.effects import METHOD_LINEAR
from textclf.explain.render import format_explanation


@dataclass
class Contribution:
    """One feature of the document: cⱼ = weight · value (or xⱼ · ∂z/∂xⱼ for a network)."""

    term: str
    value: float  # the term's count, binary or tf-idf value in this document (≥ 0)
    weight: float  # its effect per unit of value: θⱼₖ (nb: θⱼₖ·rⱼ), or ∂z_k/∂ per unit
    contribution: float  # weight × value: θⱼₖxⱼ (gradient × input for a network)


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
    multi_label: bool = False  # one sigmoid score per label, each on its own
    predicted_labels: list[str] | None = None  # multi-label: the labels the text gets
    temperature: float = 1.0  # probabilities are of z/T (a calibrated model: T ≠ 1)
    weighting: str = ""  # the feature values: count, binary, tfidf, nb or tfidf-nb

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
        """The explanation of the predicted label's score (multi-label: the most probable)."""
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
