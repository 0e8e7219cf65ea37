"""Sparse SGD steps for linear models: the lecture's steps, touching only the batch's
features. For a mini-batch X_b of m rows

    θ ← θ − η·(1/m)·X_bᵀ diag(s)(ŷ − y),   then w ← w / (1 + ηλ₂)   (w: the weights, not b;
                                                                 s: the sample weights, or 1),

and row j of X_bᵀ(ŷ − y) is zero unless feature j occurs in the batch. So the scores
gather θ at the batch's columns, the step scatter-adds −η/m · x_ij (ŷᵢ − yᵢ) there (for
softmax an r × K product over the batch's r distinct columns), the bias row's step is
times ``bias_rate``, and L2's implicit step w ← w/(1 + ηλ₂) (stable for any ηλ₂) is kept in
a scale factor: θ = s·v, s ← s/(1 + ηλ₂) (the bias gets its own O(1) correction). An epoch
costs O(nnz(X)), whatever |F| is, and gives the plain step's θ up to rounding (tests check
1e-10). docs/speed.md has the details.

:class:`SparseStep` is the numpy form and the reference; :class:`CompiledStep` runs the
same batches in the compiled loops of :mod:`textclf.kernels.sgd`. Supported: logistic,
softmax and multi-label logistic regression (Ŷ = σ(Z) per label, Y a 0/1 matrix) with the
``sgd`` optimiser, any schedule, L2.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textclf.kernels import sgd as kernels
from textclf.models.base import Model
from textclf.models.functional import binary_cross_entropy_from_logits, log_softmax, row_weighted
from textclf.models.logistic import LogisticRegression
from textclf.models.softmax import SoftmaxRegression
from textclf.training.optimizers import Schedule
from textclf.training.settings import TrainingSettings
from textclf.training.step import Progress, StepResult

BATCHES_PER_BLOCK = 16  # batches gathered from X at once
BATCHES_PER_CALL = 256  # batches per call of a compiled kernel, by default


def supports(model: Model, settings: TrainingSettings) -> bool:
    """Whether the sparse steps can train this model with these settings."""
    return (
        isinstance(model, LogisticRegression | SoftmaxRegression)  # (multi-label: a subclass)
        and model.biases() == {"theta": -1}
        and settings.optimizer == "sgd"
        and settings.l1 == 0
    )


class SparseLinearStep:
    """What both sparse steps share: θ = s·v kept in place in the model's own array.

    ``schedule(t)`` gives η for step t; ``l2`` is λ₂; ``bias_rate`` scales the bias row's
    step. After every :meth:`run`, θ holds its true values again (s folded into v).
    """

    def __init__(self, model: Model, settings: TrainingSettings, schedule: Schedule):
        self.model = model
        self.batch_size = settings.batch_size
        self.schedule = schedule
        self.l2 = float(settings.l2)
        self.bias_rate = float(settings.bias_rate)
        self.theta = model.parameters()["theta"]
        self.binary = self.theta.ndim == 1
        self.multi_label = model.multi_label  # Ŷ = σ(Z) per label, targets a 0/1 matrix
        self.K = 1 if self.binary else self.theta.shape[1]
        self.v = self.theta.reshape(-1)  # a view: the updates land in the model's θ
        self.bias = self.theta.shape[0] - 1  # θ's last row: not penalised
        self.scale = 1.0  # θ = s·v during a run

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        return {}, {}  # plain SGD: θ is all there is

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Nothing to restore (see :meth:`state`)."""

    def fold_scale(self) -> None:
        """θ = s·v, written back; s = 1."""
        if self.scale != 1.0:
            self.v *= self.scale
        self.scale = 1.0


class SparseStep(SparseLinearStep):
    """The batches in numpy (see the module docstring); the reference of the compiled step."""

    def __init__(self, model: Model, settings: TrainingSettings, schedule: Schedule):
        super().__init__(model, settings, schedule)
        self.slot = np.empty(0 if self.binary else self.theta.shape[0], np.int64)

    def run(self, X: sp.csr_matrix, y: np.ndarray, order: np.ndarray | None, step: int,
            progress: Progress | None = None, weights: np.ndarray | None = None) -> StepResult:
        """One pass over the rows ``order[0:m]``, ``order[m:2m]``, ... of X (``order`` None:
        X's own order), gathered a block of batches at a time (O(nnz) in all, and no
        shuffled copy of the whole of X); row i's terms times ``weights[i]`` if given."""
        n, batch_size = X.shape[0], self.batch_size
        self.positions = np.arange(np.diff(X.indptr).max(initial=0) * batch_size + 1)
        self.scale, self.loss, self.correct = 1.0, 0.0, 0
        eta = self.schedule(step)
        block = batch_size * BATCHES_PER_BLOCK
        try:
            for block_start in range(0, n, block):
                block_stop = min(block_start + block, n)
                chosen = slice(block_start, block_stop) if order is None \
                    else order[block_start:block_stop]
                block_X = X[chosen]  # scipy's row gather (C++): the block's rows, contiguous
                block_y = y[chosen]
                block_s = None if weights is None else weights[chosen]
                indptr, indices, data = block_X.indptr, block_X.indices, block_X.data
                rows = np.repeat(np.arange(block_X.shape[0]), np.diff(indptr))
                # the values the step multiplies: x_ij, times bias_rate in the bias column
                step_values = data if self.bias_rate == 1.0 \
                    else data * np.where(indices == self.bias, self.bias_rate, 1.0)
                for start in range(0, block_X.shape[0], batch_size):
                    stop = min(start + batch_size, block_X.shape[0])
                    lo, hi = indptr[start], indptr[stop]
                    eta = self.schedule(step)
                    self.batch(indices[lo:hi], data[lo:hi], step_values[lo:hi],
                               rows[lo:hi] - start, indptr[start : stop + 1] - lo,
                               block_y[start:stop], eta,
                               None if block_s is None else block_s[start:stop])
                    step += 1
                    if progress is not None:
                        progress(stop - start)
        finally:
            self.fold_scale()
        return StepResult(self.loss, self.correct, step, eta)

    def batch(self, idx: np.ndarray, val: np.ndarray, val_step: np.ndarray, rows: np.ndarray,
              batch_indptr: np.ndarray, y: np.ndarray, eta: float,
              s: np.ndarray | None = None) -> None:
        """One mini-batch: the batch's entries (column, value, row within the batch);
        ``val_step`` are the values with the bias column's times ``bias_rate``; ``s`` the
        rows' sample weights (None: 1)."""
        from scipy.special import expit  # the stable σ (imported here: commands start fast)

        theta, v, bias, m = self.theta, self.v, self.bias, len(y)
        if self.binary:
            z = self.scale * np.bincount(rows, weights=val * v[idx], minlength=m)  # z = X_bθ
            y = y.astype(np.float64)
            self.loss += float(row_weighted(binary_cross_entropy_from_logits(z, y), s).sum())
            self.correct += int(np.count_nonzero((z > 0) == (y > 0.5)))
            delta = row_weighted(expit(z) - y, s)  # ∂L/∂z = s ⊙ (ŷ − y)  (expit: stable σ)
        else:
            # the batch's distinct columns, renumbered 0..r−1 without sorting
            slot, positions = self.slot, self.positions
            slot[idx] = positions[: len(idx)]
            columns = idx[slot[idx] == positions[: len(idx)]]
            slot[columns] = positions[: len(columns)]
            batch = sp.csr_matrix((val, slot[idx], batch_indptr), shape=(m, len(columns)))
            Z = self.scale * np.asarray(batch @ theta[columns])  # only the r rows touched
            if self.multi_label:
                Y = y.astype(np.float64)
                losses = binary_cross_entropy_from_logits(Z, Y).sum(axis=1)
                self.loss += float(row_weighted(losses, s).sum())
                self.correct += int(np.count_nonzero(((Z > 0) == (Y > 0.5)).all(axis=1)))
                delta = row_weighted(expit(Z) - Y, s)  # ∂L/∂Z = diag(s)(Ŷ − Y)
            else:
                delta = self.softmax_delta(Z, y, s)
        factor = -eta / (m * self.scale)
        if self.binary:
            np.add.at(v, idx, val_step * (factor * delta)[rows])  # −η/m · x_ij (ŷᵢ − yᵢ)
        else:  # row j of X_bᵀΔ for each distinct column j: an r × K product
            G = np.asarray(batch.T @ delta)
            if self.bias_rate != 1.0:
                G[columns == bias] *= self.bias_rate
            theta[columns] += factor * G
        if self.l2:
            shrink = 1.0 + eta * self.l2
            self.scale /= shrink  # every weight: w ← w / (1 + ηλ₂), the implicit step ...
            v[bias * self.K : (bias + 1) * self.K] *= shrink  # ... but not the bias
        if self.scale < kernels.RESCALE_BELOW:
            v *= self.scale
            self.scale = 1.0


    def softmax_delta(self, Z: np.ndarray, y: np.ndarray, s: np.ndarray | None) -> np.ndarray:
        """Softmax regression's ∂L/∂Z = diag(s)(Ŷ − Y) of a batch, its loss and hits added."""
        m = len(y)
        log_y_hat = log_softmax(Z)
        self.loss += float(row_weighted(-log_y_hat[np.arange(m), y], s).sum())
        self.correct += int(np.count_nonzero(Z.argmax(axis=1) == y))
        delta = np.exp(log_y_hat)
        delta[np.arange(m), y] -= 1.0
        return row_weighted(delta, s)


class CompiledStep(SparseLinearStep):
    """The same batches in the compiled loops of :mod:`textclf.kernels.sgd`; with
    progress to report, ``batches_per_call`` batches per call of a kernel."""

    def __init__(self, model: Model, settings: TrainingSettings, schedule: Schedule,
                 batches_per_call: int = BATCHES_PER_CALL):
        super().__init__(model, settings, schedule)
        self.batches_per_call = batches_per_call

    def run(self, X: sp.csr_matrix, y: np.ndarray, order: np.ndarray | None, step: int,
            progress: Progress | None = None, weights: np.ndarray | None = None) -> StepResult:
        n, batch_size = X.shape[0], self.batch_size
        batches = -(-n // batch_size)
        etas = np.array([self.schedule(step + t) for t in range(batches)], dtype=np.float64)
        order = np.arange(n) if order is None else order.astype(np.int64, copy=False)
        # fixed dtypes for what is cheap to convert (O(n)), so that few signatures compile
        indptr = X.indptr.astype(np.int64, copy=False)
        # no weights: an empty array, which the kernels read as sᵢ = 1
        weights = np.empty(0) if weights is None else weights.astype(np.float64, copy=False)
        if self.binary:
            kernel, params, y = kernels.logistic_batches, self.v, y.astype(np.float64)
        elif self.multi_label:
            kernel, params, y = kernels.multilabel_batches, self.theta, y.astype(np.uint8)
        else:
            kernel, params, y = kernels.softmax_batches, self.theta, y.astype(np.int64)
        # one call for all, or a call per block of batches to report progress
        block = n if progress is None else batch_size * self.batches_per_call
        self.scale, total_loss, total_correct = 1.0, 0.0, 0
        try:
            for start in range(0, n, block):
                stop = min(start + block, n)
                loss, correct, self.scale = kernel(
                    params, indptr, X.indices, X.data, y, weights, order, start, stop, batch_size,
                    etas[start // batch_size :], self.bias, self.bias_rate, self.l2,
                    self.scale)
                total_loss += loss
                total_correct += correct
                if progress is not None:
                    progress(stop - start)
        finally:
            self.fold_scale()
        eta = float(etas[-1]) if batches else self.schedule(step)
        return StepResult(total_loss, total_correct, step + batches, eta)
