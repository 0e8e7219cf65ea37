"""Each setting is declared once (textclf.core.settings) and reaches every interface from
there: TextClassifier's arguments, the command line, the scikit-learn parameters, the
tuner's search space; validation names the setting."""

from __future__ import annotations

import argparse
import inspect

import pytest

from textclf import TextClassifier
from textclf.classifier import ARGUMENTS
from textclf.cli import build_parser
from textclf.core.settings import Setting, Settings
from textclf.errors import SettingsError
from textclf.features import FeatureSettings
from textclf.training import TrainingSettings
from textclf.tune import SearchSpace


def train_options() -> dict[str, str]:
    """dest → first flag of every option of ``textclf train``."""
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]  # noqa: SLF001 (argparse)
    return {action.dest: action.option_strings[0] for action in train._actions
            if action.option_strings and action.help != argparse.SUPPRESS}


def test_every_argument_is_a_classifier_argument_and_a_command_line_option():
    signature = inspect.signature(TextClassifier)
    options = train_options()
    for name, argument in ARGUMENTS.items():
        assert name in signature.parameters
        assert signature.parameters[name].default == argument.default
        assert name in options, f"--{name} missing from textclf train"
        assert options[name] in (argument.setting.flag, "-q")


def test_scikit_learn_parameters_come_from_the_same_declarations():
    pytest.importorskip("sklearn")
    from textclf.sklearn import LogisticRegressionClassifier, RawTextClassifier

    raw = set(RawTextClassifier().get_params())
    # (scikit-learn: random_state is the seed, and y's type says whether it is multi-label)
    assert {n for n, a in ARGUMENTS.items() if a.group != "run"} - {"seed", "multi_label"} <= raw
    assert {"random_state", "validation_fraction"} <= raw
    numeric = LogisticRegressionClassifier().get_params()
    assert set(TrainingSettings.declared) - {"seed"} <= set(numeric)
    assert numeric["eta"] == 40.0  # the logistic model's default, from MODEL_DEFAULTS


def test_the_search_space_comes_from_the_declarations():
    space = SearchSpace()
    assert space.ngrams == FeatureSettings.ngrams.search
    assert space.weightings == FeatureSettings.weighting.search
    assert space.max_epochs == TrainingSettings.epochs.search


@pytest.mark.parametrize("values, message", [
    ({"ngrams": 0}, "ngrams 0 leaves no features: give char_ngrams too"),
    ({"ngrams": 1.5}, "ngrams must be an integer ≥ 0 and ≤ 16, got 1.5"),
    ({"ngrams": True}, "ngrams must be an integer"),
    ({"weighting": "bm25"},
     "weighting must be one of count, binary, tfidf, nb, tfidf-nb, auto, got 'bm25'"),
    ({"eta": float("inf")}, "eta must be a number > 0, got inf"),
    ({"dropout": 1.0}, "dropout must be a number ≥ 0 and < 1, got 1.0"),
    ({"lowercase": "yes"}, "lowercase must be true or false, got 'yes'"),
    ({"jobs": 0}, "jobs must be an integer ≥ 1, got 0"),
])
def test_a_refused_value_names_its_setting_and_what_is_allowed(values: dict, message: str):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        TextClassifier(**values)


def test_an_unknown_argument_is_refused_by_name():
    with pytest.raises(TypeError, match="unknown setting.*: etta"):
        TextClassifier(etta=1.0)


def test_a_settings_class_checks_declared_values_and_ignores_other_versions_keys():
    class Example(Settings):
        size = Setting(int, 3, "a size", minimum=1)
        mode = Setting(str, "a", "a mode", choices=("a", "b"))

    assert Example().as_dict() == {"size": 3, "mode": "a"}
    assert Example.from_dict({"size": 5, "from_the_future": 1}).size == 5
    assert Example(size=2) == Example(size=2) != Example(size=3)
    with pytest.raises(SettingsError, match="mode must be one of a, b, got 'c'"):
        Example(mode="c")
    with pytest.raises(SettingsError, match="unknown setting"):
        Example(colour="red")
    changed = Example().replace(size=7)
    assert changed.size == 7 and changed.mode == "a"
