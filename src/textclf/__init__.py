"""textclf: document classification from logistic regression to neural networks.

The package is built in layers, each importing only from those below it (docs/architecture.md):
``errors``, ``core`` and ``kernels`` (foundations) → ``corpus`` (data) · ``features`` (text)
· ``models`` (the math) → ``training`` → ``evaluation`` · ``explain`` · ``distributed`` →
``classifier`` → ``tune`` · ``report`` → ``cli`` · ``sklearn`` (interfaces).

The names below are imported when first used (``from textclf import TextClassifier``), so
that ``import textclf`` and a command that needs little stay light.
"""

from textclf.core.exports import lazy_exports
from textclf.core.version import __version__
from textclf.errors import ClusterError, DataError, ModelFileError, SettingsError, TextclfError

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "TextClassifier": "textclf.classifier",
    "Corpus": "textclf.corpus",
    "Document": "textclf.corpus",
    "iter_documents": "textclf.corpus",
    "read_corpus": "textclf.corpus",
    "EvaluationReport": "textclf.evaluation",
    "evaluate_labels": "textclf.evaluation",
    "FeatureSettings": "textclf.features",
    "Featurizer": "textclf.features",
    "HashingFeaturizer": "textclf.features",
    "VocabularyFeaturizer": "textclf.features",
    "FeedForwardNetwork": "textclf.training",
    "LogisticRegression": "textclf.training",
    "SoftmaxRegression": "textclf.training",
    "TrainingSettings": "textclf.training",
    "train": "textclf.training",
})

__all__ = [
    "ClusterError",
    "Corpus",
    "DataError",
    "Document",
    "EvaluationReport",
    "FeatureSettings",
    "Featurizer",
    "FeedForwardNetwork",
    "HashingFeaturizer",
    "LogisticRegression",
    "ModelFileError",
    "SettingsError",
    "SoftmaxRegression",
    "TextClassifier",
    "TextclfError",
    "TrainingSettings",
    "VocabularyFeaturizer",
    "__version__",
    "evaluate_labels",
    "iter_documents",
    "read_corpus",
    "train",
]
