"""A trained model at a glance: its strongest features per class, bias, settings, history.

For binary logistic regression, z = Σⱼ wⱼxⱼ + b: the largest wⱼ push a document toward
``labels[1]`` and the most negative toward ``labels[0]``. For softmax regression each class k
has its own column of weights θ·ₖ, and its strongest features are the largest θⱼₖ; so has
each label l of multi-label logistic regression, its column θ·ₗ. For a
network, the weight of a term is replaced by its *effect alone*, z_k(eⱼ) − z_k(0): the score
of a document holding only that term minus the score of an empty document (for a linear
model the two coincide: the effect alone is wⱼ; with K > 2 outputs a network's effects are
centred over the classes, as softmax sees only differences). Next to each term stands its document
frequency, the number of training documents that contained it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from textclf.errors import NotFittedError, SettingsError
from textclf.explain.effects import MODEL_NAMES, is_linear, output_labels, term_effects
from textclf.features.featurizer import Featurizer
from textclf.models.base import Model


@dataclass
class FeatureWeight:
    term: str
    weight: float  # wⱼ / θⱼₖ, or the effect alone for a network
    document_frequency: int  # training documents containing the term


@dataclass
class ModelSummary:
    """What ``textclf inspect`` prints."""

    model_kind: str
    model_name: str
    labels: list[str]
    n_terms: int
    featurizer_kind: str  # "vocabulary" (terms) or "hashing" (hashed columns)
    n_training_documents: int
    measure: str  # what the numbers in ``strongest`` are
    bias: dict[str, float]  # b (one sigmoid score: keyed by labels[1]) or b_k per class
    strongest: dict[str, list[FeatureWeight]]  # per class, strongest first
    settings: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    multi_label: bool = False  # a sigmoid per label: ``labels`` are labels, not classes
    decision: dict | None = None  # multi-label: threshold (as applied), top_k, at_least_one
    provenance: dict = field(default_factory=dict)  # the model card: data, date, dev scores

    def to_dict(self) -> dict:
        return asdict(self)

    def format(self) -> str:
        return format_summary(self)


def _ranked(values: np.ndarray, terms: list[str], df: np.ndarray, top: int,
            descending: bool = True, one_sided: bool = False) -> list[FeatureWeight]:
    """The ``top`` terms by value (ties: by column, for a stable answer).

    ``one_sided``: only terms whose value has the sign of the direction (> 0 when
    descending, < 0 otherwise): with one score, a negative weight does not point toward
    ``labels[1]`` however few terms there are.
    """
    signed = -values if descending else values
    order = np.lexsort((np.arange(len(values)), signed))[:top]
    if one_sided:
        order = order[signed[order] < 0]
    return [FeatureWeight(terms[j], float(values[j]), int(df[j])) for j in order]


class Trained(Protocol):
    """What inspection reads of a trained classifier (a ``Fitted``, or a classifier that
    holds one)."""

    featurizer: Featurizer
    model: Model
    labels: list[str]
    training_settings: Any
    history: list[dict]
    decision_rule: Any  # a multi-label model's DecisionRule (evaluation.decisions); None
    provenance: dict


def inspect_model(trained: Trained, top: int = 10) -> ModelSummary:
    """The strongest ``top`` features of each class of a trained classifier, its bias,
    settings, history, decision rule and model card.

    Example::

        from textclf.explain import inspect_model
        summary = inspect_model(clf, top=5)
        summary.strongest["pos"]   # [FeatureWeight(term='great', weight=2.1, ...), ...]
        print(summary.format())
    """
    featurizer, model, labels = trained.featurizer, trained.model, trained.labels
    if model is None:
        raise NotFittedError("the classifier is not trained: call fit or load first")
    terms = list(featurizer.terms)
    df = np.asarray(featurizer.document_frequency)
    effects, baseline = term_effects(model, len(terms), values=featurizer.lone_values(),
                                     scale=featurizer.column_scale())
    targets = output_labels(labels, effects.shape[1], model.multi_label)
    if effects.shape[1] == 1 and not model.multi_label:
        w = effects[:, 0]
        strongest = {labels[1]: _ranked(w, terms, df, top, descending=True, one_sided=True),
                     labels[0]: _ranked(w, terms, df, top, descending=False, one_sided=True)}
    else:
        strongest = {label: _ranked(effects[:, k], terms, df, top)
                     for k, label in enumerate(targets)}
    linear = is_linear(model)
    settings = {
        "model": model.config(),
        "features": featurizer.settings.as_dict(),
        "training": trained.training_settings.as_dict(),
    }
    return ModelSummary(
        model_kind=model.kind,
        model_name=MODEL_NAMES.get(model.kind, model.kind),
        labels=list(labels),
        n_terms=len(terms),
        featurizer_kind=featurizer.kind,
        n_training_documents=int(featurizer.n_documents),
        measure="weight" if linear else "effect alone: z(term only) − z(empty document)",
        bias={label: float(b) for label, b in zip(targets, baseline, strict=True)},
        strongest=strongest,
        settings=settings,
        history=list(trained.history),
        multi_label=bool(model.multi_label),
        decision=None if trained.decision_rule is None else asdict(trained.decision_rule),
        provenance=dict(trained.provenance or {}),
    )


def _flat(settings: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for key, value in settings.items():
        if isinstance(value, dict):
            rows.extend(_flat(value, f"{prefix}{key}."))
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def history_table(history: list[dict]) -> list[str]:
    """One row per epoch, one column per recorded quantity."""
    if not history:
        return ["  (no training history in this model file)"]
    preferred = ["epoch", "train_loss", "train_accuracy", "dev_loss", "dev_accuracy",
                 "train_seconds"]
    keys = [k for k in preferred if any(k in r for r in history)]
    keys += sorted({k for r in history for k in r} - set(keys))
    widths = [max(len(k), 8) for k in keys]
    lines = ["  " + "  ".join(f"{k:>{w}}" for k, w in zip(keys, widths, strict=True))]
    for record in history:
        cells = []
        for key, width in zip(keys, widths, strict=True):
            value = record.get(key, "")
            if isinstance(value, float):
                value = f"{value:.1f}" if key.endswith("seconds") else f"{value:.4f}"
            cells.append(f"{value!s:>{width}}")
        lines.append("  " + "  ".join(cells))
    return lines


def format_summary(s: ModelSummary) -> str:
    lines = [f"model: {s.model_name}; {'labels' if s.multi_label else 'classes'}: "
             f"{', '.join(s.labels)}",
             f"features: {s.n_terms} "
             f"{'hashed columns' if s.featurizer_kind == 'hashing' else 'terms'} + bias, "
             f"from {s.n_training_documents} training "
             "documents"]
    if len(s.bias) == 1:
        (label, b), = s.bias.items()
        lines.append(f"bias b = {b:+.4f} (toward {label}; negative: toward {s.labels[0]})"
                     if s.measure == "weight" else
                     f"score of an empty document = {b:+.4f} (toward {label})")
    else:
        name = "bias b_k" if s.measure == "weight" else "score of an empty document"
        lines.append(f"{name}: " + ", ".join(f"{k} {b:+.4f}" for k, b in s.bias.items()))
    column = "weight" if s.measure == "weight" else "effect"
    if s.measure != "weight":
        lines.append(f"a term's effect = {s.measure}")
    for label, features in s.strongest.items():
        lines.append(f"\nstrongest features toward {label}")
        lines.append(f"  {column:>10} {'documents':>10}  feature")
        for f in features:
            lines.append(f"  {f.weight:>+10.4f} {f.document_frequency:>10}  {f.term}")
    if s.decision is not None:
        d = s.decision
        lines.append(f"\ndecision: a label is given where its probability ≥ {d['threshold']:g}"
                     + (f", at most the {d['top_k']} most probable" if d["top_k"] else "")
                     + (", and at least the most probable one" if d["at_least_one"] else ""))
    if s.provenance:
        lines.append("\nmodel card")
        card = {k: v for k, v in s.provenance.items() if k != "data"}
        lines.extend(f"  {key:<28} {value}" for key, value in _flat(card))
        for data in s.provenance.get("data", []):
            digest = f" (SHA-256 {data['sha256']})" if data.get("sha256") else ""
            lines.append(f"  {'data.' + str(data.get('role', '')):<28} {data.get('name')}{digest}")
    lines.append("\nsettings")
    lines.extend(f"  {key:<28} {value}" for key, value in _flat(s.settings))
    lines.append("\ntraining history")
    lines.extend(history_table(s.history))
    return "\n".join(lines)


def top_features(trained: Trained, k: int = 10) -> dict[str, list[tuple[str, float]]]:
    """The k terms with the strongest weight towards each class of a trained classifier.

    Binary logistic regression: the largest wⱼ point to ``labels[1]``, the most negative
    to ``labels[0]``. Softmax regression: for each class c the largest θ[j, c]; multi-label
    logistic regression: for each label its own column θ[:, l]. A network has no single
    weight per term; its "weight" of term j is what the term does alone: the logit of a
    document holding only term j minus that of the empty document (for a linear model
    exactly θⱼ), for K softmax classes centred over the classes (logit_c − mean of the
    logits, as softmax weights are). With the nb weightings a term's weight is θⱼ·rⱼ: its
    effect per unit of its tf-idf (or binary) value, before the label-dependent scaling
    (``Featurizer.column_scale``; docs/explain.md).
    """
    if trained.model is None:
        raise NotFittedError("the classifier is not trained: call fit or load first")
    if k < 1:
        raise SettingsError(f"k must be at least 1, got {k}")
    terms = trained.featurizer.terms
    weights, _ = term_effects(trained.model, len(terms), values=trained.featurizer.lone_values(),
                              scale=trained.featurizer.column_scale())
    if weights.shape[1] == 1 and not trained.model.multi_label:  # one logit: ± toward 1 / 0
        w = weights[:, 0]
        order = np.argsort(w, kind="stable")
        return {trained.labels[1]: [(terms[j], float(w[j])) for j in order[::-1][:k]],
                trained.labels[0]: [(terms[j], float(w[j])) for j in order[:k]]}
    top = {}
    for c, label in enumerate(trained.labels):
        order = np.argsort(-weights[:, c], kind="stable")[:k]
        top[label] = [(terms[j], float(weights[j, c])) for j in order]
    return top
