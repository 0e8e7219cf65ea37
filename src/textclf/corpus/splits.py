"""Stratified, seeded splits of a labelled corpus (by row index)."""

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
