"""textclf: document classification from logistic regression to neural networks.

The package is built in layers, each importing only from those below it (docs/architecture.md):
``errors``, ``core`` and ``kernels`` (foundations) → ``corpus`` (data) · ``features`` (text)
· ``models`` (the math) → ``training`` → ``evaluation`` · ``explain`` · ``distributed`` →
``classifier`` → ``tune`` · ``report`` → ``cli`` · ``sklearn`` (interfaces).
"""

from textclf.classifier import TextClassifier
from textclf.core.version import __version__
from textclf.corpus import Corpus, Document, iter_documents, read_corpus
from textclf.errors import ClusterError, DataError, ModelFileError, SettingsError, TextclfError
from textclf.evaluation import EvaluationReport, evaluate_labels
from textclf.features import FeatureSettings, Featurizer, HashingFeaturizer, VocabularyFeaturizer
from textclf.training import (
    FeedForwardNetwork,
    LogisticRegression,
    SoftmaxRegression,
    TrainingSettings,
    train,
)

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
