"""Compiled mini-batch SGD for the sparse fast path (numba; see :mod:`textclf.core.jit`).

The same steps as :class:`textclf.training.sparse_step.SparseStep` (the numpy reference),
written as loops over X's CSR arrays that numba compiles, so that a block of mini-batches,
or a whole epoch, runs without going back to Python between batches. For a batch of m rows i (the
rows ``order[first:first+m]``) and a step size η:

    zᵢ = s · Σⱼ x_ij v_j                        (θ = s·v: the L2 scale factor)
    ŷᵢ = σ(zᵢ), softmax(zᵢ), or σ per label (multi-label: yᵢ a 0/1 row)
    L  += wᵢ · loss of each row before the step  (BCE from logits / log-sum-exp; wᵢ the
                                                 row's sample weight, 1 without weights)
    v_j ← v_j − η/(m·s) · wᵢ x_ij (ŷᵢ − yᵢ)      (θ_j ← θ_j − η/m · wᵢ x_ij (ŷᵢ − yᵢ); the
                                                 bias row's step times ``bias_rate``)
    s  ← s / (1 + ηλ₂),  v_b ← v_b · (1 + ηλ₂)   (w ← w / (1 + ηλ₂), the implicit L2 step,
                                                 stable for any ηλ₂; the bias is not penalised)

and when s falls below 1e-9, v ← s·v and s ← 1 before it underflows. The caller writes
θ = s·v back at the end of the epoch. The softmax and multi-label kernels differ only in
their error terms; :func:`step_matrix` takes the step of both.

Only the rows and features of the batch are touched: an epoch costs O(nnz(X)·K). The
kernels are written in the subset of Python and numpy that numba compiles; their
plain-Python form is ``kernel.python`` (slow; for reading and debugging).
"""

from __future__ import annotations

import math

import numpy as np

from textclf.core import jit

RESCALE_BELOW = 1e-9  # fold s into v before it underflows (SparseSGD uses it too)


@jit.kernel(*jit.floats("(F[::1], int64[::1], int32[::1], F[::1], float64[::1], float64[::1], "
                        "int64[::1], int64, int64, int64, float64[::1], int64, float64, float64, "
                        "float64)"), stage=5)
def logistic_batches(v, indptr, indices, data, y, weights, order, start, stop, batch_size,
                     etas, bias, bias_rate, l2, scale):
    """Logistic regression: the mini-batch steps over rows ``order[start:stop]``.

    v: θ/s, length |F|+1, updated in place; (indptr, indices, data): X's CSR arrays;
    y: targets 0/1 as floats; weights: wᵢ per row (empty: all 1); batch t of the block
    (rows ``order[start + t·m : ...]``) steps with η = ``etas[t]``; ``bias`` is the bias
    row's index. Per row before its step:

        zᵢ = s · xᵢ·v,   Lᵢ = log(1 + e^zᵢ) − yᵢzᵢ = max(zᵢ, 0) − yᵢzᵢ + log(1 + e^−|zᵢ|)
        ŷᵢ = σ(zᵢ) = 1/(1 + e^−zᵢ) for zᵢ ≥ 0, e^zᵢ/(1 + e^zᵢ) for zᵢ < 0  (no overflow)

    Returns (Σ Lᵢ, the number of rows with (zᵢ > 0) = yᵢ, the scale factor s after the block).
    """
    weighted = weights.shape[0] > 0
    loss = 0.0
    correct = 0
    error = np.empty(batch_size)  # wᵢ(ŷᵢ − yᵢ) of the batch's rows
    for first in range(start, stop, batch_size):
        m = min(batch_size, stop - first)
        eta = etas[(first - start) // batch_size]
        for b in range(m):
            i = order[first + b]
            w = weights[i] if weighted else 1.0
            dot = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                dot += data[p] * v[indices[p]]
            z = scale * dot
            loss += w * (max(z, 0.0) - y[i] * z + math.log1p(math.exp(-abs(z))))
            if (z > 0.0) == (y[i] > 0.5):
                correct += 1
            if z >= 0.0:
                y_hat = 1.0 / (1.0 + math.exp(-z))
            else:
                e = math.exp(z)
                y_hat = e / (1.0 + e)
            error[b] = w * (y_hat - y[i])
        factor = -eta / (m * scale)
        for b in range(m):
            i = order[first + b]
            g = factor * error[b]
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if j == bias:
                    v[j] += data[p] * bias_rate * g
                else:
                    v[j] += data[p] * g  # −η/(m·s) · wᵢ x_ij (ŷᵢ − yᵢ)
        if l2 != 0.0:
            shrink = 1.0 + eta * l2
            scale /= shrink  # w ← w / (1 + ηλ₂) for every weight ...
            v[bias] *= shrink  # ... but not the bias
        if scale < RESCALE_BELOW:
            for j in range(v.shape[0]):
                v[j] *= scale
            scale = 1.0
    return loss, correct, scale


@jit.kernel(*jit.floats("(F[:, ::1], int64[::1], int32[::1], F[::1], int64[::1], int64, int64, "
                        "float64[:, ::1], float64, float64, int64, float64, float64)"), ahead=False)
def step_matrix(V, indptr, indices, data, order, first, m, error, eta, scale, bias,
                bias_rate, l2):
    """One batch's step of a matrix θ = s·V, (|F|+1) × K, from each row's error term
    ``error[b]`` = wᵢ(ŷᵢ − yᵢ) (a softmax's or the sigmoids'): row j of V moves by
    −η/(m·s) · x_ij · error[b] (the bias row's times ``bias_rate``), then the implicit L2
    step w ← w / (1 + ηλ₂) on every weight but the bias, kept in s. Returns s."""
    K = V.shape[1]
    factor = -eta / (m * scale)
    for b in range(m):
        i = order[first + b]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            c = factor * data[p]
            if j == bias:
                c *= bias_rate
            row = V[j]
            for k in range(K):
                row[k] += c * error[b, k]  # −η/(m·s) · wᵢ x_ij (ŷᵢₖ − yᵢₖ)
    if l2 != 0.0:
        shrink = 1.0 + eta * l2
        scale /= shrink  # w ← w / (1 + ηλ₂) for every weight ...
        for k in range(K):
            V[bias, k] *= shrink  # ... but not the bias
    if scale < RESCALE_BELOW:  # fold s into V before it underflows
        for j in range(V.shape[0]):
            for k in range(K):
                V[j, k] *= scale
        scale = 1.0
    return scale


@jit.kernel(*jit.floats("(F[:, ::1], int64[::1], int32[::1], F[::1], int64[::1], float64[::1], "
                        "int64[::1], int64, int64, int64, float64[::1], int64, float64, float64, "
                        "float64)"), ahead=False)
def softmax_batches(V, indptr, indices, data, y, weights, order, start, stop, batch_size,
                    etas, bias, bias_rate, l2, scale):
    """Softmax regression: the mini-batch steps over rows ``order[start:stop]``.

    V: Θ/s, (|F|+1) × K, updated in place; y: class indices; the rest as in
    :func:`logistic_batches`. Per row before its step, with log-sum-exp from the row's
    largest score (every exponent ≤ 0):

        zᵢ = s · xᵢV,   log ŷᵢₖ = zᵢₖ − (max zᵢ + log Σₖ e^(zᵢₖ − max zᵢ)),   Lᵢ = −log ŷᵢ_yᵢ

    and row j of V steps by −η/(m·s) · wᵢ x_ij (ŷᵢ − e_yᵢ). Returns (Σ Lᵢ, the number of rows
    whose first largest score is yᵢ's, s after the block).
    """
    K = V.shape[1]
    weighted = weights.shape[0] > 0
    loss = 0.0
    correct = 0
    error = np.empty((batch_size, K))  # wᵢ(ŷᵢ − e_yᵢ) of the batch's rows
    for first in range(start, stop, batch_size):
        m = min(batch_size, stop - first)
        eta = etas[(first - start) // batch_size]
        for b in range(m):
            i = order[first + b]
            w = weights[i] if weighted else 1.0
            z = error[b]  # the scores first, then turned into wᵢ(ŷᵢ − e_yᵢ) in place
            z[:] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                x, row = data[p], V[indices[p]]
                for k in range(K):
                    z[k] += x * row[k]
            top = 0
            for k in range(K):
                z[k] *= scale
                if z[k] > z[top]:
                    top = k
            total = 0.0
            for k in range(K):
                total += math.exp(z[k] - z[top])
            log_normaliser = z[top] + math.log(total)  # log Σₖ e^zₖ
            loss += w * (log_normaliser - z[y[i]])
            if top == y[i]:
                correct += 1
            for k in range(K):
                z[k] = math.exp(z[k] - log_normaliser)  # ŷᵢₖ
            z[y[i]] -= 1.0
            if weighted:
                for k in range(K):
                    z[k] *= w
        scale = step_matrix(V, indptr, indices, data, order, first, m, error, eta, scale,
                            bias, bias_rate, l2)
    return loss, correct, scale


@jit.kernel(*jit.floats("(F[:, ::1], int64[::1], int32[::1], F[::1], uint8[:, ::1], float64[::1], "
                        "int64[::1], int64, int64, int64, float64[::1], int64, float64, float64, "
                        "float64)"), ahead=False)
def multilabel_batches(V, indptr, indices, data, Y, weights, order, start, stop, batch_size,
                       etas, bias, bias_rate, l2, scale):
    """Multi-label logistic regression: the mini-batch steps over rows ``order[start:stop]``.

    V: Θ/s, (|F|+1) × L, updated in place; Y: the 0/1 label matrix (n × L, uint8); the rest
    as in :func:`logistic_batches`. Per row before its step, one sigmoid per label:

        zᵢ = s · xᵢV,   Lᵢ = Σₗ [max(zᵢₗ, 0) − Yᵢₗzᵢₗ + log(1 + e^−|zᵢₗ|)],   ŷᵢₗ = σ(zᵢₗ)

    and row j of V steps by −η/(m·s) · wᵢ x_ij (ŷᵢ − Yᵢ). Returns (Σ wᵢLᵢ, the number of
    rows whose every label is right, zᵢₗ > 0 exactly where Yᵢₗ = 1, s after the block).
    """
    L = V.shape[1]
    weighted = weights.shape[0] > 0
    loss = 0.0
    correct = 0
    error = np.empty((batch_size, L))  # wᵢ(ŷᵢ − Yᵢ) of the batch's rows
    for first in range(start, stop, batch_size):
        m = min(batch_size, stop - first)
        eta = etas[(first - start) // batch_size]
        for b in range(m):
            i = order[first + b]
            w = weights[i] if weighted else 1.0
            z = error[b]  # the scores first, then turned into wᵢ(ŷᵢ − Yᵢ) in place
            z[:] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                x, row = data[p], V[indices[p]]
                for k in range(L):
                    z[k] += x * row[k]
            all_right = True
            row_loss = 0.0
            for k in range(L):
                zk = scale * z[k]
                yk = 1.0 if Y[i, k] else 0.0
                row_loss += max(zk, 0.0) - yk * zk + math.log1p(math.exp(-abs(zk)))
                if (zk > 0.0) != (yk > 0.5):
                    all_right = False
                if zk >= 0.0:
                    y_hat = 1.0 / (1.0 + math.exp(-zk))
                else:
                    e = math.exp(zk)
                    y_hat = e / (1.0 + e)
                z[k] = w * (y_hat - yk)
            loss += w * row_loss
            if all_right:
                correct += 1
        scale = step_matrix(V, indptr, indices, data, order, first, m, error, eta, scale,
                            bias, bias_rate, l2)
    return loss, correct, scale
