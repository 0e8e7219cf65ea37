"""A warm run compiles nothing (issue 22): every compiled kernel a run calls is in numba's
cache after the first run, and each is called with one set of argument types, so a second
process loads them all and compiles none."""

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
