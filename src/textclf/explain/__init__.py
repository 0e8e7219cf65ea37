"""The analysis layer: what a trained model has learned, and why it labels a document so.

``effects`` (the scores as columns, each term's effect alone), ``contributions``
(one document's explanation: θⱼ·xⱼ per feature, or gradient × input for a network, and the
words' shares), ``records`` (the explanation's data), ``render`` (as text), ``inspection``
(the strongest features of each class, the bias, settings and history). Works with any
featuriser and any model kind through their interfaces.
"""

from textclf.explain.contributions import explain, explain_rows, spread_shares, word_shares
from textclf.explain.effects import (
    LINEAR_KINDS,
    METHOD_GRADIENT,
    METHOD_LINEAR,
    MODEL_NAMES,
    is_linear,
    measured_term_effects,
    output_labels,
    term_effects,
)
from textclf.explain.inspection import FeatureWeight, ModelSummary, history_table, inspect_model
from textclf.explain.records import ClassExplanation, Contribution, Explanation, Token
from textclf.explain.render import colour_words, format_explanation, share_level

__all__ = [
    "LINEAR_KINDS",
    "METHOD_GRADIENT",
    "METHOD_LINEAR",
    "MODEL_NAMES",
    "ClassExplanation",
    "Contribution",
    "Explanation",
    "FeatureWeight",
    "ModelSummary",
    "Token",
    "colour_words",
    "explain",
    "explain_rows",
    "format_explanation",
    "history_table",
    "inspect_model",
    "is_linear",
    "measured_term_effects",
    "output_labels",
    "share_level",
    "spread_shares",
    "term_effects",
    "word_shares",
]
