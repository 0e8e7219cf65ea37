"""The evaluation layer: scores of predictions against true labels, and ranking curves.

``metrics``: accuracy, precision/recall/F1 per class, macro averages, the confusion matrix;
``multilabel``: micro/macro P/R/F1, subset accuracy, Hamming loss, P@k/R@k of label sets;
``decisions``: which labels a multi-label document gets (threshold, top k, at least one);
``curves``: ROC and precision-recall curves of a binary classifier and their areas.
"""

from textclf.core.exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "Curve": "textclf.evaluation.curves",
    "precision_recall_curve": "textclf.evaluation.curves",
    "roc_curve": "textclf.evaluation.curves",
    "trapezoid_area": "textclf.evaluation.curves",
    "best_threshold": "textclf.evaluation.decisions",
    "decide": "textclf.evaluation.decisions",
    "ClassScores": "textclf.evaluation.metrics",
    "EvaluationReport": "textclf.evaluation.metrics",
    "evaluate_labels": "textclf.evaluation.metrics",
    "MultiLabelReport": "textclf.evaluation.multilabel",
    "evaluate_label_sets": "textclf.evaluation.multilabel",
})

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
