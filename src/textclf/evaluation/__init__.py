"""The evaluation layer: scores of predictions against true labels, and ranking curves.

``metrics``: accuracy, precision/recall/F1 per class, macro averages, the confusion matrix;
``curves``: ROC and precision-recall curves of a binary classifier and their areas.
"""

from textclf.evaluation.curves import Curve, precision_recall_curve, roc_curve, trapezoid_area
from textclf.evaluation.metrics import ClassScores, EvaluationReport, evaluate_labels

__all__ = [
    "ClassScores",
    "Curve",
    "EvaluationReport",
    "evaluate_labels",
    "precision_recall_curve",
    "roc_curve",
    "trapezoid_area",
]
