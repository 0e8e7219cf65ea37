"""A warm run compiles nothing (issue 22): every compiled kernel a run calls is in numba's
cache after the first run, and each is called only with the argument types it declares, so
a second process loads them all and compiles none; on a first run, the other kernels are
compiled ahead by other processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from textclf.core import jit

pytestmark = pytest.mark.skipif(not jit.enabled(), reason="compiled kernels switched off")

# the kernels of the default features (words and characters, nb), the compiled transform
# of the dev set, the logistic and softmax epochs, float32 and hashed features
WORKLOAD = r"""
import sys
from conftest import DEV_DOCS, SMALL, TRAIN_LABELS, TRAIN_TEXTS
from textclf import TextClassifier
from textclf.core import jit
dev = [t for t, _ in DEV_DOCS], [label for _, label in DEV_DOCS]
three = [label if i % 3 else "meh" for i, label in enumerate(TRAIN_LABELS)]
with jit.forced():
    for settings, labels in [({}, TRAIN_LABELS), ({"model": "softmax"}, three),
                             ({"float32": True}, TRAIN_LABELS),
                             ({"hash_bits": 12}, TRAIN_LABELS)]:
        clf = TextClassifier(**{**SMALL, "char_ngrams": "2-4", "epochs": 2, **settings})
        clf.fit(TRAIN_TEXTS, labels, *dev if labels is TRAIN_LABELS else ())
        clf.predict_proba(TRAIN_TEXTS)
from numba.core import sigutils
undeclared = [f"{name}{sig}" for name, k in jit.KERNELS.items() if k.made is not None
              for sig in k.made.signatures
              if sig not in [sigutils.normalize_signature(s)[0] for s in k.signatures]]
print(undeclared)
print(jit.compilations())
"""


def test_a_second_run_compiles_no_kernel(tmp_path):
    from pathlib import Path

    tests = str(Path(__file__).resolve().parent)
    runs = [subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {tests!r})"
                            f"\n{WORKLOAD}"], capture_output=True, text=True, check=True)
            for _ in range(2)]
    first, second = (int(run.stdout.split()[-1]) for run in runs)
    assert second == 0, f"the warm run compiled {second} kernels (the first {first})"
    assert runs[1].stdout.splitlines()[-2] == "[]", "kernels called with undeclared types"


def test_a_first_run_compiles_the_other_kernels_ahead(tmp_path, monkeypatch):
    """With an empty cache, the first kernel called hands the kernels two stages or more
    later to another process (one free core), which compiles them into the cache; this
    process then loads them."""
    from textclf.core import jit

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    probe = ("import os, sys\nos.cpu_count = lambda: 2  # one free core\n"
             "os.getloadavg = lambda: (0.0, 0.0, 0.0)\n"
             "from textclf.core import jit\n"
             "from textclf.kernels import rows, sgd\n"
             "import numpy as np\n"
             "rows.scale_rows(np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0), "
             "np.ones(1), 0, 0, 1)\n"
             "jit._handed['textclf.kernels.sgd:logistic_batches'].wait_for("
             "'textclf.kernels.sgd:logistic_batches')\n"
             "print(sorted(jit._handed), jit.is_cold(sgd.logistic_batches))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, env={**__import__("os").environ, "TEXTCLF_NO_JIT": ""})
    assert "'textclf.kernels.sgd:logistic_batches'" in done.stdout  # a later stage: handed
    assert "'textclf.kernels.rows:present_totals'" not in done.stdout  # its own stage: kept
    assert "'textclf.kernels.pieces:number_pieces'" not in done.stdout  # earlier: kept
    assert done.stdout.strip().endswith("False")  # compiled into the cache by the other
    assert jit.COMPILING_AHEAD_ENV == "TEXTCLF_COMPILING_AHEAD"
