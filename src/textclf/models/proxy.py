"""A stand-in for a model that changes one thing about how the trainer sees it."""

from __future__ import annotations

from textclf.models.base import Model


class ModelProxy:
    """Forwards everything to ``model``; subclasses override what they change.

    Parameters, penalties, biases and the training mode (dropout) stay the model's own, so
    the optimiser updates the real parameters in place.
    """

    def __init__(self, model: Model):
        self.model = model

    def __getattr__(self, name: str):
        return getattr(self.model, name)  # parameters(), regularized(), biases(), ...

    @property
    def training_mode(self) -> bool:
        return self.model.training_mode

    @training_mode.setter
    def training_mode(self, value: bool) -> None:
        self.model.training_mode = value
