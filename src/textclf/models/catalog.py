"""The model kinds by name, and a fresh model of a kind."""

from __future__ import annotations

from collections.abc import Sequence

from textclf.errors import SettingsError
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


def new_model(kind: str, n_features: int, n_classes: int, *, init: str = "zeros",
              seed: int = 0, hidden: int | str | Sequence[int] = (64,),
              activation: str = "relu", dropout: float = 0.0,
              multi_label: bool = False) -> Model:
    """A freshly initialised model of ``kind`` over X with ``n_features`` columns (the
    dummy feature included) and ``n_classes`` classes (labels, for multi-label models);
    ``init`` applies to the linear models, the architecture to the network, ``multi_label``
    to the network (the linear multi-label model is its own kind)."""
    if kind == "logistic":
        if n_classes != 2:
            raise SettingsError(
                f"binary logistic regression needs exactly two classes, got {n_classes}: use "
                "softmax regression for more")
        return LogisticRegression(n_features, init=init, seed=seed)
    if kind == "softmax":
        return SoftmaxRegression(n_features, n_classes, init=init, seed=seed)
    if kind == "multilabel":
        return MultiLabelLogisticRegression(n_features, n_classes, init=init, seed=seed)
    if kind == "mlp":
        return FeedForwardNetwork(n_features, n_classes, hidden=hidden, activation=activation,
                                  dropout=dropout, seed=seed, multi_label=multi_label)
    raise SettingsError(f"unknown model {kind!r} (known: {', '.join(MODEL_KINDS)})")
