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

Where numba is installed (:mod:`textclf.jit`), the epoch's batches run in the compiled
loops of :mod:`textclf.sgd_kernels` instead, with the same formulas and the same results
to rounding; this module's numpy code is the reference they are tested against.

Supported: :class:`~textclf.models.logistic.LogisticRegression` and
:class:`~textclf.models.softmax.SoftmaxRegression` with the ``sgd`` optimiser, any schedule,
L2. Other settings (momentum, Adam, L1, networks) run the plain loop.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from textclf import jit, sgd_kernels
from textclf.models.base import Model
from textclf.models.functional import binary_cross_entropy_from_logits, log_softmax
from textclf.models.logistic import LogisticRegression
from textclf.models.softmax import SoftmaxRegression

_RESCALE_BELOW = 1e-9  # fold s into v before it underflows
_BATCHES_PER_BLOCK = 16  # batches gathered from X at once
_BATCHES_PER_CALL = 256  # batches per call of a compiled kernel when progress is reported


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

    ``schedule(t)`` gives η for step t; ``l2`` is λ₂; ``bias_rate`` scales the bias row's
    step. θ is the model's own array, so the model sees the new values after every
    :meth:`epoch`.
    """

    def __init__(self, model: Model, schedule, l2: float = 0.0, bias_rate: float = 1.0):
        self.model = model
        self.schedule = schedule
        self.l2 = float(l2)
        self.bias_rate = float(bias_rate)
        self.theta = model.parameters()["theta"]
        self.binary = self.theta.ndim == 1
        self.K = 1 if self.binary else self.theta.shape[1]
        self.v = self.theta.reshape(-1)  # a view: the updates land in the model's θ
        self.bias = self.theta.shape[0] - 1  # θ's last row: not penalised
        self.scale = 1.0  # θ = s·v during an epoch
        self.slot = np.empty(0 if self.binary else self.theta.shape[0], np.int64)
        self.correct = 0  # documents of the last epoch() scored right before their step

    def epoch(self, X: sp.csr_matrix, y: np.ndarray, batch_size: int, step: int,
              on_batch=None, order: np.ndarray | None = None) -> tuple[float, int, float]:
        """One pass over the rows of X in batches of ``batch_size``: rows ``order[0:m]``,
        then ``order[m:2m]``, ... (``order`` None: X's own order).

        Rows are gathered from X a block of batches at a time (O(nnz) in all), which spares
        a shuffled copy of the whole of X. Returns (Σ loss over the documents, each before
        its batch's step; the step count after the epoch; the last η). ``on_batch(m)`` is
        called after each batch (compiled: after each block of batches, with the block's
        number of rows). ``self.correct`` counts the rows scored right before their step.
        """
        if jit.enabled():
            return self._compiled_epoch(X, y, batch_size, step, on_batch, order)
        n = X.shape[0]
        self.positions = np.arange(np.diff(X.indptr).max(initial=0) * batch_size + 1)
        self.scale, self.loss, self.correct = 1.0, 0.0, 0
        eta = self.schedule(step)
        block = batch_size * _BATCHES_PER_BLOCK
        for block_start in range(0, n, block):
            block_stop = min(block_start + block, n)
            if order is None:
                block_X = X[block_start:block_stop]
                b_y = y[block_start:block_stop]
            else:  # scipy's row gather (C++): the block's rows, contiguous
                chosen = order[block_start:block_stop]
                block_X = X[chosen]
                b_y = y[chosen]
            b_indptr, b_indices, b_data = block_X.indptr, block_X.indices, block_X.data
            b_rows = np.repeat(np.arange(block_X.shape[0]), np.diff(b_indptr))
            # the values the step multiplies: x_ij, times bias_rate in the bias column
            b_step = b_data if self.bias_rate == 1.0 \
                else b_data * np.where(b_indices == self.bias, self.bias_rate, 1.0)
            for start in range(0, block_X.shape[0], batch_size):
                stop = min(start + batch_size, block_X.shape[0])
                lo, hi = b_indptr[start], b_indptr[stop]
                eta = self.schedule(step)
                self._step(b_indices[lo:hi], b_data[lo:hi], b_step[lo:hi],
                           b_rows[lo:hi] - start, b_indptr[start : stop + 1] - lo,
                           b_y[start:stop], eta)
                step += 1
                if on_batch is not None:
                    on_batch(stop - start)
        if self.scale != 1.0:
            self.v *= self.scale  # θ = s·v
        return self.loss, step, eta

    def _compiled_epoch(self, X: sp.csr_matrix, y: np.ndarray, batch_size: int, step: int,
                        on_batch, order: np.ndarray | None) -> tuple[float, int, float]:
        """:meth:`epoch` through :mod:`textclf.sgd_kernels`: the same steps, compiled."""
        n = X.shape[0]
        batches = -(-n // batch_size)
        etas = np.array([self.schedule(step + t) for t in range(batches)], dtype=np.float64)
        order = np.arange(n) if order is None else order.astype(np.int64, copy=False)
        # fixed dtypes for what is cheap to convert (O(n)), so that few signatures compile
        indptr = X.indptr.astype(np.int64, copy=False)
        if self.binary:
            kernel, params, y = sgd_kernels.logistic_batches, self.v, y.astype(np.float64)
        else:
            kernel, params, y = sgd_kernels.softmax_batches, self.theta, y.astype(np.int64)
        # one call for the epoch, or a call per block of batches to move the progress bar
        block = n if on_batch is None else batch_size * _BATCHES_PER_CALL
        self.scale, self.loss, self.correct = 1.0, 0.0, 0
        for start in range(0, n, block):
            stop = min(start + block, n)
            loss, correct, self.scale = kernel(
                params, indptr, X.indices, X.data, y, order, start, stop, batch_size,
                etas[start // batch_size :], self.bias, self.bias_rate, self.l2, self.scale)
            self.loss += loss
            self.correct += correct
            if on_batch is not None:
                on_batch(stop - start)
        if self.scale != 1.0:
            self.v *= self.scale  # θ = s·v
        eta = float(etas[-1]) if batches else self.schedule(step)
        return self.loss, step + batches, eta

    def _step(self, idx: np.ndarray, val: np.ndarray, val_step: np.ndarray, rows: np.ndarray,
              batch_indptr: np.ndarray, y: np.ndarray, eta: float) -> None:
        """One mini-batch: the batch's entries (column, value, row within the batch);
        ``val_step`` are the values with the bias column's times ``bias_rate``."""
        theta, v, bias, m = self.theta, self.v, self.bias, len(y)
        if self.binary:
            z = self.scale * np.bincount(rows, weights=val * v[idx], minlength=m)  # z = X_bθ
            y = y.astype(np.float64)
            self.loss += float(binary_cross_entropy_from_logits(z, y).sum())
            self.correct += int(np.count_nonzero((z > 0) == (y > 0.5)))
            delta = expit(z) - y  # ∂L/∂z = ŷ − y  (expit: σ, stable for any z)
        else:
            # the batch's distinct columns, renumbered 0..r−1 without sorting
            slot, positions = self.slot, self.positions
            slot[idx] = positions[: len(idx)]
            columns = idx[slot[idx] == positions[: len(idx)]]
            slot[columns] = positions[: len(columns)]
            batch = sp.csr_matrix((val, slot[idx], batch_indptr), shape=(m, len(columns)))
            Z = self.scale * np.asarray(batch @ theta[columns])  # only the r rows touched
            log_y_hat = log_softmax(Z)
            self.loss += float(-log_y_hat[np.arange(m), y].sum())
            self.correct += int(np.count_nonzero(Z.argmax(axis=1) == y))
            delta = np.exp(log_y_hat)
            delta[np.arange(m), y] -= 1.0  # ∂L/∂Z = Ŷ − Y
        if self.l2:
            decay = 1.0 - eta * self.l2
            self.scale *= decay  # every weight: w ← (1 − ηλ₂)w
            v[bias * self.K : (bias + 1) * self.K] /= decay  # ... but not the bias
        factor = -eta / (m * self.scale)
        if self.binary:
            np.add.at(v, idx, val_step * (factor * delta)[rows])  # −η/m · x_ij (ŷᵢ − yᵢ)
        else:  # row j of X_bᵀΔ for each distinct column j: an r × K product
            G = np.asarray(batch.T @ delta)
            if self.bias_rate != 1.0:
                G[columns == bias] *= self.bias_rate
            theta[columns] += factor * G
        if self.scale < _RESCALE_BELOW:
            v *= self.scale
            self.scale = 1.0
