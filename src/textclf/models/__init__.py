"""The models layer: the lecture's math, over feature rows x (CSR, dummy feature 1 last).

Each model maps rows to class probabilities and owns its gradient; none of them sees text.
``MODEL_KINDS`` maps the name used in settings, on the command line and in the model file to
the class: logistic (binary, sigmoid), softmax (K classes), multilabel (a sigmoid per label,
any number of labels per document) and mlp (a feedforward network, with either output),
nb (multinomial naive Bayes) and ensemble (averaged probabilities of models over groups of
the features).
Training them is the job of :mod:`textclf.training` (``textclf.LogisticRegression`` and its
siblings add ``fit`` to these classes).
"""

from textclf.core.exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "Model": "textclf.models.base",
    "MODEL_KINDS": "textclf.models.settings",
    "Ensemble": "textclf.models.ensemble",
    "LogisticRegression": "textclf.models.logistic",
    "FeedForwardNetwork": "textclf.models.mlp",
    "MultiLabelLogisticRegression": "textclf.models.multilabel",
    "LINEAR_KINDS": "textclf.models.settings",
    "MODEL_CHOICES": "textclf.models.settings",
    "ModelSettings": "textclf.models.settings",
    "SoftmaxRegression": "textclf.models.softmax",
    "RowSparse": "textclf.models.sparse_gradient",
})

__all__ = [
    "LINEAR_KINDS",
    "MODEL_CHOICES",
    "MODEL_KINDS",
    "Ensemble",
    "FeedForwardNetwork",
    "LogisticRegression",
    "Model",
    "ModelSettings",
    "MultiLabelLogisticRegression",
    "RowSparse",
    "SoftmaxRegression",
]
