"""The lecture's mini-batch step, for any model and any optimiser.

For each batch of m rows the model returns the summed loss and gradient over its rows, each
row's term times its sample weight sᵢ (1 without weights); the mean gradient
∇ = (1/m)·Σᵢ sᵢ∇L⁽ⁱ⁾ (its bias entries times ``bias_rate``) goes to the
optimiser with the step's learning rate η_t from the schedule (plain SGD: θ ← θ − η_t∇),
with the penalties as :class:`~textclf.training.optimizers.Regularizer` applies them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.models.base import Model
from textclf.training.history import count_correct
from textclf.training.optimizers import Regularizer, Schedule, make_optimizer, scale_biases
from textclf.training.settings import TrainingSettings
from textclf.training.step import Progress, StepResult


class PlainStep:
    """∇ from the model, θ ← θ − η∇ by the optimiser, batch after batch."""

    def __init__(self, model: Model, settings: TrainingSettings, schedule: Schedule):
        self.model = model
        self.batch_size = settings.batch_size
        self.bias_rate = settings.bias_rate
        self.schedule = schedule
        self.optimizer = make_optimizer(settings.optimizer, settings.eta, settings.momentum)
        self.regularizer = Regularizer(settings.l2, settings.l1, model.regularized(),
                                       implicit_l2=settings.optimizer == "sgd")
        self.parameters = model.parameters()
        self.biases = model.biases()

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        return self.optimizer.state()

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        self.optimizer.load_state(meta, arrays)

    def run(self, X: sp.csr_matrix, y: np.ndarray, order: np.ndarray | None, step: int,
            progress: Progress | None = None, weights: np.ndarray | None = None) -> StepResult:
        model, parameters = self.model, self.parameters
        if order is not None:
            X, y = X[order], y[order]  # contiguous pre-shuffled batches
            weights = None if weights is None else weights[order]
        loss_sum, correct, eta = 0.0, 0, self.schedule(step)
        for start in range(0, X.shape[0], self.batch_size):
            batch = slice(start, start + self.batch_size)
            X_batch, y_batch = X[batch], y[batch]
            s_batch = None if weights is None else weights[batch]
            m = len(y_batch)
            # progressive accuracy: the batch scored with the θ its step starts from
            correct += count_correct(model.predict(X_batch), y_batch)
            batch_loss, gradient_sum = model.loss_and_gradient_sum(X_batch, y_batch, s_batch)
            loss_sum += batch_loss
            gradient = {name: g / m for name, g in gradient_sum.items()}  # (1/m)·Σᵢ sᵢ∇L⁽ⁱ⁾
            gradient = scale_biases(gradient, self.biases, self.bias_rate)
            gradient = self.regularizer.add_gradient(parameters, gradient)  # momentum, Adam
            eta = self.schedule(step)
            self.optimizer.step(parameters, gradient, eta)  # θ ← θ − η∇ (for SGD)
            self.regularizer.shrink(parameters, eta)
            step += 1
            if progress is not None:
                progress(m)
        return StepResult(loss_sum, correct, step, eta)
