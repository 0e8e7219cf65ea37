"""Model files changed as someone crafting one would: numbers replaced, the checksum redone.

Shared by the hardening tests of the model files and of the service.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from conftest import TRAIN_TEXTS, sealed

from textclf.core import modelfile

Change = Callable[[dict, dict[str, np.ndarray]], None]
MARK = "crafted-number:"  # a number JSON cannot hold, as a string through model_bytes


def crafted(path: Path, change: Change, name: str = "crafted.textclf") -> Path:
    """The model at ``path`` with ``change(meta, arrays)`` applied, sealed again with a valid
    checksum; a NaN or infinity put in meta.json is written as Python's json writes it."""
    meta, arrays = modelfile.load(path)
    for key in ("format", "format_version", "textclf_version", "arrays"):
        meta.pop(key)
    change(meta, arrays)
    marked = json.loads(json.dumps(meta), parse_constant=lambda word: f"{MARK}{word}")
    with zipfile.ZipFile(io.BytesIO(modelfile.model_bytes(marked, arrays))) as archive:
        members = {member: archive.read(member) for member in archive.namelist()}
    members["meta.json"] = re.sub(f'"{MARK}(NaN|Infinity|-Infinity)"', r"\1",
                                  members["meta.json"].decode()).encode()
    out = path.with_name(name)
    out.write_bytes(sealed(members))
    return out


def long_text(n_chars: int, seed: int = 0) -> str:
    """A text of exactly ``n_chars`` characters made of the fixture corpus's words."""
    rng = random.Random(seed)
    words = " ".join(TRAIN_TEXTS).split()
    out, total = [], 0
    while total < n_chars:
        word = rng.choice(words)
        out.append(word)
        total += len(word) + 1
    return " ".join(out)[:n_chars]
