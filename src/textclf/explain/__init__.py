"""The analysis layer: what a trained model has learned, and why it labels a document so.

``effects`` (the scores as columns, each term's effect alone), ``contributions``
(one document's explanation: θⱼ·xⱼ per feature, or gradient × input for a network, and the
words' shares), ``records`` (the explanation's data), ``render`` (as text), ``inspection``
(the strongest features of each class, the bias, settings and history). Works with any
featuriser and any model kind through their interfaces.
"""

from textclf.core.exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "explain": "textclf.explain.contributions",
    "explain_rows": "textclf.explain.contributions",
    "spread_shares": "textclf.explain.contributions",
    "word_shares": "textclf.explain.contributions",
    "LINEAR_KINDS": "textclf.explain.effects",
    "METHOD_GRADIENT": "textclf.explain.effects",
    "METHOD_LINEAR": "textclf.explain.effects",
    "MODEL_NAMES": "textclf.explain.effects",
    "is_linear": "textclf.explain.effects",
    "measured_term_effects": "textclf.explain.effects",
    "output_labels": "textclf.explain.effects",
    "term_effects": "textclf.explain.effects",
    "FeatureWeight": "textclf.explain.inspection",
    "ModelSummary": "textclf.explain.inspection",
    "history_table": "textclf.explain.inspection",
    "inspect_model": "textclf.explain.inspection",
    "ClassExplanation": "textclf.explain.records",
    "Contribution": "textclf.explain.records",
    "Explanation": "textclf.explain.records",
    "Token": "textclf.explain.records",
    "colour_words": "textclf.explain.render",
    "format_explanation": "textclf.explain.render",
    "share_level": "textclf.explain.render",
})

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
