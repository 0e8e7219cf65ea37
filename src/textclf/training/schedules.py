"""Learning-rate schedules: η_t for each step t of mini-batch gradient descent."""

from __future__ import annotations

SCHEDULES = ("constant", "invtime", "linear")


class Schedule:
    """η_t, the learning rate of step t = 0, 1, ..., T−1 (t counts mini-batches).

        constant   η_t = η
        invtime    η_t = η / (1 + d·t/B)      (B steps per epoch: η/(1+d) after one epoch,
                                               η/(1+2d) after two: inverse-time decay)
        linear     η_t = η · (1 − t/T)        (from η down to η/T at the last step)
    """

    def __init__(self, kind: str, eta: float, steps_per_epoch: int, total_steps: int,
                 decay: float = 1.0):
        self.kind, self.eta, self.decay = kind, eta, decay
        self.steps_per_epoch, self.total_steps = steps_per_epoch, total_steps

    def __call__(self, t: int) -> float:
        if self.kind == "invtime":
            return self.eta / (1.0 + self.decay * t / self.steps_per_epoch)
        if self.kind == "linear":
            return self.eta * (1.0 - t / self.total_steps)
        return self.eta
