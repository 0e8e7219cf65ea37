"""benchmarks/tune_models.py --folds: the folds are a stratified partition, the paired table
compares fold by fold, and a grid point equal to the baseline counts as the same setting."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from textclf.training import MODEL_DEFAULTS

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "tune_models.py"
_spec = importlib.util.spec_from_file_location("tune_models", _PATH)
tune_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tune_models)


def test_paired_table_compares_fold_by_fold():
    results = [({}, [0.90, 0.80, 0.85], [0.3] * 3), ({"eta": 80}, [0.91, 0.81, 0.84], [0.2] * 3)]
    rows = tune_models.paired_table(results).splitlines()
    assert rows[2].startswith("| defaults | 0.8500 |")
    eta80 = rows[3].split(" | ")
    assert eta80[0] == "| eta=80" and eta80[4] == "+0.0033"  # mean of +0.01, +0.01, −0.01
    assert eta80[-2:] == ["2/1", "0.2000 |"]


def test_a_grid_point_equal_to_the_defaults_is_the_same_setting():
    def key(setting: dict) -> str:
        kind, options, architecture = tune_models.resolve("softmax", setting, 20)
        return tune_models.setting_key({"corpus": "news20", "kind": kind, "folds": 5,
                                        "seed": 0, "options": options,
                                        "architecture": architecture})

    defaults = MODEL_DEFAULTS["softmax"]
    assert key({}) == key({"eta": defaults["eta"], "epochs": 10, "l2": 0, "batch_size": 32})
    assert key({}) != key({"eta": defaults["eta"] / 2})


def test_grids_separated_by_semicolons_are_joined():
    assert tune_models.parse_grid("eta=40,80 l2=0; epochs=20") == [
        {"eta": 40, "l2": 0}, {"eta": 80, "l2": 0}, {"epochs": 20}]
