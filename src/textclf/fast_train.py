"""The fast path of the training loop: SGD steps that touch only the batch's features.

The lecture's step for a mini-batch X_b of m rows is

    ∇ = (1/m)·X_bᵀ(ŷ − y) + λ₂w,      θ ← θ − η∇          (w: θ without the bias)

and :func:`textclf.train.train` computes it just so, as dense vectors of length |F|+1.
But row j of X_bᵀ(ŷ − y) is zero unless feature j occurs in the batch, and a batch of 32
documents has a few thousand of several hundred thousand features. This module makes the
same step in time proportional to the batch's non-zeros, not to |F|:

* the scores z = X_b θ gather θ at the batch's column indices only;
* the data part of the step is a scatter-add ``np.add.at(θ, indices, −η/m · x_ij (ŷᵢ − yᵢ))``
  at those indices (repeated indices add up, as in the matrix product); for softmax the
  batch's r distinct columns are renumbered 0..r−1 and X_bᵀ(Ŷ − Y) is an r × K product;
* the bias row's step is multiplied by ``bias_rate`` (see :func:`textclf.optim.scale_biases`);
* L2 is kept in a scale factor: θ = s·v, and the decay θ ← (1 − ηλ₂)θ of every weight is
  s ← (1 − ηλ₂)s, one multiplication; the bias, which is not penalised, gets its own
  correction v_b ← v_b / (1 − ηλ₂). θ = s·v is written back at the end of each epoch.

So an epoch costs O(nnz(X)), whatever |F| is. The rows are the epoch's shuffled copy of X,
cut into contiguous batches, exactly as the plain loop does: with the same seed, the
float64 θ after each epoch equals the plain loop's up to rounding (tests check 1e-10).

Supported: :class:`~textclf.models.logistic.LogisticRegression` and
:class:`~textclf.models.softmax.SoftmaxRegression` with the ``sgd`` optimiser, any schedule,
L2. Other settings (momentum, Adam, L1, networks) run the plain loop.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.models.base import Model
from textclf.models.functional import binary_cross_entropy_from_logits, log_softmax, sigmoid
from textclf.models.logistic import LogisticRegression
from textclf.models.softmax import SoftmaxRegression

_RESCALE_BELOW = 1e-9  # fold s into v before it underflows


def supports(model: Model, settings) -> bool:
    """Whether :class:`SparseSGD` can run this model with these training settings."""
    return (
        isinstance(model, LogisticRegression | SoftmaxRegression)
        and model.biases() == {"theta": -1}
        and settings.optimizer == "sgd"
        and settings.l1 == 0
    )


class SparseSGD:
    """Runs the mini-batch steps of an epoch on θ in place (see the module docstring).

    ``schedule(t)`` gives η for step t; ``l2`` is λ₂. θ is the model's own array, so the
    model sees the new values after every :meth:`epoch`.
    """

    def __init__(self, model: Model, schedule, l2: float = 0.0, bias_rate: float = 1.0):
        self.model = model
        self.schedule = schedule
        self.l2 = float(l2)
        self.bias_rate = float(bias_rate)
        self.theta = model.parameters()["theta"]
        self.correct = 0  # documents of the last epoch() scored right before their step

    def epoch(self, X: sp.csr_matrix, y: np.ndarray, batch_size: int, step: int,
              on_batch=None, order: np.ndarray | None = None) -> tuple[float, int, float]:
        """One pass over the rows of X in batches of ``batch_size``: rows ``order[0:m]``,
        then ``order[m:2m]``, ... (``order`` None: X's own order). Gathering each batch's
        rows from X costs O(its nnz) and spares a shuffled copy of X.

        Returns (Σ loss over the documents, each before its batch's step; the step count
        after the epoch; the last η). ``on_batch(m)`` is called after each batch.
        """
        theta = self.theta
        binary = theta.ndim == 1
        K = 1 if binary else theta.shape[1]
        v = theta.reshape(-1)  # a view: the updates land in the model's θ
        bias = theta.shape[0] - 1  # θ's last row: not penalised
        scale = 1.0
        indptr, indices, data = X.indptr, X.indices, X.data
        n = X.shape[0]
        row_nnz = np.diff(indptr)
        if not binary:
            slot = np.empty(theta.shape[0], np.int64)
            positions = np.arange(np.diff(indptr).max(initial=0) * batch_size + 1)
        total_loss = 0.0
        correct = 0
        eta = self.schedule(step)
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            m = stop - start
            if order is None:
                lo, hi = indptr[start], indptr[stop]
                idx, val = indices[lo:hi], data[lo:hi]
                lengths = row_nnz[start:stop]
                y_b = y[start:stop]
            else:
                chosen = order[start:stop]
                lengths = row_nnz[chosen]
                where = _ranges(indptr[chosen], lengths)
                idx, val = indices[where], data[where]
                y_b = y[chosen]
            rows = np.repeat(np.arange(m), lengths)
            eta = self.schedule(step)
            if binary:
                z = scale * np.bincount(rows, weights=val * v[idx], minlength=m)
                y_b = y_b.astype(np.float64)
                total_loss += float(binary_cross_entropy_from_logits(z, y_b).sum())
                delta = sigmoid(z) - y_b  # ∂L/∂z = ŷ − y
                correct += int(np.count_nonzero((z > 0) == (y_b > 0.5)))
            else:
                # the batch's distinct columns, renumbered 0..r−1 without sorting
                slot[idx] = positions[: len(idx)]
                columns = idx[slot[idx] == positions[: len(idx)]]
                slot[columns] = positions[: len(columns)]
                batch_indptr = np.concatenate([[0], np.cumsum(lengths)])
                batch = sp.csr_matrix((val, slot[idx], batch_indptr),
                                      shape=(m, len(columns)))
                Z = scale * np.asarray(batch @ theta[columns])  # only the r rows touched
                log_y_hat = log_softmax(Z)
                total_loss += float(-log_y_hat[np.arange(m), y_b].sum())
                correct += int(np.count_nonzero(Z.argmax(axis=1) == y_b))
                delta = np.exp(log_y_hat)
                delta[np.arange(m), y_b] -= 1.0  # ∂L/∂Z = Ŷ − Y
            if self.l2:
                decay = 1.0 - eta * self.l2
                scale *= decay  # every weight: w ← (1 − ηλ₂)w
                v[bias * K : (bias + 1) * K] /= decay  # ... but not the bias
            factor = -eta / (m * scale)
            if binary:
                contribution = factor * (val * delta[rows])
                if self.bias_rate != 1.0:
                    contribution[idx == bias] *= self.bias_rate
                np.add.at(v, idx, contribution)
            else:  # row j of X_bᵀΔ for each distinct column j: an r × K product
                G = np.asarray(batch.T @ delta)
                if self.bias_rate != 1.0:
                    G[columns == bias] *= self.bias_rate
                theta[columns] += factor * G
            step += 1
            if scale < _RESCALE_BELOW:
                v *= scale
                scale = 1.0
            if on_batch is not None:
                on_batch(m)
        if scale != 1.0:
            v *= scale  # θ = s·v
        self.correct = correct
        return total_loss, step, eta


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """start, start+1, ..., start+length−1 for each pair, concatenated."""
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total)
