"""The model kinds by name: the class a model file's kind is read with.

The classes are imported when a kind is first asked for, so that reading a logistic
regression's file does not import the network's layers.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

# kind → (module, class) of what reads its configuration (``from_config``)
KINDS = {
    "logistic": ("textclf.models.logistic", "LogisticRegression"),
    "softmax": ("textclf.models.softmax", "SoftmaxRegression"),
    "multilabel": ("textclf.models.multilabel", "MultiLabelLogisticRegression"),
    "mlp": ("textclf.models.mlp", "FeedForwardNetwork"),
    "nb": ("textclf.models.naive_bayes", "NaiveBayesModels"),
    "ensemble": ("textclf.models.ensemble", "Ensemble"),
}


class ModelKinds(Mapping):
    """kind → class, each class imported when first asked for."""

    def __getitem__(self, kind: str) -> type:
        module, name = KINDS[kind]
        return getattr(importlib.import_module(module), name)

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


MODEL_KINDS = ModelKinds()
