"""Model files written by textclf before the layered restructure load and predict the same.

tests/fixtures/models_v0_1 holds one file of each kind (logistic, softmax, mlp, hashed
features, float32 with count trigrams), written by commit 3e38de8 with ``make.py``, and
the predictions that code made (``expected.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from textclf import TextClassifier

FOLDER = Path(__file__).resolve().parent / "fixtures" / "models_v0_1"
EXPECTED = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["logistic", "softmax", "mlp", "hashed", "float32_count"])
def test_an_old_model_file_loads_and_predicts_the_same(name: str, tmp_path: Path):
    clf = TextClassifier.load(FOLDER / f"{name}.textclf")
    probe = EXPECTED["probe"]
    assert clf.predict(probe) == EXPECTED[name]["predict"]
    # expected.json holds the predictions of the model in memory; the float32 one was
    # trained and predicted in float32, and its file holds θ in float64 (as it always did)
    tolerance = 1e-7 if name.startswith("float32") else 1e-12
    np.testing.assert_allclose(clf.predict_proba(probe), EXPECTED[name]["proba"],
                               rtol=0, atol=tolerance)
    # and it is written again in a form that loads to the same predictions
    clf.save(tmp_path / "again.textclf")
    again = TextClassifier.load(tmp_path / "again.textclf")
    np.testing.assert_array_equal(again.predict_proba(probe), clf.predict_proba(probe))
