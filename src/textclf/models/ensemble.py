"""An ensemble: the averaged probabilities of M models, each over a group of the features.

Member m reads the columns C_m of the shared rows [X | 1] (its group: word n-grams,
character n-grams, word unigrams, or all), made as long as the rows its training defaults
were chosen for: where the featuriser's rows are of unit length (tf-idf and the nb
weightings), each member's part of a row is scaled to unit length again, as if the group
had been featurised alone; otherwise (counts, binary values) it is multiplied by one
factor c_m:

    x⁽ᵐ⁾ = (x_{C_m}/‖x_{C_m}‖, 1)  or  (c_m·x_{C_m}, 1),     P(k | x) = (1/M)·Σ_m P_m(k | x⁽ᵐ⁾).

Each member is trained on its own cross-entropy (textclf.fitting.ensemble), as it would be
alone. The ensemble's score for class k is the log of the averaged probability, computed
from the members' log-probabilities through log-sum-exp, so that no probability
underflows to log 0:

    z_k = log P̄_k = log Σ_m e^{log P_m(k)} − log M             (softmax members),
    z = log P̄₁ − log P̄₀ = logit(P̄₁)                          (one sigmoid, per label).

softmax(z) and σ(z) give back P̄ exactly, so a temperature, predictions and
explanations work on z as on any model's logits. z is not linear in x: explanations take
gradient × input, with ∂z/∂x by the chain rule through the members (:meth:`input_gradient`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError, TextclfError
from textclf.models.base import Model
from textclf.models.functional import log_softmax, row_weighted, sigmoid, softmax
from textclf.models.logistic import LogisticRegression
from textclf.models.mlp import FeedForwardNetwork
from textclf.models.multilabel import MultiLabelLogisticRegression
from textclf.models.naive_bayes import NaiveBayesModels
from textclf.models.softmax import SoftmaxRegression

# What a member may be (an ensemble is not one): kind → what reads its configuration.
MEMBER_KINDS: dict[str, type] = {model.kind: model for model in (
    LogisticRegression, SoftmaxRegression, MultiLabelLogisticRegression, FeedForwardNetwork,
    NaiveBayesModels)}
MAX_MEMBERS = 16


def log_sigmoids(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log σ(z), log(1 − σ(z))) = (−log(1 + e^−z), −log(1 + e^z)): finite for any z."""
    return -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)


def log_mean_exp(logs: Sequence[np.ndarray]) -> np.ndarray:
    """log((1/M)·Σ_m e^{a_m}) of M arrays of the same shape, through log-sum-exp."""
    stacked = np.stack(logs)
    top = stacked.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(stacked - top).mean(axis=0))


class Ensemble(Model):
    """Members (models), each with its columns of [X | 1] (sorted, the bias last) and the
    factor c_m of its feature values. ``output``: "sigmoid" (two classes), "softmax" (K
    classes) or "sigmoids" (a sigmoid per label); ``names`` say what each member reads."""

    kind = "ensemble"

    def __init__(self, members: Sequence[Model], columns: Sequence[np.ndarray],
                 scales: Sequence[float], n_features: int, output: str,
                 names: Sequence[str] | None = None, normalise: bool = False):
        if not 1 <= len(members) <= MAX_MEMBERS or not len(members) == len(columns) \
                == len(scales):
            raise SettingsError(f"an ensemble needs 1 to {MAX_MEMBERS} members, each with its "
                                "columns and scale")
        if output not in ("sigmoid", "softmax", "sigmoids"):
            raise SettingsError(f"unknown ensemble output {output!r}")
        self.members = list(members)
        self.columns = [checked_columns(c, n_features) for c in columns]
        self.scales = [checked_scale(c) for c in scales]
        self.names = list(names or (f"member{m}" for m in range(len(members))))
        if len(self.names) != len(members) or not all(isinstance(n, str) for n in self.names):
            raise SettingsError("an ensemble's names must be one string per member")
        self._n_features = int(n_features)
        self.output = output
        self.multi_label = output == "sigmoids"
        self.normalise = bool(normalise)  # each member's part of a row to unit length

    # the members' rows ----------------------------------------------------------------------
    def member_rows(self, X: sp.csr_matrix, m: int) -> sp.csr_matrix:
        """x⁽ᵐ⁾ of every row: member m's columns, its feature values of unit length (or
        times c_m); the dummy feature stays 1."""
        self._check_columns(X)
        columns = self.columns[m]
        rows = X if len(columns) == X.shape[1] else X.tocsr()[:, columns]
        rows = sp.csr_matrix(rows, dtype=np.float64, copy=True)
        factor = self.row_factors(rows)[np.repeat(np.arange(rows.shape[0]),
                                                  np.diff(rows.indptr))] \
            if self.normalise else np.full(rows.nnz, self.scales[m])
        factor[rows.indices == rows.shape[1] - 1] = 1.0  # the dummy feature
        rows.data *= factor
        return rows

    @staticmethod
    def row_factors(rows: sp.csr_matrix) -> np.ndarray:
        """1/‖x‖ of each row's feature values (the last column, the bias, left out); 0 for
        a row without any."""
        features = rows[:, :-1]
        norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1)).ravel())
        return np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)

    def member_logs(self, X: sp.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per member: (its logits, its log-probabilities). Sigmoid outputs: the
        log-probabilities are (log σ(z), log(1 − σ(z))), each shaped like z."""
        logs = []
        for m, member in enumerate(self.members):
            z = np.asarray(member.decision_function(self.member_rows(X, m)), np.float64)
            logs.append((z, log_softmax(z) if self.output == "softmax" else log_sigmoids(z)))
        return logs

    # the lecture's interface --------------------------------------------------------------------
    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """z = log P̄ (softmax: (n, K)) or logit P̄ (sigmoid: (n,); per label: (n, L))."""
        logs = self.member_logs(X)
        if self.output == "softmax":
            return log_mean_exp([log_p for _, log_p in logs])
        log_yes = log_mean_exp([log_p[0] for _, log_p in logs])
        log_no = log_mean_exp([log_p[1] for _, log_p in logs])
        return log_yes - log_no

    def probabilities(self, Z: np.ndarray) -> np.ndarray:
        if self.output == "softmax":
            return softmax(Z)
        if self.output == "sigmoids":
            return sigmoid(Z)
        p = sigmoid(Z)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        Z = self.decision_function(X)
        if self.output == "softmax":
            return np.argmax(Z, axis=1)
        return (Z > 0).astype(np.int64)

    def loss_sum(self, X: sp.csr_matrix, y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
        """Σᵢ sᵢ·(−log P̄(yᵢ | xᵢ)): the cross-entropy of the averaged probabilities."""
        Z = self.decision_function(X)
        if self.output == "softmax":
            losses = -log_softmax(Z)[np.arange(len(y)), np.asarray(y, np.int64)]
        else:
            log_yes, log_no = log_sigmoids(Z)
            y = np.asarray(y, np.float64)
            losses = -(y * log_yes + (1.0 - y) * log_no)
            losses = losses.sum(axis=1) if losses.ndim == 2 else losses
        return float(row_weighted(losses, sample_weight).sum())

    def loss_and_gradient_sum(self, X, y, sample_weight=None):
        raise TextclfError("an ensemble's members are trained one by one, each on its own "
                           "loss (textclf.fitting.ensemble); the ensemble takes no steps")

    def input_gradient(self, X: sp.csr_matrix, k: int = 1) -> np.ndarray:
        """∂z_k/∂x (dense (n, |F|+1)) by the chain rule through the members.

        Softmax: z_k = log P̄_k, so ∂z_k/∂x = Σ_m w_mk·(g_mk − Σ_j P_mj·g_mj), with
        w_mk = P_mk / Σ_m' P_m'k and g_mj = ∂z_mj/∂x. Sigmoid (label k): z = log P̄ −
        log(1 − P̄), so ∂z/∂x = Σ_m [u_m·(1 − p_m) + v_m·p_m]·g_m, with u_m = p_m / Σ p,
        v_m = (1 − p_m) / Σ (1 − p)."""
        n = X.shape[0]
        gradient = np.zeros((n, self.n_features))
        logs = self.member_logs(X)
        if self.output == "softmax":
            if not 0 <= k < self.n_classes:
                raise SettingsError(f"class index {k} out of range 0..{self.n_classes - 1}")
            total = log_mean_exp([log_p[:, k] for _, log_p in logs]) + math.log(len(logs))
            for m, (_, log_p) in enumerate(logs):
                P = np.exp(log_p)
                g = [self.member_gradient(X, m, j) for j in range(P.shape[1])]
                mixed = sum(P[:, j, None] * g[j] for j in range(P.shape[1]))
                gradient += np.exp(log_p[:, k] - total)[:, None] * (g[k] - mixed)
            return gradient
        column = 0 if self.output == "sigmoid" else k
        pick = (lambda a: a) if self.output == "sigmoid" else (lambda a: a[:, column])
        yes = log_mean_exp([pick(log_p[0]) for _, log_p in logs]) + math.log(len(logs))
        no = log_mean_exp([pick(log_p[1]) for _, log_p in logs]) + math.log(len(logs))
        for m, (_, log_p) in enumerate(logs):
            log_yes, log_no = pick(log_p[0]), pick(log_p[1])
            weight = np.exp(log_yes - yes + log_no) + np.exp(log_no - no + log_yes)
            gradient += weight[:, None] * self.member_gradient(X, m, column)
        return gradient

    def member_gradient(self, X: sp.csr_matrix, m: int, k: int) -> np.ndarray:
        """∂z_mk/∂x over all the columns of [X | 1] (zero outside member m's). Through
        the scaling to unit length u = v/‖v‖ of the member's values v: ∂z/∂v =
        (g − (g·u)·u)/‖v‖, g = ∂z/∂u; through a factor c: c·g."""
        rows = self.member_rows(X, m)
        g = np.array(self.members[m].input_gradient(rows, k), dtype=np.float64)
        if self.normalise:
            inverse = self.row_factors(X.tocsr()[:, self.columns[m]])[:, None]
            u = rows[:, :-1].toarray()
            g[:, :-1] = (g[:, :-1] - np.sum(g[:, :-1] * u, axis=1, keepdims=True) * u) \
                * inverse
        else:
            g[:, :-1] *= self.scales[m]
        full = np.zeros((X.shape[0], self.n_features))
        full[:, self.columns[m]] = g
        return full

    # parameters ---------------------------------------------------------------------------
    def reset(self, n_features: int, n_classes: int) -> None:
        for m, member in enumerate(self.members):
            member.reset(len(self.columns[m]), n_classes)

    def parameters(self) -> dict[str, np.ndarray]:
        """Each member's arrays, as ``m{index}.{name}``."""
        return {f"m{m}.{name}": array for m, member in enumerate(self.members)
                for name, array in member.parameters().items()}

    def structure(self) -> dict[str, np.ndarray]:
        """What the model file keeps besides the parameters: each member's columns."""
        return {f"m{m}.columns": np.asarray(c, np.int64) for m, c in enumerate(self.columns)}

    @property
    def n_features(self) -> int:
        return self._n_features

    @property
    def n_classes(self) -> int:
        return 2 if self.output == "sigmoid" else self.members[0].n_classes

    def value_bound(self, mass: float) -> float:
        """|z| ≤ 2·max_m |z_m| + log M + log K: P̄ ≥ P_m/M, and a member's log-probability
        of any class is at least −2·max|z_m| − log K."""
        members = max(member.value_bound(mass * max(scale, 1.0))
                      for member, scale in zip(self.members, self.scales, strict=True))
        return 2.0 * members + math.log(len(self.members)) + math.log(self.n_classes)

    # persistence ------------------------------------------------------------------------------
    def config(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "n_classes": self.n_classes,
                "output": self.output, "names": self.names, "scales": self.scales,
                "normalise": self.normalise,
                "members": [member.config() for member in self.members],
                **self.temperature_config()}

    @classmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> Ensemble:
        configs = config.get("members")
        if not isinstance(configs, list) or not 1 <= len(configs) <= MAX_MEMBERS:
            raise SettingsError(f"an ensemble's members must be a list of 1 to {MAX_MEMBERS}")
        members, columns = [], []
        for m, member_config in enumerate(configs):
            kind = member_config.get("kind") if isinstance(member_config, dict) else None
            if kind not in MEMBER_KINDS:
                raise SettingsError(f"ensemble member {m}: unknown kind {kind!r}")
            prefix = f"m{m}."
            own = {name.removeprefix(prefix): a for name, a in arrays.items()
                   if name.startswith(prefix) and name != prefix + "columns"}
            members.append(MEMBER_KINDS[kind].from_config(member_config, own))
            if prefix + "columns" not in arrays:
                raise SettingsError(f"ensemble member {m}: its columns are missing")
            columns.append(arrays[prefix + "columns"])
        unknown = set(arrays) - {f"m{m}.{name}" for m, member in enumerate(members)
                                 for name in (*member.parameters(), "columns")}
        if unknown:
            raise SettingsError(f"unexpected ensemble arrays: {', '.join(sorted(unknown))}")
        normalise = config.get("normalise", False)
        if not isinstance(normalise, bool):
            raise SettingsError(f"an ensemble's normalise must be true or false, got "
                                f"{normalise!r}")
        model = cls(members, columns, config.get("scales", []), int(config["n_features"]),
                    config.get("output"), config.get("names"), normalise)
        for m, member in enumerate(members):
            if member.n_features != len(model.columns[m]):
                raise SettingsError(f"ensemble member {m} expects {member.n_features} "
                                    f"features but reads {len(model.columns[m])} columns")
        if len({member.n_classes if model.output != "sigmoid" else 2
                for member in members}) != 1 or int(config["n_classes"]) != model.n_classes:
            raise SettingsError("the ensemble's members differ in their number of classes")
        model.set_temperature(config)
        return model


def checked_columns(columns, n_features: int) -> np.ndarray:
    """Column indices of [X | 1]: integers, strictly increasing, within range, the bias
    column (``n_features`` − 1) last."""
    array = np.asarray(columns)
    if array.ndim != 1 or not len(array) or array.dtype.kind not in "iu":
        raise SettingsError("a member's columns must be a non-empty list of integers")
    array = array.astype(np.int64)
    if array[-1] != n_features - 1 or array[0] < 0 or np.any(np.diff(array) <= 0):
        raise SettingsError("a member's columns must increase, lie within [X | 1] and end "
                            "with the bias column")
    return array


def checked_scale(scale) -> float:
    if isinstance(scale, bool) or not isinstance(scale, int | float) \
            or not (math.isfinite(scale) and 0 < scale <= 1e6):
        raise SettingsError(f"a member's scale must be a number in (0, 10⁶], got {scale!r}")
    return float(scale)
