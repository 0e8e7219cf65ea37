"""textclf: document classification from logistic regression to neural networks."""

__version__ = "0.1.0"

from textclf.corpus import Corpus, Document, iter_documents, read_corpus  # noqa: E402
from textclf.errors import DataError, ModelFileError, SettingsError, TextclfError  # noqa: E402
from textclf.features import FeatureSettings, Featurizer  # noqa: E402
from textclf.metrics import EvaluationReport, evaluate_labels  # noqa: E402
from textclf.models import LogisticRegression  # noqa: E402
from textclf.pipeline import TextClassifier  # noqa: E402
from textclf.train import TrainingSettings, train  # noqa: E402

__all__ = [
    "Corpus",
    "DataError",
    "Document",
    "EvaluationReport",
    "FeatureSettings",
    "Featurizer",
    "LogisticRegression",
    "ModelFileError",
    "SettingsError",
    "TextClassifier",
    "TextclfError",
    "TrainingSettings",
    "__version__",
    "evaluate_labels",
    "iter_documents",
    "read_corpus",
    "train",
]
