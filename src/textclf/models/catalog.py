"""The model kinds by name: the class a model file's kind is read with."""

from __future__ import annotations

from textclf.models.base import Model
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.models.multilabel import MultiLabelLogisticRegression
from textclf.models.softmax import SoftmaxRegression

MODEL_KINDS: dict[str, type[Model]] = {
    LogisticRegression.kind: LogisticRegression,
    SoftmaxRegression.kind: SoftmaxRegression,
    MultiLabelLogisticRegression.kind: MultiLabelLogisticRegression,
    FeedForwardNetwork.kind: FeedForwardNetwork,
}
