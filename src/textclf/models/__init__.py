"""Models: each maps feature rows to class probabilities and owns its gradient."""

from textclf.models.base import Model
from textclf.models.logistic import LogisticRegression

MODEL_KINDS: dict[str, type[Model]] = {LogisticRegression.kind: LogisticRegression}

__all__ = ["MODEL_KINDS", "LogisticRegression", "Model"]
