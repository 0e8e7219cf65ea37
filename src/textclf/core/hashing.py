"""Integer hashing shared by the n-gram tables and the hashed features.

Both multiply 64-bit keys by the golden-ratio constant ⌊2⁶⁴/φ⌋ (Fibonacci hashing) to
spread them over a table, and the hashed features also mix keys with SplitMix64's
finaliser, so that every input bit moves about half of the output bits.
"""

from __future__ import annotations

import numpy as np

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # ⌊2⁶⁴/φ⌋, odd
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX_1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX_2
    return x ^ (x >> np.uint64(31))


def fibonacci_slots(keys: np.ndarray, bits: int) -> np.ndarray:
    """Home slot of each non-negative int64 key in a table of 2^bits slots:
    (key · GOLDEN_GAMMA mod 2⁶⁴) >> (64 − bits)."""
    hashed = keys.astype(np.uint64) * GOLDEN_GAMMA
    return (hashed >> np.uint64(64 - bits)).astype(np.int64)
