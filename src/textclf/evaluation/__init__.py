"""The evaluation layer: scores of predictions against true labels, and ranking curves.

``metrics``: accuracy, precision/recall/F1 per class, macro averages, the confusion matrix;
``multilabel``: micro/macro P/R/F1, subset accuracy, Hamming loss, P@k/R@k of label sets;
``decisions``: which labels a multi-label document gets (threshold, top k, at least one);
``curves``: ROC and precision-recall curves of a binary classifier and their areas.
"""

from textclf.evaluation.curves import Curve, precision_recall_curve, roc_curve, trapezoid_area
from textclf.evaluation.decisions import best_threshold, decide
from textclf.evaluation.metrics import ClassScores, EvaluationReport, evaluate_labels
from textclf.evaluation.multilabel import MultiLabelReport, evaluate_label_sets

__all__ = [
    "ClassScores",
    "Curve",
    "EvaluationReport",
    "MultiLabelReport",
    "best_threshold",
    "decide",
    "evaluate_label_sets",
    "evaluate_labels",
    "precision_recall_curve",
    "roc_curve",
    "trapezoid_area",
]
