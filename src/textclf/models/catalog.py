"""The model kinds by name: the class a model file's kind is read with."""

from __future__ import annotations

from textclf.models.ensemble import Ensemble
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.models.multilabel import MultiLabelLogisticRegression
from textclf.models.naive_bayes import NaiveBayesModels
from textclf.models.softmax import SoftmaxRegression

MODEL_KINDS: dict[str, type] = {  # kind → what reads its configuration (from_config)
    LogisticRegression.kind: LogisticRegression,
    SoftmaxRegression.kind: SoftmaxRegression,
    MultiLabelLogisticRegression.kind: MultiLabelLogisticRegression,
    FeedForwardNetwork.kind: FeedForwardNetwork,
    NaiveBayesModels.kind: NaiveBayesModels,
    Ensemble.kind: Ensemble,
}
