"""Stratified, seeded splits of a labelled corpus (by row index): hold-out and k folds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textclf.errors import SettingsError


def hold_out(labels: Sequence, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded split of row indices into (kept, held out).

    Of each class with n ≥ 2 rows, round(fraction·n) rows (at least 1, at most n − 1) are
    held out; a class with one row stays whole.
    """
    if not (isinstance(fraction, int | float) and 0.0 < fraction < 1.0):
        raise SettingsError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, dtype=object)
    held = []
    for label in sorted(set(labels.tolist()), key=str):
        rows = np.flatnonzero(labels == label)
        if len(rows) < 2:
            continue
        n_held = min(len(rows) - 1, max(1, round(fraction * len(rows))))
        held.extend(rng.permutation(rows)[:n_held].tolist())
    is_held = np.zeros(len(labels), dtype=bool)
    is_held[np.asarray(held, dtype=np.int64)] = True
    return np.flatnonzero(~is_held), np.flatnonzero(is_held)


def stratified_folds(labels: Sequence, k: int, seed: int) -> np.ndarray:
    """The fold (0 … k−1) of every row: a stratified, seeded partition into k folds.

    Each class's rows are shuffled and dealt to the folds in turn, the dealing going on
    where the previous class stopped, so that every fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of
    each class c and the fold sizes differ by at most one.
    """
    if not (isinstance(k, int) and not isinstance(k, bool) and k >= 2):
        raise SettingsError(f"the number of folds must be an integer ≥ 2, got {k!r}")
    if len(labels) < k:
        raise SettingsError(f"{k} folds need at least {k} documents, got {len(labels)}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, dtype=object)
    fold = np.empty(len(labels), dtype=np.int64)
    dealt = 0
    for label in sorted(set(labels.tolist()), key=str):
        rows = rng.permutation(np.flatnonzero(labels == label))
        fold[rows] = (dealt + np.arange(len(rows))) % k
        dealt += len(rows)
    return fold
